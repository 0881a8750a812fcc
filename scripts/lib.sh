# Shared helpers for scripts/test.sh and scripts/demo.sh (sourced, not run).

export PATH="$HOME/.cargo/bin:$PATH"

banner() {
  printf '\n\033[1m==> %s\033[0m\n' "$*"
}

die() {
  printf '\033[1;31mFAILED: %s\033[0m\n' "$*" >&2
  exit 1
}

# ensure_tools <command>=<apt package>...: installs, quietly and only when a
# command is missing, the Debian packages that provide it.
ensure_tools() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  banner "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq || die "apt-get update"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || die "apt-get install ${missing[*]}"
}

ensure_rust() {
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (https://rustup.rs) first"
}

# ensure_rust_components <component>...: rustfmt, clippy when rustup manages the toolchain.
ensure_rust_components() {
  local c
  for c in "$@"; do
    if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
      command -v rustup >/dev/null 2>&1 || die "cargo $c missing and rustup not available"
      rustup component add "$c" || die "rustup component add $c"
    fi
  done
}
