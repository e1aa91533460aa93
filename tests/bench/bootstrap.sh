#!/bin/bash
# Bootstrap throughput benchmark: lwbsd (release build, embedded store) and
# lwbs-devsim's closed-loop load generator on the same machine, NoSec UDP on
# loopback, full session per device: Bootstrap-Request, Discover, Delete /,
# Write /0/x, Write /1/x, Write /2/x, Finish.
#
#   tests/bench/bootstrap.sh [-c CONCURRENCY] [-d SECONDS] [-r RUNS] [-m DEVICES]
#                            [-s embedded|postgresql] [-a file|store] [-p POOL]
#                            [-k ACK_DELAY_MS]
#
# -s postgresql: a throwaway cluster (tests/lib/pg.sh: Unix socket, fsync
# off) gets the same generated devices through lwbsctl db migrate and
# provision apply; lwbsd serves them with store type postgresql (pool
# POOL, default 4) and writes the audit to the store (session_audit), or
# with -a file to the same audit file as the embedded store does.
# -k: lwbsd's session.ack_delay in ms (default 50, lwbsd's own); 0 answers a
# Bootstrap-Request the store answers later with an empty ACK at once and
# a separate response.
#
# Prints one JSON line per run and a min/median/max summary: sessions/s,
# failed, p50/p99 (devsim), lwbsd CPU µs per session (utime+stime from
# /proc/PID/stat over the measured window), lwbsd peak RSS (VmHWM), devsim
# CPU µs per session, with -s postgresql the database server's CPU µs per
# session (postmaster and backends, exited workers included, same window),
# UDP datagrams sent per session (both ends, host-wide), kernel
# RcvbufErrors during the run. Not a test: the
# numbers go to docs/BENCHMARKS.md with the command, commit and machine.
set -euo pipefail

conc=1000 dur=20 runs=3 devices=100000 warmup=2 store=embedded audit=store pool=4 ack_delay=50
while getopts "c:d:r:m:s:a:p:k:" o; do
	case "$o" in
	c) conc=$OPTARG ;;
	d) dur=$OPTARG ;;
	r) runs=$OPTARG ;;
	m) devices=$OPTARG ;;
	s) store=$OPTARG ;;
	a) audit=$OPTARG ;;
	p) pool=$OPTARG ;;
	k) ack_delay=$OPTARG ;;
	*) echo "usage: $0 [-c conc] [-d seconds] [-r runs] [-m devices] [-s embedded|postgresql] [-a file|store] [-p pool] [-k ack_delay_ms]" >&2; exit 2 ;;
	esac
done
case "$store" in
embedded | postgresql) ;;
*) echo "$0: -s embedded or postgresql" >&2; exit 2 ;;
esac

. "$(dirname "$0")/lib.sh"
bench_build
bench_on_exit() {
	if [ "$store" = postgresql ]; then pg_stop; fi
}
bench_tmp

bench_devices "$tmp/devices.yaml" "$devices"

if [ "$store" = postgresql ]; then
	. "$root/tests/lib/pg.sh"
	pg_start >/dev/null
	# the server: the postmaster and its backends
	bench_extra_pids() {
		local pm
		pm=$(head -1 "$PG_DIR/data/postmaster.pid")
		echo "$pm" $(ps -o pid= --ppid "$pm")
	}
	echo "$PG_DSN" >"$tmp/dsn"
	chmod 600 "$tmp/dsn"
	"$build/src/ctl/lwbsctl" db migrate --dsn-file "$tmp/dsn" >/dev/null
	"$build/src/ctl/lwbsctl" provision apply --dsn-file "$tmp/dsn" --show 0 "$tmp/devices.yaml" >/dev/null
	store_conf="store:
  type: postgresql
  dsn_file: dsn
  pool: $pool"
	if [ "$audit" = store ]; then
		store_conf="$store_conf
audit:
  to: store"
		audit_count() { psql -X -q -t -A -c "SELECT count(*) FROM session_audit"; }
	else
		store_conf="$store_conf
audit:
  file: audit.jsonl
  fsync: batch"
		audit_count() { wc -l <"$tmp/audit.jsonl"; }
	fi
else
	store_conf="store:
  type: embedded
  files: [devices.yaml]
audit:
  file: audit.jsonl
  fsync: batch"
	audit_count() { wc -l <"$tmp/audit.jsonl"; }
fi

port=$(bench_port)
cat >"$tmp/lwbsd.yaml" <<EOF2
listeners:
  - address: 127.0.0.1
    port: $port
    transport: udp
    trusted: true
    identify: endpoint
    receive_buffer: 4194304
$store_conf
session:
  timeout: 247
  ack_delay: $ack_delay
log:
  level: info
  file: lwbsd.log
EOF2
"$lwbsd" --check-config -c "$tmp/lwbsd.yaml" >/dev/null

results=()
for r in $(seq 1 "$runs"); do
	rm -f "$tmp/audit.jsonl" "$tmp/lwbsd.log"
	if [ "$store" = postgresql ]; then psql -X -q -c "TRUNCATE session_audit" >/dev/null; fi
	(cd "$tmp" && exec "$lwbsd" -c "$tmp/lwbsd.yaml") 2>>"$tmp/lwbsd.stderr" &
	pid=$!
	# ready when a single device bootstraps
	for _ in $(seq 1 50); do
		if "$devsim" --server "coap://127.0.0.1:$port" --ep dev-0 --timeout 2 >/dev/null 2>&1; then
			break
		fi
		sleep 0.2
	done
	bench_measure --server "coap://127.0.0.1:$port" --load "$conc" --duration "$dur" --warmup "$warmup" \
		--endpoints "$devices" --ep-prefix dev-
	audit_lines=$(audit_count)
	db=()
	if [ "$store" = postgresql ]; then db=("$x0" "$x1"); fi
	line=$(python3 "$benchlib" row "$tmp/devsim.json" "$c0" "$c1" "$hz" "$rss" "$e0" "$e1" "$u0" "$u1" "$audit_lines" "$conc" store "$store" "${db[@]}")
	echo "$line"
	results+=("$line")
done

printf '%s\n' "${results[@]}" | python3 "$benchlib" summary store
