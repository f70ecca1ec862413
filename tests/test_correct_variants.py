"""No correct solution loses points: stylistically different correct solutions pass every check.

``tests/correct_variants.py`` holds, for every notebook, several "variant students": correct
solutions written from the exercise text and docstrings in styles other than the reference's
(einsum, loops, other dtype handling, other stable formulations, defensive copies). Each is
graded on the grading path (``grader.bugs.harness``: setup, solution and grade cells, then every
hidden check through the agent) with two different secrets, and must get full marks: every
exercise it touches passes its hidden check and raises nothing in its visible tests.

This is the counterpart of ``tests/test_bug_catalog.py``: that test shows the checks reject
wrong code, this one that they accept right code written differently. Notebook 06's capstone
(``build_and_train``, minutes of training) is not varied, so its grade cell is not re-run.
"""
import pytest
from correct_variants import VARIANTS

from grader import registry
from grader.bugs import harness
from grader.exercises.common import use_secret

# Two fixed draws of the hidden inputs, so that a failure is reproducible.
SECRETS = ("correct-variants-1", "correct-variants-2")

CASES = [
    pytest.param(assignment, name, replace, id=f"{assignment}-{name}",
                 marks=[pytest.mark.slow] if assignment.startswith("06") else [])
    for assignment, variants in VARIANTS.items()
    for name, replace in variants
]


def solution_cells(nb) -> set:
    return {registry.nbgrader_meta(c)["grade_id"] for c in nb.cells
            if registry.nbgrader_meta(c).get("solution")}


def test_every_notebook_has_three_variants():
    """Every notebook has at least three variants, each naming only real solution cells."""
    assert set(VARIANTS) == set(registry.notebooks())
    for assignment, variants in VARIANTS.items():
        assert len(variants) >= 3, f"{assignment}: only {len(variants)} variants"
        names = [name for name, _ in variants]
        assert len(set(names)) == len(names), f"{assignment}: duplicate names {names}"
        cells = solution_cells(harness.load_solution(assignment))
        for name, replace in variants:
            unknown = set(replace) - cells
            assert not unknown, f"{assignment}/{name}: no solution cells {sorted(unknown)}"


@pytest.mark.parametrize("assignment, name, replace", CASES)
def test_correct_variant_gets_full_marks(assignment, name, replace):
    nb = harness.load_solution(assignment)
    for secret in SECRETS:
        with use_secret(secret):
            outcomes = harness.run_grade_cells(nb, assignment, replace)
        lost = {g: o.error for g, o in outcomes.items() if not o.passed}
        visible = {g: o.visible_error for g, o in outcomes.items() if o.visible_error}
        assert not lost, f"{assignment}/{name} (secret {secret!r}) loses points: {lost}"
        assert not visible, f"{assignment}/{name} (secret {secret!r}) visible tests fail: {visible}"
        # the variant reached its exercises: their checks ran on the variant's code
        ran = {g for g, o in outcomes.items() if o.ran}
        assert ran, f"{assignment}/{name}: no exercise was re-run"
