"""First-order optimizers, exponentially weighted averages and learning-rate schedules.

Every optimizer has the same interface::

    w, config = update(w, dw, config)

``w`` is one parameter array, ``dw`` its gradient (same shape), and ``config`` a dict that
holds the hyperparameters and the optimizer's state for *this* parameter (velocity, moments,
step count). Missing hyperparameters are filled in with the defaults below, so ``config={}``
works. The input ``w`` is not modified; a new array of the same dtype is returned, so float32
parameters stay float32.

Defaults: ``learning_rate`` 1e-2, ``momentum`` 0.9, ``decay_rate`` 0.99, ``beta1`` 0.9,
``beta2`` 0.999, ``epsilon`` 1e-8.

Taught in notebook 04 (optimizers); used by ``course.train.train`` in notebooks 04 to 06.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "sgd",
    "momentum",
    "nesterov",
    "rmsprop",
    "adam",
    "adamw",
    "OPTIMIZERS",
    "ewa",
    "step_decay",
    "exponential_decay",
    "inverse_time_decay",
    "warmup_cosine",
]

DEFAULTS = {
    "learning_rate": 1e-2,
    "momentum": 0.9,
    "decay_rate": 0.99,
    "beta1": 0.9,
    "beta2": 0.999,
    "epsilon": 1e-8,
    "weight_decay": 1e-2,
}


def _hyper(config: dict, name: str) -> float:
    """Return ``config[name]`` as a Python float, storing the default if it is missing.

    A Python float (not ``np.float64``) keeps float32 arrays float32 under NumPy's
    promotion rules.
    """
    value = config.get(name)
    if value is None:
        value = config[name] = DEFAULTS[name]
    return float(value)


def _state(config: dict, name: str, w: np.ndarray) -> np.ndarray:
    """Return the state array ``config[name]``, zeros shaped like ``w`` on the first call."""
    value = config.get(name)
    if value is None:
        value = np.zeros_like(w)
    return value


def sgd(w, dw, config=None):
    """Vanilla (mini-batch) stochastic gradient descent.

    w <- w - lr * dw

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter values (not modified).
    dw : ndarray, same shape as ``w``
        Gradient of the loss with respect to ``w``.
    config : dict or None
        ``learning_rate`` (default 1e-2).

    Returns
    -------
    w : ndarray, same shape and dtype as ``w``
        Updated parameters.
    config : dict
        The same dict, with defaults filled in.

    Taught in notebook 04.
    """
    if config is None:
        config = {}
    lr = _hyper(config, "learning_rate")
    return w - lr * dw, config


def momentum(w, dw, config=None):
    """SGD with momentum, velocity form.

    v <- mu * v - lr * dw;  w <- w + v

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter values (not modified).
    dw : ndarray, same shape as ``w``
        Gradient of the loss with respect to ``w``.
    config : dict or None
        ``learning_rate`` (1e-2), ``momentum`` mu (0.9); state ``velocity`` (ndarray like
        ``w``, zeros at the start).

    Returns
    -------
    w : ndarray, same shape and dtype as ``w``
        Updated parameters.
    config : dict
        The same dict, with ``velocity`` updated.

    Taught in notebook 04.
    """
    if config is None:
        config = {}
    lr = _hyper(config, "learning_rate")
    mu = _hyper(config, "momentum")
    v = _state(config, "velocity", w)
    v = mu * v - lr * dw
    config["velocity"] = v
    return w + v, config


def nesterov(w, dw, config=None):
    """Nesterov accelerated gradient in its look-ahead form.

    The stored weights ``w`` are the look-ahead point (the weights plus ``momentum`` times the
    velocity), so ``dw``, the gradient at ``w``, is Nesterov's look-ahead gradient and no extra
    forward pass is needed. Each call returns the next look-ahead point; the velocity follows
    the same rule as in ``momentum``. The update itself is derived in notebook 04.

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter values (not modified).
    dw : ndarray, same shape as ``w``
        Gradient of the loss with respect to ``w``.
    config : dict or None
        ``learning_rate`` (1e-2), ``momentum`` mu (0.9); state ``velocity``.

    Returns
    -------
    w : ndarray, same shape and dtype as ``w``
        Updated parameters.
    config : dict
        The same dict, with ``velocity`` updated.

    Taught in notebook 04.
    """
    if config is None:
        config = {}
    lr = _hyper(config, "learning_rate")
    mu = _hyper(config, "momentum")
    v_prev = _state(config, "velocity", w)
    v = mu * v_prev - lr * dw
    config["velocity"] = v
    return w - mu * v_prev + (1.0 + mu) * v, config


def rmsprop(w, dw, config=None):
    """RMSProp: divide the step by a running root mean square of the gradient.

    s <- rho * s + (1 - rho) * dw**2;  w <- w - lr * dw / (sqrt(s) + eps)

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter values (not modified).
    dw : ndarray, same shape as ``w``
        Gradient of the loss with respect to ``w``.
    config : dict or None
        ``learning_rate`` (1e-2), ``decay_rate`` rho (0.99), ``epsilon`` (1e-8); state
        ``cache`` s (ndarray like ``w``).

    Returns
    -------
    w : ndarray, same shape and dtype as ``w``
        Updated parameters.
    config : dict
        The same dict, with ``cache`` updated.

    Taught in notebook 04.
    """
    if config is None:
        config = {}
    lr = _hyper(config, "learning_rate")
    rho = _hyper(config, "decay_rate")
    eps = _hyper(config, "epsilon")
    s = _state(config, "cache", w)
    s = rho * s + (1.0 - rho) * (dw * dw)
    config["cache"] = s
    return w - lr * dw / (np.sqrt(s) + eps), config


def adam(w, dw, config=None):
    """Adam: momentum on the gradient plus RMSProp scaling, both bias-corrected.

    t <- t + 1;  m <- b1 m + (1 - b1) dw;  v <- b2 v + (1 - b2) dw**2;
    w <- w - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter values (not modified).
    dw : ndarray, same shape as ``w``
        Gradient of the loss with respect to ``w``.
    config : dict or None
        ``learning_rate`` (1e-2), ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon`` (1e-8);
        state ``m``, ``v`` (ndarrays like ``w``) and ``t`` (int, number of updates so far).

    Returns
    -------
    w : ndarray, same shape and dtype as ``w``
        Updated parameters.
    config : dict
        The same dict, with ``m``, ``v`` and ``t`` updated.

    Taught in notebook 04.
    """
    if config is None:
        config = {}
    lr = _hyper(config, "learning_rate")
    beta1 = _hyper(config, "beta1")
    beta2 = _hyper(config, "beta2")
    eps = _hyper(config, "epsilon")
    m = _state(config, "m", w)
    v = _state(config, "v", w)
    t = int(config.get("t", 0)) + 1
    m = beta1 * m + (1.0 - beta1) * dw
    v = beta2 * v + (1.0 - beta2) * (dw * dw)
    m_hat = m / (1.0 - beta1**t)
    v_hat = v / (1.0 - beta2**t)
    config["m"], config["v"], config["t"] = m, v, t
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), config


def adamw(w, dw, config=None):
    """Adam with decoupled weight decay (AdamW, Loshchilov and Hutter, 2019).

    The decay is not part of the gradient: ``m`` and ``v`` average ``dw`` only, exactly as in
    ``adam``, and the weights are shrunk by the factor of one SGD step on the L2 penalty
    ``weight_decay / 2 * sum(w**2)`` next to the adaptive step, both computed from the ``w``
    the call received. The update itself is derived in notebook 04.

    Parameters
    ----------
    w : ndarray of any shape
        Current parameter values (not modified).
    dw : ndarray, same shape as ``w``
        Gradient of the data loss with respect to ``w`` (no penalty term in it).
    config : dict or None
        ``learning_rate`` (1e-2), ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon`` (1e-8),
        ``weight_decay`` (1e-2); state ``m``, ``v`` (ndarrays like ``w``) and ``t`` (int).

    Returns
    -------
    w : ndarray, same shape and dtype as ``w``
        Updated parameters.
    config : dict
        The same dict, with ``m``, ``v`` and ``t`` updated.

    Taught in notebook 04 (derived there from the definition above).
    """
    if config is None:
        config = {}
    decay = _hyper(config, "weight_decay")
    stepped, config = adam(w, dw, config)   # the adaptive step, on dw alone
    return stepped - config["learning_rate"] * decay * w, config


OPTIMIZERS = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "rmsprop": rmsprop,
    "adam": adam,
}


def ewa(values, beta, bias_correction=True):
    """Exponentially weighted averages of a 1-D sequence.

    a_0 = 0;  a_t = beta * a_{t-1} + (1 - beta) * theta_t;  corrected: a_t / (1 - beta**t)

    Parameters
    ----------
    values : array_like of shape (T,)
        The sequence theta_1, ..., theta_T.
    beta : float
        Weight of the past, 0 <= beta < 1 (about 1 / (1 - beta) values are averaged).
    bias_correction : bool
        Divide by (1 - beta**t) so early averages are not pulled towards the zero start.

    Returns
    -------
    averages : ndarray of shape (T,), float64
        a_1, ..., a_T (bias-corrected if requested).

    Taught in notebook 04.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"ewa expects a 1-D sequence, got shape {values.shape}")
    beta = float(beta)
    averages = np.empty_like(values)
    v = 0.0
    for t, theta in enumerate(values, start=1):  # a recurrence over time, not over examples
        v = beta * v + (1.0 - beta) * theta
        averages[t - 1] = v / (1.0 - beta**t) if bias_correction else v
    return averages


def step_decay(lr0, epoch, *, drop=0.5, every=10):
    """Step schedule: multiply the learning rate by ``drop`` every ``every`` epochs.

    lr = lr0 * drop ** floor(epoch / every)

    Parameters
    ----------
    lr0 : float
        Learning rate at epoch 0.
    epoch : int
        Epoch index, counted from 0.
    drop : float
        Factor applied at each step.
    every : int
        Number of epochs between drops.

    Returns
    -------
    float
        The learning rate for ``epoch``.

    Taught in notebook 04.
    """
    return float(lr0) * float(drop) ** (int(epoch) // int(every))


def exponential_decay(lr0, epoch, *, k):
    """Exponential schedule.

    lr = lr0 * exp(-k * epoch)

    Parameters
    ----------
    lr0 : float
        Learning rate at epoch 0.
    epoch : int or float
        Epoch index, counted from 0.
    k : float
        Decay rate per epoch.

    Returns
    -------
    float
        The learning rate for ``epoch``.

    Taught in notebook 04.
    """
    return float(lr0) * math.exp(-float(k) * float(epoch))


def inverse_time_decay(lr0, epoch, *, k):
    """1/t schedule.

    lr = lr0 / (1 + k * epoch)

    Parameters
    ----------
    lr0 : float
        Learning rate at epoch 0.
    epoch : int or float
        Epoch index, counted from 0.
    k : float
        Decay rate per epoch.

    Returns
    -------
    float
        The learning rate for ``epoch``.

    Taught in notebook 04.
    """
    return float(lr0) / (1.0 + float(k) * float(epoch))


def warmup_cosine(lr0, epoch, *, epochs, warmup=0):
    """Linear warm-up, then half a cosine period down to zero.

    Warm-up (epochs 0 .. warmup - 1): the rate grows by the same amount every epoch, from
    lr0 / warmup at epoch 0 to lr0 at epoch warmup - 1. From epoch ``warmup`` on it follows half
    a period of a cosine, from lr0 at epoch ``warmup`` down to 0 at epoch ``epochs`` (the first
    epoch after training), flat at both ends. ``warmup=0`` is the plain cosine schedule.

    Parameters
    ----------
    lr0 : float
        Peak learning rate.
    epoch : int
        Epoch index, counted from 0, ``0 <= epoch < epochs``.
    epochs : int
        Number of training epochs, ``epochs > warmup``.
    warmup : int
        Number of warm-up epochs (0: none).

    Returns
    -------
    float
        The learning rate for ``epoch``.

    Taught in notebook 04 (derived there from this definition); used in notebook 06.
    """
    epoch, epochs, warmup = int(epoch), int(epochs), int(warmup)
    if epochs <= warmup:
        raise ValueError(f"epochs ({epochs}) must exceed warmup ({warmup})")
    if epoch < warmup:
        return float(lr0) * (epoch + 1) / warmup
    progress = (epoch - warmup) / (epochs - warmup)
    return float(lr0) * 0.5 * (1.0 + math.cos(math.pi * progress))
