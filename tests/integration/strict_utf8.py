#!/usr/bin/env python3
"""strict_utf8.py SOCKET - every reply of runneld decodes in a strict decoder.

Python's protobuf refuses a whole message whose `string` field is not UTF-8.
Over runneld's unix socket, submit tasks whose bytes fields (argv, env, cwd)
hold bytes that are not UTF-8, and decode every reply - Error, Submit, Wait,
Show, List, Watch - with it: each must decode and show the bytes escaped
(\\xff); and a label key that is not UTF-8, sent as raw bytes, is refused
naming the field.  Exits 0, or 1 saying what failed.
"""
import socket, struct, sys
import runnel_pb2 as pb

class Conn:
    """One connection; every frame read is decoded strictly."""
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf, self.next_id = bytearray(), 1

    def send(self, **request):
        body = pb.ClientMessage(id=self.next_id, **request).SerializeToString()
        self.sock.sendall(struct.pack(">I", len(body)) + body)
        self.next_id += 1
        return self.next_id - 1

    def send_raw(self, body):
        """Send serialized bytes as they are (Python cannot put bytes that
        are not UTF-8 in a string field)."""
        self.sock.sendall(struct.pack(">I", len(body)) + body)
        self.next_id += 1

    def _take(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed by runneld")
            self.buf += data
        out, self.buf = bytes(self.buf[:n]), self.buf[n:]
        return out

    def read(self):
        (length,) = struct.unpack(">I", self._take(4))
        return pb.ServerMessage.FromString(self._take(length))  # raises DecodeError

    def call(self, expect, **request):
        req_id = self.send(**request)
        msg = self.read()
        check(msg.id == req_id, "reply to %d, not %d" % (msg.id, req_id))
        kind = msg.WhichOneof("reply")
        check(kind == expect, "%s reply, expected %s: %s" % (kind, expect, msg))
        return getattr(msg, kind)

def check(cond, what):
    if not cond:
        raise AssertionError(what)

def main():
    c = Conn(sys.argv[1])
    c.call("hello", hello=pb.Hello(protocol_version=1, client_name="strict_utf8.py"))
    spec = lambda **kw: pb.SubmitRequest(spec=pb.TaskSpec(**kw))

    # Errors that quote refused bytes.
    for kw, text in ((dict(argv=[b"true"], cwd=b"rel\xff"), "cwd 'rel\\xff' is not an absolute path"),
                     (dict(argv=[b"true"], env=[b"\xff"]), "environment entry '\\xff' is not NAME=VALUE")):
        e = c.call("error", submit=spec(**kw))
        check(e.code == pb.ERROR_INVALID_ARGUMENT and e.message == text, "error %s" % e)

    # A string field that is not UTF-8 is refused, naming the field.
    body = pb.ClientMessage(id=c.next_id, submit=spec(
        argv=[b"true"], labels=[pb.Label(key="\x01PLACE", value="v")])).SerializeToString()
    c.send_raw(body.replace(b"\x01PLACE", b"bad\xff\xfe\xfd"))
    msg = c.read()
    check(msg.WhichOneof("reply") == "error" and msg.error.code == pb.ERROR_INVALID_ARGUMENT and
          msg.error.message == "submit.spec.labels[0].key: not valid UTF-8", "bad label: %s" % msg)

    # Tasks that cannot start: their reasons quote argv and cwd.
    ids = [c.call("submit", submit=spec(argv=[b"\xff"])).task_id,
           c.call("submit", submit=spec(argv=[b"true"], env=[b"K=\xff"],
                                        cwd=b"/nonexistent/\xff")).task_id]
    want = {ids[0]: "cannot start '\\xff'", ids[1]: "cannot start 'true' in /nonexistent/\\xff"}
    def reason(t):
        check(want[t.id] in t.reason, "task %d: reason %r lacks %r" % (t.id, t.reason, want[t.id]))
    for t in c.call("wait", wait=pb.WaitRequest(task_ids=ids)).tasks:
        reason(t)
    for i in ids:
        t = c.call("task", show=pb.ShowRequest(task_id=i)).task
        check(t.state == pb.TASK_FAILED, "task %d is %d" % (i, t.state))
        reason(t)
    listed = {t.id: t for t in c.call("list", list=pb.ListRequest()).tasks}
    for i in ids:
        reason(listed[i])
    req_id, ended = c.send(watch=pb.WatchRequest(task_ids=ids)), 0
    while True:
        msg = c.read()
        check(msg.id == req_id, "watch: a reply to %d" % msg.id)
        kind = msg.WhichOneof("reply")
        if kind == "task":
            reason(msg.task.task)
            ended += 1
        elif kind == "watch_end":
            break
        else:
            check(kind == "output", "watch: %s" % msg)
    check(ended == 2, "watch: %d tasks ended" % ended)
    c.call("status", status=pb.StatusRequest())
    print("every reply decoded strictly: error, submit, wait, show, list, watch")
    return 0

if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # DecodeError: a reply that is not strict protobuf
        print("strict_utf8.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
