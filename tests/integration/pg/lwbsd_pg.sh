#!/bin/bash
# lwbsd on the PostgreSQL store (docs/postgres.md, "lwbsd with PostgreSQL"):
# a throwaway cluster (tests/lib/pg.sh) filled by lwbsctl db migrate and
# provision apply (config/provisioning/example.yaml plus 500 load devices),
# lwbsd with store type postgresql and audit to the store, lwbs-devsim as
# the devices. Checks:
#   - example devices bootstrap (sensor-0003; urn:imei:490154203237518 with
#     PSK overrides), an unknown endpoint gets 4.00, audit rows appear;
#   - the libcoap stack with PostgreSQL is a configuration error;
#   - a restart of PostgreSQL (pg_ctl stop -m immediate; start) during a
#     load of 50 devices for 8 s: sessions in flight fail with a reason or
#     complete, lwbsd serves again within 5 s of the database being back
#     (measured), every completed session has its audit row;
#   - SIGHUP reloads (plan cache emptied) and SIGTERM drains.
#   lwbsd_pg.sh LWBSD LWBSCTL DEVSIM SRCDIR
set -euo pipefail
LWBSD=$(realpath "$1")
L=$(realpath "$2")
DEVSIM=$(realpath "$3")
SRC=$(realpath "$4")
. "$SRC/tests/lib/pg.sh"
W=$(mktemp -d /tmp/lwbs-pglwbsd.XXXXXX)
chmod 755 "$W"
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	pg_stop
	rm -rf "$W"
}
pg_start >/dev/null
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*" >&2
	echo "--- lwbsd log" >&2
	grep -v " info session " "$W/lwbsd.log" | tail -n 40 >&2 || true
	exit 1
}
pg_restart_cmd() {
	$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR -p $PGPORT -c fsync=off" start >/dev/null
}
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }

echo "$PG_DSN" >"$W/dsn"
chmod 600 "$W/dsn"
python3 - "$W/load.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("""profiles:
  - name: load
    servers:
      - uri: coap://dm.example.net:5683
        ssid: 101
        security: nosec
        lifetime: 86400
    delete: ["/"]
devices:
""")
    for i in range(500):
        f.write(f"  - {{endpoint: load-{i}, profile: load, batch: load}}\n")
PY
"$L" db migrate --dsn-file "$W/dsn" >/dev/null
"$L" provision apply --dsn-file "$W/dsn" "$SRC/config/provisioning/example.yaml" "$W/load.yaml" >/dev/null
# tests/lib/pg.sh starts the cluster with synchronous_commit=off, under
# which a crash (stop -m immediate) loses commits already acknowledged; the
# audit check below needs the server's default back for lwbsd's sessions.
sql "ALTER ROLE CURRENT_USER SET synchronous_commit = on"

port=$(PYTHONPATH="$SRC/tests/integration" python3 -c 'from lwbs_harness import free_port; print(free_port())')
conf() { # conf STACK
	cat <<EOF
listeners:
  - address: 127.0.0.1
    port: $port
    stack: $1
    trusted: true
    identify: endpoint
store:
  type: postgresql
  dsn_file: dsn
  pool: 4
  statement_timeout: 2000
  lookup_timeout: 3000
audit:
  to: store
session:
  timeout: 30
  shutdown_grace: 5
log:
  level: info
  file: lwbsd.log
EOF
}

# libcoap cannot wait for a late answer: refused at configuration time
conf libcoap >"$W/libcoap.yaml"
if "$LWBSD" --check-config -c "$W/libcoap.yaml" >"$W/check.out" 2>&1; then
	fail "stack: libcoap with postgresql accepted"
fi
grep -q "libcoap front end" "$W/check.out" || fail "unclear libcoap error: $(cat "$W/check.out")"
echo "ok: libcoap + postgresql refused: $(cat "$W/check.out")"

conf native >"$W/lwbsd.yaml"
"$LWBSD" --check-config -c "$W/lwbsd.yaml" >/dev/null
(cd "$W" && exec "$LWBSD" -c "$W/lwbsd.yaml") 2>"$W/lwbsd.stderr" &
pid=$!

srv="coap://127.0.0.1:$port"
bs() { "$DEVSIM" --server "$srv" --timeout 5 "$@"; }
ready=0
for _ in $(seq 1 50); do
	if bs --ep sensor-0003 >"$W/one.json" 2>/dev/null; then ready=1; break; fi
	sleep 0.2
done
[ "$ready" = 1 ] || fail "sensor-0003 did not bootstrap"
echo "ok: sensor-0003 bootstrapped"
bs --ep urn:imei:490154203237518 >"$W/psk.json" || fail "urn:imei:490154203237518 did not bootstrap"
python3 - "$W/psk.json" <<'PY' || fail "PSK override not applied"
import json, sys
o = json.load(open(sys.argv[1]))["objects"]
keys = [k for k, v in o.items() if k.endswith("/5") and v == {"hex": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}]
ids = [k for k, v in o.items() if k.endswith("/3") and v == {"hex": b"urn:imei:490154203237518".hex()}]
assert keys and ids, o
PY
echo "ok: urn:imei:490154203237518 got its own PSK (override)"
if bs --ep no-such-device >"$W/unknown.json"; then fail "unknown endpoint bootstrapped"; fi
grep -q '"bootstrap_request":"4.00"' "$W/unknown.json" || fail "unknown endpoint: $(cat "$W/unknown.json")"
echo "ok: unknown endpoint answered 4.00"
sleep 0.5
n=$(sql "SELECT count(*) FROM session_audit WHERE endpoint IN ('sensor-0003','urn:imei:490154203237518') AND result='ok'")
[ "$n" -ge 2 ] || fail "audit rows of the first sessions: $n"
n=$(sql "SELECT count(*) FROM session_audit WHERE endpoint='no-such-device' AND result <> 'ok'")
[ "$n" -ge 1 ] || fail "no audit row for the unknown endpoint"
echo "ok: audit rows in session_audit"

kill -HUP "$pid"
sleep 0.3
grep -q "plan cache emptied" "$W/lwbsd.log" || fail "SIGHUP: no reload"
bs --ep sensor-0003 >/dev/null || fail "bootstrap after SIGHUP"
echo "ok: SIGHUP reload"

# Load with a database restart in the middle.
before=$(sql "SELECT count(*) FROM session_audit")
log_before=$(grep -c ' session .*result=' "$W/lwbsd.log" || true)
"$DEVSIM" --server "$srv" --load 50 --duration 8 --warmup 0 --timeout 8 --ep-prefix load- --endpoints 500 \
	>"$W/load.json" 2>"$W/load.err" &
dpid=$!
sleep 2.5
$PG_RUN "$PG_CTL" -D "$PG_DIR/data" -m immediate -w stop >/dev/null
sleep 1
pg_restart_cmd
t_back=$(date +%s.%N)
# first bootstrap that succeeds after the database is back
served=
for _ in $(seq 1 100); do
	if bs --ep sensor-0003 --timeout 2 >/dev/null 2>&1; then served=$(date +%s.%N); break; fi
	sleep 0.05
done
[ -n "$served" ] || fail "lwbsd did not serve again after the restart"
recovery=$(python3 -c "print(round($served - $t_back, 3))")
echo "measured: serving again $recovery s after PostgreSQL was back"
python3 -c "import sys; sys.exit(0 if $recovery <= 5 else 1)" || fail "recovery took $recovery s (> 5 s)"
wait "$dpid" || true
cat "$W/load.json"

# The sessions: each one ended ok or with a reason (the log line of every
# session), and every ok one has its audit row (at least once).
python3 - "$W/lwbsd.log" "$log_before" "$W/load.json" <<'PY' >"$W/sessions.txt" || fail "session outcomes"
import json, re, sys
lines = [l for l in open(sys.argv[1]) if re.search(r" session .*result=", l)][int(sys.argv[2]):]
ok = failed = 0
reasons = {}
for l in lines:
    m = re.search(r' result=(\S+) reason="([^"]*)"', l)
    if not m:
        raise SystemExit("a session without a reason: " + l)
    if m.group(1) == "ok":
        ok += 1
    else:
        failed += 1
        k = m.group(1) + ": " + m.group(2)
        reasons[k] = reasons.get(k, 0) + 1
d = json.load(open(sys.argv[3]))
print(ok, failed, json.dumps(reasons, separators=(",", ":")).replace(" ", "_"), d["sessions"], d["failed"])
PY
read -r log_ok log_failed reasons ds_ok ds_failed <"$W/sessions.txt"
echo "sessions during the load (lwbsd log): $log_ok ok, $log_failed failed: $reasons; devsim: $ds_ok ok, $ds_failed failed"
[ "$log_ok" -ge 100 ] || fail "too few sessions completed: $log_ok"
[ "$log_failed" -ge 1 ] || echo "note: no session failed during the restart"

kill -TERM "$pid"
wait "$pid" || fail "lwbsd exit status $?"
pid=
grep -q "lwbsd stopped" "$W/lwbsd.log" || fail "no clean stop"
if grep -q "store operations not done" "$W/lwbsd.log"; then fail "shutdown dropped store work"; fi
echo "ok: SIGTERM drained the store"
rows_ok=$(sql "SELECT count(*) FROM session_audit WHERE result='ok' AND id > (SELECT coalesce(max(id), 0) FROM (SELECT id FROM session_audit ORDER BY id LIMIT $before) b)")
echo "audit rows with result ok since the load began: $rows_ok (log: $log_ok ok sessions, plus the recovery probes)"
[ "$rows_ok" -ge "$log_ok" ] || fail "audit rows missing: $rows_ok rows for $log_ok ok sessions"
echo "ok: every completed session's audit record is stored"
echo "PASS"
