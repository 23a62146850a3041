#!/usr/bin/env bash
# bench/watchers.sh - many watchers of one chatty task: WATCHERS_COUNT
# (1000) clients, each on its own connection, watch one task that writes
# WATCHERS_SIZE (4M) of numbered lines at WATCHERS_RATE (1M) bytes/s; each
# watcher reads at its own pace and all must receive the identical byte
# stream (FNV-1a checksum, offsets, stream).  The task runs once alone
# first: with the watchers it must not take longer (it never waits for
# them).
#
# Own temp dir, config (a unix socket; 127.0.0.1 port 0 and a CA with
# WATCHERS_TRANSPORT=tls) and runneld; everything it started is stopped
# and the temp dir removed on exit.
# Exit status 1: a watcher got other bytes or failed; 3: the task was
# slowed down (more than 1.2 x its time alone + 0.2 s).
# Environment: RUNNELD, RUNNEL (binaries to use), WATCHERS_COUNT,
# WATCHERS_SIZE, WATCHERS_RATE, WATCHERS_TIME_LIMIT (300 s),
# WATCHERS_TRANSPORT (unix or tls), TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
watchers=$top/bench/watchers
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
count=${WATCHERS_COUNT:-1000}
size=${WATCHERS_SIZE:-4M}
rate=${WATCHERS_RATE:-1M}
limit=${WATCHERS_TIME_LIMIT:-300}
transport=${WATCHERS_TRANSPORT:-unix}

[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "watchers.sh: WATCHERS_COUNT" >&2; exit 2; }
[[ $transport == unix || $transport == tls ]] ||
	{ echo "watchers.sh: WATCHERS_TRANSPORT: unix or tls" >&2; exit 2; }
if [[ ! -x $watchers || ! -x $runneld || ! -x $runnel ]]; then
	make -C "$top" -s bench/watchers daemon/runneld client/runnel
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-watchers.XXXXXX")
daemon=
cleanup() {
	if [[ -n $daemon ]] && kill -0 "$daemon" 2>/dev/null; then
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The watchers' file descriptors, and the daemon's.
ulimit -n $((count * 2 + 256)) 2>/dev/null || true

"$runnel" pki init "$tmp/pki" --name localhost --name 127.0.0.1 >/dev/null
"$runnel" pki issue "$tmp/pki" bench >/dev/null
# As root, runneld runs tasks as root only when told to.
as_root=
[[ $(id -u) -eq 0 ]] && as_root="run_as_root = yes"
cat > "$tmp/runneld.conf" <<CONF
[server]
$as_root
listen = 127.0.0.1:0
socket = $tmp/runneld.sock
state_dir = $tmp/state
[tls]
ca = pki/ca.crt
cert = pki/server.crt
key = pki/server.key
[limits]
max_connections = $((count + 16))
max_identity_connections = $((count + 16))
[access]
bench = admin
CONF
"$runneld" -f -c "$tmp/runneld.conf" 2> "$tmp/runneld.log" &
daemon=$!
for _ in $(seq 100); do
	grep -q ready "$tmp/runneld.log" && break
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.05
done
grep -q ready "$tmp/runneld.log" ||
	{ cat "$tmp/runneld.log" >&2; echo "watchers.sh: runneld did not start" >&2; exit 1; }
if [[ $transport == tls ]]; then
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		"$tmp/runneld.log" | head -n 1)
	conn=(-H "127.0.0.1:$port" --ca "$tmp/pki/ca.crt"
		--cert "$tmp/pki/bench.crt" --key "$tmp/pki/bench.key")
else
	conn=(-H "unix:$tmp/runneld.sock")
fi

echo "runneld pid $daemon; $(nproc) CPUs; $count watchers over $transport;" \
	"task: $size at $rate/s"
rc=0
"$watchers" "${conn[@]}" --count "$count" --size "$size" --rate "$rate" \
	--time-limit "$limit" > "$tmp/out" || rc=$?
cat "$tmp/out"
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$daemon/status")
echo "runneld peak RSS: ${rss} kB"
if grep -q 'slow callback' "$tmp/runneld.log"; then
	echo "daemon log, slow callbacks:"
	grep 'slow callback' "$tmp/runneld.log" | head -5
fi
[[ $rc -eq 0 ]] || { echo "watchers: FAILED (exit $rc)"; exit "$rc"; }
if awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	END { exit !(v["task_watched"] > 1.2 * v["task_alone"] + 0.2) }' \
	"$tmp/out"; then
	echo "target: the task is not slowed by its watchers: NOT met"
	exit 3
fi
echo "target: all $count watchers got identical bytes, the task was not slowed: met"
