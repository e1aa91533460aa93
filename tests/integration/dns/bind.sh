#!/bin/sh
# Generated zones against BIND: named-checkzone -i full accepts every zone
# in both layouts; a named started here on 127.0.0.1 (ephemeral port, own
# directory) serves them and `lwbsctl dns check` passes; after one record is
# edited in a zone, dns check reports it and exits 1.
#   bind.sh LWBSCTL SRCDIR      (LWBS_ALLOW_SKIP=1: exit 77 without BIND)
set -eu
LWBSCTL=$1
SRC=$2
. "$(dirname "$0")/lib.sh"
require_tools "bind9 bind9-utils bind9-dnsutils" named named-checkzone dig python3
workdir bind

check_zones() {
	for f in "$1"/*.zone; do
		z=$(basename "$f" .zone)
		named-checkzone -q -i full "$z" "$f" || {
			named-checkzone -i full "$z" "$f" >&2 || true
			fail "named-checkzone rejects $f"
		}
	done
}

# 1. both layouts pass named-checkzone -i full
PLMNS="$T/plmns.yaml"
cp "$SRC/config/plmns.yaml" "$PLMNS"
"$LWBSCTL" zone generate --plmns "$PLMNS" --out "$T/zones" --date 20260101 >/dev/null
check_zones "$T/zones"
sed 's/^layout: per-plmn/layout: combined/' "$PLMNS" >"$T/combined.yaml"
"$LWBSCTL" zone generate --plmns "$T/combined.yaml" --out "$T/combined" --date 20260101 >/dev/null
[ -f "$T/combined/pub.3gppnetwork.org.zone" ] || fail "combined layout: no pub.3gppnetwork.org.zone"
check_zones "$T/combined"
echo "named-checkzone: ok"

stop_named() {
	kill "$NAMED_PID"
	wait "$NAMED_PID" 2>/dev/null || true
	NAMED_PID=
}

# 2. named serves the zones; dns check agrees
on_free_port DNS_PORT start_named named
echo "named: serving on 127.0.0.1:$DNS_PORT"
"$LWBSCTL" dns check --server "127.0.0.1:$DNS_PORT" --plmns "$PLMNS" --timeout 5 >"$T/check1" ||
	{ cat "$T/check1"; fail "dns check against the generated zones"; }
cat "$T/check1"
grep -q ' 0 mismatches' "$T/check1" || fail "dns check summary"

# 3. edit one zone by hand: another address, one URI record removed
Z="$T/zones/bsf.mnc015.mcc234.pub.3gppnetwork.org.zone"
sed -e 's/IN A     192\.0\.2\.10$/IN A     192.0.2.99/' -e '/_coaps._udp .* URI /d' "$Z" >"$Z.new"
mv "$Z.new" "$Z"
grep -q 192.0.2.99 "$Z" || fail "test edit did not apply"
stop_named
start_named || fail "named did not restart"
rc=0
"$LWBSCTL" dns check --server "127.0.0.1:$DNS_PORT" --plmns "$PLMNS" --timeout 5 >"$T/check2" || rc=$?
cat "$T/check2"
[ "$rc" -eq 1 ] || fail "dns check exit $rc after the edit, expected 1"
grep -q '^differs: bsf.mnc015.mcc234.pub.3gppnetwork.org. A expected 300 192.0.2.10, got 300 192.0.2.99$' \
	"$T/check2" || fail "edited A record not reported"
grep -q '^missing: _coaps._udp.bsf.mnc015.mcc234.pub.3gppnetwork.org. URI 300 10 10 "coaps://bsf.mnc015.mcc234.pub.3gppnetwork.org:5684"$' \
	"$T/check2" || fail "removed URI record not reported"
grep -q ' 2 mismatches' "$T/check2" || fail "more than the two edits reported"

# 4. a server that does not answer: errors, exit 1, within the timeout
stop_named
rc=0
"$LWBSCTL" dns check --server "127.0.0.1:$DNS_PORT" --plmns "$PLMNS" --timeout 2 >"$T/check3" || rc=$?
[ "$rc" -eq 1 ] || fail "dns check exit $rc without a server"
grep -q '^error: ' "$T/check3" || fail "no error lines without a server"
echo "bind: ok"
