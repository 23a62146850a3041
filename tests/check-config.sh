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

# Relative TLS paths are taken from the config's directory, whatever the
# current one is.
mkdir "$tmp/etc"
printf '[server]\nlisten = 127.0.0.1:0\nsocket = none\nstate_dir = ../state\n[tls]\nca = ../state/pki/ca.crt\ncert = ../state/pki/server.crt\nkey = ../state/pki/server.key\n' \
	>"$tmp/etc/rel.conf"
out=$(cd / && "$RUNNELD" -c "$tmp/etc/rel.conf" --check-config 2>&1) ||
	{ echo "FAIL: relative paths from /: $out"; exit 1; }

# A missing PKI is named, with how to make it, at its resolved path.
sed 's|state/pki/|nopki/|' "$tmp/etc/rel.conf" >"$tmp/etc/nopki.conf"
if out=$(cd / && "$RUNNELD" -c "$tmp/etc/nopki.conf" --check-config 2>&1); then
	echo "FAIL: a missing certificate passed --check-config"
	exit 1
fi
want="runneld: tls: $tmp/etc/../nopki/server.crt is missing; make it with 'runnel pki init $tmp/etc/../nopki --name HOST"
case $out in
"$want"*"' as root, then reload runneld") ;;
*) echo "FAIL: missing PKI: $out"; exit 1 ;;
esac

# A socket whose directory runneld can create passes; one whose parent is
# missing too is named.
printf '[server]\nsocket = %s/run/new/runneld.sock\nstate_dir = %s/state\n' \
	"$tmp" "$tmp" >"$tmp/sock.conf"
out=$("$RUNNELD" -c "$tmp/sock.conf" --check-config 2>&1) ||
	{ echo "FAIL: a socket directory to create: $out"; exit 1; }
sed 's|/run/new/|/gone/new/|' "$tmp/sock.conf" >"$tmp/sock2.conf"
if out=$("$RUNNELD" -c "$tmp/sock2.conf" --check-config 2>&1); then
	echo "FAIL: a socket under a missing directory passed --check-config"
	exit 1
fi
[ "$out" = "runneld: [server] socket $tmp/gone/new/runneld.sock: its directory $tmp/gone/new is missing, and so is $tmp/gone" ] ||
	{ echo "FAIL: missing socket directory: $out"; exit 1; }
echo "ok: $n configs, relative paths, missing PKI and socket directory"
