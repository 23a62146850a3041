#!/usr/bin/env bash
# bench/durability.sh - submissions per second with the journal's group
# commit, beside the same storm with fdatasync turned off (runneld
# --unsafe-no-fsync, a bench-only switch), in one run: 10,000 submissions
# from 8 clients over the unix socket, each against a fresh daemon.  The
# tasks queue behind one long task ([queue default] max_running = 1), so
# what is measured is the acknowledgement path, not process start-up.
# DURABILITY_ROUNDS (default 3) rounds, each running both, in alternating
# order; the table gives each side's median (the unflushed rate swings
# from run to run with the machine's other work, 27,000-46,000/s here, the
# journal's far less).
# Target: group commit keeps at least 50% of the unflushed rate.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
bench=$top/bench/durability
runneld=${RUNNELD:-$top/daemon/runneld}
total=${DURABILITY_TOTAL:-10000}
clients=${DURABILITY_CLIENTS:-8}
rounds=${DURABILITY_ROUNDS:-3}

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
	rm -rf "$dir"
	echo "$rate $secs" >> "$tmp/$name.rounds"
	echo "round $round: $name $rate/s $secs s" >&2
}

# median FILE: the line with the median rate (the lower middle one).
median() {
	sort -n "$1" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

for round in $(seq "$rounds"); do
	if (( round % 2 )); then
		run journal
		run nosync --unsafe-no-fsync
	else
		run nosync --unsafe-no-fsync
		run journal
	fi
done
read -r journal_rate journal_secs < <(median "$tmp/journal.rounds")
read -r nosync_rate nosync_secs < <(median "$tmp/nosync.rounds")
ratio=$(awk -v a="$journal_rate" -v b="$nosync_rate" 'BEGIN { printf "%.2f", a / b }')
cat <<TABLE
| durability: $total submissions, $clients clients, median of $rounds | submissions/s | seconds |
|---|---|---|
| runneld, journal with group commit | $journal_rate | $journal_secs |
| runneld --unsafe-no-fsync (bench only) | $nosync_rate | $nosync_secs |
| ratio of the medians (target >= 0.50) | $ratio | |

Every round (submissions/s): journal $(cut -d' ' -f1 "$tmp/journal.rounds" | paste -sd' '), --unsafe-no-fsync $(cut -d' ' -f1 "$tmp/nosync.rounds" | paste -sd' ').
TABLE
awk -v r="$ratio" 'BEGIN { exit !(r >= 0.5) }' || exit 3
