# Sourced by tests/bench/bootstrap.sh, dtls.sh, radius.sh and
# radius-freeradius.sh.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The ticks of the processes bench_extra_pids prints (none unless the caller
# defines it), with their reaped children's (cutime+cstime): a server's
# workers that exit in the window still count.
bench_extra_pids() { :; }
extra_ticks() {
	local t=0 p
	for p in $(bench_extra_pids); do
		t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
rcvbuf_errors() { awk '/^Udp:/ { if (h) { print $6; exit } else h = 1 }' /proc/net/snmp; }
# UDP datagrams sent on the host (OutDatagrams): on loopback, by both ends.
udp_out() { awk '/^Udp:/ { if (h) { print $5; exit } else h = 1 }' /proc/net/snmp; }
hz=$(getconf CLK_TCK)
benchlib=$(dirname "${BASH_SOURCE[0]}")/benchlib.py

# Sets root, build (the release build, made if missing), lwbsd and devsim.
bench_build() {
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	build=${BUILD:-$root/build-release}
	if [ ! -d "$build/meson-private" ]; then
		meson setup "$build" "$root" --buildtype=release >/dev/null
	fi
	ninja -C "$build" >/dev/null
	lwbsd=$build/src/daemon/lwbsd
	devsim=$build/tests/devsim/lwbs-devsim
}

# Sets tmp, a directory removed on exit after lwbsd (pid, when set) is
# stopped and bench_on_exit (the caller's, optional) has run.
bench_on_exit() { :; }
bench_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bench_on_exit
	rm -rf "$tmp"
}
bench_tmp() {
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	pid=
	trap bench_cleanup EXIT
	# The listener asks for 4 MiB; let the kernel grant it.
	if [ "$(id -u)" -eq 0 ]; then
		sysctl -qw net.core.rmem_max=8388608 net.core.wmem_max=8388608 || true
	fi
}

# bench_devices FILE COUNT [PSK_KEY_HEX]: COUNT devices dev-<i> of profile
# bench; with a key each has PSK identity psk-<i> and that key.
bench_devices() {
	python3 - "$@" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
key = sys.argv[3] if len(sys.argv) > 3 else None
with open(path, "w") as f:
    f.write("""profiles:
  - name: bench
    servers:
      - uri: coap://dm.example.net:5683
        ssid: 101
        security: nosec
        lifetime: 86400
    acl:
      - object: 3
        instance: 0
        owner: 101
        entries: {101: RWE}
    delete: ["/"]
devices:
""")
    for i in range(n):
        if key is None:
            f.write(f"  - {{endpoint: dev-{i}, profile: bench}}\n")
        else:
            f.write(f"  - {{endpoint: dev-{i}, profile: bench, psk_identity: psk-{i}, psk_key: hex:{key}}}\n")
PY
}

# COUNT (default 1) distinct free UDP ports on 127.0.0.1, on one line.
bench_port() {
	python3 - "${1:-1}" <<'PY'
import socket, sys
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
PY
}

# bench_measure DEVSIM_ARGS...: runs devsim with those arguments into
# $tmp/devsim.json against the running lwbsd ($pid), then stops lwbsd.
# Sets c0/c1 (lwbsd CPU ticks after the warm-up and at the end), x0/x1
# (the same for bench_extra_pids), e0/e1 (RcvbufErrors before and after),
# u0/u1 (UDP datagrams sent on the host, same window as c0/c1) and rss
# (lwbsd VmHWM, KiB).
bench_measure() {
	e0=$(rcvbuf_errors)
	"$devsim" "$@" >"$tmp/devsim.json" 2>"$tmp/devsim.err" &
	local dpid=$!
	sleep "$warmup"
	c0=$(cpu_ticks "$pid")
	x0=$(extra_ticks)
	u0=$(udp_out)
	wait "$dpid" || true
	c1=$(cpu_ticks "$pid")
	x1=$(extra_ticks)
	u1=$(udp_out)
	e1=$(rcvbuf_errors)
	rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}

# CPU ticks of the throwaway PostgreSQL cluster (tests/lib/pg.sh): the
# postmaster, its live children (backends, WAL writer...) and those it has
# reaped.
pg_cpu_ticks() {
	local pm t c
	pm=$(head -1 "$PG_DIR/data/postmaster.pid")
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
	for c in $(pgrep -P "$pm"); do
		t=$((t + $(cpu_ticks "$c" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# radius_phase PHASE SERVER_PID [pg]: one radius_bench phase (start or
# stop: $COUNT requests, $N in flight) from $GEN to 127.0.0.1:$RPORT with
# secret $SECRET. Prints the generator's line with the host's UDP
# RcvbufErrors during the phase and appends to $tmp/PHASE.txt
# "requests/s  server CPU µs per request  [cluster CPU µs per request]".
# Fails when an answer had a bad authenticator.
radius_phase() {
	local s0 s1 d0=0 d1=0 e0 out
	e0=$(rcvbuf_errors)
	s0=$(cpu_ticks "$2")
	[ "${3:-}" = pg ] && d0=$(pg_cpu_ticks)
	out=$("$GEN" 127.0.0.1 "$RPORT" "$SECRET" "$COUNT" "$N" "$1")
	s1=$(cpu_ticks "$2")
	[ "${3:-}" = pg ] && d1=$(pg_cpu_ticks)
	echo "$out rcvbuf_errors $(( $(rcvbuf_errors) - e0 ))"
	echo "$out" | awk -v s=$((s1 - s0)) -v d=$((d1 - d0)) -v hz="$hz" -v pg="${3:-}" '
		$8 != 0 { print "radius_bench: bad answers" > "/dev/stderr"; exit 1 }
		{ printf "%d %.1f", $4, s * 1e6 / hz / $2
		  if (pg == "pg") printf " %.1f", d * 1e6 / hz / $2
		  printf "\n" }' >>"$tmp/$1.txt"
}

# radius_summary PHASE LABEL [SERVER]: min / median / max of what
# radius_phase collected for PHASE.
radius_summary() {
	local f=$tmp/$1.txt
	echo "$2/s durable:  $(awk '{print $1}' "$f" | stats)"
	echo "  ${3:-server} CPU per request (µs): $(awk '{print $2}' "$f" | stats)"
	if [ "$(awk '{print NF; exit}' "$f")" = 3 ]; then
		echo "  PostgreSQL CPU per request (µs): $(awk '{print $3}' "$f" | stats)"
	fi
}

# min / median / max of the numbers on stdin
stats() {
	sort -n | awk '{v[NR]=$1} END {printf "min %s  median %s  max %s", v[1], v[int((NR+1)/2)], v[NR]}'
}
