"""Typical student bugs for notebook 06 (the MNIST capstone).

Each bug edits one solution cell of ``solutions/06_mnist``; the grade cell of that exercise must
fail and every other grade cell must still pass. The ``build_and_train`` bugs are caught by the
accuracy threshold, so each of them costs one (shortened, thanks to early stopping) training
run when the catalog is checked.
"""
from grader.bugs import Bug

# Naming the mistake would mean retraining the capstone once per bug in every grading worker.
NO_DIAGNOSIS = {"test_build_and_train"}

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
        "The least significant bit came first: column 0 must hold the bit worth 8."),
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
]
