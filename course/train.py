"""Mini-batches, accuracy, confusion matrix and a generic training loop.

``train`` works with any model that has

- ``model.params``: dict name -> ndarray (the trainable parameters),
- ``model.loss(X, y) -> (loss, grads)`` with ``grads`` keyed like ``params``,
- ``model.predict(X) -> scores`` of shape (N, C),

for example ``course.network.FullyConnectedNet``.

Taught in notebooks 01 (mini-batches), 02 (accuracy, confusion matrix) and 04 (the loop);
used in notebooks 04 to 06.
"""
from __future__ import annotations

import os

import numpy as np
from tqdm.auto import tqdm

from course.inplace import in_place_step
from course.optim import OPTIMIZERS
from course.regularization import EarlyStopping

__all__ = ["accuracy", "confusion_matrix", "iterate_minibatches", "most_confused_pairs",
           "precision_recall", "predict_in_chunks", "pure_step", "train"]

#: training accuracy is measured on at most this many (fixed) training examples
TRAIN_ACC_SAMPLES = 10_000


def iterate_minibatches(X, y, batch_size, rng=None, shuffle=True):
    """Yield mini-batches that cover every example exactly once (one epoch).

    Parameters
    ----------
    X : ndarray of shape (N, ...)
        Inputs, one example per row.
    y : ndarray of shape (N, ...) or None
        Targets; when None, ``None`` is yielded in its place.
    batch_size : int
        Examples per batch; the last batch holds the remaining N mod batch_size
        examples when N is not a multiple of ``batch_size``.
    rng : np.random.Generator or None
        Generator for the shuffle. ``None`` with ``shuffle=True`` uses a fresh unseeded
        generator (not reproducible).
    shuffle : bool
        Visit the examples in a random order (a new permutation on every call).

    Yields
    ------
    X_batch : ndarray of shape (B, ...)
    y_batch : ndarray of shape (B, ...) or None
        B = batch_size, except possibly for the last batch.

    Taught in notebook 01.
    """
    n = X.shape[0]
    if y is not None and y.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[0]}")
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if shuffle:
        if rng is None:
            rng = np.random.default_rng()
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            yield X[idx], (None if y is None else y[idx])
    else:
        for start in range(0, n, batch_size):
            stop = start + batch_size
            yield X[start:stop], (None if y is None else y[start:stop])


def accuracy(scores, y):
    """Fraction of examples whose highest score is the true class.

    mean_i [argmax_c scores[i, c] == y[i]]

    Parameters
    ----------
    scores : ndarray of shape (N, C)
        Class scores, logits or probabilities.
    y : ndarray of shape (N,) of int, or (N, C) one-hot
        True labels.

    Returns
    -------
    float
        Accuracy in [0, 1].

    Taught in notebook 02.
    """
    scores = np.asarray(scores)
    y = np.asarray(y)
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape (N, C), got {scores.shape}")
    if y.ndim == 2:
        y = y.argmax(axis=1)
    if y.shape[0] != scores.shape[0]:
        raise ValueError(f"scores has {scores.shape[0]} rows but y has {y.shape[0]}")
    return float(np.mean(scores.argmax(axis=1) == y))


def confusion_matrix(y_true, y_pred, num_classes):
    """Count how often class i is predicted as class j.

    cm[i, j] = #{n : y_true[n] = i and y_pred[n] = j}  (rows: true class, columns: predicted)

    Parameters
    ----------
    y_true : ndarray of shape (N,) of int in [0, num_classes)
    y_pred : ndarray of shape (N,) of int in [0, num_classes)
    num_classes : int

    Returns
    -------
    cm : ndarray of shape (num_classes, num_classes), int64
        The counts; ``cm.sum() == N`` and ``np.trace(cm)`` is the number correct.

    Taught in notebook 02.
    """
    y_true = np.asarray(y_true).astype(np.int64, copy=False).ravel()
    y_pred = np.asarray(y_pred).astype(np.int64, copy=False).ravel()
    c = int(num_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= c):
            raise ValueError(f"{name} has labels outside [0, {c})")
    counts = np.bincount(y_true * c + y_pred, minlength=c * c)
    return counts.reshape(c, c)


def most_confused_pairs(cm, k):
    """The k most frequent confusions of a confusion matrix.

    Every off-diagonal entry cm[i, j] > 0 is a confusion "true class i predicted as j". They are
    sorted by count, largest first; equal counts keep row-major order (smaller i first, then
    smaller j).

    Parameters
    ----------
    cm : ndarray of shape (C, C) of int
        Confusion matrix, rows the true class, columns the predicted class.
    k : int
        Maximum number of pairs to return.

    Returns
    -------
    pairs : ndarray of shape (min(k, number of nonzero off-diagonal entries), 3), int64
        One row (i, j, cm[i, j]) per confusion, the most frequent first.

    Taught in notebook 06.
    """
    cm = np.asarray(cm)
    off = cm.astype(np.int64).copy()
    np.fill_diagonal(off, 0)
    flat = off.ravel()
    order = np.argsort(-flat, kind="stable")
    order = order[flat[order] > 0][: int(k)]
    i, j = np.unravel_index(order, cm.shape)
    return np.stack([i, j, flat[order]], axis=1).astype(np.int64)


def precision_recall(cm):
    """Per-class precision and recall from a confusion matrix.

    Precision of class c: of the examples predicted as c, the fraction that are c. Recall of
    class c: of the examples of class c, the fraction predicted as c. A class with no
    predictions (or no examples) gets precision (recall) 0.

    Parameters
    ----------
    cm : ndarray of shape (C, C) of int
        Confusion matrix, rows the true class, columns the predicted class.

    Returns
    -------
    precision : ndarray of shape (C,), float64
    recall : ndarray of shape (C,), float64

    Taught in notebook 06.
    """
    cm = np.asarray(cm, dtype=np.float64)
    correct = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(correct, predicted, out=np.zeros_like(correct), where=predicted > 0)
    recall = np.divide(correct, actual, out=np.zeros_like(correct), where=actual > 0)
    return precision, recall


def predict_in_chunks(model, X, chunk_size=4096):
    """Scores of ``model.predict`` computed ``chunk_size`` rows at a time (bounded memory).

    Parameters
    ----------
    model : object with ``predict(X) -> scores``
    X : ndarray of shape (N, D)
    chunk_size : int

    Returns
    -------
    scores : ndarray of shape (N, C)
    """
    if X.shape[0] <= chunk_size:
        return model.predict(X)
    return np.concatenate(
        [model.predict(X[i:i + chunk_size]) for i in range(0, X.shape[0], chunk_size)]
    )


def pure_step(model, update, configs):
    """The textbook training step: loss and gradients, then ``update`` on every parameter.

    Parameters
    ----------
    model : object with ``params`` and ``loss(X, y) -> (loss, grads)``
    update : callable ``update(w, dw, config) -> (w, config)``
    configs : dict name -> dict, one optimizer config per parameter

    Returns
    -------
    step : callable
        ``step(X_batch, y_batch) -> loss``; it stores each updated parameter in ``model.params``.
    """
    params = model.params

    def step(X_batch, y_batch):
        loss, grads = model.loss(X_batch, y_batch)
        for name, config in configs.items():
            params[name], _ = update(params[name], grads[name], config)
        return loss

    return step


def train(model, X_train, y_train, X_val=None, y_val=None, *, optimizer="sgd",
          optim_config=None, epochs=10, batch_size=64, rng, lr_schedule=None,
          early_stopping=None, augment=None, record_steps=False, verbose=True):
    """Train ``model`` with mini-batch gradient descent and record its progress.

    Each step: take a mini-batch, (optionally) augment it, compute loss and gradients, and
    apply ``w, config = update(w, dw, config)`` to every parameter. With one of
    ``course.optim``'s optimizers and a ``FullyConnectedNet`` the same updates are made in
    place, into the arrays of ``model.params`` (``course.inplace``, tested to follow the same
    trajectory); any other optimizer or model gets exactly the loop above.

    Parameters
    ----------
    model : object
        ``model.params`` (dict name -> ndarray), ``model.loss(X, y) -> (loss, grads)`` and
        ``model.predict(X) -> scores (N, C)``. The parameters are updated in ``model.params``.
    X_train : ndarray of shape (N, D)
    y_train : ndarray of shape (N,) of int (or whatever ``model.loss`` expects)
    X_val : ndarray of shape (N_val, D) or None
    y_val : ndarray of shape (N_val,) or None
    optimizer : str or callable
        A key of ``course.optim.OPTIMIZERS`` or a function ``update(w, dw, config)``.
    optim_config : dict or None
        Hyperparameters, e.g. ``{"learning_rate": 0.1}``; each parameter gets its own copy.
    epochs : int
    batch_size : int
    rng : np.random.Generator
        Used for shuffling, the training-accuracy subset and ``augment``.
    lr_schedule : callable or None
        ``lr_schedule(epoch) -> lr`` (epoch counted from 0); sets every parameter's
        ``learning_rate`` at the start of each epoch.
    early_stopping : course.regularization.EarlyStopping, int or None
        Early stopping on validation accuracy (an int is the patience). Needs validation
        data. When training ends (stopped early or not) the best parameters are copied back
        into ``model.params`` in place.
    augment : callable or None
        ``augment(X_batch, rng) -> X_batch`` applied to every training mini-batch.
    record_steps : bool
        Also record the loss of every mini-batch (``history["step_loss"]``), for loss curves
        per update rather than per epoch. It costs nothing: the loss is computed anyway.
    verbose : bool
        Show a progress bar over epochs (``tqdm.auto``: a widget in JupyterLab, text on stderr
        in a terminal). Never in a grading kernel (``COURSE_GRADING`` set by the grader).

    Returns
    -------
    history : dict
        Per-epoch lists ``loss`` (mean mini-batch training loss), ``train_acc`` (on a fixed
        subset of at most 10,000 training examples), ``val_acc`` (None entries without
        validation data) and ``lr``; plus ``best_epoch`` (int) with early stopping, and with
        ``record_steps`` the list ``step_loss`` of every mini-batch's loss in training order
        (``epochs * ceil(N / batch_size)`` entries when training runs to the end).

    Taught in notebook 04; used in notebooks 05 and 06.
    """
    update = OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer
    has_val = X_val is not None and y_val is not None
    if isinstance(early_stopping, (int, np.integer)) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=int(early_stopping))
    if early_stopping is not None and not has_val:
        raise ValueError("early_stopping needs validation data (X_val, y_val)")

    params = model.params
    base_config = dict(optim_config or {})
    configs = {name: dict(base_config) for name in params}
    lr = float(base_config.get("learning_rate", 1e-2))
    step = in_place_step(model, update, configs) or pure_step(model, update, configs)

    n = X_train.shape[0]
    if n > TRAIN_ACC_SAMPLES:
        subset = np.sort(rng.choice(n, TRAIN_ACC_SAMPLES, replace=False))
        X_acc, y_acc = X_train[subset], y_train[subset]
    else:
        X_acc, y_acc = X_train, y_train

    history = {"loss": [], "train_acc": [], "val_acc": [], "lr": []}
    step_losses = history.setdefault("step_loss", []) if record_steps else None
    verbose = bool(verbose) and not os.environ.get("COURSE_GRADING")
    bar = tqdm(range(epochs), desc="epochs", unit="epoch", disable=not verbose)
    for epoch in bar:
        if lr_schedule is not None:
            lr = float(lr_schedule(epoch))
            for config in configs.values():
                config["learning_rate"] = lr

        total, steps = 0.0, 0
        for X_batch, y_batch in iterate_minibatches(X_train, y_train, batch_size, rng):
            if augment is not None:
                X_batch = augment(X_batch, rng)
            loss = step(X_batch, y_batch)
            total += loss
            steps += 1
            if step_losses is not None:
                step_losses.append(float(loss))

        if configs:
            lr = float(next(iter(configs.values())).get("learning_rate", lr))
        history["loss"].append(float(total) / max(steps, 1))
        history["train_acc"].append(accuracy(predict_in_chunks(model, X_acc), y_acc))
        history["val_acc"].append(
            accuracy(predict_in_chunks(model, X_val), y_val) if has_val else None
        )
        history["lr"].append(lr)
        if verbose:
            shown = {"loss": f"{history['loss'][-1]:.4f}",
                     "train_acc": f"{history['train_acc'][-1]:.3f}"}
            if has_val:
                shown["val_acc"] = f"{history['val_acc'][-1]:.3f}"
            bar.set_postfix(shown)
        if early_stopping is not None and early_stopping.step(
                history["val_acc"][-1], params, epoch):
            break
    bar.close()

    if early_stopping is not None and early_stopping.best_params is not None:
        for name, best in early_stopping.best_params.items():
            params[name][...] = best
        history["best_epoch"] = early_stopping.best_epoch
    return history
