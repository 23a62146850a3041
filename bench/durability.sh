#!/usr/bin/env bash
# bench/durability.sh - submissions per second with the journal's group
# commit, beside the same storm with fdatasync turned off (runneld
# --unsafe-no-fsync, a bench-only switch), in one run: 10,000 submissions
# from 8 clients over the unix socket, each against a fresh daemon.  The
# tasks queue behind one long task ([queue default] max_running = 1), so
# what is measured is the acknowledgement path, not process start-up.
# Target: group commit keeps at least 50% of the unflushed rate.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
bench=$top/bench/durability
runneld=${RUNNELD:-$top/daemon/runneld}
total=${DURABILITY_TOTAL:-10000}
clients=${DURABILITY_CLIENTS:-8}

[[ -x $bench && -x $runneld ]] ||
	make -C "$top" -s bench/durability daemon/runneld

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-durability.XXXXXX")
daemon=
stop() {
	if [[ -n $daemon ]]; then
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
		daemon=
	fi
}
trap 'stop; rm -rf "$tmp"' EXIT

# run NAME [runneld options]: one storm against a fresh daemon.
run() {
	local name=$1 dir=$tmp/$1
	shift
	mkdir -p "$dir"
	# As root, runneld runs tasks as root only when told to.
	local as_root=
	[[ $(id -u) -eq 0 ]] && as_root="run_as_root = yes"
	cat > "$dir/runneld.conf" <<CONF
[server]
$as_root
socket = $dir/runneld.sock
state_dir = $dir/state
[limits]
grace = 1s
max_queued_per_identity = 0
[queue default]
max_running = 1
CONF
	"$runneld" -f -c "$dir/runneld.conf" "$@" 2> "$dir/runneld.log" &
	daemon=$!
	for _ in $(seq 100); do
		grep -q ready "$dir/runneld.log" 2>/dev/null && break
		sleep 0.05
	done
	timeout 300 "$bench" -H "unix:$dir/runneld.sock" -n "$total" \
	    -c "$clients" > "$dir/result"
	stop
	read -r acked secs rate < "$dir/result"
	[[ $acked -eq $total ]] || { echo "$name: only $acked of $total acknowledged" >&2; exit 1; }
	eval "${name}_rate=$rate"
	eval "${name}_secs=$secs"
}

run journal
run nosync --unsafe-no-fsync
ratio=$(awk -v a="$journal_rate" -v b="$nosync_rate" 'BEGIN { printf "%.2f", a / b }')
cat <<TABLE
| durability: $total submissions, $clients clients | submissions/s | seconds |
|---|---|---|
| runneld, journal with group commit | $journal_rate | $journal_secs |
| runneld --unsafe-no-fsync (bench only) | $nosync_rate | $nosync_secs |
| ratio (target >= 0.50) | $ratio | |
TABLE
awk -v r="$ratio" 'BEGIN { exit !(r >= 0.5) }' || exit 3
