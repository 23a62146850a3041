#!/usr/bin/env bash
# bench/fairness.sh - run bench/fairness against a daemon of its own: a temp
# dir with a CA and a client certificate made by `runnel pki`, a config that
# listens on 127.0.0.1:0 and a unix socket, runneld in the foreground, then
# the benchmark over TLS and over the unix socket.  Everything it started is
# stopped and the temp dir removed on exit.  Arguments go to bench/fairness
# (-n TICKS, --flood-size SIZE).  Exit status 3: the p99 target was missed.
# Environment: RUNNELD, RUNNEL (binaries to use), FAIRNESS_TRANSPORTS ("tls
# unix", the default, or one of them), TMPDIR (where the daemon's state and
# its spools go).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
bench=$top/bench/fairness
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
transports=${FAIRNESS_TRANSPORTS:-tls unix}

if [[ ! -x $bench || ! -x $runneld || ! -x $runnel ]]; then
	make -C "$top" -s bench/fairness daemon/runneld client/runnel
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-bench.XXXXXX")
daemon=
cleanup() {
	local i
	if [[ -n $daemon ]] && kill -0 "$daemon" 2>/dev/null; then
		kill -TERM "$daemon" 2>/dev/null || true
		for i in $(seq 50); do
			kill -0 "$daemon" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_daemon fairness.sh

echo "runneld $("$runneld" --version 2>/dev/null || true) pid $daemon on" \
	"127.0.0.1:$port and $tmp/runneld.sock; $(nproc) CPUs"
# The daemon's own view: its loop lag, if this runnel prints it.
status() {
	RUNNEL_HOST=unix:$tmp/runneld.sock "$runnel" status 2>/dev/null |
		grep -i lag | sed 's/^/daemon /' || true
	echo "daemon cpu time so far: $(ps -o times= -p "$daemon" | tr -d ' ') s"
}
rc=0
for transport in $transports; do
	# The previous transport's flood left gigabytes of spool to write
	# back; the next fdatasync (the journal's, before runneld
	# acknowledges the ticker's submission) would wait for the disk to
	# take them all, and the ticker's first lines with it.  Measure the
	# loop, not that: start each transport with the disk settled.
	timeout 120 sync || true
	case $transport in
	tls)
		"$bench" -H "127.0.0.1:$port" --ca "$tmp/pki/ca.crt" \
			--cert "$tmp/pki/bench.crt" --key "$tmp/pki/bench.key" \
			--label "TLS over loopback" "$@" || rc=$? ;;
	unix)
		"$bench" -H "unix:$tmp/runneld.sock" --label "unix socket" \
			"$@" || rc=$? ;;
	*)
		echo "fairness.sh: unknown transport $transport" >&2
		exit 2 ;;
	esac
	status
done
if grep -q 'slow callback' "$tmp/runneld.log"; then
	echo
	echo "daemon log, slow callbacks:"
	grep 'slow callback' "$tmp/runneld.log" | head -n 20
fi
exit $rc
