"""The catalog of typical student bugs: every bug must be caught, and only where it belongs.

For each solution notebook with a catalog in ``grader/exercises/nbNN.py``, each bug is applied to
its solution cell and the grade cells are run directly (``grader.bugs.harness``). A bug is
killed when every grade cell it should break fails while every other grade cell passes.
"""
import importlib
import tempfile

import pytest

from grader import registry
from grader.bugs import harness
from grader.hidden import sealed

ASSIGNMENTS = registry.notebooks()


def solution_cells(nb) -> set:
    return {harness.nbgrader_meta(c)["grade_id"] for c in nb.cells
            if harness.nbgrader_meta(c).get("solution")}


def grade_cells(nb) -> set:
    return {harness.nbgrader_meta(c)["grade_id"] for c in nb.cells
            if harness.nbgrader_meta(c).get("grade")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_passes_every_grade_cell(assignment):
    """The unmodified solution passes all grade cells the harness runs."""
    nb = harness.load_solution(assignment)
    skip = frozenset(getattr(harness.catalog_module(assignment), "HARNESS_SKIP", {}))
    with tempfile.TemporaryDirectory() as tmp:
        with harness.sealed_recording(tmp):
            outcomes = harness.run_grade_cells(nb, skip=skip)
        replay_failed = harness.replay_failures(nb, tmp, set(outcomes))
    failed = {g: o.error for g, o in outcomes.items() if not o.passed}
    assert not failed, f"reference solution fails: {failed}"
    assert not replay_failed, f"reference solution fails on sealed replay: {replay_failed}"
    assert set(outcomes) == grade_cells(nb) - skip


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_grade_cell_is_sealed(assignment):
    """Every grade cell calls at least one sealed hidden check, so no cell is decided in the kernel."""
    nb = harness.load_solution(assignment)
    unsealed = []
    for cell in nb.cells:
        meta = harness.nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        calls = sealed.hidden_calls(cell.source)
        checks = [getattr(importlib.import_module(m), f) for m, f, _, _ in calls]
        if not checks or not all(hasattr(c, "__wrapped_check__") for c in checks):
            unsealed.append(meta["grade_id"])
    assert not unsealed, f"grade cells without a sealed hidden check: {unsealed}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_three_bugs(assignment):
    """At least three catalogued bugs for every solution cell."""
    nb = harness.load_solution(assignment)
    bugs = harness.catalog_module(assignment).BUGS
    counts = {cell: sum(b.cell == cell for b in bugs) for cell in solution_cells(nb)}
    thin = {c: n for c, n in counts.items() if n < 3}
    assert not thin, f"exercises with fewer than 3 catalogued bugs: {thin}"
    assert len({b.id for b in bugs}) == len(bugs), "bug ids must be unique"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_kill_rate_is_100_percent(assignment, record_property):
    """Every bug fails the grade cells it breaks and no other grade cell."""
    nb = harness.load_solution(assignment)
    module = harness.catalog_module(assignment)
    skip = frozenset(getattr(module, "HARNESS_SKIP", {}))
    verdicts = [harness.evaluate_bug(nb, bug, skip) for bug in module.BUGS]
    killed = sum(v.ok for v in verdicts)
    # printed in the terminal summary by tests/conftest.py (also under pytest-xdist)
    record_property("bug_catalog", (assignment, len(verdicts), killed))
    survivors = [f"{v.bug.id} (missed)" for v in verdicts if not v.killed]
    survivors += [f"{v.bug.id} (also failed {v.collateral})" for v in verdicts if v.collateral]
    survivors += [f"{v.bug.id} (missed on sealed replay)" for v in verdicts if not v.replay_killed]
    survivors += [f"{v.bug.id} (replay also failed {v.replay_collateral})"
                  for v in verdicts if v.replay_collateral]
    assert not survivors, f"bugs not caught cleanly: {survivors}"
