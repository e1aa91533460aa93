#!/bin/sh
# Installs what is missing, builds lwbs and runs every test.
#
#   tests/run.sh                 normal build in build/
#   tests/run.sh --sanitize      ASan + UBSan build in build-asan/
#   tests/run.sh [--sanitize] -- [meson test arguments, e.g. --suite unit]
#
# Ends with one line "N passed, N failed, N skipped" and exits non-zero if
# anything failed.
set -eu
cd "$(dirname "$0")/.."

dir=build
opts="-Dwerror=true"
while [ $# -gt 0 ]; do
	case "$1" in
	--sanitize)
		dir=build-asan
		opts="$opts -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all"
		shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [--sanitize] [-- meson-test-args]" >&2; exit 2 ;;
	esac
done

deploy/install-deps.sh

if [ -d "$dir/meson-private" ]; then
	# shellcheck disable=SC2086
	meson setup --reconfigure "$dir" $opts >/dev/null
else
	# shellcheck disable=SC2086
	meson setup "$dir" $opts >/dev/null
fi
ninja -C "$dir"

export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1"
rc=0
meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || rc=$?

python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0, "TIMEOUT": 0, "ERROR": 0}
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line).get("result")
        counts[r] = counts.get(r, 0) + 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"]
print(f"{passed} passed, {failed} failed, {counts['SKIP']} skipped")
PY
exit $rc
