#!/bin/sh
# lwbsctl db migrate / provision validate|diff|apply|export against a real,
# throwaway PostgreSQL (tests/lib/pg.sh).
#   provision.sh LWBSCTL SRCDIR
set -eu
L=$(realpath "$1")
SRC=$2
. "$(dirname "$0")/setup.sh"
pg_workdir lwbs-pgtest
D="--dsn-file $W/dsn"
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1" >&2; fails=$((fails + 1)); }
expect() { # expect PATTERN FILE what
	if grep -q -- "$1" "$2"; then ok "$3"; else bad "$3 (no \"$1\" in:)"; cat "$2" >&2; fi
}
q() { psql -X -A -t -d postgres -c "$1"; }

# migrate twice: the second does nothing
$L db migrate $D >"$W/m1"
$L db migrate $D >"$W/m2"
expect "applied 0001_init" "$W/m1" "first migrate applies 0001"
expect "applied 0002_templates" "$W/m1" "first migrate applies 0002"
expect "nothing to do" "$W/m2" "second migrate does nothing"
[ "$(q 'SELECT count(*) FROM schema_version')" = 2 ] && ok "two schema_version rows" || bad "schema_version rows"

cat >"$W/p.yaml" <<'Y'
profiles:
  - name: psk
    servers:
      - uri: coaps://dm.example.net:5684
        ssid: 101
        security: psk
        psk_identity: fleet
        psk_key: hex:000102030405060708090a0b0c0d0e0f
    apn:
      - name: iot
        apn: iot.example.net
        secret: apn-secret-VALUE
Y
cat >"$W/a.yaml" <<'Y'
devices:
  - endpoint: dev-1
    profile: psk
    imsi: "001010000000001"
    batch: a
  - endpoint: dev-2
    profile: psk
    imsi: "001010000000002"
    msisdn: "+491700000002"
    batch: a
    psk_identity: dev-2
    psk_key: hex:a1a2a3a4a5a6a7a8a9aaabacadaeafb0
  - endpoint: dev-3
    profile: psk
    imei: "490154203237518"
    batch: a
    overrides:
      servers:
        - ssid: 101
          psk_key: hex:deadbeefdeadbeefdeadbeefdeadbeef
Y

# validate: errors as file:line:column, nothing applied
sed 's/imsi: "001010000000002"/imsi: "12x"/' "$W/a.yaml" >"$W/bad.yaml"
if $L provision validate "$W/p.yaml" "$W/bad.yaml" 2>"$W/v"; then bad "validate accepted a bad file"; fi
expect "bad.yaml:[0-9]*:[0-9]*: imsi" "$W/v" "validate error has file:line:column"
if $L provision apply $D "$W/p.yaml" "$W/bad.yaml" >/dev/null 2>&1; then bad "apply accepted a bad file"; fi
[ "$(q 'SELECT count(*) FROM devices')" = 0 ] && ok "bad file: nothing applied" || bad "bad file applied rows"

$L provision validate "$SRC/tests/integration/pg/generating.yaml" >/dev/null || bad "validate refused generate_credentials"
$L provision validate "$W/p.yaml" "$W/a.yaml" >"$W/v2"
expect "1 profiles, 3 devices: valid" "$W/v2" "validate accepts good files"

# apply, re-apply: 0 changes. New devices take their ids from the
# devices' sequence (here after 7 values someone else took), in file order.
q "SELECT nextval(pg_get_serial_sequence('devices', 'id')) FROM generate_series(1, 7)" >/dev/null
$L provision apply $D "$W/p.yaml" "$W/a.yaml" >"$W/ap1"
expect "devices: 3 new, 0 changed, 0 unchanged, 0 removed" "$W/ap1" "apply adds 3 devices"
[ "$(q "SELECT string_agg(endpoint || '=' || id, ' ' ORDER BY id) FROM devices")" = "dev-1=8 dev-2=9 dev-3=10" ] &&
	ok "new device ids from the sequence, in file order" || bad "device ids: $(q "SELECT string_agg(endpoint || '=' || id, ' ') FROM devices")"
[ "$(q "SELECT string_agg(d.endpoint || ':' || i.kind, ' ' ORDER BY d.endpoint, i.kind) FROM device_identities i JOIN devices d ON d.id = i.device_id")" = "dev-1:imsi dev-2:imsi dev-2:msisdn dev-2:psk_id dev-3:imei" ] &&
	ok "identities on their devices" || bad "identities: $(q "SELECT string_agg(device_id || ':' || kind, ' ') FROM device_identities")"
[ "$(q "SELECT d.endpoint || ' ' || array_to_string(c.path, '.') FROM device_credentials c JOIN devices d ON d.id = c.device_id ORDER BY 1")" = "$(printf 'dev-2 psk_key\ndev-3 overrides.servers.0.psk_key')" ] &&
	ok "device secrets on their devices" || bad "device secrets: $(q "SELECT device_id, path FROM device_credentials")"
upd=$(q "SELECT max(updated_at) FROM devices")
$L provision apply $D "$W/p.yaml" "$W/a.yaml" >"$W/ap2"
expect "profiles: 0 new, 0 changed, 1 unchanged" "$W/ap2" "re-apply: profile unchanged"
expect "devices: 0 new, 0 changed, 3 unchanged, 0 removed" "$W/ap2" "re-apply: 0 changes"
[ "$(q "SELECT max(updated_at) FROM devices")" = "$upd" ] && ok "re-apply wrote nothing" || bad "re-apply rewrote rows"
[ "$(q "SELECT count(*) FROM device_identities")" = 5 ] && ok "5 identities stored" || bad "identity rows"
[ "$(q "SELECT key FROM device_identities WHERE kind='msisdn'")" = 491700000002 ] && ok "msisdn key without +" || bad "msisdn key"

# secrets are not printed
for out in "$W/ap1" "$W/ap2" "$W/v2"; do
	if grep -qi "a1a2a3\|deadbeef\|apn-secret-VALUE\|000102030405" "$out"; then bad "secret printed in $out"; fi
done
$L provision export $D >"$W/e1.yaml"
if grep -qi "a1a2a3\|deadbeef\|apn-secret-VALUE\|000102030405" "$W/e1.yaml"; then bad "export printed a secret"; else ok "export without --show-secrets hides secrets"; fi
expect '"psk_key": "redacted"' "$W/e1.yaml" "export writes secrets as redacted"

# change one device: diff shows exactly it
sed 's/imsi: "001010000000001"/imsi: "001010000000009"/' "$W/a.yaml" >"$W/a2.yaml"
$L provision diff $D "$W/p.yaml" "$W/a2.yaml" >"$W/d1"
expect "devices: 0 new, 1 changed, 2 unchanged, 0 removed" "$W/d1" "diff: one change"
expect "^changed devices: dev-1$" "$W/d1" "diff names exactly dev-1"
expect "dry run: nothing written" "$W/d1" "diff writes nothing"
[ "$(q "SELECT value FROM device_identities WHERE kind='imsi' ORDER BY 1 LIMIT 1")" = 001010000000001 ] && ok "diff left the data" || bad "diff changed data"
$L provision apply $D "$W/p.yaml" "$W/a2.yaml" >"$W/ap3"
expect "devices: 0 new, 1 changed, 2 unchanged" "$W/ap3" "apply of the change"
[ "$(q "SELECT count(*) FROM device_identities WHERE value='001010000000009'")" = 1 ] && ok "new imsi stored" || bad "new imsi"
[ "$(q "SELECT d.id || ' ' || count(*) FROM devices d JOIN device_identities i ON i.device_id = d.id WHERE d.endpoint = 'dev-1' GROUP BY d.id")" = "8 1" ] &&
	ok "changed device keeps its id, old identity gone" || bad "changed device id/identities"

# two changed devices swap an identity in one apply
sed 's/imsi: "001010000000009"/imsi: "001010000000X"/; s/imsi: "001010000000002"/imsi: "001010000000009"/; s/imsi: "001010000000X"/imsi: "001010000000002"/' "$W/a2.yaml" >"$W/a4.yaml"
$L provision apply $D "$W/p.yaml" "$W/a4.yaml" >"$W/ap4"
expect "devices: 0 new, 2 changed, 1 unchanged" "$W/ap4" "identity swap applied"
[ "$(q "SELECT string_agg(d.endpoint || '=' || i.value, ' ' ORDER BY d.endpoint) FROM device_identities i JOIN devices d ON d.id = i.device_id WHERE i.kind = 'imsi'")" = "dev-1=001010000000002 dev-2=001010000000009" ] &&
	ok "identities swapped" || bad "identity swap"
$L provision apply $D "$W/p.yaml" "$W/a2.yaml" >"$W/ap5"
expect "devices: 0 new, 2 changed, 1 unchanged" "$W/ap5" "identity swap undone"

# round trip: apply -> export -> apply reports 0 changes (redacted and shown)
$L provision export $D >"$W/e2.yaml"
$L provision apply $D "$W/e2.yaml" >"$W/rt1"
expect "devices: 0 new, 0 changed, 3 unchanged" "$W/rt1" "round trip (redacted): 0 changes"
expect "profiles: 0 new, 0 changed, 1 unchanged" "$W/rt1" "round trip (redacted): profiles unchanged"
$L provision export $D --show-secrets >"$W/e3.yaml"
expect "a1a2a3a4a5a6a7a8a9aaabacadaeafb0" "$W/e3.yaml" "--show-secrets exports the device PSK"
expect "apn-secret-VALUE" "$W/e3.yaml" "--show-secrets exports the APN secret"
$L provision apply $D "$W/e3.yaml" >"$W/rt2"
expect "devices: 0 new, 0 changed, 3 unchanged" "$W/rt2" "round trip (secrets): 0 changes"
[ "$(q "SELECT encode(secret,'hex') FROM device_credentials c JOIN devices d ON d.id=c.device_id WHERE d.endpoint='dev-3'")" = deadbeefdeadbeefdeadbeefdeadbeef ] && ok "override secret kept" || bad "override secret"

# a redacted secret for a new device is refused
sed 's/endpoint: "dev-2"/endpoint: "dev-new"/; s/"endpoint": "dev-2"/"endpoint": "dev-new"/; s/"psk_identity": "dev-2"/"psk_identity": "dev-new"/; s/"imsi": "001010000000002"/"imsi": "001010000000077"/; s/"msisdn": "+491700000002"/"msisdn": "+491700000077"/' "$W/e1.yaml" | grep -v '"endpoint": "dev-[13]"' >"$W/red.yaml"
if $L provision apply $D "$W/red.yaml" >"$W/r1" 2>&1; then bad "redacted secret for a new device accepted"; fi
expect "redacted" "$W/r1" "redacted secret for a new device refused"
[ "$(q "SELECT count(*) FROM devices WHERE endpoint='dev-new'")" = 0 ] && ok "refused batch applied nothing" || bad "dev-new stored"

# a failing batch (identity of batch a reused in batch b) applies nothing
cat >"$W/b.yaml" <<'Y'
devices:
  - endpoint: dev-b1
    profile: psk
    imsi: "001010000000101"
    batch: b
  - endpoint: dev-b2
    profile: psk
    imsi: "001010000000002"
    batch: b
Y
if $L provision apply $D "$W/p.yaml" "$W/b.yaml" >"$W/f1" 2>&1; then bad "duplicate identity across batches accepted"; fi
expect "nothing applied" "$W/f1" "duplicate identity: nothing applied"
expect "001010000000002" "$W/f1" "duplicate identity named"
[ "$(q "SELECT count(*) FROM devices WHERE batch='b'")" = 0 ] && ok "no row of the failing batch" || bad "failing batch wrote rows"

# prune: dev-2 dropped from batch a
awk '/endpoint: dev-2/{skip=1} /endpoint: dev-3/{skip=0} !skip' "$W/a2.yaml" >"$W/a3.yaml"
$L provision diff $D --prune a "$W/p.yaml" "$W/a3.yaml" >"$W/pr0"
expect "devices: 0 new, 0 changed, 2 unchanged, 1 removed" "$W/pr0" "diff --prune counts the removal"
$L provision apply $D "$W/p.yaml" "$W/a3.yaml" >"$W/pr1"
[ "$(q "SELECT count(*) FROM devices")" = 3 ] && ok "no removal without --prune" || bad "removed without --prune"
$L provision apply $D --prune a "$W/p.yaml" "$W/a3.yaml" >"$W/pr2"
expect "removed devices: dev-2" "$W/pr2" "prune removes dev-2"
[ "$(q "SELECT count(*) FROM devices")" = 2 ] && ok "2 devices left" || bad "prune count"
[ "$(q "SELECT count(*) FROM device_credentials c LEFT JOIN devices d ON d.id=c.device_id WHERE d.id IS NULL")" = 0 ] && ok "pruned device's secrets gone" || bad "orphan secrets"

# generated DM credentials: the profiles are stored with generate_credentials
# (lwbsd's lookup makes the keys), exported back as they were, re-applied
# without a change
G=$SRC/tests/integration/pg/generating.yaml
$L provision apply $D "$G" >"$W/g1" 2>&1 || bad "apply refused generate_credentials"
expect "devices: 2 new" "$W/g1" "generating profiles applied"
$L provision export $D >"$W/g2.yaml"
expect '"generate_credentials": {"rotate": false, "key_length": 16, "psk_identity": "dm-{endpoint}"}' "$W/g2.yaml" "export keeps generate_credentials"
expect '"generate_credentials": {"rotate": true, "key_length": 32, "psk_identity": "{imsi}"}' "$W/g2.yaml" "export keeps rotate"
$L provision apply $D "$G" >"$W/g3"
expect "profiles: 0 new, 0 changed, 2 unchanged" "$W/g3" "re-apply of generating profiles: unchanged"

# auto-enrolment templates (docs/identity.md): counted by position in the
# diff, replaced as a list only when the files have `templates:`,
# idempotent, and kept through export -> apply
cat >"$W/t.yaml" <<'Y'
templates:
  - {plmn: "26201", apn: iot.example, profile: psk}
  - {profile: psk}
Y
$L provision validate "$W/p.yaml" "$W/t.yaml" >"$W/tv"
expect "1 profiles, 0 devices, 2 templates: valid" "$W/tv" "validate counts templates"
$L provision diff $D "$W/p.yaml" "$W/t.yaml" >"$W/t0"
expect "templates: 2 new, 0 changed, 0 unchanged, 0 removed" "$W/t0" "diff counts new templates"
[ "$(q 'SELECT count(*) FROM templates')" = 0 ] && ok "diff wrote no template" || bad "diff wrote templates"
$L provision apply $D "$W/p.yaml" "$W/t.yaml" >"$W/t1"
expect "templates: 2 new, 0 changed, 0 unchanged, 0 removed" "$W/t1" "apply adds templates"
[ "$(q "SELECT string_agg(position || ':' || coalesce(plmn, '-') || ':' || coalesce(apn, '-'), ' ' ORDER BY position) FROM templates")" = "1:26201:iot.example 2:-:-" ] && ok "templates stored in order" || bad "stored templates: $(q 'SELECT * FROM templates')"
$L provision apply $D "$W/p.yaml" "$W/t.yaml" >"$W/t2"
expect "templates: 0 new, 0 changed, 2 unchanged, 0 removed" "$W/t2" "re-apply: templates unchanged"
$L provision apply $D "$W/p.yaml" "$W/a3.yaml" >"$W/t3"
[ "$(q 'SELECT count(*) FROM templates')" = 2 ] && ok "files without templates: the stored list stays" || bad "templates dropped by files without them"
if grep -q "^templates:" "$W/t3"; then bad "templates reported without templates in the files"; else ok "no templates line without templates in the files"; fi
$L provision export $D >"$W/te.yaml"
expect '{"apn": "iot.example", "plmn": "26201", "profile": "psk"}' "$W/te.yaml" "export writes the templates"
$L provision apply $D "$W/te.yaml" >"$W/t4"
expect "templates: 0 new, 0 changed, 2 unchanged, 0 removed" "$W/t4" "round trip: templates unchanged"
expect "devices: 0 new, 0 changed" "$W/t4" "round trip with templates: devices unchanged"
sed 's/"26201"/"26202"/' "$W/t.yaml" >"$W/t5.yaml"
$L provision diff $D "$W/p.yaml" "$W/t5.yaml" >"$W/t5"
expect "templates: 0 new, 1 changed, 1 unchanged, 0 removed" "$W/t5" "diff counts a changed template"
printf 'templates:\n  - {apn: other, profile: psk}\n' >"$W/t6.yaml"
$L provision apply $D "$W/p.yaml" "$W/t6.yaml" >"$W/t6"
expect "templates: 0 new, 1 changed, 0 unchanged, 1 removed" "$W/t6" "apply counts a removed template"
[ "$(q "SELECT string_agg(position || ':' || coalesce(apn, '-'), ' ') FROM templates")" = "1:other" ] && ok "the list was replaced" || bad "templates after replace: $(q 'SELECT * FROM templates')"
printf 'templates: []\n' >"$W/t7.yaml"
$L provision apply $D "$W/t7.yaml" >"$W/t7"
expect "templates: 0 new, 0 changed, 0 unchanged, 1 removed" "$W/t7" "templates: [] removes them all"
[ "$(q 'SELECT count(*) FROM templates')" = 0 ] && ok "no template left" || bad "templates left"
printf 'templates:\n  - {profile: nosuch}\n' >"$W/t8.yaml"
if $L provision apply $D "$W/p.yaml" "$W/t8.yaml" >"$W/t8" 2>&1; then bad "template with an unknown profile accepted"; fi
expect 't8.yaml:2:[0-9]*: template: no profile named "nosuch"' "$W/t8" "template with an unknown profile refused"

if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)" >&2
	exit 1
fi
echo "all passed"
