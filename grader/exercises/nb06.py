"""Hidden tests for notebook 06 (the MNIST capstone).

One ``check_<exercise id>`` per graded exercise. The small exercises (average darkness, the
four-bit code, the worst-mistakes selector) are compared with the references below (the
error-analysis exercises with ``course.train``) on inputs
drawn from ``rng_for(<exercise id>, case)``: several sizes including a batch of one, values
placed so that the usual mistakes (argmax for argmin, the wrong bit order, sums for means,
positions in a subset for positions in the data) give a different answer. The capstone
network is checked through its predictions on the MNIST test set, never retrained here.

Checks run in the grader's process; the student's functions reach them as proxies
(``grader.trusted``) that call into the kernel.
Messages name shapes but never print the hidden inputs. A failure message says what is wrong
(which array, shape, value, the formula); naming the mistake is the job of the catalog
(``BUGS``), whose diagnosis the feedback adds when the student's answers match a catalogued bug's.
"""
from __future__ import annotations

import numpy as np

from course import data, train
from course.checks import as_plain_array, check_shape, check_true
from grader.exercises.common import check_array, copies, rng_for
from grader.registry import Bug, Exercise

#: the accuracy the capstone network must reach on the MNIST test set: the tuned SVM's 98.5%
CAPSTONE_THRESHOLD = 0.985
#: images of the small run that checks what build_and_train trains on (train, validation, eval)
LEAK_RUN_SIZE = 2000
#: bit weights of the four-bit code, most significant bit first
BIT_WEIGHTS = np.array([8, 4, 2, 1])


# ----------------------------------------------------------------------------- references
def darkness_fit(X, y, num_classes=10):
    """Reference: mean darkness (mean pixel value) of the images of each class, shape (C,)."""
    darkness = np.asarray(X, dtype=np.float64).mean(axis=1)
    return np.array([darkness[y == c].mean() for c in range(num_classes)])


def darkness_predict(X, means):
    """Reference: the class whose mean darkness is closest to each image's darkness, (N,)."""
    darkness = np.asarray(X, dtype=np.float64).mean(axis=1)
    return np.argmin(np.abs(darkness[:, None] - np.asarray(means)[None, :]), axis=1)


def four_bit_encode(y):
    """Reference: the four binary digits of each label, most significant first, (N, 4)."""
    return ((np.asarray(y)[:, None] // BIT_WEIGHTS[None, :]) % 2).astype(np.float64)


def four_bit_decode(outputs):
    """Reference: read each output row as four bits (> 0.5 is a one), return the integers."""
    return (np.asarray(outputs) > 0.5).astype(np.int64) @ BIT_WEIGHTS


def worst_mistakes(probs, y, k):
    """Reference: indices of the k misclassified rows with the lowest probability of the truth."""
    probs = np.asarray(probs)
    wrong = np.flatnonzero(probs.argmax(axis=1) != y)
    p_true = probs[wrong, y[wrong]]
    return wrong[np.argsort(p_true, kind="stable")][:k]


# ----------------------------------------------------------------------------- helpers
def _unchanged(name, before, after):
    check_true(bool(np.array_equal(before, after)),
               f"your function modified its input {name} in place; work on new arrays instead.")


def _images(rng, n, d):
    """Images whose darkness varies a lot from row to row (values in [0, 1])."""
    level = rng.uniform(0.05, 0.9, size=(n, 1))
    return np.clip(level + rng.normal(0.0, 0.1, size=(n, d)), 0.0, 1.0)


def _labels_all_classes(rng, n, c):
    """n labels in 0..c-1 in which every class occurs (n >= c), in random order."""
    y = np.concatenate([np.arange(c), rng.integers(0, c, size=n - c)])
    return rng.permutation(y)


def _integer_labels(name, value, n):
    """The student's labels as an int array of shape (n,), or a clear failure."""
    arr = as_plain_array(name, value)
    check_shape(name, arr, (n,))
    check_true(bool(np.all(arr == np.round(arr))),
               f"{name} must hold whole class numbers, got fractional values: return the index "
               "of the class (an integer), not a darkness or probability value.")
    return arr.astype(np.int64)


# ----------------------------------------------------------------------------- checks
def check_darkness_fit(darkness_fit_fn):
    """darkness_fit(X, y, num_classes) -> (C,) mean darkness per class, on hidden images."""
    for case, (n, d, c) in enumerate([(12, 5, 3), (40, 16, 10), (7, 1, 7), (30, 9, 4)]):
        rng = rng_for("darkness_fit", case)
        X = _images(rng, n, d)
        y = _labels_all_classes(rng, n, c)
        args = copies(X, y)
        means = darkness_fit_fn(args[0], args[1], c)
        expected = darkness_fit(X, y, c)
        where = f"on hidden images X of shape {(n, d)} with {c} classes"
        check_array(f"means {where}", means, expected, rtol=1e-6, atol=1e-9,
                    hint="darkness = mean pixel value of an image; average it over the images of "
                         "class c.")
        _unchanged("X", X, args[0])
        _unchanged("y", y, args[1])


def check_darkness_predict(darkness_predict_fn):
    """darkness_predict(X, means) -> (N,) nearest class mean, with unsorted hidden means."""
    for case, (n, d, c) in enumerate([(1, 4, 3), (25, 6, 10), (9, 1, 5), (16, 12, 2)]):
        rng = rng_for("darkness_predict", case)
        X = _images(rng, n, d)
        means = rng.permutation(np.linspace(0.1, 0.85, c) + rng.uniform(-0.02, 0.02, size=c))
        args = copies(X, means)
        pred = darkness_predict_fn(*args)
        expected = darkness_predict(X, means)
        where = f"on hidden images X of shape {(n, d)} with {c} class means"
        arr = _integer_labels(f"y_pred {where}", pred, n)
        check_array(f"y_pred {where}", arr, expected, rtol=0, atol=0,
                    hint="predict the class c that minimizes |darkness(x) - means[c]|.")
        _unchanged("X", X, args[0])


def check_four_bit_encode(four_bit_encode_fn):
    """four_bit_encode(y) -> (N, 4) bits, most significant first, for every label 0..9."""
    cases = [np.arange(10), np.array([9]), rng_for("four_bit_encode", 0).integers(0, 10, size=23)]
    for y in cases:
        args = copies(y)
        bits = four_bit_encode_fn(*args)
        expected = four_bit_encode(y)
        where = f"for hidden labels of shape {y.shape}"
        check_array(f"bits {where}", bits, expected, rtol=0, atol=0, any_float=True,
                    hint="bit k of label y is (y // 2**(3 - k)) % 2, the most significant bit first.")
        _unchanged("y", y, args[0])


def check_four_bit_decode(four_bit_decode_fn):
    """four_bit_decode(outputs) -> (N,) integers, a bit is one where the output exceeds 0.5."""
    for case, n in enumerate([1, 10, 37]):
        rng = rng_for("four_bit_decode", case)
        bits = rng.integers(0, 2, size=(n, 4))
        if case == 1:  # every label 0..9 once, plus rows that are no digit at all
            bits = four_bit_encode(np.arange(10)).astype(np.int64)
            bits[8:] = [[1, 1, 0, 0], [1, 1, 1, 1]]
        # sigmoid-like outputs: near the bit but never exactly 0, 0.5 or 1
        outputs = np.where(bits == 1, rng.uniform(0.52, 0.99, size=(n, 4)),
                           rng.uniform(0.01, 0.48, size=(n, 4)))
        args = copies(outputs)
        pred = four_bit_decode_fn(*args)
        expected = four_bit_decode(outputs)
        where = f"for hidden outputs of shape {(n, 4)}"
        arr = _integer_labels(f"y_pred {where}", pred, n)
        check_array(f"y_pred {where}", arr, expected, rtol=0, atol=0,
                    hint="threshold each output at 0.5, then y = 8*b0 + 4*b1 + 2*b2 + b3.")
        _unchanged("outputs", outputs, args[0])
    # ties: an output of exactly 0.5 does not exceed 0.5, so its bit is 0
    outputs = np.array([[0.5, 0.5, 0.5, 0.5], [1.0, 0.5, 0.0, 0.5000001], [0.0, 1.0, 0.5, 1.0]])
    check_array("y_pred for outputs of exactly 0.5 (a bit is 1 only above 0.5)",
                _integer_labels("y_pred", four_bit_decode_fn(outputs.copy()), 3),
                four_bit_decode(outputs), rtol=0, atol=0)


def _probs(rng, n, c):
    """Rows of class probabilities with a clear winner most of the time."""
    logits = rng.normal(0.0, 2.0, size=(n, c))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_worst_mistakes(worst_mistakes_fn):
    """worst_mistakes(probs, y, k) -> indices into the data, worst first, mistakes only."""
    for case, (n, c, k) in enumerate([(30, 5, 4), (50, 10, 7), (12, 3, 20), (1, 4, 1), (25, 10, 1)]):
        rng = rng_for("worst_mistakes", case)
        probs = _probs(rng, n, c)
        y = probs.argmax(axis=1)
        flip = rng.random(n) < 0.5  # about half of the rows are mistakes
        y = np.where(flip, (y + rng.integers(1, c, size=n)) % c, y)
        if case == 3:
            y = (probs.argmax(axis=1) + 1) % c  # the single row is a mistake
        args = copies(probs, y)
        out = worst_mistakes_fn(args[0], args[1], k)
        expected = worst_mistakes(probs, y, k)
        where = f"on hidden probabilities of shape {(n, c)} with k={k}"
        arr = as_plain_array(f"indices {where}", out)
        check_array(f"indices {where}", arr, expected, rtol=0, atol=0,
                    hint="keep the rows whose argmax differs from y, sort them by probs[i, y[i]] "
                         "ascending, return the first k of their row indices.")
        _unchanged("probs", probs, args[0])
        _unchanged("y", y, args[1])
    # no mistakes at all: an empty result, not an error
    probs = _probs(rng_for("worst_mistakes", 9), 6, 4)
    out = worst_mistakes_fn(probs.copy(), probs.argmax(axis=1), 3)
    check_shape("indices when every prediction is right", out, (0,))


def _confusion(rng, c, scale):
    """A c x c confusion matrix with a strong diagonal and small, often tied, off-diagonal counts."""
    cm = rng.integers(0, scale, size=(c, c))
    cm[rng.random((c, c)) < 0.3] = 0
    np.fill_diagonal(cm, rng.integers(20, 60, size=c))
    return cm.astype(np.int64)


def check_most_confused_pairs(most_confused_pairs_fn):
    """most_confused_pairs(cm, k) -> (m, 3) rows (i, j, count), largest first, ties row-major."""
    for case, (c, scale, k) in enumerate([(3, 4, 2), (10, 6, 5), (4, 3, 20), (2, 5, 1), (7, 2, 6), (1, 3, 2)]):
        rng = rng_for("most_confused_pairs", case)
        cm = _confusion(rng, c, scale)
        arg = cm.copy()
        out = most_confused_pairs_fn(arg, k)
        expected = train.most_confused_pairs(cm, k)
        where = f"on a hidden {c}x{c} confusion matrix with k={k}"
        arr = as_plain_array(f"pairs {where}", out)
        check_shape(f"pairs {where}", arr, expected.shape)
        check_array(f"pairs {where}", arr.astype(np.int64), expected, rtol=0, atol=0,
                    hint="rows (true class, predicted class, count) of the nonzero off-diagonal entries, the "
                         "largest count first, equal counts in row-major order.")
        _unchanged("cm", cm, arg)
    out = most_confused_pairs_fn(np.diag([3, 1, 4]), 3)
    check_shape("pairs of a confusion matrix without confusions", as_plain_array("pairs", out), (0, 3))


def check_precision_recall(precision_recall_fn):
    """precision_recall(cm) -> per-class precision (columns) and recall (rows), 0 for empty classes."""
    for case, c in enumerate([3, 10, 2, 1, 6]):
        rng = rng_for("precision_recall", case)
        cm = _confusion(rng, c, 8)
        if c >= 3:
            cm[:, c - 1] = 0            # a class that is never predicted
            cm[0, :] = 0                # a class without examples
        arg = cm.copy()
        result = precision_recall_fn(arg)
        check_true(isinstance(result, tuple) and len(result) == 2,
                   "precision_recall must return a tuple (precision, recall).")
        want_p, want_r = train.precision_recall(cm)
        where = f"on a hidden {c}x{c} confusion matrix"
        check_array(f"precision {where}", as_plain_array("precision", result[0]), want_p, rtol=1e-12, atol=0,
                    hint="precision of c: cm[c, c] over the number of examples predicted as c; 0 when none is.")
        check_array(f"recall {where}", as_plain_array("recall", result[1]), want_r, rtol=1e-12, atol=0,
                    hint="recall of c: cm[c, c] over the number of examples of class c; 0 when there are none.")
        _unchanged("cm", cm, arg)


def _capstone_runner(predict, build_and_train):
    """Plain functions for the kernel boundary: the notebook's trained model's ``predict``, and
    ``train_and_predict(X_train, y_train, X_val, y_val, seed, X_eval) -> scores`` of a model that
    the student's ``build_and_train`` trains on the data it is handed."""
    def train_and_predict(X_train, y_train, X_val, y_val, seed, X_eval):
        model = build_and_train(X_train, y_train, X_val, y_val, np.random.default_rng(seed))
        return model.predict(X_eval)
    return predict, train_and_predict


def check_build_and_train(predict, train_and_predict):
    """The trained capstone model reaches 98.5% test accuracy on MNIST, and build_and_train
    learns from its training set only.

    The second part trains once more, on 2,000 training images, with 2,000 validation images
    whose labels are shifted by a hidden k (digit d labelled (d + k) mod 10). A model that only
    monitors the validation set predicts the true digits of unseen test images; one that trains
    on the validation set predicts the shifted ones.

    Parameters
    ----------
    predict : callable
        The notebook's trained model's ``predict(X) -> scores (N, 10)``.
    train_and_predict : callable
        ``build_and_train`` on the data given, then ``predict`` on ``X_eval`` (``_capstone_runner``).
    """
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = data.load_mnist()
    scores = predict(X_test.copy())
    arr = as_plain_array("scores on the test images", scores)
    check_shape("scores on the test images", arr, (X_test.shape[0], 10))
    check_true(bool(np.all(np.isfinite(arr))),
               "the model's scores on the test images contain NaN or infinite values: "
               "did the training diverge (learning rate too large)?")
    acc = train.accuracy(arr, y_test)
    check_true(acc >= CAPSTONE_THRESHOLD,
               f"test accuracy {100 * acc:.2f}% is below the required {100 * CAPSTONE_THRESHOLD:.1f}%. "
               "Compare your validation curve with the reference's: more epochs, Adam with a "
               "decaying learning rate, augmentation and dropout usually close the gap.")
    rng = rng_for("build_and_train")
    n = LEAK_RUN_SIZE
    tr, va, ev = (rng.choice(len(y), n, replace=False) for y in (y_train, y_val, y_test))
    shift = int(rng.integers(1, 10))
    small = train_and_predict(X_train[tr], y_train[tr], X_val[va], (y_val[va] + shift) % 10,
                              int(rng.integers(2**31)), X_test[ev])
    small = as_plain_array("scores of the model trained on 2,000 hidden training images", small)
    check_shape("scores of the model trained on 2,000 hidden training images", small, (n, 10))
    true_acc = train.accuracy(small, y_test[ev])
    shifted_acc = train.accuracy(small, (y_test[ev] + shift) % 10)
    check_true(shifted_acc < 0.2 and true_acc > 0.5,
               "build_and_train must learn from X_train and y_train only and use the validation set "
               "for monitoring and early stopping: trained on 2,000 hidden training images, with "
               "validation labels that differ from the true digits, your model predicted the "
               f"validation labelling on {100 * shifted_acc:.0f}% of unseen test images and the true "
               f"digit on {100 * true_acc:.0f}%.")


# ---------------------------------------------------------------- catalogued bugs
BUGS = [
    # ------------------------------------------------------------------ darkness_fit
    Bug("darkness_fit_sum_not_mean", "darkness_fit",
        "darkness = X.mean(axis=1)", "darkness = X.sum(axis=1)",
        "The darkness of an image is its mean pixel value; the sum is D times larger and no "
        "longer comparable between images of different sizes."),
    Bug("darkness_fit_wrong_axis", "darkness_fit",
        "darkness = X.mean(axis=1)", "darkness = X.mean(axis=0)",
        "axis=0 averages over the images and gives one value per pixel; the darkness of each "
        "image is the mean over its pixels, axis=1."),
    Bug("darkness_fit_class_sum", "darkness_fit",
        "means[c] = darkness[y == c].mean()", "means[c] = darkness[y == c].sum()",
        "Summing the darkness of a class's images makes frequent classes look darker; divide by "
        "the number of images of the class (take the mean)."),
    Bug("darkness_fit_last_class_missing", "darkness_fit",
        "for c in range(num_classes):", "for c in range(num_classes - 1):",
        "range(num_classes) already stops at num_classes - 1; with range(num_classes - 1) the "
        "last class keeps a mean of 0."),
    # ------------------------------------------------------------------ darkness_predict
    Bug("darkness_predict_argmax", "darkness_predict",
        "return np.argmin(distance, axis=1)", "return np.argmax(distance, axis=1)",
        "The prediction is the class with the *closest* mean darkness: argmin, not argmax."),
    Bug("darkness_predict_no_abs", "darkness_predict",
        "distance = np.abs(darkness[:, None] - means[None, :])",
        "distance = darkness[:, None] - means[None, :]",
        "Without the absolute value the most negative difference wins, i.e. always the class "
        "with the largest mean; use |darkness - mean|."),
    Bug("darkness_predict_sum", "darkness_predict",
        "darkness = X.mean(axis=1)", "darkness = X.sum(axis=1)",
        "Use the same darkness as in darkness_fit, the mean pixel value; the sum is D times "
        "larger than every class mean."),
    Bug("darkness_predict_wrong_argmin_axis", "darkness_predict",
        "return np.argmin(distance, axis=1)", "return np.argmin(distance, axis=0)",
        "distance has one row per image and one column per class: take the argmin over the "
        "classes (axis=1), which gives one prediction per image."),
    # ------------------------------------------------------------------ four_bit_encode
    Bug("encode_reversed_bits", "four_bit_encode",
        "weights = np.array([8, 4, 2, 1])", "weights = np.array([1, 2, 4, 8])",
        "The least significant bit came first: column 0 must hold the bit worth 8 and column 3 "
        "the bit worth 1, so 6 -> [0, 1, 1, 0] and 1 -> [0, 0, 0, 1]."),
    Bug("encode_no_modulo", "four_bit_encode",
        "((y[:, None] // weights[None, :]) % 2)", "((y[:, None] // weights[None, :]))",
        "y // 2**(3-k) still contains the higher bits (9 // 1 = 9); take it modulo 2 to keep "
        "only bit k."),
    Bug("encode_transposed", "four_bit_encode",
        "return ((y[:, None] // weights[None, :]) % 2).astype(np.float64)",
        "return ((y[None, :] // weights[:, None]) % 2).astype(np.float64)",
        "One row per label: the code has shape (N, 4), not (4, N)."),
    Bug("encode_mask_without_shift", "four_bit_encode",
        "((y[:, None] // weights[None, :]) % 2)", "((y[:, None] & weights[None, :]))",
        "y & 8 is 8 (not 1) when the bit is set: divide by the bit's weight, or shift, to get "
        "0 or 1."),
    # ------------------------------------------------------------------ four_bit_decode
    Bug("decode_reversed_weights", "four_bit_decode",
        "return bits @ np.array([8, 4, 2, 1])", "return bits @ np.array([1, 2, 4, 8])",
        "Column 0 is the most significant bit, worth 8; you read the bits from the wrong end."),
    Bug("decode_count_ones", "four_bit_decode",
        "return bits @ np.array([8, 4, 2, 1])", "return bits.sum(axis=1)",
        "Counting the ones forgets that each bit has its own weight: 8, 4, 2, 1."),
    Bug("decode_threshold_zero", "four_bit_decode",
        "bits = (outputs > 0.5).astype(np.int64)", "bits = (outputs > 0).astype(np.int64)",
        "Sigmoid outputs lie in (0, 1), so every output is above 0: threshold at 0.5."),
    Bug("decode_argmax", "four_bit_decode",
        "bits = (outputs > 0.5).astype(np.int64)\n    return bits @ np.array([8, 4, 2, 1])",
        "return np.argmax(outputs, axis=1)",
        "The four outputs are the bits of one number, not scores of four classes: threshold "
        "each and combine them with the weights 8, 4, 2, 1."),
    # ------------------------------------------------------------------ worst_mistakes
    Bug("worst_not_only_mistakes", "worst_mistakes",
        "wrong = np.flatnonzero(probs.argmax(axis=1) != y)", "wrong = np.arange(len(y))",
        "A correctly classified image can also give its true class a low probability; keep only "
        "the rows whose argmax differs from y."),
    Bug("worst_reversed_order", "worst_mistakes",
        "order = np.argsort(p_true, kind=\"stable\")", "order = np.argsort(p_true, kind=\"stable\")[::-1]",
        "The worst mistake gives the lowest probability to the true class: sort ascending."),
    Bug("worst_positions_in_subset", "worst_mistakes",
        "return wrong[order][:k]", "return order[:k]",
        "order indexes the list of mistakes, not the data set: map it back with wrong[order]."),
    Bug("worst_rank_by_confidence", "worst_mistakes",
        "p_true = probs[wrong, y[wrong]]", "p_true = -probs[wrong].max(axis=1)",
        "Rank by the probability of the true class (lowest first), not by the confidence of "
        "the wrong prediction."),
    # ------------------------------------------------------------------ most_confused_pairs
    Bug("pairs_include_diagonal", "most_confused_pairs",
        "    np.fill_diagonal(off, 0)\n", "",
        "The diagonal counts the correct predictions, not confusions: set it to 0 (on a copy) before ranking."),
    Bug("pairs_ties_reversed", "most_confused_pairs",
        'order = np.argsort(-counts, kind="stable")', 'order = np.argsort(counts, kind="stable")[::-1]',
        "Reversing an ascending sort reverses the ties too: sort the negated counts with a stable sort to "
        "keep equal counts in row-major order."),
    Bug("pairs_zero_counts", "most_confused_pairs",
        "order = order[counts[order] > 0][:k]", "order = order[:k]",
        "Pairs that never occur (count 0) are not confusions: keep only counts larger than 0."),
    Bug("pairs_true_predicted_swapped", "most_confused_pairs",
        "np.stack([rows, cols, counts[order]], axis=1)", "np.stack([cols, rows, counts[order]], axis=1)",
        "Rows of cm are the true class and columns the prediction: each pair is (row, column, count)."),
    Bug("pairs_modify_input", "most_confused_pairs",
        "off = np.array(cm, dtype=np.int64)", "off = np.asarray(cm)",
        "np.fill_diagonal changed the caller's confusion matrix: work on a copy (np.array(cm))."),
    # ------------------------------------------------------------------ precision_recall
    Bug("precision_uses_rows", "precision_recall",
        "predicted = cm.sum(axis=0)", "predicted = cm.sum(axis=1)",
        "The images predicted as c are column c of cm (a sum over axis 0); row c holds the images of class c."),
    Bug("recall_uses_columns", "precision_recall",
        "actual = cm.sum(axis=1)", "actual = cm.sum(axis=0)",
        "The images of class c are row c of cm (a sum over axis 1); column c holds the predictions c."),
    Bug("precision_nan_for_unpredicted_class", "precision_recall",
        "precision = np.divide(correct, predicted, out=np.zeros_like(correct), where=predicted > 0)",
        "precision = correct / predicted",
        "A class that is never predicted divides 0 by 0 (nan): give it precision 0."),
    Bug("recall_over_all_images", "precision_recall",
        "recall = np.divide(correct, actual, out=np.zeros_like(correct), where=actual > 0)",
        "recall = correct / cm.sum()",
        "Recall divides by the number of images of class c (row c), not by all images."),
    # ------------------------------------------------------------------ build_and_train
    Bug("capstone_zero_init", "build_and_train",
        'init="he"', 'init="zeros"',
        "With all weights zero every hidden unit computes the same thing and receives the same "
        "gradient (and a ReLU of 0 passes no gradient at all): symmetry never breaks. Use He "
        "initialization for ReLU layers."),
    Bug("capstone_sgd_learning_rate_in_adam", "build_and_train",
        "lr0 = 2e-3", "lr0 = 3.0",
        "eta = 3.0 suits plain SGD on the lecture's sigmoid network, not Adam, whose step is "
        "about the learning rate itself for every weight: use something near 1e-3."),
    Bug("capstone_images_shuffled_without_labels", "build_and_train",
        "model.history = train(model, X_train, y_train,",
        "model.history = train(model, X_train[rng.permutation(len(X_train))], y_train,",
        "The images were shuffled but the labels were not, so every image now carries a random "
        "label; shuffle X and y with the same permutation (train() shuffles for you)."),
    # ---- written from the student notebooks and docstrings alone by an outside tester
    # (issue 14); the comment above each names the input on which it differs
    # witness: y=[1] -> ref [0,0,0,1], bug [1,0,0,0]
    Bug("encode_lsb_first", "four_bit_encode",
        "np.array([8, 4, 2, 1])", "np.array([1, 2, 4, 8])",
        "Encodes the least significant bit first instead of the most significant."),
    # witness: y=[5] -> ref float64 [0,1,0,1], bug int64
    Bug("encode_int_dtype", "four_bit_encode",
        "((y[:, None] // weights[None, :]) % 2).astype(np.float64)", "(y[:, None] // weights[None, :]) % 2",
        "Returns the bits as integers instead of floats."),
    # witness: outputs=[[0.5,0.5,0.5,0.5]] -> ref 0, bug 15
    Bug("decode_threshold_ge", "four_bit_decode",
        "(outputs > 0.5)", "(outputs >= 0.5)",
        "Treats an output of exactly 0.5 as bit 1, while the rule is outputs > 0.5."),
    # witness: two mistakes with p_true 0.2 and 0.05 -> ref [1, 0], bug [0, 1]
    Bug("worst_descending", "worst_mistakes",
        "np.argsort(p_true, kind=\"stable\")", "np.argsort(-p_true, kind=\"stable\")",
        "Sorts the mistakes by decreasing true-class probability, returning the mildest first."),
    # witness: probs=[[.5,.3,.2],[.9,.05,.05]], y=[2,1] -> ref [1,0], bug [0,1]
    Bug("worst_by_confidence", "worst_mistakes",
        "p_true = probs[wrong, y[wrong]]", "p_true = probs[wrong].max(axis=1)",
        "Ranks mistakes by the predicted class's probability instead of the true class's probability."),
    # witness (stubbed train): the training set passed to train() contains the validation examples
    Bug("capstone_trains_on_val", "build_and_train",
        "train(model, X_train, y_train, X_val, y_val,",
        "train(model, np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val]), X_val, y_val,",
        "Trains on the union of training and validation data, although validation must never be used for training."),
]


# ---------------------------------------------------------------- the registry
EXERCISES = [
    Exercise("test_darkness_fit", points=5, check=check_darkness_fit,
             functions=('darkness_fit',)),
    Exercise("test_darkness_predict", points=5, check=check_darkness_predict,
             functions=('darkness_predict',)),
    Exercise("test_four_bit_encode", points=5, check=check_four_bit_encode,
             functions=('four_bit_encode',)),
    Exercise("test_four_bit_decode", points=5, check=check_four_bit_decode,
             functions=('four_bit_decode',)),
    Exercise("test_build_and_train", points=20, check=check_build_and_train, diagnosable=False,
             functions=('capstone_model.predict', 'build_and_train'), adapter=_capstone_runner,
             budget=10.0),
    Exercise("test_most_confused_pairs", points=5, check=check_most_confused_pairs,
             functions=('most_confused_pairs',),
             references=('course.train.most_confused_pairs',)),
    Exercise("test_precision_recall", points=5, check=check_precision_recall,
             functions=('precision_recall',),
             references=('course.train.precision_recall',)),
    Exercise("test_worst_mistakes", points=10, check=check_worst_mistakes,
             functions=('worst_mistakes',)),
]

