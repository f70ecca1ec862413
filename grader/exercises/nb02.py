"""Hidden tests for notebook 02 (softmax regression).

One ``check_<exercise id>`` per graded exercise. Each compares the student's function with the
reference in ``course/`` on inputs drawn from ``rng_for`` (never shown in a message), over
several shapes including a batch of one and non-square matrices. Messages say what is wrong;
the catalogued bugs below name the likely mistake (``grader.diagnose``).
Checks run in the grader's process; the student's functions reach them as proxies
(``grader.trusted``) that call into the kernel.
"""
from __future__ import annotations

import numpy as np

from course import losses, train
from course.checks import check_scalar, check_true
from course.gradcheck import numerical_gradient, relative_error
from grader.exercises.common import check_array, copies, rng_for, with_reference_globals
from grader.registry import Bug, Exercise

#: (N, C) of the hidden cases: a batch of one, more rows than classes, more classes than rows.
CLASS_SHAPES = [(1, 3), (7, 4), (5, 10), (16, 2)]


def _labels(rng, n, c, *, skip_last=False):
    """Integer labels in 0..c-1 (or 0..c-2 when the top class must be missing)."""
    top = c - 1 if skip_last else c
    return rng.integers(0, max(top, 1), size=n)


def check_one_hot(one_hot):
    """Hidden tests for ``one_hot(y, num_classes) -> (N, C)``."""
    for case, (n, c) in enumerate(CLASS_SHAPES):
        rng = rng_for("one_hot", case)
        y = _labels(rng, n, c, skip_last=(case % 2 == 1))
        y_in = y.copy()
        out = one_hot(y_in, c)
        where = f"on a hidden input with N={n}, C={c}"
        check_array(f"Y {where}", out, losses.one_hot(y, c), rtol=0, atol=0,
                    hint="row i must be 1 in column y[i] (not y[i] - 1) and 0 elsewhere.")
        check_true(np.array_equal(y_in, y), "one_hot modified its input y.")


def check_softmax(softmax):
    """Hidden tests for ``softmax(scores) -> probs``: values, row sums, huge logits, mixed scales."""
    for case, (n, c) in enumerate(CLASS_SHAPES):
        rng = rng_for("softmax", case)
        scores = rng.normal(0.0, 3.0, size=(n, c))
        where = f"on a hidden input of shape {(n, c)}"
        out = softmax(*copies(scores))
        check_array(f"probs {where}", out, losses.softmax(scores), rtol=1e-7, atol=1e-12,
                    hint="exp of the max-shifted scores divided by the row sums.")
    rng = rng_for("softmax", 10)
    huge = rng.normal(0.0, 5.0, size=(4, 6)) + 1e4 * np.array([[1.0], [-1.0], [0.5], [2.0]])
    out = softmax(*copies(huge))
    check_array("probs for logits of size 1e4 (rows of very different scale)", out, losses.softmax(huge),
                rtol=1e-7, atol=1e-12,
                hint="subtract the maximum of each row (axis=1, keepdims=True) before np.exp; "
                     "without the shift exp overflows, with one global maximum whole rows underflow to 0/0.")
    for row in ([[1e4, 0.0, -1e4]], [[0.0, 1000.0, 3.0]]):   # one row spanning thousands
        wide = np.array(row)
        check_array(f"probs of the single row {row[0]}", softmax(wide.copy()), losses.softmax(wide),
                    rtol=1e-7, atol=1e-12, hint="shift by the row's maximum, not its minimum.")
    scores = np.arange(12.0).reshape(3, 4)
    original = scores.copy()
    softmax(scores)
    check_true(np.array_equal(scores, original), "softmax modified its input scores in place.")


def check_cross_entropy(cross_entropy):
    """Hidden tests for ``cross_entropy(probs, y) -> float``."""
    for case, (n, c) in enumerate(CLASS_SHAPES):
        rng = rng_for("cross_entropy", case)
        probs = losses.softmax(rng.normal(0.0, 2.0, size=(n, c)))
        y = _labels(rng, n, c)
        expected = losses.cross_entropy(probs, y)
        got = cross_entropy(*copies(probs, y))
        where = f"on a hidden input with N={n}, C={c}"
        check_scalar(f"loss {where}", got, expected, rtol=1e-8,
                     hint="average -log P[i, y_i] over the N rows.")
    probs = np.array([[0.0, 1.0, 0.0], [0.7, 0.0, 0.3], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    y = np.array([0, 1, 2, 0])
    check_scalar("loss when the true class has probability exactly 0", cross_entropy(*copies(probs, y)),
                 losses.cross_entropy(probs, y), rtol=1e-8,
                 hint="clip the probabilities to [1e-12, 1] before taking the log.")


def _sce_reference_globals(fn):
    """The student's function with the reference softmax / cross_entropy / one_hot plugged in."""
    return with_reference_globals(fn, softmax=losses.softmax, cross_entropy=losses.cross_entropy,
                                  one_hot=losses.one_hot)


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
        check_array(f"dscores {where}", dscores, ref_d, rtol=1e-7, atol=1e-12,
                    hint="dscores = (P - Y) / N.")
        num = numerical_gradient(lambda s: losses.softmax_cross_entropy(s, y)[0], scores.copy())
        err = relative_error(np.asarray(dscores, dtype=float), num)
        check_true(err < 1e-4, f"dscores {where} disagrees with the numerical gradient "
                               f"(relative error {err:.1e}).")
    rng = rng_for("softmax_cross_entropy", 10)
    y = np.array([0, 2, 1])
    huge = rng.normal(0.0, 3.0, size=(3, 4)) + np.array([[2e4], [-1e4], [5e3]])
    huge[np.arange(3), y] += 50.0   # the true class has the largest logit: the loss is small
    loss, dscores = fn(*copies(huge, y))
    ref_loss, ref_d = losses.softmax_cross_entropy(huge, y)
    check_scalar("loss for logits of size 1e4", loss, ref_loss, rtol=1e-6, atol=1e-10)
    check_array("dscores for logits of size 1e4", dscores, ref_d, rtol=1e-6, atol=1e-12)


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
        check_array(f"dW {where}", dW, ref_dW, rtol=1e-7, atol=1e-12,
                    hint="dW = X.T @ dscores, shape (D, C); the 1/N is already inside dscores.")
        check_array(f"db {where}", db, ref_db, rtol=1e-7, atol=1e-12,
                    hint="db = dscores summed over the batch (axis=0), shape (C,).")
        num_W = numerical_gradient(lambda w: losses.softmax_cross_entropy(X @ w + b, y)[0], W.copy())
        err = relative_error(np.asarray(dW, dtype=float), num_W)
        check_true(err < 1e-4, f"dW {where} disagrees with the numerical gradient (relative error {err:.1e}).")


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
        check_scalar(f"accuracy {where}", got, expected, rtol=1e-12,
                     hint="the mean of (np.argmax(scores, axis=1) == y), a fraction in [0, 1].")
    ties = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 3.0, 3.0], [0.5, 0.0, 0.5]])
    y = np.array([1, 2, 0, 2])
    check_scalar("accuracy with tied top scores", accuracy(*copies(ties, y)),
                 train.accuracy(ties, y), rtol=1e-12,
                 hint="a tie predicts the first of the tied classes, as np.argmax does.")


# ---------------------------------------------------------------- catalogued bugs
BUGS = [
    # one_hot
    Bug("one_hot_width_from_labels", "one_hot",
        "np.zeros((N, num_classes))", "np.zeros((N, y.max() + 1))",
        "The width of Y must be num_classes; y.max() + 1 is too narrow when a batch misses the "
        "highest class."),
    Bug("one_hot_whole_columns", "one_hot",
        "Y[np.arange(N), y] = 1.0", "Y[:, y] = 1.0",
        "Y[:, y] sets entire columns; index rows and columns together: Y[np.arange(N), y] = 1."),
    Bug("one_hot_off_by_one", "one_hot",
        "Y[np.arange(N), y] = 1.0", "Y[np.arange(N), y - 1] = 1.0",
        "Labels start at 0: class y goes to column y, not y - 1."),
    Bug("one_hot_transposed", "one_hot",
        "Y = np.zeros((N, num_classes))\n    Y[np.arange(N), y] = 1.0",
        "Y = np.zeros((num_classes, N))\n    Y[y, np.arange(N)] = 1.0",
        "Rows are examples: Y has shape (N, C), not (C, N)."),
    # softmax
    Bug("softmax_no_max_shift", "softmax",
        "scores - np.max(scores, axis=1, keepdims=True)", "scores",
        "Without subtracting the row maximum, exp overflows for large logits (1e4) and the "
        "softmax returns NaN."),
    Bug("softmax_global_max", "softmax",
        "np.max(scores, axis=1, keepdims=True)", "np.max(scores)",
        "Subtract each row's own maximum: one global maximum makes rows with much smaller "
        "logits underflow to 0/0."),
    Bug("softmax_normalize_columns", "softmax",
        "np.sum(exp_scores, axis=1, keepdims=True)", "np.sum(exp_scores, axis=0, keepdims=True)",
        "Normalize over the classes (axis=1): each ROW must sum to 1."),
    Bug("softmax_normalize_all", "softmax",
        "np.sum(exp_scores, axis=1, keepdims=True)", "np.sum(exp_scores)",
        "Divide every row by its own sum, not by the sum over the whole batch."),
    # cross_entropy
    Bug("ce_sum_not_mean", "cross_entropy",
        "-np.mean(", "-np.sum(",
        "The loss is averaged over the batch; a sum is N times too large."),
    Bug("ce_wrong_sign", "cross_entropy",
        "float(-np.mean(", "float(np.mean(",
        "Cross-entropy is MINUS the mean log-probability of the true class; it is never negative."),
    Bug("ce_no_clip", "cross_entropy",
        "np.log(np.clip(p_true, 1e-12, 1.0))", "np.log(p_true)",
        "Clip probabilities to [1e-12, 1] before the log: a probability of exactly 0 gives an "
        "infinite loss."),
    Bug("ce_all_classes", "cross_entropy",
        "p_true = probs[np.arange(N), y]", "p_true = probs",
        "Only the probability of the true class enters the loss: pick probs[np.arange(N), y]."),
    # softmax_cross_entropy
    Bug("sce_missing_1_over_N", "softmax_cross_entropy",
        "(probs - one_hot(y, C)) / N", "(probs - one_hot(y, C))",
        "dscores is N times too large: the loss is a mean, so its gradient carries 1/N."),
    Bug("sce_wrong_sign", "softmax_cross_entropy",
        "(probs - one_hot(y, C)) / N", "(one_hot(y, C) - probs) / N",
        "The gradient is (P - Y)/N: the true class's score must go UP when you step against it."),
    Bug("sce_forgot_targets", "softmax_cross_entropy",
        "(probs - one_hot(y, C)) / N", "probs / N",
        "You forgot the one-hot targets: dscores = (P - Y)/N."),
    Bug("sce_divide_by_C", "softmax_cross_entropy",
        "(probs - one_hot(y, C)) / N", "(probs - one_hot(y, C)) / C",
        "Divide by the batch size N, not by the number of classes C."),
    # softmax_regression_loss
    Bug("srl_db_mean", "softmax_regression_loss",
        "db = np.sum(dscores, axis=0)", "db = np.mean(dscores, axis=0)",
        "db sums dscores over the batch: the 1/N is already inside dscores."),
    Bug("srl_dW_double_average", "softmax_regression_loss",
        "dW = X.T @ dscores", "dW = X.T @ dscores / X.shape[0]",
        "dW is N times too small: dscores already contains 1/N, do not divide again."),
    Bug("srl_no_bias", "softmax_regression_loss",
        "scores = X @ W + b", "scores = X @ W",
        "The scores include the bias: S = X W + b."),
    Bug("srl_dW_transposed", "softmax_regression_loss",
        "dW = X.T @ dscores", "dW = dscores.T @ X",
        "dW must have the shape (D, C) of W: dW = X.T @ dscores."),
    Bug("srl_db_scalar", "softmax_regression_loss",
        "db = np.sum(dscores, axis=0)", "db = np.sum(dscores)",
        "db has one entry per class, shape (C,): sum over the batch only (axis=0)."),
    # accuracy
    Bug("acc_argmax_axis0", "accuracy",
        "np.argmax(scores, axis=1)", "np.argmax(scores, axis=0)",
        "Take the arg-max over the classes (axis=1), one prediction per example."),
    Bug("acc_count", "accuracy",
        "float(np.mean(predictions == y))", "float(np.sum(predictions == y))",
        "Return a fraction in [0, 1] (the mean), not the number of correct examples."),
    Bug("acc_percent", "accuracy",
        "float(np.mean(predictions == y))", "float(100 * np.mean(predictions == y))",
        "Return a fraction in [0, 1], not a percentage."),
    Bug("acc_argmin", "accuracy",
        "np.argmax(scores, axis=1)", "np.argmin(scores, axis=1)",
        "The predicted class has the HIGHEST score: np.argmax."),
    # ---- written from the student notebooks and docstrings alone by an outside tester
    # (issue 14); the comment above each names the input on which it differs
    # witness: y=np.array([0, 2]) (int64), C=3 -> ref float64, bug int64
    Bug("onehot_label_dtype", "one_hot",
        "Y = np.zeros((N, num_classes))", "Y = np.zeros((N, num_classes), dtype=y.dtype)",
        "Builds the one-hot matrix with the labels' integer dtype instead of float64."),
    # witness: y=[0, 1], C=4 -> ref shape (2,4), bug shape (2,2)
    Bug("onehot_width_from_labels", "one_hot",
        "Y = np.zeros((N, num_classes))", "Y = np.zeros((N, int(y.max()) + 1))",
        "Infers the number of classes from the largest label instead of using num_classes."),
    # witness: scores=[[1.,2.],[3.,4.]] -> scores array is modified by the call
    Bug("softmax_inplace", "softmax",
        "shifted = scores - np.max(scores, axis=1, keepdims=True)",
        "scores -= np.max(scores, axis=1, keepdims=True)\n    shifted = scores",
        "Shifts the caller's scores array in place (and fails for integer logits)."),
    # witness: probs=[[0.9,0.1],[0.2,0.8]], y=[0,1] -> bug averages the N x N matrix probs[:, y]
    Bug("ce_wrong_indexing", "cross_entropy",
        "p_true = probs[np.arange(N), y]", "p_true = probs[:, y]",
        "Indexes probs[:, y], an N x N matrix, instead of picking one entry per row."),
    # witness: N=2 examples -> bug gradient twice the reference
    Bug("sce_grad_no_mean", "softmax_cross_entropy",
        "dscores = (probs - one_hot(y, C)) / N", "dscores = probs - one_hot(y, C)",
        "Forgets the 1/N of the mean in the gradient of the scores."),
    # witness: scores=[[1.,1.]], y=[1] -> ref 0.0 (argmax picks class 0), bug 1.0 (tie counted as correct)
    Bug("accuracy_ties_correct", "accuracy",
        "predictions = np.argmax(scores, axis=1)\n    return float(np.mean(predictions == y))",
        "is_max = scores == scores.max(axis=1, keepdims=True)\n    return float(np.mean(is_max[np.arange(len(y)), y]))",
        "Counts an example as correct whenever the true class has the maximal score, so ties all count as hits."),
]


# ---------------------------------------------------------------- the registry
EXERCISES = [
    Exercise("test_one_hot", points=4, check=check_one_hot,
             functions=('one_hot',),
             references=('course.losses.one_hot',)),
    Exercise("test_softmax", points=8, check=check_softmax,
             functions=('softmax',),
             references=('course.losses.softmax', 'course.losses.log_softmax')),
    Exercise("test_cross_entropy", points=6, check=check_cross_entropy,
             functions=('cross_entropy',),
             references=('course.losses.cross_entropy',)),
    Exercise("test_softmax_cross_entropy", points=10, check=check_softmax_cross_entropy,
             functions=('softmax_cross_entropy',),
             references=('course.losses.softmax_cross_entropy',)),
    Exercise("test_softmax_regression_loss", points=8, check=check_softmax_regression_loss,
             functions=('softmax_regression_loss',)),
    Exercise("test_accuracy", points=4, check=check_accuracy,
             functions=('accuracy',),
             references=('course.train.accuracy',)),
]



# ---------------------------------------------------------------- derivation exercises
def _earlier_references(fn):
    """The student's function, with notebook 02's earlier exercises replaced by the references."""
    return with_reference_globals(fn, one_hot=losses.one_hot, softmax=losses.softmax,
                                  cross_entropy=losses.cross_entropy,
                                  softmax_cross_entropy=losses.softmax_cross_entropy)


def _scores_case(exercise, case, n, c):
    rng = rng_for(exercise, case)
    # moderate scores: no probability falls below the 1e-12 that cross_entropy clips to
    scores = rng.normal(0.0, 1.5, size=(n, c)) + rng.normal(0.0, 0.5, size=(1, c))
    return scores, _labels(rng, n, c)


def _check_loss_and_grad(where, out, ref, loss_of_scores, scores, hint):
    check_true(isinstance(out, tuple) and len(out) == 2,
               "the function must return the tuple (loss, dscores).")
    loss, dscores = out
    check_scalar(f"loss {where}", loss, ref[0], rtol=1e-7, atol=1e-10)
    check_array(f"dscores {where}", dscores, ref[1], rtol=1e-6, atol=1e-10, hint=hint)
    # independent oracle: centered differences in float64 (absolute tolerance, since entries
    # of classes with probability near 0 are tiny and their relative error is rounding noise)
    num = numerical_gradient(loss_of_scores, scores.copy())
    check_array(f"dscores {where} against the numerical gradient of the loss",
                np.asarray(dscores, dtype=np.float64), num, rtol=1e-5, atol=1e-8, hint=hint)


#: temperatures of the hidden cases: flatter (> 1) and sharper (< 1) than the plain softmax
TEMPERATURES = [2.0, 0.5, 4.0, 0.6, 1.5]


def check_tempered_softmax_cross_entropy(tempered_softmax_cross_entropy):
    """Loss and gradient with respect to the scores (not the scaled scores) of softmax
    cross-entropy at temperature T, against the reference and numerical gradients; batches
    of one, C > N and N > C, temperatures above and below 1."""
    fn = _earlier_references(tempered_softmax_cross_entropy)
    for case, ((n, c), T) in enumerate(zip(CLASS_SHAPES + [(6, 3)], TEMPERATURES)):
        scores, y = _scores_case("tempered_softmax_cross_entropy", case, n, c)
        ref = losses.tempered_softmax_cross_entropy(scores, y, T)
        out = fn(*copies(scores, y), T)
        _check_loss_and_grad(
            f"on hidden scores of shape {(n, c)} at a hidden temperature", out, ref,
            lambda s: losses.tempered_softmax_cross_entropy(s, y, T)[0], scores,
            hint="differentiate with respect to the scores S themselves: the chain rule "
                 "through S / T adds a factor, and the probabilities are those at temperature T.")


#: smoothing strengths of the hidden cases
SMOOTHINGS = [0.1, 0.3, 0.05, 0.2, 0.5]


def check_smoothed_softmax_cross_entropy(smoothed_softmax_cross_entropy):
    """Loss and gradient of softmax cross-entropy against label-smoothed targets, against the
    reference and numerical gradients; batches of one, C > N and N > C, several strengths."""
    fn = _earlier_references(smoothed_softmax_cross_entropy)
    for case, ((n, c), eps) in enumerate(zip(CLASS_SHAPES + [(6, 3)], SMOOTHINGS)):
        scores, y = _scores_case("smoothed_softmax_cross_entropy", case, n, c)
        ref = losses.smoothed_softmax_cross_entropy(scores, y, eps)
        out = fn(*copies(scores, y), eps)
        _check_loss_and_grad(
            f"on hidden scores of shape {(n, c)} with a hidden smoothing", out, ref,
            lambda s: losses.smoothed_softmax_cross_entropy(s, y, eps)[0], scores,
            hint="the targets are (1 - eps) Y + eps / C for every class, and every class's "
                 "target enters both the loss and the gradient.")


BUGS += [
    Bug("tempered_missing_inverse_temperature", "tempered_softmax_cross_entropy",
        "dscores = (probs - one_hot(y, C)) / (N * temperature)",
        "dscores = (probs - one_hot(y, C)) / N",
        "The loss depends on S only through S / T, so the chain rule multiplies the gradient "
        "with respect to S / T by 1 / T."),
    Bug("tempered_times_temperature", "tempered_softmax_cross_entropy",
        "dscores = (probs - one_hot(y, C)) / (N * temperature)",
        "dscores = (probs - one_hot(y, C)) * temperature / N",
        "d(S / T)/dS is 1 / T, not T: divide by the temperature."),
    Bug("tempered_untempered_probs_in_gradient", "tempered_softmax_cross_entropy",
        "dscores = (probs - one_hot(y, C))", "dscores = (softmax(scores) - one_hot(y, C))",
        "The gradient uses the probabilities of the model, those at temperature T, "
        "softmax(S / T), not softmax(S)."),
    Bug("tempered_multiplies_scores", "tempered_softmax_cross_entropy",
        "probs = softmax(scores / temperature)", "probs = softmax(scores * temperature)",
        "The temperature divides the scores: softmax(S / T), so that T > 1 flattens the "
        "probabilities."),
    Bug("smoothed_gradient_with_hard_labels", "smoothed_softmax_cross_entropy",
        "dscores = (probs - targets) / N", "dscores = (probs - one_hot(y, C)) / N",
        "The loss uses the smoothed targets, so the gradient is the probabilities minus the "
        "smoothed targets, not minus the one-hot labels."),
    Bug("smoothed_missing_one_minus_eps", "smoothed_softmax_cross_entropy",
        "(1 - smoothing) * one_hot(y, C)", "one_hot(y, C)",
        "The true class keeps 1 - eps of the mass: without the factor (1 - eps) the targets "
        "sum to 1 + eps and are no longer a distribution."),
    Bug("smoothed_spread_over_other_classes", "smoothed_softmax_cross_entropy",
        "+ smoothing / C", "+ smoothing / (C - 1)",
        "The smoothing mass eps is spread uniformly over all C classes, the true one included: "
        "eps / C each."),
    Bug("smoothed_loss_with_hard_labels", "smoothed_softmax_cross_entropy",
        "loss = -np.sum(targets * ", "loss = -np.sum(one_hot(y, C) * ",
        "The loss is the cross-entropy against the smoothed targets: every class's log-"
        "probability counts with its target weight, not only the true class's."),
]

EXERCISES.append(
    Exercise("test_tempered_softmax_cross_entropy", points=5,
             check=check_tempered_softmax_cross_entropy,
             functions=("tempered_softmax_cross_entropy",),
             references=("course.losses.tempered_softmax_cross_entropy",)))
EXERCISES.append(
    Exercise("test_smoothed_softmax_cross_entropy", points=5,
             check=check_smoothed_softmax_cross_entropy,
             functions=("smoothed_softmax_cross_entropy",),
             references=("course.losses.smoothed_softmax_cross_entropy",)))
