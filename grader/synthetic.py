"""A tiny synthetic assignment and class, for the grader's tests and its benchmark.

``make_fixture_source(source_dir)`` writes ``<source_dir>/00_fixture/00_fixture.ipynb``: three
exercises (``add`` 2 points, ``scale`` 3 points, ``mean_square`` 5 points) with visible and
hidden tests, in the nbgrader format of CONTRIBUTING.md. ``fixture_submission(kind)`` returns a
student notebook with a given behaviour in the ``scale`` exercise (correct, buggy, raising,
looping forever, exhausting memory, killing its kernel, ...).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .registry import nbgrader_meta

FIXTURE = "00_fixture"
HIDDEN_MARK = "hidden-check-7f3a"      # appears only inside hidden test blocks
SOLUTION_MARK = "solution-line-5c1e"   # appears only inside solution blocks
POINTS = {"test_add": 2, "test_scale": 3, "test_mean_square": 5}


def _solution(grade_id, source):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": grade_id, "schema_version": 3}})


def _grade(grade_id, source):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": grade_id,
        "points": POINTS[grade_id], "schema_version": 3}})


def fixture_notebook(work_seconds: float = 0.0) -> nbformat.NotebookNode:
    """The instructor (source) version of the fixture assignment.

    ``work_seconds`` adds a demonstration cell that computes for roughly that long (pure Python,
    single-threaded), so that a benchmark notebook takes a realistic few seconds.
    """
    cells = [
        new_markdown_cell("# Fixture assignment\nThree tiny exercises for testing the grader."),
        new_code_cell("import numpy as np"),
        _solution("add", 'def add(a, b):\n    """Return a + b."""\n    ### BEGIN SOLUTION\n'
                         f'    return a + b  # {SOLUTION_MARK}\n    ### END SOLUTION'),
        _grade("test_add", '"""Checks add() on small integers."""\nassert add(1, 2) == 3, "add(1, 2) should be 3"\n'
                           f'### BEGIN HIDDEN TESTS\nassert add(-4, 10) == 6, "add is wrong on a hidden input"  # {HIDDEN_MARK}\n'
                           '### END HIDDEN TESTS'),
        new_markdown_cell("## Scaling\nMultiply an array by a number."),
        _solution("scale", 'def scale(x, k):\n    """Return k * x.\n\n    x : ndarray of shape (N,)\n    """\n'
                           f'    ### BEGIN SOLUTION\n    return np.asarray(x) * k  # {SOLUTION_MARK}\n    ### END SOLUTION'),
        _grade("test_scale", '"""Checks scale() on a short vector."""\n'
                             'assert np.allclose(scale(np.arange(3.0), 2.0), [0.0, 2.0, 4.0]), "scale(arange(3), 2) is wrong"\n'
                             '### BEGIN HIDDEN TESTS\n'
                             f'assert np.allclose(scale(np.ones(5), -3.0), -3.0), "scale is wrong on a hidden input"  # {HIDDEN_MARK}\n'
                             '### END HIDDEN TESTS'),
    ]
    if work_seconds > 0:
        n = int(work_seconds * 6e6)
        cells.append(new_code_cell(f"# a demonstration that computes for a while\n_total = sum(i % 7 for i in range({n}))"))
    cells += [
        _solution("mean_square", 'def mean_square(x):\n    """Mean of the squares of x (ndarray of shape (N,))."""\n'
                                 f'    ### BEGIN SOLUTION\n    return float(np.mean(np.square(x)))  # {SOLUTION_MARK}\n'
                                 '    ### END SOLUTION'),
        _grade("test_mean_square", '"""Checks mean_square() on [1, 2, 3]."""\n'
                                   'assert abs(mean_square(np.array([1.0, 2.0, 3.0])) - 14 / 3) < 1e-12, "expected 14/3"\n'
                                   '### BEGIN HIDDEN TESTS\n'
                                   f'assert abs(mean_square(np.array([-2.0])) - 4.0) < 1e-12, "wrong on a hidden input"  # {HIDDEN_MARK}\n'
                                   '### END HIDDEN TESTS'),
    ]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):   # deterministic cell ids
        cell["id"] = f"cell-{i:02d}"
    return nb


def make_fixture_source(source_dir: Path, work_seconds: float = 0.0) -> Path:
    """Write the fixture source notebook under ``source_dir``; return its path."""
    path = Path(source_dir) / FIXTURE / f"{FIXTURE}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fixture_notebook(work_seconds), str(path))
    return path


# body of scale() for each kind of submission
SCALE_BODIES = {
    "correct": "return np.asarray(x) * k",
    "wrong": "return np.asarray(x) + k",
    "exception": "raise ValueError('student bug')",
    "infinite_loop": "while True:\n        pass",
    # children that compute and exit, the parent only waiting: their CPU time is the kernel's
    "forked_loop": "import os\n    while True:\n        pid = os.fork()\n        if pid == 0:\n"
                   "            sum(range(3_000_000))\n            os._exit(0)\n"
                   "        os.waitpid(pid, 0)",
    "sleep": "import time\n    time.sleep(10_000)",
    "memory_bomb": "blocks = []\n    while True:\n        blocks.append(np.ones(2_000_000))",
    "exit": "import os\n    os._exit(3)",
    "syntax_error": "return np.asarray(x) * k)",
    "stderr_warning": "import sys\n    print('careful', file=sys.stderr)\n    return np.asarray(x) * k",
}


def fixture_submission(kind: str = "correct", work_seconds: float = 0.0) -> nbformat.NotebookNode:
    """A student's fixture notebook whose ``scale`` behaves like ``kind`` (see SCALE_BODIES);
    ``"untouched"`` is the released student version (every exercise unanswered)."""
    from grader.release import studentize

    nb = fixture_notebook(work_seconds)
    if kind == "untouched":
        return studentize(nb, keep_solutions=False)
    body = SCALE_BODIES[kind]
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == "scale":
            start = cell.source.index("    ### BEGIN SOLUTION")
            cell.source = cell.source[:start] + "    ### BEGIN SOLUTION\n    " + body + "\n    ### END SOLUTION"
    return studentize(nb, keep_solutions=True)
