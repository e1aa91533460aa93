#!/bin/bash
# lwbs-dhcpd integration test: the server in one network namespace, clients
# in another over a veth pair. Crafted DHCPINFORM / Information-request /
# Relay-forward (client.py) and, when installed, ISC dhclient -6 -S (a real
# stateless DHCPv6 client). Needs root and `ip netns`; without them the
# test fails, or skips (77) when LWBS_ALLOW_SKIP=1.
#
# A second run follows a RADIUS binding journal written by
# `lwbsctl radius import` (subscribers: per-PLMN URIs).
#
#   run.sh /path/to/lwbs-dhcpd /path/to/lwbsctl
set -u
DHCPD=$(readlink -f "$1")
LWBSCTL=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ID=$$
NS_S=lwbs-dhcp-s$ID
NS_C=lwbs-dhcp-c$ID
IF_S=lwds$ID
IF_C=lwdc$ID
T=$(mktemp -d /tmp/lwbs-dhcp-it.XXXXXX)
URI=coaps://bsf.example.net:5684
PID=""

cleanup() {
	# best effort: every step runs, none changes the test's exit status
	{ [ -n "$PID" ] && kill "$PID" && wait "$PID"; } 2>/dev/null || true
	{ [ -f "$T/dhclient.pid" ] && kill "$(cat "$T/dhclient.pid")"; } 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

skip_or_fail() {
	echo "dhcp integration: $1" >&2
	if [ "${LWBS_ALLOW_SKIP:-0}" = 1 ]; then exit 77; fi
	exit 1
}

if ! ip netns add "$NS_S" 2>"$T/err" || ! ip netns add "$NS_C" 2>>"$T/err"; then
	skip_or_fail "network namespaces not permitted: $(cat "$T/err")"
fi
command -v python3 >/dev/null || skip_or_fail "python3 missing"

# start_dhcpd CONF: lwbs-dhcpd checks CONF, then serves it in the server
# namespace (PID).
start_dhcpd() {
	"$DHCPD" -c "$1" --check-config
	ip netns exec "$NS_S" "$DHCPD" -c "$1" 2>"$T/dhcpd.log" &
	PID=$!
	for _ in $(seq 50); do
		grep -qs serving "$T/dhcpd.log" && break
		kill -0 "$PID" || { cat "$T/dhcpd.log"; exit 1; }
		sleep 0.1
	done
}

# stop_dhcpd PATTERN MESSAGE: the counters lwbs-dhcpd logs on SIGUSR1 must
# match the glob PATTERN (else MESSAGE, and fail); then it is stopped.
stop_dhcpd() {
	kill -USR1 "$PID"
	sleep 0.3
	line=$(grep counters "$T/dhcpd.log" | tail -1)
	echo "$line"
	case "$line" in
	$1) ;;
	*) echo "$2" >&2; exit 1 ;;
	esac
	kill "$PID"
	wait "$PID"
	PID=""
}

set -e
S() { ip netns exec "$NS_S" "$@"; }
C() { ip netns exec "$NS_C" "$@"; }
for ns in "$NS_S" "$NS_C"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip netns exec "$ns" ip link set lo up
done
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
S ip addr add 10.231.0.1/24 dev "$IF_S"
C ip addr add 10.231.0.2/24 dev "$IF_C"
C ip addr add 10.231.0.3/24 dev "$IF_C"
S ip addr add fd00:231::1/64 dev "$IF_S" nodad
C ip addr add fd00:231::2/64 dev "$IF_C" nodad
S ip link set "$IF_S" up
C ip link set "$IF_C" up
# wait for the link-local addresses (multicast needs a usable source)
for _ in $(seq 50); do
	if S ip -6 addr show dev "$IF_S" scope link | grep -q 'inet6 fe80' &&
		C ip -6 addr show dev "$IF_C" scope link | grep -q 'inet6 fe80' &&
		! C ip -6 addr show dev "$IF_C" | grep -q tentative; then
		break
	fi
	sleep 0.1
done

cat > "$T/dhcpd.yaml" <<CONF
listen:
  interfaces: [$IF_S]
uri: $URI
carrier: {type: vivso, enterprise: 32473, suboption: 1}
CONF
start_dhcpd "$T/dhcpd.yaml"

C python3 "$HERE/client.py" 10.231.0.1 10.231.0.2 "$IF_C" fd00:231::1 fd00:231::2 \
	"$URI" 32473 1 || { cat "$T/dhcpd.log"; exit 1; }

# A real stateless DHCPv6 client, when installed.
if command -v dhclient >/dev/null; then
	cat > "$T/dhclient.conf" <<CONF
option dhcp6.lwbs-vendor code 17 = string;
request dhcp6.lwbs-vendor;
CONF
	cat > "$T/script.sh" <<SCRIPT
#!/bin/sh
env | grep -E '^(reason|new_dhcp6_lwbs_vendor)=' >> "$T/dhclient.env"
SCRIPT
	chmod +x "$T/script.sh"
	C timeout 20 dhclient -6 -S -1 -v -cf "$T/dhclient.conf" \
		-lf "$T/dhclient.leases" -pf "$T/dhclient.pid" -sf "$T/script.sh" "$IF_C" \
		>"$T/dhclient.log" 2>&1 || { cat "$T/dhclient.log"; exit 1; }
	# dhclient prints the option as colon-separated hex without leading zeros
	want=$(python3 -c 'import struct, sys
u = sys.argv[1].encode()
print(":".join("%x" % b for b in struct.pack("!IHH", 32473, 1, len(u)) + u))' "$URI")
	if ! grep -q "^new_dhcp6_lwbs_vendor=$want\$" "$T/dhclient.env"; then
		echo "dhclient -6 -S did not receive option 17 = $want" >&2
		cat "$T/dhclient.env" "$T/dhclient.log" >&2
		exit 1
	fi
	echo "ok dhclient -6 -S received option 17 with the URI"
else
	echo "note: dhclient not installed; the real-client check did not run"
fi

# dropped as malformed: the truncated INFORM and the Information-request
# carrying IA_NA (an RFC 8415 §16.12 violation, counted with malformed)
stop_dhcpd "* dropped_malformed=2 dropped_ratelimit=0 dropped_not_for_us=0 subscriber_hits=0 subscriber_misses=0" \
	"unexpected counters (want dropped_malformed=2, others 0)"

# Per-subscriber URIs: 10.231.0.2 is bound to an IMSI of PLMN 26201 in a
# journal imported from a FreeRADIUS detail file; 10.231.0.3 is not (yet).
[ -x "$LWBSCTL" ] || { echo "lwbsctl not found at '$LWBSCTL'" >&2; exit 1; }
URI_A=coaps://bs-a.example:5684
URI_B=coaps://bs-b.example:5684
detail() { # ADDRESS SESSION IMSI MCC-MNC
	printf 'Tue Mar  1 12:34:56 2022\n\tAcct-Status-Type = Start\n\tNAS-IP-Address = 192.0.2.1\n'
	printf '\tFramed-IP-Address = %s\n\tAcct-Session-Id = "%s"\n\t3GPP-IMSI = "%s"\n' "$1" "$2" "$3"
	printf '\t3GPP-IMSI-MCC-MNC = "%s"\n\tTimestamp = 1646138096\n\n' "$4"
}
detail 10.231.0.2 S1 262011234567890 26201 > "$T/detail-1"
"$LWBSCTL" radius import --journal "$T/bindings.journal" "$T/detail-1"
cat > "$T/dhcpd-subs.yaml" <<CONF
listen:
  interfaces: [$IF_S]
  v6: []
uri: $URI
subscribers:
  journal: $T/bindings.journal
  refresh: 1
  by_plmn:
    "26201": $URI_A
    "310410": $URI_B
CONF
start_dhcpd "$T/dhcpd-subs.yaml"
grep -q "subscribers: 1 bindings" "$T/dhcpd.log" || { cat "$T/dhcpd.log"; exit 1; }
C python3 "$HERE/client.py" inform 10.231.0.1 10.231.0.2 "$URI_A" 32473 1 || { cat "$T/dhcpd.log"; exit 1; }
C python3 "$HERE/client.py" inform 10.231.0.1 10.231.0.3 "$URI" 32473 1 || { cat "$T/dhcpd.log"; exit 1; }
# appended while lwbs-dhcpd runs: picked up by the next refresh
detail 10.231.0.3 S2 310410987654321 310410 > "$T/detail-2"
"$LWBSCTL" radius import --journal "$T/bindings.journal" "$T/detail-2"
ok=0
for _ in $(seq 30); do
	sleep 0.2
	if C python3 "$HERE/client.py" inform 10.231.0.1 10.231.0.3 "$URI_B" 32473 1 >/dev/null; then
		ok=1
		break
	fi
done
[ $ok = 1 ] || { echo "appended binding not picked up" >&2; cat "$T/dhcpd.log"; exit 1; }
echo "ok appended binding of 10.231.0.3 picked up: $URI_B"
stop_dhcpd "* subscriber_hits=[2-9]* subscriber_misses=[1-9]*" "unexpected subscriber counters"
echo "dhcp integration: all checks passed"
