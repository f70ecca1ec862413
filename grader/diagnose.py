"""Name the likely mistake behind a failed exercise, from the bug catalog.

Sealed grading keeps a recording of what the student's functions returned on the hidden
inputs. For each catalogued bug of the failed exercise we run the same hidden check on the
reference solution *with that bug applied*, record it the same way, and compare the two
recordings. When they agree everywhere the student's code behaves exactly like that bug, and the
feedback shows the bug's diagnosis (never the hidden inputs or code).
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import tempfile
from pathlib import Path

import numpy as np

from grader.bugs import harness
from grader.hidden import sealed


def load_record(stem: Path):
    """The JSON skeleton and arrays of one recording, or None when unreadable."""
    try:
        record = json.loads(Path(f"{stem}.json").read_text())
        with np.load(f"{stem}.npz", allow_pickle=False) as npz:
            return record, {k: npz[k] for k in npz.files}
    except Exception:
        return None


def same_tree(a, b, arrays_a, arrays_b, rtol=1e-6, atol=1e-9) -> bool:
    """Whether two encoded values agree (arrays within tolerance, same structure)."""
    if a.get("t") != b.get("t"):
        return False
    t = a["t"]
    if t == "arr":
        x, y = arrays_a[a["k"]], arrays_b[b["k"]]
        if x.shape != y.shape:
            return False
        if not (np.issubdtype(x.dtype, np.number) and np.issubdtype(y.dtype, np.number)):
            return bool(np.array_equal(x, y))
        return bool(np.allclose(x.astype(float), y.astype(float), rtol=rtol, atol=atol,
                                equal_nan=True))
    if t in ("tuple", "list", "iter"):
        return len(a["v"]) == len(b["v"]) and all(
            same_tree(u, v, arrays_a, arrays_b) for u, v in zip(a["v"], b["v"]))
    if t == "dict":
        return a["v"].keys() == b["v"].keys() and all(
            same_tree(a["v"][k], b["v"][k], arrays_a, arrays_b) for k in a["v"])
    if t == "float":
        return bool(np.isclose(float(a["v"]), float(b["v"]), rtol=rtol, atol=atol, equal_nan=True))
    return a.get("v") == b.get("v")


def same_behaviour(student, buggy) -> bool:
    """Whether two recordings of one check show the same outputs and in-place changes."""
    (rs, arr_s), (rb, arr_b) = student, buggy
    if rs["functions"].keys() != rb["functions"].keys() or rs["data"].keys() != rb["data"].keys():
        return False
    if not any(rs["functions"].values()) and not rs["data"]:
        return False  # nothing was recorded: nothing to compare
    for slot, calls in rs["functions"].items():
        other = rb["functions"][slot]
        if len(calls) != len(other):
            return False
        for c, d in zip(calls, other):
            if ("raised" in c) != ("raised" in d):
                return False
            if "raised" not in c and not (same_tree(c["out"], d["out"], arr_s, arr_b)
                                          and same_tree(c["args_after"], d["args_after"], arr_s, arr_b)):
                return False
    return all(same_tree(v, rb["data"][k], arr_s, arr_b) for k, v in rs["data"].items())


def record_buggy_cell(nb, bug, grade_cell, out_dir: Path) -> None:
    """Run the hidden block of ``grade_cell`` on the solution with ``bug`` applied, recording."""
    namespace = harness.solution_namespace(nb, harness.apply_bug(nb, bug))
    block = sealed.hidden_block(grade_cell.source)
    try:
        with harness.sealed_recording(out_dir), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, f"<hidden {bug.id}>", "exec"), namespace)
    except Exception:
        pass  # the bug is supposed to fail the check; the recording is what we want


@functools.lru_cache(maxsize=64)
def check_keys(assignment: str, grade_id: str) -> tuple:
    """Record names of the hidden checks a grade cell calls."""
    nb = harness.load_solution(assignment)
    cell = next((c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == grade_id), None)
    if cell is None:
        return ()
    return tuple(f"{m}.{f}" for m, f, _, _ in sealed.hidden_calls(cell.source))


def _attempted(assignment: str, grade_id: str, student_dir: Path) -> bool:
    keys = check_keys(assignment, grade_id)
    records = [load_record(student_dir / k) for k in keys]
    return bool(keys) and all(
        r is not None and not any(c.get("raised", "").startswith("NotImplementedError")
                                  for calls in r[0]["functions"].values() for c in calls)
        for r in records)


@functools.lru_cache(maxsize=512)
def buggy_records(assignment: str, grade_id: str, bug_id: str) -> dict | None:
    """Recordings of the hidden checks of ``grade_id`` on the solution with one bug applied
    (computed once per process: a class of 300 shares them)."""
    nb = harness.load_solution(assignment)
    bug = next(b for b in harness.catalog_module(assignment).BUGS if b.id == bug_id)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == grade_id)
    keys = [f"{m}.{f}" for m, f, _, _ in sealed.hidden_calls(cell.source)]
    with tempfile.TemporaryDirectory() as tmp:
        record_buggy_cell(nb, bug, cell, Path(tmp))
        records = {k: load_record(Path(tmp) / k) for k in keys}
    return None if any(r is None for r in records.values()) else records


def diagnose(assignment: str, grade_id: str, student_dir: Path) -> list[str]:
    """Diagnoses of the catalogued bugs whose behaviour the student's recording matches.

    Parameters
    ----------
    assignment : str
        Assignment id, e.g. ``"01_linear_regression"``.
    grade_id : str
        The failed grade cell, e.g. ``"test_mse_gradients"``.
    student_dir : Path
        The sealed recordings of the student's kernel.
    """
    try:
        module = harness.catalog_module(assignment)
    except ImportError:  # an assignment without a catalog
        return []
    if grade_id in getattr(module, "NO_DIAGNOSIS", ()):
        return []
    if not _attempted(assignment, grade_id, Path(student_dir)):
        return []  # nothing recorded, or an exercise left undone: no bug to name
    bugs = [b for b in module.BUGS if grade_id in b.failing_cells()]
    found = []
    for bug in bugs:
        buggy = buggy_records(assignment, grade_id, bug.id)
        if not buggy:
            continue
        student = {k: load_record(Path(student_dir) / k) for k in buggy}
        if all(student[k] is not None and same_behaviour(student[k], buggy[k]) for k in buggy):
            found.append(bug.diagnosis)
    return found
