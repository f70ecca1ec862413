"""Grading on Dask: a LocalCluster of ``--jobs`` workers on this machine, or an existing cluster.

One code path for both. The parent submits one task per submission (``grader.worker.grade``) and
consumes the results as they complete (``as_completed``); it alone writes records and the
gradebook. Failures of the infrastructure are retried, a student's notebook is not:

* a task that raised (a grader error, a stale worker refusing it) runs once more (``retries=1``),
  possibly on another worker;
* a lost worker (preempted, killed) is replaced and its task runs elsewhere; a second loss makes
  Dask give up on it (``KilledWorker``, scheduler setting ``allowed-failures``: 1 on the
  LocalCluster) and the notebook is recorded with the exercises it completed and the reason;
* a watchdog thread of the parent kills the worker process (through its nanny) of a task whose
  worker has not heartbeat for :data:`STOPPED_GRACE` seconds (SIGSTOP, a hung process), or that
  is still running after :data:`WEDGED_FACTOR` times the notebook's time limit; Dask then treats
  it as a lost worker.

Each task needs the ``memory_mb`` resource (the kernel's memory limit), so a worker started with
``--resources memory_mb=M`` never runs more notebooks at a time than fit into ``M``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time

import dask
import psutil
from distributed import Client, KilledWorker, LocalCluster, as_completed

STOPPED_GRACE = 30.0   # seconds a busy worker may go without a heartbeat before it is killed
WEDGED_FACTOR = 3.0    # times the notebook's time limit a task may run before its worker is killed
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler, and to wait for its first worker
PROGRESS = "grader-progress"   # event topic: one message per decided exercise
RESOURCE = "memory_mb"
# Dask settings of every grading cluster: a lost worker's task is tried on one more worker only,
# and the worker services that serve a dashboard (which grading does not start) stay quiet: the
# statistical profiler samples each worker's stack every 10 ms, the event-loop check and the
# system monitor poll every 20 and 500 ms (together two thirds of an idle cluster's CPU time)
SETTINGS = {"distributed.scheduler.allowed-failures": 1,
            "distributed.worker.profile.enabled": False,
            "distributed.admin.tick.interval": "1s",
            "distributed.admin.system-monitor.interval": "5s"}


def default_jobs(memory_mb: int) -> int:
    """Notebooks at a time on this machine when ``--jobs`` is not given: one more than its CPUs,
    at most as many as its memory holds at ``memory_mb`` each. A kernel waits for its worker at
    start-up and in every hidden check; a third notebook on two cores fills those waits
    (``benchmarks/grading.py``, 40 submissions: 24.4 s against 26.6 s with two, and 39.2 s
    against 43.3 s beside two CPU-burning processes; README "Speed")."""
    cpus = os.cpu_count() or 1
    fit = psutil.virtual_memory().total // (memory_mb << 20) if memory_mb else cpus + 1
    return max(1, min(cpus + 1, fit))


def settings_env() -> dict:
    """:data:`SETTINGS` as the environment variables of ``dask scheduler`` and ``dask worker``."""
    return {"DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
            for key, value in SETTINGS.items()}


class ClusterError(Exception):
    """The cluster cannot grade (unreachable scheduler, no worker that fits): one line."""


@contextlib.contextmanager
def connect(jobs: int | None, scheduler: str | None, memory_mb: int):
    """A Client of the scheduler at ``scheduler``, else of a new LocalCluster of ``jobs``
    (default: :func:`default_jobs`) single-threaded worker processes (closed at the end)."""
    if scheduler:
        client = _remote(scheduler, memory_mb)
        with client:
            yield client
        return
    with dask.config.set(SETTINGS):
        cluster = LocalCluster(n_workers=jobs or default_jobs(memory_mb), threads_per_worker=1,
                               processes=True,
                               resources={RESOURCE: memory_mb}, memory_limit=0,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
    with cluster, Client(cluster) as client:
        yield client


def _remote(address: str, memory_mb: int) -> Client:
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({type(exc).__name__} after "
            f"{CONNECT_TIMEOUT:g} s): check that dask scheduler runs there, the host and port "
            "(default 8786), and that no firewall blocks it") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no worker: start one with "
                           f"`dask worker {address} --nthreads 1 --resources {RESOURCE}="
                           f"{memory_mb}` (README, 'Grading on a cluster')") from None
    workers = client.scheduler_info()["workers"].values()
    if not any(w["resources"].get(RESOURCE, 0) >= memory_mb for w in workers):
        client.close()
        raise ClusterError(f"no worker of the scheduler at {address} declares the memory of one "
                           f"notebook (--memory-mb {memory_mb}): start workers with --resources "
                           f"{RESOURCE}=<MB of this machine for grading>, at least {memory_mb}")
    return client


def run(client: Client, items, prepare, on_result, on_problem, time_limit: float,
        memory_mb: int, task=None) -> None:
    """Grade ``items`` on the cluster of ``client``.

    ``prepare(item)`` returns the job for ``task`` (default ``grader.worker.grade``), or None
    when the item was settled without grading. Jobs are prepared and submitted as workers become
    free (never more than :func:`slots`), so the parent sanitizes while the workers grade, and a
    lost worker holds no queued submission. ``on_result(item, out)`` gets each result, in the
    order they complete; ``out`` has ``"lost"`` (the reason) and only the verdicts that reached
    the parent when the task's worker was lost twice. ``on_problem(item, reason)`` gets tasks
    that raised twice. ``time_limit``: the notebook's wall-clock limit in seconds.
    """
    if task is None:
        from grader.worker import grade as task
    run_id, todo = secrets.token_hex(4), enumerate(items)
    pending, killed = {}, {}
    done = as_completed()

    def submit_next() -> bool:
        for n, item in todo:
            job = prepare(item)
            if job is not None:
                job["key"] = f"grade-{run_id}-{n}"
                pending[job["key"]] = (item, job)
                done.add(client.submit(task, job, key=job["key"], retries=1,
                                       resources={RESOURCE: memory_mb}))
                return True
        return False

    def fill() -> None:
        while done.count() < slots(client, memory_mb) and submit_next():
            pass

    stop = threading.Event()
    watchdog = threading.Thread(target=_watch, args=(client, pending, time_limit, killed, stop),
                                daemon=True)
    watchdog.start()
    try:
        fill()
        for future in done:
            item, job = pending.pop(future.key)
            _settle(client, future, item, job, killed, on_result, on_problem)
            fill()
    finally:
        stop.set()
        watchdog.join()


def slots(client: Client, memory_mb: int) -> int:
    """How many notebooks the cluster runs at a time: per worker, its threads or as many
    notebooks as its ``memory_mb`` resource holds, whichever is fewer (at least one)."""
    workers = client.scheduler_info()["workers"].values()
    return max(1, sum(min(w["nthreads"], int(w["resources"].get(RESOURCE, 0) // memory_mb))
                      for w in workers))


def _settle(client, future, item, job, killed, on_result, on_problem) -> None:
    exc = future.exception() if future.status == "error" else None
    if exc is None:
        on_result(item, future.result())
    elif isinstance(exc, KilledWorker):
        why = killed.get(future.key, "its grading process died (worker lost)")
        on_result(item, {"nb": job.get("nb"), "verdicts": _progress(client, future.key),
                         "lost": f"{why}, twice: not graded further (Dask KilledWorker)"})
    else:
        on_problem(item, f"{type(exc).__name__}: {str(exc)[:300]}")


def _progress(client: Client, key: str) -> dict:
    """The verdicts a task reported (``report_verdict``) before it was lost."""
    return {m["grade_id"]: m["verdict"] for _, m in client.get_events(PROGRESS)
            if m.get("key") == key}


def report_verdict(key: str, grade_id: str, verdict: dict) -> None:
    """Called in a worker after each exercise: the parent keeps what a lost task decided (the
    worker's client waits until the scheduler has the message)."""
    from distributed import get_client

    get_client().log_event(PROGRESS, {"key": key, "grade_id": grade_id, "verdict": verdict})


def _watch(client: Client, keys: dict, time_limit: float, killed: dict,
           stop: threading.Event) -> None:
    """Kill the worker of a task that is stopped or past its time (see the module's doc)."""
    since, shot = {}, set()   # (worker, key) -> when first seen running there; those killed
    while not stop.wait(1.0):
        with contextlib.suppress(Exception):   # the cluster is closing, or a worker just left
            _inspect(client, keys, time_limit, killed, since, shot)


def _inspect(client, keys, time_limit, killed, since, shot) -> None:
    processing = client.processing()
    workers = client.scheduler_info()["workers"]
    now, wall = time.monotonic(), time.time()
    running = {(w, k) for w, ks in processing.items() for k in ks if k in keys}
    for gone in set(since) - running:
        del since[gone]
    for worker, key in running - shot:
        start = since.setdefault((worker, key), now)
        silent = wall - workers.get(worker, {}).get("last_seen", wall)
        if silent >= STOPPED_GRACE:
            reason = f"its grading process did not respond for {silent:.0f} s (stopped?)"
        elif now - start > WEDGED_FACTOR * time_limit:
            reason = (f"its grading process was still running after {now - start:.0f} s "
                      f"({WEDGED_FACTOR:g}x the notebook's {time_limit:.0f} s limit)")
        else:
            continue
        killed[key] = reason + " and was killed"
        shot.add((worker, key))
        client.run(kill_worker_process, workers=[worker], nanny=True, on_error="ignore")


def kill_worker_process(dask_worker) -> int | None:
    """Run in a nanny: SIGKILL its worker process and everything it started (the kernel)."""
    pid = dask_worker.pid
    if pid is None or pid == os.getpid():
        return None
    try:
        root = psutil.Process(pid)
        procs = root.children(recursive=True) + [root]
    except psutil.NoSuchProcess:
        return None
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    return pid
