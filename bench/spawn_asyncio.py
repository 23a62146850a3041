#!/usr/bin/env python3
"""bench/spawn_asyncio.py - the asyncio anchor of bench/run's spawn row:
COUNT (5000) runs of `true` with stdout and stderr on pipes, INFLIGHT (64)
at a time, each read to EOF and waited for, on one asyncio loop.  Stops at
the time limit (60 s).  Prints "tasks=N secs=S rate=R failed=F".

usage: spawn_asyncio.py [COUNT [INFLIGHT [SECONDS]]]
"""
import asyncio
import sys
import time


async def one(sem, counts):
    async with sem:
        proc = await asyncio.create_subprocess_exec(
            "true", stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)
        await proc.communicate()
        counts["done"] += 1
        if proc.returncode != 0:
            counts["failed"] += 1


async def main(count, inflight, limit):
    sem = asyncio.Semaphore(inflight)
    counts = {"done": 0, "failed": 0}
    t0 = time.monotonic()
    jobs = [asyncio.ensure_future(one(sem, counts)) for _ in range(count)]
    done, pending = await asyncio.wait(jobs, timeout=limit)
    for job in pending:
        job.cancel()
    secs = time.monotonic() - t0
    n = counts["done"]
    print(f"tasks={n} secs={secs:.3f} rate={n / secs:.0f} "
          f"failed={counts['failed']}")
    return 0 if n == count and counts["failed"] == 0 else 1


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    count, inflight, limit = (args + [5000, 64, 60][len(args):])[:3]
    sys.exit(asyncio.run(main(count, inflight, limit)))
