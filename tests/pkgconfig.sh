#!/bin/sh
# pkgconfig.sh - `pkg-config --cflags --libs runnel` is all a program
# needs: lay out the library, header and runnel.pc as `make install` would
# (under a temporary prefix), build both examples with nothing but those
# flags, and run one (unless the library was built with sanitizers, whose
# runtime must come first).
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-pc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/include" "$tmp/lib/pkgconfig"
cp "$srcdir/lib/runnel.h" "$tmp/include/"
cp -P lib/.libs/librunnel.so* "$tmp/lib/"
sed -e "s|^prefix=.*|prefix=$tmp|" -e 's|^libdir=.*|libdir=${prefix}/lib|' \
	-e 's|^includedir=.*|includedir=${prefix}/include|' lib/runnel.pc \
	> "$tmp/lib/pkgconfig/runnel.pc"
flags=$(PKG_CONFIG_PATH="$tmp/lib/pkgconfig" pkg-config --cflags --libs runnel)
echo "pkgconfig: $flags"
for ex in gather submit; do
	${CC:-cc} -Wall -Wextra -Werror -o "$tmp/$ex" "$srcdir/examples/$ex.c" \
		$flags
done
if readelf -d lib/.libs/librunnel.so | grep -q 'asan\|ubsan'; then
	echo "pkgconfig: sanitizer build, not running the examples"
	exit 0
fi
# No daemon at that address: the program runs and says so.
status=0
RUNNEL_HOST=unix:$tmp/nothing.sock LD_LIBRARY_PATH="$tmp/lib" \
	"$tmp/submit" true 2> "$tmp/err" || status=$?
test "$status" = 3 || { echo "pkgconfig: submit exited $status"; exit 1; }
grep -q 'nothing.sock' "$tmp/err" || { cat "$tmp/err"; exit 1; }
