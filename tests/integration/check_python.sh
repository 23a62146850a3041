#!/usr/bin/env bash
# check_python.sh - examples/client.py, the Python client made from
# proto/runnel.proto alone, against a real runneld: its own CA made with
# `runnel pki`, TLS on 127.0.0.1 port 0 and a unix socket in a temp dir.
# Then protocol_audit.py, which starts a runneld of its own, tries every
# request and field of runnel.proto as docs/PROTOCOL.md describes them.
# Skipped (77) when configure found no protoc or no python3 that can import
# google.protobuf.  Ends with a "Checks: N, Failures: N, Errors: 0" line.
set -u

if [ -z "${RUNNEL_PYTHON:-}" ]; then
	echo "SKIP: configure found no protoc or no python3 with google.protobuf" \
	    "(apt-get install protobuf-compiler python3-protobuf, then configure again)"
	exit 77
fi
for v in RUNNEL RUNNELD RUNNEL_PYTHON RUNNEL_PB2_DIR RUNNEL_CLIENT_PY \
    RUNNEL_CAPTURE_PY; do
	if [ -z "${!v:-}" ]; then
		echo "check_python.sh: $v is not set (run it through make check)" >&2
		exit 99
	fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/runnel-py.XXXXXX") || exit 99
daemon=
# Stop the daemon (if a check failed half-way: SIGTERM cancels its tasks)
# and remove the temp dir.
cleanup() {
	[ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon"
	[ -n "${RUNNEL_TEST_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

checks=0 failures=0
# ok DESCRIPTION COMMAND...: one check; the command's failure fails it.
ok() {
	local what=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		echo "ok $checks - $what"
	else
		failures=$((failures + 1))
		echo "not ok $checks - $what"
	fi
}

# wait_for FILE TEXT: wait (up to 30 s) until FILE contains TEXT.
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "'$2' not in $1 after 30 s:" >&2
	cat "$1" >&2
	return 1
}

# client_cmd AS ARGS...: set cmd to the command line of client.py as
# identity AS: a certificate name (from $dir/$PKI, default pki, checking
# the daemon against $CA, default pki/ca.crt), unix for the socket, or
# relay for docs/capture.py's socket.  The timeout only keeps a hung client
# from hanging make.
client_cmd() {
	local as=$1
	shift
	if [ "$as" = unix ] || [ "$as" = relay ]; then
		set -- -H "unix:$dir/$([ "$as" = unix ] && echo runneld ||
		    echo relay).sock" "$@"
	else
		set -- -H "127.0.0.1:$port" --ca "${CA:-$dir/pki/ca.crt}" \
		    --cert "$dir/${PKI:-pki}/$as.crt" \
		    --key "$dir/${PKI:-pki}/$as.key" "$@"
	fi
	cmd=(env PYTHONPATH="$RUNNEL_PB2_DIR" PYTHONDONTWRITEBYTECODE=1
	    timeout 60 "$RUNNEL_PYTHON" "$RUNNEL_CLIENT_PY" "$@")
}

# py AS ARGS...: run client.py; stdout to $dir/out, stderr to $dir/err,
# the exit status in $st.
py() {
	client_cmd "$@"
	"${cmd[@]}" > "$dir/out" 2> "$dir/err"
	st=$?
}

# expect STATUS TEXT-IN-STDERR: the last py call's result.
expect() {
	if [ "$st" -ne "$1" ]; then
		echo "exit status $st, expected $1; stderr:" >&2
		cat "$dir/err" >&2
		return 1
	fi
	[ -z "${2:-}" ] || grep -qF -- "$2" "$dir/err" || {
		echo "'$2' not in stderr:" >&2
		cat "$dir/err" >&2
		return 1
	}
}

# --- a CA, certificates, a config, and the daemon -------------------------
"$RUNNEL" pki init "$dir/pki" --name localhost --name 127.0.0.1 > /dev/null &&
    "$RUNNEL" pki issue "$dir/pki" alice > /dev/null &&
    "$RUNNEL" pki issue "$dir/pki" bob > /dev/null &&
    "$RUNNEL" pki issue "$dir/pki" mallory > /dev/null &&
    "$RUNNEL" pki init "$dir/other" --name localhost --name 127.0.0.1 \
	> /dev/null &&
    "$RUNNEL" pki issue "$dir/other" alice > /dev/null || exit 99
# write_conf [LINE]: the daemon's config, LINE added to [server].
write_conf() {
	cat > "$dir/runneld.conf" <<EOF
[server]
listen = 127.0.0.1:0
socket = $dir/runneld.sock
state_dir = state
${1:-}
[tls]
ca = pki/ca.crt
cert = pki/server.crt
key = pki/server.key
[limits]
grace = 2s
[access]
alice = user
bob = user
EOF
}
# Running as root, a runneld that has the run_as_root setting runs no task
# as root without it: ask for it where the daemon knows the setting.
write_conf "run_as_root = yes"
"$RUNNELD" --check-config -c "$dir/runneld.conf" > /dev/null 2>&1 || write_conf
# Its log goes to stderr (-f), not to a journal this test may run under.
env -u JOURNAL_STREAM -u INVOCATION_ID "$RUNNELD" -f -c "$dir/runneld.conf" \
    2> "$dir/log" &
daemon=$!
wait_for "$dir/log" "ready" || exit 99
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/log")
[ -n "$port" ] || { echo "no port in the daemon's log" >&2; exit 99; }

# --- Hello ----------------------------------------------------------------
check_hello_tls() {
	py alice hello && expect 0 && grep -qxE \
	    "runneld [0-9][^ ]*, protocol 1; you are alice, role user" "$dir/out"
}
ok "hello over TLS: alice is a user, protocol 1" check_hello_tls

check_hello_unix() {
	py unix hello && expect 0 &&
	    grep -qF "you are unix:$(id -un), role admin" "$dir/out"
}
ok "hello over the unix socket: the daemon's own user is admin" \
    check_hello_unix

# --- Submit and Watch -----------------------------------------------------
check_run_exit() {
	py alice run -- sh -c 'echo out; echo err >&2; exit 3' &&
	    expect 3 "failed, exit 3" && [ "$(cat "$dir/out")" = out ] &&
	    grep -qxF err "$dir/err"
}
ok "run: stdout and stderr apart, exit status 3 reported and returned" \
    check_run_exit

check_run_big() {
	py alice run -- seq 1 50000 && expect 0 "succeeded, exit 0" &&
	    seq 1 50000 | cmp -s - "$dir/out"
}
ok "run: 289 KB of output (several chunks) arrives whole and in order" \
    check_run_big

check_run_signal() {
	py alice run -- sh -c 'kill -KILL $$' && expect 137 "failed, signal 9"
}
ok "run: a task killed by SIGKILL exits 128+9" check_run_signal

# --- Cancel ---------------------------------------------------------------
check_cancel() {
	local id watcher
	py alice submit -- sh -c 'echo started; while :; do sleep 0.1; done' &&
	    expect 0 || return 1
	id=$(cat "$dir/out")
	[[ $id =~ ^[0-9]+$ ]] || { echo "submit printed '$id'" >&2; return 1; }
	client_cmd alice watch "$id"
	"${cmd[@]}" > "$dir/wout" 2> "$dir/werr" &
	watcher=$!
	wait_for "$dir/wout" started || { kill "$watcher"; return 1; }
	# Another user neither sees nor cancels it.
	py bob cancel "$id" && expect 5 "ERROR_NOT_FOUND: task $id: not found" ||
	    { kill "$watcher"; return 1; }
	py alice cancel "$id" && expect 0 &&
	    [ "$(cat "$dir/out")" = "cancelled: $id" ] ||
	    { kill "$watcher"; return 1; }
	wait "$watcher"
	[ $? -eq 1 ] && grep -qxF "task $id cancelled, signal 15" "$dir/werr" &&
	    "$RUNNEL" -H "unix:$dir/runneld.sock" show "$id" |
	    grep -qxF "state: cancelled"
}
ok "cancel: a looping task's watch ends with its cancelled state" \
    check_cancel

# --- Errors ---------------------------------------------------------------
check_invalid() {
	py alice run -- '' &&
	    expect 6 "ERROR_INVALID_ARGUMENT: argv[0] is empty"
}
ok "an empty argv[0] is refused with ERROR_INVALID_ARGUMENT" check_invalid

check_not_found() {
	py alice watch 999999 && expect 5 "ERROR_NOT_FOUND: task 999999"
}
ok "watching an unknown task gives ERROR_NOT_FOUND" check_not_found

check_no_role() {
	py mallory hello &&
	    expect 4 "ERROR_UNAUTHENTICATED: identity mallory has no role"
}
ok "a certificate whose identity has no role is refused at Hello" \
    check_no_role

check_wrong_ca() {
	CA=$dir/other/ca.crt py alice hello &&
	    expect 3 "certificate verify failed"
}
ok "a client trusting another CA refuses the daemon's certificate" \
    check_wrong_ca

check_foreign_cert() {
	# In TLS 1.3 the refusal comes after the client's handshake is done:
	# Hello is sent, and its read finds the alert or the end of the stream.
	PKI=other py alice hello && expect 3 && [ ! -s "$dir/out" ] &&
	    wait_for "$dir/log" "tls handshake failed" &&
	    wait_for "$dir/log" "certificate verify failed"
}
ok "the daemon refuses a client certificate from another CA" \
    check_foreign_cert

# --- docs/capture.py, which made the hex dump of docs/PROTOCOL.md ---------
check_capture() {
	local capture i
	env PYTHONPATH="$RUNNEL_PB2_DIR" PYTHONDONTWRITEBYTECODE=1 timeout 60 \
	    "$RUNNEL_PYTHON" "$RUNNEL_CAPTURE_PY" "$dir/runneld.sock" \
	    "$dir/relay.sock" > "$dir/dump" 2>&1 &
	capture=$!
	for ((i = 0; i < 600; i++)); do
		[ -S "$dir/relay.sock" ] && break
		sleep 0.05
	done
	py relay run -- echo hello && expect 0 &&
	    [ "$(cat "$dir/out")" = hello ] || { kill "$capture"; return 1; }
	wait "$capture" || { cat "$dir/dump" >&2; return 1; }
	for line in "client -> runneld frame 1: hello, 21 bytes" \
	    "  00 00 00 11                                 length = 17" \
	    "    08 01                                     protocol_version (1) = 1" \
	    "runneld -> client frame 3: output, 27 bytes" \
	    "    22 06 68 65 6c 6c 6f 0a                   data (4) = b'hello\\n'" \
	    "      18 03                                   state (3) = TASK_SUCCEEDED" \
	    "  7a 00                                       watch_end (15): WatchEnd, 0 bytes"
	do
		grep -qxF -- "$line" "$dir/dump" ||
		    { echo "not in the dump: $line" >&2; cat "$dir/dump" >&2;
		    return 1; }
	done
}
ok "capture.py relays a real exchange and decodes every frame" \
    check_capture

# --- a strict decoder: bytes fields that are not UTF-8 ---------------------
check_strict_utf8() {
	env PYTHONPATH="$RUNNEL_PB2_DIR" PYTHONDONTWRITEBYTECODE=1 timeout 60 \
	    "$RUNNEL_PYTHON" "$(dirname "$0")/strict_utf8.py" \
	    "$dir/runneld.sock" > "$dir/out" 2> "$dir/err" ||
	    { cat "$dir/err" >&2; return 1; }
	! grep -F "sent escaped" "$dir/log" >&2
}
ok "argv, env and cwd not UTF-8: every reply decodes strictly, escaped" \
    check_strict_utf8

# --- every RPC and field, by a client made from the .proto and the docs ----
check_protocol_audit() {
	env PYTHONPATH="$RUNNEL_PB2_DIR" PYTHONDONTWRITEBYTECODE=1 timeout 120 \
	    "$RUNNEL_PYTHON" "$(dirname "$0")/protocol_audit.py" \
	    > "$dir/pout" 2>&1 || { cat "$dir/pout" >&2; return 1; }
}
ok "protocol_audit.py: every request and reply as PROTOCOL.md says" \
    check_protocol_audit

# --- the daemon shuts down cleanly ----------------------------------------
check_shutdown() {
	kill -TERM "$daemon" && wait "$daemon"
	local status=$?
	daemon=
	[ $status -eq 0 ] || { echo "runneld exited $status:" >&2; \
	    tail -n 40 "$dir/log" >&2; return 1; }
}
ok "runneld exits 0 on SIGTERM" check_shutdown

echo "Checks: $checks, Failures: $failures, Errors: 0"
[ $failures -eq 0 ]
