#!/usr/bin/env bash
# Issue 10, defect 9: a program linked against the documented build output
# `target/<profile>/liboas.so` records the SONAME liboas.so.0 and must find
# it there at run time (build.rs puts the symlink liboas.so.0 -> liboas.so
# next to the library). Links a small program with -L <dir> -loas and runs it
# with LD_LIBRARY_PATH=<dir>, then with an rpath of <dir>.
#   test_link_target_dir.sh <cc> <target/profile dir> <include dir>
set -euo pipefail
cc="$1" dir="$2" inc="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/main.c" <<'C'
#include "oas.h"
#include <stdio.h>
int main(void) {
  printf("%s\n", oas_version());
  return oas_version_number() > 0 ? 0 : 1;
}
C
"$cc" -I "$inc" "$work/main.c" -L "$dir" -loas -o "$work/plain"
"$cc" -I "$inc" "$work/main.c" -L "$dir" -loas -Wl,-rpath,"$dir" -o "$work/rpath"
LD_LIBRARY_PATH="$dir" "$work/plain"
env -u LD_LIBRARY_PATH "$work/rpath"
echo "test_link_target_dir: programs linked against $dir/liboas.so run"
