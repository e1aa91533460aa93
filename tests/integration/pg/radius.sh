#!/bin/sh
# lwbsd's RADIUS listener with PostgreSQL as the binding store, against a
# throwaway cluster (tests/lib/pg.sh) with the schema from lwbsctl db
# migrate; the test stops and starts the cluster itself.
#   radius.sh RADIUS_TEST_PY LWBSD LWBSCTL SRCDIR
set -eu
T=$(realpath "$1")
D=$(realpath "$2")
L=$(realpath "$3")
SRC=$4
. "$(dirname "$0")/setup.sh"
pg_workdir lwbs-pgradius
chmod 600 "$W/dsn"
LWBS_PG_DSN_FILE=$W/dsn
LWBS_PSQL=$(pg_find_bin psql)
LWBS_PG_STOP="$PG_RUN $PG_CTL -D $PG_DIR/data -m immediate -w stop >/dev/null"
LWBS_PG_START="$PG_RUN $PG_CTL -D $PG_DIR/data -l $PG_DIR/server.log -w -t 60 -o \"-c listen_addresses='' -k $PG_DIR -p $PGPORT\" start >/dev/null"
export LWBS_PG_DSN_FILE LWBS_PSQL LWBS_PG_STOP LWBS_PG_START
# pg.sh runs the cluster with fsync and synchronous_commit off; this test
# kills it and needs what was committed to survive: restart it durable
$PG_RUN $PG_CTL -D "$PG_DIR/data" -m fast -w stop >/dev/null
sh -c "$LWBS_PG_START"
"$L" db migrate --dsn-file "$W/dsn" >/dev/null
python3 "$T" --lwbsd "$D" --lwbsctl "$L" postgres
