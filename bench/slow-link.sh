#!/usr/bin/env bash
# Transfers over a shaped link (issue 15, item 5): 200 Mbit/s, 40 ms and
# 80 ms round trips, with the default client options and with more workers.
#
#   bench/slow-link.sh [--size-mib M] [--window BYTES] [--workers "4 8 16 32"]
#
# The link: the release emulator runs in a network namespace of its own
# (`ip netns`), reached over a veth pair whose both ends have a tbf qdisc at
# 200 Mbit/s (this kernel has no netem). Latency: bench/delay_proxy.py, on the
# host side, holds every chunk for half the RTT in each direction and keeps at
# most one window (default 128 KiB, the kernel's default initial receive
# buffer) in flight per connection and direction. It models per-connection
# throughput = window / RTT, the bound a TCP window puts on a long link; it
# does not model loss, slow start or congestion control. All traffic stays on
# loopback and in the namespace. Needs root (ip, tc).
#
# Rows: upload (oas_vault_upload_archive) and download (oas_job_download_to_file)
# of an M MiB file (default 512: 8 parts of 64 MiB, 16 ranges of 32 MiB), as
# MB/s and as a fraction of the link rate (25 MB/s), for each RTT with the
# default workers (16) and with each count of --workers (those runs use 16 MiB
# parts and ranges so that every worker has work).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SIZE_MIB=512 WINDOW=131072 WORKERS="4 16 32" RATE_MBIT=200
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size-mib) SIZE_MIB="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "needs root (ip netns, tc)"
ensure_rust
ensure_tools cc=gcc ip=iproute2 tc=iproute2 python3=python3

# OAS_CARGO_PROFILE=dev measures the debug build instead (no release build needed).
PROFILE="${OAS_CARGO_PROFILE:-release}"
PDIR=$([[ $PROFILE == dev ]] && echo debug || echo "$PROFILE")
cargo build --profile "$PROFILE" -p liboas -p oas-emulator >&2 || die "cargo build --profile $PROFILE"
work="$(mktemp -d "${TMPDIR:-/tmp}/oas-slow.XXXXXX")"
ns="oas-slow-$$" va="oasa$$" vb="oasb$$" net="10.231.$(($$ % 250)).0"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  ip link del "$va" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/lib"
cp "target/$PDIR/liboas.so" "$work/lib/liboas.so.0"
ln -s liboas.so.0 "$work/lib/liboas.so"
cc -O2 -std=c99 -Wall -Wextra -Iinclude -o "$work/scale_transfer" bench/scale_transfer.c \
  -L"$work/lib" -loas -Wl,-rpath,"$work/lib" || die "building scale_transfer"

host="${net%.0}.1" peer="${net%.0}.2"
ip netns add "$ns"
ip link add "$va" type veth peer name "$vb"
ip link set "$vb" netns "$ns"
ip addr add "$host/24" dev "$va"
ip link set "$va" up
ip netns exec "$ns" ip addr add "$peer/24" dev "$vb"
ip netns exec "$ns" ip link set "$vb" up
ip netns exec "$ns" ip link set lo up
for dev in "$va" "ns:$vb"; do
  if [[ $dev == ns:* ]]; then pre=(ip netns exec "$ns"); dev="${dev#ns:}"; else pre=(); fi
  "${pre[@]}" tc qdisc add dev "$dev" root tbf rate "${RATE_MBIT}mbit" burst 256kb latency 200ms
done

mkdir -p "$work/data"
ip netns exec "$ns" "target/$PDIR/oas-emulator" --listen "$peer:0" --data-dir "$work/data" \
  </dev/null >"$work/emu.out" 2>"$work/emu.err" &
pids+=($!)
ep=""
for _ in $(seq 1 300); do
  ep="$(sed -n '1s/^listening on //p' "$work/emu.out")"
  [[ -n "$ep" ]] && break
  sleep 0.1
done
[[ -n "$ep" ]] || die "the emulator did not start"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$work/src.bin"
export OAS_ACCESS_ID=OASEMULATORTESTID OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000
export OAS_BENCH_VAULT=liboas-slow

# proxy <rtt ms>: starts a delay proxy to the emulator; sets PROXY (its URL).
proxy() {
  python3 bench/delay_proxy.py --listen 127.0.0.1:0 --target "${ep#http://}" \
    --rtt-ms "$1" --window "$WINDOW" >"$work/proxy.out" 2>"$work/proxy.err" &
  pids+=($!)
  PROXY=""
  for _ in $(seq 1 100); do
    PROXY="$(sed -n '1s/^listening on //p' "$work/proxy.out")"
    [[ -n "$PROXY" ]] && break
    sleep 0.1
  done
  [[ -n "$PROXY" ]] || die "the delay proxy did not start"
  PROXY="http://$PROXY"
}

link_mbs=$(awk -v r="$RATE_MBIT" 'BEGIN {print r * 1e6 / 8 / 1e6}')
row() { # row <label> <seconds>
  awk -v l="$1" -v s="$2" -v m="$SIZE_MIB" -v link="$link_mbs" \
    'BEGIN {mbs = m * 1048576 / s / 1e6; printf "%-44s %7.2f s %7.1f MB/s %6.1f%% of link\n", l, s, mbs, 100 * mbs / link}'
}
results=()
for rtt in 40 80; do
  proxy "$rtt"
  # Defaults (part/range size 0 = the SDK's plan, 16 workers).
  read -r up_s archive _ < <(OAS_ENDPOINT="$PROXY" "$work/scale_transfer" upload "$work/src.bin" 0)
  read -r down_s _ < <(OAS_ENDPOINT="$PROXY" "$work/scale_transfer" download "$archive" "$work/out.bin" 0)
  cmp -s "$work/src.bin" "$work/out.bin" || die "download differs"
  results+=("$(row "${rtt} ms upload, default workers (16)" "$up_s")")
  results+=("$(row "${rtt} ms download, default workers (16)" "$down_s")")
  for w in $WORKERS; do
    read -r up_s archive _ < <(OAS_BENCH_WORKERS="$w" OAS_ENDPOINT="$PROXY" "$work/scale_transfer" upload "$work/src.bin" 16)
    read -r down_s _ < <(OAS_BENCH_WORKERS="$w" OAS_ENDPOINT="$PROXY" "$work/scale_transfer" download "$archive" "$work/out.bin" 16)
    results+=("$(row "${rtt} ms upload, $w workers, 16 MiB parts" "$up_s")")
    results+=("$(row "${rtt} ms download, $w workers, 16 MiB ranges" "$down_s")")
  done
  kill "${pids[-1]}" 2>/dev/null || true
done
banner "slow link: ${RATE_MBIT} Mbit/s (${link_mbs} MB/s), window ${WINDOW} B per connection and direction, ${SIZE_MIB} MiB, $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v w="$WINDOW" 'BEGIN {printf "per-connection bound window/RTT: %.1f MB/s at 40 ms, %.1f MB/s at 80 ms\n", w / 0.04 / 1e6, w / 0.08 / 1e6}'
printf '%s\n' "${results[@]}"
