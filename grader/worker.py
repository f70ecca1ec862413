"""Grade one sanitized submission in a Dask worker process (never touches the gradebook).

The parent hands over (``grade``, the task of ``grader.cluster``) the notebook whose locked
cells nbgrader has already restored from the source, with the source notebook itself; the
worker checks that its installation grades that version, executes the notebook under limits in
a temporary folder, runs every exercise's hidden check in this process against the live kernel
(``grader.trusted``), scans the student's cells for attacks on the grader (flags only), and
returns the executed notebook with the verdicts. Only the parent writes the gradebook.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import nbformat
import psutil

from . import config, registry
from .config import Limits
from .diagnose import diagnose
from .execute import execute_notebook, kernel_env
from .exercises.common import use_secret
from .integrity import scan_submission, summarize
from .sandbox import enforced, remove_tree
from .trusted import run_check

MIN_CPU_SECONDS = 30.0  # CPU seconds any hidden check may use, however cheap its reference
BUDGET_FACTOR = 20.0  # times the reference's declared cost


class VersionMismatch(Exception):
    """This worker's installation grades differently from the grading run's."""


def check_version(job: dict) -> None:
    """Refuse a job whose version hash (source notebook, ``course/``, ``grader/``) differs from
    what this worker's installation computes for the same source notebook."""
    mine = _installed_version(job["source_name"], job["source_nb"].encode())
    if mine != job["version"]:
        raise VersionMismatch(
            f"worker {socket.gethostname()} ({config.REPO}) grades {job['assignment']} as version "
            f"{mine}, the grading run as {job['version']}: install the grading machine's commit "
            "of numpy-nn-course on every worker (git checkout <commit>, then pip install -e "
            "'.[grader]') and restart its dask worker")


@functools.lru_cache(maxsize=16)
def _installed_version(source_name: str, source: bytes) -> str:
    """Computed once per worker process and source notebook, close to when its code was
    imported: restart a worker after updating its installation."""
    return config.installed_version(source_name, source)


def grade(job: dict) -> dict:
    """The Dask task (``grader.cluster``): check the version, then :func:`run_job` with this
    worker's own copy of the kernel's ``course/`` and its own caches, reporting each exercise's
    verdict to the parent as it is decided."""
    from .cluster import report_verdict

    check_version(job)
    root = kernel_course(job["assignment"], job["version"])
    job = {**job, "source": str(source_copy(job)), "code_paths": [str(root / "course")],
           "env": {**kernel_extra_env(), "PYTHONPATH": str(root)}}
    return run_job(job, on_verdict=lambda g, v: report_verdict(job["key"], g, v))


def _cache() -> Path:
    """This machine's cache for grading: stripped ``course/`` copies, source notebooks."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("numpy-nn-course"))


def _publish(folder: Path, build) -> Path:
    """``folder``, built by ``build(staging)`` once (concurrent workers: the first rename wins)."""
    if not folder.exists():
        staging = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        build(staging)
        with contextlib.suppress(OSError):
            staging.rename(folder)
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def kernel_course(assignment: str, version: str) -> Path:
    """The folder a grading kernel of ``assignment`` imports ``course`` from: the stripped
    ``course/`` of that assignment's student bundle (no reference answer of this notebook or a
    later one), built once per version in this machine's cache."""
    from .bundle import stripped_course

    return _publish(_cache() / "kernel-course" / f"{assignment}-{version}", lambda d:
                    stripped_course(assignment, d))


def source_copy(job: dict) -> Path:
    """The job's source notebook as a file of this machine (checks and diagnoses read it),
    outside any folder a kernel sees."""
    def write(folder):
        folder.mkdir(parents=True)
        (folder / f"{job['assignment']}.ipynb").write_text(job["source_nb"], encoding="utf-8")

    folder = _publish(_cache() / "sources" / f"{job['assignment']}-{job['version']}", write)
    return folder / f"{job['assignment']}.ipynb"


def _build_font_list(folder: str) -> None:
    """Have matplotlib write its font list into the shared cache ``folder`` once: sandboxed
    kernels start from a copy of it and cannot write the shared cache themselves."""
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True,
                   env={**os.environ, "MPLCONFIGDIR": folder}, timeout=300, check=False)


@functools.lru_cache(maxsize=1)
def kernel_extra_env() -> dict:
    """Variables a kernel needs from this machine: where MNIST is cached and a shared
    matplotlib cache (so that every kernel does not rebuild the font list)."""
    env = {"MPLCONFIGDIR": str(_cache() / "matplotlib")}
    Path(env["MPLCONFIGDIR"]).mkdir(parents=True, exist_ok=True)
    if not any(Path(env["MPLCONFIGDIR"]).glob("fontlist-*.json")):
        _build_font_list(env["MPLCONFIGDIR"])
    try:
        from course.data import cache_dir
        env["COURSE_DATA_DIR"] = str(cache_dir())
    except Exception:   # no course package: the fixture notebooks do not need data
        pass
    return env


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


def _plain(verdict) -> dict:
    return {"passed": verdict.passed, "message": verdict.message, "status": verdict.status}


def grade_cell_checker(assignment: str, source: Path, channel: Path, verdicts: dict,
                       on_verdict=None):
    """The ``on_grade_cell`` hook: run the exercise's hidden check here, against the kernel;
    ``on_verdict(grade_id, verdict as a dict)`` hears each decision."""

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
        if on_verdict is not None:
            on_verdict(grade_id, _plain(verdict))
        return verdict.status not in ("time limit", "kernel exited")

    return check


def run_job(job: dict, on_verdict=None) -> dict:
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
    _remove_abandoned_runs()
    tmp = Path(tempfile.mkdtemp(prefix=f"grader-run-{os.getpid()}-")).resolve()
    try:
        cwd, home = tmp / "work", tmp / "home"
        for d in (cwd, home, tmp / "channel"):   # the sandboxed kernel may write these only
            d.mkdir()
        nbformat.write(nb, str(cwd / f"{job['assignment']}.ipynb"))
        env = kernel_env(home, job.get("env", {}))
        checker = grade_cell_checker(
            job["assignment"], Path(job["source"]), tmp / "channel", verdicts, on_verdict
        )
        box = {"run_dir": tmp, "code": job.get("code_paths", []), "exclude": []}
        with use_secret(job["secret"]):
            executed, events = execute_notebook(nb, cwd, limits, env, box, on_grade_cell=checker)
        applied = enforced(tmp)
    finally:
        remove_tree(tmp)
    return {
        "nb": nbformat.writes(executed),
        "events": events,
        "sandbox": applied,
        "verdicts": {g: _plain(v) for g, v in verdicts.items()},
        "flags": _integrity_flags(nb, source_nb),
        "seconds": time.monotonic() - started,
    }


def _remove_abandoned_runs() -> None:
    """Delete the run folders of grading processes that no longer exist (a worker killed in
    the middle of a notebook never reaches its own clean-up): ``grader-run-<pid>-*``."""
    for folder in Path(tempfile.gettempdir()).glob("grader-run-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            remove_tree(folder)


def limits_dict(limits: Limits) -> dict:
    return asdict(limits)
