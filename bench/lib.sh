# bench/lib.sh - sourced by the benchmark scripts: a private runneld with its
# own PKI in "$tmp", listening on 127.0.0.1 port 0 and a unix socket.
# bench_daemon NAME: sets daemon (pid) and port; the client certificate is
# "$tmp/pki/bench.crt" with identity "bench" (role user).  The caller's trap
# stops "$daemon" and removes "$tmp".

bench_daemon() {
	local name=$1
	"$runnel" pki init "$tmp/pki" --name localhost --name 127.0.0.1 >/dev/null
	"$runnel" pki issue "$tmp/pki" bench >/dev/null
	cat > "$tmp/runneld.conf" <<CONF
[server]
listen = 127.0.0.1:0
socket = $tmp/runneld.sock
state_dir = $tmp/state
[tls]
ca = pki/ca.crt
cert = pki/server.crt
key = pki/server.key
[limits]
grace = 1s
[access]
bench = user
CONF
	"$runneld" -f -c "$tmp/runneld.conf" 2> "$tmp/runneld.log" &
	daemon=$!
	for _ in $(seq 100); do
		grep -q ready "$tmp/runneld.log" && break
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q ready "$tmp/runneld.log"; then
		cat "$tmp/runneld.log" >&2
		echo "$name: runneld did not start" >&2
		exit 1
	fi
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		"$tmp/runneld.log" | head -n 1)
	[[ -n $port ]] || { echo "$name: no TCP port in the log" >&2; exit 1; }
}
