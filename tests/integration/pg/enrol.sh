#!/bin/sh
# Auto-enrolment and generated DM credentials with lwbsd on the PostgreSQL
# store (docs/identity.md): a throwaway cluster (tests/lib/pg.sh), migrated
# with lwbsctl, then identity_test.py enrol_pg (radclient announces the
# bindings, lwbs-devsim bootstraps, psql reads the tables).
#   enrol.sh IDENTITY_TEST_PY LWBSD LWBSCTL DEVSIM SRCDIR
set -eu
T=$(realpath "$1")
D=$(realpath "$2")
L=$(realpath "$3")
S=$(realpath "$4")
SRC=$5
. "$(dirname "$0")/setup.sh"
pg_workdir lwbs-pgenrol
chmod 600 "$W/dsn"
"$L" db migrate --dsn-file "$W/dsn" >/dev/null
python3 "$T" --lwbsd "$D" --lwbsctl "$L" --devsim "$S" --dsn-file "$W/dsn" --psql "$(pg_find_bin psql)" enrol_pg
