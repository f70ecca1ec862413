"""Tests for course/gradcheck.py against functions whose gradients are known in closed form."""
import numpy as np
import pytest

from course import gradcheck


def test_numerical_gradient_of_known_functions():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    g = gradcheck.numerical_gradient(lambda v: np.sum(v ** 2), x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-8, atol=1e-10)
    g = gradcheck.numerical_gradient(lambda v: np.sum(np.sin(v) * [1.0, 2.0, 3.0]), x)
    np.testing.assert_allclose(g, np.cos(x) * [1.0, 2.0, 3.0], rtol=1e-8, atol=1e-10)
    # x is left exactly as it was
    np.testing.assert_array_equal(x, [[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])


def test_numerical_gradient_is_centered():
    # f(x) = x^3 at x = 1: centered difference gives 3 + h^2, one-sided 3 + 3h
    g = gradcheck.numerical_gradient(lambda v: float(v[0] ** 3), np.array([1.0]), h=1e-3)
    assert g[0] == pytest.approx(3 + 1e-6, abs=1e-9)


def test_numerical_gradient_array():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    g = gradcheck.numerical_gradient_array(lambda v: v ** 2, x, dout)
    np.testing.assert_allclose(g, 2 * x * dout, rtol=1e-7, atol=1e-10)
    # a matrix product: d sum((x W) * dout) / dx = dout W^T
    W = rng.standard_normal((4, 2))
    dout2 = rng.standard_normal((3, 2))
    g = gradcheck.numerical_gradient_array(lambda v: v @ W, x, dout2)
    np.testing.assert_allclose(g, dout2 @ W.T, rtol=1e-7, atol=1e-10)
    # a function that returns its input (a view) must still work
    g = gradcheck.numerical_gradient_array(lambda v: v, x, dout)
    np.testing.assert_allclose(g, dout, rtol=1e-7)


def test_relative_error_by_hand():
    assert gradcheck.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gradcheck.relative_error(np.array([1.0, 2.0]), np.array([3.0, 2.0])) == pytest.approx(0.5)
    assert gradcheck.relative_error(np.array([0.0]), np.array([0.0])) == 0.0
    # the 1e-8 floor: tiny absolute differences between near-zero numbers
    assert gradcheck.relative_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)
    # maximum over entries, symmetric in its arguments
    a, b = np.array([[1.0, 10.0], [4.0, 0.0]]), np.array([[1.1, 10.0], [4.0, 1.0]])
    assert gradcheck.relative_error(a, b) == pytest.approx(1.0)
    assert gradcheck.relative_error(b, a) == gradcheck.relative_error(a, b)
    with pytest.raises(ValueError):
        gradcheck.relative_error(np.ones(3), np.ones((3, 1)))


class _Quadratic:
    """loss = sum((X @ W - y)^2) / 2 + sum(c^3); optionally with a deliberately wrong gradient."""

    def __init__(self, bug=False):
        rng = np.random.default_rng(0)
        self.params = {"W": rng.standard_normal((3, 2)), "c": rng.standard_normal(4)}
        self.bug = bug

    def loss(self, X, y):
        r = X @ self.params["W"] - y
        loss = 0.5 * np.sum(r ** 2) + np.sum(self.params["c"] ** 3)
        dc = 3 * self.params["c"] ** 2
        if self.bug:
            dc = dc.copy()
            dc[2] *= 1.5
        return loss, {"W": X.T @ r, "c": dc}


class _Noisy:
    """A model whose loss depends on a random mask drawn from self.rng on every call."""

    def __init__(self):
        self.rng = np.random.default_rng(3)
        self.params = {"w": np.array([1.0, -2.0, 3.0, 0.5])}

    def loss(self, X, y):
        mask = self.rng.random(4) < 0.5
        w = self.params["w"]
        return float(np.sum(mask * w ** 2)), {"w": 2 * mask * w}


def test_check_model_gradients_passes_and_catches_a_bug():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    report = gradcheck.check_model_gradients(_Quadratic(), X, y)
    assert set(report) == {"W", "c"}
    assert all(err < 1e-7 for err, _ in report.values())
    report = gradcheck.check_model_gradients(_Quadratic(bug=True), X, y)
    err, where = report["c"]
    assert err > 0.1 and where == (2,)
    assert report["W"][0] < 1e-7


def test_check_model_gradients_replays_the_random_state():
    model = _Noisy()
    state = model.rng.bit_generator.state
    report = gradcheck.check_model_gradients(model, None, None)
    assert report["w"][0] < 1e-7  # the same mask in every evaluation
    assert model.rng.bit_generator.state == state  # and the generator is left as it was


class _WithEmptyParam:
    def __init__(self):
        self.params = {"w": np.array([1.0, -2.0]), "empty": np.zeros((0, 3))}

    def loss(self, X, y):
        w = self.params["w"]
        return float(np.sum(w ** 2)), {"w": 2 * w, "empty": np.zeros((0, 3))}


def test_empty_arrays_have_zero_error():
    assert gradcheck.relative_error(np.zeros(0), np.zeros(0)) == 0.0
    report = gradcheck.check_model_gradients(_WithEmptyParam(), None, None)
    assert report["empty"] == (0.0, ())
    assert report["w"][0] < 1e-7
