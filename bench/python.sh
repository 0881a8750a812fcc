#!/usr/bin/env bash
# The Python package against the C library, in the same run: 1 GiB uploaded
# and downloaded through `oas` (bench/python_bench.py, from a venv with the
# wheel built from bindings/python installed) and through bench/transfer_bench.c,
# against one release oas-emulator; medians of interleaved runs and the ratio
# Python / C (target: within 10%, i.e. <= 1.10).
#
#   bench/python.sh [--runs N] [--size-mib M]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source bench/lib.sh

RUNS=3 SIZE_MIB=1024
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --size-mib) SIZE_MIB="$2"; shift 2 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

ensure_rust
ensure_tools cc=gcc python3=python3 readelf=binutils
banner "build (release): liboas, oas-emulator, transfer_bench, the wheel"
cargo build --release -p oas -p oas-emulator >&2 || die "cargo build --release"
work="$(mktemp -d "${TMPDIR:-/tmp}/oas-pybench.XXXXXX")"
emu_pid=""
cleanup() {
  [[ -n "$emu_pid" ]] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/lib"
cp target/release/liboas.so "$work/lib/liboas.so.0"
ln -s liboas.so.0 "$work/lib/liboas.so"
cc -O2 -std=c99 -Wall -Wextra -Iinclude -o "$work/transfer_bench" bench/transfer_bench.c \
  -L"$work/lib" -loas -Wl,-rpath,"$work/lib" || die "building transfer_bench"
rm -rf bindings/python/build bindings/python/*.egg-info
OAS_PREBUILT_LIB="$work/lib/liboas.so.0" python3 -m pip wheel --quiet --no-deps bindings/python \
  -w "$work/dist" >&2 || die "pip wheel"
rm -rf bindings/python/build bindings/python/*.egg-info
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$work"/dist/*.whl || die "pip install"

mkdir -p "$work/data"
target/release/oas-emulator --listen 127.0.0.1:0 --data-dir "$work/data" \
  </dev/null >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
for _ in $(seq 1 300); do
  OAS_ENDPOINT="$(sed -n '1s/^listening on //p' "$work/emu.out")"
  [[ -n "$OAS_ENDPOINT" ]] && break
  sleep 0.1
done
[[ -n "$OAS_ENDPOINT" ]] || die "the emulator did not start"
export OAS_ENDPOINT OAS_ACCESS_ID=OASEMULATORTESTID OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000
export OAS_BENCH_VAULT=liboas-pybench

src="$work/src.bin"
gen_data "$src" "$SIZE_MIB"
c=("$work/transfer_bench") py=("$work/venv/bin/python" bench/python_bench.py)
c_up=() c_down=() py_up=() py_down=() cres=() pyres=()
# one <array> <program...>: upload, download, compare, delete; appends "up down".
one() {
  local -n _out="$1"
  shift
  local up archive down
  read -r up archive <<<"$("$@" upload "$src")" || die "$* upload"
  rm -f "$work/down.bin" "$work/down.bin.oas"
  read -r down _ <<<"$("$@" download "$archive" "$work/down.bin")" || die "$* download"
  cmp -s "$src" "$work/down.bin" || die "$*: the download differs from the source"
  "$@" delete "$archive" >/dev/null || die "$* delete"
  rm -f "$work/down.bin"
  _out+=("$up $down")
}
banner "transfers: ${SIZE_MIB} MiB, $RUNS runs each, interleaved (load $(cut -d' ' -f1-3 /proc/loadavg))"
for ((i = 1; i <= RUNS; i++)); do
  one cres "${c[@]}"
  one pyres "${py[@]}"
  read -r a b <<<"${cres[-1]}"
  c_up+=("$a") c_down+=("$b")
  read -r a b <<<"${pyres[-1]}"
  py_up+=("$a") py_down+=("$b")
  echo "run $i: C upload ${c_up[-1]} s, download ${c_down[-1]} s; Python upload ${py_up[-1]} s, download ${py_down[-1]} s"
done
cu=$(median "${c_up[@]}") cd=$(median "${c_down[@]}") pu=$(median "${py_up[@]}") pd=$(median "${py_down[@]}")
mbs() { awk -v s="$1" -v m="$SIZE_MIB" 'BEGIN {printf "%.0f MB/s", m * 1048576 / s / 1e6}'; }
echo
echo "liboas $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %-22s %-22s %-8s %s\n' "figure (${SIZE_MIB} MiB, median of $RUNS)" "C (transfer_bench)" "Python (oas)" "ratio" "target"
printf '%-28s %-22s %-22s %-8s %s\n' "upload (multipart)" "$cu s, $(mbs "$cu")" "$pu s, $(mbs "$pu")" "$(ratio "$pu" "$cu")x" "<= 1.10x"
printf '%-28s %-22s %-22s %-8s %s\n' "download (job output)" "$cd s, $(mbs "$cd")" "$pd s, $(mbs "$pd")" "$(ratio "$pd" "$cd")x" "<= 1.10x"
