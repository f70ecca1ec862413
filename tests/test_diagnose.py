"""Feedback names the mistake: a check run that behaves like a catalogued bug gets its diagnosis."""
import pytest

from grader import diagnose, registry
from grader.bugs import harness
from grader.exercises.common import use_secret
from grader.trusted import LocalTransport, run_check

ASSIGNMENT = "01_linear_regression"
BUGS = [b for e in registry.exercises(ASSIGNMENT) for b in e.bugs]
#: every catalogued bug of an exercise whose feedback names mistakes (the checks no longer
#: special-case any; these diagnoses are the only hints a student gets)
#: (a bug drawing from np.random's global state answers differently on every run, so no
#: transcript can match it: the check's same-seed test kills it instead)
NAMED = [(a, b) for a in registry.notebooks() if a != "00_fixture"
         for e in registry.exercises(a) if e.diagnosable for b in e.bugs
         if "np.random." not in b.new]


def student_with(bug, grade_id, secret="student", assignment=ASSIGNMENT):
    """The check run of a student whose code has ``bug`` (a transcript, as grading makes it)."""
    nb = harness.load_solution(assignment)
    namespace = harness.solution_namespace(nb, harness.apply_bug(nb, bug))
    with use_secret(secret):
        return run_check(registry.exercise(assignment, grade_id), LocalTransport(namespace))


@pytest.mark.parametrize("assignment, bug", NAMED, ids=[f"{a[:2]}-{b.id}" for a, b in NAMED])
def test_each_catalogued_bug_is_named(assignment, bug):
    grade_id = bug.failing_cells()[0]
    verdict = student_with(bug, grade_id, assignment=assignment)
    assert not verdict.passed
    with use_secret("student"):
        assert bug.diagnosis in diagnose.diagnose(registry.exercise(assignment, grade_id),
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
