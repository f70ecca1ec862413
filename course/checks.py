"""Assertions with messages that help a student find the mistake.

Every visible test in the notebooks and every hidden check in ``grader/exercises`` goes through
these helpers, so a failure always says which array is wrong, the expected and actual shape,
how far off it is and where, and (when the test author supplies one) a hint for the usual
mistake.

A failure raises :class:`CheckFailure`, an ``AssertionError`` whose first line is the whole
message (the grader reports that line). In a notebook it is shown short: the message, the hint
on a line of its own and the test's line that failed, without the frames of this module
(``course.errors``).

Used by every notebook's grade cells.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["CheckFailure", "check_array", "check_scalar", "check_shape", "check_true",
           "as_plain_array"]


class CheckFailure(AssertionError):
    """A test found a wrong answer; ``str(exc)`` is one line: what is wrong, then the hint.

    IPython shows an exception with ``_render_traceback_`` by the lines that method returns, so
    in a notebook the student reads the message and the line of the test, not this module.
    """

    def _render_traceback_(self):
        from course.errors import check_failure_lines

        return check_failure_lines(self)


def as_plain_array(name: str, value) -> np.ndarray:
    """Convert ``value`` to a plain float64/int ``np.ndarray`` or fail with a clear message.

    Subclasses of ``ndarray`` are converted to the base class so that overridden comparison
    operators cannot influence a check; objects that are not numeric arrays are refused.

    Parameters
    ----------
    name : str
        What the value is called in the message, e.g. ``"dW"``.
    value : array_like
        The value returned by the student's function.

    Returns
    -------
    ndarray
        A base-class copy of ``value``.
    """
    if value is None:
        raise CheckFailure(f"{name} is None: did you forget a `return` statement?")
    if isinstance(value, tuple) and not isinstance(value, np.ndarray):
        raise CheckFailure(
            f"{name} is a tuple of length {len(value)}, expected a single array: "
            "check what your function returns (maybe you returned (value, cache))."
        )
    try:
        arr = np.array(value, copy=True, subok=False)
    except Exception as exc:  # anything that numpy cannot turn into an array
        raise CheckFailure(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise CheckFailure(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    return np.asarray(arr).view(np.ndarray)


def check_shape(name: str, actual, expected_shape: tuple) -> None:
    """Assert that ``actual`` has ``expected_shape``.

    Parameters
    ----------
    name : str
        Name of the array in the message.
    actual : array_like
        The array to check.
    expected_shape : tuple of int
        The shape it must have.
    """
    arr = as_plain_array(name, actual)
    if tuple(arr.shape) != tuple(expected_shape):
        hint = _shape_hint(tuple(arr.shape), tuple(expected_shape))
        raise CheckFailure(
            f"{name} has shape {tuple(arr.shape)}, expected {tuple(expected_shape)}.{hint}"
        )


def check_array(name: str, actual, expected, *, rtol: float = 1e-6, atol: float = 1e-8,
                hint: str | None = None) -> None:
    """Assert that ``actual`` matches ``expected`` in shape and value.

    The comparison is ``|actual - expected| <= atol + rtol * |expected|`` element-wise, done
    on plain ``ndarray`` copies.

    Parameters
    ----------
    name : str
        Name of the array in the message, e.g. ``"dW"``.
    actual : array_like
        What the student's code produced.
    expected : array_like
        The correct value.
    rtol, atol : float
        Relative and absolute tolerance.
    hint : str, optional
        Appended to the message: the usual mistake behind this failure.
    """
    expected = np.asarray(expected, dtype=np.float64).view(np.ndarray)
    check_shape(name, actual, expected.shape)
    arr = as_plain_array(name, actual).astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise CheckFailure(
            f"{name} contains {bad} NaN or infinite value(s)."
            + (f" Hint: {hint}" if hint else " Is an exp or log overflowing?")
        )
    err = np.abs(arr - expected)
    allowed = atol + rtol * np.abs(expected)
    if np.all(err <= allowed):
        return
    if err.ndim == 0:
        raise CheckFailure(_scalar_message(name, float(arr), float(expected), hint))
    worst = np.unravel_index(int(np.argmax(err - allowed)), err.shape)
    n_bad = int(np.count_nonzero(err > allowed))
    msg = (
        f"{name} is wrong in {n_bad} of {err.size} entries; the largest error is "
        f"{float(err[worst]):.3g} at index {tuple(int(i) for i in worst)} "
        f"(got {float(arr[worst]):.6g}, expected {float(expected[worst]):.6g})."
    )
    ratio = _constant_ratio(arr, expected)
    if ratio is not None:
        msg += f" Your values are {ratio:.4g} times the expected ones everywhere."
    if hint:
        msg += f" Hint: {hint}"
    raise CheckFailure(msg)


def check_scalar(name: str, actual, expected: float, *, rtol: float = 1e-6,
                 atol: float = 1e-8, hint: str | None = None) -> None:
    """Assert that ``actual`` is a real number close to ``expected``.

    Parameters
    ----------
    name : str
        Name of the value in the message, e.g. ``"loss"``.
    actual : float or 0-d array
        What the student's code produced.
    expected : float
        The correct value.
    rtol, atol : float
        Relative and absolute tolerance.
    hint : str, optional
        The usual mistake behind this failure.
    """
    arr = as_plain_array(name, actual)
    if arr.size != 1:
        raise CheckFailure(
            f"{name} should be a single number, got an array of shape {arr.shape}: "
            "did you forget to sum or average?"
        )
    check_array(name, arr.reshape(()), np.float64(expected), rtol=rtol, atol=atol, hint=hint)


def check_true(condition, message: str) -> None:
    """Assert a plain condition with a helpful message (``assert`` can be disabled with -O)."""
    if not isinstance(condition, (bool, np.bool_)):
        raise CheckFailure(f"Internal check received {type(condition).__name__}, not a bool.")
    if not bool(condition):
        raise CheckFailure(message)


def _constant_ratio(actual: np.ndarray, expected: np.ndarray) -> float | None:
    """Return c when ``actual == c * expected`` everywhere (c != 1), else None."""
    mask = np.abs(expected) > 1e-12
    if not np.any(mask):
        return None
    ratios = actual[mask] / expected[mask]
    c = float(np.median(ratios))
    if not isinstance(c, numbers.Real) or not np.isfinite(c) or abs(c - 1) < 1e-6:
        return None
    if np.allclose(actual, c * expected, rtol=1e-6, atol=1e-9):
        return c
    return None


def _shape_hint(shape: tuple, expected: tuple) -> str:
    """The usual mistake behind a wrong shape, as a sentence starting with a space, or ``""``."""
    hint = _broadcast_hint(shape, expected)
    if hint:
        return hint
    if len(shape) == len(expected) and shape[::-1] == expected:
        return " It is the transpose of the expected shape: check the order of a matrix product."
    if int(np.prod(shape)) == int(np.prod(expected)):
        return " It has the right number of entries: a reshape or a missing keepdims?"
    if abs(len(shape) - len(expected)) == 1:
        return " One axis too many or too few: did you sum over the batch (axis=0)?"
    return ""


def _broadcast_hint(shape: tuple, expected: tuple) -> str:
    """The sentence for a shape that a broadcasting slip makes, or ``""``.

    Names the two usual ones: a column ``(N, 1)`` against a flat ``(N,)`` (either way round),
    and the ``(N, N)`` that NumPy makes when the two are combined in one operation.
    """
    if len(expected) == 1 and shape == expected + (1,):
        n = expected[0]
        return (f" It is a column ({n}, 1) where a flat ({n},) array is expected: a (N, 1)-vs-(N,)"
                " slip; drop the extra axis (e.g. [:, 0]) or keep the inputs' shapes the same.")
    if len(shape) == 1 and expected == shape + (1,):
        n = shape[0]
        return (f" It is flat ({n},) where a column ({n}, 1) is expected: a (N, 1)-vs-(N,)"
                " slip; keep the second axis (keepdims=True or reshape(-1, 1)).")
    if (len(shape) == 2 and shape[0] == shape[1] > 1 and shape[0] in expected
            and int(np.prod(expected)) == shape[0]):
        n = shape[0]
        return (f" This is what broadcasting makes of a ({n}, 1) and a ({n},) array in one"
                f" operation: every pair, ({n}, {n}). Give both operands the same shape.")
    return ""


def _scalar_message(name: str, got: float, expected: float, hint: str | None) -> str:
    """The sentence for one wrong number: the value, the expected one and how far off."""
    msg = f"{name} is {got:.6g}, expected {expected:.6g} (off by {abs(got - expected):.3g})."
    if expected != 0 and got != 0:
        ratio = got / expected
        for simple in (2.0, 3.0, 4.0, 0.5, 1 / 3, 0.25, -1.0, -2.0, -0.5):
            if abs(ratio - simple) <= 1e-6 * abs(simple):
                msg += f" That is {ratio:.4g} times the expected value: a missing or extra factor?"
                break
    if hint:
        msg += f" Hint: {hint}"
    return msg
