"""course.checks: what a failed check says, on the inputs a student's usual mistakes produce."""
import numpy as np
import pytest

from course.checks import CheckFailure, check_array, check_scalar, check_shape, check_true


def failure(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, AssertionError)      # the grader catches AssertionError
    message = str(info.value)
    assert "\n" not in message                          # the grader reports the first line
    return message


def test_array_message_names_the_worst_entry_and_a_constant_ratio():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    message = failure(check_array, "dW", 2 * expected, expected, hint="divide by N.")
    assert message.startswith(
        "dW is wrong in 4 of 4 entries; the largest error is 4 at index (1, 1)")
    assert "2 times the expected ones everywhere" in message
    assert message.endswith("Hint: divide by N.")


def test_scalar_message_is_a_sentence_about_one_number():
    message = failure(check_scalar, "loss", 3.0, 1.5, hint="divide by 2N.")
    assert message.startswith("loss is 3, expected 1.5 (off by 1.5).")
    assert "entries" not in message and "index ()" not in message
    assert "2 times the expected value" in message and message.endswith("Hint: divide by 2N.")
    # an arbitrary wrong number gets no talk of factors
    assert "times" not in failure(check_scalar, "loss", 1.7, 1.5)
    check_scalar("loss", 1.5 + 1e-9, 1.5)
    assert "single number" in failure(check_scalar, "loss", np.ones(3), 1.0)


@pytest.mark.parametrize("shape, expected, words", [
    ((4, 1), (4,), "column (4, 1) where a flat (4,) array is expected"),
    ((4,), (4, 1), "flat (4,) where a column (4, 1) is expected"),
    ((4, 4), (4,), "broadcasting makes of a (4, 1) and a (4,) array"),
    ((4, 4), (4, 1), "broadcasting makes of a (4, 1) and a (4,) array"),
    ((3, 2), (2, 3), "transpose"),
    ((6,), (2, 3), "right number of entries"),
    ((3,), (3, 2, 2), ""),
])
def test_shape_message_names_broadcasting_slips(shape, expected, words):
    message = failure(check_shape, "y_hat", np.zeros(shape), expected)
    assert message.startswith(f"y_hat has shape {shape}, expected {expected}.")
    assert words in message
    if shape == (4, 1):
        assert "transpose" not in message and "reshape or a missing keepdims" not in message


def test_array_shape_slip_reaches_check_array():
    y = np.arange(5.0)
    message = failure(check_array, "error", y.reshape(-1, 1) - y, np.zeros(5))
    assert "(5, 5)" in message and "broadcasting" in message


def test_other_failures_are_check_failures_too():
    assert "forget a `return`" in failure(check_array, "W", None, np.zeros(2))
    assert failure(check_true, False, "W was changed in place.") == "W was changed in place."
    assert "NaN" in failure(check_array, "p", [np.nan, 1.0], [1.0, 1.0])
