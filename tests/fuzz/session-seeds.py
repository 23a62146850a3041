#!/usr/bin/env python3
# session-seeds.py - write the seed corpus of fuzz_session into the
# directory given (tests/fuzz/corpus/session): a few whole sessions in the
# target's step format, [op][length: 2 bytes LE][bytes], whose MESSAGE
# steps are read by fuzz_session_msg.c field by field (see it for the
# meaning of each byte).
import os
import sys

MESSAGE, RAW, FRAME, SWITCH, PEER, LOOP, RUN, STOP_START = range(8)
(HELLO, SUBMIT, WATCH, CANCEL, LIST, SHOW, WAIT, STATUS, QUEUE, RESTART,
 STDIN, CLEAN) = range(12)
# Words of fuzz_session_msg_bytes and fuzz_session_msg_str.
TRUE, ECHO, FALSE, CAT = 0, 1, 2, 3
LINES, TEXT = 16, 17                    # 256 newlines; 60,000 bytes of lines
S_DEFAULT, S_Q1, S_K, S_V = 1, 2, 4, 5
# Numbers of fuzz_session_msg_uint: 0-15 below 0x80, edges from 0x80.
U32_MAX = 0x80 + 14                     # edge[7]: 2^32 - 1


def step(op, payload=b""):
    return bytes([op]) + len(payload).to_bytes(2, "little") + payload


def msg(*fields):
    # The request's bytes, then 0: the connection's next request id.
    return step(MESSAGE, bytes(fields) + b"\0")


def raw(data):
    # Bytes of the input taken as they are, by a length byte.
    return [0x20 + len(data)] + list(data)


def task(n):
    # Task n: ids start at 1 on each input.
    return 0xa0 + n


def submit(prog, watch=0, k=0, b=0, extra=()):
    # argv: one word; k and b choose the optional parts.
    return msg(SUBMIT, watch, k, b, 0, prog, *extra)


seeds = {
    "submit-run-list-clean": [
        submit(TRUE), step(RUN), msg(LIST, 0), msg(SHOW, task(1)),
        msg(CLEAN, 0, 0),
    ],
    "stdin-stream-watch-wait": [
        submit(CAT, b=2), step(RUN),
        msg(STDIN, task(1), 0, *raw(b"hello\n")),
        msg(WATCH, 0, 1, task(1), 0),
        msg(STDIN, task(1), 1, *raw(b"")),
        step(LOOP, b"\3"),
        msg(WAIT, 1, task(1), 0, 0, 5),
        step(RUN), step(LOOP, b"\1"),
    ],
    "echo-watch-cancel-restart": [
        submit(ECHO, watch=1, k=8, extra=raw(b"abc")),
        msg(CANCEL, 1, task(1), 0, 0, 0),
        step(LOOP, b"\1"),
        msg(RESTART, task(1)), step(RUN),
        msg(WAIT, 0, 1 | 4, 0, 0),
    ],
    "users-and-admin": [
        # fuzz submits with labels; other may not see it; admin runs a
        # queue; a viewer watches and may not submit.
        submit(ECHO, k=128, extra=(S_K, 1, S_K, S_V, 0)),
        step(SWITCH, b"\1\1"),
        msg(SHOW, task(1)), msg(CANCEL, 1, task(1), 0, 0, 0),
        msg(LIST, 1 | 4),
        step(SWITCH, b"\2\2"),
        msg(QUEUE, 1, S_Q1, 2, 0),
        submit(TRUE, k=16, extra=(S_Q1,)),
        msg(QUEUE, 3, S_Q1, 0, 0), msg(QUEUE, 0, 0, 0, 0),
        msg(QUEUE, 4, S_Q1, 0, 0), step(LOOP, b"\2"),
        msg(CANCEL, 0, 1 | 4, 0, 0),
        step(SWITCH, b"\3\3"),
        msg(WATCH, 1, 0, 1 | 4), submit(TRUE), msg(STATUS),
    ],
    "deps-and-retries": [
        submit(FALSE, k=64, extra=(0, 2, 0, 0, 0)),
        submit(TRUE, k=32, extra=(0, 1, task(1), 0)),
        submit(TRUE, k=32, extra=(0, 0, 1, task(1))),
        step(RUN), step(RUN), msg(LIST, 0),
        msg(WAIT, 3, task(1), task(2), task(3), 0, 1, 2),
    ],
    "protocol-edges": [
        step(RAW, b"\0\0\0\2\x08"), step(RAW, b"\x01"),
        step(FRAME, b"\x08\x07\x52\x02\x08\x01"),
        step(SWITCH, b"\1\0"), msg(HELLO, 0xf0, 2, 0),
        step(SWITCH, b"\2\0"), step(FRAME, b"\x08\x01\x8a\x01\x00"),
        step(SWITCH, b"\3\4"), msg(HELLO, 0, 0),
    ],
    "close-and-reopen": [
        submit(CAT, watch=1, b=2), msg(WAIT, 1, task(1), 0, 0, 0),
        step(PEER, b"\0"), step(SWITCH, b"\0\0"),
        msg(SHOW, task(1)), step(PEER, b"\1"), step(LOOP, b"\1"),
    ],
    "watch-tail-lines-max": [
        # tail_lines = 2^32 - 1 on a log of exactly 256 lines: the count
        # of lines wrapped and the search read past its array.
        submit(CAT, k=8, extra=(LINES,)), step(RUN),
        msg(WATCH, 8, 1, task(1), 0, U32_MAX),
        submit(CAT, k=8, extra=(TEXT,)), step(RUN),
        msg(WATCH, 2, 1, task(2), 0), step(LOOP, b"\1"),
    ],
    "stalled-watcher": [
        # Watches of big logs to a peer that stops reading, then reads.
        submit(CAT, watch=1, k=8, extra=(TEXT,)),
        submit(CAT, watch=1, k=8, extra=(TEXT,)),
        submit(CAT, watch=1, k=8, extra=(TEXT,)),
        step(PEER, b"\2"), step(RUN), step(RUN), step(LOOP, b"\1"),
        step(PEER, b"\3"), step(LOOP, b"\1"), step(LOOP, b"\1"),
    ],
    "unread-replies": [
        # Lists of tasks with 60,000-byte arguments to a peer that does
        # not read: runneld stops reading its requests at 1 MiB of
        # replies, and handles them, in order, once the peer reads.
        # argv: two words (count byte 1), echo and the text.
        msg(SUBMIT, 0, 0, 0, 1, ECHO, TEXT), msg(SUBMIT, 0, 0, 0, 1, ECHO, TEXT),
        msg(SUBMIT, 0, 0, 0, 1, ECHO, TEXT), msg(SUBMIT, 0, 0, 0, 1, ECHO, TEXT),
        step(PEER, b"\2"),
        msg(LIST, 0), msg(LIST, 0), msg(LIST, 0), msg(LIST, 0),
        msg(LIST, 0), msg(LIST, 0), msg(LIST, 0), msg(LIST, 0),
        submit(TRUE), msg(SHOW, task(5)),
        step(LOOP, b"\1"), step(PEER, b"\3"), step(LOOP, b"\3"),
        step(LOOP, b"\3"), step(LOOP, b"\3"), step(LOOP, b"\3"),
        msg(STATUS), step(RUN),
    ],
    "restart-daemon": [
        # A running task that asks to be queued again, a queued one, and
        # a queue of admin's, across a stop and start of runneld.
        submit(CAT, b=2 | 4), step(RUN), submit(TRUE),
        step(SWITCH, b"\1\2"), msg(QUEUE, 1, S_Q1, 0, 0),
        submit(FALSE, k=16, extra=(S_Q1,)), step(LOOP, b"\1"),
        step(STOP_START), step(SWITCH, b"\0\0"), msg(LIST, 0),
        step(RUN), msg(CLEAN, 0, 0),
    ],
}

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
for name, steps in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"".join(steps))
