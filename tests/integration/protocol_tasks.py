"""protocol_tasks.py - checks of protocol_audit.py, run in its namespace (the
daemon, the identities' connections and the helpers are its): Cancel, Show,
List, Status, Wait, Queue, Clean, Restart, Stdin, limits, ranges, a crash
and an orderly stop."""
# ---- cancel ----
@check
def cancel_all():
    c = tls("alice"); v = tls("victor")
    err(c.call(cancel=pb.CancelRequest()), E.ERROR_INVALID_ARGUMENT, "cancel: no tasks given")
    err(v.call(cancel=pb.CancelRequest(task_ids=[1])), E.ERROR_PERMISSION_DENIED, "cancel needs role user; victor is viewer")
    err(c.call(cancel=pb.CancelRequest(task_ids=[1], signal=65)), E.ERROR_INVALID_ARGUMENT, "cancel.signal: 65 is out of range 0..64")
    err(c.call(cancel=pb.CancelRequest(task_ids=[1], signal=-1)), E.ERROR_INVALID_ARGUMENT, "cancel.signal: -1 is out of range 0..64")
    err(c.call(cancel=pb.CancelRequest(task_ids=[0])), E.ERROR_NOT_FOUND, "task 0: not found")
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "echo up; exec sleep 100")))
    t = c.get(rid).submit.task_id
    m = c.get(rid); assert kind(m) == "output", m
    err(c.call(cancel=pb.CancelRequest(task_ids=[t, 55555])), E.ERROR_NOT_FOUND, "task 55555: not found")
    assert show(c, t).state == E.TASK_RUNNING and show(c, t).pid > 0
    m = c.call(cancel=pb.CancelRequest(task_ids=[t, t])); assert list(m.cancel.task_ids) == [t], m
    ms = c.watch_all(rid); ti = ms[-2].task.task
    assert ti.state == E.TASK_CANCELLED and ti.signal == 15 and ti.exit_code == 143 and ti.cancelled_by == "alice", ti
    m = c.call(cancel=pb.CancelRequest(task_ids=[t])); assert list(m.cancel.task_ids) == [], m
    # grace: TERM trapped, KILL after grace_ms
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.05; done")))
    t = c.get(rid).submit.task_id; c.get(rid)
    t0 = time.time()
    c.call(cancel=pb.CancelRequest(task_ids=[t], grace_ms=300))
    ti = c.watch_all(rid)[-2].task.task
    assert ti.signal == 9 and ti.state == E.TASK_CANCELLED and time.time() - t0 < 20, (ti, time.time() - t0)
    # signal 2 (INT)
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "echo up; exec sleep 100")))
    t = c.get(rid).submit.task_id; c.get(rid)
    c.call(cancel=pb.CancelRequest(task_ids=[t], signal=2))
    ti = c.watch_all(rid)[-2].task.task; assert ti.signal == 2 and ti.exit_code == 130, ti
    # queued: cancelled at once
    t = submit(c, "true", start_at_ms=int(time.time() * 1000) + 3600000)
    q = show(c, t); assert q.state == E.TASK_QUEUED and q.waiting_for.startswith("start at "), q
    m = c.call(cancel=pb.CancelRequest(select=pb.Selector(ids=[t]))); assert list(m.cancel.task_ids) == [t]
    assert show(c, t).state == E.TASK_CANCELLED
    # bob cannot cancel alice's
    b = tls("bob"); err(b.call(cancel=pb.CancelRequest(task_ids=[t])), E.ERROR_NOT_FOUND, "task %d: not found" % t)

# ---- show / list / status ----
@check
def show_list_status():
    c = tls("alice"); v = tls("victor"); b = tls("bob")
    err(c.call(show=pb.ShowRequest(task_id=0)), E.ERROR_NOT_FOUND, "task 0: not found")
    err(c.call(show=pb.ShowRequest()), E.ERROR_NOT_FOUND, "task 0: not found")
    t = run_done(c, "true")
    assert show(v, t).id == t
    err(b.call(show=pb.ShowRequest(task_id=t)), E.ERROR_NOT_FOUND)
    lb = b.call(list=pb.ListRequest()).list.tasks
    assert all(x.owner == "bob" for x in lb) and lb, lb
    lv = v.call(list=pb.ListRequest()).list.tasks
    assert {x.owner for x in lv} >= {"alice", "bob"}
    assert [x.id for x in lv] == sorted(x.id for x in lv), "list not in id order"
    m = c.call(list=pb.ListRequest(select=pb.Selector(ids=[0])))
    err(m, E.ERROR_NOT_FOUND, "task 0: not found")
    s = v.call(status=pb.StatusRequest()); assert kind(s) == "status"
    s = s.status
    assert s.version == "0.1.0" and s.uptime_ms > 0 and s.connections >= 3 and s.pid == proc.pid, s

# ---- wait ----
@check
def wait_all():
    c = tls("alice"); v = tls("victor")
    err(c.call(wait=pb.WaitRequest()), E.ERROR_INVALID_ARGUMENT, "wait: no tasks selected")
    err(c.call(wait=pb.WaitRequest(task_ids=[0])), E.ERROR_NOT_FOUND, "task 0: not found")
    err(c.call(wait=pb.WaitRequest(task_ids=[1], mode=3)), E.ERROR_INVALID_ARGUMENT, "wait.mode: 3 is not a known WaitMode (one of 0, 1, 2)")
    err(c.call(wait=pb.WaitRequest(task_ids=[1], timeout_ms=315360000001)), E.ERROR_INVALID_ARGUMENT, "wait.timeout_ms: 315360000001 is out of range 0..315360000000")
    fast = submit(c, "true"); slow = submit(c, "sleep", "100"); bad = submit(c, "false")
    w = wait(c, [fast, slow], mode=E.WAIT_FIRST_COMPLETED)
    assert not w.timed_out and [x.id for x in w.tasks] == [fast, slow], w
    assert w.tasks[0].state == E.TASK_SUCCEEDED and w.tasks[1].state == E.TASK_RUNNING
    w = wait(c, [slow], timeout_ms=200); assert w.timed_out and w.tasks[0].state == E.TASK_RUNNING, w
    w = wait(c, [slow, bad], mode=E.WAIT_FIRST_FAILURE); assert not w.timed_out and w.tasks[1].state == E.TASK_FAILED, w
    w = wait(c, [fast], mode=E.WAIT_FIRST_FAILURE); assert not w.timed_out and w.tasks[0].state == E.TASK_SUCCEEDED, w
    err(v.call(wait=pb.WaitRequest(task_ids=[slow], cancel_rest=True, timeout_ms=1)), E.ERROR_PERMISSION_DENIED, "cancel needs role user; victor is viewer")
    w = v.call(wait=pb.WaitRequest(task_ids=[slow], timeout_ms=1)); assert w.wait.timed_out
    w = wait(c, [slow, fast], timeout_ms=100, cancel_rest=True)
    assert [x.id for x in w.tasks] == [fast, slow], "wait reply not in id order"
    assert w.timed_out, w
    w = wait(c, [slow]); assert w.tasks[0].state == E.TASK_CANCELLED and w.tasks[0].cancelled_by == "alice", w

# ---- retries / timeout / skipped / after ----
@check
def lifecycle():
    c = tls("alice")
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "echo try; exit 1", retries=2, retry_delay_ms=10)))
    t = c.get(rid).submit.task_id
    ms = c.watch_all(rid); ti = ms[-2].task.task
    assert [kind(x) for x in ms].count("task") == 1
    assert ti.state == E.TASK_FAILED and len(ti.attempts) == 3 and [a.number for a in ti.attempts] == [1, 2, 3], ti
    assert ti.retries == 2 and ti.attempts[1].output_start > ti.attempts[0].output_end, ti
    assert outbytes(ms) == b"try\nrunnel: attempt 1 failed (exit 1); retrying in 10 ms\ntry\nrunnel: attempt 2 failed (exit 1); retrying in 10 ms\ntry\n" and [x.output.stream for x in ms if kind(x) == "output"] == [0, 2, 0, 2, 0], ms
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sleep", "100", timeout_ms=200)))
    c.get(rid); ti = c.watch_all(rid)[-2].task.task
    assert ti.state == E.TASK_TIMED_OUT and ti.signal == 15, ti
    f = run_done(c, "false")
    s = submit(c, "true", after=[f]); w = wait(c, [s]).tasks[0]
    assert w.state == E.TASK_SKIPPED and w.reason == "dependency %d failed" % f and list(w.after) == [f], w
    s2 = submit(c, "true", after_any=[f]); w = wait(c, [s2]).tasks[0]
    assert w.state == E.TASK_SUCCEEDED and list(w.after_any) == [f], w
    lng = submit(c, "sleep", "100")
    q = submit(c, "true", after=[lng]); qi = show(c, q)
    assert qi.state == E.TASK_QUEUED and qi.waiting_for == "task %d" % lng, qi
    c.call(cancel=pb.CancelRequest(task_ids=[lng]))
    w = wait(c, [q]).tasks[0]; assert w.state == E.TASK_SKIPPED, w

@check
def wait_viewer_cancel_rest():
    c = tls("alice"); v = tls("victor")
    t = submit(c, "sleep", "100")
    m = v.call(wait=pb.WaitRequest(task_ids=[t], cancel_rest=True))
    err(m, E.ERROR_PERMISSION_DENIED, "cancel needs role user; victor is viewer")
    c.call(cancel=pb.CancelRequest(task_ids=[t]))

# ---- queue ----
@check
def queues():
    a = Conn(UNIX); c = tls("alice"); v = tls("victor")
    m = v.call(queue=pb.QueueRequest()); assert kind(m) == "queue"
    names = [q.name for q in m.queue.queues]; assert "default" in names and "fast" in names, names
    fq = [q for q in m.queue.queues if q.name == "fast"][0]; assert fq.max_running == 2 and fq.state == E.QUEUE_ACTIVE, fq
    err(c.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="q1")), E.ERROR_PERMISSION_DENIED, "changing queues needs role admin; alice is user")
    m = a.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="q1", max_running=1, timeout_ms=5000))
    assert kind(m) == "queue", m
    err(a.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="q1")), E.ERROR_FAILED_PRECONDITION, "queue 'q1' already exists")
    err(a.call(queue=pb.QueueRequest(op=E.QUEUE_SET, name="nq", set_max_running=True, max_running=3)), E.ERROR_NOT_FOUND, "queue 'nq' does not exist")
    err(a.call(queue=pb.QueueRequest(op=E.QUEUE_PAUSE)), E.ERROR_NOT_FOUND, "queue '' does not exist")
    err(a.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="bad name")), E.ERROR_INVALID_ARGUMENT, "bad queue name 'bad name' (1-64 of A-Z a-z 0-9 . _ -)")
    m = a.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="x" * 65)); err(m, E.ERROR_INVALID_ARGUMENT)
    m = a.call(queue=pb.QueueRequest(op=6, name="q1")); err(m, E.ERROR_INVALID_ARGUMENT, "queue.op: 6 is not a known QueueOp (one of 0, 1, 2, 3, 4, 5)"); 
    err(a.call(queue=pb.QueueRequest(op=E.QUEUE_SET, name="q1", set_timeout=True, timeout_ms=315360000001)), E.ERROR_INVALID_ARGUMENT, "queue.timeout_ms: 315360000001 is out of range 0..315360000000")
    m = a.call(queue=pb.QueueRequest(op=E.QUEUE_SET, name="q1", set_timeout=True, timeout_ms=200))
    q = [q for q in m.queue.queues if q.name == "q1"][0]; assert q.timeout_ms == 200 and q.max_running == 1, q
    # queue default timeout applies
    t = submit(c, "sleep", "100", queue="q1"); w = wait(c, [t]).tasks[0]
    assert w.state == E.TASK_TIMED_OUT and w.timeout_ms == 200, w
    a.call(queue=pb.QueueRequest(op=E.QUEUE_PAUSE, name="q1"))
    t = submit(c, "true", queue="q1"); s = show(c, t)
    assert s.state == E.TASK_QUEUED and s.waiting_for == "queue q1 paused", s
    a.call(queue=pb.QueueRequest(op=E.QUEUE_RESUME, name="q1"))
    assert wait(c, [t]).tasks[0].state == E.TASK_SUCCEEDED
    a.call(queue=pb.QueueRequest(op=E.QUEUE_DRAIN, name="q1"))
    t = submit(c, "true", queue="q1"); s = show(c, t); assert s.state == E.TASK_QUEUED and s.waiting_for == "queue q1 draining", s
    m = a.call(queue=pb.QueueRequest()); q1 = [q for q in m.queue.queues if q.name == "q1"][0]
    assert q1.state == E.QUEUE_DRAINING, q1
    a.call(queue=pb.QueueRequest(op=E.QUEUE_RESUME, name="q1")); wait(c, [t])
    # max_running of the queue
    a.call(queue=pb.QueueRequest(op=E.QUEUE_SET, name="q1", set_max_running=True, max_running=1, set_timeout=True, timeout_ms=0))
    t1 = submit(c, "sleep", "100", queue="q1"); t2 = submit(c, "true", queue="q1")
    wait(c, [t1], timeout_ms=100)
    s = show(c, t2); assert s.state == E.TASK_QUEUED and s.waiting_for == "queue q1 (1/1 running)", s
    m = a.call(queue=pb.QueueRequest()); q1 = [q for q in m.queue.queues if q.name == "q1"][0]
    assert q1.running == 1 and q1.queued == 1 and q1.max_running == 1 and q1.timeout_ms == 0, q1
    c.call(cancel=pb.CancelRequest(select=pb.Selector(queue="q1")))

# ---- clean ----
@check
def clean():
    c = tls("alice"); b = tls("bob"); v = tls("victor")
    err(v.call(clean=pb.CleanRequest()), E.ERROR_PERMISSION_DENIED, "clean needs role user; victor is viewer")
    t = run_done(c, "true"); bt = run_done(b, "true"); r = submit(c, "sleep", "100")
    m = c.call(clean=pb.CleanRequest(older_than_ms=2**64 - 1)); assert list(m.clean.task_ids) == [], m
    m = c.call(clean=pb.CleanRequest(older_than_ms=3600000)); assert list(m.clean.task_ids) == [], m
    m = c.call(clean=pb.CleanRequest(select=pb.Selector(ids=[t, r])))
    assert list(m.clean.task_ids) == [t], m
    err(c.call(show=pb.ShowRequest(task_id=t)), E.ERROR_NOT_FOUND, "task %d: not found" % t)
    err(c.call(clean=pb.CleanRequest(select=pb.Selector(ids=[bt]))), E.ERROR_NOT_FOUND, "task %d: not found" % bt)
    m = c.call(clean=pb.CleanRequest()); assert bt not in m.clean.task_ids and r not in m.clean.task_ids and m.clean.task_ids, m
    assert show(b, bt).id == bt
    c.call(cancel=pb.CancelRequest(task_ids=[r]))

# ---- restart ----
@check
def restart():
    c = tls("alice"); b = tls("bob"); v = tls("victor"); ad = tls("adam")
    r = submit(c, "sleep", "100")
    err(c.call(restart=pb.RestartRequest(task_id=r)), E.ERROR_FAILED_PRECONDITION, "task %d is still running" % r)
    q = submit(c, "true", start_at_ms=int(time.time() * 1000) + 3600000)
    err(c.call(restart=pb.RestartRequest(task_id=q)), E.ERROR_FAILED_PRECONDITION, "task %d is still queued" % q)
    c.call(cancel=pb.CancelRequest(task_ids=[r, q]))
    t = run_done(c, "cat", stdin_data=b"again", key="rk", labels=[pb.Label(key="a", value="b")], name="nm")
    err(c.call(restart=pb.RestartRequest(task_id=0)), E.ERROR_NOT_FOUND, "task 0: not found")
    err(b.call(restart=pb.RestartRequest(task_id=t)), E.ERROR_NOT_FOUND, "task %d: not found" % t)
    err(v.call(restart=pb.RestartRequest(task_id=t)), E.ERROR_PERMISSION_DENIED, "restart needs role user; victor is viewer")
    m = c.call(restart=pb.RestartRequest(task_id=t)); assert kind(m) == "submit", m
    n = wait(c, [m.submit.task_id]).tasks[0]
    assert n.owner == "alice" and n.key == "" and n.name == "nm" and n.state == E.TASK_SUCCEEDED and n.output_bytes == 5, n
    m = ad.call(restart=pb.RestartRequest(task_id=t)); assert kind(m) == "submit", m
    n = wait(ad, [m.submit.task_id]).tasks[0]; assert n.owner == "adam", n
    err(c.call(show=pb.ShowRequest(task_id=n.id)), E.ERROR_NOT_FOUND)

# ---- stdin ----
@check
def stdin():
    c = tls("alice"); c2 = tls("alice"); ad = tls("adam")
    t0 = run_done(c, "true")
    err(c.call(stdin=pb.StdinRequest(task_id=t0, data=b"x")), E.ERROR_FAILED_PRECONDITION, "task %d: not submitted with streamed stdin" % t0)
    err(c.call(stdin=pb.StdinRequest(task_id=0, data=b"x")), E.ERROR_NOT_FOUND, "task 0: not found")
    t = submit(c, "cat", stdin_stream=True)
    for o in (c2, ad):
        err(o.call(stdin=pb.StdinRequest(task_id=t, data=b"x")), E.ERROR_PERMISSION_DENIED, "task %d: its stdin belongs to the connection that submitted it" % t)
    m = c.call(stdin=pb.StdinRequest(task_id=t, data=b"abc")); assert kind(m) == "stdin", m
    m = c.call(stdin=pb.StdinRequest(task_id=t, eof=True)); assert kind(m) == "stdin", m
    err(c.call(stdin=pb.StdinRequest(task_id=t, data=b"x")), E.ERROR_FAILED_PRECONDITION, "task %d: stdin already closed" % t)
    w = wait(c, [t]).tasks[0]; assert w.state == E.TASK_SUCCEEDED and w.output_bytes == 3, w
    # the connection closing ends stdin
    c3 = tls("alice"); t = submit(c3, "cat", stdin_stream=True)
    c3.call(stdin=pb.StdinRequest(task_id=t, data=b"zz")); c3.close()
    w = wait(c, [t], timeout_ms=5000); assert not w.timed_out and w.tasks[0].output_bytes == 2, w
    # flow control: a task that does not read
    t = submit(c, "sh", "-c", "sleep 100", stdin_stream=True)
    big = b"x" * (60 * 1024)
    held = None
    for i in range(40):
        rid = c.request(stdin=pb.StdinRequest(task_id=t, data=big))
        c.send(pb.ClientMessage(id=5000 + i, status=pb.StatusRequest()))
        m = c.recv()
        if m.id == rid:
            assert kind(m) == "stdin", m
            c.get(5000 + i); continue
        assert m.id == 5000 + i, m
        held = rid; break
    assert held and 4 <= i + 1 <= 7, i
    err(c.call(stdin=pb.StdinRequest(task_id=t, data=b"y")), E.ERROR_FAILED_PRECONDITION, "task %d: a stdin request is already waiting" % t)
    c.call(cancel=pb.CancelRequest(task_ids=[t]))
    m = c.get(held); assert kind(m) == "stdin", m
    wait(c, [t])
    m = c.call(stdin=pb.StdinRequest(task_id=t, data=b"late")); assert kind(m) == "stdin", m

# ---- max_inflight ----
@check
def inflight():
    c = tls("alice")
    t = submit(c, "sleep", "100")
    for i in range(64):
        c.send(pb.ClientMessage(id=10000 + i, watch=pb.WatchRequest(task_ids=[t])))
    m = c.call(wait=pb.WaitRequest(task_ids=[t]))
    err(m, E.ERROR_RESOURCE_EXHAUSTED, "64 requests in flight on this connection (max_inflight)")
    m = c.call(status=pb.StatusRequest()); assert kind(m) == "status"
    c.call(cancel=pb.CancelRequest(task_ids=[t]))

# ---- batch 2 ----
@check
def tail_in_memory():
    c = tls("alice")
    t = run_done(c, "head", "-c", "300000", "/dev/zero")
    ms = watch(c, task_ids=[t], tail=True)
    outs = [x.output for x in ms if kind(x) == "output"]
    assert 300000 - outs[0].offset <= 128 * 1024 and outs[0].offset > 0, outs[0].offset

@check
def rlimits_applied():
    c = tls("alice")
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "ulimit -Sn; ulimit -Hn", rlimits=[pb.Rlimit(name="nofile", soft=50)])))
    c.get(rid); out = outbytes(c.watch_all(rid)); assert out == b"50\n50\n", out
    if os.getuid() != 0:
        return          # only root may raise a hard limit
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("sh", "-c", "ulimit -Sc; ulimit -Hc", rlimits=[pb.Rlimit(name="core", soft=2**64 - 1)])))
    c.get(rid); out = outbytes(c.watch_all(rid)); assert out == b"unlimited\nunlimited\n", out

@check
def restart_spec_copy():
    c = tls("alice"); a = Conn(UNIX)
    a.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="rq"))
    d0 = run_done(c, "true")
    t = submit(c, "cat", stdin_stream=True, queue="rq", start_at_ms=1, labels=[pb.Label(key="l", value="v")], retries=3, timeout_ms=9000, after_any=[d0])
    c.call(stdin=pb.StdinRequest(task_id=t, data=b"s", eof=True)); wait(c, [t])
    m = c.call(restart=pb.RestartRequest(task_id=t)); n = wait(c, [m.submit.task_id]).tasks[0]
    assert n.queue == "rq" and n.retries == 3 and n.timeout_ms == 9000 and n.start_at_ms == 0 and n.output_bytes == 0 and n.state == E.TASK_SUCCEEDED, n

@check
def cancelled_queued_fields():
    c = tls("alice")
    t = submit(c, "true", start_at_ms=int(time.time() * 1000) + 3600000)
    ms = []
    rid = c.request(watch=pb.WatchRequest(task_ids=[t]))
    c.call(cancel=pb.CancelRequest(task_ids=[t]))
    ms = c.watch_all(rid); ti = ms[-2].task.task
    assert [kind(x) for x in ms] == ["task", "watch_end"], ms
    assert ti.state == E.TASK_CANCELLED and ti.started_ms == 0 and len(ti.attempts) == 0 and ti.cancelled_by == "alice" and ti.waiting_for == "", ti
    assert ti.exit_code == 0 and ti.signal == 0 and ti.reason == "", ti

@check
def status_counts():
    c = Conn(UNIX)
    r = submit(c, "sleep", "100"); q = submit(c, "true", start_at_ms=int(time.time() * 1000) + 3600000)
    wait(c, [r], timeout_ms=50)
    tasks = c.call(list=pb.ListRequest()).list.tasks
    s = c.call(status=pb.StatusRequest()).status
    nq = sum(1 for t in tasks if t.state == E.TASK_QUEUED); nr = sum(1 for t in tasks if t.state == E.TASK_RUNNING)
    nf = sum(1 for t in tasks if t.state >= E.TASK_SUCCEEDED)
    assert (s.tasks_queued, s.tasks_running, s.tasks_finished) == (nq, nr, nf), (s, nq, nr, nf)
    c.call(cancel=pb.CancelRequest(task_ids=[r, q]))

@check
def list_big_reply():
    c = Conn(UNIX)
    big = "x" * 3000
    ids = [submit(c, "true", name="x" * 256, labels=[pb.Label(key="k%d" % i, value="v" * 256) for i in range(64)]) for _ in range(40)]
    m = c.call(list=pb.ListRequest())
    assert len(m.list.tasks) >= 40, len(m.list.tasks)
    c.call(clean=pb.CleanRequest(select=pb.Selector(ids=ids)))

@check
def foreign_cert():
    import ssl
    c = None
    try:
        c = Conn(TLS, cert=D + "/other/alice", ca=D + "/pki/ca.crt")
    except (ssl.SSLError, Closed, ConnectionError) as e:
        return
    raise AssertionError("foreign cert accepted: %s" % c.hello_reply)

@check
def follow_joins_existing_from_offset():
    c = tls("alice")
    t = run_done(c, "echo", "abcdef", labels=[pb.Label(key="fj", value="1")])
    rid = c.request(watch=pb.WatchRequest(follow=True, from_offset=3, select=pb.Selector(labels=[pb.Label(key="fj", value="1")])))
    m = c.get(rid); assert kind(m) == "output" and m.output.data == b"def\n", m
    m = c.get(rid); assert kind(m) == "task", m
    t2 = submit(c, "echo", "123456", labels=[pb.Label(key="fj", value="1")])
    m = c.get(rid); assert kind(m) == "output" and m.output.data == b"123456\n" and m.output.offset == 0, m

@check
def spec_rule_texts():
    c = tls("alice")
    def e(text, **kw):
        err(c.call(submit=pb.SubmitRequest(spec=spec("true", **kw))), E.ERROR_INVALID_ARGUMENT, text)
    err(c.call(submit=pb.SubmitRequest()), E.ERROR_INVALID_ARGUMENT, "no task spec")
    err(c.call(submit=pb.SubmitRequest(spec=pb.TaskSpec(name="x"))), E.ERROR_INVALID_ARGUMENT, "argv is empty")
    e("name must be at most 256 bytes, without control characters", name="x" * 257)
    e("name must be at most 256 bytes, without control characters", name="a\tb")
    submit(c, "true", name="\u00e9" * 128)
    e("at most 64 labels", labels=[pb.Label(key="k%d" % i) for i in range(65)])
    e("bad label '=v'", labels=[pb.Label(key="", value="v")])
    e("bad label 'a=b=c'", labels=[pb.Label(key="a=b", value="c")])
    e("bad label 'k=" + "v" * 257 + "'", labels=[pb.Label(key="k", value="v" * 257)])
    d0 = run_done(c, "true"); e("at most 1024 dependencies", after=[d0] * 600, after_any=[d0] * 425)
    e("stdin bytes and streamed stdin are exclusive", stdin_data=b"x", stdin_stream=True)
    e("unknown rlimit 'rss'", rlimits=[pb.Rlimit(name="rss", soft=1)])
    e("environment entry 'X\\xff' is not NAME=VALUE", env=[b"X\xff"])
    e("environment entry '=x' is not NAME=VALUE", env=[b"=x"])
    e("environment entry contains a NUL byte", env=[b"A=\0"])
    e("cwd contains a NUL byte", cwd=b"/\0")

# ---- batch 3 ----
@check
def identity_connections():
    cs = [tls("victor") for _ in range(16)]
    m = tls("victor", hello=False).hello()
    err(m, E.ERROR_RESOURCE_EXHAUSTED, "victor has 16 connections already (max_identity_connections)")
    for c in cs: c.close()

@check
def queued_per_identity():
    b = tls("bob")
    later = int(time.time() * 1000) + 3600000
    ids = [submit(b, "true", start_at_ms=later) for _ in range(30)]
    m = b.call(submit=pb.SubmitRequest(spec=spec("true")))
    err(m, E.ERROR_RESOURCE_EXHAUSTED, "bob has 30 tasks queued already (max_queued_per_identity)")
    b.call(cancel=pb.CancelRequest(task_ids=ids))

@check
def watch_4097_same():
    c = tls("alice"); t = run_done(c, "true")
    ms = watch(c, task_ids=[t] * 5000)
    assert [kind(x) for x in ms] == ["task", "watch_end"], ms[0]

@check
def cancel_select_scope():
    c = tls("alice"); b = tls("bob")
    later = int(time.time() * 1000) + 3600000
    ta = submit(c, "true", start_at_ms=later); tb = submit(b, "true", start_at_ms=later)
    m = c.call(cancel=pb.CancelRequest(select=pb.Selector(all=True)))
    assert ta in m.cancel.task_ids and tb not in m.cancel.task_ids, m
    assert show(b, tb).state == E.TASK_QUEUED
    b.call(cancel=pb.CancelRequest(task_ids=[tb]))

@check
def tail_and_tail_lines():
    c = tls("alice"); t = run_done(c, "printf", "a\\nb\\nc\\n")
    assert outbytes(watch(c, task_ids=[t], tail=True, tail_lines=1)) == b"c\n"
    assert outbytes(watch(c, task_ids=[t], from_offset=2, tail_lines=1)) == b"c\n"
    t2 = run_done(c, "printf", "a\\nb\\nc")
    assert outbytes(watch(c, task_ids=[t2], tail_lines=1)) == b"c"

@check
def lost_and_restart():
    global proc
    a = Conn(UNIX)
    later = int(time.time() * 1000) + 3600000
    q = submit(a, "true", start_at_ms=later)
    r = submit(a, "sh", "-c", "echo r; exec sleep 100", restart_on_lost=True)
    s = submit(a, "sh", "-c", "echo s; exec sleep 100")
    rid = a.request(watch=pb.WatchRequest(task_ids=[r, s]))
    got = 0
    while got < 2:
        m = a.get(rid); assert kind(m) == "output", m; got += 1
    pids = [show(a, x).pid for x in (r, s)]
    assert all(pids), pids
    proc.kill(); proc.wait()
    for pid in pids:            # the tasks outlive a killed runneld
        os.killpg(pid, signal.SIGKILL)
    start_daemon()
    a = Conn(UNIX)
    ri, si, qi = show(a, r), show(a, s), show(a, q)
    assert si.state == E.TASK_LOST and si.reason == "runneld stopped while the task ran", si
    assert ri.state in (E.TASK_QUEUED, E.TASK_RUNNING), ri
    assert qi.state == E.TASK_QUEUED, qi
    # an orderly stop: a watch ends with the connection, queued stays queued
    rid = a.request(watch=pb.WatchRequest(task_ids=[r]))
    m = a.get(rid); assert kind(m) == "output" and m.output.data == b"r\n", m
    proc.send_signal(signal.SIGTERM)
    try:
        while True:
            m = a.recv(); assert m.id == rid, m
            if kind(m) == "task": assert m.task.task.state == E.TASK_CANCELLED and m.task.task.cancelled_by == "shutdown", m
    except (Closed, ConnectionError):
        pass
    assert proc.wait(timeout=20) == 0
    start_daemon()
    a = Conn(UNIX)
    assert show(a, q).state == E.TASK_QUEUED, show(a, q)
    assert show(a, r).state == E.TASK_CANCELLED
    a.call(cancel=pb.CancelRequest(task_ids=[q]))

@check
def range_edges_accepted():
    c = tls("alice"); a = Conn(UNIX)
    t = submit(c, "sh", "-c", "trap 'exit 7' 64; echo up; while :; do sleep 0.05; done")
    rid = c.request(watch=pb.WatchRequest(task_ids=[t]))
    m = c.get(rid); assert kind(m) == "output", m
    m = c.call(cancel=pb.CancelRequest(task_ids=[t], signal=64, grace_ms=2**32 - 1)); assert list(m.cancel.task_ids) == [t], m
    ti = c.watch_all(rid)[-2].task.task; assert ti.state == E.TASK_CANCELLED and ti.exit_code == 7, ti
    m = a.call(queue=pb.QueueRequest(op=E.QUEUE_ADD, name="big", max_running=2**32 - 1, timeout_ms=315360000000)); assert kind(m) == "queue", m
    q = [x for x in m.queue.queues if x.name == "big"][0]; assert q.max_running == 2**32 - 1 and q.timeout_ms == 315360000000, q
    t = run_done(c, "sh", "-c", "ulimit -Hn", rlimits=[pb.Rlimit(name="nofile", soft=64, hard=0)])
    assert outbytes(watch(c, task_ids=[t])) == b"64\n"
    w = wait(c, [submit(c, "true", start_at_ms=1)], timeout_ms=315360000000); assert w.tasks[0].state == E.TASK_SUCCEEDED, w
    err(c.call(wait=pb.WaitRequest(task_ids=[t], mode=-1)), E.ERROR_INVALID_ARGUMENT, "wait.mode: -1 is not a known WaitMode (one of 0, 1, 2)")
    err(c.call(watch=pb.WatchRequest(task_ids=[t], streams=[-1])), E.ERROR_INVALID_ARGUMENT, "watch.streams[0]: -1 is not a known Stream (one of 0, 1, 2)")
    m = c.call(clean=pb.CleanRequest(older_than_ms=2**63)); assert kind(m) == "clean" and not m.clean.task_ids, m


@check
def follow_all_visibility():
    c = tls("alice"); b = tls("bob")
    rid = c.request(watch=pb.WatchRequest(follow=True, select=pb.Selector(all=True), from_offset=2**64 - 1))
    tb = submit(b, "echo", "bob")
    ta = submit(c, "echo", "alice")
    seen = set()
    while ta not in seen:
        m = c.get(rid)
        assert kind(m) in ("output", "task"), m
        if kind(m) == "task": seen.add(m.task.task.id)
        if kind(m) == "output": assert m.output.task_id != tb, m
    assert tb not in seen


@check
def cancel_in_retry_delay():
    c = tls("alice")
    rid = c.request(submit=pb.SubmitRequest(watch=True, spec=spec("false", retries=3, retry_delay_ms=3600000)))
    t = c.get(rid).submit.task_id
    m = c.get(rid); assert kind(m) == "output" and m.output.stream == E.STREAM_SYSTEM, m
    s = show(c, t)
    assert s.state == E.TASK_QUEUED and len(s.attempts) == 1 and s.waiting_for.startswith("retry at "), s
    m = c.call(cancel=pb.CancelRequest(task_ids=[t])); assert list(m.cancel.task_ids) == [t], m
    s = c.watch_all(rid)[-2].task.task
    assert s.state == E.TASK_CANCELLED and len(s.attempts) == 1, s


@check
def wait_clean_by_labels():
    c = tls("alice")
    sel = pb.Selector(labels=[pb.Label(key="ws", value="1")])
    t1 = submit(c, "true", labels=sel.labels); t2 = submit(c, "false", labels=sel.labels)
    m = c.call(wait=pb.WaitRequest(select=sel))
    assert [x.id for x in m.wait.tasks] == [t1, t2] and not m.wait.timed_out, m
    m = c.call(clean=pb.CleanRequest(select=sel))
    assert list(m.clean.task_ids) == [t1, t2], m


@check
def submit_watch_counts_in_flight():
    c = tls("alice")
    t = submit(c, "sleep", "100")
    for i in range(63):
        c.send(pb.ClientMessage(id=20000 + i, watch=pb.WatchRequest(task_ids=[t])))
    m = c.call(submit=pb.SubmitRequest(watch=True, spec=spec("sleep", "100")))
    assert kind(m) == "submit", m
    n = len(c.call(list=pb.ListRequest()).list.tasks)
    m = c.call(submit=pb.SubmitRequest(watch=True, spec=spec("sleep", "100")))
    err(m, E.ERROR_RESOURCE_EXHAUSTED, "64 requests in flight on this connection (max_inflight)")
    assert len(c.call(list=pb.ListRequest()).list.tasks) == n, "refused submit made a task"
    assert kind(c.call(submit=pb.SubmitRequest(spec=spec("true")))) == "submit"
    c.call(cancel=pb.CancelRequest(select=pb.Selector(all=True)))


@check
def resume_with_follow():
    c = tls("alice")
    lab = [pb.Label(key="rf", value="1")]
    t1 = submit(c, "echo", "abcdef", labels=lab); t2 = submit(c, "echo", "uvwxyz", labels=lab)
    wait(c, [t1, t2])
    # the selector's tasks from from_offset, unless resume names them
    rid = c.request(watch=pb.WatchRequest(follow=True, select=pb.Selector(labels=lab), from_offset=4,
                                          resume=[pb.TaskOffset(task_id=t1, offset=2)]))
    got = {}; ends = 0
    while ends < 2:
        m = c.get(rid)
        assert kind(m) in ("output", "task"), m
        if kind(m) == "output": got[m.output.task_id] = got.get(m.output.task_id, b"") + m.output.data
        else: ends += 1
    assert got == {t1: b"cdef\n", t2: b"yz\n"}, got


@check
def stdin_of_a_queued_task():
    c = Conn(UNIX)
    # its connection closes: the task reads what was sent, then EOF
    b1 = submit(c, "sleep", "100")
    t1 = submit(c, "cat", stdin_stream=True, after_any=[b1])
    assert kind(c.call(stdin=pb.StdinRequest(task_id=t1, data=b"kept"))) == "stdin"
    c.close()
    c = Conn(UNIX)
    c.call(cancel=pb.CancelRequest(task_ids=[b1]))
    w = wait(c, [t1]).tasks[0]
    assert w.state == E.TASK_SUCCEEDED and w.output_bytes == 4, w
    # restored after a restart: EOF at once, unread bytes lost
    b2 = submit(c, "sleep", "100")
    t2 = submit(c, "cat", stdin_stream=True, after_any=[b2])
    assert kind(c.call(stdin=pb.StdinRequest(task_id=t2, data=b"lost"))) == "stdin"
    proc.send_signal(signal.SIGTERM); assert proc.wait() == 0
    start_daemon()
    c = Conn(UNIX)
    w = wait(c, [t2]).tasks[0]
    assert w.state == E.TASK_SUCCEEDED and w.output_bytes == 0, w


@check
def clean_keeps_a_waited_task():
    c = tls("alice"); c2 = tls("alice")
    t = submit(c, "true"); wait(c, [t])
    r = submit(c, "sleep", "100")
    rid = c.request(wait=pb.WaitRequest(task_ids=[t, r]))
    m = c2.call(clean=pb.CleanRequest(select=pb.Selector(ids=[t, r])))
    assert list(m.clean.task_ids) == [], m
    c2.call(cancel=pb.CancelRequest(task_ids=[r]))
    m = c.get(rid); assert kind(m) == "wait" and [x.id for x in m.wait.tasks] == [t, r], m
    m = c2.call(clean=pb.CleanRequest(select=pb.Selector(ids=[t, r])))
    assert list(m.clean.task_ids) == [t, r], m
    err(c.call(show=pb.ShowRequest(task_id=t)), E.ERROR_NOT_FOUND, "task %d: not found" % t)
