#!/usr/bin/env bash
# Scale to the protocol's limits (issue 15, item 1): the slow versions of the
# scale tests, each printing its figure and the peak RSS of client and
# emulator.
#
#   bench/scale.sh [--skip-transfers]
#
# 1. inventory: 1 000 000 archives (~250 MB of JSON, generated) streamed
#    through oas_inventory_* (tests/c/test_inventory_scale.c, release
#    library): time per million entries, peak RSS (bound 64 MiB);
# 2. one vault with 100 000 archives, 5 000 multipart uploads and 5 000 jobs
#    (bulk-seeded through the emulator's test-only POST /_emulator/seed):
#    list_all_* over every page, the inventory generated and streamed back
#    (emulator/tests/scale_listing.rs with the full counts, release build);
# 3. transfers at the count limits (skipped with --skip-transfers): a
#    10 000-part multipart upload (a sparse 10 000 MiB source, 1 MiB parts,
#    default workers) and the download of that archive planned as 10 000
#    ranges of 1 MiB. Needs ~21 GB of disk in TMPDIR (the emulator stores the
#    archive, the download writes it). The part-size doubling rule and plans
#    at 40 000 GiB are covered without moving data by tests/scale_plan.rs.
#
# Environment: TMPDIR chooses where the temporary directory goes (default /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TRANSFERS=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-transfers) TRANSFERS=0; shift ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

ensure_rust
ensure_tools cc=gcc /usr/bin/time=time

banner "build (release): liboas, oas-emulator, bench programs"
cargo build --release -p oas -p oas-emulator >&2 || die "cargo build --release"
work="$(mktemp -d "${TMPDIR:-/tmp}/oas-scale.XXXXXX")"
epid=""
cleanup() {
  [[ -n "$epid" ]] && { kill "$epid" 2>/dev/null && wait "$epid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/lib"
cp target/release/liboas.so "$work/lib/liboas.so.0"
ln -s liboas.so.0 "$work/lib/liboas.so"
for prog in tests/c/test_inventory_scale.c bench/scale_transfer.c; do
  cc -O2 -std=c99 -Wall -Wextra -Iinclude -Itests/c -o "$work/$(basename "$prog" .c)" "$prog" \
    -L"$work/lib" -loas -Wl,-rpath,"$work/lib" || die "building $prog"
done
rss_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$1"; }
rows=()

banner "1. inventory of 1 000 000 archives through oas_inventory_*"
TMPDIR="$work" /usr/bin/time -v -o "$work/inv.rss" "$work/test_inventory_scale" \
  --entries 1000000 --max-rss-mib 64 | tee "$work/inv.out"
line="$(grep 'test_inventory_scale:' "$work/inv.out")"
per_m="$(sed -n 's/.*(\([0-9.]*\) s per million entries).*/\1/p' <<<"$line")"
mb="$(sed -n 's/.*entries, \([0-9.]*\) MB of JSON.*/\1/p' <<<"$line")"
rows+=("inventory 1 000 000 entries (${mb} MB)|${per_m} s per million|client peak RSS $(rss_mib "$work/inv.rss") MiB (<= 64)")

banner "2. one vault: 100 000 archives, 5 000 uploads, 5 000 jobs (release)"
OAS_SCALE_ARCHIVES=100000 OAS_SCALE_UPLOADS=5000 OAS_SCALE_JOBS=5000 TMPDIR="$work" \
  cargo test --release -p oas-emulator --test scale_listing -- --nocapture 2>&1 | tee "$work/list.out"
grep -q 'test result: ok' "$work/list.out" || die "scale_listing failed"
line="$(grep '^scale:' "$work/list.out")"
rows+=("listing + inventory, 100 000 archives|$(sed 's/^scale: //' <<<"$line")|")

if [[ $TRANSFERS -eq 1 ]]; then
  banner "3. a 10 000-part upload and a 10 000-range download (10 000 MiB)"
  free_mib=$(df -Pm "$work" | awk 'NR==2 {print $4}')
  [[ $free_mib -ge 21000 ]] || die "need ~21 GB free in ${TMPDIR:-/tmp}, have ${free_mib} MiB"
  mkdir -p "$work/data"
  target/release/oas-emulator --listen 127.0.0.1:0 --data-dir "$work/data" \
    </dev/null >"$work/emu.out" 2>"$work/emu.err" &
  epid=$!
  ep=""
  for _ in $(seq 1 300); do
    ep="$(sed -n '1s/^listening on //p' "$work/emu.out")"
    [[ -n "$ep" ]] && break
    sleep 0.1
  done
  [[ -n "$ep" ]] || die "the emulator did not start"
  export OAS_ENDPOINT="$ep" OAS_ACCESS_ID=OASEMULATORTESTID
  export OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000 OAS_BENCH_VAULT=liboas-scale
  truncate -s $((10000 << 20)) "$work/src.bin"
  read -r up_s archive parts < <(/usr/bin/time -v -o "$work/up.rss" "$work/scale_transfer" upload "$work/src.bin" 1)
  read -r down_s ranges < <(/usr/bin/time -v -o "$work/down.rss" "$work/scale_transfer" download "$archive" "$work/out.bin" 1)
  emu_rss="$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$epid/status")"
  [[ $(stat -c %s "$work/out.bin") -eq $((10000 << 20)) ]] || die "download has the wrong size"
  # The source is all zeros: so must the copy be.
  cmp -s -n $((10000 << 20)) "$work/out.bin" /dev/zero || die "downloaded bytes differ from the source"
  mbps() { awk -v s="$1" 'BEGIN {printf "%.0f", 10000 * 1048576 / s / 1e6}'; }
  rows+=("upload, ${parts} parts of 1 MiB|${up_s} s, $(mbps "$up_s") MB/s|client peak RSS $(rss_mib "$work/up.rss") MiB")
  rows+=("download, ${ranges} ranges of 1 MiB|${down_s} s, $(mbps "$down_s") MB/s|client peak RSS $(rss_mib "$work/down.rss") MiB; emulator peak RSS ${emu_rss} MiB")
fi

banner "results ($(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
for r in "${rows[@]}"; do
  IFS='|' read -r a b c <<<"$r"
  printf '%-42s %s\n%-42s %s\n' "$a" "$b" "" "$c"
done
