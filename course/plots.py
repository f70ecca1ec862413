"""Figures used throughout the course (matplotlib only).

Every function takes ``ax=None`` and labels what it draws (title, axis labels, legend).
A function that draws a single panel returns its ``Axes``; one that draws several panels
(``plot_history``, ``plot_image_grid``, ``plot_activation_histograms``,
``plot_activation_functions``) returns the ``Figure``, and its ``ax`` may be a sequence of
Axes to draw into (one per panel). With ``ax=None`` a new figure is created.

Used in notebooks 01 to 06.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

__all__ = [
    "plot_history",
    "plot_decision_regions",
    "plot_image_grid",
    "plot_confusion_matrix",
    "plot_optimizer_paths",
    "plot_activation_histograms",
    "plot_activation_functions",
]


def _panels(ax, n, ncols, panel_size=(3.2, 2.6)):
    """Return (figure, list of n Axes): new ones in a grid, or the ones given in ``ax``."""
    if ax is None:
        nrows = math.ceil(n / ncols)
        fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                                 figsize=(panel_size[0] * ncols, panel_size[1] * nrows))
        axes = list(axes.ravel())
        for extra in axes[n:]:
            extra.set_visible(False)
        return fig, axes[:n]
    axes = list(np.ravel(ax))
    if len(axes) < n:
        raise ValueError(f"need {n} Axes, got {len(axes)}")
    return axes[0].figure, axes[:n]


def plot_history(history, ax=None, label=None):
    """Training loss (left) and training/validation accuracy (right) per epoch.

    Call it again with the returned figure's axes (``ax=fig.axes``) and another ``label``
    to compare runs (e.g. optimizers) in the same two panels.

    Parameters
    ----------
    history : dict
        As returned by ``course.train.train``: per-epoch lists ``loss``, ``train_acc``,
        ``val_acc`` (entries may be None), optional ``best_epoch`` (int, from 0).
    ax : sequence of two Axes or None
    label : str or None
        Name of the run, prefixed to the legend entries.

    Returns
    -------
    matplotlib.figure.Figure

    Taught in notebook 04.
    """
    fig, (ax_loss, ax_acc) = _panels(ax, 2, 2, panel_size=(5.0, 3.6))
    prefix = f"{label}: " if label else ""
    loss = np.asarray(history["loss"], dtype=float)
    epochs = np.arange(1, len(loss) + 1)
    ax_loss.plot(epochs, loss, marker=".", label=f"{prefix}training loss")
    ax_loss.set(title="Training loss", xlabel="epoch", ylabel="mean mini-batch loss")

    line = None
    if history.get("train_acc"):
        (line,) = ax_acc.plot(epochs, history["train_acc"], marker=".",
                              label=f"{prefix}training")
    val = [np.nan if v is None else v for v in history.get("val_acc", [])]
    if val and not np.all(np.isnan(val)):
        color = line.get_color() if line is not None else None
        ax_acc.plot(epochs, val, marker=".", linestyle="--", color=color,
                    label=f"{prefix}validation")
    if history.get("best_epoch") is not None:
        ax_acc.axvline(history["best_epoch"] + 1, color="gray", linestyle=":",
                       label=f"{prefix}best epoch")
    ax_acc.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (fraction correct)")
    for a in (ax_loss, ax_acc):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        a.legend(fontsize="small")
        a.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def plot_decision_regions(predict_fn, X, y, ax=None, resolution=200, title="Decision regions"):
    """Colour the plane by predicted class and scatter the 2-D data on top.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(points (M, 2)) -> scores (M, C)`` (argmax taken) or labels (M,).
    X : ndarray of shape (N, 2)
    y : ndarray of shape (N,) of int
    ax : Axes or None
    resolution : int
        Grid points per axis (evaluated in one vectorized call).
    title : str

    Returns
    -------
    matplotlib.axes.Axes

    Taught in notebooks 02 and 03.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    X = np.asarray(X)
    y = np.asarray(y)
    pad_x = 0.1 * (X[:, 0].max() - X[:, 0].min()) + 1e-3
    pad_y = 0.1 * (X[:, 1].max() - X[:, 1].min()) + 1e-3
    gx, gy = np.meshgrid(np.linspace(X[:, 0].min() - pad_x, X[:, 0].max() + pad_x, resolution),
                         np.linspace(X[:, 1].min() - pad_y, X[:, 1].max() + pad_y, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(X.dtype, copy=False)
    out = np.asarray(predict_fn(grid))
    pred = out.argmax(axis=1) if out.ndim == 2 else out
    n_classes = int(max(pred.max(), y.max())) + 1
    cmap = plt.get_cmap("tab10" if n_classes <= 10 else "tab20")
    ax.contourf(gx, gy, pred.reshape(gx.shape), levels=np.arange(n_classes + 1) - 0.5,
                cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5,
               s=12, edgecolors="k", linewidths=0.3)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    return ax


def plot_image_grid(images, labels=None, predictions=None, ncols=10, ax=None,
                    title="Images"):
    """Show square grey-scale images in a grid, with labels and predictions as captions.

    Parameters
    ----------
    images : ndarray of shape (N, side*side) or (N, side, side)
        E.g. MNIST rows (N, 784) or sklearn digits (N, 64).
    labels : ndarray of shape (N,) or None
    predictions : ndarray of shape (N,) or None
        Wrong predictions are captioned in red.
    ncols : int
    ax : sequence of N Axes or None
    title : str

    Returns
    -------
    matplotlib.figure.Figure

    Taught in notebooks 02, 05 and 06.
    """
    images = np.asarray(images)
    n = images.shape[0]
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"rows of length {images.shape[1]} are not square images")
        images = images.reshape(n, side, side)
    ncols = max(1, min(ncols, n))
    fig, axes = _panels(ax, n, ncols, panel_size=(1.1, 1.3))
    for i, a in enumerate(axes):
        a.imshow(images[i], cmap="gray_r", interpolation="nearest")
        a.set_xticks([])
        a.set_yticks([])
        caption, color = [], "black"
        if labels is not None:
            caption.append(f"label {labels[i]}")
        if predictions is not None:
            caption.append(f"pred {predictions[i]}")
            if labels is not None and predictions[i] != labels[i]:
                color = "red"
        a.set_title("\n".join(caption), fontsize="small", color=color)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(cm, ax=None, class_names=None, normalize=False,
                          title="Confusion matrix"):
    """Confusion matrix as an image with the count (or row fraction) in every cell.

    Parameters
    ----------
    cm : ndarray of shape (C, C)
        ``cm[i, j]``: examples of true class i predicted as j
        (``course.train.confusion_matrix``).
    ax : Axes or None
    class_names : sequence of C str or None
    normalize : bool
        Show each row as fractions of the true class.
    title : str

    Returns
    -------
    matplotlib.axes.Axes

    Taught in notebooks 02 and 06.
    """
    cm = np.asarray(cm)
    c = cm.shape[0]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * c + 2.5, 0.5 * c + 2))
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    image = ax.imshow(shown, cmap="Blues")
    ax.figure.colorbar(image, ax=ax, label="fraction of true class" if normalize else "count")
    names = [str(k) for k in range(c)] if class_names is None else list(class_names)
    ax.set_xticks(range(c), names)
    ax.set_yticks(range(c), names)
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(c):  # C*C text labels: a loop over cells, not over examples
        for j in range(c):
            text = f"{shown[i, j]:.2f}" if normalize else f"{cm[i, j]}"
            ax.text(j, i, text, ha="center", va="center", fontsize="x-small",
                    color="white" if shown[i, j] > threshold else "black")
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    return ax


def plot_optimizer_paths(loss_fn, paths, xlim, ylim, ax=None, levels=30, resolution=200,
                         title="Optimizer paths on the loss surface"):
    """Contour lines of a 2-D loss and the path each optimizer took over it.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(x, y) -> loss`` on arrays of the same shape (evaluated on a whole grid).
    paths : dict name -> ndarray of shape (T, 2)
        Successive parameter values (w1, w2) of each optimizer.
    xlim, ylim : (float, float)
        Plotted range of w1 and w2.
    ax : Axes or None
    levels : int
        Number of contour lines (spaced by quantiles of the loss, so that flat valleys and
        steep walls both get lines).
    resolution : int
        Grid points per axis.
    title : str

    Returns
    -------
    matplotlib.axes.Axes

    Taught in notebook 04.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    gx, gy = np.meshgrid(np.linspace(xlim[0], xlim[1], resolution),
                         np.linspace(ylim[0], ylim[1], resolution))
    gz = np.asarray(loss_fn(gx, gy), dtype=float)
    lines = np.unique(np.quantile(gz[np.isfinite(gz)], np.linspace(0, 1, levels + 2)[1:-1]))
    contours = ax.contour(gx, gy, gz, levels=lines, cmap="viridis", linewidths=0.7)
    ax.figure.colorbar(contours, ax=ax, label="loss")
    for name, path in paths.items():
        path = np.asarray(path, dtype=float)
        (line,) = ax.plot(path[:, 0], path[:, 1], marker=".", markersize=3, linewidth=1.2,
                          label=f"{name} ({len(path) - 1} steps)")
        ax.plot(*path[0], marker="o", color=line.get_color(), markersize=7)
        ax.plot(*path[-1], marker="*", color=line.get_color(), markersize=12,
                markeredgecolor="k")
    ax.plot([], [], "ko", label="start")
    ax.plot([], [], "k*", label="end")
    ax.set(xlim=xlim, ylim=ylim, title=title, xlabel="$w_1$", ylabel="$w_2$")
    ax.legend(fontsize="small", loc="best")
    return ax


def plot_activation_histograms(activations, ax=None, bins=50, value_range=None,
                               title="Activations per layer"):
    """One histogram per layer of the activation values, mean and std in each subtitle.

    Parameters
    ----------
    activations : sequence of ndarrays or dict name -> ndarray
        The activations of each hidden layer, e.g. shape (N, H_l); all entries are pooled.
    ax : sequence of Axes (one per layer) or None
    bins : int
    value_range : (float, float) or None
        Same histogram range in every panel (e.g. (-1, 1) for tanh), so shrinking or
        saturating layers are easy to compare; None: each panel's own range.
    title : str

    Returns
    -------
    matplotlib.figure.Figure

    Taught in notebook 03 (weight initialization).
    """
    if isinstance(activations, dict):
        items = list(activations.items())
    else:
        items = [(f"layer {l}", a) for l, a in enumerate(activations, start=1)]
    fig, axes = _panels(ax, len(items), min(len(items), 5))
    for a, (name, values) in zip(axes, items):
        values = np.asarray(values, dtype=float).ravel()
        a.hist(values, bins=bins, range=value_range, color="tab:blue", alpha=0.8)
        a.set_title(f"{name}\nmean {values.mean():.3f}, std {values.std():.3f}",
                    fontsize="small")
        a.set(xlabel="activation value", ylabel="count")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_activation_functions(names=None, ax=None, z=None, title="Activation functions"):
    """Each activation f(z) and its derivative f'(z), one panel per activation.

    The derivative is what backpropagation uses: ``backward(ones, cache)`` from
    ``course.activations.ACTIVATIONS``.

    Parameters
    ----------
    names : sequence of str or None
        Keys of ``course.activations.ACTIVATIONS`` (None: all of them).
    ax : sequence of Axes (one per name) or None
    z : ndarray of shape (M,) or None
        Inputs to evaluate (default 401 points in [-4, 4]).
    title : str

    Returns
    -------
    matplotlib.figure.Figure

    Taught in notebook 03.
    """
    from course.activations import ACTIVATIONS

    names = list(ACTIVATIONS) if names is None else list(names)
    unknown = [n for n in names if n not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"unknown activation(s) {unknown}; choose from {sorted(ACTIVATIONS)}")
    z = np.linspace(-4, 4, 401) if z is None else np.asarray(z, dtype=float)
    fig, axes = _panels(ax, len(names), min(len(names), 4))
    for a, name in zip(axes, names):
        forward, backward = ACTIVATIONS[name]
        out, cache = forward(z)
        dz = backward(np.ones_like(z), cache)
        a.plot(z, out, label="$f(z)$")
        a.plot(z, dz, linestyle="--", label="$f'(z)$")
        a.axhline(0, color="gray", linewidth=0.5)
        a.axvline(0, color="gray", linewidth=0.5)
        a.set(title=name, xlabel="$z$", ylabel="value")
        a.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
