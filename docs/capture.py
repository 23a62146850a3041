#!/usr/bin/env python3
"""capture.py - record one real runnel exchange and print it as the
annotated hex dump of docs/PROTOCOL.md.

It relays one connection between a client and runneld's unix socket,
keeps every byte in the order it went by, then splits both directions into
frames and decodes each protobuf field from the wire bytes themselves
(the field names come from runnel_pb2, generated from proto/runnel.proto):

    python3 docs/capture.py /path/to/runneld.sock /tmp/relay.sock > dump &
    python3 examples/client.py -H unix:/tmp/relay.sock run -- echo hello

Over TLS the same frames are the TLS application data.
"""
import os
import select
import socket
import struct
import sys

from google.protobuf import descriptor as d
import runnel_pb2 as pb

WIDTH = 12  # bytes of hex per line


def relay(target, listen):
    """Relay one connection; return [(direction, bytes)] in order."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen)
    srv.listen(1)
    client, _ = srv.accept()
    srv.close()
    os.unlink(listen)
    daemon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    daemon.connect(target)
    peer = {client: (daemon, "client"), daemon: (client, "runneld")}
    live, log = {client, daemon}, []
    while live:
        for s in select.select(list(live), [], [])[0]:
            other, who = peer[s]
            data = s.recv(65536)
            if not data:  # pass the end of stream on, in that direction
                live.discard(s)
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            other.sendall(data)
            log.append((who, data))
    return log


def varint(buf, i):
    """Decode a varint at buf[i]; return (value, next index)."""
    shift = value = 0
    while True:
        b = buf[i]
        value |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            return value, i


def hexlines(raw, indent, note):
    """Lines of hex (WIDTH bytes each) with the note beside the first."""
    out = []
    for k in range(0, max(len(raw), 1), WIDTH):
        h = " ".join("%02x" % b for b in raw[k:k + WIDTH])
        out.append((("  " * indent + h).ljust(2 * 4 + 3 * WIDTH + 2) +
                    (note if k == 0 else "")).rstrip())
    return out


def scalar(field, value):
    """A varint-coded value as the field's type shows it."""
    if field.type == d.FieldDescriptor.TYPE_ENUM:
        v = field.enum_type.values_by_number.get(value)
        return v.name if v else str(value)
    if field.type == d.FieldDescriptor.TYPE_BOOL:
        return "true" if value else "false"
    if field.type in (d.FieldDescriptor.TYPE_INT32, d.FieldDescriptor.TYPE_INT64) \
            and value >= 1 << 63:
        return str(value - (1 << 64))
    return str(value)


def fields(buf, desc, indent):
    """Annotate each field of a message of type desc in buf."""
    out, i = [], 0
    while i < len(buf):
        start = i
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        f = desc.fields_by_number.get(num)
        name = "%s (%d)" % (f.name if f else "unknown field", num)
        if wt == 0:
            value, i = varint(buf, i)
            out += hexlines(buf[start:i], indent, "%s = %s" % (
                name, scalar(f, value) if f else value))
        elif wt == 1:
            i += 8
            (v,) = struct.unpack("<d", buf[i - 8:i])
            out += hexlines(buf[start:i], indent, "%s = %g" % (name, v))
        elif wt == 2:
            n, j = varint(buf, i)
            body, i = buf[j:j + n], j + n
            if f and f.type == d.FieldDescriptor.TYPE_MESSAGE:
                out += hexlines(buf[start:j], indent, "%s: %s, %d bytes" % (
                    name, f.message_type.name, n))
                out += fields(body, f.message_type, indent + 1)
            elif f and f.type == d.FieldDescriptor.TYPE_STRING:
                out += hexlines(buf[start:i], indent, "%s = %r" % (
                    name, body.decode()))
            elif f and f.type == d.FieldDescriptor.TYPE_BYTES:
                out += hexlines(buf[start:i], indent, "%s = %r" % (name, body))
            else:  # a packed repeated number
                vals, k = [], 0
                while k < len(body):
                    v, k = varint(body, k)
                    vals.append(v)
                out += hexlines(buf[start:i], indent, "%s = %s (packed)" % (
                    name, vals))
        elif wt == 5:
            i += 4
            out += hexlines(buf[start:i], indent, "%s (fixed32)" % name)
        else:
            raise ValueError("wire type %d at %d" % (wt, start))
    return out


def frames(log):
    """Split each direction into frames, in the order they completed."""
    bufs = {"client": b"", "runneld": b""}
    for who, data in log:
        bufs[who] += data
        while len(bufs[who]) >= 4:
            (n,) = struct.unpack(">I", bufs[who][:4])
            if len(bufs[who]) < 4 + n:
                break
            yield who, bufs[who][:4 + n]
            bufs[who] = bufs[who][4 + n:]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: capture.py RUNNELD-SOCKET RELAY-SOCKET")
    count = {}
    for who, frame in frames(relay(sys.argv[1], sys.argv[2])):
        count[who] = count.get(who, 0) + 1
        msg = pb.ClientMessage if who == "client" else pb.ServerMessage
        kind = msg.FromString(frame[4:]).WhichOneof(
            "request" if who == "client" else "reply")
        print("%s frame %d: %s, %d bytes" % (
            "client -> runneld" if who == "client" else "runneld -> client",
            count[who], kind, len(frame)))
        print("\n".join(hexlines(frame[:4], 1, "length = %d" % (len(frame) - 4))))
        print("\n".join(fields(frame[4:], msg.DESCRIPTOR, 1)))
        print()


if __name__ == "__main__":
    main()
