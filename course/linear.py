"""Linear regression trained by gradient descent, and its closed-form solution.

The model is ``y_hat = X @ W + b`` with the quadratic cost
``C = sum((y_hat - y)**2) / (2 N)`` over the N examples of a (mini-)batch.

Taught in notebook 01 (linear regression and gradient descent); the hidden tests of that
notebook compare the students' functions with the ones here.
"""
from __future__ import annotations

import numpy as np

from course.losses import mse_loss
from course.train import iterate_minibatches

__all__ = [
    "predict",
    "mse_gradients",
    "gradient_descent_step",
    "fit_normal_equations",
    "fit_gradient_descent",
]


def predict(X, W, b):
    """Predictions of the linear model, ``y_hat = X W + b``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Inputs, one example per row.
    W : ndarray of shape (D, M)
        Weights.
    b : ndarray of shape (M,)
        Biases, broadcast over the rows.

    Returns
    -------
    y_hat : ndarray of shape (N, M)
    """
    return X @ W + b


def mse_gradients(X, y, W, b):
    """Gradients of the mean squared error ``sum((X W + b - y)**2) / (2 N)``.

    The formulas are derived in notebook 01 (section 3).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N, M)
        Targets.
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)

    Returns
    -------
    dW : ndarray of shape (D, M)
    db : ndarray of shape (M,)
    """
    _, dy_hat = mse_loss(predict(X, W, b), y)
    dW = X.T @ dy_hat
    db = dy_hat.sum(axis=0)
    return dW, db


def gradient_descent_step(W, b, dW, db, learning_rate):
    """One step of gradient descent, ``W - eta dW`` and ``b - eta db``.

    Returns new arrays; the inputs are not modified.

    Parameters
    ----------
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    dW : ndarray of shape (D, M)
        Gradient of the cost with respect to W.
    db : ndarray of shape (M,)
        Gradient of the cost with respect to b.
    learning_rate : float
        Step size eta > 0.

    Returns
    -------
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    """
    return W - learning_rate * dW, b - learning_rate * db


def fit_normal_equations(X, y):
    """Least-squares weights and bias in closed form.

    Solves ``min ||[X 1] theta - y||^2`` with ``np.linalg.lstsq`` (the normal equations
    ``A^T A theta = A^T y`` without forming ``A^T A``, so it stays accurate when the columns
    of X are nearly dependent).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N, M)

    Returns
    -------
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    return theta[:-1], theta[-1]


def fit_gradient_descent(X, y, *, learning_rate, epochs, batch_size, rng):
    """Train the linear model with mini-batch gradient descent from zero weights.

    Every epoch walks once over a fresh shuffle of the data
    (``iterate_minibatches(X, y, batch_size, rng)``), taking one step per mini-batch; after
    the epoch the cost on the whole training set is recorded.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N, M)
    learning_rate : float
    epochs : int
    batch_size : int
        ``N`` gives full-batch gradient descent, 1 gives stochastic (online) descent.
    rng : np.random.Generator
        Shuffles the examples every epoch.

    Returns
    -------
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    losses : list of float, length ``epochs``
        Training cost after each epoch.
    """
    W = np.zeros((X.shape[1], y.shape[1]), dtype=X.dtype)
    b = np.zeros(y.shape[1], dtype=X.dtype)
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            dW, db = mse_gradients(X_batch, y_batch, W, b)
            W, b = gradient_descent_step(W, b, dW, db, learning_rate)
        loss, _ = mse_loss(predict(X, W, b), y)
        losses.append(float(loss))
    return W, b, losses


def weighted_mse_gradients(X, y, W, b, weights):
    """Gradients of the weighted quadratic cost of the linear model.

    C = sum over i of weights[i] * ||y_hat_i - y_i||**2, divided by 2N, with y_hat = X W + b:
    example i counts weights[i] times (weights of 1 give the cost of ``mse_gradients``).
    The gradients are derived in notebook 01 (an exercise there), so they are not spelled
    out here.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N, M)
        Targets.
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    weights : ndarray of shape (N,)
        Non-negative weight of every example.

    Returns
    -------
    dW : ndarray of shape (D, M)
    db : ndarray of shape (M,)

    Taught in notebook 01.
    """
    N = X.shape[0]
    error = (predict(X, W, b) - y) * np.reshape(weights, (N, 1)) / N
    return X.T @ error, error.sum(axis=0)
