#!/usr/bin/env bash
# Fuzzing of the parsers that read what a server or the disk hands us
# (fuzz/fuzz_targets/*.rs), with cargo-fuzz and libFuzzer.
#
#   scripts/fuzz.sh --short            every target for OAS_FUZZ_SECONDS (10) s,
#                                      from the committed corpus (test.sh runs this);
#                                      unoptimised build (--dev), the quick one to compile
#   scripts/fuzz.sh --long [SECONDS]   every target for SECONDS (600) s each, optimised
#                                      build; new inputs go to fuzz/corpus-gen/<target>
#   scripts/fuzz.sh --long 3600 journal   one target for an hour
#   scripts/fuzz.sh --build            build only
#
# OAS_FUZZ_SANITIZER=none builds without AddressSanitizer (faster, finds only
# panics). A crash leaves its input in fuzz/artifacts/<target>/ and fails the
# run; reproduce it with `scripts/fuzz.sh --repro <target> <file>`.
#
# cargo-fuzz passes nightly-only flags to rustc (-Zsanitizer, coverage
# instrumentation). Only the stable toolchain is installed here, so the
# builds run with RUSTC_BOOTSTRAP=1, which lets stable rustc accept them; it
# is set for the fuzz builds only, never for the library itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

CARGO_FUZZ_VERSION=0.13.2
SANITIZER="${OAS_FUZZ_SANITIZER:-address}"
TARGETS_ALL=(ranges journal response inventory emulator_request)
export RUSTC_BOOTSTRAP=1

mode="${1:---short}"
shift || true
seconds="${OAS_FUZZ_SECONDS:-10}"
# Short runs use the dev profile: on two cores a fresh optimised ASan build
# took 2.8x the CPU time of a dev one (13.7 vs 4.9 min), for runs of seconds.
profile=(--dev)
case "$mode" in
  --short) ;;
  --long)
    profile=()
    seconds=600
    if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds="$1"; shift; fi
    ;;
  --build) ;;
  --repro) ;;
  -h|--help) sed -n '2,/^set -e/p' "$0" | grep '^#'; exit 0 ;;
  *) die "unknown mode $mode (--short, --long [SECONDS], --build, --repro TARGET FILE)" ;;
esac

ensure_rust
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  banner "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" || die "cargo install cargo-fuzz"
fi

if [[ "$mode" == --repro ]]; then
  [[ $# -eq 2 ]] || die "usage: scripts/fuzz.sh --repro TARGET FILE"
  cd fuzz && exec cargo fuzz run "${profile[@]}" -s "$SANITIZER" "$1" "$2"
fi

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${TARGETS_ALL[@]}")

start=$SECONDS
(cd fuzz && cargo fuzz build "${profile[@]}" -s "$SANITIZER") || die "cargo fuzz build"
echo "fuzz targets built in $((SECONDS - start)) s (sanitizer: $SANITIZER)"
[[ "$mode" == --build ]] && exit 0

failed=()
for t in "${targets[@]}"; do
  [[ -d "fuzz/corpus/$t" ]] || die "no corpus fuzz/corpus/$t"
  # New inputs land in the first directory: a scratch one for short runs
  # (the committed corpus stays as it is), fuzz/corpus-gen/<t> for long ones.
  if [[ "$mode" == --long ]]; then
    out="$PWD/fuzz/corpus-gen/$t"
  else
    out="$(mktemp -d)"
  fi
  mkdir -p "$out" "fuzz/artifacts/$t"
  banner "fuzz $t for ${seconds}s"
  # Scratch files of the targets (the inventory one writes its input to a
  # file) go to a directory removed after the run.
  scratch="$(mktemp -d)"
  if (cd fuzz && TMPDIR="$scratch" cargo fuzz run "${profile[@]}" -s "$SANITIZER" "$t" "$out" "corpus/$t" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>&1 | tail -n 25); then
    :
  else
    failed+=("$t")
  fi
  rm -rf "$scratch"
  [[ "$mode" == --long ]] || rm -rf "$out"
done

echo "fuzzing: $(( ${#targets[@]} - ${#failed[@]} )) targets clean, ${#failed[@]} crashed; total $((SECONDS - start)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
  die "fuzz targets crashed: ${failed[*]} (inputs in fuzz/artifacts/<target>/)"
fi
if [[ "$mode" == --long ]]; then
  echo "new inputs: fuzz/corpus-gen/<target>; to keep a few, minimise with"
  echo "  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz cmin <target> corpus-gen/<target>)"
fi
