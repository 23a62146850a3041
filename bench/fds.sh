#!/usr/bin/env bash
# bench/fds.sh - runneld's open descriptors with many finished tasks:
# FDS_COUNT (10000) tasks that each print a line run (64 at a time, each
# watched while it runs) under a NOFILE limit of FDS_NOFILE (256, where
# task starts used to fail after 237); then one viewer reads every log from
# its start (`runnel watch ID...`, 4,000 tasks at a time) and then the last
# line of each (`--tail 1`).  runneld's descriptors (/proc/PID/fd) are counted
# before the first task, after the tasks, and after each read; the bytes
# read must be every task's line.
#
# (The warm-up task before them is read too: FDS_COUNT + 1 lines.)
# Own temp dir, config and runneld (bench/lib.sh); everything it started
# is stopped and the temp dir removed on exit.  Prints one line:
# "tasks=N failed=F nofile=L fds_start=A fds_tasks=B fds_watch=C
# fds_tail=D lines_watch=X lines_tail=Y".  Exit status 1 if a task failed,
# a line was missing, or the descriptors grew by more than the 32 spools
# runneld keeps open for readers.
# Environment: RUNNELD, RUNNEL (binaries to use), FDS_COUNT, FDS_NOFILE,
# TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
spawn=$top/bench/spawn
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
count=${FDS_COUNT:-10000}
nofile=${FDS_NOFILE:-256}

[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "fds.sh: FDS_COUNT" >&2; exit 2; }
[[ $nofile =~ ^[1-9][0-9]*$ ]] || { echo "fds.sh: FDS_NOFILE" >&2; exit 2; }
if [[ ! -x $spawn || ! -x $runneld || ! -x $runnel ]]; then
	make -C "$top" -s bench/spawn daemon/runneld client/runnel
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-fds.XXXXXX")
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

# Soft and hard: runneld raises its soft limit to the hard one.
ulimit -n "$nofile"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_limits="max_running = 64"
bench_daemon bench/fds.sh
sock=$tmp/runneld.sock

fds() { find "/proc/$daemon/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# One task first: the descriptors every task shares (/dev/null for stdin,
# the spawn helper's) are then open, and only spools can come on top.
"$spawn" spawn -H "unix:$sock" -n 1 -j 1 -t 60 -- echo line > /dev/null
fds_start=$(fds)
r=$(timeout 600 "$spawn" spawn -H "unix:$sock" -n "$count" -j 64 -t 500 \
	-- echo line) || { echo "fds.sh: spawn: ${r:-failed}" >&2; exit 1; }
failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<< "$r")
done_n=$(sed -n 's/.*tasks=\([0-9]*\).*/\1/p' <<< "$r")
fds_tasks=$(fds)
# Every task's log, at most 4,000 tasks per watch (a watch takes 4,096).
read_all() {
	local from
	for ((from = 1; from <= count + 1; from += 4000)); do
		RUNNEL_HOST=unix:$sock timeout 600 "$runnel" watch --stdout \
			"$@" $(seq "$from" $((from + 3999 < count + 1 ?
			from + 3999 : count + 1))) || true
	done | grep -c 'line$' || true
}
lines_watch=$(read_all)
fds_watch=$(fds)
lines_tail=$(read_all --tail 1)
fds_tail=$(fds)

echo "tasks=$done_n failed=$failed nofile=$nofile fds_start=$fds_start" \
	"fds_tasks=$fds_tasks fds_watch=$fds_watch fds_tail=$fds_tail" \
	"lines_watch=$lines_watch lines_tail=$lines_tail"
[[ $done_n -eq $count && $failed -eq 0 &&
	$lines_watch -eq $((count + 1)) && $lines_tail -eq $((count + 1)) &&
	$fds_tasks -le $((fds_start + 32)) && $fds_watch -le $((fds_start + 32)) &&
	$fds_tail -le $((fds_start + 32)) ]]
