#!/bin/bash
# lwbsd RADIUS accounting benchmark: Starts then Stops (distinct IPs, IMSIs,
# sessions) answered per second with INFLIGHT outstanding, each answer sent
# only after its binding is in the journal (fdatasync). RUNS runs on a fresh
# journal each; min / median / max per phase. Then the memory of COUNT_MEM
# bindings (lwbsd RSS growth) and the journal size and replay time.
# Generator and lwbsd share the host over loopback.
#
#   tests/bench/radius.sh BUILD_DIR [COUNT=200000] [INFLIGHT=256] [RUNS=3] [COUNT_MEM=1000000] [STORE=journal]
#
# STORE=postgres: the bindings go to a throwaway PostgreSQL cluster
# (tests/lib/pg.sh, restarted with fsync and synchronous_commit on), one
# transaction per batch; the memory part is skipped.
set -eu
B=$(readlink -f "${1:?usage: radius.sh BUILD_DIR [COUNT] [INFLIGHT] [RUNS] [COUNT_MEM]}")
COUNT=${2:-200000}
N=${3:-256}
RUNS=${4:-3}
COUNT_MEM=${5:-1000000}
STORE=${6:-journal}
LWBSD=$B/src/daemon/lwbsd
GEN=$B/src/radius/radius_bench
T=$(mktemp -d /tmp/lwbs-radius-bench.XXXXXX)
PID=""

SRC=$(cd "$(dirname "$0")/../.." && pwd)
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	if [ "$STORE" = postgres ]; then pg_stop; fi
	rm -rf "$T"
}
trap cleanup EXIT
STORE_LINE="journal: radius.journal"
if [ "$STORE" = postgres ]; then
	. "$SRC/tests/lib/pg.sh"
	pg_start >/dev/null
	# durable, unlike the test default
	$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -m fast -w stop >/dev/null
	$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR -p $PGPORT -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
	echo "$PG_DSN" >"$T/dsn"
	"$B/src/ctl/lwbsctl" db migrate --dsn-file "$T/dsn" >/dev/null
	STORE_LINE="dsn_file: dsn"
	PSQL=$(pg_find_bin psql)
fi

free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_lwbsd() {
	RPORT=$(free_port)
	CPORT=$(free_port)
	cat >"$T/devices.yaml" <<EOF
profiles:
  - name: basic
    servers:
      - uri: coap://dm.example.net:5683
        ssid: 101
        security: nosec
devices:
  - endpoint: bench-1
    profile: basic
EOF
	cat >"$T/lwbsd.yaml" <<EOF
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
    - {address: 127.0.0.0/8, secret: benchsecret}
  $STORE_LINE
EOF
	"$LWBSD" -c "$T/lwbsd.yaml" 2>"$T/lwbsd.log" &
	PID=$!
	for _ in $(seq 600); do
		grep -q "lwbsd .* ready" "$T/lwbsd.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "lwbsd did not start:" >&2
	cat "$T/lwbsd.log" >&2
	exit 1
}

stop_lwbsd() {
	kill "$PID"
	wait "$PID" || true
	PID=""
}

rss_kb() {
	awk '/^VmRSS/ {print $2}' "/proc/$1/status"
}

# min median max of the numbers on stdin
stats() {
	sort -n | awk '{v[NR]=$1} END {printf "min %d  median %d  max %d", v[1], v[int((NR+1)/2)], v[NR]}'
}

echo "lwbsd RADIUS accounting: $COUNT Starts then $COUNT Stops, $N in flight, $RUNS runs, store $STORE on $(df -T "$T" | awk 'NR==2 {print $2}') ($T), loopback"
: >"$T/start.txt"
: >"$T/stop.txt"
for r in $(seq "$RUNS"); do
	rm -f "$T/radius.journal"
	if [ "$STORE" = postgres ]; then "$PSQL" -XAtq "$PG_DSN" -c "TRUNCATE radius_bindings"; fi
	start_lwbsd
	OUT=$("$GEN" 127.0.0.1 "$RPORT" benchsecret "$COUNT" "$N" start,stop)
	echo "run $r: $(echo "$OUT" | tr '\n' ';')"
	echo "$OUT" | awk '$1 == "start" {print int($4)}' >>"$T/start.txt"
	echo "$OUT" | awk '$1 == "stop" {print int($4)}' >>"$T/stop.txt"
	stop_lwbsd
done
echo "Start/s durable: $(stats <"$T/start.txt")"
echo "Stop/s durable:  $(stats <"$T/stop.txt")"
if [ "$STORE" = postgres ]; then exit 0; fi

rm -f "$T/radius.journal"
start_lwbsd
BEFORE=$(rss_kb "$PID")
"$GEN" 127.0.0.1 "$RPORT" benchsecret "$COUNT_MEM" "$N" start >/dev/null
AFTER=$(rss_kb "$PID")
stop_lwbsd
JBYTES=$(stat -c %s "$T/radius.journal")
echo "memory: $COUNT_MEM bindings: RSS +$(( (AFTER - BEFORE) / 1024 )) MiB" \
	"($(( (AFTER - BEFORE) * 1024 / COUNT_MEM )) bytes per binding); journal $(( JBYTES / 1048576 )) MiB" \
	"($(( JBYTES / COUNT_MEM )) bytes per binding)"
T0=$(date +%s%N)
start_lwbsd
T1=$(date +%s%N)
echo "restart with $COUNT_MEM bindings in the journal: ready after $(( (T1 - T0) / 1000000 )) ms, RSS $(( $(rss_kb "$PID") / 1024 )) MiB"
stop_lwbsd
