#!/usr/bin/env bash
# bench/crash-test.sh - nothing acknowledged is lost in a crash.  Each
# round starts runneld on a fresh state dir, runs a submit storm that logs
# every acknowledged id with the task's name, kill -9s the daemon at a
# random moment, restarts it on the same state dir, and checks that every
# acknowledged id is there with its spec (name and argv) intact.  Prints
# the number of acknowledged tasks lost (must be 0); exit 1 if any was.
# Usage: bench/crash-test.sh [ROUNDS]  (default 20)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
bench=$top/bench/durability
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
rounds=${1:-20}

[[ -x $bench && -x $runneld && -x $runnel ]] ||
	make -C "$top" -s bench/durability daemon/runneld client/runnel

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-crash.XXXXXX")
daemon=
trap '[[ -n $daemon ]] && kill -KILL $daemon 2>/dev/null; rm -rf "$tmp"' EXIT

start() {
	: > "$tmp/runneld.log"
	"$runneld" -f -c "$tmp/runneld.conf" 2>> "$tmp/runneld.log" &
	daemon=$!
	for _ in $(seq 200); do
		grep -q ready "$tmp/runneld.log" && return 0
		kill -0 $daemon 2>/dev/null || break
		sleep 0.05
	done
	echo "runneld did not start:" >&2
	cat "$tmp/runneld.log" >&2
	exit 1
}

total_acked=0
total_lost=0
# As root, runneld runs tasks as root only when told to.
as_root=
[[ $(id -u) -eq 0 ]] && as_root="run_as_root = yes"
for round in $(seq "$rounds"); do
	rm -rf "$tmp/state" "$tmp/ids"
	cat > "$tmp/runneld.conf" <<CONF
[server]
$as_root
socket = $tmp/runneld.sock
state_dir = $tmp/state
[limits]
max_queued_per_identity = 0
[queue default]
max_running = 1
CONF
	start
	"$bench" -H "unix:$tmp/runneld.sock" -n 1000000 -c 8 --ids "$tmp/ids" \
	    > /dev/null 2>&1 &
	storm=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -KILL $daemon
	wait $daemon 2>/dev/null || true
	wait $storm 2>/dev/null || true
	start
	RUNNEL_HOST="unix:$tmp/runneld.sock" "$runnel" list --json > "$tmp/list.json"
	kill -TERM $daemon
	wait $daemon 2>/dev/null || true
	daemon=
	read -r acked lost < <(python3 - "$tmp/ids" "$tmp/list.json" <<'PY'
import json, sys
ids = {}
for line in open(sys.argv[1]):
    i, name = line.split()
    ids[int(i)] = name
tasks = {t["id"]: t for t in json.load(open(sys.argv[2]))}
lost = 0
for i, name in ids.items():
    t = tasks.get(i)
    if t is None or t["name"] != name or t["argv"] != ["sleep", "3600"]:
        lost += 1
print(len(ids), lost)
PY
)
	echo "round $round: $acked acknowledged, $lost lost"
	total_acked=$((total_acked + acked))
	total_lost=$((total_lost + lost))
done
echo "crash test: $rounds rounds, $total_acked acknowledged tasks, $total_lost lost"
[[ $total_lost -eq 0 ]]
