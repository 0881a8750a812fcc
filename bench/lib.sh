# Helpers shared by bench/digest.sh and bench/run.sh (sourced, not run).
# Callers set RUNS (number of runs a median is taken over).

# gen_data <path> <MiB>: an incompressible, reproducible file of that size
# (AES-CTR keystream from openssl when present, else /dev/urandom), kept when
# it already has the size; then read once into the page cache.
gen_data() {
  local path="$1" mib="$2"
  if [[ ! -f "$path" || $(stat -c %s "$path") -ne $((mib << 20)) ]]; then
    echo "generating $path (${mib} MiB)" >&2
    if command -v openssl >/dev/null 2>&1; then
      # (head closing the pipe ends openssl with SIGPIPE: not an error here)
      { openssl enc -aes-128-ctr -nosalt -pass pass:oas-bench -pbkdf2 </dev/zero 2>/dev/null || true; } |
        head -c $((mib << 20)) >"$path"
    else
      head -c $((mib << 20)) /dev/urandom >"$path"
    fi
  fi
  cat "$path" >/dev/null
}

# build_digest_bench <dir>: compiles bench/digest_bench.c into <dir>; prints its path.
build_digest_bench() {
  cc -O2 -std=c99 -Wall -Wextra -o "$1/digest_bench" bench/digest_bench.c -ldl
  echo "$1/digest_bench"
}

# median <numbers...>
median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

# maximum <numbers...>
maximum() {
  printf '%s\n' "$@" | sort -g | tail -1
}

# ratio <a> <b>: a / b
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

# time_once <command...>: "wall cpu" seconds of one run (output discarded).
# The disk is flushed first (untimed), so that write-back left by an earlier
# figure does not land in this one.
time_once() {
  local out
  sync
  out=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null; } 2>&1 | tail -1)
  awk '{print $1, $2 + $3}' <<<"$out"
}

# median_time <command...>: "wall cpu" medians (seconds) over $RUNS runs; cpu
# is user + system time of the process, shown because other load on the
# machine inflates wall times of multi-threaded runs the most.
median_time() {
  local walls=() cpus=() i w c
  for ((i = 0; i < RUNS; i++)); do
    read -r w c <<<"$(time_once "$@")"
    walls+=("$w")
    cpus+=("$c")
  done
  echo "$(median "${walls[@]}") $(median "${cpus[@]}")"
}
