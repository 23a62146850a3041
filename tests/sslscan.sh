#!/usr/bin/env bash
# sslscan.sh - an external audit of runneld's TLS: sslscan (with a client
# certificate, so that handshakes complete) against a live daemon must find
# TLS 1.3 and nothing older, no renegotiation; openssl s_client must see no
# key exchange but X25519 and P-256, no compression, and a handshake
# without a client certificate must fail.
# Skips (77) when sslscan or openssl is not installed.
set -uo pipefail

dir=
skip() { echo "sslscan.sh: skipped: $*"; exit 77; }
fail() {
	echo "sslscan.sh: FAIL: $*"
	[ -n "$dir" ] && [ -f "$dir/log" ] && sed 's/^/runneld: /' "$dir/log"
	exit 1
}

command -v sslscan >/dev/null || skip "sslscan not installed (apt-get install sslscan)"
command -v openssl >/dev/null || skip "openssl not installed (apt-get install openssl)"
: "${RUNNEL:?RUNNEL is not set}" "${RUNNELD:?RUNNELD is not set}"
builddir=$(cd "$(dirname "$RUNNELD")/.." && pwd)
shim=$builddir/tests/.libs/libsslscan-alpn.so
[ -f "$shim" ] || fail "$shim not built (make check builds it)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/runnel-sslscan.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

"$RUNNEL" pki init "$dir/pki" --name 127.0.0.1 >/dev/null || fail "pki init"
"$RUNNEL" pki issue "$dir/pki" alice >/dev/null || fail "pki issue"
cat > "$dir/runneld.conf" <<EOF
[server]
listen = 127.0.0.1:0
socket = $dir/runneld.sock
state_dir = state
[tls]
ca = pki/ca.crt
cert = pki/server.crt
key = pki/server.key
[limits]
# sslscan probes with dozens of handshakes that fail on purpose: as any
# scanner, it would earn its source a penalty.
source_penalty = 0
[access]
alice = user
EOF
"$RUNNELD" -f -c "$dir/runneld.conf" 2> "$dir/log" &
pid=$!
for _ in $(seq 100); do
	grep -q "ready" "$dir/log" && break
	kill -0 "$pid" 2>/dev/null || fail "runneld exited"
	sleep 0.1
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
[ -n "$port" ] || fail "runneld did not start"
pki=$dir/pki

# sslscan, with alice's certificate and runnel/1 offered by the shim.
scan=$(LD_PRELOAD=$shim timeout 120 sslscan --no-colour --no-heartbleed \
	--certs="$pki/alice.crt" --pk="$pki/alice.key" "127.0.0.1:$port" 2>&1)
echo "$scan" | sed 's/^/sslscan: /'
grep -Eq '^TLSv1\.3 +enabled' <<< "$scan" || fail "TLS 1.3 not enabled"
for p in 'SSLv2' 'SSLv3' 'TLSv1\.0' 'TLSv1\.1' 'TLSv1\.2'; do
	grep -Eq "^$p +disabled" <<< "$scan" || fail "$p is not disabled"
done
grep -q 'Session renegotiation not supported' <<< "$scan" ||
	fail "renegotiation is not refused"
grep -Eq 'Accepted +TLSv1\.3' <<< "$scan" || fail "no TLS 1.3 cipher accepted"
grep -Eq '(Accepted|Preferred) +TLSv1\.[012]' <<< "$scan" &&
	fail "a cipher below TLS 1.3 is accepted"

# Had the daemon refused the TLS 1.0-1.2 probes for a missing ALPN rather
# than for their version, "disabled" above would prove nothing.  Only the
# SSLv2 probe (its format has no extensions) and the SSLv3 one (sslscan
# writes it in pieces) go out without ALPN; OpenSSL 3 speaks neither.
n=$(grep -c 'unsupported protocol' "$dir/log")
[ "$n" -ge 3 ] || fail "only $n probes were refused for their version"
n=$(grep -c 'callback failed' "$dir/log")
[ "$n" -le 2 ] || fail "$n probes were refused for lacking ALPN"

# openssl s_client: the full handshake is TLS 1.3 without compression.
out=$( (sleep 1) | timeout 20 openssl s_client -connect "127.0.0.1:$port" \
	-alpn runnel/1 -CAfile "$pki/ca.crt" -cert "$pki/alice.crt" \
	-key "$pki/alice.key" 2>&1)
grep -q 'New, TLSv1.3' <<< "$out" || fail "no TLS 1.3 handshake: $out"
grep -q 'Compression: NONE' <<< "$out" || fail "compression: $out"
grep -q 'Secure Renegotiation IS NOT supported' <<< "$out" ||
	fail "renegotiation: $out"

# Key exchange: X25519 and P-256 only, not the finite-field groups.
for g in X25519 P-256; do
	out=$( (sleep 1) | timeout 20 openssl s_client \
		-connect "127.0.0.1:$port" -groups "$g" -alpn runnel/1 \
		-CAfile "$pki/ca.crt" -cert "$pki/alice.crt" \
		-key "$pki/alice.key" 2>&1)
	grep -q 'New, TLSv1.3' <<< "$out" || fail "group $g refused: $out"
done
for g in ffdhe2048 ffdhe3072 X448 P-384; do
	out=$( (sleep 1) | timeout 20 openssl s_client \
		-connect "127.0.0.1:$port" -groups "$g" -alpn runnel/1 \
		-CAfile "$pki/ca.crt" -cert "$pki/alice.crt" \
		-key "$pki/alice.key" 2>&1)
	grep -q 'New, TLSv1.3' <<< "$out" && fail "group $g accepted: $out"
done

# Without a client certificate: TLS 1.3 lets the client's handshake look
# done; the daemon's refusal arrives on the first read.
out=$( (printf 'x'; sleep 1) | timeout 20 openssl s_client \
	-connect "127.0.0.1:$port" -alpn runnel/1 -CAfile "$pki/ca.crt" 2>&1)
grep -q 'alert certificate required' <<< "$out" ||
	fail "a client without a certificate was not refused: $out"
grep -q 'peer did not return a certificate' "$dir/log" ||
	fail "runneld did not log the refused handshake"
# Nor does an older protocol get through without one.
out=$( (sleep 1) | timeout 20 openssl s_client -connect "127.0.0.1:$port" \
	-tls1_2 -alpn runnel/1 -CAfile "$pki/ca.crt" -cert "$pki/alice.crt" \
	-key "$pki/alice.key" 2>&1)
grep -q 'New, TLSv1.2' <<< "$out" && fail "TLS 1.2 accepted: $out"

kill "$pid"
wait "$pid"
status=$?
pid=
[ $status -eq 0 ] || fail "runneld exited with status $status"
echo "sslscan.sh: TLS 1.3 only, X25519 or P-256, no renegotiation, no compression, client certificate required"
