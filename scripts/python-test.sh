#!/usr/bin/env bash
# The Python package's test: builds the wheel from bindings/python (reusing an
# already built liboas.so), checks its platform tag with auditwheel, installs
# only that wheel into a fresh venv, and runs the pytest suite there against
# emulators that the suite's fixtures start.
#
#   scripts/python-test.sh [LIBOAS_SO [OAS_EMULATOR]]
#
# Defaults: target/debug/liboas.so and target/debug/oas-emulator (what
# scripts/test.sh has built). Without a built library, set OAS_PREBUILT_LIB=""
# to let the wheel build run cargo itself (release profile).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

LIB="${1:-${OAS_PREBUILT_LIB-target/debug/liboas.so}}"
EMU="${2:-${OAS_EMULATOR:-target/debug/oas-emulator}}"
[[ -x "$EMU" ]] || die "emulator binary $EMU missing: cargo build -p oas-emulator first"

ensure_tools python3=python3 readelf=binutils
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  ensure_tools no-such-command-so-install=python3-venv # Debian's python3 has venv separately
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/oas-python-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# Build tools (setuptools, wheel, auditwheel), kept between runs in target/ and
# never part of the wheel; with them the wheel builds without pip's build
# isolation, which would download and install setuptools on every run.
TOOLS="target/python-tools"
if ! "$TOOLS/bin/python" -c 'import setuptools, wheel, auditwheel' 2>/dev/null ||
  ! ls "$TOOLS"/wheels/pytest-*.whl >/dev/null 2>&1; then
  banner "build tools venv ($TOOLS: setuptools, wheel, auditwheel; pytest's wheels)"
  rm -rf "$TOOLS"
  python3 -m venv "$TOOLS" && "$TOOLS/bin/pip" install --quiet setuptools wheel auditwheel ||
    die "installing the build tools"
  "$TOOLS/bin/pip" download --quiet --dest "$TOOLS/wheels" pytest || die "downloading pytest"
fi

banner "wheel (pip wheel bindings/python)"
if [[ -n "$LIB" ]]; then
  [[ -f "$LIB" ]] || die "library $LIB missing: cargo build first (or OAS_PREBUILT_LIB= to build it)"
  export OAS_PREBUILT_LIB="$(realpath "$LIB")"
else
  unset OAS_PREBUILT_LIB
fi
rm -rf bindings/python/build bindings/python/*.egg-info
"$TOOLS/bin/python" -m pip wheel --quiet --no-deps --no-build-isolation bindings/python \
  -w "$WORK/dist" || die "pip wheel"
rm -rf bindings/python/build bindings/python/*.egg-info
wheels=("$WORK"/dist/*.whl)
[[ ${#wheels[@]} -eq 1 ]] || die "expected one wheel, got: ${wheels[*]}"
WHEEL="${wheels[0]}"
echo "built $(basename "$WHEEL")"

banner "auditwheel show (the wheel's platform tag must be the one auditwheel finds)"
show="$("$TOOLS/bin/auditwheel" show "$WHEEL")" || die "auditwheel show"
echo "$show"
found="$(grep -o 'manylinux_[0-9]*_[0-9]*_[a-z0-9_]*' <<<"$show" | head -1)"
tag="$(basename "$WHEEL" .whl | awk -F- '{print $NF}')"
[[ -n "$found" && "$tag" == "$found" ]] || die "wheel tag $tag, auditwheel says ${found:-no manylinux tag}"

banner "fresh venv with only the wheel (and pytest)"
# Without pip of its own (ensurepip is slow): the tools' pip installs into it.
python3 -m venv --without-pip "$WORK/venv" || die "venv"
# (The wheel has no dependencies; pytest comes from the wheels downloaded above.)
"$TOOLS/bin/pip" --python "$WORK/venv/bin/python" install --quiet --no-index \
  --find-links "$TOOLS/wheels" "$WHEEL" pytest || die "pip install $(basename "$WHEEL") pytest"

banner "pytest bindings/python/tests (against the installed wheel)"
export OAS_EMULATOR="$(realpath "$EMU")" OAS_EXPECT_INSTALLED="$WORK/venv"
unset OAS_LIB
tests="$(realpath bindings/python/tests)"
set +e
(cd "$WORK" && "$WORK/venv/bin/pytest" -q -p no:cacheprovider "$tests")
rc=$?
set -e
[[ $rc -eq 5 ]] && die "pytest collected no tests"
[[ $rc -eq 0 ]] || die "pytest (exit $rc)"
echo "python package tests passed in $SECONDS s (wheel build included)"
