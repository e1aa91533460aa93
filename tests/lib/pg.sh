# lwbs tests — a throwaway PostgreSQL cluster on a Unix socket (no TCP).
# Source it, then:
#   pg_start            starts the cluster, sets PG_DSN (and PGHOST, PGPORT,
#                       PGDATABASE, PGUSER) and prints the DSN
#   pg_durable          restarts it with fsync, synchronous_commit and
#                       full_page_writes on (PostgreSQL's defaults), for the
#                       benchmarks of durable writes
#   pg_stop             stops it and removes its directory
# initdb/pg_ctl are searched in PATH and /usr/lib/postgresql/*/bin. When they
# are missing the caller fails, unless LWBS_ALLOW_SKIP=1 (exit 77: skipped).
# As root the server runs as the user `postgres` (initdb refuses root).

pg_find_bin() {
	for d in "" /usr/lib/postgresql/*/bin/; do
		if [ -z "$d" ]; then
			command -v "$1" 2>/dev/null && return 0
		elif [ -x "$d$1" ]; then
			echo "$d$1"
			return 0
		fi
	done
	return 1
}

pg_start() {
	PG_INITDB=$(pg_find_bin initdb) && PG_CTL=$(pg_find_bin pg_ctl) || {
		echo "pg.sh: initdb/pg_ctl not found (Debian: apt-get install postgresql)" >&2
		if [ "${LWBS_ALLOW_SKIP:-0}" = 1 ]; then exit 77; fi
		exit 1
	}
	PG_DIR=$(mktemp -d /tmp/lwbs-pg.XXXXXX)
	chmod 755 "$PG_DIR"
	PG_RUN=""
	PG_OWNER=$(id -un)
	if [ "$(id -u)" -eq 0 ]; then
		PG_OWNER=postgres
		chown postgres "$PG_DIR"
		PG_RUN="runuser -u postgres --"
	fi
	PGPORT=$((20000 + $$ % 20000))
	$PG_RUN "$PG_INITDB" -D "$PG_DIR/data" -U "$PG_OWNER" -A trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR -p $PGPORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB -c shared_buffers=256MB" \
		start >/dev/null || {
		cat "$PG_DIR/server.log" >&2
		return 1
	}
	PGHOST=$PG_DIR
	PGUSER=$PG_OWNER
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
	PG_DSN="host=$PG_DIR port=$PGPORT user=$PG_OWNER dbname=postgres"
	echo "$PG_DSN"
}

pg_durable() {
	$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -m fast -w stop >/dev/null
	$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR -p $PGPORT -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=""
}
