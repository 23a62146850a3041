#!/bin/sh
# symbols.sh - librunnel exports only runnel_* symbols: every symbol the
# shared library defines is in lib/runnel.sym and starts with runnel_,
# every name of the map is defined, and every function runnel.h declares is
# in the map (so a new call cannot be left out of it).
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
so=lib/.libs/librunnel.so
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-symbols.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

test -f "$so" || { echo "symbols: $so not built"; exit 1; }
nm -D --defined-only "$so" | awk '$2 ~ /^[TtDdBbRrVvWwiu]$/ { print $3 }' |
	sed 's/@.*//' | sort -u > "$tmp/defined"
sort -u "$srcdir/lib/runnel.sym" > "$tmp/map"
# Declarations in the header: "name(" after a type at the start of a line.
sed -n 's/^[a-z].*[ *]\(runnel_[a-z0-9_]*\)(.*/\1/p' "$srcdir/lib/runnel.h" |
	sort -u > "$tmp/header"

if grep -v '^runnel_' "$tmp/defined" > "$tmp/bad"; then
	echo "symbols: defined but not runnel_*:"; cat "$tmp/bad"; fail=1
fi
if comm -23 "$tmp/defined" "$tmp/map" | grep . > "$tmp/bad"; then
	echo "symbols: exported but not in runnel.sym:"; cat "$tmp/bad"; fail=1
fi
if comm -13 "$tmp/defined" "$tmp/map" | grep . > "$tmp/bad"; then
	echo "symbols: in runnel.sym but not defined:"; cat "$tmp/bad"; fail=1
fi
if comm -23 "$tmp/header" "$tmp/map" | grep . > "$tmp/bad"; then
	echo "symbols: declared in runnel.h but not in runnel.sym:"
	cat "$tmp/bad"; fail=1
fi
test "$(wc -l < "$tmp/header")" -gt 30 || { echo "symbols: header not read"; fail=1; }
echo "symbols: $(wc -l < "$tmp/defined") defined, all runnel_*"
exit $fail
