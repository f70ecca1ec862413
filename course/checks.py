"""Assertions with messages that help a student find the mistake.

Every visible test in the notebooks and every hidden check in ``grader/exercises`` goes through
these helpers, so a failure always says which array is wrong, the expected and actual shape,
how far off it is and where, and (when the test author supplies one) a hint for the usual
mistake.

Used by every notebook's grade cells.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_array", "check_scalar", "check_shape", "check_true", "as_plain_array"]


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
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    if isinstance(value, tuple) and not isinstance(value, np.ndarray):
        raise AssertionError(
            f"{name} is a tuple of length {len(value)}, expected a single array: "
            "check what your function returns (maybe you returned (value, cache))."
        )
    try:
        arr = np.array(value, copy=True, subok=False)
    except Exception as exc:  # anything that numpy cannot turn into an array
        raise AssertionError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise AssertionError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
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
        hint = ""
        if arr.ndim == len(expected_shape) and tuple(arr.shape[::-1]) == tuple(expected_shape):
            hint = " It is the transpose of the expected shape: check the order of a matrix product."
        elif arr.size == int(np.prod(expected_shape)):
            hint = " It has the right number of entries: a reshape or a missing keepdims?"
        elif arr.ndim == len(expected_shape) + 1 or arr.ndim + 1 == len(expected_shape):
            hint = " One axis too many or too few: did you sum over the batch (axis=0)?"
        raise AssertionError(
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
        raise AssertionError(
            f"{name} contains {bad} NaN or infinite value(s)."
            + (f" Hint: {hint}" if hint else " Is an exp or log overflowing?")
        )
    err = np.abs(arr - expected)
    allowed = atol + rtol * np.abs(expected)
    if np.all(err <= allowed):
        return
    worst = np.unravel_index(int(np.argmax(err - allowed)), err.shape) if err.ndim else ()
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
    raise AssertionError(msg)


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
        raise AssertionError(
            f"{name} should be a single number, got an array of shape {arr.shape}: "
            "did you forget to sum or average?"
        )
    check_array(name, arr.reshape(()), np.float64(expected), rtol=rtol, atol=atol, hint=hint)


def check_true(condition, message: str) -> None:
    """Assert a plain condition with a helpful message (``assert`` can be disabled with -O)."""
    if not isinstance(condition, (bool, np.bool_)):
        raise AssertionError(f"Internal check received {type(condition).__name__}, not a bool.")
    if not bool(condition):
        raise AssertionError(message)


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
