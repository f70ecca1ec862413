"""Hidden tests for notebook 05 (regularization and training practice).

One ``check_<exercise id>`` per graded exercise, comparing the student's functions with the
references in ``course.regularization`` and ``course.layers`` on inputs from ``rng_for``.
Random layers (dropout, drop-connect, noise, log-uniform sampling) are checked through their
structure and statistics, so any correct way of drawing the random numbers passes; their
backward passes get caches built here in the documented format, so each exercise is graded on
its own. A failure message says what is wrong (which array, shape, value, the formula); naming
the mistake is the job of the catalog (``BUGS``), whose diagnosis the feedback adds when the
student's answers match a catalogued bug's.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from course import layers, regularization
from course.checks import as_plain_array, check_scalar, check_shape, check_true
from course.gradcheck import numerical_gradient_array, relative_error
from grader.exercises.common import check_array, rng_for
from grader.registry import Bug, Exercise


# ---------------------------------------------------------------- preprocessing
def check_standardize(fit_standardizer, standardize):
    """Statistics per feature over the batch, constant features, training statistics reused."""
    cases = [(1, 5), (7, 3), (50, 12), (4, 784)]
    for case, (n, d) in enumerate(cases):
        rng = rng_for("standardize", case)
        X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + rng.uniform(-5, 5, d)
        X[:, 0] = 2.5                                     # a constant feature
        if n > 1:                                         # constant up to noise: std < 1e-8, also 1
            X[:, -1] = -1.25 + 1e-10 * rng.standard_normal(n)
        mean, std = fit_standardizer(X.copy())
        r_mean, r_std = regularization.fit_standardizer(X)
        check_array(f"mean on a hidden input of shape {(n, d)}", mean, r_mean, rtol=1e-8,
                    hint="the mean of every feature (column) over the examples: axis=0.")
        check_array(f"std on a hidden input of shape {(n, d)}", as_plain_array("std", std), r_std,
                    rtol=1e-8,
                    hint="population std over axis=0 (divide by N); constant features get std 1.")
        X_other = rng.standard_normal((3, d)) * 4 + 1
        got = as_plain_array("standardize(X_other, mean, std)", standardize(X_other.copy(), r_mean, r_std))
        check_array(f"standardize on hidden validation data of shape {(3, d)}", got,
                    regularization.standardize(X_other, r_mean, r_std), rtol=1e-8,
                    hint="(X - mean) / std with the statistics passed in.")


def check_pca_whitening(fit_pca_whitening, pca_whiten):
    """Mean, principal directions (up to sign), variances s**2/N and the whitened data."""
    cases = [((40, 6), None), ((5, 8), None), ((30, 4), 2), ((25, 5), None)]
    for case, ((n, d), k) in enumerate(cases):
        rng = rng_for("pca_whitening", case)
        A = rng.standard_normal((d, d)) * np.linspace(3.0, 0.3, d)[:, None]
        X = rng.standard_normal((n, d)) @ A + rng.uniform(-2, 2, d)
        if case == 3:
            X[:, 2] = 1.0                                 # a constant feature: one direction of zero variance
        ref = regularization.PCAWhitener(n_components=k).fit(X)
        result = fit_pca_whitening(X.copy(), n_components=k) if k is not None else fit_pca_whitening(X.copy())
        check_true(isinstance(result, tuple) and len(result) == 3,
                   "fit_pca_whitening must return (mean, components, variances).")
        mean, comps, var = result
        where = f"on a hidden input of shape {(n, d)}" + (f" with n_components={k}" if k else "")
        check_array(f"mean {where}", mean, ref.mean_, rtol=1e-8, atol=1e-10)
        var = as_plain_array("variances", var)
        check_array(f"variances {where}", var, ref.variances_, rtol=1e-7, atol=1e-10,
                    hint="variances are s**2 / N for the singular values s of X - mean.")
        comps = as_plain_array("components", comps)
        check_shape(f"components {where}", comps, ref.components_.shape)
        significant = ref.variances_ > 1e-9 * ref.variances_[0]
        signs = np.sign(np.sum(comps * ref.components_, axis=1))
        signs[signs == 0] = 1
        check_array(f"components {where} (up to the sign of each row)", (comps * signs[:, None])[significant],
                    ref.components_[significant], rtol=1e-6, atol=1e-8,
                    hint="the principal directions are the rows of Vt from np.linalg.svd(X - mean, full_matrices=False).")
        # whitening with the reference statistics (graded separately from fit)
        X_new = rng.standard_normal((4, d)) @ A
        for data, name in ((X, "training"), (X_new, "hidden new")):
            got = as_plain_array("Z", pca_whiten(data.copy(), ref.mean_.copy(), ref.components_.copy(),
                                                 ref.variances_.copy()))
            check_array(f"pca_whiten on {name} data {where}", got, ref.transform(data), rtol=1e-6,
                        atol=1e-8, hint="(X - mean) @ components.T / sqrt(variances + eps).")
        got = as_plain_array("Z", pca_whiten(X.copy(), ref.mean_, ref.components_, ref.variances_, eps=0.5))
        check_array(f"pca_whiten with eps=0.5 {where}", got,
                    (X - ref.mean_) @ ref.components_.T / np.sqrt(ref.variances_ + 0.5), rtol=1e-6, atol=1e-8,
                    hint="use the eps argument: sqrt(variances + eps).")


# ---------------------------------------------------------------- early stopping
def _early_stopping_runner(EarlyStopping):
    """Wrap the student's class in a plain function, so only arrays and numbers cross the
    kernel boundary: run(patience, min_delta, values, params) -> one dict per epoch stepped."""
    def run(patience, min_delta, values, params):
        student = EarlyStopping(patience) if min_delta == 0 else EarlyStopping(patience, min_delta=min_delta)
        params = {k: v.copy() for k, v in params.items()}
        steps = []
        for epoch, value in enumerate(values):
            for p in params.values():
                p += 1.0                                  # in-place updates, as in the training loop
            got = student.step(value, params, epoch)
            best = student.best_params
            steps.append({
                "stop": bool(got) if isinstance(got, (bool, np.bool_)) else f"a {type(got).__name__}",
                "best_epoch": student.best_epoch,
                "best_value": student.best_value,
                "best_params": ({k: np.array(v, copy=True) for k, v in best.items()}
                                if isinstance(best, dict) else f"a {type(best).__name__}"),
            })
            if got is True or got is np.True_:
                break
        return steps
    return (run,)


def check_early_stopping(run):
    """Stop decisions, best value/epoch and copied parameters against the reference class."""
    sequences = [
        (3, 0.0, [0.1, 0.3, 0.3, 0.29, 0.35, 0.35, 0.34, 0.2, 0.5]),
        (1, 0.0, [0.5, 0.6, 0.6, 0.7]),
        (2, 0.05, [0.5, 0.54, 0.56, 0.62, 0.6, 0.66, 0.65]),
        (4, 0.0, [0.9, 0.8, 0.91, 0.7, 0.7, 0.7, 0.7, 0.95]),
        (2, 0.0, [-2.3, -1.7, -1.9, -1.2, -1.25, -1.3]),   # a negated loss: every value below 0
    ]
    for case, (patience, min_delta, values) in enumerate(sequences):
        rng = rng_for("early_stopping", case)
        params = {"W1": rng.standard_normal((3, 2)), "b1": np.zeros(2)}
        steps = run(patience, min_delta, values, {k: v.copy() for k, v in params.items()})
        check_true(isinstance(steps, list), "EarlyStopping could not be driven through a hidden sequence.")
        ref = regularization.EarlyStopping(patience, min_delta=min_delta)
        for epoch, value in enumerate(values):
            for p in params.values():
                p += 1.0
            want = ref.step(value, params, epoch)
            where = f"at epoch {epoch} of a hidden sequence (patience={patience}, min_delta={min_delta})"
            check_true(epoch < len(steps), f"step() returned True too early, before the step {where}.")
            got = steps[epoch]
            check_true(isinstance(got["stop"], bool), f"step() must return a bool, got {got['stop']}.")
            check_true(got["stop"] == want,
                       f"step() returned {got['stop']} {where}, expected {want}: an epoch improves only if "
                       "val_metric > best_value + min_delta (a tie is no improvement), the counter restarts at "
                       "every improvement, and step() returns True once it reaches patience.")
            check_true(got["best_epoch"] == ref.best_epoch,
                       f"best_epoch is {got['best_epoch']!r} {where}, expected {ref.best_epoch!r}.")
            check_scalar(f"best_value {where}", got["best_value"], ref.best_value)
            best = got["best_params"]
            check_true(isinstance(best, dict) and set(best) == set(params),
                       f"best_params {where} should be a dict with the keys {sorted(params)}.")
            for name in params:
                check_array(f"best_params['{name}'] {where}", best[name], ref.best_params[name],
                            hint="store copies (value.copy()): the training loop updates the arrays in place.")
            if want:
                break


# ---------------------------------------------------------------- penalties
def check_penalties(l2_penalty, l1_penalty):
    """Penalties and gradients for several shapes, strengths and exact zeros."""
    for case, (shape, lam) in enumerate([((1, 1), 0.5), ((3, 5), 0.01), ((2, 3, 4), 3.0), ((4, 2), 0.0)]):
        rng = rng_for("penalties", case)
        W = rng.standard_normal(shape) * 2
        W.flat[::3] = 0.0
        where = f"on a hidden W of shape {shape} (lam={lam})"
        pen, dW = l2_penalty(W.copy(), lam)
        r_pen, r_dW = regularization.l2_penalty(W, lam)
        check_scalar(f"L2 penalty {where}", pen, r_pen, rtol=1e-8,
                     hint="0.5 * lam * sum(W**2) over every entry.")
        check_array(f"L2 gradient {where}", dW, r_dW, rtol=1e-8,
                    hint="lam * W, the derivative of 0.5 * lam * sum(W**2).")
        pen, dW = l1_penalty(W.copy(), lam)
        r_pen, r_dW = regularization.l1_penalty(W, lam)
        check_scalar(f"L1 penalty {where}", pen, r_pen, rtol=1e-8, hint="lam * sum(|W|): absolute values.")
        check_array(f"L1 gradient {where}", dW, r_dW, rtol=1e-8,
                    hint="lam * sign(W), which is 0 where W == 0 (np.sign).")


def check_elastic_net(elastic_net_penalty):
    """Elastic-net penalty and gradient for several shapes, strengths, shares and exact zeros."""
    cases = [((1, 1), 0.5, 0.3), ((1, 7), 0.01, 1.0), ((3, 5), 2.0, 0.0), ((2, 3, 4), 0.7, 0.6), ((4, 2), 0.0, 0.5)]
    for case, (shape, lam, alpha) in enumerate(cases):
        rng = rng_for("elastic_net", case)
        W = rng.standard_normal(shape) * rng.uniform(0.5, 3.0)
        W.flat[::3] = 0.0
        if case == 3:
            W = W.astype(np.float32)
        where = f"on a hidden W of shape {shape} (lam={lam}, alpha={alpha})"
        pen, dW = elastic_net_penalty(W.copy(), lam, alpha)
        r_pen, r_dW = regularization.elastic_net_penalty(W, lam, alpha)
        check_scalar(f"elastic-net penalty {where}", pen, r_pen, rtol=1e-6, atol=1e-12,
                     hint="lam * (alpha * sum(|W|) + (1 - alpha) / 2 * sum(W**2)) over every entry.")
        check_array(f"elastic-net gradient {where}", dW, r_dW, rtol=1e-6, atol=1e-12,
                    hint="the gradient of each part, scaled by lam and that part's share; the L1 part's "
                         "subgradient is 0 where W == 0.")


# ---------------------------------------------------------------- dropout
def check_dropout(dropout_forward, dropout_backward):
    """Inverted dropout: test mode, kept fraction, scaling, mask in the cache, backward."""
    for case, shape in enumerate([(1, 9), (5, 3), (6, 11)]):
        rng = rng_for("dropout", case)
        x = rng.standard_normal(shape) + 3.0
        out, _ = dropout_forward(x.copy(), 0.3, "test", None)
        check_array(f"out in test mode on a hidden input of shape {shape}", out, x,
                    hint="inverted dropout leaves test-mode activations unchanged (no mask, no scaling by p).")
    for case, keep_prob in enumerate([0.8, 0.3, 1.0]):
        rng = rng_for("dropout", 10 + case)
        x = (rng.uniform(0.5, 2.0, (400, 250)) * rng.choice([-1, 1], (400, 250))).astype(np.float32)
        out, cache = dropout_forward(x.copy(), keep_prob, "train", np.random.default_rng(case))
        out = as_plain_array("out", out)
        check_shape("out", out, x.shape)
        check_true(out.dtype == np.float32, f"dropout turned float32 activations into {out.dtype}: cast the mask "
                                            "to x.dtype.")
        kept = out != 0
        frac = kept.mean()
        check_true(abs(frac - keep_prob) < 0.01,
                   f"with keep_prob={keep_prob}, {frac:.1%} of the units were kept on a hidden input of "
                   f"100,000 units; expected about {keep_prob:.0%}.")
        check_true(np.allclose(out[kept], x[kept] / keep_prob, rtol=1e-5),
                   "every kept unit must equal x / keep_prob.")
        mask = as_plain_array("cache[0] (the mask)", cache[0])
        check_array("x * mask (the mask stored in the cache)", x * mask, out, rtol=1e-5,
                    hint="store the mask you multiplied by (entries 0 or 1 / keep_prob) as cache[0].")
        again, _ = dropout_forward(x.copy(), keep_prob, "train", np.random.default_rng(case))
        check_true(bool(np.array_equal(as_plain_array("out", again), out)),
                   "two calls with identically seeded generators gave different masks: draw the mask "
                   "from the rng argument only.")
        out2, _ = dropout_forward(x.copy(), keep_prob, "train", np.random.default_rng(100 + case))
        if keep_prob < 1:
            check_true(not np.array_equal(np.asarray(out2) != 0, kept),
                       "two calls with different generators gave the same mask: draw it with the rng argument.")
    # backward, with caches in the documented format
    for case, (shape, keep_prob) in enumerate([((1, 6), 0.5), ((4, 7), 0.8), ((9, 2), 0.25)]):
        rng = rng_for("dropout", 20 + case)
        mask = (rng.random(shape) < keep_prob) / keep_prob
        dout = rng.standard_normal(shape)
        dx = dropout_backward(dout.copy(), (mask.copy(), "train"))
        check_array(f"dx on a hidden input of shape {shape}", dx, dout * mask,
                    hint="dx = dout * mask, the same mask (already scaled by 1 / keep_prob) as the "
                         "forward pass.")
        check_array(f"dx in test mode on a hidden input of shape {shape}",
                    dropout_backward(dout.copy(), (None, "test")), dout)


def check_dropconnect(dropconnect_forward, dropconnect_backward):
    """Drop-connect: test mode, kept fraction and scaling of the weight mask, numerical gradients."""
    for case, (n, d, m) in enumerate([(1, 4, 3), (6, 5, 2), (3, 2, 7)]):
        rng = rng_for("dropconnect", case)
        x, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
        out, _ = dropconnect_forward(x.copy(), W.copy(), b.copy(), 0.5, "test", None)
        check_array(f"out in test mode on hidden inputs x {x.shape}, W {W.shape}", out, x @ W + b,
                    hint="test mode: x @ W + b with the full weights, unscaled.")
    for case, keep_prob in enumerate([0.7, 0.25]):
        rng = rng_for("dropconnect", 10 + case)
        x, W, b = rng.standard_normal((5, 300)), rng.standard_normal((300, 200)), rng.standard_normal(200)
        out, cache = dropconnect_forward(x.copy(), W.copy(), b.copy(), keep_prob, "train", np.random.default_rng(case))
        check_true(isinstance(cache, tuple) and len(cache) == 4, "the cache must be (x, W_used, mask, mode).")
        mask = as_plain_array("cache[2] (the mask)", cache[2])
        check_shape("mask", mask, W.shape)
        frac = np.mean(mask != 0)
        check_true(abs(frac - keep_prob) < 0.01,
                   f"with keep_prob={keep_prob}, {frac:.1%} of the weights were kept; expected about "
                   f"{keep_prob:.0%}.")
        nz = mask[mask != 0]
        check_true(bool(np.allclose(nz, 1 / keep_prob)),
                   "kept weights must be scaled by 1 / keep_prob (mask entries 0 or 1 / keep_prob).")
        check_array("out in train mode on a hidden input", out, x @ (W * mask) + b, rtol=1e-6, atol=1e-8,
                    hint="x @ (W * mask) + b; the bias is never dropped.")
        check_array("W_used (cache[1])", cache[1], W * mask, rtol=1e-6, atol=1e-12)
    # backward: numerical gradients with a fixed mask, float64
    for case, (n, d, m, keep_prob) in enumerate([(1, 3, 4, 0.5), (4, 5, 2, 0.8), (3, 6, 6, 0.3)]):
        rng = rng_for("dropconnect", 20 + case)
        x, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
        mask = (rng.random((d, m)) < keep_prob) / keep_prob
        dout = rng.standard_normal((n, m))
        dx, dW, db = dropconnect_backward(dout.copy(), (x.copy(), W * mask, mask.copy(), "train"))
        fwd = lambda x_, W_, b_: x_ @ (W_ * mask) + b_
        where = f"on hidden inputs x {x.shape}, W {W.shape}"
        for name, got, num in (
            ("dx", dx, numerical_gradient_array(lambda v: fwd(v, W, b), x.copy(), dout)),
            ("dW", dW, numerical_gradient_array(lambda v: fwd(x, v, b), W.copy(), dout)),
            ("db", db, numerical_gradient_array(lambda v: fwd(x, W, v), b.copy(), dout)),
        ):
            check_shape(f"{name} {where}", got, num.shape)
            err = relative_error(as_plain_array(name, got), num)
            hints = {"dx": "dx = dout @ W_used.T with the masked, scaled weights.",
                     "dW": "dW = (x.T @ dout) * mask: dropped weights get zero gradient, kept ones are scaled.",
                     "db": "db = dout.sum(axis=0): the bias is not dropped."}
            check_true(err < 1e-7, f"{name} {where} differs from the numerical gradient (relative error "
                                   f"{err:.2e}). Hint: {hints[name]}")
        dx, dW, db = dropconnect_backward(dout.copy(), (x.copy(), W.copy(), None, "test"))
        check_array(f"dW in test mode {where}", dW, x.T @ dout, rtol=1e-8)
        check_array(f"dx in test mode {where}", dx, dout @ W.T, rtol=1e-8)


def check_gaussian_dropout(gaussian_dropout_forward, gaussian_dropout_backward):
    """Gaussian dropout: test mode, the factors' mean and spread, factors in the cache, backward."""
    for case, shape in enumerate([(1, 9), (5, 3)]):
        x = rng_for("gaussian_dropout", case).standard_normal(shape) + 3.0
        out, _ = gaussian_dropout_forward(x.copy(), 0.7, "test", None)
        check_array(f"out in test mode on a hidden input of shape {shape}", out, x,
                    hint="in test mode Gaussian dropout returns x unchanged (no noise, no scaling).")
    for case, keep_prob in enumerate([0.8, 0.3, 1.0]):
        rng = rng_for("gaussian_dropout", 10 + case)
        x = (rng.uniform(0.5, 2.0, (400, 250)) * rng.choice([-1, 1], (400, 250))).astype(np.float32)
        out, cache = gaussian_dropout_forward(x.copy(), keep_prob, "train", np.random.default_rng(case))
        out = as_plain_array("out", out)
        check_shape("out", out, x.shape)
        check_true(out.dtype == np.float32, f"Gaussian dropout turned float32 activations into {out.dtype}: "
                                            "cast the factors to x.dtype.")
        mask = as_plain_array("cache[0] (the factors)", cache[0])
        check_array("x * mask (the factors stored in the cache)", x * mask, out, rtol=1e-5,
                    hint="store the factors you multiplied by as cache[0].")
        sigma = np.sqrt((1.0 - keep_prob) / keep_prob)
        mean, spread = float(mask.mean()), float(mask.std())
        check_true(abs(mean - 1.0) < 0.02 + 0.01 * sigma,
                   f"with keep_prob={keep_prob} the factors of a hidden input of 100,000 units have mean "
                   f"{mean:.3f}; expected 1, the mean of inverted dropout's m / p.")
        check_true(abs(spread - sigma) <= 0.03 * sigma + 1e-6,
                   f"with keep_prob={keep_prob} the factors of a hidden input of 100,000 units have standard "
                   f"deviation {spread:.3f}; expected {sigma:.3f}, the square root of the variance of "
                   "inverted dropout's m / p.")
        if keep_prob < 1:
            out2, _ = gaussian_dropout_forward(x.copy(), keep_prob, "train", np.random.default_rng(100 + case))
            check_true(not np.array_equal(np.asarray(out2), out),
                       "two calls with different generators gave the same factors: draw them with the rng argument.")
    for case, shape in enumerate([(1, 6), (4, 7), (9, 2)]):
        rng = rng_for("gaussian_dropout", 20 + case)
        mask = 1.0 + rng.standard_normal(shape) * 0.8
        dout = rng.standard_normal(shape)
        dx = gaussian_dropout_backward(dout.copy(), (mask.copy(), "train"))
        check_array(f"dx on a hidden input of shape {shape}", dx, dout * mask,
                    hint="out = x * mask with the mask a constant of the forward pass.")
        check_array(f"dx in test mode on a hidden input of shape {shape}",
                    gaussian_dropout_backward(dout.copy(), (None, "test")), dout)


# ---------------------------------------------------------------- batch norm
def check_batchnorm_forward(batchnorm_forward):
    """Train mode (outputs, running averages, cache) and test mode against course.layers."""
    cases = [((1, 4), {}), ((6, 3), {"momentum": 0.5}), ((50, 7), {"eps": 0.1}), ((8, 5), {"eps": 1e-5, "momentum": 0.9})]
    for case, (shape, extra) in enumerate(cases):
        rng = rng_for("batchnorm_forward", case)
        n, d = shape
        x = rng.standard_normal(shape) * rng.uniform(0.2, 5, d) + rng.uniform(-3, 3, d)
        gamma, beta = rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d), rng.standard_normal(d)
        start_mean, start_var = rng.standard_normal(d), rng.uniform(0.5, 2, d)
        s_param = {"mode": "train", "running_mean": start_mean.copy(), "running_var": start_var.copy(), **extra}
        r_param = {"mode": "train", "running_mean": start_mean.copy(), "running_var": start_var.copy(), **extra}
        where = f"on a hidden input of shape {shape}" + (f" with {extra}" if extra else "")
        for step in range(2):
            xs = x + step
            out, cache = batchnorm_forward(xs.copy(), gamma.copy(), beta.copy(), s_param)
            r_out, r_cache = layers.batchnorm_forward(xs, gamma, beta, r_param)
            check_array(f"out (train mode, call {step + 1}) {where}", as_plain_array("out", out),
                        r_out, rtol=1e-6, atol=1e-8,
                        hint="x_hat = (x - batch mean) / sqrt(batch var + eps), var dividing by N; "
                             "out = gamma * x_hat + beta.")
            check_array(f"cache[0] (x_hat) {where}", cache[0], r_cache[0], rtol=1e-6, atol=1e-8,
                        hint="the cache is (x_hat, gamma, inv_std, mode).")
            check_array(f"cache[2] (inv_std) {where}", cache[2], r_cache[2], rtol=1e-6, atol=1e-8,
                        hint="inv_std = 1 / sqrt(var + eps), shape (D,).")
            for key in ("running_mean", "running_var"):
                got = s_param.get(key)
                check_true(got is not None, f"bn_param['{key}'] is missing after a train-mode call.")
                check_array(f"bn_param['{key}'] after train-mode call {step + 1} {where}", got,
                            r_param[key], rtol=1e-6, atol=1e-10,
                            hint=f"{key} = momentum * {key} + (1 - momentum) * batch statistic, "
                                 "stored in bn_param.")
        # test mode: running statistics, nothing updated
        t_mean, t_var = rng.standard_normal(d), rng.uniform(0.5, 3, d)
        for nt in (1, 5):
            xt = rng.standard_normal((nt, d)) * 2
            s_param = {"mode": "test", "running_mean": t_mean.copy(), "running_var": t_var.copy(), **extra}
            out, _ = batchnorm_forward(xt.copy(), gamma.copy(), beta.copy(), s_param)
            r_out, _ = layers.batchnorm_forward(xt, gamma, beta, {"mode": "test", "running_mean": t_mean,
                                                                   "running_var": t_var, **extra})
            check_array(f"out in test mode on a hidden batch of shape {(nt, d)}", out, r_out, rtol=1e-6, atol=1e-8,
                        hint="test mode normalizes with bn_param['running_mean'] and ['running_var'], never the batch.")
            check_array("running_mean after a test-mode call", s_param["running_mean"], t_mean,
                        hint="test mode must leave the running averages alone.")
            check_array("running_var after a test-mode call", s_param["running_var"], t_var,
                        hint="test mode must leave the running averages alone.")
    # a bn_param without running averages: they start at zeros and ones and are stored in it
    rng = rng_for("batchnorm_forward", 10)
    x = rng.standard_normal((6, 4)) * 2.0 + 1.0
    gamma, beta = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    s_param, r_param = {"mode": "train"}, {"mode": "train"}
    batchnorm_forward(x.copy(), gamma.copy(), beta.copy(), s_param)
    layers.batchnorm_forward(x, gamma, beta, r_param)
    for key in ("running_mean", "running_var"):
        check_true(key in s_param, f"bn_param['{key}'] is missing after a train-mode call on a bn_param "
                                   "that had no running averages: start from the defaults (zeros and "
                                   "ones) and store the updated averages in bn_param.")
        check_array(f"bn_param['{key}'] after a first train-mode call without running averages",
                    s_param[key], r_param[key], rtol=1e-6, atol=1e-10)


def check_batchnorm_backward(batchnorm_backward):
    """dx, dgamma, dbeta against numerical gradients (float64) in train mode, and test mode."""
    for case, shape in enumerate([(1, 4), (2, 3), (5, 3), (8, 6)]):
        rng = rng_for("batchnorm_backward", case)
        n, d = shape
        x = rng.standard_normal(shape) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
        gamma, beta = rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d), rng.standard_normal(d)
        dout = rng.standard_normal(shape) + 0.5
        _, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        dx, dgamma, dbeta = batchnorm_backward(dout.copy(), tuple(np.copy(c) if isinstance(c, np.ndarray) else c
                                                                  for c in cache))
        fwd = lambda x_, g_, b_: layers.batchnorm_forward(x_, g_, b_, {"mode": "train"})[0]
        where = f"on a hidden input of shape {shape}"
        check_shape(f"dbeta {where}", dbeta, (d,))
        check_array(f"dbeta {where}", dbeta, dout.sum(axis=0), rtol=1e-7,
                    hint="dbeta = dout.sum(axis=0).")
        check_shape(f"dgamma {where}", dgamma, (d,))
        check_array(f"dgamma {where}", dgamma, numerical_gradient_array(lambda g: fwd(x, g, beta), gamma.copy(), dout),
                    rtol=1e-5, atol=1e-7, hint="dgamma = (dout * x_hat).sum(axis=0).")
        check_shape(f"dx {where}", dx, shape)
        dx_num = numerical_gradient_array(lambda v: fwd(v, gamma, beta), x.copy(), dout)
        err = relative_error(as_plain_array("dx", dx), dx_num)
        hint = ("the batch mean and variance depend on x too: differentiate through mu_B and sigma "
                "(notebook 05, section 7); the gradient sums to 0 over the batch in every column.")
        if n > 2:
            check_true(err < 1e-6, f"dx {where} differs from the numerical gradient (relative error {err:.2e}). "
                                   f"Hint: {hint}")
        else:  # with one or two examples the normalized output is (almost) constant: dx is (almost) 0
            check_array(f"dx {where}", dx, layers.batchnorm_backward(dout, cache)[0], rtol=1e-6, atol=1e-9,
                        hint=hint)
        _, tcache = layers.batchnorm_forward(x, gamma, beta, {"mode": "test", "running_mean": x.mean(0) + 0.3,
                                                              "running_var": x.var(0) + 0.5})
        dx_t, dg_t, db_t = batchnorm_backward(dout.copy(), tcache)
        check_array(f"dx in test mode {where}", dx_t, gamma * tcache[2] * dout, rtol=1e-6, atol=1e-10,
                    hint="in test mode the statistics are constants: dx = gamma * inv_std * dout.")
        check_array(f"dgamma in test mode {where}", dg_t, (dout * tcache[0]).sum(axis=0), rtol=1e-6, atol=1e-10)


# ---------------------------------------------------------------- augmentation
def check_augment(shift_images, add_noise):
    """Shifts against course.regularization.shift_images; noise through its statistics."""
    shifts = [(0, 0), (1, 0), (0, 1), (-2, 3), (3, -1), (27, 0), (-28, 5), (4, 30)]
    for case, (dx, dy) in enumerate(shifts):
        rng = rng_for("augment", case)
        n = 1 if case % 2 else 3
        X = rng.random((n, 784)).astype(np.float32)
        got = as_plain_array("shift_images(X, dx, dy)", shift_images(X.copy(), dx, dy))
        check_array(f"shift_images on a hidden batch of {n} image(s) with dx={dx}, dy={dy}", got,
                    regularization.shift_images(X, dx, dy),
                    hint="out[n, r, c] = X[n, r - dy, c - dx], zero where that is outside the image.")
        check_true(got.dtype == np.float32 or np.asarray(shift_images(X.copy(), dx, dy)).dtype == np.float32,
                   "shift_images must keep the dtype of X (float32 here).")
    # noise
    rng = rng_for("augment", 50)
    X = rng.uniform(0.3, 0.7, (50, 784)).astype(np.float32)
    out = as_plain_array("add_noise(X, 0.05, rng)", add_noise(X.copy(), 0.05, np.random.default_rng(3)))
    check_shape("add_noise(X, 0.05, rng)", out, X.shape)
    check_true(np.asarray(add_noise(X.copy(), 0.05, np.random.default_rng(3))).dtype == np.float32,
               "add_noise must keep the dtype of X (float32 here).")
    diff = out.astype(np.float64) - X
    check_scalar("the standard deviation of the added noise (std=0.05)", diff.std(), 0.05, rtol=0.03,
                 hint="add std * rng.standard_normal(X.shape): additive Gaussian noise with that standard deviation.")
    check_scalar("the mean of the added noise", diff.mean(), 0.0, atol=0.002, hint="the noise must have zero mean.")
    # Gaussian, not just the right mean and std: Kolmogorov-Smirnov on 39,200 draws (no pixel is
    # clipped: X lies 6 standard deviations inside [0, 1]); a correct draw fails with p < 1e-6 only
    p_normal = stats.kstest(diff.ravel() / 0.05, "norm").pvalue
    check_true(p_normal > 1e-6, f"the added noise is not normally distributed (Kolmogorov-Smirnov p = "
                                f"{p_normal:.1e}): draw it with rng.standard_normal, times std.")
    again = as_plain_array("add_noise", add_noise(X.copy(), 0.05, np.random.default_rng(3)))
    check_true(bool(np.array_equal(again, out)),
               "two calls with identically seeded generators gave different noise: draw it from the rng argument.")
    wide = as_plain_array("add_noise", add_noise(X.copy(), 2.0, np.random.default_rng(4)))
    check_true(bool(np.all((wide >= 0) & (wide <= 1))), "add_noise must clip the result to [0, 1].")
    at_0, at_1 = np.mean(wide == 0), np.mean(wide == 1)
    check_true(0.3 < at_0 < 0.45 and 0.3 < at_1 < 0.45,
               f"with std=2, {at_0:.0%} of the pixels were clipped to exactly 0 and {at_1:.0%} to "
               "exactly 1; expected 30% to 45% each for clip(X + std * noise, 0, 1).")
    small = np.full((2, 3), 0.5)
    check_array("add_noise with std=0", add_noise(small.copy(), 0.0, np.random.default_rng(0)), small)


# ---------------------------------------------------------------- hyperparameter search
def check_log_uniform(log_uniform):
    """Bounds, shape, log-uniform distribution (Kolmogorov-Smirnov distance) and use of rng."""
    for case, (low, high) in enumerate([(1e-5, 1e-1), (0.5, 2.0), (1e-3, 1e3)]):
        got = as_plain_array("samples", log_uniform(low, high, 5000, np.random.default_rng(case)))
        check_shape(f"log_uniform({low}, {high}, 5000, rng)", got, (5000,))
        check_true(bool(np.all((got >= low) & (got <= high))),
                   f"samples of log_uniform({low}, {high}, ...) fall outside [low, high] (range {got.min():.3g} to "
                   f"{got.max():.3g}).")
        u = np.sort((np.log(got) - np.log(low)) / (np.log(high) - np.log(low)))
        ks = np.max(np.abs(u - (np.arange(1, u.size + 1) - 0.5) / u.size))
        check_true(ks < 0.03, f"the logarithms of the samples of log_uniform({low}, {high}, ...) are not uniform "
                              f"(Kolmogorov-Smirnov distance {ks:.3f}): sample u uniformly between log(low) and "
                              "log(high) and return exp(u).")
        again = as_plain_array("samples", log_uniform(low, high, 5000, np.random.default_rng(case)))
        check_true(bool(np.array_equal(again, got)),
                   "two calls with identically seeded generators gave different samples: use the rng argument.")
    check_shape("log_uniform(1e-4, 1.0, (2, 3), rng)", log_uniform(1e-4, 1.0, (2, 3), np.random.default_rng(9)), (2, 3))
    check_shape("log_uniform(1e-4, 1.0, 1, rng)", log_uniform(1e-4, 1.0, 1, np.random.default_rng(9)), (1,))


# ---------------------------------------------------------------- catalogued bugs
BUGS = [
    # preprocessing
    Bug("std_ddof_1", "standardize", "std = X.std(axis=0)", "std = X.std(axis=0, ddof=1)",
        "The standard deviation divides by N - 1 (ddof=1); use the population std over the training set, "
        "dividing by N (numpy's default)."),
    Bug("stats_over_features", "standardize", "mean = X.mean(axis=0)", "mean = X.mean(axis=1)",
        "The mean is taken over the features of each example (axis=1); statistics are per feature, over the examples (axis=0)."),
    Bug("no_constant_feature_guard", "standardize", "    std = np.where(std < 1e-8, 1.0, std)\n", "",
        "A feature that is constant on the training set has std 0: dividing by it gives NaN. Use std 1 there."),
    Bug("standardize_with_own_statistics", "standardize", "return (X - mean) / std",
        "return (X - X.mean(axis=0)) / np.where(X.std(axis=0) < 1e-8, 1.0, X.std(axis=0))",
        "standardize recomputes statistics from the data it is given; validation and test data must use the "
        "training statistics passed as mean and std."),
    # PCA whitening
    Bug("pca_variance_not_divided_by_n", "pca_whitening", "S[:k] ** 2 / X.shape[0]", "S[:k] ** 2",
        "The variances along the principal directions are s**2 / N, not s**2."),
    Bug("pca_singular_values_as_variances", "pca_whitening", "S[:k] ** 2 / X.shape[0]", "S[:k]",
        "Singular values are not variances: the variance along direction k is s_k**2 / N."),
    Bug("pca_not_centered", "pca_whitening", "np.linalg.svd(X - mean, full_matrices=False)",
        "np.linalg.svd(X, full_matrices=False)",
        "The SVD must be taken of the centered data X - mean; otherwise the first direction points at the mean."),
    Bug("whiten_not_centered", "pca_whitening", "return (X - mean) @ components.T / np.sqrt(variances + eps)",
        "return X @ components.T / np.sqrt(variances + eps)",
        "Subtract the training mean before projecting onto the principal directions."),
    Bug("whiten_without_eps", "pca_whitening", "np.sqrt(variances + eps)", "np.sqrt(variances)",
        "Without eps, directions of (almost) zero variance are divided by ~0 and blow up: add eps to the "
        "variances before the square root, sqrt(variances + eps)."),
    Bug("whiten_components_not_transposed", "pca_whitening", "(X - mean) @ components.T", "(X - mean) @ components",
        "components holds the directions as rows (k, D): project with (X - mean) @ components.T."),
    # early stopping
    Bug("early_stopping_ties_improve", "early_stopping", "if val_metric > self.best_value + self.min_delta:",
        "if val_metric >= self.best_value + self.min_delta:",
        "A tie is not an improvement: use >, otherwise a flat validation curve never stops training."),
    Bug("early_stopping_no_copy", "early_stopping",
        "self.best_params = {name: value.copy() for name, value in params.items()}", "self.best_params = params",
        "best_params holds references to the live arrays, which the training loop keeps changing: store copies."),
    Bug("early_stopping_wait_not_reset", "early_stopping", "            self.wait = 0\n", "",
        "The counter of epochs without improvement must restart at 0 after every improvement."),
    Bug("early_stopping_off_by_one", "early_stopping", "return self.wait >= self.patience",
        "return self.wait > self.patience",
        "Stop once `patience` epochs in a row brought no improvement (wait >= patience), not one epoch later."),
    Bug("early_stopping_ignores_min_delta", "early_stopping",
        "if val_metric > self.best_value + self.min_delta:", "if val_metric > self.best_value:",
        "An epoch improves only if it beats the best value by more than min_delta."),
    # penalties
    Bug("l2_gradient_twice", "penalties", ", lam * W\n", ", 2 * lam * W\n",
        "The gradient of 0.5 * lam * w**2 is lam * w: the 0.5 cancels the 2."),
    Bug("l2_penalty_without_half", "penalties", "0.5 * lam * float(np.sum(W * W))", "lam * float(np.sum(W * W))",
        "The L2 penalty is 0.5 * lam * sum(W**2) (the convention whose gradient is lam * W)."),
    Bug("l1_gradient_is_w", "penalties", "lam * np.sign(W)", "lam * W",
        "The (sub)gradient of lam * |w| is lam * sign(w), of the same size for every nonzero weight."),
    Bug("l1_penalty_without_abs", "penalties", "lam * float(np.sum(np.abs(W)))", "lam * float(np.sum(W))",
        "The L1 penalty sums absolute values: positive and negative weights must not cancel."),
    # elastic net
    Bug("elastic_net_l2_half_missing", "elastic_net",
        "l2 = 0.5 * float(np.sum(W * W))", "l2 = float(np.sum(W * W))",
        "The 1/2 of the L2 part is missing from the penalty: (1 - alpha) / 2 * sum(W**2)."),
    Bug("elastic_net_abs_for_sign", "elastic_net",
        "alpha * np.sign(W)", "alpha * np.abs(W)",
        "The derivative of |w| is sign(w) (0 at w = 0), not |w|."),
    Bug("elastic_net_shares_swapped", "elastic_net",
        "dW = lam * (alpha * np.sign(W) + (1.0 - alpha) * W)",
        "dW = lam * ((1.0 - alpha) * np.sign(W) + alpha * W)",
        "The shares are swapped in the gradient: alpha belongs to the L1 part, sign(W), and 1 - alpha to the L2 part, W."),
    Bug("elastic_net_l2_gradient_doubled", "elastic_net",
        "(1.0 - alpha) * W)", "2 * (1.0 - alpha) * W)",
        "The 1/2 in front of sum(W**2) cancels the 2 of the derivative: the L2 part's gradient is (1 - alpha) * W."),
    Bug("elastic_net_gradient_without_lam", "elastic_net",
        "dW = lam * (", "dW = (",
        "The gradient is missing the strength lam that multiplies the whole penalty."),
    # dropout
    Bug("dropout_no_rescale", "dropout", "mask = (rng.random(x.shape) < keep_prob) / keep_prob",
        "mask = (rng.random(x.shape) < keep_prob) * 1.0",
        "Inverted dropout divides the kept units by keep_prob; without it the training activations are too small "
        "on average and the test pass (which does nothing) no longer matches."),
    Bug("dropout_p_is_drop_probability", "dropout", "mask = (rng.random(x.shape) < keep_prob) / keep_prob",
        "mask = (rng.random(x.shape) < 1 - keep_prob) / (1 - keep_prob)",
        "keep_prob is the probability of KEEPING a unit; you dropped units with probability keep_prob."),
    Bug("dropout_scaled_at_test", "dropout", "return x, (None, mode)", "return x * keep_prob, (None, mode)",
        "That is vanilla dropout's test-time scaling; inverted dropout already scaled during training, so test mode returns x."),
    Bug("dropout_backward_no_mask", "dropout", "return dout * mask", "return dout",
        "The backward pass must reuse the forward mask: dropped units get no gradient."),
    Bug("dropout_backward_unscaled", "dropout", "return dout * mask", "return dout * (mask > 0)",
        "The forward pass multiplied by mask (0 or 1/keep_prob); the backward pass multiplies by the same "
        "values: the mask in the cache already holds 1 / keep_prob, so dx = dout * mask."),
    # drop-connect
    Bug("dropconnect_dW_not_masked", "dropconnect", "dW = dW * mask", "dW = dW",
        "A dropped weight took no part in the forward pass: multiply dW by the mask (which also carries 1/keep_prob)."),
    Bug("dropconnect_p_is_drop_probability", "dropconnect",
        "mask = ((rng.random(W.shape) < keep_prob) / keep_prob).astype(W.dtype)",
        "mask = ((rng.random(W.shape) < 1 - keep_prob) / (1 - keep_prob)).astype(W.dtype)",
        "keep_prob is the probability of KEEPING a weight; you dropped weights with probability keep_prob."),
    Bug("dropconnect_no_rescale", "dropconnect",
        "mask = ((rng.random(W.shape) < keep_prob) / keep_prob).astype(W.dtype)",
        "mask = (rng.random(W.shape) < keep_prob).astype(W.dtype)",
        "Kept weights must be scaled by 1 / keep_prob so that the test pass can use W unchanged."),
    Bug("dropconnect_db_mean", "dropconnect", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)",
        "db sums dout over the batch (the loss is already averaged over the batch)."),
    Bug("dropconnect_cache_full_W", "dropconnect", "return x @ W_used + b, (x, W_used, mask, mode)",
        "return x @ W_used + b, (x, W, mask, mode)",
        "Cache the weights actually used (W * mask): dx = dout @ W_used.T."),
    # Gaussian dropout
    Bug("gaussian_dropout_variance_as_std", "gaussian_dropout",
        "sigma = np.sqrt((1.0 - keep_prob) / keep_prob)", "sigma = (1.0 - keep_prob) / keep_prob",
        "(1 - p) / p is the variance of m / p; the noise's standard deviation is its square root."),
    Bug("gaussian_dropout_bernoulli_variance", "gaussian_dropout",
        "sigma = np.sqrt((1.0 - keep_prob) / keep_prob)", "sigma = np.sqrt(keep_prob * (1.0 - keep_prob))",
        "p (1 - p) is the variance of the mask m; inverted dropout multiplies by m / p, whose variance is "
        "(1 - p) / p."),
    Bug("gaussian_dropout_zero_mean", "gaussian_dropout",
        "mask = (1.0 + sigma * rng.standard_normal(x.shape))", "mask = (sigma * rng.standard_normal(x.shape))",
        "The factors must have mean 1, like m / p: 1 + sigma * z, not sigma * z."),
    Bug("gaussian_dropout_backward_divides", "gaussian_dropout",
        "return dout * mask", "return dout / mask",
        "out = x * mask, so dx = dout * mask: the gradient is multiplied by the same factors, not divided."),
    Bug("gaussian_dropout_test_scaled", "gaussian_dropout",
        "return x, (None, mode)", "return x * keep_prob, (None, mode)",
        "The factors already have mean 1, so test mode uses x unchanged (no factor p)."),
    # batch norm forward
    Bug("bn_variance_n_minus_1", "batchnorm_forward", "var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)",
        "Batch norm uses the batch's own variance, dividing by N (x.var(axis=0)), not N - 1."),
    Bug("bn_running_stats_in_training", "batchnorm_forward",
        "mean = x.mean(axis=0)\n        var = x.var(axis=0)", "mean, var = running_mean, running_var",
        "In train mode normalize with the statistics of the current batch; the running averages are for test mode."),
    Bug("bn_running_averages_never_updated", "batchnorm_forward",
        'bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean\n'
        '        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var', "pass",
        "Train mode must update bn_param['running_mean'] and ['running_var']; otherwise test mode uses zeros and ones."),
    Bug("bn_momentum_swapped", "batchnorm_forward",
        "momentum * running_mean + (1 - momentum) * mean", "(1 - momentum) * running_mean + momentum * mean",
        "momentum weighs the old running average: running = momentum * running + (1 - momentum) * batch statistic."),
    Bug("bn_test_uses_batch_statistics", "batchnorm_forward", "mean, var = running_mean, running_var",
        "mean, var = x.mean(axis=0), x.var(axis=0)",
        "In test mode normalize with the running averages: the prediction must not depend on the rest of the batch."),
    Bug("bn_eps_outside_sqrt", "batchnorm_forward", "inv_std = 1.0 / np.sqrt(var + eps)",
        "inv_std = 1.0 / (np.sqrt(var) + eps)", "eps belongs inside the square root: 1 / sqrt(var + eps)."),
    Bug("bn_no_scale_shift", "batchnorm_forward", "return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)",
        "return x_hat, (x_hat, gamma, inv_std, mode)",
        "The output is gamma * x_hat + beta: the learned scale and shift are missing."),
    # batch norm backward
    Bug("bn_dgamma_not_summed", "batchnorm_backward", "dgamma = (dout * x_hat).sum(axis=0)", "dgamma = dout * x_hat",
        "gamma is shared by all examples: sum dout * x_hat over the batch (axis=0)."),
    Bug("bn_dbeta_mean", "batchnorm_backward", "dbeta = dout.sum(axis=0)", "dbeta = dout.mean(axis=0)",
        "dbeta sums dout over the batch; averaging divides it (and dx) by N."),
    Bug("bn_backward_statistics_constant", "batchnorm_backward",
        "dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)", "dx = gamma * inv_std * dout",
        "gamma * inv_std * dout treats the batch mean and variance as constants (that is the test-mode "
        "gradient); in train mode they depend on x: dx needs the - sum(dout) and "
        "- x_hat * sum(dout * x_hat) terms."),
    Bug("bn_backward_missing_variance_term", "batchnorm_backward",
        "(N * dout - dbeta - x_hat * dgamma)", "(N * dout - dbeta)",
        "The term - x_hat * sum(dout * x_hat), from the dependence of the variance on x, is missing."),
    Bug("bn_backward_missing_1_over_N", "batchnorm_backward", "(gamma * inv_std / N)", "(gamma * inv_std)",
        "dx is N times too large: the factor is gamma * inv_std / N."),
    # augmentation
    Bug("shift_wraps_around", "augment", "out[:, rows_out, cols_out] = images[:, rows_in, cols_in]",
        "out[:] = np.roll(np.roll(images, dy, axis=1), dx, axis=2)",
        "np.roll wraps pixels that leave one side back in on the other; the uncovered border must be zero."),
    Bug("shift_dx_dy_swapped", "augment", "images = X.reshape(-1, 28, 28)",
        "images = X.reshape(-1, 28, 28)\n    dx, dy = dy, dx",
        "dx moves along the columns (to the right) and dy along the rows (down)."),
    Bug("shift_wrong_direction", "augment", "images = X.reshape(-1, 28, 28)",
        "images = X.reshape(-1, 28, 28)\n    dx, dy = -dx, -dy",
        "Positive dx moves the image to the right and positive dy moves it down: out[r, c] = X[r - dy, c - dx]."),
    Bug("noise_not_clipped", "augment", "return np.clip(noisy, 0.0, 1.0).astype(X.dtype)",
        "return noisy.astype(X.dtype)", "Clip the noisy pixels back to the valid range [0, 1]."),
    Bug("noise_std_ignored", "augment", "noisy = X + std * rng.standard_normal(X.shape)",
        "noisy = X + rng.standard_normal(X.shape)", "Scale the standard normal noise by std."),
    Bug("noise_global_random_state", "augment", "rng.standard_normal(X.shape)", "np.random.standard_normal(X.shape)",
        "Draw the noise from the rng argument, so that a seeded generator gives reproducible augmentation."),
    # log-uniform sampling
    Bug("log_uniform_linear", "log_uniform", "np.exp(rng.uniform(np.log(low), np.log(high), size=size))",
        "rng.uniform(low, high, size=size)",
        "Uniform on a linear scale puts almost all samples in the top decade; sample the logarithm uniformly."),
    Bug("log_uniform_mixed_bases", "log_uniform", "np.exp(rng.uniform(np.log(low), np.log(high), size=size))",
        "10 ** rng.uniform(np.log(low), np.log(high), size=size)",
        "Natural log and base 10 are mixed: exponentiate with the base you took the logarithm in."),
    Bug("log_uniform_exp_of_bounds", "log_uniform", "np.exp(rng.uniform(np.log(low), np.log(high), size=size))",
        "np.exp(rng.uniform(low, high, size=size))",
        "Take the logarithm of the bounds before sampling: u ~ U(log low, log high), then exp(u)."),
    Bug("log_uniform_global_random_state", "log_uniform", "rng.uniform(", "np.random.uniform(",
        "Use the rng argument so that the search is reproducible."),
    # ---- written from the student notebooks and docstrings alone by an outside tester
    # (issue 14); the comment above each names the input on which it differs
    # witness: X=[[1.0],[1.0+1e-12]] -> ref std 1, bug std 5e-13
    Bug("std_exact_zero_only_b", "standardize",
        "std = np.where(std < 1e-8, 1.0, std)", "std = np.where(std == 0, 1.0, std)",
        "Replaces only exactly-zero standard deviations, not those below 1e-8."),
    # witness: X=[[0,0],[2,0],[0,1]] -> variances differ by N/(N-1)
    Bug("pca_var_ddof1", "pca_whitening",
        "S[:k] ** 2 / X.shape[0]", "S[:k] ** 2 / (X.shape[0] - 1)",
        "Divides the squared singular values by N - 1 instead of N."),
    # witness: X=default_rng(0).normal(size=(6,3))*[3,2,1] -> bug components are columns of V^T, not rows
    Bug("pca_columns_not_rows", "pca_whitening",
        "return mean, Vt[:k], S[:k]", "return mean, Vt[:, :k].T, S[:k]",
        "Takes the first k columns of V^T (transposed) instead of its first k rows as the directions."),
    # witness: X=[[5.,5.]], mean=[5,5] -> ref 0, bug nonzero
    Bug("whiten_no_centering", "pca_whitening",
        "(X - mean) @ components.T", "X @ components.T",
        "Projects X without subtracting the training mean."),
    # witness: params dict whose array is later modified in place -> bug best_params changes too
    Bug("es_shallow_copy", "early_stopping",
        "self.best_params = {name: value.copy() for name, value in params.items()}",
        "self.best_params = dict(params)",
        "Copies the dict but not the arrays, so in-place parameter updates overwrite the saved best weights."),
    # witness: min_delta=0.1, metrics 1.0, 1.05 -> ref wait=1, bug wait=0 (counted as improvement)
    Bug("es_ignores_min_delta", "early_stopping",
        "val_metric > self.best_value + self.min_delta", "val_metric > self.best_value",
        "Ignores min_delta when deciding whether an epoch improved."),
    # witness: metric -0.5 on the first step -> ref best_value -0.5 and best_epoch 0, bug stays 0.0/None
    Bug("es_best_init_zero", "early_stopping",
        "self.best_value = -np.inf", "self.best_value = 0.0",
        "Starts best_value at 0 instead of -inf, so negative metrics never count as an improvement."),
    # witness: W=[[0., 1.]] -> ref grad [0, lam], bug [nan, lam]
    Bug("l1_sign_by_division", "penalties",
        "lam * np.sign(W)", "lam * W / np.abs(W)",
        "Computes sign(W) as W/|W|, which is NaN at W == 0 instead of 0."),
    # witness: keep_prob=0.8, x=ones((100,100)) -> ref keeps ~80%, bug ~20%
    Bug("dropout_keep_drop_confused", "dropout",
        "(rng.random(x.shape) < keep_prob)", "(rng.random(x.shape) > keep_prob)",
        "Keeps a unit with probability 1 - keep_prob (treats keep_prob as the drop probability)."),
    # witness: x float32 -> ref out float32, bug float64
    Bug("dropout_float64", "dropout",
        "    mask = mask.astype(x.dtype)\n", "",
        "Leaves the mask in float64, so float32 activations come back as float64."),
    # witness: same rng seed -> masks differ (global np.random used)
    Bug("dropout_global_random", "dropout",
        "rng.random(x.shape)", "np.random.random(x.shape)",
        "Draws the dropout mask from the global np.random instead of the rng argument."),
    # witness: train mode, keep_prob=0.5 -> ref dW zero at dropped weights, bug not
    Bug("dropconnect_dw_unmasked", "dropconnect",
        "    if mode == \"train\":\n        dW = dW * mask\n", "",
        "Does not mask dW, so dropped weights still receive gradient."),
    # witness: keep_prob=0.5 -> ref mask entries in {0, 2}, bug {0, 1}
    Bug("dropconnect_no_rescale_b", "dropconnect",
        "((rng.random(W.shape) < keep_prob) / keep_prob).astype(W.dtype)",
        "(rng.random(W.shape) < keep_prob).astype(W.dtype)",
        "Forgets to rescale kept weights by 1 / keep_prob."),
    # witness: bn_param={"mode": "train"} -> ref stores running_mean/var, bug leaves the dict without them
    Bug("bn_running_not_stored", "batchnorm_forward",
        "        bn_param[\"running_mean\"] = momentum * running_mean + (1 - momentum) * mean\n"
        "        bn_param[\"running_var\"] = momentum * running_var + (1 - momentum) * var\n",
        "        running_mean *= momentum\n        running_mean += (1 - momentum) * mean\n"
        "        running_var *= momentum\n        running_var += (1 - momentum) * var\n",
        "Updates the running arrays in place but never stores them, so defaults created on the first call are lost."),
    # witness: test-mode cache -> ref dx = gamma*inv_std*dout, bug uses the train formula
    Bug("bnb_ignores_test_mode", "batchnorm_backward",
        "    if mode == \"test\":\n        return gamma * inv_std * dout, dgamma, dbeta\n", "",
        "Always uses the train-mode backward formula, also for a test-mode cache."),
    # witness: gamma=[2.,3.] -> dx off by a factor gamma
    Bug("bnb_forgets_gamma", "batchnorm_backward",
        "(gamma * inv_std / N)", "(inv_std / N)",
        "Forgets to multiply dx by gamma (invisible while gamma is all ones)."),
    # witness: dx=1, dy=0 on a random image -> bug shifts down instead of right
    Bug("shift_axes_swapped", "augment",
        "out[:, rows_out, cols_out] = images[:, rows_in, cols_in]",
        "out[:, cols_out, rows_out] = images[:, cols_in, rows_in]",
        "Swaps the row and column axes, so dx shifts vertically and dy horizontally."),
    # witness: dx=1 on an image with a bright last column -> bug wraps it to column 0 instead of zero-fill
    Bug("shift_roll_wraps", "augment",
        "out[:, rows_out, cols_out] = images[:, rows_in, cols_in]",
        "out = np.roll(np.roll(images, dy, axis=1), dx, axis=2)",
        "Uses np.roll, which wraps pixels around the border instead of filling with zeros."),
    # witness: X float32 -> ref float32, bug float64
    Bug("shift_float64", "augment",
        "out = np.zeros_like(images)", "out = np.zeros(images.shape)",
        "Allocates the output as float64, not the dtype of X."),
    # witness: X float32 -> ref float32, bug float64
    Bug("noise_float64", "augment",
        "np.clip(noisy, 0.0, 1.0).astype(X.dtype)", "np.clip(noisy, 0.0, 1.0)",
        "Returns float64 noisy images for float32 input instead of keeping X's dtype."),
    # witness: std=1, X=0.5*ones(10000) -> bug |noise| bounded by sqrt(3)*std (no Gaussian tails); fraction clipped differs
    Bug("noise_uniform", "augment",
        "std * rng.standard_normal(X.shape)", "std * np.sqrt(3.0) * rng.uniform(-1.0, 1.0, X.shape)",
        "Adds uniform noise with the right standard deviation instead of Gaussian noise."),
]


# ---------------------------------------------------------------- the registry
EXERCISES = [
    Exercise("test_standardize", points=4, check=check_standardize,
             functions=('fit_standardizer', 'standardize'),
             references=('course.regularization.fit_standardizer', 'course.regularization.standardize')),
    Exercise("test_pca_whitening", points=6, check=check_pca_whitening,
             functions=('fit_pca_whitening', 'pca_whiten'),
             references=('course.regularization.PCAWhitener',)),
    Exercise("test_early_stopping", points=5, check=check_early_stopping,
             adapter=_early_stopping_runner,
             functions=('EarlyStopping',),
             references=('course.regularization.EarlyStopping',)),
    Exercise("test_penalties", points=4, check=check_penalties,
             functions=('l2_penalty', 'l1_penalty'),
             references=('course.regularization.l2_penalty', 'course.regularization.l1_penalty')),
    Exercise("test_elastic_net", points=4, check=check_elastic_net,
             functions=('elastic_net_penalty',),
             references=('course.regularization.elastic_net_penalty',)),
    Exercise("test_dropout", points=6, check=check_dropout,
             functions=('dropout_forward', 'dropout_backward'),
             references=('course.layers.dropout_forward', 'course.layers.dropout_backward')),
    Exercise("test_dropconnect", points=6, check=check_dropconnect,
             functions=('dropconnect_forward', 'dropconnect_backward'),
             references=('course.layers.dropconnect_forward', 'course.layers.dropconnect_backward')),
    Exercise("test_gaussian_dropout", points=6, check=check_gaussian_dropout,
             functions=('gaussian_dropout_forward', 'gaussian_dropout_backward'),
             references=('course.layers.gaussian_dropout_forward', 'course.layers.gaussian_dropout_backward')),
    Exercise("test_batchnorm_forward", points=7, check=check_batchnorm_forward,
             functions=('batchnorm_forward',),
             references=('course.layers.batchnorm_forward',)),
    Exercise("test_batchnorm_backward", points=7, check=check_batchnorm_backward,
             functions=('batchnorm_backward',),
             references=('course.layers.batchnorm_backward',)),
    Exercise("test_augment", points=3, check=check_augment,
             functions=('shift_images', 'add_noise'),
             references=('course.regularization.shift_images', 'course.regularization.add_noise')),
    Exercise("test_log_uniform", points=2, check=check_log_uniform,
             functions=('log_uniform',),
             references=('course.regularization.log_uniform',)),
]

