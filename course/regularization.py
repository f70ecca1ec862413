"""Regularization and training practice: weight penalties, early stopping, preprocessing,
data augmentation for 28x28 digits, and log-scale sampling of hyperparameters.

Images are stored as rows: ``X`` of shape (N, 784) holds N 28x28 images (row-major), as
returned by ``course.data.load_mnist``; (N, 28, 28) arrays are accepted too, and every
augmentation returns the shape it was given.

Taught in notebook 05; ``EarlyStopping`` and ``random_augment`` are used by
``course.train.train`` in notebooks 05 and 06.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "l2_penalty",
    "l1_penalty",
    "elastic_net_penalty",
    "EarlyStopping",
    "fit_standardizer",
    "standardize",
    "PCAWhitener",
    "shift_images",
    "rotate_images",
    "add_noise",
    "random_augment",
    "mixup",
    "log_uniform",
]

SIDE = 28  # images are SIDE x SIDE pixels


# --------------------------------------------------------------------------- penalties
def l2_penalty(W, lam):
    """L2 weight decay penalty and its gradient.

    R(W) = 0.5 * lam * sum(W**2);  dR/dW = lam * W

    Parameters
    ----------
    W : ndarray of any shape
        Weights (biases are usually not penalized).
    lam : float
        Regularization strength lambda >= 0.

    Returns
    -------
    penalty : float
    dW : ndarray, same shape and dtype as ``W``

    Taught in notebook 05.
    """
    lam = float(lam)
    return 0.5 * lam * float(np.sum(W * W)), lam * W


def l1_penalty(W, lam):
    """L1 penalty and its (sub)gradient; drives small weights to exactly zero.

    R(W) = lam * sum(|W|);  dR/dW = lam * sign(W)  (0 at W = 0)

    Parameters
    ----------
    W : ndarray of any shape
    lam : float
        Regularization strength lambda >= 0.

    Returns
    -------
    penalty : float
    dW : ndarray, same shape and dtype as ``W``

    Taught in notebook 05.
    """
    lam = float(lam)
    return lam * float(np.sum(np.abs(W))), lam * np.sign(W)


# --------------------------------------------------------------------------- early stopping
def elastic_net_penalty(W, lam, alpha):
    """Elastic-net penalty lam * (alpha * sum|W| + (1 - alpha) / 2 * sum(W**2)) and its gradient.

    A mixture of the L1 and L2 penalties: ``alpha = 1`` is ``l1_penalty``, ``alpha = 0`` is
    ``l2_penalty``. At W == 0 the L1 part takes the subgradient 0.

    Parameters
    ----------
    W : ndarray of any shape
    lam : float
        Regularization strength lambda >= 0.
    alpha : float in [0, 1]
        Share of the L1 part.

    Returns
    -------
    penalty : float
    dW : ndarray, same shape and dtype as W
        The (sub)gradient of the penalty with respect to W.

    Taught in notebook 05 (the gradient is derived there).
    """
    lam, alpha = float(lam), float(alpha)
    penalty = lam * (alpha * float(np.sum(np.abs(W))) + 0.5 * (1.0 - alpha) * float(np.sum(W * W)))
    return penalty, lam * (alpha * np.sign(W) + (1.0 - alpha) * W)


class EarlyStopping:
    """Stop training when a validation metric (higher is better) stops improving.

    An epoch improves when ``val_metric > best_value + min_delta``. After ``patience``
    epochs in a row without improvement, ``step`` returns True.

    Parameters
    ----------
    patience : int
        Number of epochs without improvement to tolerate.
    min_delta : float
        Smallest increase that counts as an improvement.

    Attributes
    ----------
    best_value : float
        Best metric so far (``-inf`` before the first step).
    best_epoch : int or None
        Epoch of ``best_value``.
    best_params : dict name -> ndarray or None
        Copies (not references) of the parameters at ``best_epoch``.
    wait : int
        Epochs since the last improvement.

    Taught in notebook 05.
    """

    def __init__(self, patience, min_delta=0.0):
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.best_value = -np.inf
        self.best_epoch = None
        self.best_params = None
        self.wait = 0

    def step(self, val_metric, params, epoch):
        """Record one epoch's validation metric; return True when training should stop.

        Parameters
        ----------
        val_metric : float
            E.g. validation accuracy after ``epoch``.
        params : dict name -> ndarray
            The model's current parameters; copied when they are the best so far.
        epoch : int

        Returns
        -------
        bool
            True once ``patience`` epochs in a row brought no improvement.
        """
        val_metric = float(val_metric)
        if val_metric > self.best_value + self.min_delta:
            self.best_value = val_metric
            self.best_epoch = epoch
            self.best_params = {name: np.array(p, copy=True) for name, p in params.items()}
            self.wait = 0
        else:
            self.wait += 1
        return self.wait >= self.patience


# --------------------------------------------------------------------------- preprocessing
def fit_standardizer(X):
    """Per-feature mean and standard deviation of the training data.

    mean_j = mean_i X[i, j];  std_j = sqrt(mean_i (X[i, j] - mean_j)**2), set to 1 where 0

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Training data only (never validation or test data).

    Returns
    -------
    mean : ndarray of shape (D,)
    std : ndarray of shape (D,)
        Constant features get std 1, so standardizing them gives 0 instead of a division
        by zero.

    Taught in notebooks 01 and 05.
    """
    X = np.asarray(X)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 1e-8, std, 1).astype(std.dtype, copy=False)
    return mean, std


def standardize(X, mean, std):
    """Zero-center and scale with (training) statistics.

    X_std = (X - mean) / std

    Parameters
    ----------
    X : ndarray of shape (N, D)
    mean : ndarray of shape (D,)
    std : ndarray of shape (D,)

    Returns
    -------
    ndarray of shape (N, D)

    Taught in notebooks 01 and 05.
    """
    return (X - mean) / std


class PCAWhitener:
    """PCA whitening fitted with the SVD of the centered training data.

    Xc = X - mean = U S V^T;  variances = S**2 / N;  Z = Xc V_k / sqrt(variances_k + eps)

    The whitened training data has (up to ``eps``) identity covariance: uncorrelated
    features with unit variance.

    Parameters
    ----------
    n_components : int or None
        Number of principal directions kept (None: all, min(N, D)).
    eps : float
        Added to the variances before the square root; avoids blowing up directions of
        (almost) zero variance.

    Attributes
    ----------
    mean_ : ndarray of shape (D,)
    components_ : ndarray of shape (k, D)
        Principal directions (rows), by decreasing variance.
    variances_ : ndarray of shape (k,)
        Variance of the training data along each direction.

    Taught in notebook 05.
    """

    def __init__(self, n_components=None, eps=1e-5):
        self.n_components = n_components
        self.eps = float(eps)
        self.mean_ = None
        self.components_ = None
        self.variances_ = None

    def fit(self, X):
        """Learn mean and principal directions from training data ``X`` (N, D); returns self."""
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        _, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        k = Vt.shape[0] if self.n_components is None else int(self.n_components)
        self.components_ = Vt[:k]
        self.variances_ = S[:k] ** 2 / X.shape[0]
        return self

    def transform(self, X):
        """Whiten ``X`` (N, D) with the training statistics; returns (N, k), X's float dtype."""
        if self.mean_ is None:
            raise RuntimeError("call fit(X_train) before transform")
        X = np.asarray(X)
        Z = (X.astype(np.float64) - self.mean_) @ self.components_.T
        Z /= np.sqrt(self.variances_ + self.eps)
        return Z.astype(X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64)

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)


# --------------------------------------------------------------------------- augmentation
def _as_stack(X):
    """View X (N, 784) or (N, 28, 28) as (N, 28, 28)."""
    X = np.asarray(X)
    if X.ndim == 2 and X.shape[1] == SIDE * SIDE:
        return X.reshape(-1, SIDE, SIDE)
    if X.ndim == 3 and X.shape[1:] == (SIDE, SIDE):
        return X
    raise ValueError(f"expected images of shape (N, {SIDE * SIDE}) or (N, {SIDE}, {SIDE}), "
                     f"got {X.shape}")


def _per_image(value, n, dtype):
    """Broadcast a scalar or an (N,) array to shape (N,)."""
    value = np.asarray(value, dtype=dtype)
    if value.ndim == 1 and value.shape[0] != n:
        raise ValueError(f"expected one value per image ({n}), got {value.shape[0]}")
    return np.broadcast_to(value, (n,))


def shift_images(X, dx, dy):
    """Shift images by whole pixels, filling the uncovered border with zeros.

    out[n, r, c] = X[n, r - dy[n], c - dx[n]]  (0 where the source is outside the image)

    Parameters
    ----------
    X : ndarray of shape (N, 784) or (N, 28, 28)
    dx : int or ndarray of shape (N,) of int
        Shift to the right (negative: left), per image or for all.
    dy : int or ndarray of shape (N,) of int
        Shift down (negative: up), per image or for all.

    Returns
    -------
    ndarray, same shape and dtype as ``X``

    Taught in notebook 05.
    """
    stack = _as_stack(X)
    n = stack.shape[0]
    dx = np.clip(_per_image(dx, n, np.int64), -SIDE, SIDE)
    dy = np.clip(_per_image(dy, n, np.int64), -SIDE, SIDE)
    m = int(max(np.abs(dx).max(initial=0), np.abs(dy).max(initial=0)))
    padded = np.pad(stack, ((0, 0), (m, m), (m, m)))
    grid = np.arange(SIDE)
    rows = (grid[None, :] - dy[:, None] + m)[:, :, None]  # (N, 28, 1)
    cols = (grid[None, :] - dx[:, None] + m)[:, None, :]  # (N, 1, 28)
    out = padded[np.arange(n)[:, None, None], rows, cols]
    return out.reshape(np.shape(X))


_CENTER = (SIDE - 1) / 2.0
_AXIS = np.arange(SIDE, dtype=np.float32) - _CENTER  # pixel centres relative to the centre
_PAD = 2  # zero pixels around each image; far-away samples are clipped onto them
_WIDTH = SIDE + 2 * _PAD
_CHUNK = 2048  # images resampled at a time: bounds the (N, 28, 28) temporaries


def _resample(stack, degrees, dx, dy):
    """Rotate counter-clockwise by ``degrees`` about the centre, then shift by (dx, dy).

    Bilinear interpolation with zero fill; stack (N, 28, 28), degrees, dx, dy (N,).
    Output pixel p (x right, y up, relative to the centre) reads the input at
    R(-theta) (p - shift). Agrees with ``scipy.ndimage.rotate(img, degrees, reshape=False,
    order=1)`` to float32 rounding, without a Python loop over images.
    """
    n = stack.shape[0]
    if not np.issubdtype(stack.dtype, np.floating):
        stack = stack.astype(np.float64)
    if n > _CHUNK:  # a loop over chunks of images, each chunk vectorized
        return np.concatenate([
            _resample(stack[i:i + _CHUNK], degrees[i:i + _CHUNK], dx[i:i + _CHUNK],
                      dy[i:i + _CHUNK]) for i in range(0, n, _CHUNK)])
    theta = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    cos = np.cos(theta).astype(np.float32)[:, None]
    sin = np.sin(theta).astype(np.float32)[:, None]
    x = _AXIS[None, :] - np.asarray(dx, dtype=np.float32)[:, None]  # (N, 28) per column
    y = np.asarray(dy, dtype=np.float32)[:, None] - _AXIS[None, :]  # (N, 28) per row, up
    # source column and row of every output pixel, (N, 28, 28) = column term + row term
    src_c = (cos * x)[:, None, :] + (sin * y + _CENTER)[:, :, None]
    src_r = (sin * x)[:, None, :] + (_CENTER - cos * y)[:, :, None]
    np.clip(src_c, -_PAD, SIDE, out=src_c)  # far outside: land on the zero padding
    np.clip(src_r, -_PAD, SIDE, out=src_r)
    c0, r0 = np.floor(src_c), np.floor(src_r)
    fc, fr = src_c - c0, src_r - r0  # interpolation weights in [0, 1)
    # flat index of each top-left neighbour in the padded stack (exact in float32)
    first = np.arange(n, dtype=np.float32) * _WIDTH**2 + (_PAD * _WIDTH + _PAD)
    idx = (r0 * _WIDTH + c0 + first[:, None, None]).astype(np.intp)
    flat = np.pad(stack, ((0, 0), (_PAD, _PAD), (_PAD, _PAD))).ravel()
    top, top_right = np.take(flat, idx), np.take(flat[1:], idx)
    bottom, bottom_right = np.take(flat[_WIDTH:], idx), np.take(flat[_WIDTH + 1:], idx)
    # top += fc * (top_right - top), in place to spare large temporaries; same for bottom
    top_right -= top
    top_right *= fc
    top += top_right
    bottom_right -= bottom
    bottom_right *= fc
    bottom += bottom_right
    bottom -= top  # result = top + fr * (bottom - top)
    bottom *= fr
    top += bottom
    return top


def rotate_images(X, degrees):
    """Rotate images counter-clockwise about their centre (bilinear, zero fill).

    out(p) = X(R(-theta) p) for pixel positions p relative to the centre (13.5, 13.5)

    Parameters
    ----------
    X : ndarray of shape (N, 784) or (N, 28, 28)
    degrees : float or ndarray of shape (N,)
        Angle in degrees, for all images or one per image.

    Returns
    -------
    ndarray, same shape as ``X``; same dtype for float ``X``, float64 for integer images
    (interpolation makes fractional values)

    Taught in notebook 05.
    """
    stack = _as_stack(X)
    n = stack.shape[0]
    degrees = _per_image(degrees, n, np.float64)
    zero = np.zeros(n)
    return _resample(stack, degrees, zero, zero).reshape(np.shape(X))


def add_noise(X, std, rng):
    """Add Gaussian pixel noise and clip back to the valid range [0, 1].

    out = clip(X + std * eps, 0, 1),  eps ~ N(0, 1)

    Parameters
    ----------
    X : ndarray of any shape, values in [0, 1]
    std : float
        Noise standard deviation.
    rng : np.random.Generator

    Returns
    -------
    ndarray, same shape and dtype as ``X`` (float)

    Taught in notebook 05.
    """
    X = np.asarray(X)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    noise = rng.standard_normal(X.shape, dtype=dtype)
    return np.clip(X + float(std) * noise, 0.0, 1.0).astype(dtype, copy=False)


def random_augment(X, rng, *, max_shift=2, max_degrees=10, noise_std=0.0):
    """Randomly rotate, shift and (optionally) add noise to each image independently.

    Per image: angle ~ U(-max_degrees, max_degrees), dx, dy ~ integers in
    [-max_shift, max_shift]; rotation then shift in one bilinear resampling.

    Parameters
    ----------
    X : ndarray of shape (N, 784) or (N, 28, 28)
    rng : np.random.Generator
    max_shift : int
        Largest shift in pixels (0: no shift).
    max_degrees : float
        Largest rotation in degrees (0: no rotation).
    noise_std : float
        Gaussian noise added afterwards, clipped to [0, 1] (0: none).

    Returns
    -------
    ndarray, same shape as ``X``; same dtype for float ``X``, float64 for integer images

    Taught in notebook 05; usable as ``train(..., augment=random_augment)``.
    """
    stack = _as_stack(X)
    n = stack.shape[0]
    dx = rng.integers(-max_shift, max_shift, size=n, endpoint=True)
    dy = rng.integers(-max_shift, max_shift, size=n, endpoint=True)
    if max_degrees > 0:
        degrees = rng.uniform(-max_degrees, max_degrees, size=n)
        out = _resample(stack, degrees, dx, dy)
    elif max_shift > 0:
        out = shift_images(stack, dx, dy)
    else:
        out = stack.copy()
    if noise_std > 0:
        out = add_noise(out, noise_std, rng)
    return out.reshape(np.shape(X))


def mixup(X, Y, alpha, rng):
    """Mixup: train on convex combinations of pairs of examples and of their labels.

    lam_i ~ Beta(alpha, alpha);  x_i' = lam_i x_i + (1 - lam_i) x_p(i);  same for y
    (p a random permutation of the batch, one lam per example).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    Y : ndarray of shape (N, C)
        One-hot or soft labels (use ``course.losses.one_hot`` for integer labels).
    alpha : float
        Beta distribution parameter (> 0); small alpha keeps lam near 0 or 1.
    rng : np.random.Generator

    Returns
    -------
    X_mix : ndarray of shape (N, D), dtype of ``X``
    Y_mix : ndarray of shape (N, C), rows still sum to 1 for one-hot ``Y``

    Taught in notebook 05.
    """
    X = np.asarray(X)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must be one-hot or soft labels of shape (N, C); got {Y.shape}")
    n = X.shape[0]
    lam = rng.beta(alpha, alpha, size=n)
    perm = rng.permutation(n)
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1)).astype(X.dtype, copy=False)
    lam_y = lam[:, None].astype(Y.dtype if Y.dtype.kind == "f" else np.float64, copy=False)
    X_mix = lam_x * X + (1 - lam_x) * X[perm]
    Y_mix = lam_y * Y + (1 - lam_y) * Y[perm]
    return X_mix, Y_mix


# --------------------------------------------------------------------------- hyperparameters
def log_uniform(low, high, size, rng):
    """Sample uniformly on a log scale, e.g. learning rates between 1e-4 and 1e-1.

    x = exp(u),  u ~ U(log low, log high)

    Parameters
    ----------
    low, high : float
        Positive bounds, low < high.
    size : int or tuple of int
    rng : np.random.Generator

    Returns
    -------
    ndarray of shape ``size``, float64, values in [low, high)

    Taught in notebook 05.
    """
    if not 0 < low < high:
        raise ValueError(f"need 0 < low < high, got low={low}, high={high}")
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))
