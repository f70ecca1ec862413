"""Grade one sanitized submission in a worker process (never touches the gradebook).

The parent hands over the notebook whose locked cells nbgrader has already restored from the
source; the worker executes it under limits in a temporary folder, runs every exercise's hidden
check in this process against the live kernel (``grader.trusted``), scans the student's cells
for attacks on the grader (flags only), and returns the executed notebook with the verdicts.
Only the parent writes the gradebook.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import nbformat

from . import registry
from .config import Limits
from .diagnose import diagnose
from .execute import execute_notebook, kernel_env
from .exercises.common import use_secret
from .integrity import scan_submission, summarize
from .sandbox import enforced
from .trusted import run_check

MIN_CPU_SECONDS = 30.0  # CPU seconds any hidden check may use, however cheap its reference
BUDGET_FACTOR = 20.0  # times the reference's declared cost


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker (and so its kernel, which watches us) when the grading process is gone
    (e.g. SIGKILL): it no longer exists, or our own parent (the fork server) went with it."""
    first_ppid = os.getppid()

    def loop():
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            if os.getppid() != first_ppid:
                os._exit(1)

    threading.Thread(target=loop, daemon=True).start()


def serve(conn, parent_pid: int) -> None:
    """A worker process of ``grader.pool``: grade each job received on ``conn`` until None."""
    _watch_parent(parent_pid)
    while (job := conn.recv()) is not None:
        try:
            out = run_job(job)
        except Exception as exc:  # noqa: BLE001 (the parent records it for this submission)
            out = {"error": f"{type(exc).__name__}: {str(exc)[:150]}"}
        conn.send(out)


def _integrity_flags(nb, source_nb) -> list[str]:
    try:
        summary = summarize(scan_submission(nb, source_nb))
    except Exception:  # the scan is advisory; a parse failure is not the student's problem
        return []
    return [f"review: {summary}"] if summary else []


def _diagnoses(exercise, verdict, source: Path) -> list[str]:
    """The catalogued mistakes the student's answers match (advisory: never costs a grade)."""
    try:
        return diagnose(exercise, verdict.transcript, source)
    except Exception:
        return []


def grade_cell_checker(assignment: str, source: Path, channel: Path, verdicts: dict):
    """The ``on_grade_cell`` hook: run the exercise's hidden check here, against the kernel."""

    def check(grade_id, session):
        exercise = registry.exercise(assignment, grade_id)
        transport = session.transport(
            cpu_budget=max(MIN_CPU_SECONDS, BUDGET_FACTOR * exercise.budget), channel=channel
        )
        verdict = run_check(exercise, transport)
        if not verdict.passed and verdict.status == "failed":
            verdict.message = "; ".join(
                [verdict.message]
                + [f"Likely mistake: {d}" for d in _diagnoses(exercise, verdict, source)]
            )
        verdicts[grade_id] = verdict
        return verdict.status not in ("time limit", "kernel exited")

    return check


def run_job(job: dict) -> dict:
    """Execute one submission and decide its grade cells.

    ``job`` keys: ``nb`` (notebook JSON), ``assignment``, ``source`` (path of the source
    notebook), ``limits`` (dict), ``env`` (extra kernel env), ``workdir`` (the grading
    directory, hidden from the kernel), ``secret`` (this run's hidden-input secret).
    Returns ``{"nb": executed JSON, "events": [...], "verdicts": {grade_id: {...}},
    "flags": [...], "seconds": float, "sandbox": what was in force
    (``grader.sandbox.enforced``)}``. ``code_paths``: the folders the sandboxed kernel may
    import from (the stripped ``course/`` of the assignment's bundle).
    """
    started = time.monotonic()
    nb = nbformat.reads(job["nb"], as_version=4)
    source_nb = nbformat.read(job["source"], as_version=4)
    limits = Limits(**job["limits"])
    verdicts: dict = {}
    with tempfile.TemporaryDirectory(prefix="grader-run-") as tmp:
        tmp = Path(tmp).resolve()
        cwd, home = tmp / "work", tmp / "home"
        for d in (cwd, home, tmp / "channel"):   # the sandboxed kernel may write these only
            d.mkdir()
        nbformat.write(nb, str(cwd / f"{job['assignment']}.ipynb"))
        env = kernel_env(home, job.get("env", {}))
        checker = grade_cell_checker(
            job["assignment"], Path(job["source"]), tmp / "channel", verdicts
        )
        box = {"run_dir": tmp, "code": job.get("code_paths", []), "exclude": []}
        with use_secret(job["secret"]):
            executed, events = execute_notebook(nb, cwd, limits, env, box, on_grade_cell=checker)
        applied = enforced(tmp)
    return {
        "nb": nbformat.writes(executed),
        "events": events,
        "sandbox": applied,
        "verdicts": {
            g: {"passed": v.passed, "message": v.message, "status": v.status}
            for g, v in verdicts.items()
        },
        "flags": _integrity_flags(nb, source_nb),
        "seconds": time.monotonic() - started,
    }


def limits_dict(limits: Limits) -> dict:
    return asdict(limits)
