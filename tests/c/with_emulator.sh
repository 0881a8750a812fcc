#!/usr/bin/env bash
# Runs a command against the emulator of a ctest fixture:
#   with_emulator.sh <state dir> <command> [arg...]
# exports OAS_ENDPOINT (read from <state dir>/url, written by
# emulator_fixture.sh start), OAS_ACCESS_ID and OAS_ACCESS_KEY (the emulator's
# default credential), then execs the command, so a valgrind run wraps the
# test program only, never the emulator.
set -euo pipefail
dir="$1"
shift
[[ -s "$dir/url" ]] || { echo "no emulator URL in $dir/url (the fixture did not start)" >&2; exit 1; }
OAS_ENDPOINT="$(cat "$dir/url")"
export OAS_ENDPOINT
export OAS_ACCESS_ID=OASEMULATORTESTID
export OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000
exec "$@"
