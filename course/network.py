"""Fully connected networks built from the layer pairs of ``course.layers``.

``l_layer_forward`` / ``l_layer_backward`` are the plain L-layer network of notebook 03:
hidden layers affine + activation, the last layer affine only, parameters in a dict.
``FullyConnectedNet`` adds what notebooks 04-06 need: a choice of output and loss, dropout,
batch normalization and L2/L1 penalties, with ``loss(X, y) -> (loss, grads)`` for training
and ``predict(X) -> scores`` for evaluation. ``backprop`` hands each gradient on as soon as it
is known, which lets ``course.train.train`` update the parameters in place (``course.inplace``).

Taught in notebook 03 (forward and backward through L layers); used in 04, 05 and 06.
"""
from __future__ import annotations

import numpy as np

from course.activations import ACTIVATIONS, sigmoid_backward, sigmoid_forward
from course.init import initialize_params
from course.layers import (
    affine_activation_backward,
    affine_activation_forward,
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
)
from course.losses import mse_loss, one_hot, softmax_cross_entropy
from course.regularization import l1_penalty, l2_penalty

__all__ = ["OUTPUTS", "FullyConnectedNet", "l_layer_backward", "l_layer_forward"]

#: The output layers (and their losses) that ``FullyConnectedNet`` knows.
OUTPUTS = ("softmax", "linear", "sigmoid_mse")


def l_layer_forward(X, params, activation="relu"):
    """Forward pass of an L-layer network: L - 1 hidden layers, then an affine output layer.

    A[0] = X,  A[l] = f(A[l-1] W[l] + b[l]) for l < L,  scores = A[L-1] W[L] + b[L]

    Parameters
    ----------
    X : ndarray of shape (N, D)
    params : dict
        ``"W1"`` (D, H1), ``"b1"`` (H1,), ..., ``"WL"`` (H_{L-1}, C), ``"bL"`` (C,).
    activation : str
        Hidden activation, a key of ``course.activations.ACTIVATIONS``.

    Returns
    -------
    scores : ndarray of shape (N, C)
    caches : list of L caches, one per layer (``affine_activation_forward`` caches, then the
        ``affine_forward`` cache of the output layer)

    Taught in notebook 03.
    """
    L = _num_layers(params)
    caches = []
    a = X
    for l in range(1, L):
        a, cache = affine_activation_forward(a, params[f"W{l}"], params[f"b{l}"], activation)
        caches.append(cache)
    scores, cache = affine_forward(a, params[f"W{L}"], params[f"b{L}"])
    caches.append(cache)
    return scores, caches


def l_layer_backward(dscores, caches):
    """Backward pass of ``l_layer_forward``: walk the layers from L down to 1.

    dA[L-1], dW[L], db[L] = affine_backward(dscores);
    dA[l-1], dW[l], db[l] = affine_activation_backward(dA[l]) for l = L-1, ..., 1

    Parameters
    ----------
    dscores : ndarray of shape (N, C)
        dLoss/dscores, e.g. from ``course.losses.softmax_cross_entropy``.
    caches : list from ``l_layer_forward``

    Returns
    -------
    grads : dict
        ``"W1"``, ``"b1"``, ..., ``"WL"``, ``"bL"``, each with the shape of that parameter.

    Taught in notebook 03.
    """
    L = len(caches)
    grads = {}
    da, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, caches[L - 1])
    for l in range(L - 1, 0, -1):
        da, grads[f"W{l}"], grads[f"b{l}"] = affine_activation_backward(da, caches[l - 1])
    return {name: grads[name] for l in range(1, L + 1) for name in (f"W{l}", f"b{l}")}


def _num_layers(params):
    """Number of layers L of a params dict holding W1 .. WL."""
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    if L == 0:
        raise ValueError("params has no 'W1': expected keys W1, b1, ..., WL, bL")
    return L


class FullyConnectedNet:
    """A fully connected network with a choice of activation, output, dropout, batch norm, L2/L1.

    Hidden layer l: z = a W[l] + b[l] -> [batch norm] -> f -> [dropout]; output layer affine.

    Parameters
    ----------
    layer_dims : list of int
        [D, H1, ..., C]: input size, hidden sizes, number of outputs.
    activation : str
        Hidden activation, a key of ``course.activations.ACTIVATIONS`` ("relu", "sigmoid", ...).
    output : {"softmax", "linear", "sigmoid_mse"}
        "softmax": softmax + cross-entropy, y integer labels (N,).
        "linear": identity output + mean squared error 1/(2N) sum ||scores - y||^2, y (N, C).
        "sigmoid_mse": sigmoid output units + quadratic cost 1/(2N) sum ||a - onehot(y)||^2,
        y labels (N,) or targets (N, C): the network of the lecture (and of Nielsen's book).
    init : {"he", "xavier", "normal", "zeros"}
        Weight initialization (``course.init``); biases start at 0.
    keep_prob : float or None
        Dropout after every hidden activation, keeping each unit with this probability.
    batchnorm : bool
        Batch normalization between every hidden affine layer and its activation.
    l2, l1 : float
        Penalties 0.5 * l2 * sum W^2 and l1 * sum |W| on the weights (not on biases, gamma,
        beta), added to the loss and its gradient.
    dtype : numpy dtype
        float32 for training (default), float64 for gradient checks.
    rng : np.random.Generator
        Used for the initial weights and the dropout masks.

    Attributes
    ----------
    params : dict
        "W1", "b1", ("gamma1", "beta1",) ..., "WL", "bL".
    bn_params : list of dict
        One ``bn_param`` per hidden layer when ``batchnorm`` (running averages live here).

    Taught in notebook 03 (L-layer network); options in 05; used in 04 and 06.
    """

    def __init__(self, layer_dims, *, activation="relu", output="softmax", init="he",
                 keep_prob=None, batchnorm=False, l2=0.0, l1=0.0, dtype=np.float32, rng=None):
        if len(layer_dims) < 2:
            raise ValueError("layer_dims needs at least an input and an output size")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; "
                             f"choose one of {sorted(ACTIVATIONS)}")
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}; choose one of {OUTPUTS}")
        if keep_prob is not None and not 0 < keep_prob <= 1:
            raise ValueError(f"keep_prob must be in (0, 1] or None, got {keep_prob}")
        if rng is None and (init != "zeros" or keep_prob is not None):
            raise ValueError("pass rng=np.random.default_rng(seed)")
        self.layer_dims = list(layer_dims)
        self.num_layers = len(layer_dims) - 1
        self.activation = activation
        self.output = output
        self.keep_prob = keep_prob
        self.batchnorm = batchnorm
        self.l2 = l2
        self.l1 = l1
        self.dtype = np.dtype(dtype)
        self.rng = rng
        self._identity = None

        weights = initialize_params(layer_dims, init, rng, self.dtype)
        self.params = {}
        self.bn_params = []
        for l in range(1, self.num_layers + 1):
            self.params[f"W{l}"] = weights[f"W{l}"]
            self.params[f"b{l}"] = weights[f"b{l}"]
            if batchnorm and l < self.num_layers:
                width = layer_dims[l]
                self.params[f"gamma{l}"] = np.ones(width, dtype=self.dtype)
                self.params[f"beta{l}"] = np.zeros(width, dtype=self.dtype)
                self.bn_params.append({
                    "mode": "train", "eps": 1e-5, "momentum": 0.9,
                    "running_mean": np.zeros(width, dtype=self.dtype),
                    "running_var": np.ones(width, dtype=self.dtype),
                })

    def _forward(self, X, mode):
        """Scores (N, C) and the per-layer caches, in "train" or "test" mode."""
        p = self.params
        forward, _ = ACTIVATIONS[self.activation]
        a = np.asarray(X, dtype=self.dtype)
        caches = []
        for l in range(1, self.num_layers):
            z, affine_cache = affine_forward(a, p[f"W{l}"], p[f"b{l}"])
            bn_cache = drop_cache = None
            if self.batchnorm:
                bn_param = self.bn_params[l - 1]
                bn_param["mode"] = mode
                z, bn_cache = batchnorm_forward(z, p[f"gamma{l}"], p[f"beta{l}"], bn_param)
            a, act_cache = forward(z)
            if self.keep_prob is not None:
                a, drop_cache = dropout_forward(a, self.keep_prob, mode, self.rng)
            caches.append((affine_cache, bn_cache, act_cache, drop_cache))
        L = self.num_layers
        scores, affine_cache = affine_forward(a, p[f"W{L}"], p[f"b{L}"])
        caches.append((affine_cache, None, None, None))
        return scores, caches

    def _output_loss(self, scores, y):
        """Data loss and dL/dscores for the chosen output."""
        if self.output == "softmax":
            return softmax_cross_entropy(scores, y)
        y = np.asarray(y)
        if self.output == "linear":
            return mse_loss(scores, y.astype(self.dtype, copy=False))
        # sigmoid_mse: quadratic cost on the sigmoid outputs
        a, a_cache = sigmoid_forward(scores)
        if y.ndim == 1:  # one-hot targets: rows of the identity (cheaper than one_hot per batch)
            if self._identity is None or self._identity.shape[0] != scores.shape[1]:
                self._identity = one_hot(np.arange(scores.shape[1]), scores.shape[1], self.dtype)
            target = self._identity[y]
        else:
            target = y.astype(self.dtype, copy=False)
        loss, da = mse_loss(a, target)
        return loss, sigmoid_backward(da, a_cache)

    def loss(self, X, y):
        """Training-mode loss (data loss + penalties) and the gradient of every parameter.

        Parameters
        ----------
        X : ndarray of shape (N, D)
        y : ndarray of shape (N,) integer labels ("softmax", "sigmoid_mse") or (N, C) targets
            ("linear", "sigmoid_mse")

        Returns
        -------
        loss : float
        grads : dict with the keys and shapes of ``params``
        """
        grads = {}

        def take_weight_grad(name, x, dz, penalty):
            grads[name] = x.T @ dz
            if penalty is not None:
                grads[name] += penalty

        loss = self.backprop(X, y, take_weight_grad, grads.__setitem__)
        return loss, {name: grads[name] for name in self.params}

    def backprop(self, X, y, take_weight_grad, take_grad):
        """Forward and backward pass in training mode, handing on each gradient once known.

        Walks the layers from L down to 1. For W[l] it calls ``take_weight_grad(name, x, dz,
        penalty)`` with dW = x^T dz + penalty (x (N, D_l) the layer's input, dz (N, H_l), penalty
        the gradient of the L2/L1 terms, shaped like W, or None); for every other parameter
        ``take_grad(name, g)``. Each call comes after the last use of that parameter, so the
        callback may update it in place: that is how ``course.train.train`` updates parameters
        without storing the weight gradients (``course.inplace``).

        Parameters
        ----------
        X : ndarray of shape (N, D)
        y : labels or targets, as for ``loss``
        take_weight_grad, take_grad : callables, as above

        Returns
        -------
        loss : float
            Data loss + penalties, computed before any callback runs.
        """
        scores, caches = self._forward(X, "train")
        loss, dz = self._output_loss(scores, y)
        loss += self._penalty()
        for l in range(self.num_layers, 0, -1):
            x, W = caches[l - 1][0]
            x = x.reshape(x.shape[0], -1)
            # the products of affine_backward, but no dx for the first layer: the input needs
            # no gradient, and dx = dz W1^T would be the largest product of the step
            da = dz @ W.T if l > 1 else None
            take_weight_grad(f"W{l}", x, dz, self._penalty_grad(W))
            take_grad(f"b{l}", dz.sum(axis=0))
            if l > 1:
                dz = self._hidden_backward(l - 1, da, caches[l - 2], take_grad)
        return loss

    def _hidden_backward(self, l, da, cache, take_grad):
        """Back through hidden layer l's dropout, activation and batch norm: dz (N, H_l) from da."""
        _, bn_cache, act_cache, drop_cache = cache
        if drop_cache is not None:
            da = dropout_backward(da, drop_cache)
        _, act_backward = ACTIVATIONS[self.activation]
        dz = act_backward(da, act_cache)
        if bn_cache is not None:
            dz, dgamma, dbeta = batchnorm_backward(dz, bn_cache)
            take_grad(f"gamma{l}", dgamma)
            take_grad(f"beta{l}", dbeta)
        return dz

    def _penalty(self):
        """The L2 and L1 penalties of all weight matrices (``course.regularization``)."""
        total = 0.0
        for l in range(1, self.num_layers + 1):
            W = self.params[f"W{l}"]
            if self.l2:
                total += l2_penalty(W, self.l2)[0]
            if self.l1:
                total += l1_penalty(W, self.l1)[0]
        return total

    def _penalty_grad(self, W):
        """Gradient of the penalties with respect to one weight matrix; None without penalties."""
        grad = None
        for penalty, lam in ((l2_penalty, self.l2), (l1_penalty, self.l1)):
            if lam:
                g = penalty(W, lam)[1]
                grad = g if grad is None else grad + g
        return grad

    def predict(self, X, batch_size=8192):
        """Test-mode scores (no dropout, batch norm with running averages).

        Parameters
        ----------
        X : ndarray of shape (N, D)
        batch_size : int
            Rows processed at a time (bounds the memory used for large N).

        Returns
        -------
        scores : ndarray of shape (N, C)
            The output layer's affine outputs (logits); argmax gives the predicted class.
        """
        X = np.asarray(X)
        if X.shape[0] <= batch_size:
            return self._forward(X, "test")[0]
        return np.concatenate([self._forward(X[i:i + batch_size], "test")[0]
                               for i in range(0, X.shape[0], batch_size)])
