"""Apply catalogued bugs to a solution notebook and see which grade cells catch them.

This runs the grade cells (visible and hidden tests) directly in a Python namespace built
from the notebook's setup cells and solution cells, without a Jupyter kernel and without the
demonstration cells, so the whole catalog runs in minutes. ``tests/test_bug_catalog.py``
uses it to require a 100% kill rate; a few end-to-end autogrades through nbgrader confirm
that both paths give the same verdict.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat

from grader.registry import Bug

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"


@dataclass
class CellOutcome:
    """Whether one grade cell passed, and the first line of its error when it did not."""

    grade_id: str
    passed: bool
    error: str = ""
    ran: bool = True  # False: not re-run, the mutation cannot reach it


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata (empty for ordinary cells)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def load_solution(assignment: str):
    """Read ``solutions/<assignment>/<assignment>.ipynb``."""
    return nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)


def catalog_module(assignment: str):
    """``grader/exercises/nbNN.py`` for an assignment id like ``01_linear_regression``.

    The module defines ``BUGS`` (a list of :class:`Bug`) and may define
    ``HARNESS_SKIP`` (grade_id -> reason) for grade cells that need the demonstration cells
    (a trained model, say); those are checked end to end through nbgrader instead.
    """
    return importlib.import_module(f"grader.exercises.nb{assignment[:2]}")


def strip_markers(source: str) -> str:
    """Drop IPython magics, which plain ``exec`` cannot run."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def _tree(source: str):
    try:
        return ast.parse(strip_markers(source))
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def defined_names(source: str) -> set:
    """Names a cell binds at top level (functions, classes, assignments)."""
    names = set()
    for node in _tree(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def used_names(source: str) -> set:
    """Every name a cell mentions."""
    return {n.id for n in ast.walk(_tree(source)) if isinstance(n, ast.Name)}


def graded_cells(nb) -> list:
    """The cells the harness executes, in notebook order.

    Setup code cells before the first solution cell (imports, constants, data loading), every
    solution cell and every grade cell; demonstration cells are skipped.
    """
    cells, seen_solution = [], False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        if meta.get("solution") or meta.get("grade"):
            seen_solution = seen_solution or bool(meta.get("solution"))
            cells.append(cell)
        elif not seen_solution:
            cells.append(cell)
    return cells


def run_grade_cells(nb, replace: dict[str, str] | None = None,
                    skip: frozenset = frozenset()) -> dict[str, CellOutcome]:
    """Execute setup, solution and grade cells in one namespace; report each grade cell.

    Parameters
    ----------
    nb : NotebookNode
        A solution notebook.
    replace : dict, optional
        grade_id of a solution cell -> the source to use instead (a mutated solution).
    skip : set of str
        grade_ids of grade cells not to run here.

    Returns
    -------
    dict
        grade_id of every grade cell -> its :class:`CellOutcome`.
    """
    replace = replace or {}
    matplotlib.use("Agg")
    namespace: dict = {"__name__": "__main__"}
    outcomes: dict[str, CellOutcome] = {}
    # With a mutation, only grade cells that use a name the mutation can reach are run; the
    # others see exactly the reference code and pass as they do for the reference
    # (test_reference_passes_every_grade_cell). This keeps the capstone's training out of
    # every unrelated bug.
    affected: set = set()
    for cell in graded_cells(nb):
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if grade_id in replace:
            affected |= defined_names(cell.source)
        elif meta.get("solution") and used_names(cell.source) & affected:
            affected |= defined_names(cell.source)
        if grade_id in skip:
            continue
        if replace and meta.get("grade") and not used_names(cell.source) & affected:
            outcomes[grade_id] = CellOutcome(grade_id, True, ran=False)
            continue
        source = strip_markers(replace.get(grade_id, cell.source))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, f"<cell {grade_id or 'setup'}>", "exec"), namespace)
        except Exception as exc:  # a failing cell is the point of the exercise
            if meta.get("grade"):
                first = (str(exc).splitlines() or [""])[0]
                outcomes[grade_id] = CellOutcome(grade_id, False, f"{type(exc).__name__}: {first}")
            elif not meta.get("solution"):
                raise RuntimeError(f"setup cell failed: {exc}") from exc
        else:
            if meta.get("grade"):
                outcomes[grade_id] = CellOutcome(grade_id, True)
    plt.close("all")
    return outcomes


def solution_namespace(nb, replace: dict[str, str] | None = None) -> dict:
    """Execute only the setup and solution cells; return the namespace (the student's functions).

    Solution cells that raise (a bug may make one fail to define its function) are skipped.
    """
    replace = replace or {}
    matplotlib.use("Agg")
    namespace: dict = {"__name__": "__main__"}
    for cell in graded_cells(nb):
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            continue
        source = strip_markers(replace.get(meta.get("grade_id"), cell.source))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, f"<cell {meta.get('grade_id', 'setup')}>", "exec"), namespace)
        except Exception:
            if not meta.get("solution"):
                raise
    plt.close("all")
    return namespace


def apply_bug(nb, bug: Bug) -> dict[str, str]:
    """The ``replace`` mapping that puts ``bug`` into its solution cell."""
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and meta.get("grade_id") == bug.cell:
            return {bug.cell: bug.apply(cell.source)}
    raise KeyError(f"bug {bug.id}: no solution cell with grade_id {bug.cell!r}")


@dataclass
class BugVerdict:
    """What grading made of one catalogued bug, in the kernel and on sealed replay."""

    bug: Bug
    killed: bool          # every cell in bug.failing_cells() failed
    collateral: list      # grade cells that failed although the bug should not touch them
    outcomes: dict
    replay_killed: bool = True      # the same cells fail when the recordings are replayed
    replay_collateral: list = None  # cells that fail on replay only

    @property
    def ok(self) -> bool:
        """Caught where it should be and nowhere else, by both verdicts."""
        return (self.killed and not self.collateral and self.replay_killed
                and not self.replay_collateral)


@contextlib.contextmanager
def sealed_recording(directory):
    """Make decorated hidden checks record into ``directory`` (as in a grading kernel)."""
    from grader.hidden import sealed

    previous = os.environ.get(sealed.ENV_VAR)
    os.environ[sealed.ENV_VAR] = str(directory)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(sealed.ENV_VAR, None)
        else:
            os.environ[sealed.ENV_VAR] = previous


def replay_failures(nb, directory, outcomes) -> set:
    """grade_ids whose sealed replay fails, among the grade cells that were run."""
    from grader.hidden import sealed

    return {g for g, failures in sealed.sealed_verdicts(nb, directory).items()
            if failures and g in outcomes}


def evaluate_bug(nb, bug: Bug, skip: frozenset = frozenset()) -> BugVerdict:
    """Grade the solution with ``bug`` applied (grade cells in ``skip`` are not run).

    Both verdicts are computed: the grade cells' own in the namespace, and the sealed replay
    of the recorded hidden checks (what the grader counts). Grade cells
    the mutation cannot reach are not re-run; their recordings would equal the reference's.
    """
    with tempfile.TemporaryDirectory() as tmp:
        with sealed_recording(tmp):
            outcomes = run_grade_cells(nb, apply_bug(nb, bug), skip)
        replay_failed = replay_failures(nb, tmp, {g for g, o in outcomes.items() if o.ran})
    must_fail = set(bug.failing_cells())
    missing = must_fail - set(outcomes)
    if missing:
        raise KeyError(f"bug {bug.id}: unknown grade cells {sorted(missing)}")
    killed = all(not outcomes[g].passed for g in must_fail)
    collateral = sorted(g for g, o in outcomes.items() if g not in must_fail and not o.passed)
    return BugVerdict(bug, killed, collateral, outcomes,
                      replay_killed=must_fail <= replay_failed,
                      replay_collateral=sorted(replay_failed - must_fail))
