"""Feedback names the mistake: a check run that behaves like a catalogued bug gets its diagnosis."""
import pytest

from grader import diagnose, registry
from grader.bugs import harness
from grader.exercises.common import use_secret
from grader.trusted import LocalTransport, run_check

ASSIGNMENT = "01_linear_regression"
BUGS = [b for e in registry.exercises(ASSIGNMENT) for b in e.bugs]


def student_with(bug, grade_id, secret="student"):
    """The check run of a student whose code has ``bug`` (a transcript, as grading makes it)."""
    nb = harness.load_solution(ASSIGNMENT)
    namespace = harness.solution_namespace(nb, harness.apply_bug(nb, bug))
    with use_secret(secret):
        return run_check(registry.exercise(ASSIGNMENT, grade_id), LocalTransport(namespace))


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.id)
def test_each_catalogued_bug_is_named(bug):
    grade_id = bug.failing_cells()[0]
    verdict = student_with(bug, grade_id)
    assert not verdict.passed
    with use_secret("student"):
        assert bug.diagnosis in diagnose.diagnose(registry.exercise(ASSIGNMENT, grade_id),
                                                  verdict.transcript)


def test_unrelated_behaviour_gets_no_diagnosis():
    """A different exercise's bug says nothing about this exercise, and another run's secret
    (other hidden inputs) matches no bug."""
    bug = next(b for b in BUGS if b.cell == "mse_gradients")
    exercise = registry.exercise(ASSIGNMENT, "test_mse_gradients")
    verdict = student_with(bug, "test_mse_gradients")
    others = {b.diagnosis for b in BUGS if b.cell != "mse_gradients"}
    with use_secret("student"):
        assert not set(diagnose.diagnose(exercise, verdict.transcript)) & others
    with use_secret("another run"):
        assert diagnose.diagnose(exercise, verdict.transcript) == []


def test_an_untouched_exercise_gets_no_diagnosis():
    nb = harness.load_solution(ASSIGNMENT)
    namespace = harness.solution_namespace(nb)
    exec("def mse_gradients(X, y, W, b):\n    raise NotImplementedError()", namespace)
    exercise = registry.exercise(ASSIGNMENT, "test_mse_gradients")
    verdict = run_check(exercise, LocalTransport(namespace))
    assert verdict.message.startswith("not attempted yet"), verdict.message
    assert diagnose.diagnose(exercise, verdict.transcript) == []
