#!/usr/bin/env bash
# The benchmark table of issue 6: every figure measured side by side in the
# same run against md5sum of the same file, medians of several runs.
#
#   bench/run.sh [--runs N] [--quick]
#
#   --runs N   runs per figure (default 3); time figures are medians, peak RSS
#              is the largest value seen
#   OAS_BENCH_SLOW_LINK=1 adds the slow-link rows (bench/slow-link.sh, root).
#   --quick    smoke variant: 128 MiB transfers, RSS at 128 and 256 MiB, one
#              run, a 5 s job instead of 60 s (figures are not comparable with
#              the targets, which are stated for the full sizes)
#
# What runs:
# - digests: bench/digest_bench.c (oas_etag_compute_file through dlopen) on a
#   generated 1 GiB file in the page cache, vs `md5sum` of that file;
# - transfers: bench/transfer_bench.c, a C program linked against the release
#   liboas.so with default client options (endpoint and credentials only),
#   against the release oas-emulator binary started here with its data
#   directory in a temporary directory (same disk as the source file, removed
#   at the end). Upload = oas_vault_upload_archive (multipart: 1 GiB is above
#   the 64 MiB single-request threshold); download = oas_job_download_to_file of
#   a retrieval job's output (fsynced, journaled, verified). Each timed as the
#   library call alone, and as MB/s (10^6 bytes per second);
# - peak RSS of the client process (/usr/bin/time -v) for uploads and
#   downloads of 256 MiB and 4 GiB;
# - DescribeJob requests counted by a second emulator (--job-delay 60, stats
#   endpoint on) while the program waits with oas_job_wait's default
#   intervals; this runs in the background during the other measurements.
#
# Environment: TMPDIR chooses where the temporary directory goes (default /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source bench/lib.sh

RUNS=3
QUICK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs)
      RUNS="${2:-}"
      [[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive number"
      shift 2
      ;;
    --quick) QUICK=1; shift ;;
    -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
SIZE_MIB=1024 RSS_SIZES=(256 4096) JOB_DELAY=60
if [[ $QUICK -eq 1 ]]; then
  SIZE_MIB=128 RSS_SIZES=(128 256) JOB_DELAY=5
  [[ $RUNS -eq 3 ]] && RUNS=1
fi

ensure_rust
ensure_tools cc=gcc curl=curl md5sum=coreutils
ensure_tools /usr/bin/time=time # GNU time, for -v (bash's `time` keyword has no RSS)

banner "build (release): liboas, oas-emulator, bench programs"
cargo build --release -p liboas -p oas-emulator >&2 || die "cargo build --release"
work="$(mktemp -d "${TMPDIR:-/tmp}/oas-bench.XXXXXX")"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
digest_bench="$(build_digest_bench "$work")"
# A private copy under the library's SONAME, so a rebuild during the run
# cannot change what is measured.
mkdir -p "$work/lib"
cp target/release/liboas.so "$work/lib/liboas.so.0"
ln -s liboas.so.0 "$work/lib/liboas.so"
lib="$work/lib/liboas.so.0"
cc -O2 -std=c99 -Wall -Wextra -Iinclude -o "$work/transfer_bench" bench/transfer_bench.c \
  -L"$work/lib" -loas -Wl,-rpath,"$work/lib" || die "building transfer_bench"
emulator="$work/oas-emulator"
cp target/release/oas-emulator "$emulator"

# Disk: the largest phase holds a source, its archive in the emulator and the
# download at once, plus part files in flight.
need_mib=$((3 * RSS_SIZES[1] + 2048))
free_mib=$(df -Pm "$work" | awk 'NR==2 {print $4}')
echo "work directory $work: ${free_mib} MiB free, the largest phase needs about ${need_mib} MiB"
[[ $free_mib -ge $need_mib ]] || die "not enough disk space in ${TMPDIR:-/tmp} (set TMPDIR)"

# start_emulator <name> <args...>: starts the binary with data in $work/<name>;
# sets EP (its endpoint) and EPID.
start_emulator() {
  local name="$1"
  shift
  EP=""
  mkdir -p "$work/$name"
  "$emulator" --listen 127.0.0.1:0 --data-dir "$work/$name" "$@" \
    </dev/null >"$work/$name.out" 2>"$work/$name.err" &
  EPID=$!
  pids+=("$EPID")
  for _ in $(seq 1 300); do # up to 30 s on a loaded machine
    EP="$(sed -n '1s/^listening on //p' "$work/$name.out")"
    [[ -n "$EP" ]] && break
    sleep 0.1
  done
  [[ -n "$EP" ]] || { cat "$work/$name.err" >&2; die "the emulator ($name) did not start"; }
}

# emulator_cpu: user + system seconds the transfer emulator has used so far.
tck=$(getconf CLK_TCK)
emulator_cpu() { awk -v t="$tck" '{print ($14 + $15) / t}' "/proc/$data_pid/stat"; }

export OAS_ACCESS_ID=OASEMULATORTESTID OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000
export OAS_BENCH_VAULT=liboas-bench

# tb <rss-file> <args...>: runs transfer_bench under /usr/bin/time -v; prints
# its stdout ("seconds id").
tb() {
  local rss="$1"
  shift
  /usr/bin/time -v -o "$rss" "$work/transfer_bench" "$@" || {
    cat "$rss" >&2
    die "transfer_bench $*"
  }
}
rss_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$1"; }
cpu_of() { awk -F': ' '/(User|System) time \(seconds\)/ {c += $2} END {print c}' "$1"; }
add() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a + b}'; }

banner "status calls: a ${JOB_DELAY} s job, waited for in the background"
start_emulator wait --job-delay "$JOB_DELAY" --faults
wait_ep="$EP"
gen_data "$work/small.bin" 1
read -r _ small_archive <<<"$(OAS_ENDPOINT="$wait_ep" tb "$work/wait-up.rss" upload "$work/small.bin")"
curl -fsS -X DELETE "$wait_ep/_emulator/stats" >/dev/null
OAS_ENDPOINT="$wait_ep" "$work/transfer_bench" wait "$small_archive" >"$work/wait.result" 2>&1 &
wait_pid=$!

banner "transfers: ${SIZE_MIB} MiB, $RUNS runs"
export OAS_ENDPOINT
start_emulator data
OAS_ENDPOINT="$EP" data_pid="$EPID"
src="$work/src-${SIZE_MIB}.bin"
gen_data "$src" "$SIZE_MIB"
md5_w=() md5_c=() both_w=() both_c=() tree_w=() tree_c=() up_s=() up_c=() down_s=() down_c=()
up_cc=() down_cc=() # the client's own CPU seconds
archive=""
for ((i = 1; i <= RUNS; i++)); do
  # Interleaved, so that load changes hit every figure alike.
  read -r w c <<<"$(time_once md5sum "$src")"
  md5_w+=("$w") md5_c+=("$c")
  read -r w c <<<"$(time_once "$digest_bench" "$lib" both "$src")"
  both_w+=("$w") both_c+=("$c")
  read -r w c <<<"$(time_once "$digest_bench" "$lib" tree "$src")"
  tree_w+=("$w") tree_c+=("$c")
  sync # untimed: no write-back of an earlier figure in this one
  e0=$(emulator_cpu)
  read -r s new_archive <<<"$(tb "$work/up.rss" upload "$src")"
  up_s+=("$s") up_cc+=("$(cpu_of "$work/up.rss")")
  up_c+=("$(add "${up_cc[-1]}" "$(awk -v a="$(emulator_cpu)" -v b="$e0" 'BEGIN {print a - b}')")")
  # Keep one archive on the emulator's disk.
  if [[ -n "$archive" ]]; then tb "$work/del.rss" delete "$archive" >/dev/null; fi
  archive="$new_archive"
  rm -f "$work/down.bin" "$work/down.bin.oas"
  sync
  e0=$(emulator_cpu)
  read -r s _ <<<"$(tb "$work/down.rss" download "$archive" "$work/down.bin")"
  down_s+=("$s") down_cc+=("$(cpu_of "$work/down.rss")")
  down_c+=("$(add "${down_cc[-1]}" "$(awk -v a="$(emulator_cpu)" -v b="$e0" 'BEGIN {print a - b}')")")
  cmp -s "$src" "$work/down.bin" || die "the download differs from the source"
  echo "run $i: md5sum ${md5_w[-1]} s, digests ${both_w[-1]} s, tree ${tree_w[-1]} s," \
    "upload ${up_s[-1]} s (cpu ${up_c[-1]} s, client ${up_cc[-1]} s)," \
    "download ${down_s[-1]} s (cpu ${down_c[-1]} s, client ${down_cc[-1]} s), load $(cut -d' ' -f1 /proc/loadavg)"
done
tb "$work/del.rss" delete "$archive" >/dev/null
rm -f "$src" "$work/down.bin"

declare -A rss
for mib in "${RSS_SIZES[@]}"; do
  banner "peak RSS: ${mib} MiB upload and download, $RUNS runs"
  f="$work/src-${mib}.bin"
  gen_data "$f" "$mib"
  ups=() downs=()
  for ((i = 1; i <= RUNS; i++)); do
    read -r s a <<<"$(tb "$work/up.rss" upload "$f")"
    ups+=("$(rss_mib "$work/up.rss")")
    rm -f "$work/down.bin" "$work/down.bin.oas"
    read -r s2 _ <<<"$(tb "$work/down.rss" download "$a" "$work/down.bin")"
    downs+=("$(rss_mib "$work/down.rss")")
    cmp -s "$f" "$work/down.bin" || die "the ${mib} MiB download differs from the source"
    tb "$work/del.rss" delete "$a" >/dev/null
    rm -f "$work/down.bin"
    echo "run $i: upload $s s, ${ups[-1]} MiB; download $s2 s, ${downs[-1]} MiB"
  done
  rss[up$mib]="$(maximum "${ups[@]}")"
  rss[down$mib]="$(maximum "${downs[@]}")"
  rm -f "$f"
done

banner "status calls: waiting for the ${JOB_DELAY} s job to end"
wait "$wait_pid" || { cat "$work/wait.result" >&2; die "waiting for the job failed"; }
read -r wait_s _ <"$work/wait.result"
calls=$(curl -fsS "$wait_ep/_emulator/stats" |
  sed -n 's/.*"DescribeJob":\([0-9]*\).*/\1/p')
calls=${calls:-0}

# ---- the table ----
pass() { awk -v v="$1" -v t="$2" 'BEGIN {print (v <= t) ? "PASS" : "MISS"}'; }
md5=$(median "${md5_w[@]}")
both=$(median "${both_w[@]}")
tree=$(median "${tree_w[@]}")
up=$(median "${up_s[@]}")
down=$(median "${down_s[@]}")
mbs() { awk -v s="$1" -v m="$SIZE_MIB" 'BEGIN {printf "%.0f", m * 1048576 / s / 1e6}'; }
size_label=$([[ $SIZE_MIB -ge 1024 ]] && echo "$((SIZE_MIB / 1024)) GiB" || echo "$SIZE_MIB MiB")
label_of() { [[ $1 -ge 1024 ]] && echo "$(($1 / 1024)) GiB" || echo "$1 MiB"; }

banner "results"
echo "liboas $(git describe --always --dirty 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')," \
  "$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "times: median of $RUNS runs; md5sum baseline measured in the same runs: $md5 s wall, $(median "${md5_c[@]}") s cpu for $size_label"
echo "cpu: user + system seconds (for transfers: client + emulator), median; on an idle machine wall >= cpu / $(nproc)"
fmt='%-36s %-24s %-8s %-16s %-8s %-10s %s\n'
# shellcheck disable=SC2059
printf "$fmt" figure measured "cpu s" baseline ratio target result
row_ratio() { # row_ratio <figure> <seconds> <measured text> <cpu> <target ratio>
  local r
  r=$(ratio "$2" "$md5")
  # shellcheck disable=SC2059
  printf "$fmt" "$1" "$3" "$4" "md5sum $md5 s" "${r}x" "<= ${5}x" "$(pass "$r" "$5")"
}
row_ratio "both digests, $size_label" "$both" "$both s" "$(median "${both_c[@]}")" 0.95
per_gib() { awk -v c="$1" -v m="$SIZE_MIB" 'BEGIN {printf "%.2f", c * 1024 / m}'; }
both_cpu=$(per_gib "$(median "${both_c[@]}")")
# shellcheck disable=SC2059
printf "$fmt" "both digests: cpu per GiB" "$both_cpu s/GiB" "$(median "${both_c[@]}")" "-" "-" "<= 2.0 s" "$(pass "$both_cpu" 2.0)"
row_ratio "tree etag alone, $size_label" "$tree" "$tree s" "$(median "${tree_c[@]}")" 0.15
row_ratio "upload (multipart), $size_label" "$up" "$up s, $(mbs "$up") MB/s" "$(median "${up_c[@]}")" 1.4
row_ratio "download (job output), $size_label" "$down" "$down s, $(mbs "$down") MB/s" "$(median "${down_c[@]}")" 0.8
for dir in up down; do
  name=$([[ $dir == up ]] && echo upload || echo download)
  arr="${dir}_cc[@]"
  c=$(median "${!arr}")
  # shellcheck disable=SC2059
  printf "$fmt" "client cpu per GiB, $name" "$(per_gib "$c") s/GiB" "$c" "-" "-" "(report)" "-"
done
for mib in "${RSS_SIZES[@]}"; do
  for dir in up down; do
    name=$([[ $dir == up ]] && echo upload || echo download)
    # shellcheck disable=SC2059
    printf "$fmt" "client peak RSS, $name $(label_of "$mib")" "${rss[$dir$mib]} MiB" "-" "-" "-" \
      "<= 64 MiB" "$(pass "${rss[$dir$mib]}" 64)"
  done
done
# shellcheck disable=SC2059
printf "$fmt" "DescribeJob calls, ${JOB_DELAY} s job" "$calls (wait ${wait_s} s)" "-" "-" "-" "<= 8" \
  "$(pass "$calls" 8)"

# Slow-link rows (issue 15): a 200 Mbit/s link with 40 and 80 ms RTT, in a
# network namespace with a delay proxy (bench/slow-link.sh; needs root).
if [[ ${OAS_BENCH_SLOW_LINK:-0} == 1 ]]; then
  banner "slow link (bench/slow-link.sh)"
  bench/slow-link.sh --size-mib "$([[ $QUICK -eq 1 ]] && echo 128 || echo 512)"
fi
