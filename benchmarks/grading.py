"""Grading benchmark: plain serial ``nbgrader autograde`` against ``python -m grader autograde``.

The same synthetic class (``grader.synthetic``: a three-exercise assignment with a
demonstration cell that computes for about a second; correct, buggy and broken submissions)
is graded four ways in one run, each twice in mirrored order: by serial nbgrader, by ``python -m
grader autograde`` as users run it (its own Dask LocalCluster, default ``--jobs``), with ``--jobs
2``, and with ``--scheduler`` on a separately started local Dask cluster (``dask scheduler`` and
two ``dask worker`` processes); the grades must be identical. The whole comparison runs on the
machine as it is, then while two CPU-burning processes started here run. Prints one line for
each, ``BENCH_GRADING notebooks_per_min=<ours> speedup_vs_nbgrader=<nbgrader time / our time>
dask_overhead=<--scheduler time / --jobs 2 time> burners=<0 or 2> load=<1-minute load average
at the start>``.

Run alone: ``.venv/bin/python benchmarks/grading.py [--students 40] [--jobs 2]``.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OVERHEAD_JOBS = 2   # dask_overhead: --scheduler with this many workers against --jobs this many
MIX = ["correct", "wrong", "correct", "exception", "untouched", "correct", "syntax_error", "wrong"]


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _nbgrader(root: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}",
           f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}", "--log-level=ERROR"]
    subprocess.run(cmd, cwd=root, env=_env(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


@contextlib.contextmanager
def dask_cluster(workers: int, memory_mb: int = 2048):
    """``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes on this
    machine, as the README's "Grading on a cluster" starts them; yields the scheduler address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    from grader.cluster import settings_env

    env = {**_env(), **settings_env()}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], **quiet)]
    try:
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                    "--resources", f"memory_mb={memory_mb}"], **quiet)
                  for _ in range(workers)]
        from distributed import Client

        with Client(address, timeout=60) as client:   # setup, not timed
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(30)


def _grade(root: Path, work: Path, assignment: str, *options: str) -> float:
    """Seconds ``python -m grader autograde`` takes for the class under ``root``."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "--workdir", str(work),
                    "--source-dir", str(root / "source"), "autograde", assignment,
                    str(root / "submitted"), "--no-progress", *options],
                   cwd=REPO, env=_env(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _our_grades(work: Path) -> dict:
    from grader import records

    return {(r["student"], c["grade_id"]): float(c["points"])
            for r in records.all_results(work) for c in r["cells"]}


def _nbgrader_grades(root: Path, assignment: str, students: list[str]) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for s in students:
            nb = gb.find_submission_notebook(assignment, assignment, s)
            out.update({(s, g.name): float(g.score) for g in nb.grades})
    return out


def grading_benchmarks(n_students: int = 40, jobs: int | None = None,
                       work_seconds: float = 1.0) -> list[dict]:
    """:func:`grading_benchmark` as the machine is, then beside two CPU burners."""
    from benchmarks.notebooks import Burners

    quiet = grading_benchmark(n_students, jobs, work_seconds)
    with Burners(2):
        loaded = grading_benchmark(n_students, jobs, work_seconds, burners=2)
    return [quiet, loaded]


def grading_benchmark(n_students: int = 40, jobs: int | None = None, work_seconds: float = 1.0,
                      verbose: bool = True, burners: int = 0) -> dict:
    """Grade one synthetic class with serial nbgrader and with our grader; compare.

    Each way runs twice, in mirrored order (nbgrader, ours, ``--jobs 2``, ``--scheduler``, then
    the same backwards), and its time is the mean of its two runs: on a shared machine whose speed
    drifts during the minutes a benchmark takes, a drift that is steady over the run then
    weighs on every way alike instead of on whichever ran last.

    Parameters
    ----------
    n_students : int
        Size of the class (>= 40 for the reported figure).
    jobs : int or None
        Our grader's parallel notebooks (default: its own default, ``--jobs`` not given).
    work_seconds : float
        Approximate compute time of the demonstration cell in each notebook.
    burners : int
        CPU-burning processes the caller runs meanwhile (reported, not started here).

    Returns
    -------
    dict
        ``notebooks``, ``nbgrader_seconds``, ``grader_seconds``, ``scheduler_seconds`` (through
        ``--scheduler`` to a separately started cluster of :data:`OVERHEAD_JOBS` workers),
        ``grader_jobs_seconds`` (``--jobs`` :data:`OVERHEAD_JOBS`), each the mean of two runs,
        ``runs`` (every run's seconds by way), ``notebooks_per_min`` (ours),
        ``nbgrader_notebooks_per_min``, ``speedup_vs_nbgrader``, ``dask_overhead``
        (scheduler_seconds / grader_jobs_seconds), ``identical`` (True; an ``AssertionError``
        is raised otherwise).
    """
    from grader import synthetic

    load = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    runs: dict[str, list[float]] = collections.defaultdict(list)   # seconds by way, run order
    try:
        root = tmp / "course"
        a = synthetic.FIXTURE
        synthetic.make_fixture_source(root / "source", work_seconds)
        students = [f"student{i:03d}" for i in range(n_students)]
        for i, s in enumerate(students):
            path = root / "submitted" / s / a / f"{a}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(synthetic.fixture_submission(MIX[i % len(MIX)], work_seconds), str(path))
        _nbgrader(root, "generate_assignment", a, "--force")      # setup, not timed
        source_db = tmp / "source-gradebook.db"
        shutil.copy(root / "gradebook.db", source_db)

        def nbgrader_run(n):
            shutil.copy(source_db, root / "gradebook.db")   # as generated: nothing graded yet
            shutil.rmtree(root / "autograded", ignore_errors=True)
            t0 = time.perf_counter()
            _nbgrader(root, "autograde", a)
            runs["nbgrader"].append(time.perf_counter() - t0)
            theirs = _nbgrader_grades(root, a, students)
            assert len(theirs) == 3 * n_students, f"nbgrader graded {len(theirs) // 3}/{n_students}"
            return theirs

        def ours(way, n, *options):
            work = tmp / f"{way}-work-{n}"
            runs[way].append(_grade(root, work, a, *options))
            return _our_grades(work)

        def scheduler_run(n):
            with dask_cluster(OVERHEAD_JOBS) as address:
                return ours("scheduler", n, "--scheduler", address)

        ways = {"nbgrader": nbgrader_run,
                "grader": lambda n: ours("grader", n, *(["--jobs", str(jobs)] if jobs else [])),
                "grader_jobs": lambda n: ours("grader_jobs", n, "--jobs", str(OVERHEAD_JOBS)),
                "scheduler": scheduler_run}
        grades = {}
        for n, way in enumerate([*ways, *reversed(ways)]):
            grades[(way, n)] = ways[way](n)
        theirs = grades[("nbgrader", 0)]
        for (way, n), graded in grades.items():
            diff = {k: (theirs.get(k), graded.get(k))
                    for k in set(theirs) | set(graded) if theirs.get(k) != graded.get(k)}
            assert not diff, f"grades differ (nbgrader, {way} {n}): {sorted(diff.items())[:5]}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    nbgrader_s, grader_s, jobs_s, scheduler_s = (
        sum(runs[w]) / len(runs[w]) for w in ("nbgrader", "grader", "grader_jobs", "scheduler"))
    result = {"notebooks": n_students, "jobs": jobs, "nbgrader_seconds": round(nbgrader_s, 1),
              "grader_seconds": round(grader_s, 1), "grader_jobs_seconds": round(jobs_s, 1),
              "runs": {w: [round(t, 1) for t in ts] for w, ts in runs.items()},
              "notebooks_per_min": round(60 * n_students / grader_s, 1),
              "nbgrader_notebooks_per_min": round(60 * n_students / nbgrader_s, 1),
              "speedup_vs_nbgrader": round(nbgrader_s / grader_s, 2),
              "scheduler_seconds": round(scheduler_s, 1),
              "dask_overhead": round(scheduler_s / jobs_s, 2), "identical": True,
              "burners": burners, "load": round(load, 1)}
    if verbose:
        each = "; ".join(f"{w} {', '.join(f'{t:.1f}' for t in ts)}"
                         for w, ts in result["runs"].items())
        ours = f"--jobs {jobs}" if jobs else "(default --jobs)"
        print(f"grading {n_students} notebooks ({burners} CPU burners, load {load:.1f}), mean of "
              f"two runs each: nbgrader serial {nbgrader_s:.1f} s, python -m grader {ours} "
              f"{grader_s:.1f} s, --jobs {OVERHEAD_JOBS} {jobs_s:.1f} s, --scheduler (a "
              f"separately started cluster of {OVERHEAD_JOBS} workers) {scheduler_s:.1f} s; "
              f"grades identical (runs, seconds: {each})")
        print(f"BENCH_GRADING notebooks_per_min={result['notebooks_per_min']} "
              f"speedup_vs_nbgrader={result['speedup_vs_nbgrader']} "
              f"dask_overhead={result['dask_overhead']} burners={burners} "
              f"load={result['load']}", flush=True)
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--work-seconds", type=float, default=1.0)
    args = ap.parse_args()
    grading_benchmarks(args.students, args.jobs, args.work_seconds)
