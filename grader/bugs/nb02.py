"""Catalog of typical mistakes in notebook 02 (softmax regression).

Each bug edits the reference solution cell named by ``cell``; its grade cell must fail and
every other grade cell must keep passing (``tests/test_bug_catalog.py``).
"""
from grader.bugs import Bug

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
]
