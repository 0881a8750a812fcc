#!/usr/bin/env bash
# The consumer test: liboas as a program outside this tree sees it.
#
#   scripts/consumer-test.sh [build dir]      (default: build; configured and built)
#
# 1. installs the build into a temporary prefix (cmake --install --prefix
#    --strip, so the programs link what the .deb ships) and checks the tree:
#    files, links, SONAME, no RPATH/RUNPATH, no debug information;
# 2. starts the installed oas-emulator on a free port with a temporary data
#    directory;
# 3. builds tests/consumer/c/app.c with pkg-config, against liboas.so
#    (`pkg-config --cflags --libs liboas`) and against liboas.a
#    (`pkg-config --static --cflags --libs liboas-static`, and ldd must not
#    list liboas.so), and runs both against the emulator;
# 4. builds the C++17 project tests/consumer/cmake with
#    find_package(liboas CONFIG REQUIRED), against liboas::liboas and
#    liboas::liboas_static, runs both, and checks the package's version rule
#    (SameMinorVersion);
# 5. packs the build as a .deb (cpack -G DEB) and checks its contents and
#    control fields with dpkg-deb.
# Only the prefix is searched: PKG_CONFIG_LIBDIR and CMAKE_PREFIX_PATH name it
# alone, so a liboas installed on the machine cannot stand in for it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

BUILD_DIR="${1:-build}"
[[ -f "$BUILD_DIR/CMakeCache.txt" ]] || die "consumer test: $BUILD_DIR is not a configured build directory"
ensure_tools cmake=cmake cc=gcc c++=g++ pkg-config=pkgconf readelf=binutils file=file dpkg-deb=dpkg

cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt"; }
version="$(cache CMAKE_PROJECT_VERSION)"
libdir="$(cache CMAKE_INSTALL_LIBDIR)"
[[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "consumer test: no project version in $BUILD_DIR"
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}" patch="${BASH_REMATCH[3]}"
soname="liboas.so.$major"

work="$(mktemp -d)"
prefix="$work/prefix"
cleanup() {
  tests/c/emulator_fixture.sh stop "$work/emulator" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { die "consumer test: $*"; }

# --- 1. install into a temporary prefix ------------------------------------
cmake --install "$BUILD_DIR" --prefix "$prefix" --strip >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
expected=(
  include/oas.h
  "$libdir/liboas.so.$version" "$libdir/$soname" "$libdir/liboas.so" "$libdir/liboas.a"
  "$libdir/pkgconfig/liboas.pc" "$libdir/pkgconfig/liboas-static.pc"
  "$libdir/cmake/liboas/liboasConfig.cmake" "$libdir/cmake/liboas/liboasConfigVersion.cmake"
  bin/oas-emulator
  share/doc/liboas/README.md share/doc/liboas/abi.md share/doc/liboas/examples/c/quickstart.c
)
[[ -f include/oas.hpp ]] && expected+=(include/oas.hpp)
for f in "${expected[@]}"; do
  [[ -e "$prefix/$f" ]] || fail "not installed: $f"
done
[[ "$(readlink "$prefix/$libdir/$soname")" == "liboas.so.$version" ]] || fail "$soname is not a link to liboas.so.$version"
[[ "$(readlink "$prefix/$libdir/liboas.so")" == "$soname" ]] || fail "liboas.so is not a link to $soname"
[[ -L "$prefix/$libdir/liboas.so.$version" ]] && fail "liboas.so.$version must be the file, not a link"
[[ -x "$prefix/bin/oas-emulator" ]] || fail "bin/oas-emulator is not executable"
real_soname="$(readelf -d "$prefix/$libdir/liboas.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')"
[[ "$real_soname" == "$soname" ]] || fail "SONAME is '$real_soname', expected $soname"
for elf in "$prefix/$libdir/liboas.so.$version" "$prefix/bin/oas-emulator"; do
  if readelf -d "$elf" | grep -Eq '\((RPATH|RUNPATH)\)'; then
    fail "$elf carries an RPATH/RUNPATH: $(readelf -d "$elf" | grep -E 'R(UN)?PATH')"
  fi
done
if readelf -S "$prefix/$libdir/liboas.so.$version" | grep -q '\.debug_'; then
  fail "cmake --install --strip left debug sections in liboas.so.$version"
fi
echo "installed tree: ${#expected[@]} paths, SONAME $soname, no RUNPATH, stripped"

# --- 2. the installed emulator ----------------------------------------------
tests/c/emulator_fixture.sh start "$prefix/bin/oas-emulator" "$work/emulator" >/dev/null ||
  fail "the installed oas-emulator did not start"
OAS_ENDPOINT="$(cat "$work/emulator/url")" || fail "no emulator URL"
export OAS_ENDPOINT OAS_ACCESS_ID=OASEMULATORTESTID OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000

# --- 3. C with pkg-config ---------------------------------------------------
export PKG_CONFIG_LIBDIR="$prefix/$libdir/pkgconfig"
unset PKG_CONFIG_PATH
[[ "$(pkg-config --modversion liboas)" == "$version" ]] || fail "pkg-config --modversion liboas is not $version"
natives="$(sed -n 's/^Libs.private: //p' "$prefix/$libdir/pkgconfig/liboas.pc")" || fail "reading liboas.pc"
[[ -n "$natives" ]] || fail "liboas.pc has no Libs.private"
[[ "$(pkg-config --static --libs liboas)" == *"$natives"* ]] || fail "pkg-config --static --libs liboas lacks $natives"
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic)
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
cc "${cflags[@]}" tests/consumer/c/app.c $(pkg-config --cflags --libs liboas) -o "$work/app_c_shared" ||
  fail "cc with pkg-config liboas"
# shellcheck disable=SC2046
cc "${cflags[@]}" tests/consumer/c/app.c $(pkg-config --static --cflags --libs liboas-static) -o "$work/app_c_static" ||
  fail "cc with pkg-config --static liboas-static"

# check_links <program> shared|static: which liboas the loader would map.
check_links() {
  local deps
  deps="$(LD_LIBRARY_PATH="$prefix/$libdir" ldd "$1")" || fail "ldd $1 failed"
  if [[ "$2" == shared ]]; then
    grep -q "$soname => $prefix/$libdir/$soname" <<<"$deps" || fail "$1 does not load $soname from the prefix: $deps"
  elif grep -q liboas <<<"$deps"; then
    fail "$1 is linked statically but needs: $(grep liboas <<<"$deps")"
  fi
}
check_links "$work/app_c_shared" shared
check_links "$work/app_c_static" static
LD_LIBRARY_PATH="$prefix/$libdir" "$work/app_c_shared" consumer-c-shared "$work/upload-1" || fail "C program (shared)"
"$work/app_c_static" consumer-c-static "$work/upload-2" || fail "C program (static)"

# --- 4. C++17 with find_package(liboas CONFIG) ------------------------------
cm=(cmake -S tests/consumer/cmake -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
[[ -f "$prefix/include/oas.hpp" ]] && cm+=(-DOAS_CONSUMER_HPP=ON)
# The version rule: 0.M.x satisfies a request for 0.M and 0.M.y with y <= x,
# nothing else while the major version is 0 (docs/abi.md).
rejected=("$major.$((minor + 1))" "$major.$minor.$((patch + 1))" "$((major + 1)).0")
[[ $minor -gt 0 ]] && rejected+=("$major.$((minor - 1))")
for want in "${rejected[@]}"; do
  if "${cm[@]}" -DOAS_WANT_VERSION="$want" >"$work/cmake.log" 2>&1; then
    fail "find_package(liboas $want) accepted version $version"
  fi
  grep -q 'liboasConfig.cmake, version: '"$version" "$work/cmake.log" ||
    { cat "$work/cmake.log"; fail "find_package(liboas $want) failed for another reason than the version"; }
done
"${cm[@]}" -DOAS_WANT_VERSION="$major.$minor" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "cmake configure of the consumer"; }
grep -q "found liboas $version in $prefix/" "$work/cmake.log" || { cat "$work/cmake.log"; fail "find_package found another liboas"; }
cmake --build "$work/cmake-build" -j "$(nproc)" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building the CMake consumer"; }
check_links "$work/cmake-build/app_shared" shared
check_links "$work/cmake-build/app_static" static
LD_LIBRARY_PATH="$prefix/$libdir" "$work/cmake-build/app_shared" consumer-cxx-shared || fail "C++ program (liboas::liboas)"
"$work/cmake-build/app_static" consumer-cxx-static || fail "C++ program (liboas::liboas_static)"
echo "consumers: C (pkg-config liboas, liboas-static) and C++17 (find_package: liboas::liboas, liboas::liboas_static) ran against the installed emulator"

# --- 5. the .deb --------------------------------------------------------------
(cd "$BUILD_DIR" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
shopt -s nullglob
debs=("$work"/deb/liboas_"$version"_*.deb)
shopt -u nullglob
[[ ${#debs[@]} -eq 1 ]] || fail "expected one liboas_${version}_<arch>.deb, got: $(ls "$work/deb")"
deb="${debs[0]}"
dpkg-deb -c "$deb" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' >"$work/deb.list"
for f in "${expected[@]}"; do
  grep -Eq "^\./usr/$f( |$)" "$work/deb.list" || fail "$(basename "$deb") lacks /usr/$f"
done
grep -qx "./usr/$libdir/$soname -> liboas.so.$version" "$work/deb.list" || fail "the .deb's $soname is not a link"
grep -qx "./usr/$libdir/liboas.so -> $soname" "$work/deb.list" || fail "the .deb's liboas.so is not a link"
grep -v '^\./usr/' "$work/deb.list" | grep -vx '\./' && fail "the .deb installs outside /usr"
mkdir "$work/deb/root"
dpkg-deb -x "$deb" "$work/deb/root"
for pc in liboas liboas-static; do
  grep -qx 'prefix=/usr' "$work/deb/root/usr/$libdir/pkgconfig/$pc.pc" || fail "the .deb's $pc.pc does not name prefix=/usr"
done
read -r -a deb_flags < <(PKG_CONFIG_LIBDIR="$work/deb/root/usr/$libdir/pkgconfig" pkg-config --cflags --libs liboas)
[[ "${deb_flags[*]}" == "-loas" ]] || fail "the .deb's liboas.pc gives '${deb_flags[*]}', not just -loas"
[[ "$(dpkg-deb -f "$deb" Package)" == liboas ]] || fail "package name"
[[ "$(dpkg-deb -f "$deb" Version)" == "$version" ]] || fail "package version"
[[ "$(dpkg-deb -f "$deb" Depends)" == *libc6* ]] || fail "Depends lacks libc6: $(dpkg-deb -f "$deb" Depends)"
[[ -n "$(dpkg-deb -f "$deb" Maintainer)" ]] || fail "no Maintainer"
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1)), Depends: $(dpkg-deb -f "$deb" Depends)"
echo "consumer test passed"
