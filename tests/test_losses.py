"""Tests for course/losses.py: hand-computed values, numerical gradients, huge logits."""
import numpy as np
import pytest

from course import losses
from course.gradcheck import numerical_gradient, relative_error

SHAPES = [(1, 3), (5, 4), (7, 10), (2, 1)]


def _labels(rng, n, c):
    return rng.integers(0, c, size=n)


def test_one_hot_by_hand():
    Y = losses.one_hot(np.array([2, 0, 1, 2]), 3)
    expected = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    np.testing.assert_array_equal(Y, expected)
    assert Y.dtype == np.float64
    assert losses.one_hot(np.array([1]), 4, dtype=np.float32).dtype == np.float32
    assert losses.one_hot(np.array([3]), 5).shape == (1, 5)


def test_softmax_by_hand_and_shift_invariance():
    scores = np.array([[0.0, np.log(2.0)], [1.0, 1.0]])
    probs = losses.softmax(scores)
    np.testing.assert_allclose(probs, [[1 / 3, 2 / 3], [0.5, 0.5]], rtol=1e-12)
    np.testing.assert_allclose(losses.softmax(scores + 100.0), probs, rtol=1e-12)
    # softmax is row-wise: rows do not mix
    rng = np.random.default_rng(0)
    s = rng.standard_normal((4, 6))
    np.testing.assert_allclose(losses.softmax(s).sum(axis=1), np.ones(4), rtol=1e-12)
    np.testing.assert_allclose(losses.softmax(s[1:2]), losses.softmax(s)[1:2], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_huge_logits(dtype):
    scores = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    with np.errstate(all="raise"):
        probs = losses.softmax(scores)
        logp = losses.log_softmax(scores)
    assert np.all(np.isfinite(probs)) and np.all(np.isfinite(logp))
    np.testing.assert_allclose(probs, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-6)
    np.testing.assert_allclose(logp[0], [0.0, -1e4, -2e4], rtol=1e-6)
    np.testing.assert_allclose(logp[1], np.full(3, -np.log(3.0)), rtol=1e-6)


def test_log_softmax_matches_log_of_softmax():
    s = np.random.default_rng(1).standard_normal((5, 7)) * 3
    np.testing.assert_allclose(losses.log_softmax(s), np.log(losses.softmax(s)), rtol=1e-10)


def test_cross_entropy_by_hand_and_clipping():
    probs = np.array([[0.5, 0.5], [0.2, 0.8]])
    y = np.array([0, 1])
    expected = -(np.log(0.5) + np.log(0.8)) / 2
    assert losses.cross_entropy(probs, y) == pytest.approx(expected, rel=1e-12)
    with np.errstate(all="raise"):
        clipped = losses.cross_entropy(np.array([[1.0, 0.0]]), np.array([1]))
    assert clipped == pytest.approx(-np.log(1e-12), rel=1e-9)


def test_softmax_cross_entropy_by_hand():
    # equal scores: P = 1/C everywhere, loss = log C, dscores = (1/C - Y) / N
    scores = np.zeros((2, 4))
    loss, dscores = losses.softmax_cross_entropy(scores, np.array([1, 3]))
    assert loss == pytest.approx(np.log(4.0), rel=1e-12)
    expected = (np.full((2, 4), 0.25) - losses.one_hot(np.array([1, 3]), 4)) / 2
    np.testing.assert_allclose(dscores, expected, rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_cross_entropy_gradient(shape):
    rng = np.random.default_rng(sum(shape))
    scores = rng.standard_normal(shape)
    y = _labels(rng, *shape)
    loss, dscores = losses.softmax_cross_entropy(scores, y)
    assert loss == pytest.approx(losses.cross_entropy(losses.softmax(scores), y), rel=1e-10)
    num = numerical_gradient(lambda s: losses.softmax_cross_entropy(s, y)[0], scores)
    assert relative_error(dscores, num) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_huge_logits(dtype):
    scores = np.array([[1e4, 0.0], [0.0, 1e4]], dtype=dtype)
    with np.errstate(all="raise"):
        loss, dscores = losses.softmax_cross_entropy(scores, np.array([1, 1]))
    assert loss == pytest.approx(1e4 / 2, rel=1e-6)
    assert dscores.dtype == dtype
    np.testing.assert_allclose(dscores, [[0.5, -0.5], [0.0, 0.0]], atol=1e-7)


def test_mse_loss_by_hand():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.zeros((2, 2))
    loss, dpred = losses.mse_loss(pred, target)
    assert loss == pytest.approx((1 + 4 + 9 + 16) / (2 * 2))  # divided by 2N, not 2NM
    np.testing.assert_allclose(dpred, pred / 2)
    # a 1-D target is accepted for a single output
    loss1, d1 = losses.mse_loss(np.array([[2.0], [0.0]]), np.array([1.0, 1.0]))
    assert loss1 == pytest.approx(0.5)
    np.testing.assert_allclose(d1, [[0.5], [-0.5]])


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_loss_gradient(shape):
    rng = np.random.default_rng(10 + sum(shape))
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    _, dpred = losses.mse_loss(pred, target)
    num = numerical_gradient(lambda p: losses.mse_loss(p, target)[0], pred)
    assert relative_error(dpred, num) < 1e-7


def test_binary_cross_entropy_by_hand():
    loss, dz = losses.binary_cross_entropy(np.array([0.0, 0.0]), np.array([1, 0]))
    assert loss == pytest.approx(np.log(2.0), rel=1e-12)
    np.testing.assert_allclose(dz, [-0.25, 0.25])
    z, y = np.array([2.0, -1.0, 0.5]), np.array([1, 0, 0])
    s = 1 / (1 + np.exp(-z))
    expected = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
    loss, dz = losses.binary_cross_entropy(z, y)
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(dz, (s - y) / 3, rtol=1e-12)


@pytest.mark.parametrize("n", [1, 6])
@pytest.mark.parametrize("column", [False, True])
def test_binary_cross_entropy_gradient(n, column):
    rng = np.random.default_rng(n)
    z = rng.standard_normal((n, 1) if column else n) * 3
    y = rng.integers(0, 2, size=n)
    loss, dz = losses.binary_cross_entropy(z, y)
    assert dz.shape == z.shape
    num = numerical_gradient(lambda v: losses.binary_cross_entropy(v, y)[0], z)
    assert relative_error(dz, num) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_huge_logits(dtype):
    z = np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype)
    y = np.array([1, 0, 0, 1])
    with np.errstate(all="raise"):
        loss, dz = losses.binary_cross_entropy(z, y)
    assert loss == pytest.approx(2e4 / 4, rel=1e-6)  # the two wrong, confident answers
    np.testing.assert_allclose(dz, [0, 0, 0.25, -0.25], atol=1e-7)


def test_mse_loss_accepts_integer_arrays():
    loss, dpred = losses.mse_loss(np.array([[1], [3]]), np.array([[0], [0]]))
    assert loss == pytest.approx(10 / 4)
    np.testing.assert_allclose(dpred, [[0.5], [1.5]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_keeps_dtype(dtype):
    z = np.array([[0.5], [-2.0], [3.0]], dtype=dtype)
    loss, dz = losses.binary_cross_entropy(z, np.array([1, 0, 0]))
    assert dz.dtype == dtype and dz.shape == z.shape
    s = 1 / (1 + np.exp(-z.astype(np.float64)))
    np.testing.assert_allclose(dz, (s - [[1], [0], [0]]) / 3, rtol=1e-6)


@pytest.mark.parametrize("T", [0.25, 1.0, 3.0])
@pytest.mark.parametrize("shape", SHAPES)
def test_tempered_softmax_cross_entropy_matches_numerical_gradient(shape, T):
    rng = np.random.default_rng(len(shape) + shape[0] * 7 + shape[1])
    S, y = rng.normal(0, 2, size=shape), _labels(rng, *shape)
    loss, dS = losses.tempered_softmax_cross_entropy(S, y, T)
    assert loss == pytest.approx(losses.softmax_cross_entropy(S / T, y)[0], rel=1e-12)
    num = numerical_gradient(lambda s: losses.tempered_softmax_cross_entropy(s, y, T)[0], S.copy())
    np.testing.assert_allclose(dS, num, rtol=1e-5, atol=1e-9)   # tiny entries at low T


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("shape", SHAPES)
def test_smoothed_softmax_cross_entropy_matches_numerical_gradient(shape, eps):
    rng = np.random.default_rng(shape[0] * 11 + shape[1])
    S, y = rng.normal(0, 2, size=shape), _labels(rng, *shape)
    loss, dS = losses.smoothed_softmax_cross_entropy(S, y, eps)
    if eps == 0.0:
        ref = losses.softmax_cross_entropy(S, y)
        assert loss == pytest.approx(ref[0], rel=1e-12)
        np.testing.assert_allclose(dS, ref[1], atol=1e-15)
    num = numerical_gradient(lambda s: losses.smoothed_softmax_cross_entropy(s, y, eps)[0],
                             S.copy())
    assert relative_error(dS, num) < 1e-6
    np.testing.assert_allclose(dS.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("shape", SHAPES)
def test_tanh_mse_loss_matches_numerical_gradient(shape):
    rng = np.random.default_rng(shape[0] * 13 + shape[1])
    z, t = rng.normal(0, 1.5, size=shape), rng.uniform(-1, 1, size=shape)
    loss, dz = losses.tanh_mse_loss(z, t)
    assert loss == pytest.approx(losses.mse_loss(np.tanh(z), t)[0], rel=1e-12)
    num = numerical_gradient(lambda v: losses.tanh_mse_loss(v, t)[0], z.copy())
    assert relative_error(dz, num) < 1e-6
