#!/usr/bin/env bash
# The one test command: formatting, lints, Rust tests, header drift, the C
# suite under ctest (native and valgrind, then ASan), the consumer test of the
# installed tree and the .deb, the Python ctypes test, the Python package's
# wheel and pytest suite, and the exported-symbols check. Installs missing
# tools itself. Fails fast.
#
#   ./scripts/test.sh            (C side against the dev build that cargo test
#                                 already made; OAS_CARGO_PROFILE=release for an
#                                 optimised one)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PROFILE="${OAS_CARGO_PROFILE:-dev}"
BUILD_DIR="${OAS_BUILD_DIR:-build}"
[[ "$PROFILE" == dev ]] && PROFILE_DIR=debug || PROFILE_DIR="$PROFILE"

banner "tools"
ensure_rust
ensure_tools cmake=cmake valgrind=valgrind gcc=gcc g++=g++ make=make python3=python3 nm=binutils readelf=binutils \
  pkg-config=pkgconf file=file
ensure_rust_components rustfmt clippy

# Keep a copy of the checked-in header: every cargo build below regenerates it.
header_before="$(mktemp)"
trap 'rm -f "$header_before"' EXIT
cp include/oas.h "$header_before" 2>/dev/null || : >"$header_before"

banner "cargo fmt --all --check"
cargo fmt --all --check || die "formatting (run: cargo fmt --all)"

banner "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings || die "clippy"

banner "cargo test --workspace"
cargo test --workspace || die "cargo test"

banner "header drift (include/oas.h must match a fresh cbindgen run)"
# The same build as CMake's (library and emulator together), so cmake finds it done.
cargo build -p oas -p oas-emulator --lib --bin oas-emulator --profile "$PROFILE" ||
  die "cargo build --profile $PROFILE"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && git ls-files --error-unmatch include/oas.h >/dev/null 2>&1; then
  git diff --exit-code -- include/oas.h || die "include/oas.h changed when regenerated: commit the new header"
fi
cmp -s "$header_before" include/oas.h || die "include/oas.h differs from the generated header"
echo "include/oas.h is up to date"

banner "cmake configure + build ($PROFILE)"
cmake -S . -B "$BUILD_DIR" -DOAS_CARGO_PROFILE="$PROFILE" -DOAS_BUILD_TESTS=ON -DOAS_VALGRIND=ON >/dev/null || die "cmake configure"
cmake --build "$BUILD_DIR" -j "$(nproc)" || die "cmake build"

banner "ctest (C tests, examples, header compile tests, valgrind variants)"
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$(nproc)" || die "ctest"

# --- AddressSanitizer build of the C suite (cmake/sanitize.cmake) ----------
banner "ctest under ASan+UBSan+LeakSanitizer (C tests and examples, same cargo build)"
ASAN_DIR="${OAS_ASAN_BUILD_DIR:-build-asan}"
cmake -S . -B "$ASAN_DIR" -DOAS_CARGO_PROFILE="$PROFILE" -DOAS_BUILD_TESTS=ON -DOAS_SANITIZE=ON >/dev/null || die "cmake configure (asan)"
cmake --build "$ASAN_DIR" -j "$(nproc)" || die "cmake build (asan)"
ctest --test-dir "$ASAN_DIR" --output-on-failure --no-tests=error -j "$(nproc)" -L asan || die "ctest (asan)"
# ---------------------------------------------------------------------------

banner "consumer test (install to a temporary prefix, pkg-config, find_package, static, .deb)"
scripts/consumer-test.sh "$BUILD_DIR" || die "consumer test"

banner "Python ctypes test"
python3 tests/python/test_ctypes.py "$BUILD_DIR/lib/liboas.so" || die "python ctypes test"

banner "Python package (scripts/python-test.sh: wheel, fresh venv, pytest against the emulator)"
scripts/python-test.sh "target/$PROFILE_DIR/liboas.so" "target/$PROFILE_DIR/oas-emulator" || die "python package tests"

banner "exported symbols"
scripts/check-symbols.sh "target/$PROFILE_DIR/liboas.so" || die "symbol check"

banner "fuzzing (scripts/fuzz.sh --short: every target 10 s from the committed corpus)"
scripts/fuzz.sh --short || die "fuzzing"

banner "all checks passed"
