#!/usr/bin/env bash
# Digest benchmark: on a generated file (1 GiB by default) held in the page
# cache, the median wall time of several runs of
#   md5sum                       (the reference, measured in the same run)
#   both digests via liboas      (oas_etag_compute_file, one read)
#   tree etag alone via liboas
# printed as ratios to md5sum. Targets: both <= 1.10x, tree <= 0.65x.
#
#   bench/digest.sh [--runs N] [--size-mib M]
#
# The MD5 core is src/md5core.rs; README.md ("Benchmark") records how it
# compared with the md-5 crate with and without its `asm` feature.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

RUNS=5
SIZE_MIB=1024
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --size-mib) SIZE_MIB="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

work="${OAS_BENCH_DIR:-target/bench}"
mkdir -p "$work"
data="$work/data-${SIZE_MIB}MiB.bin"

if [[ ! -f "$data" || $(stat -c %s "$data") -ne $((SIZE_MIB << 20)) ]]; then
  echo "generating $data"
  # Incompressible, reproducible, fast: AES-CTR keystream from openssl if
  # present, else /dev/urandom.
  if command -v openssl >/dev/null 2>&1; then
    # (head closing the pipe ends openssl with SIGPIPE: not an error here)
    { openssl enc -aes-128-ctr -nosalt -pass pass:oas-bench -pbkdf2 </dev/zero 2>/dev/null || true; } |
      head -c $((SIZE_MIB << 20)) >"$data"
  else
    head -c $((SIZE_MIB << 20)) /dev/urandom >"$data"
  fi
fi
cat "$data" >/dev/null # into the page cache

cc -O2 -std=c99 -Wall -Wextra -o "$work/digest_bench" bench/digest_bench.c -ldl

build_lib() { # build_lib <name> [cargo args...]
  local name="$1"
  shift
  cargo build --release --lib "$@" >&2
  cp target/release/liboas.so "$work/liboas-$name.so"
  echo "$work/liboas-$name.so"
}

libs=("$(build_lib default)")

# median_time <command...>: "wall cpu" medians (seconds) over $RUNS runs; cpu
# is user + system time of the process, shown because other load on the
# machine inflates wall times of multi-threaded runs the most.
median_time() {
  local walls=() cpus=() i out
  for ((i = 0; i < RUNS; i++)); do
    out=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null; } 2>&1 | tail -1)
    walls+=("$(awk '{print $1}' <<<"$out")")
    cpus+=("$(awk '{print $2 + $3}' <<<"$out")")
  done
  echo "$(median "${walls[@]}") $(median "${cpus[@]}")"
}

median() {
  printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }

echo "file: $data (${SIZE_MIB} MiB), median of $RUNS runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
read -r w_md5 c_md5 <<<"$(median_time md5sum "$data")"
printf '%-34s %7.3f s wall                   %7.3f s cpu\n' "md5sum" "$w_md5" "$c_md5"
report() { # report <label> <target> <command...>
  local label="$1" target="$2" w c
  shift 2
  read -r w c <<<"$(median_time "$@")"
  printf '%-34s %7.3f s wall %5.2fx md5sum %s %7.3f s cpu\n' "$label" "$w" "$(ratio "$w" "$w_md5")" "$target" "$c"
}
for lib in "${libs[@]}"; do
  name="$(basename "$lib" .so)"
  report "$name: both digests" "(<=1.10)" "$work/digest_bench" "$lib" both "$data"
  report "$name: tree etag alone" "(<=0.65)" "$work/digest_bench" "$lib" tree "$data"
  report "$name: content etag alone" "        " "$work/digest_bench" "$lib" etag "$data"
done
# Check the digests agree with md5sum while we are here.
etag=$("$work/digest_bench" "${libs[-1]}" etag "$data" | awk '{print $1}')
ref=$(md5sum "$data" | awk '{print toupper($1)}')
[[ "$etag" == "$ref" ]] || { echo "content etag $etag != md5sum $ref" >&2; exit 1; }
