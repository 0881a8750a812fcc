#!/usr/bin/env bash
# Demo: the whole round trip through the C examples. Builds liboas, the
# examples and the emulator; starts the emulator on a free port with a
# temporary data directory (stopped on exit); generates a 200 MiB file;
# uploads it (examples-c/quickstart.c, live progress bar), retrieves it
# through a job and downloads it (examples-c/retrieve.c, status line and
# progress bar, digests checked) and confirms the copy is byte-identical.
# Installs missing tools itself.
#
#   ./scripts/demo.sh
#
# Environment:
#   OAS_DEMO_REMOTE=1  use the service the library finds (README,
#                      "Configuration": ~/.oascredentials, OAS_* or
#                      ALIBABA_CLOUD_* variables) instead of the emulator; a
#                      real retrieval job takes hours
#   OAS_ENDPOINT, OAS_REGION, OAS_ACCESS_ID, OAS_ACCESS_KEY  set: as OAS_DEMO_REMOTE=1
#   OAS_DEMO_SIZE_MIB  size of the generated file (default 200)
#   OAS_DEMO_VAULT     vault to use (default liboas-demo)
#   OAS_CARGO_PROFILE  cargo profile (default release), OAS_BUILD_DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PROFILE="${OAS_CARGO_PROFILE:-release}"
BUILD_DIR="${OAS_BUILD_DIR:-build}"
SIZE_MIB="${OAS_DEMO_SIZE_MIB:-200}"
VAULT="${OAS_DEMO_VAULT:-liboas-demo}"
[[ "$PROFILE" == dev ]] && PROFILE_DIR=debug || PROFILE_DIR="$PROFILE"

ensure_rust
ensure_tools cmake=cmake gcc=gcc g++=g++ make=make cmp=diffutils python3=python3

work="$(mktemp -d "${TMPDIR:-/tmp}/oas-demo.XXXXXX")"
emulator_pid=""
cleanup() {
  if [[ -n "$emulator_pid" ]]; then
    kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

remote=0
# The examples leave the endpoint and credentials to the library, which says
# which source it lacked if none completes them.
if [[ -n "${OAS_DEMO_REMOTE:-}" || -n "${OAS_ENDPOINT:-}" || -n "${OAS_REGION:-}" ||
  -n "${OAS_ACCESS_ID:-}" || -n "${OAS_ACCESS_KEY:-}" ]]; then
  remote=1
fi

banner "1/6 build liboas, the examples and the emulator ($PROFILE)"
cmake -S . -B "$BUILD_DIR" -DOAS_CARGO_PROFILE="$PROFILE" -DOAS_BUILD_TESTS=ON -DOAS_VALGRIND=OFF >/dev/null ||
  die "cmake configure"
# One build of everything (the C side compiles in seconds): each named target
# would run the cargo steps again.
cmake --build "$BUILD_DIR" -j "$(nproc)" || die "build"

if [[ $remote -eq 1 ]]; then
  banner "2/6 using ${OAS_ENDPOINT:-the service of the credentials file or the environment}"
else
  banner "2/6 start the emulator (free port, data in $work/data)"
  mkdir -p "$work/data"
  # A short job delay so the retrieval's status line has something to show.
  "target/$PROFILE_DIR/oas-emulator" --listen 127.0.0.1:0 --data-dir "$work/data" --job-delay 3 \
    </dev/null >"$work/emulator.out" 2>"$work/emulator.err" &
  emulator_pid=$!
  for _ in $(seq 1 100); do
    OAS_ENDPOINT="$(sed -n '1s/^listening on //p' "$work/emulator.out")"
    [[ -n "$OAS_ENDPOINT" ]] && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$OAS_ENDPOINT" ]] || { cat "$work/emulator.err" >&2; die "the emulator did not start"; }
  export OAS_ENDPOINT OAS_ACCESS_ID=OASEMULATORTESTID OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000
  echo "emulator pid $emulator_pid listening on $OAS_ENDPOINT"
fi

banner "3/6 generate a ${SIZE_MIB} MiB file"
src="$work/original.bin"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$src" || die "generating $src"
ls -l "$src"

banner "4/6 upload (examples-c/quickstart.c) into vault $VAULT"
"$BUILD_DIR/example_quickstart" --vault "$VAULT" "$src" | tee "$work/quickstart.out" ||
  die "upload"
archive="$(sed -n 's/^archive id: //p' "$work/quickstart.out")"
[[ -n "$archive" ]] || die "quickstart printed no archive id"

banner "5/6 retrieve and download (examples-c/retrieve.c)"
out="$work/downloaded.bin"
"$BUILD_DIR/example_retrieve" --vault "$VAULT" --archive "$archive" --source "$src" --out "$out" ||
  die "retrieve/download"

banner "6/6 compare"
cmp "$src" "$out" || die "the downloaded file differs from the original"
echo "byte-identical: $(stat -c %s "$out") bytes, archive $archive"
banner "round trip complete"
