#!/bin/sh
# Installs what a fresh Debian 12 machine lacks to build, run and test lwbs.
# Idempotent: installs only missing packages (and runs apt-get update only
# then). Works as root, or as a user with sudo.
#
#   deploy/install-deps.sh            build + run + test dependencies
#   deploy/install-deps.sh --run      build + run only
#   deploy/install-deps.sh --fuzz     also clang's libFuzzer runtime
#   deploy/install-deps.sh --bench    also FreeRADIUS with its PostgreSQL
#                                     module (tests/bench/radius-freeradius.sh;
#                                     not needed by the tests)
set -eu

BUILD="gcc libc6-dev pkg-config meson ninja-build libcoap3-dev libssl-dev libc-ares-dev libpq-dev libyaml-dev"
TEST="python3 libcoap3-bin openssl iproute2 procps bind9 bind9-utils bind9-dnsutils isc-dhcp-client postgresql freeradius-utils"
FUZZ="clang libclang-rt-14-dev"
BENCH="freeradius freeradius-postgresql"

want="$BUILD"
case "${1:-}" in
--run) ;;
--fuzz) want="$BUILD $TEST $FUZZ" ;;
--bench) want="$BUILD $TEST $BENCH" ;;
"") want="$BUILD $TEST" ;;
*) echo "usage: $0 [--run|--fuzz|--bench]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: run as root or install sudo" >&2
	exit 1
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: nothing to install"
	exit 0
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
