"""Tests for course/activations.py: hand values, numerical gradients, no warnings at |z| = 1e3."""
import numpy as np
import pytest

from course import activations as act
from course.gradcheck import numerical_gradient_array, relative_error

SMOOTH = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "linear"]
SHAPES = [(1, 1), (1, 5), (4, 3), (6, 7)]


def _away_from_zero(z):
    """Push entries away from the kink at 0 so finite differences do not straddle it."""
    return np.where(np.abs(z) < 1e-2, 0.5, z)


@pytest.mark.parametrize("name", SMOOTH)
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_numerical_gradient(name, shape):
    forward, backward = act.ACTIVATIONS[name]
    rng = np.random.default_rng(len(name) * 100 + shape[0] * 10 + shape[1])
    z = _away_from_zero(rng.standard_normal(shape) * 2)
    da = rng.standard_normal(shape)
    a, cache = forward(z)
    assert a.shape == z.shape
    dz = backward(da, cache)
    num = numerical_gradient_array(lambda v: forward(v)[0], z, da)
    assert relative_error(dz, num) < 1e-7


def test_relu_lecture_example():
    # the lecture's example: input (1, -2, 3, -1), upstream gradient (4, -1, -5, 9)
    z = np.array([[1.0, -2.0, 3.0, -1.0]])
    a, cache = act.relu_forward(z)
    np.testing.assert_array_equal(a, [[1, 0, 3, 0]])
    np.testing.assert_array_equal(act.relu_backward(np.array([[4.0, -1.0, -5.0, 9.0]]), cache),
                                  [[4, 0, -5, 0]])


def test_hand_values():
    z = np.array([[-1.0, 0.0, 2.0]])
    a, _ = act.sigmoid_forward(z)
    np.testing.assert_allclose(a, 1 / (1 + np.exp(-z)), rtol=1e-12)
    assert a[0, 1] == 0.5
    np.testing.assert_allclose(act.tanh_forward(z)[0], np.tanh(z), rtol=1e-12)
    np.testing.assert_allclose(act.leaky_relu_forward(z)[0], [[-0.01, 0.0, 2.0]])
    np.testing.assert_allclose(act.leaky_relu_forward(z, alpha=0.2)[0], [[-0.2, 0.0, 2.0]])
    np.testing.assert_allclose(act.elu_forward(z)[0], [[np.exp(-1) - 1, 0.0, 2.0]], rtol=1e-12)
    np.testing.assert_allclose(act.elu_forward(z, alpha=2.0)[0], [[2 * (np.exp(-1) - 1), 0, 2]],
                               rtol=1e-12)
    np.testing.assert_allclose(act.softplus_forward(z)[0], np.log1p(np.exp(z)), rtol=1e-12)
    np.testing.assert_array_equal(act.step_forward(z)[0], [[0.0, 0.5, 1.0]])
    np.testing.assert_array_equal(act.sign_forward(z)[0], [[-1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(act.linear_forward(z)[0], z)


def test_derivatives_by_hand():
    z = np.array([[-1.0, 0.5, 2.0]])
    ones = np.ones_like(z)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(act.sigmoid_backward(ones, act.sigmoid_forward(z)[1]), s * (1 - s))
    np.testing.assert_allclose(act.tanh_backward(ones, act.tanh_forward(z)[1]), 1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(act.leaky_relu_backward(ones, act.leaky_relu_forward(z, 0.1)[1]),
                               [[0.1, 1.0, 1.0]])
    np.testing.assert_allclose(act.elu_backward(ones, act.elu_forward(z, 0.5)[1]),
                               [[0.5 * np.exp(-1), 1.0, 1.0]], rtol=1e-12)
    np.testing.assert_allclose(act.softplus_backward(ones, act.softplus_forward(z)[1]), s)
    np.testing.assert_array_equal(act.linear_backward(3 * ones, act.linear_forward(z)[1]), 3 * ones)


@pytest.mark.parametrize("name", ["step", "sign"])
def test_step_and_sign_have_zero_gradient(name):
    forward, backward = act.ACTIVATIONS[name]
    z = np.array([[-2.0, 0.3, 5.0], [1.0, -1.0, 0.1]])
    dz = backward(np.full_like(z, 7.0), forward(z)[1])
    assert dz.shape == z.shape
    np.testing.assert_array_equal(dz, np.zeros_like(z))


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_warnings_and_right_limits_at_1e3(name, dtype):
    forward, backward = act.ACTIVATIONS[name]
    z = np.array([[-1e3, -50.0, 50.0, 1e3]], dtype=dtype)
    with np.errstate(all="raise"):
        a, cache = forward(z)
        dz = backward(np.ones_like(z), cache)
    assert a.dtype == dtype and dz.dtype == dtype
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(dz))
    limits = {
        "sigmoid": [0, 0, 1, 1], "tanh": [-1, -1, 1, 1], "relu": [0, 0, 50, 1e3],
        "leaky_relu": [-10, -0.5, 50, 1e3], "elu": [-1, -1, 50, 1e3],
        "softplus": [0, 0, 50, 1e3], "linear": [-1e3, -50, 50, 1e3],
        "step": [0, 0, 1, 1], "sign": [-1, -1, 1, 1],
    }
    np.testing.assert_allclose(a[0], limits[name], rtol=1e-6, atol=1e-6)


def test_sigmoid_keeps_relative_precision_for_negative_inputs():
    a, _ = act.sigmoid_forward(np.array([[-30.0, -700.0]]))
    np.testing.assert_allclose(a, np.exp([[-30.0, -700.0]]) / (1 + np.exp([[-30.0, -700.0]])),
                               rtol=1e-12)


def test_maxout_by_hand():
    z = np.array([[1.0, 5.0, -2.0, 3.0, 0.0, 4.0]])
    a, cache = act.maxout_forward(z, 2)
    np.testing.assert_array_equal(a, [[5.0, 3.0, 4.0]])
    a3, _ = act.maxout_forward(z, 3)
    np.testing.assert_array_equal(a3, [[5.0, 4.0]])
    dz = act.maxout_backward(np.array([[10.0, 20.0, 30.0]]), cache)
    np.testing.assert_array_equal(dz, [[0, 10, 0, 20, 0, 30]])
    with pytest.raises(ValueError):
        act.maxout_forward(z, 4)


@pytest.mark.parametrize("shape,k", [((1, 4), 2), ((5, 6), 3), ((3, 8), 4), ((2, 3), 1)])
def test_maxout_gradient(shape, k):
    rng = np.random.default_rng(shape[1] * k)
    z = rng.standard_normal(shape)
    a, cache = act.maxout_forward(z, k)
    da = rng.standard_normal(a.shape)
    dz = act.maxout_backward(da, cache)
    num = numerical_gradient_array(lambda v: act.maxout_forward(v, k)[0], z, da)
    assert relative_error(dz, num) < 1e-7


def test_kinked_derivatives_at_exactly_zero():
    # the derivative at z = 0 is the left one: 0 for relu, alpha for leaky relu and elu
    z = np.array([[-1.0, 0.0, 1.0]])
    ones = np.ones_like(z)
    np.testing.assert_array_equal(act.relu_backward(ones, act.relu_forward(z)[1]), [[0, 0, 1]])
    np.testing.assert_allclose(act.leaky_relu_backward(ones, act.leaky_relu_forward(z, 0.2)[1]),
                               [[0.2, 0.2, 1.0]])
    np.testing.assert_allclose(act.elu_backward(ones, act.elu_forward(z, 0.5)[1]),
                               [[0.5 * np.exp(-1), 0.5, 1.0]], rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_swish_backward_matches_numerical_derivative(shape):
    rng = np.random.default_rng(shape[0] * 17 + shape[1])
    z, da = rng.normal(0, 3, size=shape), rng.normal(size=shape)
    a, cache = act.swish_forward(z)
    np.testing.assert_allclose(a, z / (1 + np.exp(-z)), rtol=1e-12)
    num = numerical_gradient_array(lambda v: act.swish_forward(v)[0], z.copy(), da)
    assert relative_error(act.swish_backward(da, cache), num) < 1e-7


def test_swish_no_warnings_for_huge_inputs():
    z = np.array([-1e3, -50.0, 0.0, 50.0, 1e3])
    with np.errstate(all="raise"):
        a, cache = act.swish_forward(z)
        dz = act.swish_backward(np.ones_like(z), cache)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(dz))
