#!/bin/sh
# check-config.sh - `runneld --check-config` accepts every shipped config
# (conf/*.conf), with its paths moved into a temp dir that holds the TLS
# material it names; and rejects a broken one with FILE:LINE.
set -eu
: "${abs_top_srcdir:?run from make check}"
: "${RUNNELD:?run from make check}"
: "${RUNNEL:?run from make check}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-checkconf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -m 0700 "$tmp/state" && mkdir "$tmp/run"
"$RUNNEL" pki init "$tmp/state/pki" --name localhost --name 127.0.0.1 \
	>/dev/null
n=0
for f in "$abs_top_srcdir"/conf/*.conf; do
	name=$(basename "$f")
	sed -e "s|/var/lib/runnel|$tmp/state|g" -e "s|/run/runnel|$tmp/run|g" \
		"$f" >"$tmp/$name"
	# Nothing else may point outside: the copy is all it uses.
	if grep -nE '^[a-z_]+ *= */' "$tmp/$name" | grep -v "$tmp"; then
		echo "FAIL: $name names a path the test cannot redirect"
		exit 1
	fi
	if ! out=$("$RUNNELD" -c "$tmp/$name" --check-config 2>&1); then
		echo "FAIL: $name: $out"
		exit 1
	fi
	echo "$out"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || { echo "FAIL: only $n shipped configs found"; exit 1; }

# And the check is real: a typo is reported at its line.
printf '[server]\nstate_dir = %s/state\nsokcet = x\n' "$tmp" >"$tmp/bad.conf"
if out=$("$RUNNELD" -c "$tmp/bad.conf" --check-config 2>&1); then
	echo "FAIL: a misspelt key passed --check-config"
	exit 1
fi
case $out in
*bad.conf:3:*) ;;
*) echo "FAIL: no FILE:LINE in: $out"; exit 1 ;;
esac
echo "ok: $n configs"
