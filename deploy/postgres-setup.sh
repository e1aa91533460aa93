#!/bin/sh
# Creates the lwbs role and database on a PostgreSQL server and runs the
# migrations. Run on the database host as a user that can become
# `postgres` (or with PGHOST/PGUSER pointing at a superuser connection):
#
#   deploy/postgres-setup.sh [ROLE [DATABASE]]       (defaults: lwbs lwbs)
#
# The role gets no password here: use peer authentication on the local
# socket, or set one afterwards with `\password ROLE` in psql (interactive,
# never on a command line) and put the DSN in a file readable only by the
# lwbs user, e.g. /etc/lwbs/db.dsn:  host=... dbname=lwbs user=lwbs password=...
# Then: lwbsctl db migrate --dsn-file /etc/lwbs/db.dsn (done below through
# peer authentication when run on the database host).
set -eu
ROLE=${1:-lwbs}
DB=${2:-lwbs}
LWBSCTL=${LWBSCTL:-lwbsctl}

if [ "$(id -un)" = postgres ] || [ -n "${PGUSER:-}" ]; then
	AS=""
else
	AS="runuser -u postgres --"
fi

$AS psql -X -v ON_ERROR_STOP=1 -v role="$ROLE" -v db="$DB" -d postgres <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'db', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL

# The migrations run as the owner so that every table belongs to it.
if [ -z "$AS" ]; then
	"$LWBSCTL" db migrate --dsn "dbname=$DB user=$ROLE"
else
	# peer authentication maps the OS user to the role of the same name
	if id "$ROLE" >/dev/null 2>&1; then
		runuser -u "$ROLE" -- "$LWBSCTL" db migrate --dsn "dbname=$DB"
	else
		echo "postgres-setup: no OS user \"$ROLE\" for peer authentication; run as that user:" >&2
		echo "  lwbsctl db migrate --dsn-file FILE   (FILE: dbname=$DB user=$ROLE ...)" >&2
		exit 1
	fi
fi
