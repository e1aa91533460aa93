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

. "$(dirname "$0")/lib.sh"
bench_build
bench_tmp

key=$(python3 -c 'import os; print(os.urandom(16).hex())')
bench_devices "$tmp/devices.yaml" "$devices" "$key"
chmod 600 "$tmp/devices.yaml"

port=$(bench_port)
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
		bench_measure --server "coaps://127.0.0.1:$port" --load "$conc" --duration "$dur" \
			--warmup "$warmup" --endpoints "$devices" --ep-prefix dev- --psk-identity-prefix psk- \
			--psk-key "hex:$key" "${mode_args[@]}" "${cipher_args[@]}"
		audit_lines=$(wc -l <"$tmp/audit.jsonl" 2>/dev/null || echo 0)
		line=$(python3 "$benchlib" row "$tmp/devsim.json" "$c0" "$c1" "$hz" "$rss" "$e0" "$e1" "$u0" "$u1" "$audit_lines" "$conc" kind "$kind")
		echo "$line"
		all+=("$line")
	done
done

printf '%s\n' "${all[@]}" | python3 "$benchlib" summary kind
