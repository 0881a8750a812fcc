#!/usr/bin/env bash
# Digest benchmark: on a generated file (1 GiB by default) held in the page
# cache, the median wall time of several runs of
#   md5sum                       (the reference, measured in the same run)
#   both digests via liboas      (oas_etag_compute_file, one read)
#   tree etag alone via liboas
# printed as ratios to md5sum. Targets: both <= 1.10x, tree <= 0.65x.
#
#   bench/digest.sh [--runs N] [--size-mib M] [--compare-md5-backends]
#
# --compare-md5-backends also builds the library without the md-5 `asm`
# feature (cargo --no-default-features) and measures both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

RUNS=5
SIZE_MIB=1024
COMPARE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --size-mib) SIZE_MIB="$2"; shift 2 ;;
    --compare-md5-backends) COMPARE=1; shift ;;
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
    openssl enc -aes-128-ctr -nosalt -pass pass:oas-bench -pbkdf2 </dev/zero 2>/dev/null |
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

libs=()
if [[ $COMPARE -eq 1 ]]; then
  libs+=("$(build_lib no-asm --no-default-features)")
fi
libs+=("$(build_lib default)")

# median_time <command...>: median wall seconds over $RUNS runs.
median_time() {
  local times=() i start end
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }

echo "file: $data (${SIZE_MIB} MiB), median of $RUNS runs, $(nproc) cores"
t_md5=$(median_time md5sum "$data")
printf '%-34s %7.3f s\n' "md5sum" "$t_md5"
for lib in "${libs[@]}"; do
  name="$(basename "$lib" .so)"
  t_both=$(median_time "$work/digest_bench" "$lib" both "$data")
  t_tree=$(median_time "$work/digest_bench" "$lib" tree "$data")
  t_etag=$(median_time "$work/digest_bench" "$lib" etag "$data")
  printf '%-34s %7.3f s  %5.2fx md5sum  (target <= 1.10x)\n' "$name: both digests" "$t_both" "$(ratio "$t_both" "$t_md5")"
  printf '%-34s %7.3f s  %5.2fx md5sum  (target <= 0.65x)\n' "$name: tree etag alone" "$t_tree" "$(ratio "$t_tree" "$t_md5")"
  printf '%-34s %7.3f s  %5.2fx md5sum\n' "$name: content etag alone" "$t_etag" "$(ratio "$t_etag" "$t_md5")"
done
# Check the digests agree with md5sum while we are here.
etag=$("$work/digest_bench" "${libs[-1]}" etag "$data" | awk '{print $1}')
ref=$(md5sum "$data" | awk '{print toupper($1)}')
[[ "$etag" == "$ref" ]] || { echo "content etag $etag != md5sum $ref" >&2; exit 1; }
