"""Helpers shared by the hidden-test modules ``grader/hidden/nbNN.py``."""
from __future__ import annotations

import types

import numpy as np

from grader.hidden import guard
from grader.hidden.sealed import Recorder, Replayer, hidden_check  # noqa: F401 (hidden_check re-exported)


def rng_for(exercise: str, case: int = 0) -> np.random.Generator:
    """A generator with a fixed seed derived from the exercise name and case number.

    Parameters
    ----------
    exercise : str
        Exercise id, e.g. ``"predict"``.
    case : int
        Index of the hidden case.
    """
    seed = sum((i + 1) * ord(c) for i, c in enumerate(exercise)) * 1009 + case
    return np.random.default_rng(seed)


def with_reference_globals(fn, **replacements):
    """Return a copy of the student's function that sees reference versions of some globals.

    A later exercise (a training loop, say) usually calls functions the student wrote in
    earlier exercises. Grading it in isolation means replacing those with the references from
    ``course/`` so one mistake loses points in one exercise only.

    Parameters
    ----------
    fn : function
        The student's function.
    **replacements
        Global names to override, e.g. ``mse_gradients=course.linear.mse_gradients``.

    Returns
    -------
    function
        A new function with the same code and defaults whose globals include the replacements.
    """
    if isinstance(fn, Replayer):  # outside the kernel: the recording already holds the answer
        return fn
    if isinstance(fn, Recorder):  # inside a sealed kernel: keep recording into the same log
        return Recorder(with_reference_globals(fn.fn, **replacements), fn.log, fn.encoder)
    if not isinstance(fn, types.FunctionType):
        raise AssertionError(f"expected a Python function, got {type(fn).__name__}")
    globals_ = dict(fn.__globals__)
    globals_.update({k: guard.trusted(v) if isinstance(v, types.FunctionType) else v for k, v in replacements.items()})
    clone = types.FunctionType(fn.__code__, globals_, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def copies(*arrays):
    """Independent copies of the inputs (a student's function may modify its arguments)."""
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in arrays)
