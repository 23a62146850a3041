# bench/lib.sh - sourced by the benchmark scripts: a private runneld with its
# own PKI in "$tmp", listening on 127.0.0.1 port 0 and a unix socket.
# bench_daemon NAME: sets daemon (pid) and port; the client certificate is
# "$tmp/pki/bench.crt" with identity "bench" (role user).  The caller's trap
# stops "$daemon" and removes "$tmp".
# Optional, for several daemons in one run (bench/run): bench_dir (default
# "$tmp": where runneld.conf, runneld.log, runneld.sock and state/ go; the
# PKI stays in "$tmp/pki" and is made once), bench_limits (lines added to
# [limits]) and bench_extra (lines added at the end: [queue NAME] ...).

bench_daemon() {
	local name=$1 dir=${bench_dir:-$tmp}
	mkdir -p "$dir"
	if [[ ! -f $tmp/pki/ca.crt ]]; then
		"$runnel" pki init "$tmp/pki" --name localhost \
			--name 127.0.0.1 >/dev/null
		"$runnel" pki issue "$tmp/pki" bench >/dev/null
	fi
	cat > "$dir/runneld.conf" <<CONF
[server]
listen = 127.0.0.1:0
socket = $dir/runneld.sock
state_dir = $dir/state
[tls]
ca = $tmp/pki/ca.crt
cert = $tmp/pki/server.crt
key = $tmp/pki/server.key
[limits]
grace = 1s
${bench_limits:-}
[access]
bench = user
${bench_extra:-}
CONF
	"$runneld" -f -c "$dir/runneld.conf" 2> "$dir/runneld.log" &
	daemon=$!
	for _ in $(seq 100); do
		grep -q ready "$dir/runneld.log" && break
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q ready "$dir/runneld.log"; then
		cat "$dir/runneld.log" >&2
		echo "$name: runneld did not start" >&2
		exit 1
	fi
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		"$dir/runneld.log" | head -n 1)
	[[ -n $port ]] || { echo "$name: no TCP port in the log" >&2; exit 1; }
}
