#!/usr/bin/env bash
# Demo: builds liboas and runs examples-c/digest_file.c, which generates a file
# and prints its content etag and tree etag. Installs missing tools itself.
#
#   ./scripts/demo.sh [FILE]     (hash FILE instead of a generated one)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_rust
ensure_tools cmake=cmake gcc=gcc g++=g++ make=make
BUILD_DIR="${OAS_BUILD_DIR:-build}"

banner "building liboas and the C example"
cmake -S . -B "$BUILD_DIR" -DOAS_CARGO_PROFILE=release -DOAS_VALGRIND=OFF >/dev/null || die "cmake configure"
cmake --build "$BUILD_DIR" --target example_digest_file -j "$(nproc)" || die "build"

banner "examples-c/digest_file"
"$BUILD_DIR/example_digest_file" "$@"
