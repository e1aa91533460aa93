#!/bin/sh
# lwbsctl zone generate as a command: files written, an unchanged rerun
# rewrites nothing and keeps the serial, a change bumps it, bad input
# prints file:line:column and writes nothing.
#   zone_cli.sh LWBSCTL SRCDIR
set -eu
LWBSCTL=$1
SRC=$2
T=$(mktemp -d /tmp/lwbs-dns-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

cp "$SRC/config/plmns.yaml" "$T/plmns.yaml"
Z="$T/out/bsf.mnc015.mcc234.pub.3gppnetwork.org.zone"

"$LWBSCTL" zone generate --plmns "$T/plmns.yaml" --out "$T/out" --date 20260101 >"$T/log1"
[ "$(ls "$T/out" | wc -l)" -eq 5 ] || fail "expected 4 zones + named.conf.lwbs: $(ls "$T/out")"
grep -q '2026010100	; serial' "$Z" || fail "first serial is not today*100"
grep -q 'coaps://bsf.mnc015.mcc234.pub.3gppnetwork.org:5684' "$Z" || fail "URI record missing"
grep -q "file \"$(cd "$T/out" && pwd -P)/bsf.mnc410.mcc310.pub.3gppnetwork.org.zone\"" \
	"$T/out/named.conf.lwbs" || fail "named.conf.lwbs lacks an absolute file path"

# unchanged input, another day: same serial, no file replaced
ino1=$(ls -i "$Z" | cut -d' ' -f1)
cp "$Z" "$T/before"
"$LWBSCTL" zone generate --plmns "$T/plmns.yaml" --out "$T/out" --date 20260305 >"$T/log2"
ino2=$(ls -i "$Z" | cut -d' ' -f1)
[ "$ino1" = "$ino2" ] || fail "unchanged zone was rewritten"
cmp -s "$Z" "$T/before" || fail "unchanged zone differs"
[ "$(grep -c unchanged "$T/log2")" -eq 5 ] || fail "rerun did not report 5 unchanged files: $(cat "$T/log2")"

# a change on the same day: nn+1; on a later day: today*100
sed 's/192.0.2.10/192.0.2.12/' "$SRC/config/plmns.yaml" >"$T/plmns.yaml"
"$LWBSCTL" zone generate --plmns "$T/plmns.yaml" --out "$T/out" --date 20260101 >/dev/null
grep -q '2026010101	; serial' "$Z" || fail "same-day change did not give nn+1"
sed 's/192.0.2.10/192.0.2.13/' "$SRC/config/plmns.yaml" >"$T/plmns.yaml"
"$LWBSCTL" zone generate --plmns "$T/plmns.yaml" --out "$T/out" --date 20260102 >/dev/null
grep -q '2026010200	; serial' "$Z" || fail "new-day change did not give today*100"

# bad input: message with place, exit 1, nothing written
cp -r "$T/out" "$T/snap"
sed 's/mnc: "15"}/mnc: "15", mnc_length: 3}/' "$SRC/config/plmns.yaml" >"$T/bad.yaml"
rc=0
"$LWBSCTL" zone generate --plmns "$T/bad.yaml" --out "$T/out" --date 20260103 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "bad input: exit $rc, expected 1"
grep -Eq "^$T/bad.yaml:[0-9]+:[0-9]+: MNC \"15\" has 2 digits but mnc_length is 3\$" "$T/err" ||
	fail "bad input message: $(cat "$T/err")"
diff -r "$T/out" "$T/snap" >/dev/null || fail "bad input changed the output directory"
rc=0
"$LWBSCTL" zone generate --plmns "$T/bad.yaml" --out "$T/new" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] && [ ! -e "$T/new" ] || fail "bad input created the output directory"
rc=0
"$LWBSCTL" zone generate --plmns "$T/plmns.yaml" --out "$T/out" --date 2026013 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "bad --date accepted"
"$LWBSCTL" help | grep -q "zone generate" || fail "help does not list zone generate"
echo "zone_cli: ok"
