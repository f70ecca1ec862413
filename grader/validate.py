"""``python -m grader validate <notebook>``: run a notebook with its visible tests only.

For a student before submitting (or an instructor checking one file): the notebook runs in a
fresh kernel under the grading limits, hidden tests removed; the report says, per exercise,
whether its visible tests pass and why not, and warns about problems that would stop the
notebook from being graded at all (renamed file, deleted or copied exercise cells).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput
from nbgrader.utils import is_grade

from . import config, submissions
from .autograde import STOPPED, test_name
from .execute import execute_notebook, kernel_env


def _expected_ids(name: str, source_dir: Path):
    path = Path(source_dir) / name / f"{name}.ipynb"
    if not path.is_file():
        return None
    return submissions.grade_ids(nbformat.read(str(path), as_version=4))


def visible_failure(cell) -> str | None:
    """Why a grade cell's visible tests failed (the error's name and first line), or None.
    Output on stderr is not a failure: progress bars and warnings are fine."""
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            value = str(out.get("evalue", "")).strip().split("\n")[0][:500]
            return f"{out.ename}: {value}" if value else out.ename
    return None


def validate(path: Path, limits: config.Limits = config.Limits(), source_dir: Path = config.SOLUTIONS) -> int:
    """Print a report; return 0 when every visible test passes, 1 otherwise, 2 if unreadable."""
    name = Path(path).stem
    expected = _expected_ids(name, source_dir)
    nb, problem = submissions.check_notebook(Path(path), expected or [])
    if problem:
        print(f"{path}: cannot be graded: {problem}")
        return 2
    if expected is None and config.list_assignments(source_dir):
        print(f"note: {Path(path).name} is not named like an assignment "
              f"({', '.join(config.list_assignments(source_dir))}); it would not be graded")
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    nb, _ = ClearOutput().preprocess(nb, {})
    with tempfile.TemporaryDirectory(prefix="grader-validate-") as tmp:
        tmp = Path(tmp)
        (tmp / "work").mkdir()
        (tmp / "home").mkdir()
        nbformat.write(nb, str(tmp / "work" / Path(path).name))
        executed, events = execute_notebook(nb, tmp / "work", limits, kernel_env(tmp / "home"))
    stopped = {e["cell"]: e for e in events}
    ok = True
    print(f"{Path(path).name}: visible tests only (hidden tests run at grading time)")
    for i, cell in enumerate(executed.cells):
        if not is_grade(cell):
            continue
        max_points = cell.metadata.nbgrader.get("points", 0)
        error = visible_failure(cell)
        gid = cell.metadata.nbgrader["grade_id"].removeprefix("test_")
        if i in stopped:
            ok = False
            print(f"  STOP  {gid}: {STOPPED[stopped[i]['reason']]} - {stopped[i]['message']}")
        elif error is not None and error.startswith("NotImplementedError"):
            ok = False
            print(f"  TODO  {gid} ({max_points:g} points): not attempted yet")
        elif error is None:
            print(f"  PASS  {gid} ({max_points:g} points): {test_name(cell.source)}")
        else:
            ok = False
            print(f"  FAIL  {gid}: {error}")
    others = [e for e in executed.cells if e.cell_type == "code" and not is_grade(e)
              and any(o.output_type == "error" for o in e.get("outputs", []))]
    if others:
        print(f"  note: {len(others)} other cell(s) raised an error; the notebook must run top to bottom")
    print("all visible tests pass" if ok else "some visible tests fail")
    return 0 if ok else 1
