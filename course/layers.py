"""Layers as pairs of pure functions: ``<layer>_forward -> (out, cache)`` and ``<layer>_backward``.

The forward pass returns its output and a cache of what the backward pass needs; the backward
pass takes the upstream gradient ``dout`` (dL/dout, shaped like ``out``) and the cache and
returns the gradients of every input, each shaped like that input. No function modifies its
arguments, except that ``batchnorm_forward`` stores new running averages in ``bn_param``.

Taught in notebook 03 (affine layer, affine + activation) and notebook 05 (dropout,
drop-connect, batch normalization).
"""
from __future__ import annotations

import numpy as np

from course.activations import ACTIVATIONS

__all__ = [
    "affine_forward", "affine_backward",
    "dropout_forward", "dropout_backward",
    "gaussian_dropout_forward", "gaussian_dropout_backward",
    "dropconnect_forward", "dropconnect_backward",
    "batchnorm_forward", "batchnorm_backward",
    "affine_activation_forward", "affine_activation_backward",
]


def affine_forward(x, W, b):
    """Fully connected (affine) layer.

    out = x W + b

    Parameters
    ----------
    x : ndarray of shape (N, D)
        A batch of N inputs (an input of shape (N, d1, d2, ...) is flattened to (N, D)).
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : tuple ``(x, W)``

    Taught in notebook 03.
    """
    x2 = x if x.ndim == 2 else x.reshape(x.shape[0], -1)
    out = x2 @ W
    out += b
    return out, (x, W)


def affine_backward(dout, cache):
    """Backward pass of the affine layer.

    The gradients of the input, the weights and the bias, derived in notebook 03 (section 9).

    Parameters
    ----------
    dout : ndarray of shape (N, M)
    cache : tuple ``(x, W)`` from ``affine_forward``

    Returns
    -------
    dx : ndarray with the shape of x, (N, D)
    dW : ndarray of shape (D, M)
    db : ndarray of shape (M,)

    Taught in notebook 03.
    """
    x, W = cache
    x2 = x if x.ndim == 2 else x.reshape(x.shape[0], -1)
    dx = (dout @ W.T).reshape(x.shape)
    dW = x2.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db


def dropout_forward(x, keep_prob, mode, rng):
    """Inverted dropout: keep each unit with probability ``keep_prob`` and rescale by 1/keep_prob.

    train: out = x * m / p with m_ij ~ Bernoulli(p);   test: out = x

    Because the kept units are scaled up during training, the expected activation is the same
    in both modes and the test-time pass needs no change.

    Parameters
    ----------
    x : ndarray of shape (N, H)
    keep_prob : float in (0, 1]
        Probability p of KEEPING a unit.
    mode : {"train", "test"}
    rng : np.random.Generator
        Source of the mask in train mode (unused, may be None, in test mode).

    Returns
    -------
    out : ndarray of shape (N, H)
    cache : tuple ``(mask, mode)``; ``mask`` holds m / p (shape (N, H)) in train mode, None in test

    Taught in notebook 05.
    """
    if mode == "test":
        return x, (None, mode)
    if mode != "train":
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    mask = (rng.random(x.shape) < keep_prob).astype(x.dtype)
    mask /= keep_prob
    return x * mask, (mask, mode)


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout: dx = dout * m / p (train), dx = dout (test).

    Parameters
    ----------
    dout : ndarray of shape (N, H)
    cache : tuple ``(mask, mode)`` from ``dropout_forward``

    Returns
    -------
    dx : ndarray of shape (N, H)

    Taught in notebook 05.
    """
    mask, mode = cache
    if mode == "test":
        return dout
    return dout * mask


def gaussian_dropout_forward(x, keep_prob, mode, rng):
    """Gaussian dropout: multiply every unit by independent Gaussian noise of mean 1.

    The noise's standard deviation is chosen so that each unit's multiplier has the mean and the
    variance of inverted dropout's multiplier m / p (m ~ Bernoulli(p), p = keep_prob). The noise
    is drawn as ``1 + sigma * rng.standard_normal(x.shape)``; test mode returns x unchanged.

    Parameters
    ----------
    x : ndarray of shape (N, H)
    keep_prob : float in (0, 1]
        The keep probability p of the inverted dropout it imitates.
    mode : {"train", "test"}
    rng : np.random.Generator
        Source of the noise in train mode (unused, may be None, in test mode).

    Returns
    -------
    out : ndarray of shape (N, H), the dtype of x
    cache : tuple ``(mask, mode)``; ``mask`` holds the multipliers (shape (N, H)) in train
        mode, None in test mode

    Taught in notebook 05 (the standard deviation and the backward pass are derived there).
    """
    if mode == "test":
        return x, (None, mode)
    if mode != "train":
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    sigma = np.sqrt((1.0 - keep_prob) / keep_prob)
    mask = (1.0 + sigma * rng.standard_normal(x.shape)).astype(x.dtype)
    return x * mask, (mask, mode)


def gaussian_dropout_backward(dout, cache):
    """Backward pass of Gaussian dropout.

    Parameters
    ----------
    dout : ndarray of shape (N, H)
    cache : tuple ``(mask, mode)`` from ``gaussian_dropout_forward``

    Returns
    -------
    dx : ndarray of shape (N, H)

    Taught in notebook 05.
    """
    mask, mode = cache
    if mode == "test":
        return dout
    return dout * mask


def dropconnect_forward(x, W, b, keep_prob, mode, rng):
    """Affine layer with drop-connect: each WEIGHT is kept with probability ``keep_prob``.

    train: out = x (W * M / p) + b with M_dm ~ Bernoulli(p), one mask per mini-batch;
    test: out = x W + b

    Like inverted dropout, the kept weights are rescaled by 1/p so the test pass uses W as it
    is. The bias is not dropped.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    keep_prob : float in (0, 1]
        Probability p of keeping a weight.
    mode : {"train", "test"}
    rng : np.random.Generator
        Source of the mask in train mode.

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : tuple ``(x, W_used, mask, mode)`` with W_used = W * M / p and mask = M / p (train)

    Taught in notebook 05.
    """
    if mode == "test":
        out, _ = affine_forward(x, W, b)
        return out, (x, W, None, mode)
    if mode != "train":
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    mask = (rng.random(W.shape) < keep_prob).astype(W.dtype)
    mask /= keep_prob
    W_used = W * mask
    out, _ = affine_forward(x, W_used, b)
    return out, (x, W_used, mask, mode)


def dropconnect_backward(dout, cache):
    """Backward pass of drop-connect.

    dx = dout (W * M / p)^T,   dW = (x^T dout) * M / p,   db = sum over the batch of dout

    Parameters
    ----------
    dout : ndarray of shape (N, M)
    cache : from ``dropconnect_forward``

    Returns
    -------
    dx : ndarray of shape (N, D)
    dW : ndarray of shape (D, M)
    db : ndarray of shape (M,)

    Taught in notebook 05.
    """
    x, W_used, mask, mode = cache
    dx, dW, db = affine_backward(dout, (x, W_used))
    if mode == "train":
        dW *= mask  # a dropped weight did not take part, so its gradient is 0
    return dx, dW, db


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of each feature over the batch, then a learned scale and shift.

    train: x_hat = (x - mean_batch) / sqrt(var_batch + eps), out = gamma * x_hat + beta,
           running = momentum * running + (1 - momentum) * batch statistic;
    test:  the same with the running mean and variance in place of the batch statistics.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma : ndarray of shape (D,)
        Scale.
    beta : ndarray of shape (D,)
        Shift.
    bn_param : dict
        ``mode`` ("train" or "test", required), ``eps`` (default 1e-5), ``momentum`` (default
        0.9), ``running_mean`` and ``running_var`` (shape (D,), default zeros and ones). In
        train mode new running averages are stored in the dict (the arrays that were there
        are replaced, not written into).

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : tuple for ``batchnorm_backward``

    Taught in notebook 05.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean")
    running_var = bn_param.get("running_var")
    if running_mean is None:
        running_mean = np.zeros(D, dtype=x.dtype)
    if running_var is None:
        running_var = np.ones(D, dtype=x.dtype)

    if mode == "train":
        mean = x.mean(axis=0)
        xc = x - mean
        var = (xc * xc).mean(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        xc = x - running_mean
        inv_std = 1.0 / np.sqrt(running_var + eps)
        bn_param.setdefault("running_mean", running_mean)
        bn_param.setdefault("running_var", running_var)
    else:
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    x_hat = xc * inv_std
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, inv_std, mode)


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization (the compact formula).

    train: dx = (gamma / (N sigma)) * (N dout - sum_n dout - x_hat * sum_n (dout * x_hat)),
    test:  dx = gamma * dout / sigma (the statistics are constants);
    dgamma = sum_n dout * x_hat,   dbeta = sum_n dout,   sigma = sqrt(var + eps)

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : from ``batchnorm_forward``

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma : ndarray of shape (D,)
    dbeta : ndarray of shape (D,)

    Taught in notebook 05.
    """
    x_hat, gamma, inv_std, mode = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "test":
        return dout * (gamma * inv_std), dgamma, dbeta
    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def affine_activation_forward(x, W, b, activation):
    """An affine layer followed by an element-wise activation.

    a = f(x W + b)

    Parameters
    ----------
    x : ndarray of shape (N, D)
    W : ndarray of shape (D, M)
    b : ndarray of shape (M,)
    activation : str
        A key of ``course.activations.ACTIVATIONS``, e.g. "relu", "sigmoid", "tanh".

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : tuple ``(affine_cache, activation_cache, activation)``

    Taught in notebook 03.
    """
    forward, _ = _activation(activation)
    z, affine_cache = affine_forward(x, W, b)
    a, activation_cache = forward(z)
    return a, (affine_cache, activation_cache, activation)


def affine_activation_backward(dout, cache):
    """Backward pass of ``affine_activation_forward``: dz = dout * f'(z), then the affine backward.

    Parameters
    ----------
    dout : ndarray of shape (N, M)
    cache : from ``affine_activation_forward``

    Returns
    -------
    dx : ndarray of shape (N, D)
    dW : ndarray of shape (D, M)
    db : ndarray of shape (M,)

    Taught in notebook 03.
    """
    affine_cache, activation_cache, activation = cache
    _, backward = _activation(activation)
    dz = backward(dout, activation_cache)
    return affine_backward(dz, affine_cache)


def _activation(name):
    """Look up the (forward, backward) pair of an activation by name, with a clear error."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None
