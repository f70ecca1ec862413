"""Notebook times with and without the BLAS thread policy, on a quiet and on a loaded machine.

Every solution notebook is executed top to bottom by nbclient in a fresh kernel of this
Python, working directory its own folder, four ways taken in turn:

- ``policy``: what ``import course`` sets with no thread variables in the environment (one
  BLAS thread, ``course/__init__.py``);
- ``none``: ``COURSE_BLAS_THREADS=none`` and no thread variables, i.e. BLAS's own default of
  one thread per core (what a kernel got before the policy);
- each of the two quiet, and again while two CPU-burning processes started here run
  (``loaded``); they are stopped after each loaded pair.

Prints one row per notebook with the four times (seconds), its budget and the load average
before and after; a notebook that fails prints the error instead of its time.

Run: ``make bench-notebooks`` or ``.venv/bin/python benchmarks/notebooks.py [01 04 ...]``.
It takes about an hour on the 2-core course machine.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from course import THREAD_VARIABLES

REPO = Path(__file__).resolve().parent.parent

#: Seconds each notebook may take under load (the issue's budgets).
BUDGETS = {"01": 45, "02": 60, "03": 60, "04": 120, "05": 120, "06": 480}
CELL_TIMEOUT = 1800
BURNER = "while True: pass"


def notebooks(selected=None):
    """The solution notebooks, {"01": path, ...}, optionally only the ``selected`` numbers."""
    found = {p.name[:2]: p for p in sorted(REPO.glob("solutions/*/*.ipynb"))}
    return {k: v for k, v in found.items() if not selected or k in selected}


def kernel_env(policy):
    """The environment of the kernel: ours without thread variables; ``none`` turns course's off."""
    env = {k: v for k, v in os.environ.items()
           if k not in THREAD_VARIABLES and k != "COURSE_BLAS_THREADS"}
    env["MPLBACKEND"] = "Agg"
    if policy == "none":
        env["COURSE_BLAS_THREADS"] = "none"
    return env


def execute(path, policy):
    """Seconds to execute the notebook at ``path`` in a new kernel, or the error it raised."""
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute(env=kernel_env(policy), stderr=subprocess.DEVNULL)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:  # report, go on
        return f"{type(error).__name__}"
    return time.perf_counter() - t0


class Burners:
    """Two processes that keep a CPU busy each, for as long as the ``with`` block runs.

    Each burner starts in a session of its own, as another user's job on a shared machine
    runs. Linux with ``kernel.sched_autogroup_enabled=1`` (as on the course machine) shares the
    CPU fairly between sessions, not processes: burners in the benchmark's own session would
    compete only with the processes of that session (the grading parent and its Dask workers)
    while kernels, which start sessions of their own, escaped them, which made loaded figures
    neither realistic nor comparable.
    """

    def __init__(self, count=2):
        self.count = count
        self.procs = []

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", BURNER], start_new_session=True)
                      for _ in range(self.count)]
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.kill()
            proc.wait()
        self.procs = []


def _load():
    return f"{os.getloadavg()[0]:.1f}"


def _cell(value):
    return f"{value:7.1f}" if isinstance(value, float) else f"{value[:7]:>7}"


def run(selected=None):
    """Execute the notebooks four ways and print the table; returns {nn: {variant: time}}."""
    print(f"{os.cpu_count()} CPUs; load average at start {_load()}", flush=True)
    print(f"{'nb':4} {'quiet':>15} {'2 burners':>15} {'budget':>7}  load before/after")
    print(f"{'':4} {'policy':>7} {'none':>7} {'policy':>7} {'none':>7}", flush=True)
    table = {}
    for nn, path in notebooks(selected).items():
        before = _load()
        times = {("quiet", policy): execute(path, policy) for policy in ("policy", "none")}
        with Burners():
            for policy in ("policy", "none"):
                times["loaded", policy] = execute(path, policy)
        table[nn] = times
        row = " ".join(_cell(times[k]) for k in
                       [("quiet", "policy"), ("quiet", "none"), ("loaded", "policy"),
                        ("loaded", "none")])
        print(f"{nn:4} {row} {BUDGETS.get(nn, 0):7d}  {before}/{_load()}", flush=True)
    loaded = [(nn, t["loaded", "policy"]) for nn, t in table.items()]
    within = all(isinstance(t, float) and t <= BUDGETS.get(nn, float("inf")) for nn, t in loaded)
    print(f"BENCH_NOTEBOOKS within_budget_loaded_with_policy={'yes' if within else 'no'}")
    return table


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebook numbers, e.g. 04 05 (default: all)")
    run(ap.parse_args().notebooks)
