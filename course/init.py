"""Weight initialization: zeros, small Gaussian, Xavier and He.

Every random initializer draws float64 standard normals from the ``rng`` passed in, scales
them and then casts to ``dtype``, so the same seed gives the same weights (up to rounding)
in float32 and float64.

Taught in notebook 03 (weight initialization).
"""
from __future__ import annotations

import numpy as np

__all__ = ["zeros", "normal", "xavier", "he", "initialize_params", "INITIALIZERS"]


def zeros(shape, dtype=np.float64):
    """All-zero weights (every unit of a layer then stays identical: symmetry never breaks).

    Parameters
    ----------
    shape : tuple of int, e.g. (D_in, D_out)
    dtype : numpy dtype

    Returns
    -------
    W : ndarray of the given shape, all 0

    Taught in notebook 03.
    """
    return np.zeros(shape, dtype=dtype)


def normal(shape, std, rng, dtype=np.float64):
    """Gaussian weights with mean 0 and a fixed standard deviation.

    W_ij ~ N(0, std^2)

    Parameters
    ----------
    shape : tuple of int, e.g. (D_in, D_out)
    std : float
    rng : np.random.Generator
    dtype : numpy dtype

    Returns
    -------
    W : ndarray of the given shape

    Taught in notebook 03.
    """
    return (std * rng.standard_normal(shape)).astype(dtype, copy=False)


def xavier(fan_in, fan_out, rng, dtype=np.float64):
    """Xavier initialization, which keeps the activation variance roughly constant for tanh.

    W_ij ~ N(0, 1 / fan_in)

    Parameters
    ----------
    fan_in : int
        D_in, number of inputs of the layer.
    fan_out : int
        D_out, number of units of the layer.
    rng : np.random.Generator
    dtype : numpy dtype

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)

    Taught in notebook 03.
    """
    return normal((fan_in, fan_out), 1.0 / np.sqrt(fan_in), rng, dtype)


def he(fan_in, fan_out, rng, dtype=np.float64):
    """He initialization for ReLU layers (ReLU zeroes half the units, so double the variance).

    W_ij ~ N(0, 2 / fan_in)

    Parameters
    ----------
    fan_in : int
        D_in, number of inputs of the layer.
    fan_out : int
        D_out, number of units of the layer.
    rng : np.random.Generator
    dtype : numpy dtype

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)

    Taught in notebook 03.
    """
    return normal((fan_in, fan_out), np.sqrt(2.0 / fan_in), rng, dtype)


#: method name -> function (fan_in, fan_out, rng, dtype, std) -> W
INITIALIZERS = {
    "zeros": lambda fan_in, fan_out, rng, dtype, std: zeros((fan_in, fan_out), dtype),
    "normal": lambda fan_in, fan_out, rng, dtype, std: normal((fan_in, fan_out), std, rng, dtype),
    "xavier": lambda fan_in, fan_out, rng, dtype, std: xavier(fan_in, fan_out, rng, dtype),
    "he": lambda fan_in, fan_out, rng, dtype, std: he(fan_in, fan_out, rng, dtype),
}


def initialize_params(layer_dims, method="he", rng=None, dtype=np.float64, *, std=0.01):
    """Weights and biases of a fully connected network.

    Parameters
    ----------
    layer_dims : list of int
        [D, H1, ..., C]: input size, hidden sizes, output size (L = len(layer_dims) - 1 layers).
    method : {"zeros", "normal", "xavier", "he"}
        How the weights are drawn; biases always start at 0.
    rng : np.random.Generator
        Required for every method but "zeros".
    dtype : numpy dtype
    std : float
        Standard deviation for ``method="normal"``.

    Returns
    -------
    params : dict
        ``"W1"`` of shape (D, H1), ``"b1"`` of shape (H1,), ..., ``"WL"`` of shape (H_{L-1}, C),
        ``"bL"`` of shape (C,), layer by layer in this order.

    Taught in notebook 03.
    """
    if method not in INITIALIZERS:
        raise ValueError(f"unknown init method {method!r}; choose one of {sorted(INITIALIZERS)}")
    if method != "zeros" and rng is None:
        raise ValueError(f"init method {method!r} needs an rng (np.random.default_rng(seed))")
    params = {}
    for l in range(1, len(layer_dims)):
        fan_in, fan_out = layer_dims[l - 1], layer_dims[l]
        params[f"W{l}"] = INITIALIZERS[method](fan_in, fan_out, rng, dtype, std)
        params[f"b{l}"] = np.zeros(fan_out, dtype=dtype)
    return params
