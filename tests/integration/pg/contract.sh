#!/bin/sh
# The store contract (contract.c) against a throwaway PostgreSQL cluster
# (tests/lib/pg.sh) holding config/provisioning/example.yaml and
# tests/integration/pg/generating.yaml and templates.yaml, applied with
# lwbsctl. The driver
# stops and starts the cluster itself (LWBS_PG_STOP, LWBS_PG_START) to test
# reconnection. Stop is -m immediate: every backend
# quits at once, so lookups waiting on a lock cannot win the race and finish.
#   contract.sh DRIVER LWBSCTL SRCDIR
set -eu
DRIVER=$(realpath "$1")
L=$(realpath "$2")
SRC=$3
Y=$SRC/config/provisioning/example.yaml
. "$SRC/tests/lib/pg.sh"
W=$(mktemp -d /tmp/lwbs-pgcontract.XXXXXX)
pg_start >/dev/null
trap 'pg_stop; rm -rf "$W"' EXIT INT TERM
echo "$PG_DSN" >"$W/dsn"
chmod 600 "$W/dsn"
"$L" db migrate --dsn-file "$W/dsn" >/dev/null
T=$SRC/tests/integration/pg/templates.yaml
"$L" provision apply --dsn-file "$W/dsn" "$Y" "$T" >/dev/null
"$L" provision apply --dsn-file "$W/dsn" "$SRC/tests/integration/pg/generating.yaml" >/dev/null
LWBS_PG_DSN=$PG_DSN
LWBS_PG_STOP="$PG_RUN $PG_CTL -D $PG_DIR/data -m immediate -w stop >/dev/null"
LWBS_PG_START="$PG_RUN $PG_CTL -D $PG_DIR/data -l $PG_DIR/server.log -w -t 60 -o \"-c listen_addresses='' -k $PG_DIR -p $PGPORT -c fsync=off\" start >/dev/null"
export LWBS_PG_DSN LWBS_PG_STOP LWBS_PG_START
"$DRIVER" "$Y" "$T"
