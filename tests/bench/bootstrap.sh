#!/bin/bash
# Bootstrap throughput benchmark: lwbsd (release build, embedded store) and
# lwbs-devsim's closed-loop load generator on the same machine, NoSec UDP on
# loopback, full session per device: Bootstrap-Request, Discover, Delete /,
# Write /0/x, Write /1/x, Write /2/x, Finish.
#
#   tests/bench/bootstrap.sh [-c CONCURRENCY] [-d SECONDS] [-r RUNS] [-m DEVICES]
#                            [-s embedded|postgresql] [-a file|store] [-p POOL]
#
# -s postgresql: a throwaway cluster (tests/lib/pg.sh: Unix socket, fsync
# off) gets the same generated devices through lwbsctl db migrate and
# provision apply; lwbsd serves them with store type postgresql (pool
# POOL, default 4) and writes the audit to the store (session_audit), or
# with -a file to the same audit file as the embedded store does.
#
# Prints one JSON line per run and a min/median/max summary: sessions/s,
# failed, p50/p99 (devsim), lwbsd CPU µs per session (utime+stime from
# /proc/PID/stat over the measured window), lwbsd peak RSS (VmHWM), devsim
# CPU µs per session, kernel RcvbufErrors during the run. Not a test: the
# numbers go to docs/BENCHMARKS.md with the command, commit and machine.
set -euo pipefail

conc=1000 dur=20 runs=3 devices=100000 warmup=2 store=embedded audit=store pool=4
while getopts "c:d:r:m:s:a:p:" o; do
	case "$o" in
	c) conc=$OPTARG ;;
	d) dur=$OPTARG ;;
	r) runs=$OPTARG ;;
	m) devices=$OPTARG ;;
	s) store=$OPTARG ;;
	a) audit=$OPTARG ;;
	p) pool=$OPTARG ;;
	*) echo "usage: $0 [-c conc] [-d seconds] [-r runs] [-m devices] [-s embedded|postgresql] [-a file|store] [-p pool]" >&2; exit 2 ;;
	esac
done
case "$store" in
embedded | postgresql) ;;
*) echo "$0: -s embedded or postgresql" >&2; exit 2 ;;
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
	if [ "$store" = postgresql ]; then pg_stop; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# The listener asks for 4 MiB; let the kernel grant it.
if [ "$(id -u)" -eq 0 ]; then
	sysctl -qw net.core.rmem_max=8388608 net.core.wmem_max=8388608 || true
fi

python3 - "$tmp/devices.yaml" "$devices" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
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
        f.write(f"  - {{endpoint: dev-{i}, profile: bench}}\n")
PY

if [ "$store" = postgresql ]; then
	. "$root/tests/lib/pg.sh"
	pg_start >/dev/null
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

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/lwbsd.yaml" <<EOF2
listeners:
  - address: 127.0.0.1
    port: $port
    transport: udp
    receive_buffer: 4194304
$store_conf
session:
  timeout: 247
log:
  level: info
  file: lwbsd.log
EOF2
"$lwbsd" --check-config -c "$tmp/lwbsd.yaml" >/dev/null

. "$(dirname "$0")/lib.sh"

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
	e0=$(rcvbuf_errors)
	"$devsim" --server "coap://127.0.0.1:$port" --load "$conc" --duration "$dur" --warmup "$warmup" \
		--endpoints "$devices" --ep-prefix dev- >"$tmp/devsim.json" 2>"$tmp/devsim.err" &
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
	audit_lines=$(audit_count)
	line=$(python3 "$benchlib" row "$tmp/devsim.json" "$c0" "$c1" "$hz" "$rss" "$e0" "$e1" "$audit_lines" "$conc" store "$store")
	echo "$line"
	results+=("$line")
done

printf '%s\n' "${results[@]}" | python3 "$benchlib" summary store
