#!/bin/bash
# The load of tests/bench/radius.sh (radius_bench: COUNT Starts then COUNT
# Stops with distinct addresses, IMSIs and sessions, INFLIGHT outstanding)
# against FreeRADIUS 3 with rlm_sql and its PostgreSQL driver, writing to
# FreeRADIUS's own radacct schema in a throwaway PostgreSQL cluster
# (tests/lib/pg.sh, restarted with fsync and synchronous_commit on as
# radius.sh's postgres run). RUNS runs, FreeRADIUS restarted and radacct
# emptied before each; min / median / max per phase of the rate and of the
# CPU per request of freeradius and of the cluster. After the Starts every
# session must have its row, after the Stops every row its stop time (and
# no row more), or the script fails.
#
#   tests/bench/radius-freeradius.sh BUILD_DIR [COUNT=200000] [INFLIGHT=256] [RUNS=3]
#
# BUILD_DIR is an lwbs build (for radius_bench). The configuration is in
# tests/bench/freeradius/ (what is left of the stock one is said there);
# freeradius and freeradius-postgresql are installed when missing
# (deploy/install-deps.sh --bench).
set -eu
B=$(readlink -f "${1:?usage: radius-freeradius.sh BUILD_DIR [COUNT] [INFLIGHT] [RUNS]}")
COUNT=${2:-200000}
N=${3:-256}
RUNS=${4:-3}
GEN=$B/src/radius/radius_bench
SECRET=benchsecret
STOCK=/etc/freeradius/3.0
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/bench/lib.sh"
. "$SRC/tests/lib/pg.sh"

if ! command -v freeradius >/dev/null || [ ! -e /usr/lib/freeradius/rlm_sql_postgresql.so ]; then
	"$SRC/deploy/install-deps.sh" --bench
fi

bench_tmp
bench_on_exit() { pg_stop; }
pg_start >/dev/null
pg_durable
PSQL=$(pg_find_bin psql)
psql_q() { "$PSQL" -XAtq -v ON_ERROR_STOP=1 "$PG_DSN" "$@"; }
psql_q -f "$STOCK/mods-config/sql/main/postgresql/schema.sql" >/dev/null

# A private raddb: the stock one (dictionary, policy.d, mods-config) with
# tests/bench/freeradius/'s radiusd.conf, mods-enabled = sql + expr (the
# tolower and md5 expansions the stock queries and acct_unique use),
# sites-enabled = bench.
R=$tmp/raddb
cp -a "$STOCK" "$R"
rm -f "$R"/mods-enabled/* "$R"/sites-enabled/*
cp "$SRC/tests/bench/freeradius/radiusd.conf" "$R/radiusd.conf"
cp "$SRC/tests/bench/freeradius/sql" "$R/mods-enabled/sql"
ln -s ../mods-available/expr "$R/mods-enabled/expr"
cp "$SRC/tests/bench/freeradius/bench" "$R/sites-enabled/bench"
export FR_RADDB=$R FR_SECRET=$SECRET FR_DSN=$PG_DSN

start_freeradius() {
	RPORT=$(bench_port)
	: >"$R/radius.log"
	FR_PORT=$RPORT freeradius -f -d "$R" &
	pid=$!
	for _ in $(seq 600); do
		grep -q "Ready to process requests" "$R/radius.log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "freeradius did not start:" >&2
	cat "$R/radius.log" >&2
	exit 1
}

stop_freeradius() {
	grep -v ": Info: " "$R/radius.log" | head -5 | sed 's/^/freeradius log: /'
	kill "$pid"
	wait "$pid" || true
	pid=
}

# check WHAT SQL EXPECTED: fails loudly unless SQL gives EXPECTED.
check() {
	local got
	got=$(psql_q -c "$2")
	if [ "$got" != "$3" ]; then
		echo "FAIL: $1: radacct has $got, expected $3" >&2
		tail -20 "$R/radius.log" >&2
		exit 1
	fi
}

echo "FreeRADIUS $(freeradius -v | sed -n 's/.*Version \([^ ,]*\).*/\1/p' | head -1) + rlm_sql_postgresql," \
	"PostgreSQL $(psql_q -c 'SHOW server_version') (fsync $(psql_q -c 'SHOW fsync')," \
	"synchronous_commit $(psql_q -c 'SHOW synchronous_commit')):" \
	"$COUNT Starts then $COUNT Stops, $N in flight, $RUNS runs, loopback"
for r in $(seq "$RUNS"); do
	psql_q -c "TRUNCATE radacct RESTART IDENTITY"
	start_freeradius
	echo "run $r:"
	radius_phase start "$pid" pg
	check "after the Starts (rows, open rows)" \
		"SELECT count(*) || ' ' || count(*) FILTER (WHERE acctstoptime IS NULL) FROM radacct" "$COUNT $COUNT"
	radius_phase stop "$pid" pg
	check "after the Stops (rows, closed rows)" \
		"SELECT count(*) || ' ' || count(acctstoptime) FROM radacct" "$COUNT $COUNT"
	stop_freeradius
done
radius_summary start Start freeradius
radius_summary stop Stop freeradius
