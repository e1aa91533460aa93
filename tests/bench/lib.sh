# Sourced by tests/bench/bootstrap.sh and dtls.sh.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rcvbuf_errors() { awk '/^Udp:/ { if (h) { print $6; exit } else h = 1 }' /proc/net/snmp; }
hz=$(getconf CLK_TCK)
benchlib=$(dirname "${BASH_SOURCE[0]}")/benchlib.py
