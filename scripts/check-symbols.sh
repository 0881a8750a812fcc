#!/usr/bin/env bash
# Checks the ABI surface of the shared library: every exported (defined,
# dynamic) symbol starts with `oas_`, and the SONAME is liboas.so.0.
#
#   scripts/check-symbols.sh [path/to/liboas.so]   (default: target/release/liboas.so)
#
# Nothing is ignored today: rustc's cdylib version script already hides every
# non-`#[no_mangle]` symbol. Should a toolchain ever add linker-mandatory data
# symbols (e.g. _init/_fini/__bss_start style markers), list them in ALLOWED
# with the reason.
set -euo pipefail

lib="${1:-target/release/liboas.so}"
expected_soname="liboas.so.0"
ALLOWED=()

[[ -f "$lib" ]] || { echo "check-symbols: $lib not found" >&2; exit 1; }

mapfile -t symbols < <(nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u)
if [[ ${#symbols[@]} -eq 0 ]]; then
  echo "check-symbols: $lib exports nothing" >&2
  exit 1
fi

bad=()
for s in "${symbols[@]}"; do
  [[ "$s" == oas_* ]] && continue
  allowed=0
  for a in "${ALLOWED[@]}"; do [[ "$s" == "$a" ]] && allowed=1; done
  [[ $allowed -eq 1 ]] || bad+=("$s")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "check-symbols: $lib exports symbols outside the oas_ namespace:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi

soname="$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')"
if [[ "$soname" != "$expected_soname" ]]; then
  echo "check-symbols: SONAME is '${soname:-<none>}', expected '$expected_soname'" >&2
  exit 1
fi

# Every function declared in the header is exported (and nothing else).
if [[ -f include/oas.h ]]; then
  mapfile -t declared < <(grep -oE '\boas_[a-z0-9_]+\(' include/oas.h | tr -d '(' | sort -u)
  missing=$(comm -23 <(printf '%s\n' "${declared[@]}") <(printf '%s\n' "${symbols[@]}"))
  extra=$(comm -13 <(printf '%s\n' "${declared[@]}") <(printf '%s\n' "${symbols[@]}"))
  if [[ -n "$missing" || -n "$extra" ]]; then
    echo "check-symbols: header and library disagree" >&2
    [[ -n "$missing" ]] && echo "  declared but not exported: $missing" >&2
    [[ -n "$extra" ]] && echo "  exported but not declared: $extra" >&2
    exit 1
  fi
fi

echo "check-symbols: ${#symbols[@]} symbols, all oas_*, all declared in include/oas.h; SONAME $soname"
