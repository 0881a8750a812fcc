#!/usr/bin/env bash
# Runs a command that must fail in one precise way (a memory checker's
# canary, see canary_memcheck.c):
#   expect_failure.sh <exit code> <extended regex> <command> [arg...]
# passes only when the command exits with <exit code> and its output
# (stdout and stderr, read as one text: `.` also matches a newline) matches <regex>.
set -uo pipefail
want="$1" pattern="$2"
shift 2
out="$("$@" 2>&1)"
rc=$?
if [[ $rc -ne $want ]] || ! grep -Ezq -- "$pattern" <<<"$out"; then
  printf '%s\n' "$out"
  echo "expect_failure: exit code $rc (want $want); output matches /$pattern/: $(grep -Ezq -- "$pattern" <<<"$out" && echo yes || echo no)" >&2
  exit 1
fi
echo "expect_failure: failed as required (exit $rc, /$pattern/ found)"
