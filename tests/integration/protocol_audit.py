#!/usr/bin/env python3
"""protocol_audit.py - every RPC and every field of runnel.proto, as
docs/PROTOCOL.md describes them, against a real runneld, by a client that
knows only those two (protoclient.py): framing and oversized frames, Hello,
each documented error with its code and text, defaults, id 0, unknown ids,
every Selector form, Watch (offsets, tail, tail_lines, resume, streams,
follow, the order of output, TaskEvent and WatchEnd), Cancel, Wait, Queue,
Clean, Restart, Stdin and its flow control, Status, TaskInfo's fields, the
ranges of numbers, retries, a crash (TASK_LOST, restart_on_lost) and an
orderly stop.  Every reply is decoded strictly.

Run by check_python.sh: RUNNELD and RUNNEL name the programs, PYTHONPATH
holds runnel_pb2.  Prints "ok NAME" or "FAIL NAME" per check, then
"Checks: N, Failures: N"; exits 0 when all passed.
"""
import os, pwd, re, signal, shutil, socket, struct, subprocess, sys, tempfile
import time, traceback
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runnel_pb2 as pb
from protoclient import Conn, Closed

RUNNELD = os.environ["RUNNELD"]
RUNNEL = os.environ["RUNNEL"]
D = tempfile.mkdtemp(prefix="runnel-proto.")
ME = pwd.getpwuid(os.getuid())
E = pb
results = []


def check(fn):
    """Run one check now; record and print its outcome."""
    try:
        fn()
        results.append((fn.__name__, None))
        print("ok  ", fn.__name__, flush=True)
    except Exception as e:
        results.append((fn.__name__, e))
        print("FAIL", fn.__name__, repr(e), flush=True)
        traceback.print_exc(limit=3)
    return fn


def kind(m):
    return m.WhichOneof("reply")


def err(m, code, text=None, rid=None):
    """m is an Error with this code (and text, and id)."""
    assert kind(m) == "error", "expected error %s, got %s" % (code, m)
    assert m.error.code == code, "code %d != %d: %r" % (m.error.code, code, m.error.message)
    if text is not None:
        assert m.error.message == text, "message %r != %r" % (m.error.message, text)
    if rid is not None:
        assert m.id == rid, "id %d != %d" % (m.id, rid)


def closed(c):
    """The daemon closed c (after what was read)."""
    try:
        m = c.recv()
    except (Closed, ConnectionError, OSError):
        return
    raise AssertionError("connection still open: got %s" % m)


def pki(*args):
    subprocess.run([RUNNEL, "pki"] + list(args), check=True,
                   stdout=subprocess.DEVNULL)


def issue_by_hand(who):
    """A client certificate runnel pki refuses to make (a CN starting with
    unix:), signed by the same CA with openssl, for runneld to refuse."""
    out = D + "/pki/" + who
    with open(D + "/ext.cnf", "w") as f:
        f.write("extendedKeyUsage = clientAuth\n")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ed25519", "-nodes",
                    "-subj", "/CN=" + who, "-keyout", out + ".key",
                    "-out", out + ".csr"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "x509", "-req", "-in", out + ".csr",
                    "-CA", D + "/pki/ca.crt", "-CAkey", D + "/pki/ca.key",
                    "-CAcreateserial", "-days", "1", "-extfile",
                    D + "/ext.cnf", "-out", out + ".crt"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


pki("init", D + "/pki", "--name", "localhost", "--name", "127.0.0.1")
for who in ("alice", "bob", "victor", "adam", "mallory"):
    pki("issue", D + "/pki", who)
issue_by_hand("unix:" + ME.pw_name)
pki("init", D + "/other", "--name", "localhost")
pki("issue", D + "/other", "alice")
with open(D + "/runneld.conf", "w") as f:
    f.write("""[server]
listen = 127.0.0.1:0
socket = %s/runneld.sock
state_dir = state
%s
[tls]
ca = pki/ca.crt
cert = pki/server.crt
key = pki/server.key
[limits]
grace = 30s
max_frame = 64k
max_identity_connections = 16
max_queued_per_identity = 30
[access]
alice = user
bob = user
victor = viewer
adam = admin
[queue fast]
max_running = 2
""" % (D, "run_as_root = yes" if os.getuid() == 0 else ""))
UNIX = "unix:" + D + "/runneld.sock"
proc = None


def start_daemon():
    """Start runneld on D (again) and wait for its "ready"."""
    global proc, PORT, TLS
    env = {k: v for k, v in os.environ.items()
           if k not in ("JOURNAL_STREAM", "INVOCATION_ID")}
    proc = subprocess.Popen([RUNNELD, "-f", "-c", D + "/runneld.conf"],
                            stderr=open(D + "/log", "w"), cwd=D, env=env)
    for _ in range(600):
        log = open(D + "/log").read()
        if "ready" in log or proc.poll() is not None:
            break
        time.sleep(0.05)
    PORT = re.search(r"listening on 127\.0\.0\.1:(\d+)", log).group(1)
    TLS = "127.0.0.1:" + PORT


def tls(who, **kw):
    return Conn(TLS, cert=D + "/pki/" + who, ca=D + "/pki/ca.crt", **kw)


def spec(*argv, **kw):
    return pb.TaskSpec(argv=[a.encode() if isinstance(a, str) else a for a in argv], **kw)


def submit(c, *argv, **kw):
    m = c.call(submit=pb.SubmitRequest(spec=spec(*argv, **kw)))
    assert kind(m) == "submit", m
    return m.submit.task_id


def show(c, tid):
    m = c.call(show=pb.ShowRequest(task_id=tid))
    assert kind(m) == "task", m
    return m.task.task


def wait(c, ids, **kw):
    m = c.call(wait=pb.WaitRequest(task_ids=ids, **kw))
    assert kind(m) == "wait", m
    return m.wait


def raw_replace(msg, placeholder, bad):
    """msg serialized, with placeholder's bytes replaced by bad (Python
    cannot put bytes that are not UTF-8 in a string field)."""
    b = msg.SerializeToString()
    assert len(placeholder) == len(bad) and b.count(placeholder) == 1
    return b.replace(placeholder, bad)



start_daemon()
here = os.path.dirname(os.path.abspath(__file__))
for name in ("protocol_requests.py", "protocol_tasks.py"):
    path = os.path.join(here, name)
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), globals())

proc.send_signal(signal.SIGTERM)
rc = proc.wait(timeout=60)
fails = [r for r in results if r[1]]
print("Checks: %d, Failures: %d" % (len(results), len(fails)))
if rc != 0 or fails:
    print("runneld exited %d; its log:" % rc)
    sys.stdout.write(open(D + "/log").read()[-4000:])
if not os.environ.get("RUNNEL_TEST_KEEP"):
    shutil.rmtree(D, ignore_errors=True)
sys.exit(1 if fails or rc else 0)
