#!/bin/sh
# Benchmark: 1,000,000 devices from YAML into PostgreSQL with
# `lwbsctl provision apply`, then the same files again (nothing changes).
# Three runs on a fresh database each; prints min / median / max.
#   tests/bench/provision.sh LWBSCTL [DEVICES]
# Uses a throwaway cluster (tests/lib/pg.sh). Devices: one profile, each with
# endpoint, imsi, msisdn, imei and batch, 10 % with a per-device DM PSK in
# overrides; 50,000 per file.
set -eu
LWBSCTL=$(realpath "$1")
N=${2:-1000000}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
. "$HERE/tests/lib/pg.sh"
W=$(mktemp -d /tmp/lwbs-bench-prov.XXXXXX)
pg_start >/dev/null
trap 'pg_stop; rm -rf "$W"' EXIT INT TERM
echo "$PG_DSN" >"$W/dsn"

cat >"$W/profile.yaml" <<'YAML'
profiles:
  - name: bench
    servers:
      - uri: coaps://dm.example.net:5684
        ssid: 101
        security: psk
        psk_identity: fleet
        psk_key: hex:000102030405060708090a0b0c0d0e0f
YAML
awk -v n="$N" -v dir="$W" 'BEGIN {
	per = 50000
	for (i = 0; i < n; i++) {
		if (i % per == 0) {
			if (f) close(f)
			f = sprintf("%s/devices-%03d.yaml", dir, i / per)
			print "devices:" > f
		}
		printf "  - endpoint: urn:imei:35%013d\n    profile: bench\n    imsi: \"00101%010d\"\n    msisdn: \"+4917%09d\"\n    imei: \"35%012d0\"\n    batch: bench-%d\n", i, i, i, i, i % 10 > f
		if (i % 10 == 0)
			printf "    overrides:\n      servers:\n        - ssid: 101\n          psk_identity: dev-%d\n          psk_key: hex:%032x\n", i, i > f
	}
}'
echo "generated $N devices in $(ls "$W"/devices-*.yaml | wc -l) files ($(du -sh "$W" | cut -f1))"

now() { date +%s.%N; }
apply_t=""
reapply_t=""
for run in 1 2 3; do
	psql -q -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null 2>&1
	echo "host=$PGHOST port=$PGPORT user=$PGUSER dbname=bench" >"$W/dsn"
	"$LWBSCTL" db migrate --dsn-file "$W/dsn" >/dev/null
	t0=$(now)
	"$LWBSCTL" provision apply --dsn-file "$W/dsn" "$W/profile.yaml" "$W"/devices-*.yaml >"$W/out1"
	t1=$(now)
	"$LWBSCTL" provision apply --dsn-file "$W/dsn" "$W/profile.yaml" "$W"/devices-*.yaml >"$W/out2"
	t2=$(now)
	grep -q "devices: $N new" "$W/out1" || { cat "$W/out1"; exit 1; }
	grep -q "devices: 0 new, 0 changed, $N unchanged" "$W/out2" || { cat "$W/out2"; exit 1; }
	a=$(awk "BEGIN {printf \"%.2f\", $t1 - $t0}")
	b=$(awk "BEGIN {printf \"%.2f\", $t2 - $t1}")
	echo "run $run: apply $a s, re-apply unchanged $b s"
	apply_t="$apply_t $a"
	reapply_t="$reapply_t $b"
done
stats() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {printf "min %.1f s, median %.1f s, max %.1f s", v[1], v[2], v[3]}'; }
echo "apply ($N devices):      $(stats $apply_t)"
echo "re-apply unchanged:      $(stats $reapply_t)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
