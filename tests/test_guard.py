"""The reference guard: student code under a hidden check cannot call the exercise's reference."""
import subprocess
import sys

import numpy as np
import pytest

import course.linear
from grader.hidden import guard
from grader.hidden.common import with_reference_globals

X, W, b = np.ones((2, 3)), np.ones((3, 1)), np.zeros(1)


@pytest.fixture
def guarded(monkeypatch):
    """Install the guard for `predict`, and undo it after the test."""
    monkeypatch.setattr(course.linear, "predict", course.linear.predict)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))   # drops the import hook after
    wrapped = guard.install(["predict"])
    assert "course.linear.predict" in wrapped
    return course.linear.predict


def cheating_predict(X, W, b):  # this file is not under course/ or grader/: untrusted
    return course.linear.predict(X, W, b)


def test_reference_refused_to_graded_student_code(guarded):
    with guard.grading(), pytest.raises(guard.ReferenceUsedError, match="reference"):
        cheating_predict(X, W, b)


def test_reference_allowed_outside_grading(guarded):
    np.testing.assert_array_equal(cheating_predict(X, W, b), X @ W + b)


def test_isolation_hands_over_a_trusted_reference(guarded):
    notebook = {}
    exec("def model(X, W, b):\n    return predict(X, W, b) * 2\n", notebook)
    iso = with_reference_globals(notebook["model"], predict=course.linear.predict)
    with guard.grading():
        np.testing.assert_array_equal(iso(X, W, b), 2 * (X @ W + b))


def test_install_is_idempotent(guarded):
    assert guard.install(["predict"]) == []


def test_handing_over_the_reference_itself_is_refused(guarded):
    """A student who writes `predict = course.linear.predict` gets nothing from the check."""
    from grader.hidden import sealed
    from grader.hidden.sealed import Recorder
    with pytest.raises(guard.ReferenceUsedError):
        Recorder(course.linear.predict, [], sealed._Encoder())(X, W, b)


def test_the_guarded_reference_does_not_expose_the_original(guarded):
    assert not hasattr(course.linear.predict, "__wrapped__")


def test_modules_imported_later_are_guarded_on_import():
    """The kernel installs the guard before any cell, when no course module is loaded yet."""
    code = ("import sys\nfrom grader.hidden import guard\nassert guard.install(['predict']) == []\n"
            "assert 'course.linear' not in sys.modules\nfrom course.linear import predict\n"
            "with guard.grading():\n    try:\n        (lambda: predict(1, 1, 1))()\n"
            "    except guard.ReferenceUsedError:\n        print('refused')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.stdout.strip() == "refused", out.stderr
