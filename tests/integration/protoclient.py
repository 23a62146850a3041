"""protoclient.py - a runnel client made from proto/runnel.proto and
docs/PROTOCOL.md alone, for protocol_audit.py: frames with a 4-byte
big-endian length, TLS 1.3 with ALPN "runnel/1" and a client certificate,
or the unix socket; every ServerMessage decoded strictly (Python's
protobuf refuses a `string` that is not UTF-8).
"""
import os, socket, ssl, struct, sys, time
import runnel_pb2 as pb

class Closed(Exception):
    pass

class Conn:
    def __init__(self, where, cert=None, hello=True, name="audit", ca=None,
                 timeout=20):
        if where.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(where[5:])
            self.s = s
        else:
            host, port = where.rsplit(":", 1)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.set_alpn_protocols(["runnel/1"])
            ctx.load_verify_locations(ca)
            ctx.load_cert_chain(cert + ".crt", cert + ".key")
            raw = socket.create_connection((host, int(port)), timeout=timeout)
            self.s = ctx.wrap_socket(raw, server_hostname=host)
            assert self.s.selected_alpn_protocol() == "runnel/1"
        self.buf = b""
        self.next_id = 1
        self.pending = []
        if hello:
            self.hello_reply = self.hello(name)

    def close(self):
        try:
            if isinstance(self.s, ssl.SSLSocket):
                try:
                    self.s.unwrap()
                except Exception:
                    pass
            self.s.close()
        except Exception:
            pass

    def send_raw(self, payload):
        self.s.sendall(struct.pack(">I", len(payload)) + payload)

    def send(self, msg):
        self.send_raw(msg.SerializeToString())

    def _read(self, n):
        while len(self.buf) < n:
            d = self.s.recv(1 << 20)
            if not d:
                raise Closed("eof")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """Next ServerMessage, decoded strictly."""
        (n,) = struct.unpack(">I", self._read(4))
        assert 1 <= n <= 64 << 20, n
        data = self._read(n)
        m = pb.ServerMessage()
        m.ParseFromString(data)        # raises on invalid UTF-8
        assert m.WhichOneof("reply") is not None, "empty ServerMessage"
        return m

    def request(self, **kw):
        """Send one request; return its id."""
        i = self.next_id
        self.next_id += 1
        self.send(pb.ClientMessage(id=i, **kw))
        return i

    def get(self, rid):
        """Next message for request id rid (others are kept)."""
        for k, m in enumerate(self.pending):
            if m.id == rid:
                return self.pending.pop(k)
        while True:
            m = self.recv()
            if m.id == rid or m.id == 0:
                return m
            self.pending.append(m)

    def call(self, **kw):
        return self.get(self.request(**kw))

    def hello(self, name="audit", version=1):
        return self.call(hello=pb.Hello(protocol_version=version,
                                        client_name=name))

    def watch_all(self, rid):
        """Messages of a watch until WatchEnd or Error."""
        out = []
        while True:
            m = self.get(rid)
            out.append(m)
            if m.WhichOneof("reply") in ("watch_end", "error"):
                return out
