#!/usr/bin/env bash
# bench/prehello-rss.sh - what a flood of big frames costs runneld, and
# whether it gets the memory back: the daemon's VmRSS before, during and
# after three floods of PREHELLO_CONNS (100) connections over mutual TLS.
#   prehello  each peer finishes the TLS handshake, says no Hello, and
#             announces a 4 MiB frame, then sends what it can of it
#             (runneld refuses frames over 16 KiB before Hello).
#   hello     each peer says Hello first, then sends all but the last
#             byte of a 4 MiB frame (max_frame): runneld holds those
#             bytes by design; once the peers close, they should be given
#             back to the system.
#   unread    one client after Hello sends PREHELLO_LISTS (200) List
#             requests for 40 tasks with 8 KiB arguments (a 330 KiB
#             reply each) and reads nothing until the end.
# "during" is sampled once every peer has sent all it could (or was
# closed), "after" once the peers closed and the daemon settled (2 s).
#
# Own temp dir, CA, config and runneld (bench/lib.sh); everything is
# stopped and removed on exit.  Environment: RUNNELD, RUNNEL (binaries),
# PREHELLO_CONNS (100), PREHELLO_LISTS (200), PREHELLO_MODES ("prehello
# hello unread": which floods, in order), GLIBC_TUNABLES (passed to
# runneld: compare glibc.malloc.trim_threshold / mmap_threshold).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${RUNNEL_BUILDDIR:-$(dirname "$here")}
runneld=${RUNNELD:-$top/daemon/runneld}
runnel=${RUNNEL:-$top/client/runnel}
conns=${PREHELLO_CONNS:-100}
lists=${PREHELLO_LISTS:-200}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prehello-rss.XXXXXX")
daemon=
trap '[[ -n $daemon ]] && kill "$daemon" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_limits="max_connections = $((conns + 16))
max_startups = $((conns + 16))"
bench_daemon prehello-rss

# kib FIELD: the daemon's /proc status field, in KiB.
kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$daemon/status"; }
mib() { echo "$(( $1 / 1024 )).$(( ($1 % 1024) * 10 / 1024 )) MiB"; }

flood() {
	python3 - "$1" "$port" "$tmp/pki" "$conns" "$lists" "/proc/$daemon/status" <<'PY'
import socket, ssl, struct, sys, time
mode, port, pki, conns, lists, status = sys.argv[1], int(sys.argv[2]), \
    sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/bench.crt", pki + "/bench.key")
ctx.check_hostname = False
ctx.set_alpn_protocols(["runnel/1"])

def rss():
    for line in open(status):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def frame(payload):
    return struct.pack(">I", len(payload)) + payload

def varint(n):
    b = b""
    while True:
        if n < 0x80:
            return b + bytes([n])
        b += bytes([n & 0x7f | 0x80])
        n >>= 7

def field(num, wt, data):
    return varint(num << 3 | wt) + data

def ld(num, data):
    return field(num, 2, varint(len(data)) + data)

def recv_frame(s):
    hdr = b""
    while len(hdr) < 4:
        b = s.recv(4 - len(hdr))
        if not b:
            return None
        hdr += b
    n = struct.unpack(">I", hdr)[0]
    buf = b""
    while len(buf) < n:
        b = s.recv(min(n - len(buf), 1 << 20))
        if not b:
            return None
        buf += b
    return buf

HELLO = frame(field(1, 0, varint(1)) + ld(10, field(1, 0, varint(1))))

def connect():
    s = socket.create_connection(("127.0.0.1", port))
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")

def hello(s):
    s.sendall(HELLO)
    assert recv_frame(s) is not None, "no hello reply"

big = 4 << 20
socks, refused, accepted = [], 0, 0
if mode in ("prehello", "hello"):
    body = b"x" * (big - 1)
    for _ in range(conns):
        try:
            s = connect()
        except (OSError, ssl.SSLError):
            refused += 1
            continue
        socks.append(s)
        try:
            if mode == "hello":
                hello(s)
            s.sendall(struct.pack(">I", big) + body)
            accepted += 1
        except (OSError, ssl.SSLError):
            refused += 1
    during = rss()
    print("%d peers: %d wrote all %d bytes (into runneld or the socket buffers), %d were cut off or refused"
          % (conns, accepted, big - 1, refused))
else:
    # 40 tasks with an 8 KiB argument each, then Lists nobody reads.
    s = connect()
    hello(s)
    spec = ld(1, b"true") + ld(1, b"a" * 8192)
    for i in range(40):
        s.sendall(frame(field(1, 0, varint(2 + i)) + ld(11, ld(1, spec))))
        assert recv_frame(s) is not None
    base = 1000
    reqs = b"".join(frame(field(1, 0, varint(base + i)) + ld(14, b""))
                    for i in range(lists))
    s.sendall(reqs)
    during = 0
    for _ in range(30):        # let runneld do what it will with them
        time.sleep(0.1)
        during = max(during, rss())
    got = 0
    total = 0
    while got < lists:
        f = recv_frame(s)
        assert f is not None, "connection lost after %d replies" % got
        total += len(f)
        got += 1
    print("%d Lists: %d replies, %d bytes, read after the daemon peaked"
          % (lists, got, total))
    socks.append(s)
print("during %d" % during)
for s in socks:
    try:
        s.close()
    except OSError:
        pass
PY
}

printf '%-9s %12s %12s %12s\n' flood before during after
for mode in ${PREHELLO_MODES:-prehello hello unread}; do
	sleep 1
	before=$(kib VmRSS)
	out=$(flood "$mode")
	during=$(sed -n 's/^during //p' <<< "$out")
	sleep 2
	after=$(kib VmRSS)
	printf '%-9s %12s %12s %12s   (%s)\n' "$mode" "$(mib "$before")" \
		"$(mib "$during")" "$(mib "$after")" "$(head -n 1 <<< "$out")"
done
echo "VmHWM $(mib "$(kib VmHWM)")"
# The queue a client that does not read had when runneld paused it.
grep -m 1 'replies unread' "$tmp/runneld.log" || true
