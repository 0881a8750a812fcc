#!/usr/bin/env bash
# ctest fixture for the C tests and examples that need a server:
#   emulator_fixture.sh start <oas-emulator binary> <state dir> [emulator option...]
#   emulator_fixture.sh stop <state dir>
# `start` runs the emulator binary on a free port with a fresh data directory
# (<state dir>/data) and the given options, waits for its first stdout line
# `listening on <URL>`, and writes <state dir>/url and <state dir>/pid.
# `stop` terminates it (SIGTERM, then SIGKILL after 10 s) and removes the data.
# Tests reach it through tests/c/with_emulator.sh, which reads those files.
set -euo pipefail

stop() {
  local dir="$1" pid
  [[ -f "$dir/pid" ]] || return 0
  pid="$(cat "$dir/pid")"
  # A stale pid file may name a process that is not ours any more.
  if grep -q oas-emulator "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null; then
    # Graceful stop (open requests get up to 5 s), so wait before removing data.
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir/pid" "$dir/url" "$dir/data"
}

case "${1:-}" in
start)
  [[ $# -ge 3 ]] || { echo "usage: $0 start <binary> <dir> [option...]" >&2; exit 2; }
  bin="$2" dir="$3"
  shift 3
  [[ -x "$bin" ]] || { echo "emulator binary $bin missing: build first (cmake --build)" >&2; exit 1; }
  mkdir -p "$dir"
  stop "$dir" # a run that was interrupted may have left one behind
  mkdir -p "$dir/data"
  # Output goes to files, not to ctest's pipes: ctest would otherwise wait for
  # the emulator to exit before it finishes this setup test.
  "$bin" --listen 127.0.0.1:0 --data-dir "$dir/data" "$@" \
    </dev/null >"$dir/stdout" 2>"$dir/stderr" &
  echo $! >"$dir/pid"
  for _ in $(seq 1 200); do
    url="$(sed -n '1s/^listening on //p' "$dir/stdout" 2>/dev/null)"
    if [[ -n "$url" ]]; then
      echo "$url" >"$dir/url"
      echo "emulator (pid $(cat "$dir/pid")) listening on $url"
      exit 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.05
  done
  echo "emulator did not start:" >&2
  cat "$dir/stderr" >&2
  stop "$dir"
  exit 1
  ;;
stop)
  [[ $# -eq 2 ]] || { echo "usage: $0 stop <dir>" >&2; exit 2; }
  stop "$2"
  ;;
*)
  echo "usage: $0 start <binary> <dir> [option...] | stop <dir>" >&2
  exit 2
  ;;
esac
