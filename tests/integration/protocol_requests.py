"""protocol_requests.py - checks of protocol_audit.py, run in its namespace (the
daemon, the identities' connections and the helpers are its): framing, Hello,
Submit and Watch."""
# ---- framing ----
@check
def frame_zero():
    c = Conn(UNIX)
    c.s.sendall(b"\0\0\0\0")
    m = c.recv(); err(m, E.ERROR_PROTOCOL, "frame length is zero", 0); closed(c)

@check
def frame_too_big():
    c = Conn(UNIX)
    c.s.sendall(struct.pack(">I", 64 * 1024 + 1))
    m = c.recv(); err(m, E.ERROR_PROTOCOL, "frame larger than the limit", 0); closed(c)

@check
def frame_at_limit_ok():
    c = Conn(UNIX)
    # a frame of exactly max_frame bytes is accepted (status with padding in client_name? use unknown field)
    msg = pb.ClientMessage(id=7, status=pb.StatusRequest()).SerializeToString()
    pad = 64 * 1024 - len(msg) - 4
    # unknown field 99 of ClientMessage (bytes) is ignored by proto3 decoders
    def vi(n):
        o = b""
        while n >= 0x80:
            o += bytes([0x80 | (n & 0x7f)]); n >>= 7
        return o + bytes([n])
    pad = 64 * 1024 - len(msg) - 2 - 3
    extra = b"\x9a\x06" + vi(pad) + b"x" * pad
    assert len(msg + extra) == 64 * 1024, len(msg + extra)
    c.send_raw(msg + extra)
    m = c.get(7); assert kind(m) == "status", m

@check
def frame_malformed():
    c = Conn(UNIX)
    c.send_raw(b"\xff\xff\xff")
    m = c.recv(); err(m, E.ERROR_PROTOCOL, "malformed message", 0); closed(c)

@check
def unknown_request_type():
    c = Conn(UNIX)
    c.send_raw(b"\x08\x05" + b"\xfa\x07\x00")   # id 5, field 127 (unknown), empty
    m = c.recv(); err(m, E.ERROR_UNSUPPORTED)

@check
def no_request_set():
    c = Conn(UNIX)
    c.send_raw(b"\x08\x05")   # id 5, no request
    m = c.recv(); err(m, E.ERROR_UNSUPPORTED, "unknown request type 0")

# ---- hello ----
@check
def before_hello():
    c = Conn(UNIX, hello=False)
    m = c.call(submit=pb.SubmitRequest(spec=spec("true")))
    err(m, E.ERROR_UNAUTHENTICATED, "submit before hello", 1); closed(c)

@check
def before_hello_status():
    c = Conn(UNIX, hello=False)
    m = c.call(status=pb.StatusRequest())
    err(m, E.ERROR_UNAUTHENTICATED, "status before hello", 1); closed(c)

@check
def second_hello():
    c = Conn(UNIX)
    m = c.hello(); err(m, E.ERROR_PROTOCOL, "second hello"); closed(c)

@check
def hello_version():
    for v in (0, 2, 2**32 - 1):
        c = Conn(UNIX, hello=False)
        m = c.hello(version=v)
        err(m, E.ERROR_UNSUPPORTED, "protocol version %d not supported (this daemon speaks 1)" % v, 1); closed(c)

@check
def hello_bad_utf8():
    c = Conn(UNIX, hello=False)
    c.send_raw(raw_replace(pb.ClientMessage(id=1, hello=pb.Hello(protocol_version=1, client_name="aZZb")), b"ZZ", b"\xff\xfe"))
    m = c.recv(); err(m, E.ERROR_INVALID_ARGUMENT, "hello.client_name: not valid UTF-8", 1); closed(c)

@check
def hello_replies():
    c = Conn(UNIX); h = c.hello_reply
    assert kind(h) == "hello" and h.id == 1
    assert h.hello.protocol_version == 1 and h.hello.server_version == "0.1.0", h
    assert h.hello.identity == "unix:" + ME.pw_name and h.hello.role == E.ROLE_ADMIN, h
    for who, role in (("alice", E.ROLE_USER), ("victor", E.ROLE_VIEWER), ("adam", E.ROLE_ADMIN)):
        c = tls(who); h = c.hello_reply
        assert h.hello.identity == who and h.hello.role == role, h
        c.close()

@check
def hello_no_role():
    c = tls("mallory", hello=False)
    m = c.hello(); err(m, E.ERROR_UNAUTHENTICATED, "identity mallory has no role", 1); closed(c)

@check
def unix_cn_refused():
    import ssl
    try:
        c = tls("unix:" + ME.pw_name)
    except (ssl.SSLError, Closed, ConnectionError):
        return
    raise AssertionError("a certificate named unix:USER was accepted: %s" % c.hello_reply)


@check
def alpn_required():
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(D + "/pki/ca.crt")
    ctx.load_cert_chain(D + "/pki/alice.crt", D + "/pki/alice.key")
    raw = socket.create_connection(("127.0.0.1", int(PORT)), timeout=5)
    try:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    except ssl.SSLError as e:
        return
    raise AssertionError("handshake without ALPN succeeded")

@check
def id_zero_request():
    c = Conn(UNIX)
    c.send(pb.ClientMessage(id=0, status=pb.StatusRequest()))
    m = c.recv(); assert kind(m) == "status" and m.id == 0, m
    m = c.call(status=pb.StatusRequest()); assert kind(m) == "status"

@check
def id_huge():
    c = Conn(UNIX)
    c.send(pb.ClientMessage(id=2**64 - 1, status=pb.StatusRequest()))
    m = c.recv(); assert kind(m) == "status" and m.id == 2**64 - 1, m

# ---- submit ----
@check
def submit_errors():
    c = tls("alice")
    err(c.call(submit=pb.SubmitRequest(spec=spec())), E.ERROR_INVALID_ARGUMENT)
    err(c.call(submit=pb.SubmitRequest(spec=spec(""))), E.ERROR_INVALID_ARGUMENT, "argv[0] is empty")
    err(c.call(submit=pb.SubmitRequest(spec=spec("true", cwd=b"x"))), E.ERROR_INVALID_ARGUMENT, "cwd 'x' is not an absolute path")
    err(c.call(submit=pb.SubmitRequest(spec=spec("true", cwd=b"rel\xff"))), E.ERROR_INVALID_ARGUMENT, "cwd 'rel\\xff' is not an absolute path")
    err(c.call(submit=pb.SubmitRequest(spec=spec("true", env=[b"NOEQ"]))), E.ERROR_INVALID_ARGUMENT, "environment entry 'NOEQ' is not NAME=VALUE")
    err(c.call(submit=pb.SubmitRequest(spec=spec("tr\0ue"))), E.ERROR_INVALID_ARGUMENT, "argument contains a NUL byte")
    err(c.call(submit=pb.SubmitRequest(spec=spec("true", queue="nope"))), E.ERROR_INVALID_ARGUMENT, "queue 'nope' does not exist")
    err(c.call(submit=pb.SubmitRequest(spec=spec("true", after=[0]))), E.ERROR_NOT_FOUND, "task 0: not found")
    err(c.call(submit=pb.SubmitRequest(spec=spec("true", after_any=[2**64-1]))), E.ERROR_NOT_FOUND, "task 18446744073709551615: not found")
    b = tls("bob"); bt = submit(b, "true")
    err(c.call(submit=pb.SubmitRequest(spec=spec("true", after=[bt]))), E.ERROR_NOT_FOUND, "task %d: not found" % bt)
    m = c.call(submit=pb.SubmitRequest(spec=spec("true", rlimits=[pb.Rlimit(name="nofile", soft=10, hard=5)])))
    err(m, E.ERROR_INVALID_ARGUMENT, "rlimit nofile: soft limit above hard")
    m = c.call(submit=pb.SubmitRequest(spec=spec("true", rlimits=[pb.Rlimit(name="bogus", soft=1)])))
    err(m, E.ERROR_INVALID_ARGUMENT, "unknown rlimit 'bogus'")
    v = tls("victor")
    err(v.call(submit=pb.SubmitRequest(spec=spec("true"))), E.ERROR_PERMISSION_DENIED, "submit needs role user; victor is viewer")

@check
def submit_ranges():
    c = tls("alice")
    T = 315360000000
    cases = [
        (dict(timeout_ms=T + 1), "submit.spec.timeout_ms: %d is out of range 0..%d" % (T + 1, T)),
        (dict(timeout_ms=2**64 - 1), "submit.spec.timeout_ms: %d is out of range 0..%d" % (2**64 - 1, T)),
        (dict(retries=1001), "submit.spec.retries: 1001 is out of range 0..1000"),
        (dict(retry_delay_ms=2**64 - 1), "submit.spec.retry_delay_ms: 18446744073709551615 is out of range 0..315360000000"),
        (dict(retry_backoff=float("nan")), "submit.spec.retry_backoff: nan is not a number"),
        (dict(retry_backoff=float("inf")), "submit.spec.retry_backoff: inf is out of range 0..100"),
        (dict(retry_backoff=-0.5), "submit.spec.retry_backoff: -0.5 is out of range 0..100"),
        (dict(retry_backoff=100.5), "submit.spec.retry_backoff: 100.5 is out of range 0..100"),
        (dict(start_at_ms=253402300800000), "submit.spec.start_at_ms: 253402300800000 is out of range 0..253402300799999"),
        (dict(start_at_ms=-1), "submit.spec.start_at_ms: -1 is out of range 0..253402300799999"),
    ]
    for kw, text in cases:
        m = c.call(submit=pb.SubmitRequest(spec=spec("true", **kw)))
        err(m, E.ERROR_INVALID_ARGUMENT, text)
    # both out of range: first in field order
    m = c.call(submit=pb.SubmitRequest(spec=spec("true", retries=5000, timeout_ms=T + 1)))
    err(m, E.ERROR_INVALID_ARGUMENT, "submit.spec.timeout_ms: %d is out of range 0..%d" % (T + 1, T))
    # viewer: role checked before range
    v = tls("victor")
    err(v.call(submit=pb.SubmitRequest(spec=spec("true", retries=5000))), E.ERROR_PERMISSION_DENIED)
    # edges accepted
    for kw in (dict(timeout_ms=T), dict(retries=1000, retry_delay_ms=T, start_at_ms=253402300799999), dict(retry_backoff=100.0), dict(priority=-2**31), dict(priority=2**31 - 1)):
        tid = submit(c, "true", **kw)
        c.call(cancel=pb.CancelRequest(task_ids=[tid]))

@check
def submit_utf8_fields():
    c = tls("alice")
    for kw, path in (
            (dict(name="aZZb"), "submit.spec.name"),
            (dict(queue="aZZb"), "submit.spec.queue"),
            (dict(key="aZZb"), "submit.spec.key"),
            (dict(labels=[pb.Label(key="x", value="1"), pb.Label(key="aZZb", value="v")]), "submit.spec.labels[1].key"),
            (dict(labels=[pb.Label(key="k", value="aZZb")]), "submit.spec.labels[0].value"),
            (dict(rlimits=[pb.Rlimit(name="aZZb", soft=1)]), "submit.spec.rlimits[0].name")):
        c.send_raw(raw_replace(pb.ClientMessage(id=900, submit=pb.SubmitRequest(spec=spec("true", **kw))), b"ZZ", b"\xc3\x28"))
        err(c.get(900), E.ERROR_INVALID_ARGUMENT, path + ": not valid UTF-8")

@check
def submit_watch_and_fields():
    c = tls("alice")
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "echo out; echo err >&2; exit 3", name="n1",
        labels=[pb.Label(key="k", value="v")], key="key-1", priority=5, timeout_ms=60000, retries=0, restart_on_lost=True)))
    m = c.get(rid); assert kind(m) == "submit", m
    tid = m.submit.task_id
    msgs = c.watch_all(rid)
    kinds = [kind(x) for x in msgs]
    assert kinds[-2:] == ["task", "watch_end"], kinds
    data = b"".join(x.output.data for x in msgs if kind(x) == "output")
    assert sorted(data.split(b"\n")) == sorted(b"out\nerr\n".split(b"\n")), data
    t = msgs[-2].task.task
    assert t.id == tid and t.state == E.TASK_FAILED and t.exit_code == 3 and t.signal == 0, t
    assert t.name == "n1" and t.owner == "alice" and t.priority == 5 and t.timeout_ms == 60000 and t.key == "key-1", t
    assert t.restart_on_lost and list(t.argv) == [b"sh", b"-c", b"echo out; echo err >&2; exit 3"], t
    assert t.queue == "default" and [(l.key, l.value) for l in t.labels] == [("k", "v")], t
    assert t.created_ms > 0 and t.started_ms >= t.created_ms and t.ended_ms >= t.started_ms and t.pid == 0, t
    assert t.output_bytes == 8 and t.output_dropped == 0, t
    assert len(t.attempts) == 1 and t.attempts[0].number == 1 and t.attempts[0].state == E.TASK_FAILED, t
    a = t.attempts[0]
    assert a.exit_code == 3 and a.output_start == 0 and a.output_end == 8, a
    assert t.cwd == b"" and t.reason == "" and t.waiting_for == "", t
    # idempotency key
    m = c.call(submit=pb.SubmitRequest(spec=spec("false", key="key-1")))
    assert m.submit.task_id == tid, m
    b = tls("bob")
    m = b.call(submit=pb.SubmitRequest(spec=spec("true", key="key-1")))
    assert m.submit.task_id != tid, m

@check
def submit_env_cwd():
    c = Conn(UNIX)
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", 'pwd; echo "$HOME $USER $LOGNAME $SHELL $FOO"', env=[b"FOO=bar"], clear_env=True)))
    c.get(rid)
    out = b"".join(x.output.data for x in c.watch_all(rid) if kind(x) == "output")
    # without cwd: the user's home, "/" if it cannot be entered
    cwd = ME.pw_dir if os.path.isdir(ME.pw_dir) and os.access(ME.pw_dir, os.X_OK) else "/"
    want = "%s\n%s %s %s %s bar\n" % (cwd, ME.pw_dir, ME.pw_name, ME.pw_name, ME.pw_shell)
    assert out == want.encode(), out
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", 'echo $USER', env=[b"USER=zz"], cwd=b"/tmp")))
    c.get(rid)
    out = b"".join(x.output.data for x in c.watch_all(rid) if kind(x) == "output")
    assert out == b"zz\n", out

@check
def submit_stdin_data():
    c = Conn(UNIX)
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("cat", stdin_data=b"in\xffput")))
    c.get(rid)
    out = b"".join(x.output.data for x in c.watch_all(rid) if kind(x) == "output")
    assert out == b"in\xffput", out

@check
def cannot_start():
    c = Conn(UNIX)
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec(b"/nonexistent/x\xff")))
    c.get(rid)
    ms = c.watch_all(rid)
    outs = [x.output for x in ms if kind(x) == "output"]
    t = ms[-2].task.task
    assert t.state == E.TASK_FAILED and t.exit_code == 127 and t.reason, t
    assert t.reason == "cannot start '/nonexistent/x\\xff': No such file or directory", t.reason
    assert all(o.stream == E.STREAM_SYSTEM for o in outs) and outs, outs

# ---- watch ----
def run_done(c, *argv, **kw):
    tid = submit(c, *argv, **kw)
    w = wait(c, [tid]); assert w.tasks[0].state in (E.TASK_SUCCEEDED, E.TASK_FAILED), w
    return tid

def watch(c, **kw):
    rid = c.request(watch=pb.WatchRequest(**kw))
    return c.watch_all(rid)

def outbytes(ms, tid=None):
    return b"".join(x.output.data for x in ms if kind(x) == "output" and (tid is None or x.output.task_id == tid))

@check
def watch_errors():
    c = tls("alice")
    err(watch(c)[0], E.ERROR_INVALID_ARGUMENT, "watch needs 1 to 4096 tasks")
    err(watch(c, task_ids=[0])[0], E.ERROR_NOT_FOUND, "task 0: not found")
    err(watch(c, task_ids=[2**64 - 1])[0], E.ERROR_NOT_FOUND, "task 18446744073709551615: not found")
    err(watch(c, resume=[pb.TaskOffset(task_id=0)])[0], E.ERROR_NOT_FOUND, "task 0: not found")
    err(watch(c, select=pb.Selector(ids=[0]))[0], E.ERROR_NOT_FOUND, "task 0: not found")
    t = run_done(c, "true")
    err(watch(c, task_ids=[t], streams=[0, 7])[0], E.ERROR_INVALID_ARGUMENT, "watch.streams[1]: 7 is not a known Stream (one of 0, 1, 2)")
    err(watch(c, task_ids=[t], follow=True)[0], E.ERROR_INVALID_ARGUMENT, "follow needs a selector (all, labels or a queue)")
    err(watch(c, task_ids=[t], follow=True, select=pb.Selector(ids=[t]))[0], E.ERROR_INVALID_ARGUMENT, "follow needs a selector (all, labels or a queue)")
    m = watch(c, select=pb.Selector(labels=[pb.Label(key="no", value="such")]))[0]
    err(m, E.ERROR_INVALID_ARGUMENT, "watch needs 1 to 4096 tasks")
    b = tls("bob")
    err(watch(b, task_ids=[t])[0], E.ERROR_NOT_FOUND, "task %d: not found" % t)
    # unknown id among known ones fails all
    err(watch(c, task_ids=[t, 987654])[0], E.ERROR_NOT_FOUND, "task 987654: not found")
    c.send_raw(raw_replace(pb.ClientMessage(id=901, watch=pb.WatchRequest(select=pb.Selector(queue="aZZb"))), b"ZZ", b"\xed\xa0"))
    err(c.get(901), E.ERROR_INVALID_ARGUMENT, "watch.select.queue: not valid UTF-8")

@check
def watch_offsets():
    c = tls("alice")
    t = run_done(c, "sh", "-c", "printf 'l1\\nl2\\nl3\\n'; printf 'e4\\n' >&2")
    full = b"l1\nl2\nl3\ne4\n"
    assert outbytes(watch(c, task_ids=[t])) == full
    assert outbytes(watch(c, task_ids=[t], from_offset=3)) == full[3:]
    assert outbytes(watch(c, task_ids=[t], from_offset=2**64 - 1)) == b""
    assert outbytes(watch(c, task_ids=[t], tail=True)) == full
    assert outbytes(watch(c, task_ids=[t], tail_lines=1)) == b"e4\n", outbytes(watch(c, task_ids=[t], tail_lines=1))
    assert outbytes(watch(c, task_ids=[t], tail_lines=2)) == b"l3\ne4\n"
    assert outbytes(watch(c, task_ids=[t], tail_lines=2**32 - 1)) == full
    assert outbytes(watch(c, task_ids=[t], streams=[E.STREAM_STDERR])) == b"e4\n"
    assert outbytes(watch(c, task_ids=[t], streams=[E.STREAM_STDOUT])) == b"l1\nl2\nl3\n"
    # resume wins over tail_lines and from_offset; last given wins
    ms = watch(c, task_ids=[t], tail_lines=1, from_offset=1, resume=[pb.TaskOffset(task_id=t, offset=0), pb.TaskOffset(task_id=t, offset=6)])
    assert outbytes(ms) == full[6:], outbytes(ms)
    # resume-only
    ms = watch(c, resume=[pb.TaskOffset(task_id=t, offset=9)])
    assert outbytes(ms) == full[9:] and [kind(x) for x in ms][-2:] == ["task", "watch_end"], ms
    # one task named many times: once
    ms = watch(c, task_ids=[t, t], select=pb.Selector(ids=[t]), resume=[pb.TaskOffset(task_id=t)])
    assert [kind(x) for x in ms].count("task") == 1 and outbytes(ms) == full, ms
    # offsets are contiguous
    off = 0
    for x in watch(c, task_ids=[t]):
        if kind(x) == "output":
            assert x.output.offset == off and x.output.time_us > 0, x; off += len(x.output.data)
    assert off == show(c, t).output_bytes

@check
def watch_order_big():
    c = tls("alice")
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "head -c 3000000 /dev/zero; echo end >&2")))
    t = c.get(rid).submit.task_id
    off = 0; seen_task = False; n = 0
    while True:
        m = c.get(rid); k = kind(m)
        if k == "output":
            assert not seen_task and m.output.offset == off and len(m.output.data) <= 65536, m.output.offset
            off += len(m.output.data); n += 1
        elif k == "task":
            seen_task = True
            assert m.task.task.output_bytes == off == 3000004, (off, m.task.task.output_bytes)
        elif k == "watch_end":
            assert seen_task; break
        else:
            raise AssertionError(m)

@check
def watch_selectors():
    c = tls("alice"); a = Conn(UNIX)
    m = a.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="selq"))
    assert kind(m) == "queue", m
    t1 = run_done(c, "echo", "1", labels=[pb.Label(key="grp", value="g1")], queue="selq")
    t2 = run_done(c, "echo", "2", labels=[pb.Label(key="grp", value="g1"), pb.Label(key="x", value="y")])
    t3 = run_done(c, "echo", "3", labels=[pb.Label(key="grp", value="g2")], queue="selq")
    def ids(sel):
        ms = watch(c, select=sel)
        return sorted(x.task.task.id for x in ms if kind(x) == "task")
    assert ids(pb.Selector(labels=[pb.Label(key="grp", value="g1")])) == [t1, t2]
    assert ids(pb.Selector(labels=[pb.Label(key="grp", value="g1")], queue="selq")) == [t1]
    assert ids(pb.Selector(queue="selq")) == [t1, t3]
    assert ids(pb.Selector(queue="selq", ids=[t2])) == [t1, t2, t3]
    allids = ids(pb.Selector(all=True))
    assert {t1, t2, t3} <= set(allids)
    b = tls("bob"); bt = run_done(b, "true")
    assert bt not in allids
    m = c.call(list=pb.ListRequest(select=pb.Selector(labels=[pb.Label(key="grp", value="g1")], queue="selq")))
    assert [t.id for t in m.list.tasks] == [t1], m

@check
def watch_follow():
    c = tls("alice")
    rid = c.request(watch=pb.WatchRequest(follow=True, select=pb.Selector(labels=[pb.Label(key="f", value="1")])))
    t = submit(c, "echo", "followed", labels=[pb.Label(key="f", value="1")])
    got = b""
    while True:
        m = c.get(rid)
        if kind(m) == "output": got += m.output.data
        if kind(m) == "task": break
        assert kind(m) != "error", m
    assert got == b"followed\n" and m.task.task.id == t
    # no WatchEnd: a status reply comes next, not a watch_end
    c.send(pb.ClientMessage(id=777, status=pb.StatusRequest()))
    m = c.recv(); assert m.id == 777, m

@check
def watch_resume_running():
    c = Conn(UNIX)
    rid = c.request(submit=pb.SubmitRequest(spec=spec("sh", "-c", "echo a; read x; echo b", stdin_stream=True)))
    t = c.get(rid).submit.task_id
    c2 = Conn(UNIX)
    rid2 = c2.request(watch=pb.WatchRequest(resume=[pb.TaskOffset(task_id=t, offset=0)]))
    m = c2.get(rid2); assert kind(m) == "output" and m.output.data == b"a\n", m
    c.call(stdin=pb.StdinRequest(task_id=t, data=b"x\n", eof=True))
    ms = c2.watch_all(rid2)
    assert outbytes(ms) == b"b\n" and [kind(x) for x in ms][-2:] == ["task", "watch_end"], ms
