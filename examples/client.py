#!/usr/bin/env python3
"""client.py - a runnel client made from proto/runnel.proto alone, as docs/PROTOCOL.md says.
    protoc --python_out=. runnel.proto    # runnel_pb2.py, here or on PYTHONPATH
    python3 client.py -H 127.0.0.1:7433 --ca ca.crt --cert me.crt --key me.key \\
        run -- sh -c 'echo hello'         # or -H unix:/run/runnel/runneld.sock
Verbs: hello, submit ARGV, watch ID..., cancel ID..., run ARGV (submit, watch, exit as it).
"""
import argparse, contextlib, os, socket, ssl, struct, sys
import runnel_pb2 as pb

ERROR_EXIT = {pb.ERROR_PERMISSION_DENIED: 4, pb.ERROR_UNAUTHENTICATED: 4, pb.ERROR_NOT_FOUND: 5}
# An enum value's name without its prefix; enum values added later are numbers.
name = lambda enum, v: enum.Name(v).split("_", 1)[1].lower() if v in enum.values() else str(v)

class DaemonError(Exception):
    """An Error message from runneld."""
    def __init__(self, error):
        super().__init__("%s: %s" % (pb.ErrorCode.Name(error.code), error.message))
        self.exit = ERROR_EXIT.get(error.code, 6)

class Client:
    """One connection: frames out, frames in, replies matched by request id."""
    def __init__(self, sock):
        self.sock, self.buf, self.next_id = sock, bytearray(), 1

    def send(self, **request):
        """Send a ClientMessage with one request set; return its id."""
        body = pb.ClientMessage(id=self.next_id, **request).SerializeToString()
        self.sock.sendall(struct.pack(">I", len(body)) + body)  # 4-byte length, big-endian
        self.next_id += 1
        return self.next_id - 1

    def _take(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed by runneld")
            self.buf += data
        out, self.buf = bytes(self.buf[:n]), self.buf[n:]
        return out

    def read(self, req_id):
        """The next ServerMessage for req_id; an Error for it, or for id 0, raises."""
        while True:
            (length,) = struct.unpack(">I", self._take(4))
            msg = pb.ServerMessage.FromString(self._take(length))
            if msg.WhichOneof("reply") == "error" and msg.id in (req_id, 0):
                raise DaemonError(msg.error)
            if msg.id == req_id:
                return msg  # anything else belongs to another request

    def close(self):
        """Close; over TLS with one try at close_notify, without waiting."""
        if isinstance(self.sock, ssl.SSLSocket):
            self.sock.settimeout(0)
            with contextlib.suppress(OSError, ValueError):
                self.sock.unwrap()
        self.sock.close()

    def call(self, expect, **request):
        """Send a request and return its reply, which must be `expect`."""
        msg = self.read(self.send(**request))
        if msg.WhichOneof("reply") != expect:
            raise ConnectionError("unexpected reply %s" % msg.WhichOneof("reply"))
        return getattr(msg, expect)

    def watch(self, task_ids):
        """Copy output to stdout/stderr until WatchEnd; return each final TaskInfo."""
        req_id, ended = self.send(watch=pb.WatchRequest(task_ids=task_ids)), []
        while True:
            msg = self.read(req_id)
            kind = msg.WhichOneof("reply")
            if kind == "output":  # STREAM_SYSTEM (runnel's notes) to stderr
                out = sys.stdout if msg.output.stream == pb.STREAM_STDOUT else sys.stderr
                out.buffer.write(msg.output.data)
                out.flush()
            elif kind == "task":  # the task ended and all its output was sent
                ended.append(t := msg.task.task)
                how = "signal %d" % t.signal if t.signal else "exit %d" % t.exit_code
                print("task %d %s, %s%s" % (t.id, name(pb.TaskState, t.state),
                      how, ": " + t.reason if t.reason else ""), file=sys.stderr)
            elif kind == "watch_end":
                return ended
            # else: a kind of message added to the protocol later; skip it

def connect(args):
    """Connect over mutual TLS or the unix socket, and say Hello."""
    if args.host.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(args.host[5:])
    else:
        host, port = args.host.rsplit(":", 1)
        host = host.strip("[]")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # checks chain and name
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(cafile=args.ca)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.set_alpn_protocols(["runnel/1"])
        sock = ctx.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host)
    client = Client(sock)
    # In TLS 1.3 a refused client certificate shows here, on the first read.
    client.hello = client.call("hello", hello=pb.Hello(protocol_version=1, client_name="client.py"))
    return client

def run_verb(client, verb, args, ids):
    """Do what the command line asks; return the exit status."""
    if verb == "hello":
        print("runneld {0.server_version}, protocol {0.protocol_version}; you are {0.identity}, "
              "role {1}".format(client.hello, name(pb.Role, client.hello.role)))
    elif verb in ("submit", "run"):
        spec = pb.TaskSpec(argv=[os.fsencode(a) for a in args])
        task_id = client.call("submit", submit=pb.SubmitRequest(spec=spec)).task_id
        if verb == "submit":
            print(task_id)
            return 0
        t = client.watch([task_id])[0]
        if t.state != pb.TASK_SUCCEEDED:
            return 128 + t.signal if t.signal else t.exit_code or 1
    elif verb == "watch":
        return 0 if all(t.state == pb.TASK_SUCCEEDED for t in client.watch(ids)) else 1
    elif verb == "cancel":
        reply = client.call("cancel", cancel=pb.CancelRequest(task_ids=ids))
        print("cancelled:", " ".join(str(i) for i in reply.task_ids))
    return 0

def main():
    env = os.environ.get
    p = argparse.ArgumentParser(description="a runnel client in Python")
    p.add_argument("-H", "--host", default=env("RUNNEL_HOST"), help="HOST:PORT or unix:PATH")
    for opt in ("ca", "cert", "key"):
        p.add_argument("--" + opt, default=env("RUNNEL_" + opt.upper()))
    p.add_argument("verb", choices=["hello", "submit", "watch", "cancel", "run"])
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    if not a.host or not a.host.startswith("unix:") and not (a.ca and a.cert and a.key):
        p.error("give -H HOST:PORT with --ca, --cert and --key, or -H unix:PATH")
    try:
        ids = [int(i) for i in a.args] if a.verb in ("watch", "cancel") else []
        client = connect(a)
        try:
            return run_verb(client, a.verb, a.args, ids)
        finally:
            client.close()
    except (ValueError, DaemonError, OSError) as e:  # ssl.SSLError is an OSError
        print("client.py: %s: %s" % (a.host, e), file=sys.stderr)
        return getattr(e, "exit", 3 if isinstance(e, OSError) else 2)

if __name__ == "__main__":
    sys.exit(main())
