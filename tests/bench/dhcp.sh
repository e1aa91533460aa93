#!/bin/bash
# lwbs-dhcpd benchmark: DHCPINFORM (v4, option 125) and Information-request
# (v6, option 17) answered per second with N in flight, 3 runs x 20 s each
# after a 2 s warm-up. Server and generator run in two network namespaces
# over a veth pair (PERFORMANCE.md); if namespaces are not permitted, both
# run on loopback and the report says so.
#
#   tests/bench/dhcp.sh BUILD_DIR [INFLIGHT=256] [SECONDS=20] [RUNS=3]
set -eu
B=$(readlink -f "${1:?usage: dhcp.sh BUILD_DIR [INFLIGHT] [SECONDS] [RUNS]}")
N=${2:-256}
SECS=${3:-20}
RUNS=${4:-3}
DHCPD=$B/dhcp/lwbs-dhcpd
GEN=$B/dhcp/dhcp_bench
ID=$$
NS_S=lwbs-dhb-s$ID
NS_C=lwbs-dhb-c$ID
T=$(mktemp -d /tmp/lwbs-dhcp-bench.XXXXXX)
PID=""
HZ=$(getconf CLK_TCK)

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

if ip netns add "$NS_S" 2>/dev/null && ip netns add "$NS_C" 2>/dev/null; then
	WHERE="two network namespaces over a veth pair"
	S="ip netns exec $NS_S"
	C="ip netns exec $NS_C"
	for ns in "$NS_S" "$NS_C"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip netns exec "$ns" ip link set lo up
	done
	ip link add lwbs-hs$ID netns "$NS_S" type veth peer name lwbs-hc$ID netns "$NS_C"
	$S ip addr add 10.232.0.1/24 dev lwbs-hs$ID
	$C ip addr add 10.232.0.2/24 dev lwbs-hc$ID
	$S ip addr add fd00:232::1/64 dev lwbs-hs$ID nodad
	$C ip addr add fd00:232::2/64 dev lwbs-hc$ID nodad
	$S ip link set lwbs-hs$ID up
	$C ip link set lwbs-hc$ID up
	V4S=10.232.0.1 V4C=10.232.0.2 V6S=fd00:232::1 V6C=fd00:232::2
	V4L="0.0.0.0" V6L="::"
else
	WHERE="loopback (network namespaces not permitted)"
	S="" C=""
	V4S=127.0.0.1 V4C=127.0.0.1 V6S=::1 V6C=::1
	V4L=127.0.0.1 V6L=::1
fi

cat > "$T/dhcpd.yaml" <<CONF
listen:
  v4: ["$V4L"]
  v6: ["$V6L"]
  v6_accept_unicast: true
  receive_buffer: 4194304
uri: coaps://bsf.example.net:5684
carrier: {type: vivso, enterprise: 32473, suboption: 1}
rate_limit: {per_second: 0}
CONF
$S "$DHCPD" -c "$T/dhcpd.yaml" 2>"$T/dhcpd.log" &
PID=$!
sleep 0.5
kill -0 "$PID"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
rcvbuf_errors() {
	$S cat /proc/net/snmp | awk '/^Udp:/ {n++; if (n == 2) print $6}'
}

echo "lwbs-dhcpd benchmark: $WHERE; $N in flight; ${RUNS} x ${SECS} s after 2 s warm-up"
echo "machine: nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "commit: $(git -C "$(dirname "$0")/../.." rev-parse --short HEAD 2>/dev/null || echo unknown)"
for mode in v4 v6; do
	rates=""
	for run in $(seq 1 "$RUNS"); do
		if [ $mode = v4 ]; then
			args="-s $V4S -b $V4C -P 68"
		else
			args="-6 -s $V6S -b $V6C"
		fi
		e0=$(rcvbuf_errors)
		# shellcheck disable=SC2086
		$C "$GEN" $args -n "$N" -t "$SECS" -w 2 >"$T/gen.out" &
		g=$!
		sleep 2
		c0=$(cpu_ticks)
		sleep "$SECS"
		c1=$(cpu_ticks)
		wait $g
		e1=$(rcvbuf_errors)
		out=$(cat "$T/gen.out")
		replies=$(sed 's/.* replies=\([0-9]*\).*/\1/' <<<"$out")
		rate=$(sed 's/.* rate=\([0-9]*\).*/\1/' <<<"$out")
		lost=$(sed 's/.* lost=\([0-9]*\).*/\1/' <<<"$out")
		gcpu=$(sed 's/.*gen_cpu_us_per_reply=\([0-9.]*\).*/\1/' <<<"$out")
		us=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v r="$replies" \
			'BEGIN { if (r > 0) printf "%.2f", d / hz * 1e6 / r; else print "n/a" }')
		echo "  $mode run $run: $rate replies/s, lost $lost, lwbs-dhcpd CPU $us us/reply," \
			"generator CPU $gcpu us/reply, RcvbufErrors +$((e1 - e0))"
		rates="$rates $rate"
	done
	echo "$mode replies/s min/median/max: $(tr ' ' '\n' <<<"$rates" | sed '/^$/d' | sort -n |
		awk '{a[NR] = $1} END {print a[1] " / " a[int((NR + 1) / 2)] " / " a[NR]}')"
done
kill "$PID"
wait "$PID" || true
PID=""
grep counters "$T/dhcpd.log" | tail -1
