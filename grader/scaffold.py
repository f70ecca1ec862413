"""``python -m grader new-exercise NN NAME``: the skeleton of a new graded exercise.

Appends to notebook NN a markdown cell, a solution cell (``def NAME``, docstring, markers) and
its grade cell, and to ``grader/exercises/nbNN.py`` a check skeleton, three bug slots and the
registry entry. What is left to write by hand is the reference in ``course/``, the solution
body and visible tests in the notebook, and the check with its bugs (CONTRIBUTING.md, "Adding
an exercise").
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from . import config, registry

TEMPLATE = '''

# ---------------------------------------------------------------- {name} (scaffolded)
def check_{name}({name}):
    """{name}(...) against the reference ``{reference}`` on hidden inputs."""
    from {module} import {function} as reference

    for case in range(3):
        x = rng_for("{name}", case).normal(size=(4, 3))
        check_array(f"{name} on a hidden input of shape {{x.shape}}", {name}(x.copy()),
                    reference(x))


BUGS += [
    Bug("{name}_bug_1", "{name}", "OLD TEXT OF THE SOLUTION", "NEW TEXT", "DIAGNOSIS 1"),
    Bug("{name}_bug_2", "{name}", "OLD TEXT OF THE SOLUTION", "NEW TEXT", "DIAGNOSIS 2"),
    Bug("{name}_bug_3", "{name}", "OLD TEXT OF THE SOLUTION", "NEW TEXT", "DIAGNOSIS 3"),
]

EXERCISES.append(
    Exercise("test_{name}", points={points}, check=check_{name}, functions=("{name}",),
             references=("{reference}",)))
'''


def _assignment(number: str) -> str:
    matches = [a for a in config.list_assignments() if a.startswith(f"{int(number):02d}_")]
    if not matches:
        raise ValueError(f"no notebook {number}; known: {', '.join(config.list_assignments())}")
    return matches[0]


def new_exercise(number: str, name: str, reference: str, points: int = 3) -> list[Path]:
    """Scaffold exercise ``name`` in notebook ``number``; return the files changed.

    Parameters
    ----------
    number : str
        The notebook, e.g. ``"01"``.
    name : str
        The function students write, also the exercise id (``[a-z0-9_]+``).
    reference : str
        Dotted name of its reference in ``course/``, e.g. ``"course.losses.huber_loss"``.
    points : int
        What the exercise is worth.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"exercise name {name!r}: use lower-case letters, digits and _")
    assignment = _assignment(number)
    if any(e.solution_cell == name for e in registry.exercises(assignment)):
        raise ValueError(f"{assignment} already has an exercise {name!r}")
    notebook = config.SOLUTIONS / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells += _cells(name, points)
    nbformat.write(nb, str(notebook))
    module = config.REPO / "grader" / "exercises" / f"nb{assignment[:2]}.py"
    module_name, _, function = reference.rpartition(".")
    text = TEMPLATE.format(name=name, points=points, reference=reference, module=module_name,
                           function=function)
    module.write_text(module.read_text() + text)
    return [notebook, module]


def _cells(name: str, points: int) -> list:
    meta = {"schema_version": 3, "locked": False}
    explain = nbformat.v4.new_markdown_cell(f"### Exercise: `{name}` ({points} points)\n\n"
                                            "Explain what to derive and implement here.")
    solution = nbformat.v4.new_code_cell(
        f'def {name}(x):\n    """One-line summary.\n\n    Parameters\n    ----------\n'
        f'    x : ndarray of shape (N, D)\n\n    Returns\n    -------\n'
        f'    out : ndarray of shape (N, D)\n    """\n'
        f'    ### BEGIN SOLUTION\n    raise NotImplementedError("write the reference solution")\n'
        f'    ### END SOLUTION',
        metadata={"nbgrader": {**meta, "grade": False, "solution": True, "grade_id": name}})
    grade = nbformat.v4.new_code_cell(
        f'"""Checks {name}() on a small input worked out by hand."""\n'
        f'from course.checks import check_array\n',
        metadata={"nbgrader": {**meta, "grade": True, "solution": False, "locked": True,
                               "grade_id": f"test_{name}", "points": points}})
    return [explain, solution, grade]
