#!/bin/bash
# lwbsd RADIUS accounting benchmark: Starts then Stops (distinct IPs, IMSIs,
# sessions) answered per second with INFLIGHT outstanding, each answer sent
# only after its binding is in the journal (fdatasync). RUNS runs on a fresh
# journal each; min / median / max per phase of the rate and of lwbsd's CPU
# per request. Then the memory of COUNT_MEM bindings (lwbsd RSS growth) and
# the journal size and replay time. Generator and lwbsd share the host over
# loopback.
#
#   tests/bench/radius.sh BUILD_DIR [COUNT=200000] [INFLIGHT=256] [RUNS=3] [COUNT_MEM=1000000] [STORE=journal]
#
# STORE=postgres: the bindings go to a throwaway PostgreSQL cluster
# (tests/lib/pg.sh, restarted with fsync and synchronous_commit on), one
# transaction per batch; the cluster's CPU per request is shown too and the
# memory part is skipped. tests/bench/radius-freeradius.sh runs the same
# load against FreeRADIUS.
set -eu
B=$(readlink -f "${1:?usage: radius.sh BUILD_DIR [COUNT] [INFLIGHT] [RUNS] [COUNT_MEM] [STORE]}")
COUNT=${2:-200000}
N=${3:-256}
RUNS=${4:-3}
COUNT_MEM=${5:-1000000}
STORE=${6:-journal}
LWBSD=$B/src/daemon/lwbsd
GEN=$B/src/radius/radius_bench
SECRET=benchsecret
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/bench/lib.sh"
. "$SRC/tests/lib/pg.sh"
bench_tmp
bench_on_exit() { pg_stop; }

STORE_LINE="journal: radius.journal"
DB=""
if [ "$STORE" = postgres ]; then
	pg_start >/dev/null
	pg_durable
	echo "$PG_DSN" >"$tmp/dsn"
	"$B/src/ctl/lwbsctl" db migrate --dsn-file "$tmp/dsn" >/dev/null
	STORE_LINE="dsn_file: dsn"
	PSQL=$(pg_find_bin psql)
	DB=pg
fi

start_lwbsd() {
	read -r RPORT CPORT < <(bench_port 2)
	cat >"$tmp/devices.yaml" <<EOF2
profiles:
  - name: basic
    servers:
      - uri: coap://dm.example.net:5683
        ssid: 101
        security: nosec
devices:
  - endpoint: bench-1
    profile: basic
EOF2
	cat >"$tmp/lwbsd.yaml" <<EOF2
listeners:
  - address: 127.0.0.1
    port: $CPORT
    trusted: true
    identify: endpoint
store:
  type: embedded
  files: [devices.yaml]
log:
  level: info
radius:
  listen:
    - {address: 127.0.0.1, port: $RPORT}
  nas:
    - {address: 127.0.0.0/8, secret: $SECRET}
  $STORE_LINE
EOF2
	"$LWBSD" -c "$tmp/lwbsd.yaml" 2>"$tmp/lwbsd.log" &
	pid=$!
	for _ in $(seq 600); do
		grep -q "lwbsd .* ready" "$tmp/lwbsd.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "lwbsd did not start:" >&2
	cat "$tmp/lwbsd.log" >&2
	exit 1
}

stop_lwbsd() {
	kill "$pid"
	wait "$pid" || true
	pid=
}

rss_kb() {
	awk '/^VmRSS/ {print $2}' "/proc/$1/status"
}

echo "lwbsd RADIUS accounting: $COUNT Starts then $COUNT Stops, $N in flight, $RUNS runs, store $STORE on $(df -T "$tmp" | awk 'NR==2 {print $2}') ($tmp), loopback"
for r in $(seq "$RUNS"); do
	rm -f "$tmp/radius.journal"
	if [ "$STORE" = postgres ]; then "$PSQL" -XAtq "$PG_DSN" -c "TRUNCATE radius_bindings"; fi
	start_lwbsd
	echo "run $r:"
	radius_phase start "$pid" $DB
	radius_phase stop "$pid" $DB
	stop_lwbsd
done
radius_summary start Start lwbsd
radius_summary stop Stop lwbsd
if [ "$STORE" = postgres ]; then exit 0; fi

rm -f "$tmp/radius.journal"
start_lwbsd
BEFORE=$(rss_kb "$pid")
"$GEN" 127.0.0.1 "$RPORT" "$SECRET" "$COUNT_MEM" "$N" start >/dev/null
AFTER=$(rss_kb "$pid")
stop_lwbsd
JBYTES=$(stat -c %s "$tmp/radius.journal")
echo "memory: $COUNT_MEM bindings: RSS +$(( (AFTER - BEFORE) / 1024 )) MiB" \
	"($(( (AFTER - BEFORE) * 1024 / COUNT_MEM )) bytes per binding); journal $(( JBYTES / 1048576 )) MiB" \
	"($(( JBYTES / COUNT_MEM )) bytes per binding)"
T0=$(date +%s%N)
start_lwbsd
T1=$(date +%s%N)
echo "restart with $COUNT_MEM bindings in the journal: ready after $(( (T1 - T0) / 1000000 )) ms, RSS $(( $(rss_kb "$pid") / 1024 )) MiB"
stop_lwbsd
