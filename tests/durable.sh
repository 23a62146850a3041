#!/usr/bin/env bash
# tests/durable.sh - a task is started at most once per acknowledged start
# record, and its true end is never lost, on a real full filesystem.
# As root, in a private mount namespace, the state directory is a small
# tmpfs.  Part 1: runneld starts on it full, serves list, refuses submit
# with a clear error, accepts again once space is freed and compacts then.
# Part 2: rounds of a submit storm whose tasks each append their tag to a
# file outside the tmpfs, the tmpfs filled, runneld killed with SIGKILL at
# a random moment while full or after freeing, restarted: every
# acknowledged task is there, none ran twice, and none that runneld said
# had succeeded comes back otherwise.  Skips (77) when not root.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
	echo "skipped: needs root (mounts a tmpfs)"
	exit 77
fi
if [[ -z ${RUNNEL_DURABLE_NS:-} ]]; then
	if ! RUNNEL_DURABLE_NS=1 unshare -m --propagation private true \
	    2>/dev/null; then
		echo "skipped: cannot make a mount namespace"
		exit 77
	fi
	RUNNEL_DURABLE_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
rounds=${DURABLE_ROUNDS:-6}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-durable.XXXXXX")
state=$tmp/state
daemon=
storm=
cleanup() {
	[[ -n $storm ]] && kill -KILL $storm 2>/dev/null
	[[ -n $daemon ]] && kill -KILL "$daemon" 2>/dev/null
	wait 2>/dev/null || true
	umount "$state" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$state" "$tmp/runs"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$state"
export RUNNEL_HOST="unix:$tmp/runneld.sock"
cat > "$tmp/runneld.conf" <<CONF
[server]
run_as_root = yes
socket = $tmp/runneld.sock
state_dir = $state
[limits]
max_queued_per_identity = 0
[queue default]
max_running = 2
CONF

fail() {
	echo "FAIL: $*" >&2
	echo "--- runneld.log" >&2
	tail -n 40 "$tmp/runneld.log" >&2
	exit 1
}

# Wait (up to 20 s) for a line matching $1 in runneld's log.
wait_log() {
	local _
	for _ in $(seq 400); do
		grep -q -- "$1" "$tmp/runneld.log" && return 0
		[[ -n $daemon ]] && ! kill -0 "$daemon" 2>/dev/null && break
		sleep 0.05
	done
	fail "no '$1' in runneld's log"
}

# HARNESS_WRAPPER (make check-valgrind) runs runneld under valgrind.
start() {
	[[ -f $tmp/runneld.log ]] && cat "$tmp/runneld.log" >> "$tmp/all.log"
	: > "$tmp/runneld.log"
	${HARNESS_WRAPPER:-} "$runneld" -f -c "$tmp/runneld.conf" \
	    2>> "$tmp/runneld.log" &
	daemon=$!
	wait_log ready
}

# Stop runneld: it must exit 0 (under valgrind: no error, no leak).
stop() {
	local rc=0
	kill -TERM "$daemon"
	wait "$daemon" 2>/dev/null || rc=$?
	daemon=
	[[ $rc -eq 0 ]] || fail "runneld exited $rc"
}

# Fill the tmpfs to the last page.
fill() {
	dd if=/dev/zero of="$state/fill" bs=4k 2>/dev/null || true
}

free_space() {
	rm -f "$state/fill"
}

# --- Part 1: start on a full disk.
start
for i in 1 2 3; do
	"$runnel" submit --name "p1-$i" sh -c "echo p1-$i >> $tmp/runs/p1-$i" \
	    > /dev/null
done
"$runnel" wait --all --timeout 20s > /dev/null || fail "part 1 tasks did not end"
stop
fill
start
grep -q "cannot compact at start-up" "$tmp/runneld.log" ||
	fail "runneld compacted on a full disk?"
n=$("$runnel" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $n -eq 3 ]] || fail "list on a full disk shows $n tasks, not 3"
# The journal's last page may still hold a few records: submit until it
# is full too.
refused=
for _ in $(seq 200); do
	if ! out=$("$runnel" submit true 2>&1); then
		refused=1
		break
	fi
done
[[ -n $refused ]] || fail "200 submissions acknowledged on a full disk"
grep -q "journal cannot be written (No space left on device)" <<< "$out" ||
	fail "submit on a full disk: unclear error: $out"
free_space
id=$("$runnel" submit --name p1-4 sh -c "echo p1-4 >> $tmp/runs/p1-4") ||
	fail "submit after freeing space was refused"
[[ $("$runnel" wait --timeout 20s "$id") == "$id succeeded"* ]] ||
	fail "task $id did not succeed after freeing space"
wait_log "journal: compacted"
stop
echo "part 1: started on a full disk, refused submit, compacted later"

# --- Part 2: kill -9 at random moments while full and after freeing.
: > "$tmp/acked"
storm_run() {
	local round=$1 i=0 tag id
	while :; do
		i=$((i + 1))
		tag="r$round-$i"
		if id=$("$runnel" submit --name "$tag" sh -c \
		    "echo $tag >> $tmp/runs/$tag; sleep 0.02" 2>/dev/null); then
			echo "$id $tag" >> "$tmp/acked"
		fi
	done
}

# The last round kills nothing: the disk fills under load and frees, and
# the same runneld writes what it held, runs the rest and exits cleanly.
for round in $(seq $((rounds + 1))); do
	last=$((round > rounds))
	start
	# Four submitters against two running at a time: a queue builds up,
	# so the disk fills under queued, starting and ending tasks.
	storm=
	for k in 1 2 3 4; do
		storm_run "$round-$k" &
		storm="$storm $!"
	done
	sleep "0.$((RANDOM % 5 + 2))"
	fill
	if (( round % 2 == 0 || last )); then
		sleep "0.$((RANDOM % 5 + 1))"
		free_space
		when="after freeing"
	else
		when="while full"
	fi
	sleep "0.$((RANDOM % 5 + 1))"
	# What runneld has told clients just before it dies.
	"$runnel" list --json > "$tmp/told.json" 2>/dev/null || echo '[]' > "$tmp/told.json"
	if (( last )); then
		when="no kill"
	else
		kill -KILL "$daemon"
		wait "$daemon" 2>/dev/null || true
	fi
	kill -KILL $storm 2>/dev/null || true
	wait $storm 2>/dev/null || true
	storm=
	free_space
	(( last )) || start
	rc=0
	"$runnel" wait --all --timeout 30s > /dev/null || rc=$?
	[[ $rc -ne 124 ]] || fail "round $round: tasks did not end after restart"
	"$runnel" list --json > "$tmp/after.json"
	if grep -q "no task starts and no submission" "$tmp/runneld.log" &&
	    ! grep -q "can be written again" "$tmp/runneld.log"; then
		fail "round $round: the journal stayed blocked after freeing"
	fi
	stop
	(( last )) && when="$when, $(grep -c 'cannot record' "$tmp/runneld.log" || true) records held"
	python3 - "$tmp" "$round" "$when" <<'PY' || fail "round $round"
import json, os, sys
tmp, rnd, when = sys.argv[1], sys.argv[2], sys.argv[3]
acked = {}
for line in open(os.path.join(tmp, "acked")):
    i, tag = line.split()
    acked[int(i)] = tag
after = {t["id"]: t for t in json.load(open(os.path.join(tmp, "after.json")))}
told = {t["id"]: t for t in json.load(open(os.path.join(tmp, "told.json")))}
runs = {}
for tag in os.listdir(os.path.join(tmp, "runs")):
    runs[tag] = len(open(os.path.join(tmp, "runs", tag)).read().split())
bad = []
for i, tag in acked.items():
    t = after.get(i)
    if t is None:
        bad.append(f"task {i} ({tag}) acknowledged but gone")
        continue
    n = runs.get(t["name"], 0)
    if n > 1:
        bad.append(f"task {i} ({tag}) ran {n} times")
    if t["state"] == "succeeded" and n != 1:
        bad.append(f"task {i} ({tag}) succeeded but ran {n} times")
for i, t in told.items():
    if t["state"] in ("succeeded", "failed") and after.get(i, {}).get(
            "state") != t["state"]:
        bad.append(f"task {i} was {t['state']}, came back "
                   f"{after.get(i, {}).get('state')}")
for tag, n in runs.items():
    if n > 1:
        bad.append(f"{tag} ran {n} times")
states = {}
for t in after.values():
    states[t["state"]] = states.get(t["state"], 0) + 1
print(f"round {rnd} ({when}): {len(acked)} acknowledged so far, "
      f"states {dict(sorted(states.items()))}")
for b in bad[:20]:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
done
cat "$tmp/runneld.log" >> "$tmp/all.log"
echo "durable: $rounds rounds and one without kill, $(wc -l < "$tmp/acked") acknowledged, no task" \
    "ran twice; records that could not be written:" \
    "$(grep -c 'cannot record' "$tmp/all.log" || true)," \
    "starts refused: $(grep -c 'not started' "$tmp/all.log" || true)," \
    "ends held: $(grep -c 'not told until' "$tmp/all.log" || true)"
