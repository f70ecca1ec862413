"""Typical student bugs for notebook 01 (linear regression and gradient descent).

Each bug edits one solution cell of ``solutions/01_linear_regression``; the grade cell of that
exercise must fail and every other grade cell must still pass.
"""
from grader.bugs import Bug

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
]
