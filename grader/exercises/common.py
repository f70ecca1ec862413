"""Helpers shared by the exercise modules ``grader/exercises/nbNN.py``."""
from __future__ import annotations

import contextlib
import hashlib
import secrets

import numpy as np

from course import checks

# The secret every hidden input is drawn from. A grading run picks a fresh one (``use_secret``),
# so reading this code tells nobody the inputs of the next run.
_secret = {"value": secrets.token_hex(16)}


@contextlib.contextmanager
def use_secret(value: str):
    """Draw hidden inputs from ``value`` inside the block (a grading run, a test)."""
    previous = _secret["value"]
    _secret["value"] = str(value)
    try:
        yield
    finally:
        _secret["value"] = previous


def current_secret() -> str:
    """The secret hidden inputs are drawn from right now."""
    return _secret["value"]


def rng_for(exercise: str, case: int = 0) -> np.random.Generator:
    """A generator for one hidden case, seeded from the run's secret, the exercise and the case.

    Parameters
    ----------
    exercise : str
        Exercise id, e.g. ``"predict"``.
    case : int
        Index of the hidden case.
    """
    digest = hashlib.sha256(f"{_secret['value']}/{exercise}/{case}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def with_reference_globals(fn, **replacements):
    """The student's function, seeing grader-side references under some global names.

    A later exercise (a training loop, say) usually calls functions the student wrote in
    earlier exercises. Grading it with the references from ``course/`` in their place means one
    mistake loses points in one exercise only. The references run in the grader's process; the
    kernel only gets stand-ins that call them.

    Parameters
    ----------
    fn : grader.trusted.Proxy
        The student's function, as the check received it.
    **replacements
        Global names to override, e.g. ``mse_gradients=course.linear.mse_gradients``.
    """
    return fn.with_globals(**replacements)


def copies(*arrays):
    """Independent copies of the inputs (a student's function may modify its arguments)."""
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in arrays)


def check_array(name, actual, expected, *, any_float=False, **kw):
    """``course.checks.check_array``, and, when ``expected`` is an array the reference computed,
    the same dtype as the reference (float32 stays float32; a float answer is not int or bool).
    ``any_float``: every float dtype will do (the docstring names no precision). A list or tuple
    answer has the dtype NumPy gives it (a list of Python floats is float64, never float32)."""
    answer_types = (np.ndarray, np.generic, list, tuple)
    if isinstance(expected, np.ndarray) and isinstance(actual, answer_types):
        try:
            got, want = np.asarray(actual).dtype, expected.dtype
        except ValueError:   # a ragged list: course.checks reports its shape
            got = want = expected.dtype
        float_ok = any_float and got.kind == want.kind == "f"
        if got != want and not float_ok and (want.kind == "f" or got.kind in "biu"
                                             and want.kind != got.kind):
            raise AssertionError(f"{name} has dtype {got}; expected {want}, like the reference "
                                 "on these inputs (keep the input's float type; do not return "
                                 "integers or booleans where the result is a float).")
    checks.check_array(name, actual, expected, **kw)
