#!/bin/sh
# Generated zones against BIND: named-checkzone -i full accepts every zone
# in both layouts; a named started here on 127.0.0.1 (ephemeral port, own
# directory) serves them and `lwbsctl dns check` passes; after one record is
# edited in a zone, dns check reports it and exits 1.
#   bind.sh LWBSCTL SRCDIR      (LWBS_ALLOW_SKIP=1: exit 77 without BIND)
set -eu
LWBSCTL=$1
SRC=$2
PATH=$PATH:/usr/sbin:/sbin

for tool in named named-checkzone dig; do
	if ! command -v $tool >/dev/null 2>&1; then
		if [ "${LWBS_ALLOW_SKIP:-}" = 1 ]; then
			echo "SKIP: $tool not found (install bind9 bind9-utils bind9-dnsutils)"
			exit 77
		fi
		echo "FAIL: $tool not found: run deploy/install-deps.sh (bind9 bind9-utils" \
			"bind9-dnsutils), or set LWBS_ALLOW_SKIP=1 to skip" >&2
		exit 1
	fi
done

T=$(mktemp -d /tmp/lwbs-dns-bind.XXXXXX)
NAMED_PID=
cleanup() {
	if [ -n "$NAMED_PID" ]; then
		kill "$NAMED_PID" 2>/dev/null || true
		wait "$NAMED_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/named.log" ] && tail -20 "$T/named.log" >&2
	exit 1
}

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

free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_named() {
	cat >"$T/named.conf" <<CONF
options {
	directory "$T";
	pid-file "$T/named.pid";
	session-keyfile "$T/session.key";
	managed-keys-directory "$T";
	listen-on port $PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
include "$T/zones/named.conf.lwbs";
CONF
	named -g -4 -n 1 -c "$T/named.conf" >"$T/named.log" 2>&1 &
	NAMED_PID=$!
	i=0
	while [ $i -lt 50 ]; do
		if dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=1 +short SOA \
			bsf.mnc015.mcc234.pub.3gppnetwork.org 2>/dev/null | grep -q hostmaster; then
			return 0
		fi
		kill -0 "$NAMED_PID" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	kill "$NAMED_PID" 2>/dev/null || true
	wait "$NAMED_PID" 2>/dev/null || true
	NAMED_PID=
	return 1
}

stop_named() {
	kill "$NAMED_PID"
	wait "$NAMED_PID" 2>/dev/null || true
	NAMED_PID=
}

# 2. named serves the zones; dns check agrees (a port may be taken between
#    probing and binding: try a few)
tries=0
until PORT=$(free_port) && start_named; do
	tries=$((tries + 1))
	[ $tries -lt 3 ] || fail "named did not start"
done
echo "named: serving on 127.0.0.1:$PORT"
"$LWBSCTL" dns check --server "127.0.0.1:$PORT" --plmns "$PLMNS" --timeout 5 >"$T/check1" ||
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
"$LWBSCTL" dns check --server "127.0.0.1:$PORT" --plmns "$PLMNS" --timeout 5 >"$T/check2" || rc=$?
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
"$LWBSCTL" dns check --server "127.0.0.1:$PORT" --plmns "$PLMNS" --timeout 2 >"$T/check3" || rc=$?
[ "$rc" -eq 1 ] || fail "dns check exit $rc without a server"
grep -q '^error: ' "$T/check3" || fail "no error lines without a server"
echo "bind: ok"
