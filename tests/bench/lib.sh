# Sourced by tests/bench/bootstrap.sh and dtls.sh.
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

# A free UDP port on 127.0.0.1.
bench_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_measure DEVSIM_ARGS...: runs devsim with those arguments into
# $tmp/devsim.json against the running lwbsd ($pid), then stops lwbsd.
# Sets c0/c1 (lwbsd CPU ticks after the warm-up and at the end), x0/x1
# (the same for bench_extra_pids), e0/e1 (RcvbufErrors before and after)
# and rss (lwbsd VmHWM, KiB).
bench_measure() {
	e0=$(rcvbuf_errors)
	"$devsim" "$@" >"$tmp/devsim.json" 2>"$tmp/devsim.err" &
	local dpid=$!
	sleep "$warmup"
	c0=$(cpu_ticks "$pid")
	x0=$(extra_ticks)
	wait "$dpid" || true
	c1=$(cpu_ticks "$pid")
	x1=$(extra_ticks)
	e1=$(rcvbuf_errors)
	rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}
