"""Feedback names the mistake: a recording that behaves like a catalogued bug gets its diagnosis."""
import tempfile
from pathlib import Path

import pytest

from grader import diagnose
from grader.bugs import harness

ASSIGNMENT = "01_linear_regression"


def record_solution(bug_id, tmp_path):
    """Record the hidden checks the way a sealed kernel would for a student with this bug."""
    nb = harness.load_solution(ASSIGNMENT)
    bugs = {b.id: b for b in harness.catalog_module(ASSIGNMENT).BUGS}
    bug = bugs[bug_id]
    grade_id = bug.failing_cells()[0]
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == grade_id)
    diagnose.record_buggy_cell(nb, bug, cell, tmp_path)
    return bug, grade_id


@pytest.mark.parametrize("bug_id", [b.id for b in harness.catalog_module(ASSIGNMENT).BUGS])
def test_each_catalogued_bug_is_named(bug_id, tmp_path):
    bug, grade_id = record_solution(bug_id, tmp_path)
    assert bug.diagnosis in diagnose.diagnose(ASSIGNMENT, grade_id, tmp_path)


def test_unrelated_behaviour_gets_no_diagnosis(tmp_path):
    """A recording of a *different* exercise's bug says nothing about this exercise."""
    bugs = harness.catalog_module(ASSIGNMENT).BUGS
    a = next(b for b in bugs if b.cell == "mse_gradients")
    bug, grade_id = record_solution(a.id, tmp_path)
    others = [b.diagnosis for b in bugs if b.cell != "mse_gradients"]
    assert not set(diagnose.diagnose(ASSIGNMENT, grade_id, tmp_path)) & set(others)


def test_missing_recording_gets_no_diagnosis(tmp_path):
    assert diagnose.diagnose(ASSIGNMENT, "test_mse_gradients", tmp_path) == []
