# Sourced by provision.sh and radius.sh once SRC is set.
. "$SRC/tests/lib/pg.sh"

# pg_workdir NAME: a throwaway cluster, a work directory W
# (/tmp/NAME.XXXXXX) and W/dsn naming the cluster; on exit the cluster
# stops and W is removed.
pg_workdir() {
	W=$(mktemp -d "/tmp/$1.XXXXXX")
	pg_start >/dev/null
	trap 'pg_stop; rm -rf "$W"' EXIT INT TERM
	echo "$PG_DSN" >"$W/dsn"
}
