"""Worker processes for grading, each watched by the parent so that no submission can stop the run.

A :class:`Pool` keeps ``jobs`` long-lived worker processes (forked from a fork server that has
imported :mod:`grader.worker` once). Each runs one submission at a time, received and returned
over its own pipe, so what happens to one worker concerns only the submission it holds:

* a worker that dies (killed from outside, or by the student's code where no sandbox hides the
  worker from it) is replaced; its submission is tried once more in a fresh worker, and a second
  death is that submission's reason;
* a worker that is stopped (SIGSTOP) for :data:`STOPPED_GRACE` seconds, or still busy after
  :data:`WEDGED_FACTOR` times the notebook's time limit, is killed with its process tree and
  replaced; its submission gets the reason and is not retried.

Everyone else keeps grading. Results are handed to ``on_result(item, out)`` and failures to
``on_problem(item, reason)`` as they happen, in the parent, which alone writes the gradebook.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from multiprocessing.connection import wait

import psutil

STOPPED_GRACE = 30.0   # seconds a worker may sit stopped before it is killed
WEDGED_FACTOR = 3.0    # times the notebook's time limit a worker may take for one submission


def _context():
    # forkserver: workers are forked from a clean server process that has imported the worker
    # code once (importing nbformat costs seconds); plain fork would inherit the caller's
    # asyncio loop and ZMQ sockets (e.g. after a validate) and spin forever
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["grader.worker"])
    return ctx


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and everything it started (its kernel, the kernel's children)."""
    try:
        root = psutil.Process(pid)
        procs = root.children(recursive=True) + [root]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=5)


class _Slot:
    """One worker process and the submission it holds."""

    def __init__(self, ctx, serve):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=serve, args=(child, os.getpid()), daemon=True)
        self.proc.start()
        child.close()
        self.item = self.job = None
        self.attempt = 0
        self.since = 0.0          # when it took its submission
        self.stopped_at = None    # when it was first seen stopped

    def give(self, item, job, attempt: int) -> None:
        self.conn.send(job)
        self.item, self.job, self.attempt = item, job, attempt
        self.since, self.stopped_at = time.monotonic(), None

    def stopped_for(self, now: float) -> float:
        try:
            stopped = psutil.Process(self.proc.pid).status() == psutil.STATUS_STOPPED
        except psutil.NoSuchProcess:
            stopped = False
        if not stopped:
            self.stopped_at = None
            return 0.0
        self.stopped_at = self.stopped_at or now
        return now - self.stopped_at

    def close(self) -> None:
        if self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(timeout=5)
            except (OSError, ValueError):
                pass
        if self.proc.is_alive():
            _kill_tree(self.proc.pid)
        self.conn.close()


def run(items, jobs: int, prepare, on_result, on_problem, time_limit: float, serve=None) -> None:
    """Grade ``items`` on ``jobs`` workers.

    ``prepare(item)`` returns the job dict for ``grader.worker.run_job`` (or None when the item
    was settled without grading); it is called just before a worker is free, so sanitizing
    overlaps with the other workers' grading. ``time_limit``: the notebook's wall-clock
    limit in seconds (``Limits.notebook_timeout * Limits.wall_factor``).
    ``serve(conn, parent_pid)``: a worker's loop (default ``grader.worker.serve``).
    """
    if serve is None:
        from grader.worker import serve
    ctx = _context()
    todo = deque((item, None, 1) for item in items)
    slots = [_Slot(ctx, serve) for _ in range(max(1, min(jobs, len(todo))))]
    try:
        while todo or any(s.item is not None for s in slots):
            for slot in slots:
                while slot.item is None and todo:
                    item, job, attempt = todo.popleft()
                    job = job or prepare(item)
                    if job is not None:
                        slot.give(item, job, attempt)
            busy = [s for s in slots if s.item is not None]
            wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], timeout=1.0)
            now = time.monotonic()
            for i, slot in enumerate(slots):
                if slot.item is None:
                    continue
                problem = _collect(slot, on_result, now, time_limit)
                if problem is None:
                    continue
                reason, retry = problem
                slot.close()
                slots[i] = _Slot(ctx, serve)
                if retry and slot.attempt == 1:
                    todo.appendleft((slot.item, slot.job, 2))
                else:
                    on_problem(slot.item, reason)
    finally:
        for slot in slots:
            slot.close()


def _collect(slot: _Slot, on_result, now: float, time_limit: float):
    """Hand on a finished result, or say why the slot's worker must be replaced:
    ``(reason, retry)``. None while there is nothing to do (result handed on, or still working)."""
    if slot.conn.poll():
        try:
            out = slot.conn.recv()
        except (EOFError, OSError):
            return _death(slot), True
        item, slot.item = slot.item, None
        on_result(item, out)
        return None
    if not slot.proc.is_alive():
        return _death(slot), True
    stopped = slot.stopped_for(now)
    if stopped >= STOPPED_GRACE:
        return (f"its grading process was stopped (SIGSTOP) for {stopped:.0f} s and was killed; "
                "not graded"), False
    if now - slot.since > WEDGED_FACTOR * time_limit:
        return (f"still running after {now - slot.since:.0f} s ({WEDGED_FACTOR:g}x the notebook's "
                f"{time_limit:.0f} s wall-clock limit): its grading process was killed; "
                "not graded"), False
    return None


def _death(slot: _Slot) -> str:
    slot.proc.join(timeout=1)
    code = slot.proc.exitcode
    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return f"its grading process died twice ({how}) while running this notebook; not graded"
