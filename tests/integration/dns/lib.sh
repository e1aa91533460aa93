# What the DNS integration scripts share (sourced by bind.sh, discover.sh):
# the tool check, a work directory cleaned up on exit, free ports, and a
# named serving the zones of $T/zones on 127.0.0.1:$DNS_PORT.
PATH=$PATH:/usr/sbin:/sbin

# require_tools PACKAGES TOOL...: each TOOL on PATH, else fail (or skip
# with exit 77 under LWBS_ALLOW_SKIP=1) naming the Debian PACKAGES
require_tools() {
	pkgs=$1
	shift
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			if [ "${LWBS_ALLOW_SKIP:-}" = 1 ]; then
				echo "SKIP: $tool not found (install $pkgs)"
				exit 77
			fi
			echo "FAIL: $tool not found: run deploy/install-deps.sh ($pkgs)," \
				"or set LWBS_ALLOW_SKIP=1 to skip" >&2
			exit 1
		fi
	done
}

# stop PID: ends the process PID (if any) and waits for it
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

# workdir NAME: $T, a fresh directory removed (with named and lwbsd
# stopped) on exit
workdir() {
	T=$(mktemp -d "/tmp/lwbs-dns-$1.XXXXXX")
	NAMED_PID=
	LWBSD_PID=
	trap cleanup EXIT
}

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

# on_free_port VAR START WHAT: VAR is set to a free port, then START runs;
# three tries (a port may be taken between probing and binding)
on_free_port() {
	tries=0
	until eval "$1=\$(free_port)" && "$2"; do
		tries=$((tries + 1))
		[ $tries -lt 3 ] || fail "$3 did not start"
	done
}

# wait_for PID COMMAND...: COMMAND succeeds within 50 tries 0.2 s apart
# while PID runs; else PID is stopped and wait_for returns 1
wait_for() {
	pid=$1
	shift
	i=0
	while [ $i -lt 50 ]; do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	stop "$pid"
	return 1
}

named_answers() {
	dig @127.0.0.1 -p "$DNS_PORT" +norec +time=1 +tries=1 +short SOA \
		bsf.mnc015.mcc234.pub.3gppnetwork.org 2>/dev/null | grep -q hostmaster
}

# start_named: named on 127.0.0.1:$DNS_PORT serving $T/zones, answering
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
	wait_for "$NAMED_PID" named_answers && return 0
	NAMED_PID=
	return 1
}
