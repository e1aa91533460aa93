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
. "$(dirname "$0")/lib.sh"
require_tools "bind9 bind9-dnsutils python3" named dig python3
workdir discover

# ---- lwbsd on an ephemeral port ---------------------------------------
{
	grep -v '^#' "$(dirname "$0")/../basic-profile.yaml"
	cat <<'YAML'
devices:
  - endpoint: disc-1
    profile: basic
YAML
} >"$T/devices.yaml"

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
    trusted: true
    identify: endpoint
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
	wait_for "$LWBSD_PID" coap_ping "$BS_PORT" && return 0
	LWBSD_PID=
	return 1
}

on_free_port BS_PORT start_lwbsd lwbsd
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

on_free_port DNS_PORT start_named named
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
