"""Loss functions for classification and regression, each returning ``(loss, dscores)``.

Every loss is averaged over the N examples of the batch, so its gradient carries a factor
1/N. All of them are numerically safe: softmax subtracts the row maximum, log-probabilities
use log-sum-exp, logs of probabilities are clipped, and logits of size 1e4 give finite
values without floating-point warnings.

Taught in notebook 02 (softmax regression); ``mse_loss`` in notebook 01 and 06.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = [
    "one_hot",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "softmax_cross_entropy",
    "mse_loss",
    "binary_cross_entropy",
    "huber_loss",
]

#: Probabilities are clipped to [PROB_EPS, 1] before taking a log.
PROB_EPS = 1e-12


def one_hot(y, num_classes, dtype=np.float64):
    """Encode integer labels as one-hot rows.

    Parameters
    ----------
    y : ndarray of shape (N,)
        Integer labels in ``0 .. num_classes - 1``.
    num_classes : int
        Number of classes C.
    dtype : numpy dtype, optional
        Dtype of the result (float64 by default).

    Returns
    -------
    Y : ndarray of shape (N, C)
        ``Y[i, y[i]] = 1`` and every other entry is 0.

    Taught in notebook 02.
    """
    y = np.asarray(y).reshape(-1).astype(np.intp, copy=False)
    Y = np.zeros((y.shape[0], num_classes), dtype=dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def softmax(scores):
    """Row-wise softmax, computed after subtracting each row's maximum.

    softmax(s)_j = exp(s_j - max s) / sum_k exp(s_k - max s)

    Parameters
    ----------
    scores : ndarray of shape (N, C)
        Unnormalized log-probabilities (logits).

    Returns
    -------
    probs : ndarray of shape (N, C)
        Non-negative rows that sum to 1.

    Taught in notebook 02.
    """
    scores = np.asarray(scores)
    shifted = scores - scores.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):  # exp(-1e4) is 0, which is the right answer
        e = np.exp(shifted)
    e /= e.sum(axis=1, keepdims=True)
    return e


def log_softmax(scores):
    """Row-wise log of the softmax through the log-sum-exp trick.

    log softmax(s)_j = (s_j - m) - log sum_k exp(s_k - m),   m = max_k s_k

    Parameters
    ----------
    scores : ndarray of shape (N, C)

    Returns
    -------
    log_probs : ndarray of shape (N, C)
        Finite even for logits of size 1e4.

    Taught in notebook 02.
    """
    scores = np.asarray(scores)
    shifted = scores - scores.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted - log_sum


def cross_entropy(probs, y):
    """Mean negative log-likelihood of the true classes, with clipped probabilities.

    L = -(1/N) sum_i log(clip(P[i, y_i], 1e-12, 1))

    Parameters
    ----------
    probs : ndarray of shape (N, C)
        Predicted class probabilities (rows sum to 1).
    y : ndarray of shape (N,)
        Integer labels.

    Returns
    -------
    loss : float

    Taught in notebook 02.
    """
    probs = np.asarray(probs)
    y = np.asarray(y).reshape(-1).astype(np.intp, copy=False)
    p_true = probs[np.arange(probs.shape[0]), y]
    return float(-np.mean(np.log(np.clip(p_true, PROB_EPS, 1.0))))


def softmax_cross_entropy(scores, y):
    """Softmax followed by cross-entropy, with its gradient with respect to the scores.

    L = -(1/N) sum_i log softmax(s_i)[y_i]; the gradient dL/ds is derived in notebook 02.

    Parameters
    ----------
    scores : ndarray of shape (N, C)
        Logits.
    y : ndarray of shape (N,)
        Integer labels.

    Returns
    -------
    loss : float
    dscores : ndarray of shape (N, C)
        Same dtype as ``scores``.

    Taught in notebook 02.
    """
    scores = np.asarray(scores)
    y = np.asarray(y).reshape(-1).astype(np.intp, copy=False)
    N = scores.shape[0]
    rows = np.arange(N)
    shifted = scores - scores.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    sums = e.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(sums[:, 0]) - shifted[rows, y]))
    dscores = e
    dscores /= sums  # dscores now holds P
    dscores[rows, y] -= 1
    dscores /= N
    return loss, dscores


def mse_loss(pred, target):
    """Quadratic cost with the 1/(2N) convention, and its gradient.

    L = (1/(2N)) sum_i ||pred_i - target_i||^2,    dL/dpred = (pred - target) / N

    Parameters
    ----------
    pred : ndarray of shape (N, M)
        Predictions.
    target : ndarray of shape (N, M)
        Targets (a 1-D target of shape (N,) is accepted when M = 1).

    Returns
    -------
    loss : float
    dpred : ndarray of shape (N, M)

    Taught in notebook 01 (linear regression) and used for the lecture's network in 06.
    """
    pred = np.asarray(pred)
    target = np.asarray(target).reshape(pred.shape)
    N = pred.shape[0]
    diff = pred - target
    if not np.issubdtype(diff.dtype, np.floating):
        diff = diff.astype(np.float64)  # integer inputs: the gradient is fractional
    loss = float(np.sum(diff * diff)) / (2 * N)
    diff /= N
    return loss, diff


def huber_loss(pred, target, delta=1.0):
    """Huber cost: quadratic for small residuals, linear for large ones, and its gradient.

    With r = pred - target,
    L = (1/N) sum_i h(r_i),  h(r) = r^2 / 2 if |r| <= delta else delta * (|r| - delta / 2);
    the gradient dL/dpred is derived in notebook 01 (an exercise there).

    An outlier pulls on the fit with a force of at most delta, where the quadratic cost pulls
    with its whole residual (Huber 1964, "Robust estimation of a location parameter").

    Parameters
    ----------
    pred : ndarray of shape (N, M)
        Predictions.
    target : ndarray of shape (N, M)
        Targets (a 1-D target of shape (N,) is accepted when M = 1).
    delta : float
        Residual size where the cost turns from quadratic to linear (> 0).

    Returns
    -------
    loss : float
    dpred : ndarray of shape (N, M)

    Taught in notebook 01 (linear regression).
    """
    pred = np.asarray(pred)
    r = pred - np.asarray(target).reshape(pred.shape)
    if not np.issubdtype(r.dtype, np.floating):
        r = r.astype(np.float64)
    a = np.abs(r)
    N = pred.shape[0]
    loss = float(np.sum(np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta)))) / N
    return loss, np.clip(r, -delta, delta) / N


def binary_cross_entropy(logits, y):
    """Binary cross-entropy computed directly from logits, with its gradient.

    L = (1/N) sum_i [max(z_i, 0) - z_i y_i + log(1 + exp(-|z_i|))],
    dL/dz = (sigmoid(z) - y) / N

    The form above equals -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] but never takes
    the log of 0 nor exponentiates a large positive number.

    Parameters
    ----------
    logits : ndarray of shape (N,) or (N, 1)
        Scores z; sigmoid(z) is the predicted probability of class 1.
    y : ndarray of shape (N,)
        Labels in {0, 1}.

    Returns
    -------
    loss : float
    dlogits : ndarray with the shape of ``logits``

    Taught in notebook 02.
    """
    z = np.asarray(logits)
    y = np.asarray(y).reshape(z.shape).astype(z.dtype if z.dtype.kind == "f" else np.float64)
    N = z.shape[0]
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
        loss = float(np.sum(np.maximum(z, 0) - z * y + np.log1p(e))) / N
    # scipy's sigmoid: notebook 03 asks students to write their own stable one
    sig = expit(z).astype(y.dtype, copy=False)
    return loss, (sig - y) / N


def tempered_softmax_cross_entropy(scores, y, temperature):
    """Cross-entropy of the softmax of ``scores / temperature``, and its gradient.

    P = softmax(S / T),  L = -(1/N) sum_i log P[i, y_i].  A temperature T > 1 flattens the
    probabilities, T < 1 sharpens them. The gradient with respect to the scores S (not
    S / T) is derived in notebook 02 (an exercise there).

    Parameters
    ----------
    scores : ndarray of shape (N, C)
        Logits S.
    y : ndarray of shape (N,)
        Integer labels.
    temperature : float
        T > 0.

    Returns
    -------
    loss : float
    dscores : ndarray of shape (N, C)

    Taught in notebook 02.
    """
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y).reshape(-1).astype(np.intp, copy=False)
    N = scores.shape[0]
    logp = log_softmax(scores / temperature)
    loss = float(-np.mean(logp[np.arange(N), y]))
    P = np.exp(logp)
    P[np.arange(N), y] -= 1.0
    return loss, P / (N * temperature)


def smoothed_softmax_cross_entropy(scores, y, smoothing):
    """Softmax cross-entropy against label-smoothed targets, and its gradient.

    Q = (1 - eps) Y + eps / C (Y one-hot, eps = ``smoothing``),
    L = -(1/N) sum_i sum_c Q[i, c] log softmax(S)[i, c].  The gradient with respect to the
    scores is derived in notebook 02 (an exercise there).

    Parameters
    ----------
    scores : ndarray of shape (N, C)
    y : ndarray of shape (N,)
        Integer labels.
    smoothing : float
        eps in [0, 1).

    Returns
    -------
    loss : float
    dscores : ndarray of shape (N, C)

    Taught in notebook 02.
    """
    scores = np.asarray(scores, dtype=np.float64)
    N, C = scores.shape
    Q = (1.0 - smoothing) * one_hot(y, C) + smoothing / C
    logp = log_softmax(scores)
    loss = float(-np.sum(Q * logp)) / N
    return loss, (np.exp(logp) - Q) / N


def tanh_mse_loss(z, target):
    """Quadratic cost of a tanh output layer, and its gradient with respect to ``z``.

    A = tanh(Z),  L = sum over all entries of (A - target)**2, divided by 2N.  The gradient
    (the output layer's error signal delta) is derived in notebook 03 (an exercise there).

    Parameters
    ----------
    z : ndarray of shape (N, K)
        Pre-activations Z of the output layer.
    target : ndarray of shape (N, K)
        Targets in [-1, 1].

    Returns
    -------
    loss : float
    dz : ndarray of shape (N, K)

    Taught in notebook 03.
    """
    z = np.asarray(z, dtype=np.float64)
    N = z.shape[0]
    a = np.tanh(z)
    diff = a - np.asarray(target).reshape(a.shape)
    loss = float(np.sum(diff * diff)) / (2 * N)
    return loss, diff * (1.0 - a * a) / N
