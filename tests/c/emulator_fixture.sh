#!/usr/bin/env bash
# ctest fixture for the C tests that need a server:
#   emulator_fixture.sh start <oas-emulator binary> <state dir>
#   emulator_fixture.sh stop <state dir>
# `start` runs the emulator on a free port with fault injection enabled and a
# temporary data directory, and writes its base URL to <state dir>/url;
# `stop` terminates it.
set -euo pipefail
case "$1" in
start)
  bin="$2" dir="$3"
  mkdir -p "$dir"
  rm -f "$dir/url" "$dir/pid"
  "$bin" --listen 127.0.0.1:0 --faults >"$dir/stdout" 2>"$dir/stderr" &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    if grep -q "^listening on " "$dir/stdout" 2>/dev/null; then
      sed -n 's/^listening on //p' "$dir/stdout" | head -n1 >"$dir/url"
      exit 0
    fi
    sleep 0.1
  done
  echo "emulator did not start:" >&2
  cat "$dir/stderr" >&2
  exit 1
  ;;
stop)
  dir="$2"
  if [[ -f "$dir/pid" ]]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -f "$dir/pid" "$dir/url"
  fi
  ;;
*)
  echo "usage: $0 start <binary> <dir> | stop <dir>" >&2
  exit 2
  ;;
esac
