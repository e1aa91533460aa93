#!/bin/sh
# lwbs-devsim --discover dns against a real named serving zones from
# `lwbsctl zone generate` and a real lwbsd:
#   PLMN 234-15:  URI record        -> bootstraps, "discovered" is the URI
#   PLMN 310-410: SRV only (URI removed from the zone) -> SRV + A, bootstraps
#   PLMN 262-01:  no _coap._udp URI/SRV (removed)      -> discovery fails, exit 1
#   --scheme coaps on 234-15: a coaps URI             -> reported, exit 1
#   a PLMN the server does not serve                  -> fails, exit 1
#   no DNS server                                     -> fails, exit 1
#   discover.sh LWBSCTL SRCDIR DEVSIM LWBSD   (LWBS_ALLOW_SKIP=1: exit 77 without BIND)
set -eu
LWBSCTL=$1
SRC=$2
DEVSIM=$3
LWBSD=$4
PATH=$PATH:/usr/sbin:/sbin

for tool in named dig python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		if [ "${LWBS_ALLOW_SKIP:-}" = 1 ]; then
			echo "SKIP: $tool not found (install bind9 bind9-dnsutils python3)"
			exit 77
		fi
		echo "FAIL: $tool not found: run deploy/install-deps.sh, or set LWBS_ALLOW_SKIP=1 to skip" >&2
		exit 1
	fi
done

T=$(mktemp -d /tmp/lwbs-dns-discover.XXXXXX)
NAMED_PID=
LWBSD_PID=
stop() {
	if [ -n "$1" ]; then
		kill "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}
cleanup() {
	stop "$NAMED_PID"
	stop "$LWBSD_PID"
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$T/named.log" "$T/lwbsd.log"; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
	done
	exit 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- lwbsd on an ephemeral port ---------------------------------------
cat >"$T/devices.yaml" <<'YAML'
profiles:
  - name: basic
    servers:
      - uri: coap://dm.example.net:5683
        ssid: 101
        security: nosec
devices:
  - endpoint: disc-1
    profile: basic
YAML

# A CoAP ping (empty CON) is answered with RST once lwbsd serves.
coap_ping() {
	python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(b"\x40\x00\x12\x34", ("127.0.0.1", int(sys.argv[1])))
try:
    d = s.recv(64)
except OSError:
    sys.exit(1)
sys.exit(0 if d[:1] and (d[0] >> 4) & 3 == 3 else 1)
PY
}

start_lwbsd() {
	cat >"$T/lwbsd.yaml" <<CONF
listeners:
  - address: 127.0.0.1
    port: $BS_PORT
store:
  type: embedded
  files: [devices.yaml]
session:
  shutdown_grace: 1
log:
  level: info
CONF
	"$LWBSD" -c "$T/lwbsd.yaml" >"$T/lwbsd.log" 2>&1 &
	LWBSD_PID=$!
	i=0
	while [ $i -lt 50 ]; do
		coap_ping "$BS_PORT" && return 0
		kill -0 "$LWBSD_PID" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	stop "$LWBSD_PID"
	LWBSD_PID=
	return 1
}

tries=0
until BS_PORT=$(free_port) && start_lwbsd; do
	tries=$((tries + 1))
	[ $tries -lt 3 ] || fail "lwbsd did not start"
done
echo "lwbsd: serving on 127.0.0.1:$BS_PORT"

# ---- zones: the bootstrap name at 127.0.0.1, coap on lwbsd's port ------
cat >"$T/plmns.yaml" <<YAML
label: bsf
suffix: pub.3gppnetwork.org
soa:
  rname: hostmaster.example.net.
ns:
  - name: ns1
    addresses: [127.0.0.1]
addresses: [127.0.0.1]
services:
  - {scheme: coap, port: $BS_PORT, priority: 10, weight: 10}
  - {scheme: coaps, port: 5684, priority: 20}
plmns:
  - {mcc: "234", mnc: "15"}
  - {mcc: "310", mnc: "410"}
  - {mcc: "262", mnc: "01"}
YAML
"$LWBSCTL" zone generate --plmns "$T/plmns.yaml" --out "$T/zones" --date 20260101 >/dev/null ||
	fail "zone generate"
Z310="$T/zones/bsf.mnc410.mcc310.pub.3gppnetwork.org.zone"
Z262="$T/zones/bsf.mnc001.mcc262.pub.3gppnetwork.org.zone"
grep -q '^_coap._udp .* URI ' "$Z310" || fail "no _coap._udp URI record generated in $Z310"
sed -i '/^_coap._udp .* URI /d' "$Z310"
sed -i '/^_coap._udp /d' "$Z262"
grep -q '^_coap._udp .* SRV ' "$Z310" || fail "the SRV record of $Z310 went with the URI"
! grep -q '^_coap._udp' "$Z262" || fail "test edit of $Z262 did not apply"

start_named() {
	cat >"$T/named.conf" <<CONF
options {
	directory "$T";
	pid-file "$T/named.pid";
	session-keyfile "$T/session.key";
	managed-keys-directory "$T";
	listen-on port $DNS_PORT { 127.0.0.1; };
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
		if dig @127.0.0.1 -p "$DNS_PORT" +norec +time=1 +tries=1 +short SOA \
			bsf.mnc015.mcc234.pub.3gppnetwork.org 2>/dev/null | grep -q hostmaster; then
			return 0
		fi
		kill -0 "$NAMED_PID" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	stop "$NAMED_PID"
	NAMED_PID=
	return 1
}

tries=0
until DNS_PORT=$(free_port) && start_named; do
	tries=$((tries + 1))
	[ $tries -lt 3 ] || fail "named did not start"
done
echo "named: serving on 127.0.0.1:$DNS_PORT"

# run NAME EXPECTED_EXIT devsim-args...: the report goes to $T/NAME.json
run() {
	name=$1
	want=$2
	shift 2
	rc=0
	"$DEVSIM" --discover dns --dns "127.0.0.1:$DNS_PORT" --ep disc-1 --timeout 15 "$@" \
		>"$T/$name.json" 2>"$T/$name.err" || rc=$?
	cat "$T/$name.json"
	[ "$rc" -eq "$want" ] || { cat "$T/$name.err" >&2; fail "$name: exit $rc, expected $want"; }
	! grep -q Sanitizer "$T/$name.err" || { cat "$T/$name.err" >&2; fail "$name: sanitizer report"; }
}

# expect NAME PYTHON-EXPRESSION: r is the report
expect() {
	python3 - "$T/$1.json" "$2" <<'PY' || fail "$1: report does not satisfy: $2"
import json, sys
with open(sys.argv[1]) as f:
    r = json.loads(f.read())
steps = [(s["type"], s["status"], len(s["records"])) for s in r.get("discovery", [])]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# 1. URI record
run uri 0 --imsi 234150999999999 --mnc-len 2
expect uri "r['result'] == 'ok' and r['discovered'] == 'coap://bsf.mnc015.mcc234.pub.3gppnetwork.org:$BS_PORT'"
expect uri "steps == [('URI', 'NOERROR', 1), ('A', 'NOERROR', 1)]"
expect uri "r['discovery'][0]['query'] == '_coap._udp.bsf.mnc015.mcc234.pub.3gppnetwork.org.'"
expect uri "r['objects']['/0/0/0'] == r['discovered'] and r['objects']['/0/1/0'] == 'coap://dm.example.net:5683'"

# 2. SRV only: 3-digit MNC
run srv 0 --imsi 310410123456789 --mnc-len 3
expect srv "r['result'] == 'ok' and r['discovered'] == 'coap://bsf.mnc410.mcc310.pub.3gppnetwork.org:$BS_PORT'"
expect srv "steps == [('URI', 'NOERROR', 0), ('SRV', 'NOERROR', 1), ('A', 'NOERROR', 1)]"

# 3. no URI and no SRV for _coap._udp
run none 1 --imsi 262011234567890 --mnc-len 2
expect none "r['result'] == 'failed' and r['discovered'] is None"
expect none "r['reason'] == 'no URI or SRV record for _coap._udp.bsf.mnc001.mcc262.pub.3gppnetwork.org.'"
expect none "steps == [('URI', 'NXDOMAIN', 0), ('SRV', 'NXDOMAIN', 0)]"

# 4. coaps: found, but not something devsim can bootstrap with
run coaps 1 --imsi 234150999999999 --mnc-len 2 --scheme coaps
expect coaps "r['result'] == 'failed' and r['discovered'] == 'coaps://bsf.mnc015.mcc234.pub.3gppnetwork.org:5684'"
expect coaps "'coap://' in r['reason'] and steps == [('URI', 'NOERROR', 1)]"

# 5. the same IMSI read with a 3-digit MNC: a name this server does not serve
run wrongmnc 1 --imsi 234150999999999 --mnc-len 3
expect wrongmnc "r['result'] == 'failed' and r['discovery'][0]['query'].startswith('_coap._udp.bsf.mnc150.mcc234.')"
expect wrongmnc "steps == [('URI', 'REFUSED', 0)]"

# 6. no DNS server at all
stop "$NAMED_PID"
NAMED_PID=
run nodns 1 --imsi 234150999999999 --mnc-len 2 --timeout 3
expect nodns "r['result'] == 'failed' and r['reason'].startswith('URI query for _coap._udp.bsf.mnc015.') and steps[0][1] != 'NOERROR'"

kill -0 "$LWBSD_PID" 2>/dev/null || fail "lwbsd died"
stop "$LWBSD_PID"
LWBSD_PID=
! grep -q Sanitizer "$T/lwbsd.log" || fail "sanitizer report from lwbsd"
echo "discover: ok"
