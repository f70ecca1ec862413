"""Gradient checking with centered differences and the relative error.

Use it in float64: with float32 the rounding error of f is about 1e-7 * |f|, which divided by
2h = 2e-5 swamps the difference being measured.

Taught in notebook 03 (gradient checking).
"""
from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "numerical_gradient_array", "relative_error", "check_model_gradients"]


def numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of a scalar function, one entry at a time.

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h)

    ``x`` is perturbed in place and each entry is restored before the next one, so ``f`` may
    read ``x`` through a closure (e.g. a parameter array inside a model).

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : ndarray of any shape, float
    h : float
        Step.

    Returns
    -------
    grad : float64 ndarray with the shape of x

    Taught in notebook 03.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(f, x, dout, h=1e-5):
    """Centered-difference gradient of sum(f(x) * dout) for an array-valued f.

    dL/dx_i ~ sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h)

    This is how a layer's backward pass is checked: ``dout`` plays the upstream gradient.

    Parameters
    ----------
    f : callable
        ``f(x) -> ndarray`` with the shape of ``dout``.
    x : ndarray of any shape, float (perturbed in place and restored)
    dout : ndarray with the shape of f(x)
    h : float

    Returns
    -------
    grad : float64 ndarray with the shape of x

    Taught in notebook 03.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = np.array(f(x), dtype=np.float64)  # copy: f may return a view of x
        x[i] = old - h
        f_minus = np.array(f(x), dtype=np.float64)
        x[i] = old
        grad[i] = np.sum((f_plus - f_minus) * dout) / (2 * h)
    return grad


def relative_error(a, b):
    """Largest entry-wise relative error between two arrays.

    max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)

    Around 1e-7 or less is a correct gradient in float64; 1e-2 or more is a bug.

    Parameters
    ----------
    a, b : ndarrays of the same shape

    Returns
    -------
    error : float

    Taught in notebook 03.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(_entry_errors(a, b)))


def _entry_errors(a, b):
    """|a - b| / max(1e-8, |a| + |b|) entry by entry."""
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def check_model_gradients(model, X, y, h=1e-5):
    """Compare a model's analytic gradients with numerical ones, parameter by parameter.

    ``model`` needs ``.params`` (dict name -> array) and ``.loss(X, y) -> (loss, grads)``.
    When the model has a random generator ``model.rng`` (for dropout masks), its state is
    restored before every evaluation of the loss, so all evaluations see the same masks, and
    once more at the end. (Batch-norm running averages do change: each call is a train step.)
    Build the model with ``dtype=np.float64``.

    Parameters
    ----------
    model : object with ``params`` and ``loss``
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,) (labels) or (N, C) (regression targets)
    h : float

    Returns
    -------
    report : dict
        name -> (rel_error, worst_index): the largest relative error over the entries of that
        parameter and the index (a tuple) of the entry where it occurs.

    Taught in notebook 03.
    """
    rng = getattr(model, "rng", None)
    state = rng.bit_generator.state if isinstance(rng, np.random.Generator) else None

    def loss_only():
        if state is not None:
            rng.bit_generator.state = state
        return model.loss(X, y)

    _, grads = loss_only()
    report = {}
    for name, param in model.params.items():
        numeric = numerical_gradient(lambda _: loss_only()[0], param, h)
        errors = _entry_errors(np.asarray(grads[name], dtype=np.float64), numeric)
        worst = np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.size else ()
        report[name] = (float(errors[worst]) if errors.size else 0.0, tuple(int(i) for i in worst))
    if state is not None:
        rng.bit_generator.state = state  # the check leaves the generator as it found it
    return report
