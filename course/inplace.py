"""The fast path of ``course.train.train``: the course's optimizers applied in place.

``course.optim`` teaches ``w, config = update(w, dw, config)``: pure functions that return new
arrays. ``train`` makes the same updates here instead when it can (``in_place_step``): the
optimizer is one of ``course.optim``'s own and the model is a ``FullyConnectedNet``. Then

- every parameter is updated inside its own array and every optimizer state array is allocated
  once, under the keys the pure update uses ("velocity", "cache", "m", "v", "t"), so either
  path can carry on from the other's config;
- each twin below makes the pure update's operations in the same order, so from the same
  gradient it gives the same bits;
- a weight gradient dW = x^T dz (+ penalty) that only enters the update linearly (SGD,
  momentum, Nesterov) is never stored: one BLAS call adds alpha x^T dz into the weights or the
  velocity (``Product.add_to``). This is where the two ways differ, by float32 rounding.

Any other optimizer (a student's own ``update``) or model takes the pure path. Used by
``course.train.train`` (notebooks 04 to 06); not something to call from a notebook.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import get_blas_funcs

from course import optim
from course.network import FullyConnectedNet
from course.optim import _hyper  # a hyperparameter or its default, as the pure update reads it

__all__ = ["TWINS", "Dense", "Product", "Scratch", "in_place_step"]


class Dense:
    """A gradient held as an array.

    Parameters
    ----------
    g : ndarray, shaped like its parameter
        Owned by the update: it may be overwritten (``backprop`` hands on fresh arrays).
    """

    def __init__(self, g):
        self.g = g

    def add_to(self, c, alpha, beta):
        """c <- beta * c + alpha * g, in place."""
        if beta != 1.0:
            c *= beta
        self.g *= alpha
        c += self.g

    def array(self, out):
        """The gradient as an array (``g`` itself; ``out`` is not needed)."""
        return self.g

    def rows(self, s, out):
        """Rows ``s`` of the gradient (a view of ``g``; ``out`` is not needed)."""
        return self.g[s]


class Product:
    """A weight gradient dW = x^T dz (+ penalty) that has not been computed yet.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        The layer's input.
    dz : ndarray of shape (N, M)
        dLoss/dz for the layer's pre-activations.
    penalty : ndarray of shape (D, M) or None
        Gradient of the L2/L1 terms, owned by the update.
    """

    def __init__(self, x, dz, penalty=None):
        self.x, self.dz, self.penalty = x, dz, penalty

    def add_to(self, c, alpha, beta):
        """c <- beta * c + alpha * dW for c of shape (D, M), with one gemm call writing into c."""
        if self.penalty is not None:
            if beta != 1.0:
                c *= beta
                beta = 1.0
            self.penalty *= alpha
            c += self.penalty
        _gemm_into(c, self.x, self.dz, alpha, beta)

    def array(self, out):
        """dW computed into ``out`` (D, M) and returned."""
        np.matmul(self.x.T, self.dz, out=out)
        if self.penalty is not None:
            out += self.penalty
        return out

    def rows(self, s, out):
        """Rows ``s`` of dW, x[:, s]^T dz (+ penalty[s]), computed into ``out`` and returned."""
        np.matmul(self.x[:, s].T, self.dz, out=out)
        if self.penalty is not None:
            out += self.penalty[s]
        return out


def _gemm_into(c, x, dz, alpha, beta):
    """c <- alpha * x^T dz + beta * c in place, as one BLAS gemm call.

    Parameters
    ----------
    c : ndarray of shape (D, M) (updated in place)
    x : ndarray of shape (N, D)
    dz : ndarray of shape (N, M)
    alpha, beta : float
    """
    gemm = get_blas_funcs("gemm", (c,))
    # BLAS is column-major: a C-order c is c^T in column-major order, and
    # c^T <- alpha dz^T x + beta c^T is gemm(alpha, a=dz^T, b=x^T transposed, beta, c=c^T)
    out = gemm(alpha, dz.T, x.T, beta=beta, c=c.T, trans_b=True, overwrite_c=True)
    if not np.may_share_memory(out, c):  # BLAS worked on a copy (c was not C-contiguous)
        c[...] = out.T


def _state(config, name, w):
    """The state array ``config[name]``, zeros shaped like ``w`` stored there on first use."""
    value = config.get(name)
    if value is None:
        value = config[name] = np.zeros_like(w)
    return value


class Scratch:
    """Work arrays shaped like one parameter, allocated on first use and reused every step.

    ``work[k]`` is shaped like the whole parameter, ``work.block(k, rows)`` like ``rows`` of
    its leading rows.
    """

    def __init__(self, like):
        self.like = like
        self.arrays = []
        self.blocks = {}

    def __getitem__(self, k):
        while len(self.arrays) <= k:
            self.arrays.append(np.empty_like(self.like))
        return self.arrays[k]

    def block(self, k, rows):
        key = (k, rows)
        if key not in self.blocks:
            self.blocks[key] = np.empty((rows,) + self.like.shape[1:], dtype=self.like.dtype)
        return self.blocks[key]


#: Elements per block of the element-wise updates (RMSProp, Adam). Their dozen or so passes
#: over a parameter and its state arrays run block by block, so the five arrays they touch
#: stay in the core's cache between the passes; a weight gradient is computed block by block
#: too. Each element still goes through the same operations in the same order.
BLOCK = 1 << 16


def _row_blocks(w, grad, work):
    """Blocks of leading rows of ``w``: yields (index, dw, tmp) for each.

    ``index`` selects the rows (``w[index]``, a view), ``dw`` is the gradient of those rows
    (owned by the update: it may be overwritten) and ``tmp`` a work array shaped like it. A
    parameter of at most ``BLOCK`` elements, or without rows, is one block.
    """
    rows = w.shape[0] if w.ndim else 1
    per_block = max(1, BLOCK // max(1, w.size // max(rows, 1)))
    if w.ndim == 0 or rows <= per_block:
        yield ..., grad.array(work[0]), work[1]
        return
    dw_block, tmp_block = work.block(0, per_block), work.block(1, per_block)
    for start in range(0, rows, per_block):
        stop = min(start + per_block, rows)
        index = slice(start, stop)
        yield index, grad.rows(index, dw_block[:stop - start]), tmp_block[:stop - start]


# Each twin: (w, grad, config, work) -> None, with grad a Dense or a Product and work a Scratch.
# Its first line restates the pure update of course.optim that it makes in place.

def sgd(w, grad, config, work):
    # w <- w - lr * dw
    grad.add_to(w, -_hyper(config, "learning_rate"), 1.0)


def momentum(w, grad, config, work):
    # v <- mu * v - lr * dw;  w <- w + v
    lr, mu = _hyper(config, "learning_rate"), _hyper(config, "momentum")
    v = _state(config, "velocity", w)
    grad.add_to(v, -lr, mu)
    w += v


def nesterov(w, grad, config, work):
    # v_prev = v;  v <- mu * v - lr * dw;  w <- w - mu * v_prev + (1 + mu) * v
    lr, mu = _hyper(config, "learning_rate"), _hyper(config, "momentum")
    v = _state(config, "velocity", w)
    tmp = work[0]
    w -= np.multiply(v, mu, out=tmp)
    grad.add_to(v, -lr, mu)
    w += np.multiply(v, 1.0 + mu, out=tmp)


def rmsprop(w, grad, config, work):
    # s <- rho * s + (1 - rho) * dw**2;  w <- w - lr * dw / (sqrt(s) + eps)
    lr, rho = _hyper(config, "learning_rate"), _hyper(config, "decay_rate")
    eps = _hyper(config, "epsilon")
    cache = _state(config, "cache", w)
    for index, dw, tmp in _row_blocks(w, grad, work):
        s, w_block = cache[index], w[index]
        np.multiply(dw, dw, out=tmp)
        tmp *= 1.0 - rho
        s *= rho
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += eps
        dw *= lr
        dw /= tmp
        w_block -= dw


def adam(w, grad, config, work):
    # t <- t + 1;  m <- b1 m + (1 - b1) dw;  v <- b2 v + (1 - b2) dw**2;
    # w <- w - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)
    lr, eps = _hyper(config, "learning_rate"), _hyper(config, "epsilon")
    beta1, beta2 = _hyper(config, "beta1"), _hyper(config, "beta2")
    m_all, v_all = _state(config, "m", w), _state(config, "v", w)
    t = config["t"] = int(config.get("t", 0)) + 1
    for index, dw, tmp in _row_blocks(w, grad, work):
        m, v, w_block = m_all[index], v_all[index], w[index]
        m *= beta1
        m += np.multiply(dw, 1.0 - beta1, out=tmp)
        dw *= dw
        dw *= 1.0 - beta2
        v *= beta2
        v += dw
        np.divide(v, 1.0 - beta2**t, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += eps
        np.divide(m, 1.0 - beta1**t, out=dw)
        dw *= lr
        dw /= tmp
        w_block -= dw


#: The in-place twin of each of ``course.optim``'s updates, keyed by the functions that
#: ``OPTIMIZERS`` holds (the ones ``train(optimizer="adam")`` looks up).
TWINS = {optim.OPTIMIZERS[name]: twin for name, twin in [
    ("sgd", sgd), ("momentum", momentum), ("nesterov", nesterov), ("rmsprop", rmsprop),
    ("adam", adam)]}


def _runs_course_code(model):
    """True for a FullyConnectedNet whose ``loss`` is the course's (not overridden or patched)."""
    return (isinstance(model, FullyConnectedNet) and "loss" not in vars(model)
            and "backprop" not in vars(model)
            and type(model).loss is FullyConnectedNet.loss
            and type(model).backprop is FullyConnectedNet.backprop)


def in_place_step(model, update, configs):
    """train()'s training step done in place, or None when only the pure path applies.

    Parameters
    ----------
    model : object
        The model ``train`` was given.
    update : callable
        The optimizer ``train`` was given.
    configs : dict name -> dict
        One optimizer config per parameter of ``model.params`` (its state is kept there).

    Returns
    -------
    step : callable or None
        ``step(X_batch, y_batch) -> loss``: the same loss as ``model.loss``, and every
        parameter updated as ``update`` would, in place. None when ``update`` is not one of
        ``course.optim``'s or ``model`` is not a plain ``FullyConnectedNet``.
    """
    twin = TWINS.get(update)
    if twin is None or not _runs_course_code(model):
        return None
    params = model.params
    work = {name: Scratch(p) for name, p in params.items()}

    def take_weight_grad(name, x, dz, penalty):
        twin(params[name], Product(x, dz, penalty), configs[name], work[name])

    def take_grad(name, g):
        twin(params[name], Dense(g), configs[name], work[name])

    def step(X_batch, y_batch):
        return model.backprop(X_batch, y_batch, take_weight_grad, take_grad)

    return step
