"""Activation functions as forward/backward pairs.

Every activation comes as ``<name>_forward(z) -> (a, cache)`` and
``<name>_backward(da, cache) -> dz``. The functions act element-wise, so their Jacobian is
diagonal and is never formed: the backward pass multiplies the upstream gradient ``da`` by
the local derivative, ``dz = da * f'(z)``. Maxout is the exception: it takes the maximum over
groups of k units and routes the gradient to the winner of each group.

All of them are safe for |z| = 1e3 (and beyond): no overflow, no invalid value, no
floating-point warning. Arrays of any shape are accepted; ``a`` and ``dz`` keep the shape
and dtype of ``z``.

Taught in notebook 03 (activation functions and their derivatives).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = [
    "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward",
    "relu_forward", "relu_backward",
    "leaky_relu_forward", "leaky_relu_backward",
    "elu_forward", "elu_backward",
    "softplus_forward", "softplus_backward",
    "linear_forward", "linear_backward",
    "step_forward", "step_backward",
    "sign_forward", "sign_backward",
    "maxout_forward", "maxout_backward",
    "ACTIVATIONS",
]


def _sigmoid(z):
    """sigmoid(z) = 1 / (1 + exp(-z)), evaluated without overflow for either sign of z.

    The stable form is 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0, so
    exp only ever sees a non-positive number. ``scipy.special.expit`` evaluates exactly this
    in one compiled pass, which is several times faster than spelling it out with
    ``np.where`` (the sigmoid is on the hot path of the lecture's network).
    """
    return expit(z)


def sigmoid_forward(z):
    """Logistic sigmoid.

    a = 1 / (1 + exp(-z))

    Parameters
    ----------
    z : ndarray of shape (N, H)

    Returns
    -------
    a : ndarray of shape (N, H), values in [0, 1]
    cache : ndarray of shape (N, H), the output ``a`` (the derivative is a (1 - a))

    Taught in notebook 03.
    """
    a = _sigmoid(np.asarray(z))
    return a, a


def sigmoid_backward(da, cache):
    """dz = da * a * (1 - a).

    Parameters
    ----------
    da : ndarray of shape (N, H)
    cache : the ``a`` returned by ``sigmoid_forward``

    Returns
    -------
    dz : ndarray of shape (N, H)
    """
    a = cache
    return da * a * (1 - a)


def tanh_forward(z):
    """Hyperbolic tangent.

    a = (exp(z) - exp(-z)) / (exp(z) + exp(-z))

    Parameters
    ----------
    z : ndarray of shape (N, H)

    Returns
    -------
    a : ndarray of shape (N, H), values in [-1, 1]
    cache : ndarray of shape (N, H), the output ``a``

    Taught in notebook 03.
    """
    a = np.tanh(z)
    return a, a


def tanh_backward(da, cache):
    """dz = da * (1 - a^2)."""
    a = cache
    return da * (1 - a * a)


def relu_forward(z):
    """Rectified linear unit.

    a = max(0, z)

    Parameters
    ----------
    z : ndarray of shape (N, H)

    Returns
    -------
    a : ndarray of shape (N, H)
    cache : ndarray of shape (N, H), the input ``z``

    Taught in notebook 03.
    """
    z = np.asarray(z)
    return np.maximum(z, 0), z


def relu_backward(da, cache):
    """dz = da where z > 0, else 0 (the derivative at 0 is taken as 0)."""
    z = cache
    return da * (z > 0)


def leaky_relu_forward(z, alpha=0.01):
    """Leaky ReLU.

    a = z if z > 0 else alpha * z

    Parameters
    ----------
    z : ndarray of shape (N, H)
    alpha : float
        Slope for negative inputs.

    Returns
    -------
    a : ndarray of shape (N, H)
    cache : tuple ``(z, alpha)``

    Taught in notebook 03.
    """
    z = np.asarray(z)
    return np.maximum(z, 0) + alpha * np.minimum(z, 0), (z, alpha)


def leaky_relu_backward(da, cache):
    """dz = da where z > 0, else alpha * da."""
    z, alpha = cache
    positive = (z > 0).astype(da.dtype)
    return da * (alpha + (1 - alpha) * positive)  # slope 1 where z > 0, alpha elsewhere


def elu_forward(z, alpha=1.0):
    """Exponential linear unit.

    a = z if z > 0 else alpha * (exp(z) - 1)

    Parameters
    ----------
    z : ndarray of shape (N, H)
    alpha : float
        Value that a approaches for z -> -inf is -alpha.

    Returns
    -------
    a : ndarray of shape (N, H)
    cache : tuple ``(z, a, alpha)``

    Taught in notebook 03.
    """
    z = np.asarray(z)
    with np.errstate(under="ignore"):
        neg_part = alpha * np.expm1(np.minimum(z, 0))  # exp of a non-positive number only
    a = np.maximum(z, 0) + neg_part  # neg_part is 0 wherever z >= 0
    return a, (z, a, alpha)


def elu_backward(da, cache):
    """dz = da where z > 0, else da * (a + alpha), since d/dz alpha (e^z - 1) = a + alpha."""
    z, a, alpha = cache
    positive = (z > 0).astype(a.dtype)
    return da * (positive + (a + alpha) * (1 - positive))


def softplus_forward(z):
    """Softplus, a smooth ReLU.

    a = log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|))

    Parameters
    ----------
    z : ndarray of shape (N, H)

    Returns
    -------
    a : ndarray of shape (N, H), positive
    cache : ndarray of shape (N, H), the input ``z``

    Taught in notebook 03.
    """
    z = np.asarray(z)
    with np.errstate(under="ignore"):
        a = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
    return a, z


def softplus_backward(da, cache):
    """dz = da * sigmoid(z)."""
    z = cache
    return da * _sigmoid(z)


def linear_forward(z):
    """Identity: a = z. The cache is unused (None)."""
    return z, None


def linear_backward(da, cache):
    """dz = da."""
    return da


def step_forward(z):
    """Unit step (Heaviside), as in the perceptron.

    a = 0 if z < 0, 0.5 if z = 0, 1 if z > 0

    Parameters
    ----------
    z : ndarray of shape (N, H)

    Returns
    -------
    a : ndarray of shape (N, H)
    cache : tuple ``(shape, dtype)`` of ``z``

    Taught in notebook 03.
    """
    z = np.asarray(z)
    a = np.heaviside(z, 0.5).astype(z.dtype if z.dtype.kind == "f" else np.float64)
    return a, (z.shape, a.dtype)


def step_backward(da, cache):
    """dz = 0: the step is flat almost everywhere, which is why gradient descent cannot train it."""
    shape, dtype = cache
    return np.zeros(shape, dtype=dtype)


def sign_forward(z):
    """Sign (signum).

    a = -1 if z < 0, 0 if z = 0, 1 if z > 0

    Parameters
    ----------
    z : ndarray of shape (N, H)

    Returns
    -------
    a : ndarray of shape (N, H)
    cache : tuple ``(shape, dtype)`` of ``z``

    Taught in notebook 03.
    """
    z = np.asarray(z)
    a = np.sign(z).astype(z.dtype if z.dtype.kind == "f" else np.float64)
    return a, (z.shape, a.dtype)


def sign_backward(da, cache):
    """dz = 0 (zero gradient everywhere, as for the step)."""
    shape, dtype = cache
    return np.zeros(shape, dtype=dtype)


def maxout_forward(z, k):
    """Maxout: the maximum over groups of k consecutive units.

    a[n, j] = max(z[n, j*k], ..., z[n, j*k + k - 1])

    Parameters
    ----------
    z : ndarray of shape (N, H * k)
        Pre-activations; units ``j*k .. j*k + k - 1`` form group j.
    k : int
        Group size.

    Returns
    -------
    a : ndarray of shape (N, H)
    cache : tuple ``(argmax, z.shape)`` with argmax of shape (N, H), the winner in each group

    Taught in notebook 03.
    """
    z = np.asarray(z)
    N, width = z.shape
    if width % k:
        raise ValueError(f"maxout: {width} units cannot be split into groups of k={k}")
    groups = z.reshape(N, width // k, k)
    winner = groups.argmax(axis=2)
    a = np.take_along_axis(groups, winner[:, :, None], axis=2)[:, :, 0]
    return a, (winner, z.shape)


def maxout_backward(da, cache):
    """dz = da at the winning unit of each group, 0 at the others.

    Parameters
    ----------
    da : ndarray of shape (N, H)
    cache : from ``maxout_forward``

    Returns
    -------
    dz : ndarray of shape (N, H * k)
    """
    winner, shape = cache
    N, width = shape
    H = da.shape[1]
    dz = np.zeros((N, H, width // H), dtype=da.dtype)
    np.put_along_axis(dz, winner[:, :, None], da[:, :, None], axis=2)
    return dz.reshape(shape)


def swish_forward(z):
    """Swish (also called SiLU), a = z * sigmoid(z).

    Parameters
    ----------
    z : ndarray of shape (N, H)

    Returns
    -------
    a : ndarray of shape (N, H)
    cache : ndarray of shape (N, H), the input ``z``

    Taught in notebook 03 (an exercise there derives its backward pass).
    """
    z = np.asarray(z)
    return z * _sigmoid(z), z


def swish_backward(da, cache):
    """Backward pass of swish: dz = da * f'(z), f' derived in notebook 03.

    Parameters
    ----------
    da : ndarray of shape (N, H)
        Upstream gradient dL/da.
    cache : ndarray of shape (N, H)
        The input z of ``swish_forward``.

    Returns
    -------
    dz : ndarray of shape (N, H)

    Taught in notebook 03.
    """
    z = cache
    s = _sigmoid(z)
    return da * (s * (1 + z * (1 - s)))


#: name -> (forward, backward) for the element-wise activations (maxout changes the width
#: and needs k, so it is called directly).
ACTIVATIONS = {
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "elu": (elu_forward, elu_backward),
    "softplus": (softplus_forward, softplus_backward),
    "linear": (linear_forward, linear_backward),
    "step": (step_forward, step_backward),
    "sign": (sign_forward, sign_backward),
}
