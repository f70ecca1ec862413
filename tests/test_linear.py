"""Tests for course/linear.py: hand-computed values, numerical gradients, closed form."""
import numpy as np
import pytest

from course import linear
from course.gradcheck import numerical_gradient, relative_error
from course.losses import mse_loss


def test_predict_by_hand():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])
    W = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -1.0]])
    b = np.array([0.5, -2.0, 1.0])
    expected = np.array([[5.5, -3.0, -0.5], [11.5, -5.0, -1.5], [0.5, -1.0, 0.0]])
    np.testing.assert_allclose(linear.predict(X, W, b), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("N, D, M", [(1, 1, 1), (1, 4, 3), (6, 3, 2), (5, 2, 4)])
def test_mse_gradients_match_numerical_gradients(N, D, M):
    rng = np.random.default_rng(N * 100 + D * 10 + M)
    X = rng.normal(size=(N, D)) * 2.0
    W = rng.normal(size=(D, M))
    b = rng.normal(size=M)
    y = rng.normal(size=(N, M))
    dW, db = linear.mse_gradients(X, y, W, b)
    assert dW.shape == (D, M) and db.shape == (M,)
    num_dW = numerical_gradient(lambda W_: mse_loss(linear.predict(X, W_, b), y)[0], W.copy())
    num_db = numerical_gradient(lambda b_: mse_loss(linear.predict(X, W, b_), y)[0], b.copy())
    assert relative_error(dW, num_dW) < 1e-7
    assert relative_error(db, num_db) < 1e-7


def test_mse_gradients_by_hand():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([[1.0], [2.0], [3.0]])
    dW, db = linear.mse_gradients(X, y, np.zeros((2, 1)), np.zeros(1))
    np.testing.assert_allclose(dW, [[-4.0 / 3.0], [-5.0 / 3.0]], atol=1e-12)
    np.testing.assert_allclose(db, [-2.0], atol=1e-12)


def test_gradient_descent_step_moves_against_the_gradient_and_copies():
    W, b = np.array([[1.0], [2.0]]), np.array([0.5])
    dW, db = np.array([[0.5], [-1.0]]), np.array([2.0])
    W_new, b_new = linear.gradient_descent_step(W, b, dW, db, 0.1)
    np.testing.assert_allclose(W_new, [[0.95], [2.1]], atol=1e-12)
    np.testing.assert_allclose(b_new, [0.3], atol=1e-12)
    np.testing.assert_array_equal(W, [[1.0], [2.0]])
    np.testing.assert_array_equal(b, [0.5])


def test_normal_equations_match_lstsq():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    y = rng.normal(size=(50, 2))
    W, b = linear.fit_normal_equations(X, y)
    A = np.hstack([X, np.ones((50, 1))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(W, theta[:4], atol=1e-10)
    np.testing.assert_allclose(b, theta[4], atol=1e-10)
    assert W.shape == (4, 2) and b.shape == (2,)
    # The residual is orthogonal to every column of [X 1] (the normal equations hold).
    residual = linear.predict(X, W, b) - y
    np.testing.assert_allclose(A.T @ residual, 0.0, atol=1e-9)


def test_normal_equations_recover_noiseless_weights():
    X = np.linspace(-1.0, 1.0, 24).reshape(8, 3) ** np.array([1, 2, 3])
    W_true = np.array([[2.0], [-1.0], [0.5]])
    y = X @ W_true + 3.0
    W, b = linear.fit_normal_equations(X, y)
    np.testing.assert_allclose(W, W_true, atol=1e-9)
    np.testing.assert_allclose(b, [3.0], atol=1e-9)


@pytest.mark.parametrize("batch_size", [200, 16])
def test_gradient_descent_converges_to_closed_form(batch_size):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([[1.5], [-2.0], [0.5]]) + 0.7 + 0.1 * rng.normal(size=(200, 1))
    W_star, b_star = linear.fit_normal_equations(X, y)
    # Mini-batch noise needs a smaller step to settle near the minimum.
    lr, epochs = (0.5, 200) if batch_size == 200 else (0.02, 150)
    W, b, losses = linear.fit_gradient_descent(X, y, learning_rate=lr, epochs=epochs,
                                               batch_size=batch_size, rng=rng)
    assert len(losses) == epochs
    tol = 1e-6 if batch_size == 200 else 2e-2
    np.testing.assert_allclose(W, W_star, atol=tol)
    np.testing.assert_allclose(b, b_star, atol=tol)
    assert losses[-1] <= losses[0]
    assert losses[-1] == pytest.approx(mse_loss(linear.predict(X, W, b), y)[0])


def test_fit_gradient_descent_is_reproducible_and_keeps_dtype():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    y = rng.normal(size=(30, 1)).astype(np.float32)
    runs = [linear.fit_gradient_descent(X, y, learning_rate=0.1, epochs=3, batch_size=7,
                                        rng=np.random.default_rng(5)) for _ in range(2)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][2] == runs[1][2]
    assert runs[0][0].dtype == np.float32 and runs[0][1].dtype == np.float32


@pytest.mark.parametrize("N, D, M", [(1, 1, 1), (5, 3, 2), (7, 2, 4)])
def test_weighted_mse_gradients_numerical_and_unit_weights(N, D, M):
    rng = np.random.default_rng(N * 100 + D * 10 + M)
    X, y = rng.normal(size=(N, D)), rng.normal(size=(N, M))
    W, b, s = rng.normal(size=(D, M)), rng.normal(size=M), rng.uniform(0, 3, size=N)
    cost = lambda W_, b_: np.sum(s[:, None] * (X @ W_ + b_ - y) ** 2) / (2 * N)
    dW, db = linear.weighted_mse_gradients(X, y, W, b, s)
    assert relative_error(dW, numerical_gradient(lambda v: cost(v, b), W.copy())) < 1e-6
    assert relative_error(db, numerical_gradient(lambda v: cost(W, v), b.copy())) < 1e-6
    for got, want in zip(linear.weighted_mse_gradients(X, y, W, b, np.ones(N)),
                         linear.mse_gradients(X, y, W, b)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
