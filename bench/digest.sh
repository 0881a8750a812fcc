#!/usr/bin/env bash
# Digest benchmark: on a generated file (1 GiB by default) held in the page
# cache, the median wall time of several runs of
#   md5sum                       (the reference, measured in the same run)
#   both digests via liboas      (oas_etag_compute_file, one read)
#   tree etag alone via liboas
# printed as ratios to md5sum, with the CPU seconds (user + system) of each.
# Targets (issue 15): both <= 0.95x with <= 2.0 CPU s, tree <= 0.15x.
# The tree leaves are hashed by the multi-buffer MD5 (src/md5multi.rs); the
# library is also measured with OAS_MD5_BACKEND=scalar (and avx2 when the
# machine has AVX-512), the same build with the leaves on the scalar core.
#
#   bench/digest.sh [--runs N] [--size-mib M] [--against LIB.so]...
#
#   --against LIB  also measure another build of liboas.so (e.g. one built
#                  from main, for a before/after in the same run)
#
# The MD5 core is src/md5core.rs; README.md ("Performance") records how it
# compared with the md-5 crate with and without its `asm` feature.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

RUNS=5
SIZE_MIB=1024
AGAINST=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --size-mib) SIZE_MIB="$2"; shift 2 ;;
    --against) AGAINST+=("$(realpath "$2")"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
work="${OAS_BENCH_DIR:-target/bench}"
mkdir -p "$work"
data="$work/data-${SIZE_MIB}MiB.bin"
gen_data "$data" "$SIZE_MIB"
build_digest_bench "$work" >/dev/null

build_lib() { # build_lib <name> [cargo args...]
  local name="$1"
  shift
  cargo build --release --lib "$@" >&2
  cp target/release/liboas.so "$work/liboas-$name.so"
  echo "$work/liboas-$name.so"
}

libs=("$(build_lib default)")
# The same build with the leaves on narrower back ends, then other builds.
backends=(scalar)
grep -qw avx512f /proc/cpuinfo && grep -qw avx2 /proc/cpuinfo && backends+=(avx2)
for b in "${backends[@]}"; do libs+=("${libs[0]}@$b"); done
libs+=("${AGAINST[@]}")

echo "file: $data (${SIZE_MIB} MiB), median of $RUNS runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
read -r w_md5 c_md5 <<<"$(median_time md5sum "$data")"
printf '%-40s %7.3f s wall                   %7.3f s cpu\n' "md5sum" "$w_md5" "$c_md5"
report() { # report <label> <target> <command...>
  local label="$1" target="$2" w c
  shift 2
  read -r w c <<<"$(median_time "$@")"
  printf '%-40s %7.3f s wall %5.2fx md5sum %s %7.3f s cpu\n' "$label" "$w" "$(ratio "$w" "$w_md5")" "$target" "$c"
}
for spec in "${libs[@]}"; do
  lib="${spec%@*}" backend=""
  [[ "$spec" == *@* ]] && backend="${spec##*@}"
  name="$(basename "$lib" .so)${backend:+ (OAS_MD5_BACKEND=$backend)}"
  run=(env ${backend:+OAS_MD5_BACKEND=$backend} "$work/digest_bench" "$lib")
  report "$name: both digests" "(<=0.95)" "${run[@]}" both "$data"
  report "$name: tree etag alone" "(<=0.15)" "${run[@]}" tree "$data"
  report "$name: content etag alone" "        " "${run[@]}" etag "$data"
done
# Check the digests agree with md5sum while we are here.
etag=$("$work/digest_bench" "${libs[-1]}" etag "$data" | awk '{print $1}')
ref=$(md5sum "$data" | awk '{print toupper($1)}')
[[ "$etag" == "$ref" ]] || { echo "content etag $etag != md5sum $ref" >&2; exit 1; }
