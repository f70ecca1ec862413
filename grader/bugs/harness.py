"""Apply catalogued bugs to a solution notebook and see which exercises lose their points.

This runs the notebook's setup, solution and grade cells directly in a Python namespace,
without a Jupyter kernel and without the demonstration cells, and after each grade cell the
exercise's hidden check on the same path grading takes (``grader.trusted.run_check``, with the
agent in this process), so the whole catalog runs in minutes. ``tests/test_bug_catalog.py``
uses it to require a 100% kill rate; end-to-end autogrades through nbgrader confirm that both
paths give the same verdict.
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader import registry
from grader.registry import Bug, nbgrader_meta
from grader.trusted import LocalTransport, run_check

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"


@dataclass
class CellOutcome:
    """The verdict of one exercise's hidden check, and the first line of its failure."""

    grade_id: str
    passed: bool
    error: str = ""
    ran: bool = True  # False: not re-run, the mutation cannot reach it
    visible_error: str = ""  # the grade cell's own (visible) tests; they count for nothing


def load_solution(assignment: str):
    """Read ``solutions/<assignment>/<assignment>.ipynb``."""
    return nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)


def strip_markers(source: str) -> str:
    """Drop IPython magics, which plain ``exec`` cannot run."""
    return "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )


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


def run_grade_cells(
    nb, assignment: str, replace: dict[str, str] | None = None
) -> dict[str, CellOutcome]:
    """Execute setup, solution and grade cells in one namespace; check each exercise.

    Parameters
    ----------
    nb : NotebookNode
        A solution notebook.
    assignment : str
        Its assignment id (whose registry entries say how each grade cell is checked).
    replace : dict, optional
        grade_id of a solution cell -> the source to use instead (a mutated solution).

    Returns
    -------
    dict
        grade_id of every grade cell -> its :class:`CellOutcome`.
    """
    replace = replace or {}
    _headless_plots()
    namespace: dict = {"__name__": "__main__"}
    outcomes: dict[str, CellOutcome] = {}
    # With a mutation, only exercises whose cells use a name the mutation can reach are run;
    # the others see exactly the reference code and pass as they do for the reference
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
        if replace and meta.get("grade") and not used_names(cell.source) & affected:
            outcomes[grade_id] = CellOutcome(grade_id, True, ran=False)
            continue
        error = _run_cell(namespace, replace.get(grade_id, cell.source), grade_id or "setup")
        if meta.get("grade"):
            verdict = run_check(registry.exercise(assignment, grade_id), LocalTransport(namespace))
            outcomes[grade_id] = CellOutcome(
                grade_id, verdict.passed, verdict.message, visible_error=error or ""
            )
        elif error is not None and not meta.get("solution"):
            raise RuntimeError(f"setup cell failed: {error}")
    _close_figures()
    return outcomes


def _headless_plots() -> None:
    """Figures the cells draw go nowhere (matplotlib is imported only when it is used here:
    a grading worker that never diagnoses should not pay for it)."""
    import matplotlib

    matplotlib.use("Agg")


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _run_cell(namespace: dict, source: str, name: str) -> str | None:
    """Execute one cell's code; the first line of its exception, or None."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(strip_markers(source), f"<cell {name}>", "exec"), namespace)
    except Exception as exc:  # a failing cell is the point of the exercise
        return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
    return None


def solution_namespace(nb, replace: dict[str, str] | None = None) -> dict:
    """Execute only the setup and solution cells; return the namespace (the student's functions).

    Solution cells that raise (a bug may make one fail to define its function) are skipped.
    """
    replace = replace or {}
    _headless_plots()
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
    _close_figures()
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
    """What grading made of one catalogued bug."""

    bug: Bug
    killed: bool  # every exercise in bug.failing_cells() lost its points
    collateral: list  # exercises that failed although the bug should not touch them
    outcomes: dict

    @property
    def ok(self) -> bool:
        """Caught where it should be and nowhere else."""
        return self.killed and not self.collateral


def evaluate_bug(nb, bug: Bug, assignment: str) -> BugVerdict:
    """Grade the solution with ``bug`` applied; exercises the mutation cannot reach are not
    re-run (their checks would see the reference's code)."""
    outcomes = run_grade_cells(nb, assignment, apply_bug(nb, bug))
    must_fail = set(bug.failing_cells())
    missing = must_fail - set(outcomes)
    if missing:
        raise KeyError(f"bug {bug.id}: unknown grade cells {sorted(missing)}")
    killed = all(not outcomes[g].passed for g in must_fail)
    collateral = sorted(g for g, o in outcomes.items() if g not in must_fail and not o.passed)
    return BugVerdict(bug, killed, collateral, outcomes)
