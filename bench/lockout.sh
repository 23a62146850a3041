#!/usr/bin/env bash
# bench/lockout.sh - can one flooding source lock others out?  Starts a
# daemon of its own (bench/lib.sh), then 1,000 sockets from 127.0.0.2 that
# stall (a third), dribble a byte every 200 ms (a third a ClientHello's
# first bytes, a third junk) and reconnect whenever the daemon closes them,
# while 50 `runnel run true` (each a new process, TLS handshake, Hello,
# submit, exit status) run one after another from 127.0.0.1.  Prints how
# many succeeded and their p50/p99/max.  Exit status 3: not all 50
# succeeded, or p99 >= 2 s.  Each run has a 10 s limit; the flood stops
# with the runs.
# Environment: RUNNELD, RUNNEL (binaries to use), LOCKOUT_CONNS (1000),
# LOCKOUT_RUNS (50), LOCKOUT_LIMITS (lines for [limits]), TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
conns=${LOCKOUT_CONNS:-1000}
runs=${LOCKOUT_RUNS:-50}
bench_limits=${LOCKOUT_LIMITS:-}

if [[ ! -x $runneld || ! -x $runnel ]]; then
	make -C "$top" -s daemon/runneld client/runnel
fi
ulimit -n 4096 2>/dev/null || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-lockout.XXXXXX")
daemon=
flood=
# Stop one process: TERM, a bounded wait, then KILL.
stop() {
	local pid=$1 i
	[[ -n $pid ]] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	stop "$flood"
	stop "$daemon"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_daemon lockout.sh

cat > "$tmp/flood.py" <<'PY'
import os, selectors, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
junk = bytes.fromhex("16030100f8010000f40303") + b"x" * 300
sel = selectors.DefaultSelector()
socks = [None] * n
off = [0] * n
connects = 0
def dial(i):
    global connects
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return
    socks[i] = s
    off[i] = 0
    connects += 1
    sel.register(s, selectors.EVENT_READ, i)
tick = time.monotonic()
while True:
    for i in range(n):
        if socks[i] is None:
            dial(i)
    if time.monotonic() - tick >= 0.2:
        tick = time.monotonic()
        for i in range(n):
            if socks[i] is not None and i % 3 and off[i] < len(junk):
                try:
                    socks[i].send(junk[off[i]:off[i] + 1])
                except OSError:
                    pass
                off[i] += 1
    for key, _ in sel.select(0.05):
        i = key.data
        try:
            d = socks[i].recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            d = b""
        if not d:
            sel.unregister(socks[i])
            socks[i].close()
            socks[i] = None
PY
python3 "$tmp/flood.py" "$port" "$conns" &
flood=$!
# Let the flood open its sockets first (at most 5 s).
for _ in $(seq 100); do
	[[ $(ss -Htn "( dport = :$port and src 127.0.0.2 )" 2>/dev/null |
		wc -l) -ge $((conns / 2)) ]] && break
	sleep 0.05
done

export RUNNEL_HOST=127.0.0.1:$port RUNNEL_CA=$tmp/pki/ca.crt \
	RUNNEL_CERT=$tmp/pki/bench.crt RUNNEL_KEY=$tmp/pki/bench.key
ok=0
: > "$tmp/lat"
for _ in $(seq "$runs"); do
	t0=$(date +%s%N)
	if timeout 10 "$runnel" run true > /dev/null 2>&1; then
		ok=$((ok + 1))
	fi
	echo $((($(date +%s%N) - t0) / 1000000)) >> "$tmp/lat"
done
sort -n "$tmp/lat" > "$tmp/lat.s"
p50=$(sed -n "$(((runs + 1) / 2))p" "$tmp/lat.s")
p99=$(sed -n "$(((runs * 99 + 99) / 100))p" "$tmp/lat.s")
max=$(tail -n 1 "$tmp/lat.s")
echo "lockout: $ok of $runs \`runnel run true\` from 127.0.0.1 beside" \
	"$conns stalled/dribbling/reconnecting sockets from 127.0.0.2:" \
	"p50 $p50 ms, p99 $p99 ms, max $max ms"
if [[ $ok -ne $runs || $p99 -ge 2000 ]]; then
	exit 3
fi
