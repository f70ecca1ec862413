"""The exercise registry: the one place that says what a graded exercise is.

Every notebook's exercises are declared in ``grader/exercises/nbNN.py`` as ``EXERCISES``, a list
of :class:`Exercise`, next to their hidden checks and their catalogued bugs (``BUGS``). Release,
bundle, grading, diagnosis, the catalog test and the documentation figures all read them here;
nothing re-parses notebook text to learn which exercises a notebook has.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"


@dataclass(frozen=True)
class Bug:
    """One realistic student mistake, as an edit of the reference solution cell.

    Attributes
    ----------
    id : str
        Short unique name, e.g. ``"grad_missing_1_over_N_in_dW"``.
    cell : str
        grade_id of the solution cell it edits.
    old, new : str
        ``old`` occurs exactly once in that cell; it is replaced by ``new``.
    diagnosis : str
        What a student whose code behaves like this bug is told.
    breaks : tuple of str
        grade_ids of the grade cells that must fail (default: ``("test_" + cell,)``).
    """

    id: str
    cell: str
    old: str
    new: str
    diagnosis: str
    breaks: tuple = field(default=())

    def failing_cells(self) -> tuple:
        """grade_ids of the grade cells this bug must make fail."""
        return self.breaks or ("test_" + self.cell,)

    def apply(self, source: str) -> str:
        """``source`` with the bug applied; refuses when ``old`` is not unique."""
        count = source.count(self.old)
        if count != 1:
            raise ValueError(
                f"bug {self.id}: {self.old!r} occurs {count} times in cell {self.cell}"
            )
        return source.replace(self.old, self.new)


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: a grade cell of a notebook and everything that grades it.

    Attributes
    ----------
    grade_id : str
        The grade cell's nbgrader id, ``"test_<solution cell id>"``.
    points : int
        What the exercise is worth (must equal the grade cell's nbgrader points).
    check : callable
        The hidden check, ``check(*functions)``; raises ``AssertionError`` on a wrong answer.
    functions : tuple of str
        Expressions naming the student's work in the notebook's namespace, handed to the check
        in this order (usually function names, e.g. ``("fit_standardizer", "standardize")``).
    references : tuple of str
        Dotted names of the ``course`` functions and classes that answer this exercise (or
        compute the same thing). Student bundles and grading kernels of this notebook and
        earlier ones get them as stubs.
    adapter : callable, optional
        For an exercise that is a class: a self-contained function (NumPy only) that runs in
        the kernel, takes the student's objects named by ``functions`` and returns plain
        functions driving them; those are what the check receives.
    budget : float
        CPU seconds the reference needs for the check on the course machine; the grader allows
        a generous multiple of it.
    may_change : tuple of int
        Positions of the array arguments the student's function may change in place (its
        docstring says so). Every other array argument, also inside a tuple or list, must be
        left as it was: the trusted side fails the exercise otherwise (``grader.trusted``).
        Dicts (configs, batch-norm parameters) are state and may always change.
    diagnosable : bool
        Whether catalogued bugs can be recognised by replaying the check on a buggy solution
        (False when the check needs state the notebook builds outside its solution cells).
    notebook : str
        Assignment id, e.g. ``"01_linear_regression"`` (filled in by :func:`exercises`).
    bugs : tuple of Bug
        The catalogued mistakes in its solution cell (filled in by :func:`exercises`).
    """

    grade_id: str
    points: int
    check: Callable
    functions: tuple
    references: tuple = ()
    adapter: Callable | None = None
    budget: float = 1.0
    may_change: tuple = ()
    diagnosable: bool = True
    notebook: str = ""
    bugs: tuple = ()

    @property
    def solution_cell(self) -> str:
        """grade_id of the solution cell the exercise is written in."""
        return self.grade_id.removeprefix("test_")


def nbgrader_meta(cell) -> dict:
    """A notebook cell's nbgrader metadata (``{}`` for a cell nbgrader does not manage)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def notebooks() -> list[str]:
    """Assignment ids that have a solution notebook and an exercise module, in order."""
    return [
        p.name
        for p in sorted(SOLUTIONS.iterdir())
        if (p / f"{p.name}.ipynb").is_file() and module_name(p.name) is not None
    ]


def module_name(assignment: str) -> str | None:
    """``grader.exercises.nbNN`` for ``NN_name`` (None when there is no such module)."""
    name = f"grader.exercises.nb{assignment[:2]}"
    return name if (REPO / "grader" / "exercises" / f"nb{assignment[:2]}.py").is_file() else None


@functools.cache
def exercises(assignment: str) -> tuple[Exercise, ...]:
    """The registered exercises of one notebook, with notebook and bugs filled in."""
    name = module_name(assignment)
    if name is None:
        return ()
    module = importlib.import_module(name)
    bugs = tuple(getattr(module, "BUGS", ()))
    out = []
    for ex in module.EXERCISES:
        mine = tuple(b for b in bugs if b.cell == ex.solution_cell)
        out.append(
            dataclasses.replace(
                ex,
                functions=tuple(ex.functions),
                references=tuple(ex.references),
                notebook=assignment,
                bugs=mine,
            )
        )
    return tuple(out)


def exercise(assignment: str, grade_id: str) -> Exercise:
    """The registered exercise of a grade cell (``KeyError`` when unknown)."""
    for ex in exercises(assignment):
        if ex.grade_id == grade_id:
            return ex
    raise KeyError(f"{assignment} has no registered exercise {grade_id!r}")


def all_exercises() -> list[Exercise]:
    """Every registered exercise of every notebook, in notebook order."""
    return [ex for nb in notebooks() for ex in exercises(nb)]


def first_notebook(reference: str) -> str:
    """The assignment whose exercise first asks for ``reference`` (its answer is released after)."""
    for ex in all_exercises():
        if reference in ex.references:
            return ex.notebook
    raise KeyError(reference)


def withheld_references(assignment: str) -> list[str]:
    """``course`` names whose reference stays out of the bundle and grading kernel of
    ``assignment``: the answers of its own exercises and of every later notebook's."""
    return sorted(
        {
            ref
            for ex in all_exercises()
            for ref in ex.references
            if first_notebook(ref) >= assignment
        }
    )
