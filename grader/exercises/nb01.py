"""Hidden tests for notebook 01 (linear regression and gradient descent).

One ``check_<exercise id>`` per graded exercise. Each compares the student's function with
the reference in ``course/`` on inputs drawn from ``rng_for(<exercise id>, case)``; the
messages name shapes but never print the hidden inputs. Checks run in the grader's process;
the student's functions reach them as proxies (``grader.trusted``) that call into the kernel.
"""
from __future__ import annotations

import numpy as np

from course import linear, losses, regularization, train
from course.checks import as_plain_array, check_scalar, check_shape, check_true
from course.gradcheck import numerical_gradient, relative_error
from grader.exercises.common import check_array, copies, rng_for, with_reference_globals
from grader.registry import Bug, Exercise

# (N, D, M): batch size 1, non-square W (D != M) both ways, a single output, a square case.
LINEAR_SHAPES = [(1, 1, 1), (1, 4, 3), (6, 3, 2), (5, 2, 4), (9, 5, 1), (4, 3, 3)]


def _loss_value(pred, target):
    """The reference cost as a plain float (the notebook's ``mse_loss`` returns only this)."""
    return losses.mse_loss(pred, target)[0]


def _linear_case(exercise, case, N, D, M):
    """Inputs with mixed signs and scales, so that scale and sign errors show."""
    rng = rng_for(exercise, case)
    X = rng.normal(0.0, 2.0, size=(N, D)) + rng.choice([-3.0, 3.0], size=(1, D))
    W = rng.normal(0.0, 1.5, size=(D, M))
    b = rng.uniform(0.5, 2.0, size=M) * rng.choice([-1.0, 1.0], size=M)
    y = rng.normal(0.0, 3.0, size=(N, M))
    return X, W, b, y


def _unchanged(name, before, after):
    check_true(bool(np.array_equal(before, after)),
               f"{name} was modified in place by your function; work on new arrays instead.")


def check_predict(predict):
    """predict(X, W, b) against ``course.linear.predict`` on hidden inputs."""
    for case, (N, D, M) in enumerate(LINEAR_SHAPES):
        X, W, b, _ = _linear_case("predict", case, N, D, M)
        expected = linear.predict(X, W, b)
        y_hat = predict(*copies(X, W, b))
        check_array(f"y_hat on a hidden input X of shape {(N, D)}, W {(D, M)}", y_hat, expected,
                    rtol=1e-9, atol=1e-9,
                    hint="y_hat = X @ W + b, with b added to every row (one bias per output).")


def check_mse_loss(mse_loss):
    """mse_loss(y_hat, y) against the reference cost sum((y_hat - y)**2) / (2N)."""
    for case, (N, M) in enumerate([(1, 1), (7, 1), (5, 3), (1, 4), (12, 2)]):
        rng = rng_for("mse_loss", case)
        y_hat = rng.normal(0.0, 2.0, size=(N, M))
        y = rng.normal(1.0, 2.0, size=(N, M))
        expected = _loss_value(y_hat, y)
        loss = mse_loss(*copies(y_hat, y))
        check_scalar(f"loss on hidden targets of shape {(N, M)}", loss, expected,
                     rtol=1e-9, atol=1e-12,
                     hint="sum the squared errors over all entries, then divide by 2N where N "
                          "is the number of rows (examples), not the number of entries.")
        check_true(np.ndim(loss) == 0, f"mse_loss must return one number (a float), not an "
                                       f"array of shape {np.shape(loss)}.")
    check_scalar("loss when y_hat == y", mse_loss(np.ones((3, 2)), np.ones((3, 2))), 0.0,
                 atol=1e-12)


def check_mse_gradients(mse_gradients):
    """mse_gradients against the reference and against numerical gradients (float64)."""
    fn = with_reference_globals(mse_gradients, predict=linear.predict, mse_loss=_loss_value)
    for case, (N, D, M) in enumerate(LINEAR_SHAPES):
        X, W, b, y = _linear_case("mse_gradients", case, N, D, M)
        out = fn(*copies(X, y, W, b))
        check_true(isinstance(out, tuple) and len(out) == 2,
                   "mse_gradients must return the tuple (dW, db).")
        dW, db = out
        ref_dW, ref_db = linear.mse_gradients(X, y, W, b)
        where = f"on a hidden input with N={N}, D={D}, M={M}"
        check_shape(f"dW {where}", dW, W.shape)
        check_shape(f"db {where}", db, b.shape)
        check_array(f"dW {where}", dW, ref_dW, rtol=1e-7, atol=1e-9,
                    hint="dW = X.T @ (y_hat - y) / N: mind the sign of the error and the 1/N.")
        check_array(f"db {where}", db, ref_db, rtol=1e-7, atol=1e-9,
                    hint="db = sum over the rows of (y_hat - y), divided by N.")
        # Independent oracle: centered differences of the cost in float64.
        num_dW = numerical_gradient(lambda W_: _loss_value(linear.predict(X, W_, b), y), W.copy())
        num_db = numerical_gradient(lambda b_: _loss_value(linear.predict(X, W, b_), y), b.copy())
        for name, grad, num in (("dW", dW, num_dW), ("db", db, num_db)):
            err = relative_error(as_plain_array(name, grad).astype(np.float64), num)
            check_true(err < 1e-6, f"{name} {where} disagrees with the numerical gradient "
                                   f"(relative error {err:.2e}, allowed 1e-6).")


def check_gradient_descent_step(gradient_descent_step):
    """One update W - eta dW, b - eta db, returned as new arrays."""
    for case, ((_, D, M), lr) in enumerate(zip(LINEAR_SHAPES, [0.1, 0.5, 1e-3, 2.0, 0.05, 1.0])):
        rng = rng_for("gradient_descent_step", case)
        W, dW = rng.normal(size=(D, M)), rng.normal(size=(D, M))
        b, db = rng.normal(size=M), rng.normal(size=M)
        args = copies(W, b, dW, db)
        out = gradient_descent_step(*args, lr)
        check_true(isinstance(out, tuple) and len(out) == 2,
                   "gradient_descent_step must return the tuple (W, b).")
        ref_W, ref_b = linear.gradient_descent_step(W, b, dW, db, lr)
        where = f"for W of shape {(D, M)} and a hidden learning rate"
        check_array(f"new W {where}", out[0], ref_W, rtol=1e-10, atol=1e-12,
                    hint="step against the gradient: W - learning_rate * dW.")
        check_array(f"new b {where}", out[1], ref_b, rtol=1e-10, atol=1e-12,
                    hint="the bias takes a step too: b - learning_rate * db.")
        for name, before, after in zip(("W", "b", "dW", "db"), (W, b, dW, db), args):
            _unchanged(name, before, after)
    rng = rng_for("gradient_descent_step", 99)   # float32 parameters stay float32
    W, b, dW, db = (rng.normal(size=s).astype(np.float32) for s in [(3, 2), 2, (3, 2), 2])
    ref_W, ref_b = linear.gradient_descent_step(W, b, dW, db, 0.1)
    out = gradient_descent_step(*copies(W, b, dW, db), 0.1)
    check_array("new W for float32 parameters", out[0], ref_W, rtol=1e-6, atol=1e-7)
    check_array("new b for float32 parameters", out[1], ref_b, rtol=1e-6, atol=1e-7)


def _id_data(N, D, M):
    """Rows that carry their index: X[i, 0] = i and y[i, 0] = 1000 + i."""
    X = np.tile(np.arange(N, dtype=np.float64)[:, None], (1, D)) + 0.25 * np.arange(D)
    y = 1000.0 + np.tile(np.arange(N, dtype=np.float64)[:, None], (1, M)) - np.arange(M)
    return X, y


def _epoch(iterate_minibatches, X, y, batch_size, rng, **kwargs):
    """Run one epoch; return the list of index arrays, after checking shapes and pairing."""
    Xc, yc = copies(X, y)
    order, sizes = [], []
    for item in iterate_minibatches(Xc, yc, batch_size, rng, **kwargs):
        check_true(isinstance(item, tuple) and len(item) == 2,
                   "each mini-batch must be a tuple (X_batch, y_batch).")
        Xb = as_plain_array("X_batch", item[0])
        yb = as_plain_array("y_batch", item[1])
        check_true(Xb.ndim == 2 and Xb.shape[1] == X.shape[1] and yb.ndim == 2
                   and yb.shape[1] == y.shape[1] and Xb.shape[0] == yb.shape[0],
                   f"a mini-batch has shapes {Xb.shape} and {yb.shape}: expected (B, "
                   f"{X.shape[1]}) and (B, {y.shape[1]}) with the same B.")
        ids = Xb[:, 0].astype(int)
        check_true(bool(np.all((ids >= 0) & (ids < X.shape[0]))
                        and np.array_equal(Xb, X[ids])),
                   "X_batch contains rows that are not rows of X: select whole rows, X[indices].")
        check_true(bool(np.array_equal(yb, y[ids])),
                   "y_batch does not belong to X_batch row by row: index X and y with the "
                   "same indices so every example keeps its target.")
        order.append(ids)
        sizes.append(len(ids))
    _unchanged("X", X, Xc)
    _unchanged("y", y, yc)
    N = X.shape[0]
    n_batches = -(-N // batch_size)
    expected_sizes = [batch_size] * (n_batches - 1) + [N - batch_size * (n_batches - 1)]
    check_true(sizes == expected_sizes,
               f"with N={N} examples and batch_size={batch_size} the batch sizes should be "
               f"{expected_sizes}, got {sizes}: one pass covers every example once and the "
               "last, smaller batch is included.")
    flat = np.concatenate(order) if order else np.array([], dtype=int)
    check_true(bool(np.array_equal(np.sort(flat), np.arange(N))),
               f"one epoch over N={N} examples must contain every example exactly once.")
    return flat


def check_iterate_minibatches(iterate_minibatches):
    """Coverage, batch sizes, pairing of X and y, and shuffling driven by rng."""
    for case, (N, D, M, batch_size) in enumerate(
            [(10, 3, 1, 3), (12, 2, 2, 4), (7, 1, 1, 7), (6, 2, 3, 1), (9, 4, 1, 20), (23, 2, 1, 5)]):
        X, y = _id_data(N, D, M)
        seed = int(rng_for("iterate_minibatches", case).integers(1 << 30))
        first = _epoch(iterate_minibatches, X, y, batch_size, np.random.default_rng(seed))
        again = _epoch(iterate_minibatches, X, y, batch_size, np.random.default_rng(seed))
        check_true(bool(np.array_equal(first, again)),
                   "the same seed must give the same order: shuffle with the rng argument only.")
        if N < 9:
            continue
        other = _epoch(iterate_minibatches, X, y, batch_size, np.random.default_rng(seed + 1))
        check_true(not np.array_equal(first, other),
                   "two different random generators gave the same order: shuffle with the "
                   "rng that is passed in (e.g. rng.permutation(N)), not a fixed seed.")
        check_true(not np.array_equal(first, np.arange(N)),
                   "the examples come out in their original order: shuffle them first.")
        shared = np.random.default_rng(seed)
        epoch1 = _epoch(iterate_minibatches, X, y, batch_size, shared)
        epoch2 = _epoch(iterate_minibatches, X, y, batch_size, shared)
        check_true(not np.array_equal(epoch1, epoch2),
                   "two epochs with the same generator came out in the same order: draw a "
                   "new permutation every time the function is called.")
    X, y = _id_data(10, 2, 1)
    plain = _epoch(iterate_minibatches, X, y, 4, None, shuffle=False)
    check_true(bool(np.array_equal(plain, np.arange(10))),
               "with shuffle=False the batches must keep the original order.")


def check_standardize(fit_standardizer, standardize, standardize_split):
    """Per-feature statistics of the training set, and applying them to other data."""
    means = np.array([5.0, -300.0, 0.01, 40.0])
    scales = np.array([0.1, 50.0, 3.0, 1000.0])
    for case, (N, D) in enumerate([(20, 4), (8, 2), (30, 3)]):
        rng = rng_for("standardize", case)
        X = means[:D] + scales[:D] * rng.normal(size=(N, D))
        if case == 1:
            X[:, 1] = 7.5  # a constant feature: its std is replaced by 1
        if case == 2:      # a feature constant up to rounding noise: std below 1e-8, also 1
            X[:, 2] = 7.5 + 1e-10 * rng.normal(size=N)
        ref_mean, ref_std = regularization.fit_standardizer(X)
        out = fit_standardizer(*copies(X))
        check_true(isinstance(out, tuple) and len(out) == 2,
                   "fit_standardizer must return the tuple (mean, std).")
        check_array(f"mean of a hidden X of shape {(N, D)}", out[0], ref_mean, rtol=1e-9,
                    atol=1e-9, hint="one mean per feature (column): X.mean(axis=0).")
        check_array(f"std of a hidden X of shape {(N, D)}", out[1], ref_std, rtol=1e-9,
                    atol=1e-9, hint="one standard deviation per feature, X.std(axis=0), and 1 for a "
                         "constant feature.")
        X_new = means[:D] + 2 * scales[:D] * rng.normal(size=(5, D)) + scales[:D]
        args = copies(X_new, ref_mean, ref_std)
        check_array(f"standardize on a hidden X of shape {(5, D)}", standardize(*args),
                    regularization.standardize(X_new, ref_mean, ref_std), rtol=1e-9, atol=1e-9,
                    hint="(X - mean) / std, feature by feature.")
        for name, before, after in zip(("X", "mean", "std"), (X_new, ref_mean, ref_std), args):
            _unchanged(name, before, after)
    split = with_reference_globals(standardize_split, fit_standardizer=regularization.fit_standardizer,
                                   standardize=regularization.standardize)
    for case, (n_train, n_test, D) in enumerate([(25, 10, 3), (12, 1, 2)]):
        rng = rng_for("standardize_split", case)
        X_train = means[:D] + scales[:D] * rng.normal(size=(n_train, D))
        # The test set comes from a shifted distribution, so its own statistics differ.
        X_test = means[:D] + 3 * scales[:D] * (rng.normal(size=(n_test, D)) + 1.0)
        out = split(*copies(X_train, X_test))
        check_true(isinstance(out, tuple) and len(out) == 2,
                   "standardize_split must return the tuple (X_train_std, X_test_std).")
        mean, std = regularization.fit_standardizer(X_train)
        hint = ("compute mean and std on the training set only and apply those same numbers "
                "to both sets.")
        check_array(f"X_train_std for a hidden training set of shape {(n_train, D)}", out[0],
                    regularization.standardize(X_train, mean, std), rtol=1e-9, atol=1e-9,
                    hint=hint)
        check_array(f"X_test_std for a hidden test set of shape {(n_test, D)}", out[1],
                    regularization.standardize(X_test, mean, std), rtol=1e-9, atol=1e-9,
                    hint=hint)


def check_fit_gradient_descent(fit_gradient_descent):
    """The training loop against the reference, with reference building blocks."""
    fn = with_reference_globals(
        fit_gradient_descent, predict=linear.predict, mse_gradients=linear.mse_gradients,
        gradient_descent_step=linear.gradient_descent_step,
        iterate_minibatches=train.iterate_minibatches, mse_loss=_loss_value)
    cases = [(40, 3, 1, 8, 0.1, 4), (30, 2, 2, 7, 0.2, 3), (10, 4, 3, 1, 0.05, 2),
             (25, 3, 1, 25, 0.3, 5), (20, 2, 1, 5, 0.1, 2)]
    for case, (N, D, M, batch_size, lr, epochs) in enumerate(cases):
        X, _, _, _ = _linear_case("fit_gradient_descent", case, N, D, M)
        X = (X - X.mean(axis=0)) / X.std(axis=0)
        y = X @ rng_for("fit_gradient_descent", 100 + case).normal(size=(D, M)) + 0.5
        if case == 4:   # float32 data: the parameters are float32 too
            X, y = X.astype(np.float32), y.astype(np.float32)
        seed = 1000 + case
        W, b, hist = linear.fit_gradient_descent(X, y, learning_rate=lr, epochs=epochs,
                                                 batch_size=batch_size,
                                                 rng=np.random.default_rng(seed))
        out = fn(*copies(X, y), learning_rate=lr, epochs=epochs, batch_size=batch_size,
                 rng=np.random.default_rng(seed))
        check_true(isinstance(out, tuple) and len(out) == 3,
                   "fit_gradient_descent must return the tuple (W, b, losses).")
        where = f"(hidden data N={N}, D={D}, M={M}, batch_size={batch_size}, epochs={epochs})"
        hist_s = as_plain_array("losses", out[2]).ravel()
        check_true(hist_s.shape == (epochs,),
                   f"losses has {hist_s.size} entries {where}, expected one per epoch "
                   f"({epochs}).")
        check_array(f"losses {where}", hist_s, hist, rtol=1e-7, atol=1e-10,
                    hint="after each epoch record the cost on the whole training set; call "
                         "iterate_minibatches(X, y, batch_size, rng) once per epoch and take "
                         "one step per mini-batch, starting from zero weights.")
        check_array(f"W {where}", out[0], W, rtol=1e-7, atol=1e-10,
                    hint="start from W = 0 and update with the gradients of each mini-batch.")
        check_array(f"b {where}", out[1], b, rtol=1e-7, atol=1e-10,
                    hint="start from b = 0 and update it at every step.")


# ---------------------------------------------------------------- catalogued bugs
BUGS = [
    # ------------------------------------------------------------------ predict
    Bug("predict_no_bias", "predict",
        "y_hat = X @ W + b", "y_hat = X @ W",
        "The bias is missing: the model is X W + b, so add b (one value per output) to every row."),
    Bug("predict_minus_bias", "predict",
        "y_hat = X @ W + b", "y_hat = X @ W - b",
        "The bias enters with the wrong sign: the prediction is X W plus b."),
    Bug("predict_transposed_weights", "predict",
        "y_hat = X @ W + b", "y_hat = X @ W.T + b",
        "W has shape (D, M) and multiplies X from the right as it is; transposing it only "
        "works by accident when D == M."),
    Bug("predict_bias_as_column", "predict",
        "y_hat = X @ W + b", "y_hat = X @ W + b.reshape(-1, 1)",
        "b holds one value per output (column), so it must broadcast along the rows; as a "
        "column vector it is added to the wrong axis."),
    # ------------------------------------------------------------------ mse_loss
    Bug("loss_missing_half", "mse_loss",
        "/ (2 * N)", "/ N",
        "The cost uses the 1/(2N) convention: divide the sum of squared errors by 2N, not N."),
    Bug("loss_divides_by_entries", "mse_loss",
        "N = y.shape[0]", "N = y.size",
        "Divide by the number of examples (rows of y), not by the number of entries; the two "
        "differ when there are several outputs."),
    Bug("loss_square_of_sum", "mse_loss",
        "np.sum((y_hat - y) ** 2)", "np.sum(y_hat - y) ** 2",
        "Square each error before summing; squaring the summed errors lets positive and "
        "negative errors cancel."),
    Bug("loss_absolute_error", "mse_loss",
        "np.sum((y_hat - y) ** 2)", "np.sum(np.abs(y_hat - y))",
        "This is the absolute error; the mean squared error squares every difference."),
    # ------------------------------------------------------------------ mse_gradients
    Bug("grad_missing_1_over_N_in_dW", "mse_gradients",
        "dW = X.T @ error / N", "dW = X.T @ error",
        "dW is an average over the batch: divide X.T @ (y_hat - y) by N."),
    Bug("grad_wrong_sign", "mse_gradients",
        "error = predict(X, W, b) - y", "error = y - predict(X, W, b)",
        "The error is y_hat - y; with y - y_hat both gradients point uphill and gradient "
        "descent would increase the cost."),
    Bug("grad_db_not_summed", "mse_gradients",
        "db = np.sum(error, axis=0) / N", "db = error / N",
        "db must have the shape of b, (M,): sum the per-example errors over the batch "
        "(axis 0) before dividing by N."),
    Bug("grad_db_summed_over_everything", "mse_gradients",
        "db = np.sum(error, axis=0) / N", "db = np.sum(error) / N",
        "Sum over the examples only (axis=0): each output has its own bias and its own "
        "gradient."),
    Bug("grad_transposed_dW", "mse_gradients",
        "dW = X.T @ error / N", "dW = error.T @ X / N",
        "dW must have the shape of W, (D, M): X.T @ (y_hat - y), not its transpose."),
    Bug("grad_factor_two", "mse_gradients",
        "dW = X.T @ error / N", "dW = 2 * X.T @ error / N",
        "With the 1/(2N) cost the 2 from the square cancels: dW = X.T @ (y_hat - y) / N."),
    # ------------------------------------------------------------------ gradient_descent_step
    Bug("step_plus_sign", "gradient_descent_step",
        "W_new = W - learning_rate * dW", "W_new = W + learning_rate * dW",
        "Gradient descent moves against the gradient: subtract learning_rate * dW."),
    Bug("step_bias_not_updated", "gradient_descent_step",
        "b_new = b - learning_rate * db", "b_new = b",
        "The bias is a parameter too: update it with b - learning_rate * db."),
    Bug("step_in_place", "gradient_descent_step",
        "W_new = W - learning_rate * dW", "W -= learning_rate * dW\n    W_new = W",
        "`W -= ...` changes the caller's array in place; return a new array W - lr * dW so "
        "stored copies of the parameters stay intact."),
    Bug("step_divides_by_learning_rate", "gradient_descent_step",
        "b_new = b - learning_rate * db", "b_new = b - db / learning_rate",
        "The step is the learning rate times the gradient, not the gradient divided by it."),
    # ------------------------------------------------------------------ iterate_minibatches
    Bug("batches_never_shuffled", "iterate_minibatches",
        "indices = rng.permutation(N)", "indices = np.arange(N)",
        "The examples always come in their original order: draw a permutation from rng when "
        "shuffle is True."),
    Bug("batches_skip_last_partial", "iterate_minibatches",
        "range(0, N, batch_size)", "range(0, N - batch_size + 1, batch_size)",
        "The last, smaller batch is dropped, so some examples are never used: keep it."),
    Bug("batches_y_not_shuffled", "iterate_minibatches",
        "yield X[batch], y[batch]", "yield X[batch], y[start:start + batch_size]",
        "X and y must be indexed with the same shuffled indices, otherwise inputs are paired "
        "with the wrong targets."),
    Bug("batches_fixed_seed", "iterate_minibatches",
        "indices = rng.permutation(N)", "indices = np.random.default_rng(0).permutation(N)",
        "A fixed seed inside the function gives the same order every epoch and ignores the "
        "rng argument: shuffle with the rng that is passed in."),
    Bug("batches_off_by_one", "iterate_minibatches",
        "indices[start:start + batch_size]", "indices[start:start + batch_size - 1]",
        "Slices exclude their end: indices[start:start + batch_size] already has batch_size "
        "entries."),
    # ------------------------------------------------------------------ standardize
    Bug("std_of_whole_array", "standardize",
        "std = X.std(axis=0)", "std = X.std()",
        "Each feature needs its own standard deviation: X.std(axis=0), not one number for "
        "the whole array."),
    Bug("mean_of_whole_array", "standardize",
        "mean = X.mean(axis=0)", "mean = X.mean()",
        "Each feature needs its own mean: X.mean(axis=0), not the mean of all entries."),
    Bug("fit_on_test_set", "standardize",
        "mean, std = fit_standardizer(X_train)", "mean, std = fit_standardizer(X_test)",
        "The statistics must come from the training set only and then be applied to both "
        "sets; fitting on the test set leaks test information."),
    Bug("fit_on_train_and_test", "standardize",
        "mean, std = fit_standardizer(X_train)",
        "mean, std = fit_standardizer(np.vstack([X_train, X_test]))",
        "Fitting on training and test data together still leaks test information: use the "
        "training set only."),
    Bug("divide_by_variance", "standardize",
        "return (X - mean) / std", "return (X - mean) / std ** 2",
        "Divide by the standard deviation, not the variance."),
    Bug("no_zero_std_guard", "standardize",
        "std = np.where(std > 1e-8, std, 1.0)", "std = std",
        "A constant feature has standard deviation 0 and dividing by it gives NaN: use 1 "
        "for such features."),
    # ------------------------------------------------------------------ fit_gradient_descent
    Bug("loop_loss_on_last_batch", "fit_gradient_descent",
        "losses.append(mse_loss(predict(X, W, b), y))",
        "losses.append(mse_loss(predict(X_batch, W, b), y_batch))",
        "Record the cost on the whole training set after each epoch, not on the last "
        "mini-batch (which is noisy and may be tiny)."),
    Bug("loop_full_batch_gradients", "fit_gradient_descent",
        "dW, db = mse_gradients(X_batch, y_batch, W, b)", "dW, db = mse_gradients(X, y, W, b)",
        "Each step must use the gradient of its mini-batch; using the whole data set every "
        "step is full-batch descent repeated batch_size times."),
    Bug("loop_params_not_updated", "fit_gradient_descent",
        "W, b = gradient_descent_step(W, b, dW, db, learning_rate)",
        "W_new, b_new = gradient_descent_step(W, b, dW, db, learning_rate)",
        "Assign the result of gradient_descent_step back to W and b, otherwise the "
        "parameters never change."),
    Bug("loop_reseeded_every_epoch", "fit_gradient_descent",
        "iterate_minibatches(X, y, batch_size, rng)",
        "iterate_minibatches(X, y, batch_size, np.random.default_rng(0))",
        "Pass the given rng to iterate_minibatches; a new fixed-seed generator gives the same "
        "order every epoch and ignores the caller's rng."),
    Bug("loop_random_init", "fit_gradient_descent",
        "W = np.zeros((D, M), dtype=X.dtype)", "W = np.ones((D, M), dtype=X.dtype)",
        "Start from W = 0 as specified; the starting point changes every later value."),
    # ---- written from the student notebooks and docstrings alone by an outside tester
    # (issue 14); the comment above each names the input on which it differs
    # witness: X=ones((2,2)), W=zeros((2,2)), b=[1.,2.] -> ref [[1,2],[1,2]], bug [[1,1],[1,1]]
    Bug("predict_first_bias_only", "predict",
        "y_hat = X @ W + b", "y_hat = X @ W + b[0]",
        "Treats the bias as a scalar and adds only b[0] to every output column."),
    # witness: y_hat=ones((2,3)), y=zeros((2,3)) -> ref 6/4=1.5, bug 6/12=0.5
    Bug("mse_divides_by_size", "mse_loss",
        "/ (2 * N)", "/ (2 * y.size)",
        "Divides by 2 * N * M (all entries) instead of 2N, wrong whenever there are several outputs."),
    # witness: N=4, D=2 -> dW off by a factor N/D = 2
    Bug("grad_dw_divide_by_D", "mse_gradients",
        "dW = X.T @ error / N", "dW = X.T @ error / X.shape[1]",
        "Normalises dW by the number of features D instead of the number of examples N."),
    # witness: b=0, db=1, lr=0.1 -> ref b=-0.1, bug b=-1
    Bug("gd_step_bias_no_lr", "gradient_descent_step",
        "b_new = b - learning_rate * db", "b_new = b - db",
        "Forgets to multiply the bias gradient by the learning rate."),
    # witness: same rng seed -> the order of examples differs from rng.permutation (global np.random used)
    Bug("minibatch_global_random", "iterate_minibatches",
        "indices = rng.permutation(N)", "indices = np.random.permutation(N)",
        "Shuffles with the global np.random state and ignores the rng argument."),
    # witness: N=5, batch_size=2 -> ref yields 3 batches (2,2,1), bug yields 2 (example 4 lost)
    Bug("minibatch_drop_last", "iterate_minibatches",
        "for start in range(0, N, batch_size):", "for start in range(0, N - batch_size + 1, batch_size):",
        "Drops the last, incomplete mini-batch, so some examples are never visited."),
    # witness: X=[[1.0],[1.0+1e-12]] -> ref std 1, bug std 5e-13 (near-constant feature kept)
    Bug("std_exact_zero_only", "standardize",
        "std = np.where(std > 1e-8, std, 1.0)", "std = np.where(std > 0, std, 1.0)",
        "Only replaces exactly-zero standard deviations, so nearly constant features (std <= 1e-8) blow up."),
    # witness: X int array [[1],[3]] -> ref returns float [-1,1]; bug raises / mutates input
    Bug("standardize_inplace", "standardize",
        "    return (X - mean) / std\n", "    X -= mean\n    X /= std\n    return X\n",
        "Standardizes X in place, modifying the caller's data (and failing for integer arrays)."),
    # witness: X_train=[[0],[2]], X_test=[[10],[12]] -> ref test [[9],[11]], bug [[-1],[1]]
    Bug("split_uses_test_stats", "standardize",
        "standardize(X_test, mean, std)", "standardize(X_test, *fit_standardizer(X_test))",
        "Standardizes the test set with its own statistics instead of the training statistics."),
    # witness: pred=[[-5.]], target=[[0.]] -> ref grad -1, bug +1
    Bug("huber_grad_sign", "huber_loss",
        "dpred = np.clip(r, -delta, delta) / N", "dpred = np.where(a <= delta, r, delta) / N",
        "In the linear region uses +delta as the gradient regardless of the sign of the residual."),
    # witness: pred (3,1), target (3,) -> bug broadcasts to (3,3)
    Bug("huber_no_reshape", "huber_loss",
        "r = pred - np.reshape(target, np.shape(pred))", "r = pred - target",
        "Subtracts a 1-D target from an (N, 1) prediction, broadcasting to an (N, N) residual."),
]


# ---------------------------------------------------------------- the registry
EXERCISES = [
    Exercise("test_predict", points=3, check=check_predict,
             functions=('predict',),
             references=('course.linear.predict',)),
    Exercise("test_mse_loss", points=3, check=check_mse_loss,
             functions=('mse_loss',),
             references=('course.losses.mse_loss',)),
    Exercise("test_mse_gradients", points=6, check=check_mse_gradients,
             functions=('mse_gradients',),
             references=('course.linear.mse_gradients',)),
    Exercise("test_gradient_descent_step", points=3, check=check_gradient_descent_step,
             functions=('gradient_descent_step',),
             references=('course.linear.gradient_descent_step', 'course.optim.sgd',
                         'course.inplace.sgd')),
    Exercise("test_iterate_minibatches", points=6, check=check_iterate_minibatches,
             functions=('iterate_minibatches',),
             references=('course.train.iterate_minibatches',)),
    Exercise("test_standardize", points=4, check=check_standardize,
             functions=('fit_standardizer', 'standardize', 'standardize_split'),
             references=('course.regularization.fit_standardizer', 'course.regularization.standardize')),
    Exercise("test_fit_gradient_descent", points=5, check=check_fit_gradient_descent,
             functions=('fit_gradient_descent',),
             references=('course.linear.fit_gradient_descent',)),
]


# ---------------------------------------------------------------- huber_loss
def check_huber_loss(huber_loss):
    """huber_loss(pred, target, delta) against ``course.losses.huber_loss``: residuals on both
    sides of delta, several deltas, (N, M) and (N,)-target shapes, a batch of one."""
    for case, (n, m, delta) in enumerate([(1, 1, 1.0), (6, 1, 0.5), (5, 3, 2.0), (8, 2, 1.0)]):
        rng = rng_for("huber_loss", case)
        pred = rng.normal(0.0, 2.0 * delta, size=(n, m))
        target = rng.normal(0.0, 2.0 * delta, size=(n,) if m == 1 and case % 2 else (n, m))
        result = huber_loss(*copies(pred, target), delta=delta)
        check_true(isinstance(result, tuple) and len(result) == 2,
                   "huber_loss must return a tuple (loss, dpred).")
        loss, dpred = result
        ref_loss, ref_d = losses.huber_loss(pred, target, delta)
        where = f"on a hidden input with N={n}, M={m}, delta={delta}"
        check_scalar(f"loss {where}", loss, ref_loss, rtol=1e-9, atol=1e-12)
        check_array(f"dpred {where}", dpred, ref_d, rtol=1e-9, atol=1e-12)
    check_scalar("loss with the default delta", huber_loss(np.array([[3.0]]), np.array([[0.0]]))[0],
                 losses.huber_loss(np.array([[3.0]]), np.array([[0.0]]))[0], rtol=1e-12)


BUGS += [
    Bug("huber_missing_half_delta", "huber_loss",
        "delta * (a - 0.5 * delta)", "delta * a",
        "Outside delta the cost is delta * (|r| - delta / 2): without the - delta / 2 the two "
        "pieces do not meet at |r| = delta."),
    Bug("huber_gradient_not_clipped", "huber_loss",
        "dpred = np.clip(r, -delta, delta) / N", "dpred = r / N",
        "Beyond delta the gradient is delta * sign(r) / N, not r / N: clip the residual."),
    Bug("huber_no_mean", "huber_loss",
        "dpred = np.clip(r, -delta, delta) / N", "dpred = np.clip(r, -delta, delta)",
        "The cost is a mean over the N examples, so its gradient carries 1/N too."),
    Bug("huber_threshold_on_square", "huber_loss",
        "np.where(a <= delta,", "np.where(r**2 <= delta,",
        "Compare |r| with delta, not r**2: the switch is at |r| = delta."),
]

EXERCISES.append(
    Exercise("test_huber_loss", points=3, check=check_huber_loss, functions=("huber_loss",),
             references=("course.losses.huber_loss",)))



# ---------------------------------------------------------------- weighted_mse_gradients
def _weighted_cost(X, y, W, b, weights):
    """The weighted quadratic cost sum_i weights[i] * ||y_hat_i - y_i||**2 / (2N), float64."""
    r = linear.predict(X, W, b) - y
    return float(np.sum(weights[:, None] * r * r)) / (2 * X.shape[0])


def check_weighted_mse_gradients(weighted_mse_gradients):
    """weighted_mse_gradients against the reference and numerical gradients of the weighted
    cost: every shape of ``LINEAR_SHAPES`` (batch of one, D != M both ways), weights in [0, 3]
    with a zero weight among them, and weights of one (the unweighted gradients)."""
    fn = with_reference_globals(weighted_mse_gradients, predict=linear.predict,
                                mse_loss=_loss_value, mse_gradients=linear.mse_gradients)
    for case, (N, D, M) in enumerate(LINEAR_SHAPES):
        X, W, b, y = _linear_case("weighted_mse_gradients", case, N, D, M)
        rng = rng_for("weighted_mse_gradients", 100 + case)
        weights = rng.uniform(0.0, 3.0, size=N)
        if N > 2:
            weights[rng.integers(N)] = 0.0
        if case == len(LINEAR_SHAPES) - 1:
            weights = np.ones(N)
        out = fn(*copies(X, y, W, b, weights))
        check_true(isinstance(out, tuple) and len(out) == 2,
                   "weighted_mse_gradients must return the tuple (dW, db).")
        dW, db = out
        ref_dW, ref_db = linear.weighted_mse_gradients(X, y, W, b, weights)
        where = f"on a hidden input with N={N}, D={D}, M={M} and hidden weights"
        check_shape(f"dW {where}", dW, W.shape)
        check_shape(f"db {where}", db, b.shape)
        check_array(f"dW {where}", dW, ref_dW, rtol=1e-7, atol=1e-9,
                    hint="each example's error counts with its weight, and the cost divides "
                         "by 2N (not by the sum of the weights).")
        check_array(f"db {where}", db, ref_db, rtol=1e-7, atol=1e-9,
                    hint="db has one entry per output; every example contributes with its weight.")
        num_dW = numerical_gradient(lambda W_: _weighted_cost(X, y, W_, b, weights), W.copy())
        num_db = numerical_gradient(lambda b_: _weighted_cost(X, y, W, b_, weights), b.copy())
        for name, grad, num in (("dW", dW, num_dW), ("db", db, num_db)):
            err = relative_error(as_plain_array(name, grad).astype(np.float64), num)
            check_true(err < 1e-6, f"{name} {where} disagrees with the numerical gradient of the "
                                   f"weighted cost (relative error {err:.2e}, allowed 1e-6).")


BUGS += [
    Bug("weighted_weights_ignored", "weighted_mse_gradients",
        "weights.reshape(N, 1) * error / N", "error / N",
        "The weights are missing: example i enters the cost s_i times, so its error enters the "
        "gradients multiplied by s_i."),
    Bug("weighted_weights_not_a_column", "weighted_mse_gradients",
        "weights.reshape(N, 1) * error / N", "weights * error / N",
        "weights has shape (N,) and the errors (N, M): multiplying them directly broadcasts "
        "along the wrong axis. Make the weights a column, shape (N, 1), so that row i is scaled "
        "by s_i."),
    Bug("weighted_divides_by_total_weight", "weighted_mse_gradients",
        "weights.reshape(N, 1) * error / N", "weights.reshape(N, 1) * error / np.sum(weights)",
        "The cost of this exercise divides by 2N, the number of examples, not by the sum of the "
        "weights: the gradient keeps the 1/N."),
    Bug("weighted_weights_squared", "weighted_mse_gradients",
        "weights.reshape(N, 1) * error / N", "weights.reshape(N, 1) ** 2 * error / N",
        "The weight multiplies the squared error, it is not inside the square: the gradient "
        "carries s_i once, not s_i squared."),
]

EXERCISES.append(
    Exercise("test_weighted_mse_gradients", points=2, check=check_weighted_mse_gradients,
             functions=("weighted_mse_gradients",),
             references=("course.linear.weighted_mse_gradients",)))
