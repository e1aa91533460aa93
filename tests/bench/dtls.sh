#!/bin/bash
# DTLS-PSK benchmark: lwbsd (release build, embedded store, one dtls
# listener, libcoap 4.3.1 + OpenSSL) and lwbs-devsim's closed-loop load
# generator on the same machine, on loopback. Every device has its own PSK
# identity (psk-<i>, one shared key) and its own source address.
#
#   tests/bench/dtls.sh [-c CONCURRENCY] [-d SECONDS] [-r RUNS] [-m DEVICES]
#                       [-k full|handshake|both] [-C CIPHERS]
#
# full:      a session is a new socket, the DTLS-PSK handshake (cookie
#            exchange included), the whole bootstrap over that association
#            (Bootstrap-Request, Discover, Delete /, Write /0/x, /1/x, /2/x,
#            Finish) and close_notify;
# handshake: the handshake alone, then close_notify (devsim --handshake-only).
#
# Prints one JSON line per run and a min/median/max summary per kind:
# sessions/s, failed, p50/p99 (devsim, from the first ClientHello), lwbsd
# CPU µs per session (utime+stime from /proc/PID/stat over the measured
# window), lwbsd peak RSS (VmHWM), devsim CPU µs per session, kernel
# RcvbufErrors during the run. Not a test: the numbers go to
# docs/BENCHMARKS.md with the command, commit and machine.
set -euo pipefail

conc=1000 dur=20 runs=3 devices=20000 warmup=2 kinds=both ciphers=
while getopts "c:d:r:m:k:C:" o; do
	case "$o" in
	c) conc=$OPTARG ;;
	d) dur=$OPTARG ;;
	r) runs=$OPTARG ;;
	m) devices=$OPTARG ;;
	k) kinds=$OPTARG ;;
	C) ciphers=$OPTARG ;;
	*) echo "usage: $0 [-c conc] [-d seconds] [-r runs] [-m devices] [-k full|handshake|both] [-C ciphers]" >&2; exit 2 ;;
	esac
done
case "$kinds" in
full | handshake) ;;
both) kinds="full handshake" ;;
*) echo "$0: -k full, handshake or both" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build-release}
if [ ! -d "$build/meson-private" ]; then
	meson setup "$build" "$root" --buildtype=release >/dev/null
fi
ninja -C "$build" >/dev/null
lwbsd=$build/src/daemon/lwbsd
devsim=$build/tests/devsim/lwbs-devsim

tmp=$(mktemp -d)
chmod 755 "$tmp"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The listener asks for 4 MiB; let the kernel grant it.
if [ "$(id -u)" -eq 0 ]; then
	sysctl -qw net.core.rmem_max=8388608 net.core.wmem_max=8388608 || true
fi

key=$(python3 -c 'import os; print(os.urandom(16).hex())')
python3 - "$tmp/devices.yaml" "$devices" "$key" <<'PY'
import sys
path, n, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    f.write("""profiles:
  - name: bench
    servers:
      - uri: coap://dm.example.net:5683
        ssid: 101
        security: nosec
        lifetime: 86400
    acl:
      - object: 3
        instance: 0
        owner: 101
        entries: {101: RWE}
    delete: ["/"]
devices:
""")
    for i in range(n):
        f.write(f"  - {{endpoint: dev-{i}, profile: bench, psk_identity: psk-{i}, psk_key: hex:{key}}}\n")
PY
chmod 600 "$tmp/devices.yaml"

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/lwbsd.yaml" <<EOF2
listeners:
  - address: 127.0.0.1
    port: $port
    transport: dtls
    accept: [psk]
    receive_buffer: 4194304
store:
  type: embedded
  files: [devices.yaml]
audit:
  file: audit.jsonl
  fsync: batch
session:
  timeout: 247
log:
  level: info
  file: lwbsd.log
EOF2
"$lwbsd" --check-config -c "$tmp/lwbsd.yaml" >/dev/null

cipher_args=()
[ -n "$ciphers" ] && cipher_args=(--ciphers "$ciphers")
. "$(dirname "$0")/lib.sh"

all=()
for kind in $kinds; do
	mode_args=()
	[ "$kind" = handshake ] && mode_args=(--handshake-only)
	for r in $(seq 1 "$runs"); do
		rm -f "$tmp/audit.jsonl" "$tmp/lwbsd.log"
		(cd "$tmp" && exec "$lwbsd" -c "$tmp/lwbsd.yaml") 2>>"$tmp/lwbsd.stderr" &
		pid=$!
		# ready when a single device bootstraps
		for _ in $(seq 1 50); do
			if "$devsim" --server "coaps://127.0.0.1:$port" --ep dev-0 --psk-identity psk-0 \
				--psk-key "hex:$key" --timeout 2 >/dev/null 2>&1; then
				break
			fi
			sleep 0.2
		done
		e0=$(rcvbuf_errors)
		"$devsim" --server "coaps://127.0.0.1:$port" --load "$conc" --duration "$dur" --warmup "$warmup" \
			--endpoints "$devices" --ep-prefix dev- --psk-identity-prefix psk- --psk-key "hex:$key" \
			"${mode_args[@]}" "${cipher_args[@]}" >"$tmp/devsim.json" 2>"$tmp/devsim.err" &
		dpid=$!
		sleep "$warmup"
		c0=$(cpu_ticks "$pid")
		wait "$dpid" || true
		c1=$(cpu_ticks "$pid")
		e1=$(rcvbuf_errors)
		rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
		kill -TERM "$pid"
		wait "$pid" || true
		pid=
		audit_lines=$(wc -l <"$tmp/audit.jsonl" 2>/dev/null || echo 0)
		line=$(python3 "$benchlib" row "$tmp/devsim.json" "$c0" "$c1" "$hz" "$rss" "$e0" "$e1" "$audit_lines" "$conc" kind "$kind")
		echo "$line"
		all+=("$line")
	done
done

printf '%s\n' "${all[@]}" | python3 "$benchlib" summary kind
