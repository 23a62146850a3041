#!/usr/bin/env bash
# bench/stream.sh - "output is never lost", and at what speed: one task
# writing STREAM_SIZE (2 GiB) of zeros to stdout, watched by one client over
# TLS on loopback (bench/stream), beside plain OpenSSL moving the same bytes
# between two processes (bench/tlspair, same cipher as runneld negotiates,
# certificates from the same `runnel pki`) and beside
# `ssh localhost 'head -c SIZE /dev/zero' > /dev/null` when an sshd answers.
# Two more anchors bound what any daemon relaying a child's output can do
# on this machine: bench/tlspair --relay (the server runs the same
# `head -c SIZE /dev/zero` on a pipe and SSL_writes each read) and
# --spool (it also writes every read to a file first, as a spool must).
# Each contender runs STREAM_RUNS times, interleaved; the median counts.
# Then the daemon's peak RSS (VmHWM, reset through clear_refs) while a
# STREAM_FLOOD_SIZE flood (10G) is watched by one fast and one stalled client.
#
# Own temp dir, CA, config (127.0.0.1 port 0, a unix socket) and runneld;
# everything it started is stopped and the temp dir removed on exit.
# Exit status 3: a target was missed (runnel >= 85% of the TLS pair, >= 2x
# ssh, peak RSS under baseline + 32 MiB).
# Environment: RUNNELD, RUNNEL (binaries to use), STREAM_SIZE (2147483648),
# STREAM_FLOOD_SIZE (10G; 0 skips the memory test), STREAM_RUNS (3),
# STREAM_SSH_HOST (localhost), STREAM_SSH_OPTS (extra ssh options, e.g.
# "-p 2222 -i KEY"), TMPDIR (the daemon's state and its spools: about
# STREAM_RUNS x STREAM_SIZE + STREAM_FLOOD_SIZE, removed at the end).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
stream=$top/bench/stream
tlspair=$top/bench/tlspair
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
size=${STREAM_SIZE:-2147483648}
flood_size=${STREAM_FLOOD_SIZE:-10G}
runs=${STREAM_RUNS:-3}
ssh_host=${STREAM_SSH_HOST:-localhost}
read -r -a ssh_opts <<< "${STREAM_SSH_OPTS:-}"

[[ $runs =~ ^[1-9]$ ]] || { echo "stream.sh: STREAM_RUNS: 1 to 9" >&2; exit 2; }
if [[ ! -x $stream || ! -x $tlspair || ! -x $runneld || ! -x $runnel ]]; then
	make -C "$top" -s bench/stream bench/tlspair daemon/runneld \
		client/runnel
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-stream.XXXXXX")
daemon=
stalled=
fast=
child=
# Stop one process we started: TERM, a bounded wait, then KILL.
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
	stop "$child"
	stop "$fast"
	stop "$stalled"
	stop "$daemon"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_daemon stream.sh
conn=(-H "127.0.0.1:$port" --ca "$tmp/pki/ca.crt"
	--cert "$tmp/pki/bench.crt" --key "$tmp/pki/bench.key")

# The cipher runneld negotiates with a default client: the TLS pair is
# held to the same one.
cipher=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -brief \
	-CAfile "$tmp/pki/ca.crt" -cert "$tmp/pki/bench.crt" \
	-key "$tmp/pki/bench.key" -alpn runnel/1 < /dev/null 2>&1 |
	sed -n 's/^Ciphersuite: *//p' | head -n 1) || true
if [[ -z $cipher ]]; then
	echo "stream.sh: cannot learn runneld's cipher; the TLS pair uses" \
		"OpenSSL's default" >&2
fi

echo "runneld pid $daemon on 127.0.0.1:$port, cipher ${cipher:-?};" \
	"$(nproc) CPUs; $runs runs of $size bytes each, median counts"

# Run a command in the background and wait for it: a signal to this
# script then takes effect at once, and cleanup stops the command.
run() {
	local rc=0
	"$@" &
	child=$!
	wait "$child" || rc=$?
	child=
	return $rc
}
# The GB/s of one run of each contender, or nothing if it failed.
run_tlspair() {
	run "$tlspair" --ca "$tmp/pki/ca.crt" --size "$size" \
		--server-cert "$tmp/pki/server.crt" \
		--server-key "$tmp/pki/server.key" \
		--cert "$tmp/pki/bench.crt" --key "$tmp/pki/bench.key" \
		${cipher:+--ciphersuites "$cipher"} > "$tmp/out" || return 0
	sed -n 's/.*gbps=\([0-9.]*\).*/\1/p' "$tmp/out"
	pair_cipher=$(sed -n 's/.*cipher=\([^ ]*\).*/\1/p' "$tmp/out")
}
run_relay() {	# [--spool FILE]
	run "$tlspair" --ca "$tmp/pki/ca.crt" --size "$size" \
		--server-cert "$tmp/pki/server.crt" \
		--server-key "$tmp/pki/server.key" \
		--cert "$tmp/pki/bench.crt" --key "$tmp/pki/bench.key" \
		${cipher:+--ciphersuites "$cipher"} --relay "$@" \
		> "$tmp/out" || return 0
	rm -f "$tmp/relay.spool"
	sed -n 's/.*gbps=\([0-9.]*\).*/\1/p' "$tmp/out"
}
run_stream() {
	run "$stream" "${conn[@]}" --size "$size" > "$tmp/out" || return 0
	sed -n 's/.*gbps=\([0-9.]*\).*/\1/p' "$tmp/out"
}
run_ssh() {
	local t0 t1
	t0=$(date +%s%N)
	run timeout 120 ssh "${ssh_base[@]}" "$ssh_host" \
		"head -c $size /dev/zero" > /dev/null ||
		{ echo "stream.sh: ssh run failed" >&2; return 0; }
	t1=$(date +%s%N)
	awk -v b="$size" -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", b / ns }'
}
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit; printf "%.3f\n", v[int((NR + 1) / 2)] }'
}

# Is an sshd there?  Prefer AES-128-GCM, the cheapest cipher ssh has here.
ssh_base=(-o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=5
	-o LogLevel=ERROR "${ssh_opts[@]}")
ssh_label=
if timeout 15 ssh "${ssh_base[@]}" -o Ciphers=aes128-gcm@openssh.com \
	"$ssh_host" true < /dev/null > /dev/null 2>&1; then
	ssh_base+=(-o Ciphers=aes128-gcm@openssh.com)
	ssh_label="ssh $ssh_host (aes128-gcm)"
elif timeout 15 ssh "${ssh_base[@]}" "$ssh_host" true < /dev/null \
	> /dev/null 2>&1; then
	ssh_label="ssh $ssh_host (default cipher)"
fi

# Each run starts with no dirty pages left by the previous one (runneld's
# spool): writeback would otherwise take CPU from whoever runs next.
settle() { timeout 60 sync || true; }
pair_cipher=
: > "$tmp/pair"; : > "$tmp/runnel"; : > "$tmp/ssh"
: > "$tmp/relay"; : > "$tmp/spooled"
for _ in $(seq "$runs"); do
	settle
	run_tlspair >> "$tmp/pair"
	settle
	run_relay >> "$tmp/relay"
	settle
	run_relay --spool "$tmp/relay.spool" >> "$tmp/spooled"
	settle
	run_stream >> "$tmp/runnel"
	if [[ -n $ssh_label ]]; then
		settle
		run_ssh < /dev/null >> "$tmp/ssh"
	fi
done
settle
pair=$(median < "$tmp/pair")
rn=$(median < "$tmp/runnel")
relay=$(median < "$tmp/relay")
spooled=$(median < "$tmp/spooled")
sh=$(median < "$tmp/ssh")

ratio() {	# a/b, or "-"
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || b == 0) print "-";
		else printf "%.2f\n", a / b }'
}
all() { paste -sd ' ' "$1"; }
echo
echo "| contender | GB/s | vs TLS pair | runs (GB/s) |"
echo "|---|---:|---:|---|"
echo "| TLS pair (OpenSSL, ${pair_cipher:-${cipher:-?}}, 64 KiB writes)" \
	"| ${pair:--} | 1.00 | $(all "$tmp/pair") |"
echo "| relay ceiling (TLS pair, server sends a child's pipe)" \
	"| ${relay:--} | $(ratio "$relay" "$pair") | $(all "$tmp/relay") |"
echo "| relay + spool ceiling (as above, each read also written to a file)" \
	"| ${spooled:--} | $(ratio "$spooled" "$pair") | $(all "$tmp/spooled") |"
echo "| runnel (runneld + librunnel over TLS)" \
	"| ${rn:--} | $(ratio "$rn" "$pair") | $(all "$tmp/runnel") |"
if [[ -n $ssh_label ]]; then
	echo "| $ssh_label | ${sh:--} | $(ratio "$sh" "$pair")" \
		"| $(all "$tmp/ssh") |"
fi
echo
rc=0
[[ -n $pair && -n $rn ]] || { echo "stream.sh: a contender failed" >&2; rc=1; }
check() {	# name value target
	if awk -v v="$2" -v t="$3" 'BEGIN { exit !(v != "-" && v >= t) }'
	then echo "target: $1: met"
	else echo "target: $1: NOT met"; rc=3
	fi
}
check "runnel >= 0.85 x TLS pair ($(ratio "$rn" "$pair"))" \
	"$(ratio "$rn" "$pair")" 0.85
echo "runnel / relay ceiling: $(ratio "$rn" "$relay");" \
	"runnel / relay + spool ceiling: $(ratio "$rn" "$spooled")"
if [[ -n $ssh_label ]]; then
	check "runnel >= 2 x ssh ($(ratio "$rn" "$sh"))" "$(ratio "$rn" "$sh")" 2
else
	echo "ssh: skipped (no sshd reachable)"
fi

# Memory: a flood watched by a fast and a stalled client.
kib() { awk -v k="$1" '/^'"$1"':/ { print $2 }' "/proc/$daemon/status"; }
if [[ $flood_size != 0 ]]; then
	base=$(kib VmRSS)
	# Reset VmHWM to the current RSS (Linux >= 4.0) so that the peak is
	# this test's, not the earlier runs'.
	hwm_note=
	echo 5 > "/proc/$daemon/clear_refs" 2>/dev/null ||
		hwm_note=" (VmHWM not reset: includes the runs above)"
	id=$("$stream" "${conn[@]}" --submit --size "$flood_size")
	"$stream" "${conn[@]}" --stalled "$id" > "$tmp/stalled" 2>&1 &
	stalled=$!
	for _ in $(seq 100); do
		grep -q stalled "$tmp/stalled" && break
		kill -0 "$stalled" 2>/dev/null || break
		sleep 0.1
	done
	grep -q stalled "$tmp/stalled" ||
		{ cat "$tmp/stalled" >&2; echo "stream.sh: no stalled watcher" >&2; exit 1; }
	"$stream" "${conn[@]}" --watch "$id" --size "$flood_size" \
		> "$tmp/fast" 2>&1 &
	fast=$!
	peak_seen=$base
	while kill -0 "$fast" 2>/dev/null; do	# bounded: stream times out
		r=$(kib VmRSS)
		(( r > peak_seen )) && peak_seen=$r
		sleep 0.2
	done
	frc=0
	wait "$fast" || frc=$?
	fast=
	hwm=$(kib VmHWM)
	kill -0 "$stalled" 2>/dev/null ||
		echo "stream.sh: the stalled watcher is gone" >&2
	stop "$stalled"
	stalled=
	if [[ $frc != 0 ]]; then
		cat "$tmp/fast" >&2
		echo "stream.sh: the fast watcher failed" >&2
		rc=1
	fi
	echo
	echo "flood $flood_size, one fast watcher ($(sed -n \
		's/.*gbps=\([0-9.]*\).*/\1 GB\/s/p' "$tmp/fast")) and one" \
		"stalled: daemon RSS before $((base / 1024)) MiB, peak (VmHWM)" \
		"$((hwm / 1024)) MiB = +$(((hwm - base) / 1024)) MiB$hwm_note;" \
		"highest sampled VmRSS $((peak_seen / 1024)) MiB"
	if (( hwm - base < 32 * 1024 )); then
		echo "target: peak RSS under baseline + 32 MiB: met"
	else
		echo "target: peak RSS under baseline + 32 MiB: NOT met"
		rc=3
	fi
fi
if grep -q 'slow callback' "$tmp/runneld.log"; then
	echo
	echo "daemon log, slow callbacks:"
	grep 'slow callback' "$tmp/runneld.log" | head -n 10
fi
exit $rc
