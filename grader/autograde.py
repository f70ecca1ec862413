"""Autograde a class: discover, sanitize (nbgrader), execute in parallel, record, gradebook.

Only this (parent) process writes the gradebook; workers execute notebooks and return them.
A run can be killed at any moment and restarted: a submission is regraded only when its
content or the assignment's version (``config.version_hash``) changed, and
its gradebook entry is rewritten from the stored executed notebook when a run died between
grading it and saving the scores (nbgrader's SaveAutoGrades sets scores, never adds them).
"""
from __future__ import annotations

import ast
import contextlib
import logging
import secrets
import unittest.mock
import warnings
from pathlib import Path

import nbformat
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.api import Gradebook
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
    overwritecells,
    overwritekernelspec,
    saveautogrades,
)
from nbgrader.utils import is_grade
from tqdm import tqdm

from . import cluster, config, records, registry, release, students, submissions
from .execute import DISK_QUOTA, KERNEL_DIED, NOT_RUN, OUT_OF_MEMORY, TIMEOUT
from .worker import limits_dict

STOPPED = {TIMEOUT: "time limit", OUT_OF_MEMORY: "out of memory", KERNEL_DIED: "kernel exited",
           NOT_RUN: "not run", DISK_QUOTA: "disk quota"}

config.patch_nbgrader()


def _resources(work: Path, student: str, assignment: str) -> dict:
    return {"nbgrader": {"student": student, "assignment": assignment, "notebook": assignment,
                         "db_url": config.db_url(work)}}


def sanitize(nb, work: Path, student: str, assignment: str):
    """nbgrader's autograde sanitizing: clear outputs, drop duplicated ids, restore the
    kernelspec and every locked cell (the grade cells) from the gradebook."""
    resources = _resources(work, student, assignment)
    for pp in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(), OverwriteCells(), CheckCellMetadata()):
        pp.log.setLevel(logging.ERROR)   # a changed checksum is reported in the record
        nb, resources = pp.preprocess(nb, resources)
    return nb


def test_name(source: str) -> str:
    """The one-line docstring that opens a grade cell (what the test checks)."""
    try:
        doc = ast.get_docstring(ast.parse(source))
    except SyntaxError:
        doc = None
    return (doc or source.strip().split("\n")[0].strip("\"' ")).split("\n")[0][:200]


def build_record(sub, key: str, nb, out: dict) -> dict:
    """Our grade record of one executed submission: points come only from the trusted verdicts
    (``out["verdicts"]``); what the cells printed or raised in the kernel counts for nothing."""
    stopped = {registry.nbgrader_meta(nb.cells[e["cell"]]).get("grade_id"): e
               for e in out.get("events", []) if e["cell"] < len(nb.cells)}
    verdicts = out.get("verdicts", {})
    cells = []
    for cell in nb.cells:
        if not is_grade(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        exercise = registry.exercise(sub.assignment, grade_id)
        verdict = verdicts.get(grade_id)
        if grade_id in stopped:
            status, message = STOPPED[stopped[grade_id]["reason"]], stopped[grade_id]["message"]
        elif verdict is None:
            status = STOPPED[NOT_RUN]
            message = out.get("lost") or "not run: the notebook stopped before this cell"
        else:
            status, message = verdict["status"], verdict["message"]
        passed = status == "passed"
        cells.append({"grade_id": grade_id, "name": test_name(cell.source),
                      "points": float(exercise.points) if passed else 0.0,
                      "max_points": float(exercise.points), "status": status,
                      "message": "" if passed else message})
    flags = list(sub.flags) + sorted({c["status"] for c in cells if c["status"] in STOPPED.values()})
    flags += [f"{STOPPED[e['reason']]} in ungraded cell {e['cell']}" for e in out.get("events", [])
              if e["cell"] < len(nb.cells) and not is_grade(nb.cells[e["cell"]])]
    flags += out.get("flags", []) + (["worker lost"] if "lost" in out else [])
    return {"student": sub.student, "assignment": sub.assignment, "key": key, "status": "graded",
            "origin": sub.origin, "flags": flags, "problem": None, "cells": cells,
            "score": sum(c["points"] for c in cells), "max_score": sum(c["max_points"] for c in cells),
            "seconds": round(out.get("seconds", 0.0), 2), "sandbox": out.get("sandbox"),
            "synced": False}


def invalid_record(sub, max_score: float = 0.0) -> dict:
    return {"student": sub.student, "assignment": sub.assignment, "key": "", "status": "invalid",
            "origin": sub.origin, "flags": list(sub.flags), "problem": sub.problem, "cells": [],
            "score": 0.0, "max_score": max_score, "seconds": 0.0, "synced": True}


def autograded_path(work: Path, student: str, assignment: str) -> Path:
    return Path(work) / "autograded" / student / assignment / f"{assignment}.ipynb"


@contextlib.contextmanager
def run_gradebook(work: Path):
    """The gradebook of ``work``, opened once for a whole run and shared with nbgrader's
    preprocessors (OverwriteCells, OverwriteKernelspec, SaveAutoGrades). Each of them opens the
    gradebook afresh for every notebook (a new engine: table checks, the course row, every query
    compiled again), five opens per submission with ours: while the run lasts, their
    ``Gradebook(db_url)`` of this gradebook returns this one. Closing it between notebooks, as
    they do, only ends its session; the next use reconnects."""
    url = config.db_url(work)
    gb = Gradebook(url, config.COURSE_ID)

    def shared(db_url, *args, **kwargs):
        return gb if db_url == url and not (args or kwargs) else Gradebook(db_url, *args, **kwargs)

    with contextlib.ExitStack() as stack:
        for module in (overwritecells, overwritekernelspec, saveautogrades):
            stack.enter_context(unittest.mock.patch.object(module, "Gradebook", shared))
        stack.callback(gb.close)
        yield gb


def save_to_gradebook(gb: Gradebook, work: Path, record: dict, nb) -> None:
    """Record a graded submission in nbgrader's gradebook ``gb`` (:func:`run_gradebook`):
    nbgrader's SaveAutoGrades stores the executed notebook's cells, then every grade cell's
    score is set from our record (the trusted verdicts), whatever the outputs say. Idempotent."""
    student, assignment = record["student"], record["assignment"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # SQLAlchemy "not in session" chatter from nbgrader's models
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student)
        SaveAutoGrades().preprocess(nb, _resources(work, student, assignment))
        for cell in record["cells"]:
            grade = gb.find_grade(cell["grade_id"], assignment, assignment, student)
            grade.auto_score = cell["points"]
        gb.db.commit()


def _annotate(nb, record: dict) -> None:
    """Say in each grade cell of the stored notebook what the hidden tests decided (for
    formgrader), as a plain stdout line."""
    by_id = {c["grade_id"]: c for c in record["cells"]}
    for cell in nb.cells:
        result = by_id.get(registry.nbgrader_meta(cell).get("grade_id"))
        if result and is_grade(cell):
            what = "passed" if result["status"] == "passed" else f"{result['status']}: {result['message']}"
            cell.outputs.append(nbformat.v4.new_output(
                "stream", name="stdout",
                text=f"[grader] hidden tests {what} ({result['points']:g}/{result['max_points']:g} points)\n"))


def disarm(nb) -> None:
    """Nothing a student wrote may run in the instructor's browser when formgrader or nbconvert
    renders the autograded notebook: nbconvert's SanitizeHTML (bleach) escapes the markup of
    every output and of each markdown or raw cell the student could edit (locked cells come from
    the source notebook) and drops script outputs; stored widget state goes too."""
    sanitizer = SanitizeHTML()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = sanitizer.sanitize_code_outputs(cell.outputs)
        elif not registry.nbgrader_meta(cell).get("locked"):
            cell.source = sanitizer.sanitize_html_tags(cell.source)
    nb.metadata.pop("widgets", None)


def _finish(gb: Gradebook, work: Path, sub, key: str, out: dict) -> dict:
    nb = nbformat.reads(out["nb"], as_version=4)
    nb, _ = LimitOutput().preprocess(nb, {})
    disarm(nb)
    # a notebook whose worker was lost twice keeps what it completed; the next run tries again
    record = build_record(sub, "" if "lost" in out else key, nb, out)
    _annotate(nb, record)
    records.atomic_write(autograded_path(work, sub.student, sub.assignment), nbformat.writes(nb))
    records.write_result(work, record)          # 1. the grade is safe on disk
    save_to_gradebook(gb, work, record, nb)     # 2. nbgrader's gradebook
    record["synced"] = True
    records.write_result(work, record)          # 3. both done
    return record


def _resync(gb: Gradebook, work: Path, record: dict) -> bool:
    """Finish a record whose run died before the gradebook was written; False if impossible."""
    path = autograded_path(work, record["student"], record["assignment"])
    if not path.is_file():
        return False
    save_to_gradebook(gb, work, record, nbformat.read(str(path), as_version=4))
    record["synced"] = True
    records.write_result(work, record)
    return True


def autograde(spec: str, submissions_path: Path, work: Path, *, jobs: int | None = None,
              limits: config.Limits = config.Limits(), source_dir: Path = config.SOLUTIONS,
              progress: bool = True, roster: dict | None = None,
              scheduler: str | None = None) -> list[dict]:
    """Grade every submission of the assignment(s) ``spec`` (an id or ``"all"``) found under
    ``submissions_path`` (folder tree, zip, or Canvas download). Returns the records of this run,
    valid and invalid, in discovery order. ``roster`` (``students.read_roster``) names the
    students in the gradebook; ``<work>/nbgrader_config.py`` is (re)written for nbgrader's tools.
    Notebooks run on a Dask LocalCluster of ``jobs`` workers (default:
    ``cluster.default_jobs``, one more than the CPUs), or on the
    cluster of the scheduler at ``scheduler`` (``grader.cluster``)."""
    assignments = config.resolve_assignments(spec, source_dir)
    known = config.list_assignments(source_dir)
    work = Path(work)
    for a in assignments:
        release.ensure_gradebook(a, work, source_dir)
    config.write_nbgrader_config(work)
    sources = {a: work / "source" / a / f"{a}.ipynb" for a in assignments}
    expected = {a: submissions.grade_ids(nbformat.read(str(p), as_version=4)) for a, p in sources.items()}
    entries = {a: config.source_entry(a, source_dir) for a in assignments}
    versions = {a: config.installed_version(*entries[a]) for a in assignments}   # version_hash
    results: dict[int, dict] = {}
    pending = []
    with submissions.working_dir() as tmp, run_gradebook(work) as gb:
        subs = submissions.discover(submissions.unpack(Path(submissions_path), Path(tmp)), assignments, known)
        with_file = {(s.student, s.assignment) for s in subs if s.path is not None}
        for n, sub in enumerate(subs):
            if sub.problem is None:
                sub.data, sub.problem = submissions.read_submission(sub.path)
            if sub.problem is None:
                nb, sub.problem = submissions.check_notebook(sub.data, expected[sub.assignment])
            if sub.problem is not None:
                results[n] = invalid_record(sub)
                if (sub.assignment in assignments and submissions.STUDENT_ID.match(sub.student)
                        and (sub.path is not None or (sub.student, sub.assignment) not in with_file)):
                    records.write_result(work, results[n])
                continue
            key = f"{sub.sha256()[:32]}:{versions[sub.assignment]}"
            old = records.read_result(work, sub.assignment, sub.student)
            if old and old.get("key") == key and old.get("status") == "graded":
                if old.get("synced") or _resync(gb, work, old):
                    results[n] = old
                    continue
            pending.append((n, sub, key, nb))

        secret = secrets.token_hex(16)   # this run's hidden inputs: unknown to anyone before it

        def prepare(n, sub, nb):
            """nbgrader's sanitizing, done in this process while the workers execute."""
            records.atomic_write(work / "submitted" / sub.student / sub.assignment / f"{sub.assignment}.ipynb",
                                 sub.data)
            try:
                clean = sanitize(nb, work, sub.student, sub.assignment)
            except Exception as exc:   # nbgrader refused the notebook (e.g. inconsistent cells)
                sub.problem = f"nbgrader could not sanitize it ({type(exc).__name__}: {str(exc)[:150]})"
                results[n] = invalid_record(sub)
                records.write_result(work, results[n])
                return None
            name, source = entries[sub.assignment]
            return {"nb": nbformat.writes(clean), "assignment": sub.assignment, "source_name": name,
                    "source_nb": source.decode("utf-8"), "version": versions[sub.assignment],
                    "limits": limits_dict(limits), "secret": secret}

        _run(pending, results, work, prepare, limits, progress, gb=gb, jobs=jobs,
             scheduler=scheduler)
        students.update_gradebook(work, subs, roster)
    return [results[n] for n in sorted(results)]


def _run(pending, results, work, prepare, limits, progress, *, gb, jobs, scheduler) -> None:
    """Execute the pending submissions on the cluster (``grader.cluster``). Each is sanitized
    (``prepare``) and submitted while the workers already run earlier ones, and recorded as soon
    as it completes into the records and the run's gradebook ``gb``; a worker that dies, stops
    or wedges costs only the submission it holds."""
    if not pending:
        return
    bar = tqdm(total=len(pending), unit="nb", desc="grading", disable=not progress, smoothing=0.1)

    def job_of(item):
        job = prepare(*item[:2], item[3])
        if job is None:
            bar.update(1)
        return job

    def done(item, out):
        n, sub, key, _nb = item
        results[n] = _finish(gb, work, sub, key, out)
        bar.update(1)

    def on_problem(item, reason):
        n, sub, _key, _nb = item
        sub.problem = f"not graded ({reason}); run again"
        results[n] = invalid_record(sub)
        records.write_result(work, results[n])
        bar.update(1)

    with cluster.connect(jobs, scheduler, limits.memory_mb) as client:
        cluster.run(client, pending, job_of, done, on_problem,
                    limits.notebook_timeout * limits.wall_factor, limits.memory_mb)
    bar.close()
