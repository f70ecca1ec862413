"""Hidden tests for notebook 02 (softmax regression).

One ``check_<exercise id>`` per graded exercise. Each compares the student's function with the
reference in ``course/`` on inputs drawn from ``rng_for`` (never shown in a message), over
several shapes including a batch of one and non-square matrices, and names the likely mistake
when the answer matches a typical bug (a missing 1/N, the wrong axis, a missing max shift).
Every check is sealed (``@hidden_check``): it calls the student's functions in a fixed
order on deterministic inputs and hands each one a fresh generator, so the grader can
replay the recorded answers outside the student's kernel.
"""
from __future__ import annotations

import numpy as np

from course import losses, train
from course.checks import as_plain_array, check_array, check_scalar, check_shape, check_true
from course.gradcheck import numerical_gradient, relative_error
from grader.hidden.common import copies, hidden_check, rng_for, with_reference_globals

#: (N, C) of the hidden cases: a batch of one, more rows than classes, more classes than rows.
CLASS_SHAPES = [(1, 3), (7, 4), (5, 10), (16, 2)]


def _labels(rng, n, c, *, skip_last=False):
    """Integer labels in 0..c-1 (or 0..c-2 when the top class must be missing)."""
    top = c - 1 if skip_last else c
    return rng.integers(0, max(top, 1), size=n)


def _same(a, b, tol=1e-9):
    """True when two arrays have the same shape and values (used to recognize known bugs)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, rtol=tol, atol=tol)


@hidden_check
def check_one_hot(one_hot):
    """Hidden tests for ``one_hot(y, num_classes) -> (N, C)``."""
    for case, (n, c) in enumerate(CLASS_SHAPES):
        rng = rng_for("one_hot", case)
        y = _labels(rng, n, c, skip_last=(case % 2 == 1))
        y_in = y.copy()
        out = one_hot(y_in, c)
        where = f"on a hidden input with N={n}, C={c}"
        arr = as_plain_array("Y", out)
        if arr.ndim == 2 and arr.shape[0] == n and arr.shape[1] == int(y.max()) + 1 and arr.shape[1] != c:
            raise AssertionError(f"Y has shape {arr.shape} {where}, expected {(n, c)}: the width must be "
                                 "num_classes, not y.max() + 1 (a batch may miss the highest class).")
        if arr.shape == (n, c) and not _same(arr.sum(axis=1), np.ones(n)):
            raise AssertionError(f"Y {where}: some rows do not contain exactly one 1. "
                                 "Set only Y[i, y[i]] (index rows and columns together: Y[np.arange(N), y]).")
        check_array(f"Y {where}", out, losses.one_hot(y, c), rtol=0, atol=0,
                    hint="row i must be 1 in column y[i] (not y[i] - 1) and 0 elsewhere.")
        check_true(np.array_equal(y_in, y), "one_hot modified its input y.")


def _softmax_hints(out, scores):
    """A hint naming the mistake when ``out`` equals what a typical bug produces."""
    arr = np.asarray(out, dtype=float)
    if arr.shape != scores.shape:
        return None
    e = np.exp(scores - scores.max())
    with np.errstate(all="ignore"):
        if _same(arr, np.exp(scores - scores.max(axis=0)) / np.exp(scores - scores.max(axis=0)).sum(axis=0)):
            return "your columns sum to 1: normalize over the classes (axis=1), not over the batch."
        if _same(arr, e / e.sum()):
            return "your whole array sums to 1: divide each row by its own sum (axis=1, keepdims=True)."
    return None


@hidden_check
def check_softmax(softmax):
    """Hidden tests for ``softmax(scores) -> probs``: values, row sums, huge logits, mixed scales."""
    for case, (n, c) in enumerate(CLASS_SHAPES):
        rng = rng_for("softmax", case)
        scores = rng.normal(0.0, 3.0, size=(n, c))
        where = f"on a hidden input of shape {(n, c)}"
        out = softmax(*copies(scores))
        hint = _softmax_hints(out, scores)
        check_array(f"probs {where}", out, losses.softmax(scores), rtol=1e-7, atol=1e-12,
                    hint=hint or "exp of the max-shifted scores divided by the row sums.")
    rng = rng_for("softmax", 10)
    huge = rng.normal(0.0, 5.0, size=(4, 6)) + 1e4 * np.array([[1.0], [-1.0], [0.5], [2.0]])
    out = softmax(*copies(huge))
    check_array("probs for logits of size 1e4 (rows of very different scale)", out, losses.softmax(huge),
                rtol=1e-7, atol=1e-12,
                hint="subtract the maximum of each row (axis=1, keepdims=True) before np.exp; "
                     "without the shift exp overflows, with one global maximum whole rows underflow to 0/0.")
    check_shape("probs of a single row", softmax(np.array([[1e4, 0.0, -1e4]])), (1, 3))
    scores = np.arange(12.0).reshape(3, 4)
    original = scores.copy()
    softmax(scores)
    check_true(np.array_equal(scores, original), "softmax modified its input scores in place.")


@hidden_check
def check_cross_entropy(cross_entropy):
    """Hidden tests for ``cross_entropy(probs, y) -> float``."""
    for case, (n, c) in enumerate(CLASS_SHAPES):
        rng = rng_for("cross_entropy", case)
        probs = losses.softmax(rng.normal(0.0, 2.0, size=(n, c)))
        y = _labels(rng, n, c)
        expected = losses.cross_entropy(probs, y)
        got = cross_entropy(*copies(probs, y))
        where = f"on a hidden input with N={n}, C={c}"
        got_f = as_plain_array("loss", got)
        hint = "average -log P[i, y_i] over the N rows."
        if got_f.size == 1 and n > 1 and np.isclose(float(got_f), n * expected, rtol=1e-9):
            hint = "your loss is N times too large: average over the batch (np.mean), do not sum."
        elif got_f.size == 1 and np.isclose(float(got_f), -expected, rtol=1e-9):
            hint = "your loss has the wrong sign: it is MINUS the mean log-probability (a loss is >= 0)."
        elif got_f.size == 1 and np.isclose(float(got_f), -np.mean(np.log(probs)), rtol=1e-9):
            hint = "only the probability of the TRUE class counts: pick probs[np.arange(N), y]."
        check_scalar(f"loss {where}", got, expected, rtol=1e-8, hint=hint)
    probs = np.array([[0.0, 1.0, 0.0], [0.7, 0.0, 0.3], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    y = np.array([0, 1, 2, 0])
    check_scalar("loss when the true class has probability exactly 0", cross_entropy(*copies(probs, y)),
                 losses.cross_entropy(probs, y), rtol=1e-8,
                 hint="clip the probabilities to [1e-12, 1] before taking the log.")


def _sce_reference_globals(fn):
    """The student's function with the reference softmax / cross_entropy / one_hot plugged in."""
    return with_reference_globals(fn, softmax=losses.softmax, cross_entropy=losses.cross_entropy,
                                  one_hot=losses.one_hot)


@hidden_check
def check_softmax_cross_entropy(softmax_cross_entropy):
    """Hidden tests for ``softmax_cross_entropy(scores, y) -> (loss, dscores)``."""
    fn = _sce_reference_globals(softmax_cross_entropy)
    for case, (n, c) in enumerate(CLASS_SHAPES):
        rng = rng_for("softmax_cross_entropy", case)
        scores = rng.normal(0.0, 2.0, size=(n, c))
        y = _labels(rng, n, c)
        result = fn(*copies(scores, y))
        check_true(isinstance(result, tuple) and len(result) == 2,
                   "softmax_cross_entropy must return a tuple (loss, dscores).")
        loss, dscores = result
        ref_loss, ref_d = losses.softmax_cross_entropy(scores, y)
        where = f"on a hidden input with N={n}, C={c}"
        check_scalar(f"loss {where}", loss, ref_loss, rtol=1e-8)
        hint = "dscores = (P - Y) / N."
        d = np.asarray(dscores, dtype=float)
        P, Y = losses.softmax(scores), losses.one_hot(y, c)
        if d.shape == ref_d.shape:
            if n > 1 and _same(d, ref_d * n):
                hint = "your dscores is exactly N times too large: divide by the batch size N."
            elif _same(d, -ref_d):
                hint = "your dscores has the wrong sign: it is (P - Y) / N, not (Y - P) / N."
            elif _same(d, P / n):
                hint = "you forgot to subtract the one-hot targets Y: dscores = (P - Y) / N."
            elif c != n and _same(d, (P - Y) / c):
                hint = "you divided by the number of classes C; divide by the batch size N."
        check_array(f"dscores {where}", dscores, ref_d, rtol=1e-7, atol=1e-12, hint=hint)
        num = numerical_gradient(lambda s: losses.softmax_cross_entropy(s, y)[0], scores.copy())
        err = relative_error(np.asarray(dscores, dtype=float), num)
        check_true(err < 1e-6, f"dscores {where} disagrees with the numerical gradient "
                               f"(relative error {err:.1e}).")
    rng = rng_for("softmax_cross_entropy", 10)
    y = np.array([0, 2, 1])
    huge = rng.normal(0.0, 3.0, size=(3, 4)) + np.array([[2e4], [-1e4], [5e3]])
    huge[np.arange(3), y] += 50.0   # the true class has the largest logit: the loss is small
    loss, dscores = fn(*copies(huge, y))
    ref_loss, ref_d = losses.softmax_cross_entropy(huge, y)
    check_scalar("loss for logits of size 1e4", loss, ref_loss, rtol=1e-6, atol=1e-10)
    check_array("dscores for logits of size 1e4", dscores, ref_d, rtol=1e-6, atol=1e-12)


@hidden_check
def check_softmax_regression_loss(softmax_regression_loss):
    """Hidden tests for ``softmax_regression_loss(X, y, W, b) -> (loss, dW, db)``."""
    fn = with_reference_globals(softmax_regression_loss,
                                softmax_cross_entropy=losses.softmax_cross_entropy,
                                softmax=losses.softmax, cross_entropy=losses.cross_entropy,
                                one_hot=losses.one_hot)
    for case, (n, d, c) in enumerate([(1, 3, 4), (6, 5, 3), (9, 2, 7), (4, 8, 8)]):
        rng = rng_for("softmax_regression_loss", case)
        X = rng.normal(0.0, 1.5, size=(n, d))
        y = _labels(rng, n, c)
        W = rng.normal(0.0, 0.7, size=(d, c))
        b = rng.normal(0.0, 0.5, size=c)
        result = fn(*copies(X, y, W, b))
        check_true(isinstance(result, tuple) and len(result) == 3,
                   "softmax_regression_loss must return (loss, dW, db).")
        loss, dW, db = result
        ref_loss, dS = losses.softmax_cross_entropy(X @ W + b, y)
        ref_dW, ref_db = X.T @ dS, dS.sum(axis=0)
        where = f"on a hidden input with N={n}, D={d}, C={c}"
        check_scalar(f"loss {where}", loss, ref_loss, rtol=1e-8,
                     hint="scores = X @ W + b (do not forget the bias), then softmax cross-entropy.")
        hint_W = "dW = X.T @ dscores, shape (D, C); the 1/N is already inside dscores."
        if n > 1 and np.shape(dW) == ref_dW.shape and _same(dW, ref_dW / n):
            hint_W = "your dW is N times too small: dscores already contains 1/N, do not divide again."
        check_array(f"dW {where}", dW, ref_dW, rtol=1e-7, atol=1e-12, hint=hint_W)
        hint_b = "db = dscores summed over the batch (axis=0), shape (C,)."
        if n > 1 and np.shape(db) == ref_db.shape and _same(db, ref_db / n):
            hint_b = "your db is N times too small: sum dscores over the batch, do not average."
        check_array(f"db {where}", db, ref_db, rtol=1e-7, atol=1e-12, hint=hint_b)
        num_W = numerical_gradient(lambda w: losses.softmax_cross_entropy(X @ w + b, y)[0], W.copy())
        err = relative_error(np.asarray(dW, dtype=float), num_W)
        check_true(err < 1e-6, f"dW {where} disagrees with the numerical gradient (relative error {err:.1e}).")


@hidden_check
def check_accuracy(accuracy):
    """Hidden tests for ``accuracy(scores, y) -> float`` in [0, 1]."""
    for case, (n, c) in enumerate([(1, 3), (10, 4), (25, 10), (8, 2)]):
        rng = rng_for("accuracy", case)
        y = _labels(rng, n, c)
        scores = rng.normal(0.0, 1.0, size=(n, c))
        right = rng.random(n) < 0.6
        scores[np.arange(n)[right], y[right]] += 10.0  # about 60% of the rows predict y
        expected = train.accuracy(scores, y)
        got = accuracy(*copies(scores, y))
        where = f"on a hidden input with N={n}, C={c}"
        got_f = as_plain_array("accuracy", got)
        hint = "the mean of (np.argmax(scores, axis=1) == y), a fraction in [0, 1]."
        if got_f.size == 1 and expected > 0 and np.isclose(float(got_f), 100 * expected):
            hint = "return a fraction in [0, 1], not a percentage."
        elif got_f.size == 1 and n > 1 and expected > 0 and np.isclose(float(got_f), n * expected):
            hint = "you returned the number of correct rows: divide by N (np.mean)."
        check_scalar(f"accuracy {where}", got, expected, rtol=1e-12, hint=hint)
