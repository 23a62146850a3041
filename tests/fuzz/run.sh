#!/usr/bin/env bash
# run.sh [SECONDS] - run each fuzz target for SECONDS (default 60) on its
# seed corpus (new inputs go to a scratch directory, the seeds stay as they
# are); fail on any crash, leak or sanitizer report.  Run from the build
# directory after `make fuzz`.
set -uo pipefail
secs=${1:-60}
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/runnel-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
for t in frame config journal request session; do
	bin=tests/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz: $bin not built (make fuzz)"; exit 1; }
	mkdir -p "$work/$t"
	echo "== fuzz_$t for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -malloc_limit_mb=64 \
	    -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$work/$t-" "$work/$t" "$src/corpus/$t" \
	    > "$work/$t.log" 2>&1; then
		tail -n 60 "$work/$t.log"
		for a in "$work/$t"-*; do
			[ -f "$a" ] && { echo "reproducer: $a"; od -c "$a" | head -20; }
		done
		status=1
	fi
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
	    "$work/$t.log"
done
exit $status
