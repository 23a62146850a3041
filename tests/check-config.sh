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

# The same listen address twice is refused at its second line, not left
# to fail at bind with no line (two port-0 addresses are two ports).
printf '[server]\nstate_dir = %s/state\nlisten = 127.0.0.1:7433\nlisten = [::1]:7433\nlisten = 127.0.0.1:7433\n' "$tmp" >"$tmp/dup.conf"
if out=$("$RUNNELD" -c "$tmp/dup.conf" --check-config 2>&1); then
	echo "FAIL: a listen address given twice passed --check-config"
	exit 1
fi
case $out in
*"dup.conf:5: listen address '127.0.0.1:7433' is given twice"*) ;;
*) echo "FAIL: duplicate listen: $out"; exit 1 ;;
esac
printf '[server]\nstate_dir = %s/state\nsocket = none\nlisten = 127.0.0.1:0\nlisten = 127.0.0.1:0\n[tls]\nca = state/pki/ca.crt\ncert = state/pki/server.crt\nkey = state/pki/server.key\n' "$tmp" >"$tmp/zero.conf"
out=$("$RUNNELD" -c "$tmp/zero.conf" --check-config 2>&1) ||
	{ echo "FAIL: two port-0 listen lines: $out"; exit 1; }

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
want="runneld: $tmp/etc/nopki.conf:7: tls: $tmp/etc/../nopki/server.crt is missing; make it with 'runnel pki init $tmp/etc/../nopki --name HOST"
case $out in
"$want"*"' as root, then reload runneld") ;;
*) echo "FAIL: missing PKI: $out"; exit 1 ;;
esac

# Every error about a TLS file names the config line of the key that named
# the file.  tlsbad FILE CONTENT MODE MESSAGE: FILE replaced by one holding
# CONTENT with MODE (or removed, for MODE gone) fails --check-config with
# MESSAGE (a prefix).
mkdir -m 0700 "$tmp/tlsbad"
tlsbad() {
	cp "$tmp/state/pki/ca.crt" "$tmp/state/pki/server.crt" \
		"$tmp/state/pki/server.key" "$tmp/tlsbad/"
	chmod 600 "$tmp/tlsbad/server.key"
	f=$tmp/tlsbad/$(basename "$1")
	printf '%s\n' "$2" >"$f"
	if [ "$3" = gone ]; then rm "$f"; else chmod "$3" "$f"; fi
	printf '[server]\nlisten = 127.0.0.1:0\nsocket = none\nstate_dir = %s/state\n[tls]\nca = %s/tlsbad/ca.crt\n\ncert = %s/tlsbad/server.crt\nkey = %s/tlsbad/server.key\n' \
		"$tmp" "$tmp" "$tmp" "$tmp" >"$tmp/tls.conf"
	if out=$("$RUNNELD" -c "$tmp/tls.conf" --check-config 2>&1); then
		echo "FAIL: a bad $1 passed --check-config"
		exit 1
	fi
	case $out in
	"runneld: $tmp/tls.conf:$4"*) ;;
	*) echo "FAIL: bad $1: want 'runneld: $tmp/tls.conf:$4...', got: $out"
		exit 1 ;;
	esac
}
tlsbad server.crt junk 644 "8: cannot load certificate $tmp/tlsbad/server.crt: "
tlsbad server.key junk 600 "9: cannot load private key $tmp/tlsbad/server.key: "
tlsbad ca.crt junk 644 "6: cannot load CA certificate $tmp/tlsbad/ca.crt: "
# A key of another pair, or one others may read.
"$RUNNEL" pki init "$tmp/other" --name localhost >/dev/null
tlsbad server.key "$(cat "$tmp/other/server.key")" 600 "9: private key does not match certificate $tmp/tlsbad/server.key"
tlsbad server.key "$(cat "$tmp/state/pki/server.key")" 644 "9: private key $tmp/tlsbad/server.key is readable by group or others (mode 0644)"
tlsbad ca.crt "" gone "6: tls: $tmp/tlsbad/ca.crt is missing"
# And a CRL, at its own line.
cp "$tmp/state/pki/ca.crt" "$tmp/tlsbad/"
echo junk >"$tmp/tlsbad/crl.pem"
printf 'crl = %s/tlsbad/crl.pem\n' "$tmp" >>"$tmp/tls.conf"
if out=$("$RUNNELD" -c "$tmp/tls.conf" --check-config 2>&1); then
	echo "FAIL: a bad CRL passed --check-config"
	exit 1
fi
case $out in
"runneld: $tmp/tls.conf:10: "*"CRL"*"$tmp/tlsbad/crl.pem"*) ;;
*) echo "FAIL: bad CRL: $out"; exit 1 ;;
esac

# The state directory is runneld's alone.  One that group or others may
# enter passes --check-config, unchanged, when runneld's user owns it
# (runneld makes it 0700 when it starts); owned by someone else, it is
# refused.
mkdir -m 0755 "$tmp/loose"
printf '[server]\nsocket = none\nstate_dir = %s/loose\n' "$tmp" >"$tmp/loose.conf"
out=$("$RUNNELD" -c "$tmp/loose.conf" --check-config 2>&1) ||
	{ echo "FAIL: an own state_dir of mode 0755: $out"; exit 1; }
[ "$(stat -c %a "$tmp/loose")" = 755 ] ||
	{ echo "FAIL: --check-config changed the state_dir's mode"; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$tmp/loose"
	if out=$("$RUNNELD" -c "$tmp/loose.conf" --check-config 2>&1); then
		echo "FAIL: another user's state_dir of mode 0755 passed"
		exit 1
	fi
	[ "$out" = "runneld: state_dir $tmp/loose lets group or others in (mode 0755) and is owned by uid 65534, not runneld's 0: chown it to runneld's user or chmod 700 it" ] ||
		{ echo "FAIL: another user's loose state_dir: $out"; exit 1; }
else
	echo "skipped: another user's state_dir: needs root"
fi

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
# Every numeric key, at its extremes: each bad value is refused at its
# line, with the key's name, and a value at the documented maximum passes.
# bad SECTION KEY VALUE MESSAGE: "[SECTION] KEY = VALUE" fails with MESSAGE.
bad() {
	printf '[server]\nstate_dir = %s/state\nsocket = none\n[%s]\n%s = %s\n' \
		"$tmp" "$1" "$2" "$3" >"$tmp/range.conf"
	if out=$("$RUNNELD" -c "$tmp/range.conf" --check-config 2>&1); then
		echo "FAIL: [$1] $2 = '$3' passed --check-config"
		exit 1
	fi
	[ "$out" = "runneld: $tmp/range.conf:5: $4" ] ||
		{ echo "FAIL: [$1] $2 = '$3': $out"; exit 1; }
}
good() {
	printf '[server]\nstate_dir = %s/state\nsocket = none\n[%s]\n%s = %s\n' \
		"$tmp" "$1" "$2" "$3" >"$tmp/range.conf"
	out=$("$RUNNELD" -c "$tmp/range.conf" --check-config 2>&1) ||
		{ echo "FAIL: [$1] $2 = '$3': $out"; exit 1; }
}
for kv in limits:grace limits:idle_timeout limits:hello_timeout \
    limits:lag_warn retention:max_age "queue b:timeout"; do
	s=${kv%%:*} k=${kv#*:}
	for v in -1 abc 1.5s 5x 18446744073709551615ms 99999999999999999999; do
		bad "$s" "$k" "$v" "bad duration '$v' for '$k' (such as 5s, 250ms, 2m, 1h or 7d)"
	done
	bad "$s" "$k" "" "empty value for '$k'"
done
# Durations a task or a request could not give are not configurable
# either: ten years at most, a grace as CancelRequest.grace_ms.
for kv in limits:idle_timeout retention:max_age "queue b:timeout"; do
	s=${kv%%:*} k=${kv#*:}
	good "$s" "$k" 3650d
	bad "$s" "$k" 3651d "$k must be between 0 and 3650d"
	bad "$s" "$k" 9223372036854775807ms "$k must be between 0 and 3650d"
done
good limits grace 4294967295ms
bad limits grace 4294967296ms "grace must be between 0 and 4294967295ms"
bad limits grace 3650d "grace must be between 0 and 4294967295ms"
bad limits lag_warn 0 "lag_warn must be between 1ms and 60s"
bad limits hello_timeout 3650d "hello_timeout must be between 100ms and 600s"
good limits source_penalty 0
good limits source_penalty 60s
bad limits source_penalty 61s "source_penalty must be between 0 and 60s"
for kv in limits:max_connections limits:max_running limits:max_inflight \
    limits:max_identity_connections limits:max_queued_per_identity \
    retention:max_finished "queue b:max_running" \
    limits:max_startups_per_source limits:max_connections_per_uid \
    limits:admin_reserve; do
	s=${kv%%:*} k=${kv#*:}
	for v in -1 abc 1k; do
		bad "$s" "$k" "$v" "bad number '$v' for '$k'"
	done
	good "$s" "$k" 1000000
done
bad limits max_frame 65m "max_frame must be between 1024 and 67108864"
bad limits max_argv 17m "max_argv must be between 4096 and 16777216"
bad retention max_output 1t "bad size '1t' for 'max_output' (bytes, or with a k, m or g suffix)"
bad retention max_total_output -1 "bad size '-1' for 'max_total_output' (bytes, or with a k, m or g suffix)"
# A section may come back (its keys add up); a key may not, nor a queue.
printf '[server]\nstate_dir = %s/state\nsocket = none\n[limits]\ngrace = 1s\n[server]\n[limits]\ngrace = 2s\n' \
	"$tmp" >"$tmp/dup.conf"
out=$("$RUNNELD" -c "$tmp/dup.conf" --check-config 2>&1) && exit 1
[ "$out" = "runneld: $tmp/dup.conf:8: duplicate key 'grace' in [limits]" ] ||
	{ echo "FAIL: repeated key: $out"; exit 1; }
printf '[server]\nstate_dir = %s/state\nsocket = none\n[queue a]\n[queue a]\n' \
	"$tmp" >"$tmp/dup.conf"
out=$("$RUNNELD" -c "$tmp/dup.conf" --check-config 2>&1) && exit 1
[ "$out" = "runneld: $tmp/dup.conf:5: duplicate section [queue a]" ] ||
	{ echo "FAIL: repeated queue: $out"; exit 1; }
# A pid file is written in a directory that must exist (runneld does not
# make it): --check-config says so rather than the start.
printf '[server]\nstate_dir = %s/state\nsocket = none\npid_file = %s/nodir/runneld.pid\n' \
	"$tmp" "$tmp" >"$tmp/pid.conf"
out=$("$RUNNELD" -c "$tmp/pid.conf" --check-config 2>&1) && exit 1
[ "$out" = "runneld: [server] pid_file $tmp/nodir/runneld.pid: its directory $tmp/nodir: No such file or directory" ] ||
	{ echo "FAIL: pid_file directory: $out"; exit 1; }
# A runneld that would listen on nothing (no socket, no listen, no systemd
# socket) says so and exits, rather than serving no one.
printf '[server]\nstate_dir = %s/state\nsocket = none\n' "$tmp" >"$tmp/deaf.conf"
if out=$(timeout 20 "$RUNNELD" -c "$tmp/deaf.conf" -f 2>&1); then
	echo "FAIL: a runneld listening on nothing started: $out"
	exit 1
fi
case $out in
*"runneld: nothing to listen on: [server] socket is none, listen is unset and systemd passed no socket"*) ;;
*) echo "FAIL: listening on nothing: $out"; exit 1 ;;
esac
echo "ok: $n configs, relative paths, missing PKI and socket directory, TLS file errors at their line, state_dir mode, ranges"
