"""Tests for course/layers.py: hand values, numerical gradients, train and test modes."""
import numpy as np
import pytest

from course import layers
from course.activations import ACTIVATIONS
from course.gradcheck import numerical_gradient_array, relative_error

# (N, D, M): batch size 1, non-square weights, more outputs than inputs
SHAPES = [(1, 4, 3), (5, 3, 6), (8, 7, 2)]


def test_affine_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
    b = np.array([0.5, -1.0, 2.0])
    out, cache = layers.affine_forward(x, W, b)
    np.testing.assert_allclose(out, [[5.5, 1.0, 2.0], [11.5, 3.0, 1.0], [0.5, -0.5, 3.25]])
    dout = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    dx, dW, db = layers.affine_backward(dout, cache)
    np.testing.assert_allclose(dx, [[1, 2], [0, 1], [0, 3.5]])
    np.testing.assert_allclose(dW, [[0, 2, -1], [2.5, 4.5, 0.5]])
    np.testing.assert_allclose(db, [2, 2, 1])


@pytest.mark.parametrize("N,D,M", SHAPES)
def test_affine_gradients(N, D, M):
    rng = np.random.default_rng(N * 100 + D * 10 + M)
    x, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
    dout = rng.standard_normal((N, M))
    dx, dW, db = layers.affine_backward(dout, layers.affine_forward(x, W, b)[1])
    assert relative_error(dx, numerical_gradient_array(lambda v: layers.affine_forward(v, W, b)[0], x, dout)) < 1e-7
    assert relative_error(dW, numerical_gradient_array(lambda v: layers.affine_forward(x, v, b)[0], W, dout)) < 1e-7
    assert relative_error(db, numerical_gradient_array(lambda v: layers.affine_forward(x, W, v)[0], b, dout)) < 1e-7


def test_affine_flattens_image_batches():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4))
    W, b = rng.standard_normal((12, 5)), rng.standard_normal(5)
    out, cache = layers.affine_forward(x, W, b)
    np.testing.assert_allclose(out, x.reshape(2, 12) @ W + b)
    dx, _, _ = layers.affine_backward(np.ones((2, 5)), cache)
    assert dx.shape == x.shape


# ---------------------------------------------------------------- dropout
def test_dropout_test_mode_is_identity():
    x = np.arange(12.0).reshape(3, 4)
    out, cache = layers.dropout_forward(x, 0.3, "test", None)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(layers.dropout_backward(np.ones_like(x), cache), np.ones_like(x))


@pytest.mark.parametrize("keep_prob", [0.2, 0.5, 0.9])
def test_dropout_train_mode_keeps_fraction_and_mean(keep_prob):
    x = np.ones((400, 500))
    out, cache = layers.dropout_forward(x, keep_prob, "train", np.random.default_rng(0))
    kept = out != 0
    assert abs(kept.mean() - keep_prob) < 0.01
    np.testing.assert_allclose(out[kept], 1 / keep_prob)  # inverted: survivors scaled by 1/p
    assert abs(out.mean() - 1.0) < 0.02  # expected activation preserved
    dout = np.random.default_rng(1).standard_normal(x.shape)
    dx = layers.dropout_backward(dout, cache)
    np.testing.assert_allclose(dx, dout * kept / keep_prob)  # same mask in the backward pass


def test_dropout_reproducible_and_gradient():
    rng = np.random.default_rng(5)
    x, dout = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    out1, cache = layers.dropout_forward(x, 0.6, "train", np.random.default_rng(42))
    out2, _ = layers.dropout_forward(x, 0.6, "train", np.random.default_rng(42))
    np.testing.assert_array_equal(out1, out2)
    dx = layers.dropout_backward(dout, cache)
    num = numerical_gradient_array(
        lambda v: layers.dropout_forward(v, 0.6, "train", np.random.default_rng(42))[0], x, dout)
    assert relative_error(dx, num) < 1e-7


def test_dropout_keep_prob_one_and_bad_arguments():
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(layers.dropout_forward(x, 1.0, "train", np.random.default_rng(0))[0], x)
    with pytest.raises(ValueError):
        layers.dropout_forward(x, 0.5, "training", np.random.default_rng(0))
    with pytest.raises(ValueError):
        layers.dropout_forward(x, 0.0, "train", np.random.default_rng(0))


# ---------------------------------------------------------------- drop-connect
def test_dropconnect_test_mode_is_affine():
    rng = np.random.default_rng(7)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    out, cache = layers.dropconnect_forward(x, W, b, 0.5, "test", None)
    np.testing.assert_allclose(out, x @ W + b)
    dout = rng.standard_normal((4, 5))
    dx, dW, db = layers.dropconnect_backward(dout, cache)
    np.testing.assert_allclose(dW, x.T @ dout)
    np.testing.assert_allclose(dx, dout @ W.T)


def test_dropconnect_train_mode_drops_weights():
    x = np.ones((1, 300))
    W = np.ones((300, 200))
    out, cache = layers.dropconnect_forward(x, W, np.zeros(200), 0.25, "train", np.random.default_rng(0))
    mask = cache[2]
    assert abs((mask != 0).mean() - 0.25) < 0.01
    np.testing.assert_allclose(out, (x @ (W * mask)))
    assert abs(out.mean() - 300) < 5  # expectation preserved by the 1/p scaling
    _, dW, _ = layers.dropconnect_backward(np.ones((1, 200)), cache)
    assert np.all(dW[mask == 0] == 0)


@pytest.mark.parametrize("N,D,M", SHAPES)
def test_dropconnect_gradients(N, D, M):
    rng = np.random.default_rng(N + D + M)
    x, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
    dout = rng.standard_normal((N, M))

    def fwd(x_, W_, b_):
        return layers.dropconnect_forward(x_, W_, b_, 0.7, "train", np.random.default_rng(11))[0]

    dx, dW, db = layers.dropconnect_backward(dout, layers.dropconnect_forward(
        x, W, b, 0.7, "train", np.random.default_rng(11))[1])
    assert relative_error(dx, numerical_gradient_array(lambda v: fwd(v, W, b), x, dout)) < 1e-7
    assert relative_error(dW, numerical_gradient_array(lambda v: fwd(x, v, b), W, dout)) < 1e-7
    assert relative_error(db, numerical_gradient_array(lambda v: fwd(x, W, v), b, dout)) < 1e-7


# ---------------------------------------------------------------- batch norm
def test_batchnorm_train_normalizes_and_updates_running_averages():
    rng = np.random.default_rng(0)
    x = 3.0 + 2.0 * rng.standard_normal((200, 4))
    bn_param = {"mode": "train"}
    out, _ = layers.batchnorm_forward(x, np.ones(4), np.zeros(4), bn_param)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-4)
    gamma, beta = np.array([1.0, 2.0, 0.5, -1.0]), np.array([0.0, 1.0, -2.0, 3.0])
    out2, _ = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out2, gamma * out + beta, rtol=1e-10, atol=1e-12)
    # running = momentum * running + (1 - momentum) * batch statistic, starting from 0 and 1
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.9 + 0.1 * x.var(axis=0), rtol=1e-12)
    assert bn_param.get("eps", 1e-5) == 1e-5


def test_batchnorm_running_average_by_hand_and_test_mode():
    x = np.array([[1.0, 10.0], [3.0, 20.0]])  # mean (2, 15), biased var (1, 25)
    rm, rv = np.array([1.0, 1.0]), np.array([4.0, 4.0])
    bn_param = {"mode": "train", "momentum": 0.8, "eps": 0.0, "running_mean": rm, "running_var": rv}
    layers.batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], [0.8 * 1 + 0.2 * 2, 0.8 * 1 + 0.2 * 15])
    np.testing.assert_allclose(bn_param["running_var"], [0.8 * 4 + 0.2 * 1, 0.8 * 4 + 0.2 * 25])
    np.testing.assert_array_equal(rm, [1.0, 1.0])  # the caller's arrays are not written into
    # test mode: the running averages, not the batch statistics
    test_param = {"mode": "test", "eps": 0.0, "running_mean": np.array([1.0, 10.0]),
                  "running_var": np.array([4.0, 25.0])}
    out, _ = layers.batchnorm_forward(x, np.array([2.0, 1.0]), np.array([0.0, 1.0]), test_param)
    np.testing.assert_allclose(out, [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(test_param["running_mean"], [1.0, 10.0])  # unchanged in test mode


@pytest.mark.parametrize("N,D", [(1, 3), (3, 4), (6, 5), (10, 2)])  # N=2: x_hat = +-1, no signal
@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_gradients(N, D, mode):
    rng = np.random.default_rng(N * 10 + D)
    x = 2.0 + rng.standard_normal((N, D)) * 1.5
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    stats = {"running_mean": rng.standard_normal(D), "running_var": rng.random(D) + 0.5}

    def fwd(x_, g_, b_):
        return layers.batchnorm_forward(x_, g_, b_, {"mode": mode, **stats})[0]

    _, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": mode, **stats})
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    assert relative_error(dx, numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout)) < 1e-7
    assert relative_error(dgamma, numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout)) < 1e-7
    assert relative_error(dbeta, numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout)) < 1e-7


def test_batchnorm_bad_mode():
    with pytest.raises(ValueError):
        layers.batchnorm_forward(np.ones((2, 2)), np.ones(2), np.zeros(2), {"mode": "eval"})


# ---------------------------------------------------------------- affine + activation
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "softplus", "linear"])
@pytest.mark.parametrize("N,D,M", SHAPES)
def test_affine_activation(activation, N, D, M):
    rng = np.random.default_rng(N * 7 + D * 3 + M + len(activation))
    x, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
    dout = rng.standard_normal((N, M))
    out, cache = layers.affine_activation_forward(x, W, b, activation)
    np.testing.assert_allclose(out, ACTIVATIONS[activation][0](x @ W + b)[0], rtol=1e-12)
    dx, dW, db = layers.affine_activation_backward(dout, cache)

    def f(x_, W_, b_):
        return layers.affine_activation_forward(x_, W_, b_, activation)[0]

    assert relative_error(dx, numerical_gradient_array(lambda v: f(v, W, b), x, dout)) < 1e-7
    assert relative_error(dW, numerical_gradient_array(lambda v: f(x, v, b), W, dout)) < 1e-7
    assert relative_error(db, numerical_gradient_array(lambda v: f(x, W, v), b, dout)) < 1e-7


def test_affine_activation_unknown_name():
    with pytest.raises(ValueError, match="unknown activation"):
        layers.affine_activation_forward(np.ones((1, 2)), np.ones((2, 2)), np.zeros(2), "relu6")


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    W = rng.standard_normal((3, 2)).astype(np.float32)
    b = np.zeros(2, np.float32)
    out, cache = layers.affine_activation_forward(x, W, b, "relu")
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layers.affine_activation_backward(np.ones_like(out), cache))
    bn, bcache = layers.batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32), {"mode": "train"})
    assert bn.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layers.batchnorm_backward(np.ones_like(bn), bcache))


def test_affine_image_batch_gradients_use_flattened_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    W, b = rng.standard_normal((12, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((2, 5))
    dx, dW, db = layers.affine_backward(dout, layers.affine_forward(x, W, b)[1])
    assert dW.shape == W.shape
    np.testing.assert_allclose(dW, x.reshape(2, 12).T @ dout, rtol=1e-12)
    np.testing.assert_allclose(dx, (dout @ W.T).reshape(x.shape), rtol=1e-12)
    np.testing.assert_allclose(db, dout.sum(axis=0), rtol=1e-12)
    num = numerical_gradient_array(lambda v: layers.affine_forward(x, v, b)[0], W, dout)
    assert relative_error(dW, num) < 1e-7


def test_dropout_rejects_keep_prob_above_one():
    with pytest.raises(ValueError):
        layers.dropout_forward(np.ones((2, 2)), 1.5, "train", np.random.default_rng(0))


def test_dropconnect_keep_prob_one_and_bad_arguments():
    rng = np.random.default_rng(8)
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    out, cache = layers.dropconnect_forward(x, W, b, 1.0, "train", np.random.default_rng(0))
    np.testing.assert_allclose(out, x @ W + b, rtol=1e-12)  # p = 1 keeps every weight
    _, dW, _ = layers.dropconnect_backward(np.ones((3, 2)), cache)
    np.testing.assert_allclose(dW, x.T @ np.ones((3, 2)), rtol=1e-12)
    for bad in (0.0, 1.5, -0.2):
        with pytest.raises(ValueError):
            layers.dropconnect_forward(x, W, b, bad, "train", np.random.default_rng(0))
    with pytest.raises(ValueError):
        layers.dropconnect_forward(x, W, b, 0.5, "training", np.random.default_rng(0))


def test_batchnorm_test_mode_default_statistics():
    # no running averages yet: mean 0 and variance 1, and those defaults are stored
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    bn_param = {"mode": "test", "eps": 0.0}
    out, _ = layers.batchnorm_forward(x, np.array([2.0, 1.0]), np.array([0.5, 0.0]), bn_param)
    np.testing.assert_allclose(out, np.array([2.0, 1.0]) * x + [0.5, 0.0])  # gamma x + beta
    np.testing.assert_array_equal(bn_param["running_mean"], [0.0, 0.0])
    np.testing.assert_array_equal(bn_param["running_var"], [1.0, 1.0])
