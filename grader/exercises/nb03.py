"""Hidden tests for notebook 03 (backpropagation and L-layer networks).

One ``check_<exercise id>`` per graded exercise. Each compares the student's functions with
the references in ``course/`` on inputs drawn from ``rng_for`` (never shown in a message):
several shapes including a batch of one and non-square matrices, values that expose scale
and sign errors, and numerical gradients in float64. Later exercises are graded with the
earlier ones replaced by the references (``with_reference_globals``).
Checks run in the grader's process; the student's functions reach them as proxies
(``grader.trusted``) that call into the kernel.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from course import activations, graph, init, layers, network
from course.checks import check_scalar, check_shape, check_true
from course.gradcheck import numerical_gradient, numerical_gradient_array, relative_error
from grader.exercises.common import check_array, copies, rng_for, with_reference_globals
from grader.registry import Bug, Exercise

#: (N, H) shapes of the hidden activation inputs: a batch of one, tall and wide.
ACT_SHAPES = [(1, 5), (6, 3), (3, 8)]


def _pair(result, what):
    """Unpack a (value, cache) pair with a clear message when the function returns something else."""
    check_true(isinstance(result, tuple) and len(result) == 2,
               f"{what} must return a tuple (a, cache).")
    return result


def _check_activation(name, fwd, bwd, *, alphas=(None,), extreme=50.0):
    """Shared hidden tests of one activation pair against course.activations."""
    ref_fwd = getattr(activations, f"{name}_forward")
    ref_bwd = getattr(activations, f"{name}_backward")
    case = 0
    for alpha in alphas:
        kw = {} if alpha is None else {"alpha": alpha}
        label = "" if alpha is None else f" with alpha={alpha}"
        for n, h in ACT_SHAPES:
            rng = rng_for(name, case)
            case += 1
            z = rng.normal(0.0, 3.0, size=(n, h))
            z[np.abs(z) < 1e-3] += 0.01          # stay away from the kink at 0
            z.flat[0] = extreme if case % 2 else -extreme
            where = f"on a hidden input of shape {(n, h)}{label}"
            a, cache = _pair(fwd(*copies(z), **kw), f"{name}_forward")
            ref_a, ref_cache = ref_fwd(z, **kw)
            check_array(f"a {where}", a, ref_a, rtol=1e-7, atol=1e-12,
                        hint=f"compare your {name}_forward with the formula in the table of section 3.")
            da = rng.normal(0.0, 1.0, size=(n, h))
            dz = bwd(*copies(da), cache)
            ref_dz = ref_bwd(da, ref_cache)
            check_array(f"dz {where}", dz, ref_dz, rtol=1e-7, atol=1e-12,
                        hint=f"dz = da * f'(z) for {name}, element-wise.")
            # numerical check where f is not flat: at |z| = 8 tanh' is 5e-7, and the rounding error
            # of the difference quotient alone is then about 1e-6 of it, the threshold below
            zc = np.clip(z, -4.0, 4.0)
            a_c, cache_c = _pair(fwd(*copies(zc), **kw), f"{name}_forward")
            num = numerical_gradient_array(lambda v: ref_fwd(v, **kw)[0], zc.copy(), da)
            err = relative_error(np.asarray(bwd(da.copy(), cache_c), dtype=float), num)
            check_true(err < 1e-6, f"dz {where} disagrees with the numerical derivative of the "
                                   f"activation (relative error {err:.1e}).")
    big = np.array([[-1000.0, -30.0, 0.5, 30.0, 1000.0]])
    kw = {} if alphas[0] is None else {"alpha": alphas[0]}
    with np.errstate(all="ignore"):
        a, cache = _pair(fwd(big.copy(), **kw), f"{name}_forward")
        check_array("a for inputs of size 1000", a, ref_fwd(big, **kw)[0], rtol=1e-7, atol=1e-12,
                    hint="the result must stay finite for |z| = 1000.")
        check_array("dz for inputs of size 1000", bwd(np.ones_like(big), cache),
                    ref_bwd(np.ones_like(big), ref_fwd(big, **kw)[1]), rtol=1e-7, atol=1e-12)


def check_sigmoid(sigmoid_forward, sigmoid_backward):
    """Hidden tests for the sigmoid pair."""
    _check_activation("sigmoid", sigmoid_forward, sigmoid_backward)


def check_tanh(tanh_forward, tanh_backward):
    """Hidden tests for the tanh pair."""
    _check_activation("tanh", tanh_forward, tanh_backward)


def check_relu(relu_forward, relu_backward):
    """Hidden tests for the ReLU pair, including the derivative 0 at z = 0."""
    _check_activation("relu", relu_forward, relu_backward)
    z = np.array([[0.0, -0.0, 2.0, -3.0]])
    _, cache = _pair(relu_forward(z.copy()), "relu_forward")
    check_array("dz at z = 0", relu_backward(np.full((1, 4), 5.0), cache), [[0.0, 0.0, 5.0, 0.0]],
                hint="the derivative of ReLU at exactly 0 is taken as 0: use z > 0.")


def check_leaky_relu(leaky_relu_forward, leaky_relu_backward):
    """Hidden tests for the leaky ReLU pair with the default and other slopes."""
    _check_activation("leaky_relu", leaky_relu_forward, leaky_relu_backward,
                      alphas=(None, 0.3, 0.05, 2.0))   # any float slope, also above 1
    _check_at_zero("leaky_relu", leaky_relu_forward, leaky_relu_backward, 0.3)


def check_elu(elu_forward, elu_backward):
    """Hidden tests for the ELU pair with the default and other alphas."""
    _check_activation("elu", elu_forward, elu_backward, alphas=(None, 0.4, 2.5))
    _check_at_zero("elu", elu_forward, elu_backward, 2.5)


def _check_at_zero(name, fwd, bwd, alpha):
    """The derivative at exactly z = 0 is the z <= 0 branch's, as the docstrings say."""
    z = np.array([[0.0, -0.0, 1.5, -2.0]])
    _, cache = _pair(fwd(z.copy(), alpha=alpha), f"{name}_forward")
    ref_fwd = getattr(activations, f"{name}_forward")
    ref_bwd = getattr(activations, f"{name}_backward")
    check_array(f"dz at z = 0 with alpha={alpha}", bwd(np.full((1, 4), 3.0), cache),
                ref_bwd(np.full((1, 4), 3.0), ref_fwd(z, alpha=alpha)[1]), rtol=1e-12,
                hint="at exactly z = 0 use the slope of the z <= 0 side (the test is z > 0).")


def check_j_forward_backward(j_forward_backward):
    """Hidden tests for ``j_forward_backward(x) -> (J, dJ/dx)`` against course.graph.example_j."""
    rng = rng_for("j_forward_backward")
    points = [0.0, 1.0, -0.7] + list(rng.uniform(-2.5, 2.5, size=5))
    for x in points:
        result = j_forward_backward(float(x))
        check_true(isinstance(result, tuple) and len(result) == 2,
                   "j_forward_backward must return a tuple (J, dJ_dx).")
        J, dJ = result
        ref_J, ref_dJ = graph.example_j(float(x))
        check_scalar("J at a hidden point", J, ref_J, rtol=1e-9, atol=1e-12,
                     hint="J = cos(sin(x^2) + 3 x^2).")
        check_scalar("dJ/dx at a hidden point", dJ, ref_dJ, rtol=1e-8, atol=1e-10,
                     hint="go backward through J, u, u1 and u2, t, x, multiplying upstream by "
                          "local derivatives.")
    x = 0.9
    num = (np.cos(np.sin((x + 1e-6) ** 2) + 3 * (x + 1e-6) ** 2)
           - np.cos(np.sin((x - 1e-6) ** 2) + 3 * (x - 1e-6) ** 2)) / 2e-6
    check_scalar("dJ/dx against a numerical derivative", j_forward_backward(x)[1], num, rtol=1e-6)


def check_numerical_gradient(numerical_gradient):
    """Hidden tests for ``numerical_gradient(f, x, h)``: accuracy, restoring x, h, closures."""
    from course.gradcheck import numerical_gradient as reference
    for case, shape in enumerate([(1,), (4,), (2, 3), (3, 1, 2)]):
        rng = rng_for("numerical_gradient", case)
        x = rng.uniform(-1.5, 1.5, size=shape)
        A = rng.normal(size=(x.size, x.size))
        f = lambda v, A=A: float(np.sum(np.exp(1.5 * v)) + np.sum(np.sin(A @ v.ravel())) + np.sum(v) ** 2)
        x_in = x.copy()
        got = numerical_gradient(f, x_in)
        expected = reference(f, x.copy())
        where = f"on a hidden function of an array of shape {shape}"
        check_array(f"gradient {where}", got, expected, rtol=1e-7, atol=1e-9,
                    hint="(f(x + h e_i) - f(x - h e_i)) / (2h), one entry at a time.")
        check_true(bool(np.allclose(x_in, x, rtol=0, atol=1e-12)),
                   f"x was not restored {where}: set every entry back to its old value after "
                   "perturbing it.")
    x = np.array([[0.5, -1.0], [2.0, 0.25], [-0.3, 1.2]])
    got = numerical_gradient(lambda v: float(np.sum(v ** 3)), x.copy(), h=0.05)
    check_array("gradient of a hidden cubic with h = 0.05", got, 3 * x ** 2 + 0.05 ** 2, rtol=1e-9,
                hint="use the step h passed to the function, and the centered difference.")
    W = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 4.0]])
    got = numerical_gradient(lambda _: float(np.sum(W ** 2)), W)
    check_array("gradient of a function that reads x through a closure", got, 2 * np.array(
        [[1.0, -2.0, 0.5], [0.3, 0.0, 4.0]]), rtol=1e-7, atol=1e-9,
        hint="perturb x itself, in place (not a copy): f may read the array directly, as a "
             "model reads its parameters.")


def check_relative_error(relative_error):
    """Hidden tests for ``relative_error(a, b) -> float``."""
    from course.gradcheck import relative_error as reference
    for case, shape in enumerate([(1,), (5,), (3, 4), (2, 2, 3)]):
        rng = rng_for("relative_error", case)
        a = rng.normal(0.0, 10.0 ** case, size=shape)
        b = a * (1 + rng.normal(0.0, 1e-3, size=shape))
        flat_a, flat_b = a.reshape(-1), b.reshape(-1)
        flat_b[0] = -flat_a[0] * 0.5                       # one entry of opposite sign
        if a.size > 2:
            flat_a[1] = flat_b[1] = 0.0                    # an entry where both are zero
        got = relative_error(*copies(a, b))
        check_scalar(f"relative error on hidden arrays of shape {shape}", got, reference(a, b),
                     rtol=1e-9, atol=1e-15,
                     hint="max over entries of |a - b| / max(1e-8, |a| + |b|).")
    a = np.array([1.0, 1.0, 1.0, 1.0])
    b = np.array([1.0, 1.0, 1.0, 1.5])
    check_scalar("relative error with a single differing entry", relative_error(a, b), 0.2,
                 rtol=1e-9, hint="take the maximum over the entries, not the mean.")


def check_affine_forward(affine_forward):
    """Hidden tests for ``affine_forward(x, W, b) -> (out, (x, W))``."""
    for case, (n, d, m) in enumerate([(1, 3, 4), (5, 2, 7), (4, 6, 1), (3, 3, 3)]):
        rng = rng_for("affine_forward", case)
        x, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(2.0, 1.0, size=m)
        result = affine_forward(*copies(x, W, b))
        check_true(isinstance(result, tuple) and len(result) == 2,
                   "affine_forward must return a tuple (out, cache).")
        out, cache = result
        where = f"on a hidden input with N={n}, D={d}, M={m}"
        check_array(f"out {where}", out, x @ W + b, rtol=1e-9, atol=1e-12, hint="out = x @ W + b.")
        dout = rng.normal(size=(n, m))
        check_true(isinstance(cache, tuple) and len(cache) == 2, "cache must be the tuple (x, W).")
        try:
            dx, dW, db = layers.affine_backward(dout, cache)
        except Exception:
            raise AssertionError("the course's affine_backward cannot use your cache: it must be (x, W).") from None
        check_array(f"dW computed from your cache {where}", dW, x.T @ dout, rtol=1e-9, atol=1e-12,
                    hint="cache = (x, W): the layer's input and its weights.")
        check_array(f"dx computed from your cache {where}", dx, dout @ W.T, rtol=1e-9, atol=1e-12,
                    hint="cache = (x, W): the layer's input and its weights.")


def check_affine_backward(affine_backward):
    """Hidden tests for ``affine_backward(dout, (x, W)) -> (dx, dW, db)``."""
    for case, (n, d, m) in enumerate([(1, 3, 4), (5, 2, 7), (4, 6, 1), (6, 4, 5)]):
        rng = rng_for("affine_backward", case)
        x, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
        dout = rng.normal(size=(n, m))
        result = affine_backward(*copies(dout), (x.copy(), W.copy()))
        check_true(isinstance(result, tuple) and len(result) == 3,
                   "affine_backward must return (dx, dW, db).")
        dx, dW, db = result
        ref_dx, ref_dW, ref_db = layers.affine_backward(dout, (x, W))
        where = f"on a hidden input with N={n}, D={d}, M={m}"
        check_array(f"dx {where}", dx, ref_dx, rtol=1e-9, atol=1e-12, hint="dx = dout @ W.T, shape (N, D).")
        check_array(f"dW {where}", dW, ref_dW, rtol=1e-9, atol=1e-12, hint="dW = x.T @ dout, shape (D, M).")
        check_array(f"db {where}", db, ref_db, rtol=1e-9, atol=1e-12,
                    hint="db = dout summed over axis 0, shape (M,).")
        f = lambda W_: layers.affine_forward(x, W_, b)[0]
        num = numerical_gradient_array(f, W.copy(), dout)
        err = relative_error(np.asarray(dW, dtype=float), num)
        check_true(err < 1e-7, f"dW {where} disagrees with the numerical gradient (relative error {err:.1e}).")


#: (layer_dims, activation) of the hidden networks: no hidden layer, one, two, three.
NETWORKS = [([3, 4], "relu"), ([4, 6, 3], "relu"), ([3, 5, 5, 2], "tanh"),
            ([2, 7, 3, 4, 3], "sigmoid"), ([5, 4, 6], "leaky_relu"), ([3, 6, 2, 4], "elu")]


def _net(case, dims, exercise):
    """Hidden parameters and inputs for one network."""
    rng = rng_for(exercise, case)
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(0.0, 1.0 / np.sqrt(dims[l - 1]) * 1.5, size=(dims[l - 1], dims[l]))
        params[f"b{l}"] = rng.normal(0.0, 0.3, size=dims[l])
    n = 1 if case == 1 else 5
    X = rng.normal(size=(n, dims[0]))
    y = rng.integers(0, dims[-1], size=n)
    return params, X, y


def _forward_refs():
    return dict(affine_forward=layers.affine_forward,
                **{f"{a}_forward": getattr(activations, f"{a}_forward")
                   for a in ["sigmoid", "tanh", "relu", "leaky_relu", "elu"]})


def _backward_refs():
    return dict(affine_backward=layers.affine_backward,
                **{f"{a}_backward": getattr(activations, f"{a}_backward")
                   for a in ["sigmoid", "tanh", "relu", "leaky_relu", "elu"]})


def check_l_layer_forward(l_layer_forward):
    """Hidden tests for ``l_layer_forward`` (graded with reference affine/activation functions)."""
    from course.losses import softmax_cross_entropy
    fn = with_reference_globals(l_layer_forward, **_forward_refs())
    for case, (dims, act) in enumerate(NETWORKS):
        params, X, y = _net(case, dims, "l_layer_forward")
        L = len(dims) - 1
        result = fn(X.copy(), {k: v.copy() for k, v in params.items()}, act)
        check_true(isinstance(result, tuple) and len(result) == 2,
                   "l_layer_forward must return (scores, caches).")
        scores, caches = result
        ref_scores, ref_caches = network.l_layer_forward(X, params, act)
        where = f"for a hidden {L}-layer {act} network on a batch of {X.shape[0]}"
        check_array(f"scores {where}", scores, ref_scores, rtol=1e-9, atol=1e-12,
                    hint="hidden layers: affine then activation; output layer: affine only.")
        check_true(isinstance(caches, (list, tuple)) and len(caches) == L,
                   f"caches {where} must be a list of {L} entries, one per layer.")
        _, dscores = softmax_cross_entropy(ref_scores, y)
        try:
            grads = network.l_layer_backward(dscores, list(caches))
        except Exception:
            raise AssertionError(
                f"the course's l_layer_backward cannot use your caches {where}: each hidden layer's "
                "cache must be (affine_cache, activation_cache, activation), in layer order, "
                "then the output layer's affine_cache.") from None
        ref_grads = network.l_layer_backward(dscores, ref_caches)
        for name in ref_grads:
            check_array(f"grads['{name}'] computed from your caches {where}", grads[name], ref_grads[name],
                        rtol=1e-9, atol=1e-12,
                        hint="the caches must be in layer order 1 .. L, each from its own layer.")


def check_l_layer_backward(l_layer_backward):
    """Hidden tests for ``l_layer_backward`` (graded with reference affine/activation functions)."""
    from course.losses import softmax_cross_entropy
    fn = with_reference_globals(l_layer_backward, **_backward_refs())
    for case, (dims, act) in enumerate(NETWORKS):
        params, X, y = _net(case, dims, "l_layer_backward")
        L = len(dims) - 1
        scores, caches = network.l_layer_forward(X, params, act)
        _, dscores = softmax_cross_entropy(scores, y)
        grads = fn(dscores.copy(), caches)
        ref = network.l_layer_backward(dscores, caches)
        where = f"for a hidden {L}-layer {act} network on a batch of {X.shape[0]}"
        check_true(isinstance(grads, dict) and set(grads) == set(ref),
                   f"grads {where} must be a dict with the keys {sorted(ref)}, "
                   f"got {sorted(grads) if isinstance(grads, dict) else type(grads).__name__}.")
        for name in ref:
            check_array(f"grads['{name}'] {where}", grads[name], ref[name], rtol=1e-8, atol=1e-12,
                        hint="walk the layers from L down to 1; every hidden layer goes through its "
                             "activation backward before affine_backward, and dA is passed down.")
        if case in (2, 3):
            for name in params:
                num = numerical_gradient(
                    lambda v: softmax_cross_entropy(
                        network.l_layer_forward(X, {**params, name: v}, act)[0], y)[0],
                    params[name].copy())
                err = relative_error(np.asarray(grads[name], dtype=float), num)
                check_true(err < 1e-5, f"grads['{name}'] {where} disagrees with the numerical gradient "
                                       f"(relative error {err:.1e}).")


def check_initializers(xavier, he):
    """Hidden tests for ``xavier`` and ``he``: shape, dtype, spread, mean, reproducibility."""
    for fn, name, target in [(xavier, "xavier", lambda fi: 1.0 / np.sqrt(fi)),
                             (he, "he", lambda fi: np.sqrt(2.0 / fi))]:
        for case, (fan_in, fan_out) in enumerate([(500, 200), (150, 600)]):
            W = fn(fan_in, fan_out, rng_for(name, case))
            check_shape(f"{name}({fan_in}, {fan_out}, rng)", W, (fan_in, fan_out))
            std, want = float(np.std(W)), target(fan_in)
            check_true(abs(std / want - 1) < 0.03,
                       f"{name} on a hidden layer of shape ({fan_in}, {fan_out}): standard deviation "
                       f"{std:.4g}, expected {want:.4g}.")
            check_true(abs(float(np.mean(W))) < 5 * want / np.sqrt(W.size),
                       f"{name}: the weights must have mean 0 (standard normal draws, scaled).")
            # the distribution, not only its spread: false alarm rate 1e-6 for normal draws
            p = stats.kstest(np.asarray(W, dtype=np.float64).ravel() / want, "norm").pvalue
            check_true(p > 1e-6, f"{name}: the weights are not normally distributed "
                                 f"(Kolmogorov-Smirnov p = {p:.1e} over {W.size} draws); draw "
                                 "rng.standard_normal and scale, not a uniform or other law.")
        a = fn(7, 3, rng_for(name, 5))
        b = fn(7, 3, rng_for(name, 5))
        check_shape(f"{name}(7, 3, rng)", a, (7, 3))
        check_array(f"{name} called twice with the same seed", a, b, rtol=0, atol=0,
                    hint="draw every random number from the rng argument, never from np.random.")
        c = fn(7, 3, rng_for(name, 6))
        check_true(not np.allclose(a, c), f"{name}: different seeds must give different weights.")
        check_shape(f"{name}(1, 4, rng)", fn(1, 4, rng_for(name, 7)), (1, 4))
        check_true(fn(6, 2, rng_for(name, 8), np.float32).dtype == np.float32,
                   f"{name}: the result must have the requested dtype.")


def check_initialize_params(initialize_params):
    """Hidden tests for ``initialize_params`` (graded with the reference xavier and he)."""
    fn = with_reference_globals(initialize_params, xavier=init.xavier, he=init.he)
    cases = [([7, 5, 3], "he", np.float64, 0.01), ([2, 3], "xavier", np.float64, 0.01),
             ([4, 8, 8, 2], "normal", np.float32, 0.5), ([6, 3, 2], "zeros", np.float64, 0.01),
             ([3, 9, 4, 5, 2], "xavier", np.float32, 0.01)]
    for case, (dims, method, dtype, std) in enumerate(cases):
        params = fn(list(dims), method, rng_for("initialize_params", case), dtype, std=std)
        ref = init.initialize_params(dims, method, rng_for("initialize_params", case), dtype, std=std)
        where = f"for hidden layer sizes with {len(dims) - 1} layers, method {method!r}"
        check_true(isinstance(params, dict) and set(params) == set(ref),
                   f"params {where} must have the keys {sorted(ref)}, "
                   f"got {sorted(params) if isinstance(params, dict) else type(params).__name__}.")
        for name in ref:
            check_array(f"params['{name}'] {where}", params[name], ref[name], rtol=1e-6, atol=0,
                        hint="W[l] of shape (layer_dims[l-1], layer_dims[l]) from the chosen method "
                             "(std for 'normal'), b[l] zeros of shape (layer_dims[l],), layers in order.")
            check_true(np.asarray(params[name]).dtype == np.dtype(dtype),
                       f"params['{name}'] {where} must have dtype {np.dtype(dtype).name}.")


# ---------------------------------------------------------------- catalogued bugs
BUGS = [
    # sigmoid
    Bug("sigmoid_backward_missing_1_minus_a", "sigmoid",
        "return da * a * (1.0 - a)", "return da * a",
        "The sigmoid's derivative is a * (1 - a), not a."),
    Bug("sigmoid_backward_no_upstream", "sigmoid",
        "return da * a * (1.0 - a)", "return a * (1.0 - a)",
        "Multiply the local derivative by the upstream gradient da (chain rule)."),
    Bug("sigmoid_branches_swapped", "sigmoid",
        "np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))",
        "Your forward pass computes sigmoid(-z): for z >= 0, sigmoid(z) = 1 / (1 + exp(-z))."),
    Bug("sigmoid_cache_input", "sigmoid",
        "return a, a", "return a, z",
        "The backward pass reads a from the cache; caching z makes it compute z * (1 - z)."),
    # tanh
    Bug("tanh_backward_1_minus_a", "tanh",
        "return da * (1.0 - a * a)", "return da * (1.0 - a)",
        "The derivative of tanh is 1 - a**2, not 1 - a."),
    Bug("tanh_backward_no_upstream", "tanh",
        "return da * (1.0 - a * a)", "return 1.0 - a * a",
        "Multiply the local derivative by the upstream gradient da."),
    Bug("tanh_cache_input", "tanh",
        "return a, a", "return a, z",
        "The backward pass needs a = tanh(z) from the cache, not z."),
    Bug("tanh_backward_squared_wrong", "tanh",
        "return da * (1.0 - a * a)", "return da * (1.0 - a) ** 2",
        "1 - tanh(z)**2 is not (1 - tanh(z))**2."),
    # relu
    Bug("relu_gradient_at_zero", "relu",
        "return da * (z > 0)", "return da * (z >= 0)",
        "Take the ReLU derivative at exactly 0 as 0 (z > 0), as the docstring says."),
    Bug("relu_backward_times_z", "relu",
        "return da * (z > 0)", "return da * z * (z > 0)",
        "The local derivative of ReLU is 1 for z > 0, not z."),
    Bug("relu_np_max", "relu",
        "return np.maximum(z, 0), z", "return np.max(z, 0), z",
        "np.max(z, 0) reduces over axis 0; the element-wise maximum is np.maximum(z, 0)."),
    Bug("relu_backward_no_upstream", "relu",
        "return da * (z > 0)", "return (z > 0) * 1.0",
        "Multiply the mask by the upstream gradient da."),
    # leaky relu
    Bug("leaky_backward_no_upstream", "leaky_relu",
        "return da * np.where(z > 0, 1.0, alpha)", "return np.where(z > 0, 1.0, alpha)",
        "You returned f'(z) alone: multiply the local derivative by the upstream gradient da."),
    Bug("leaky_backward_zero_slope", "leaky_relu",
        "return da * np.where(z > 0, 1.0, alpha)", "return da * np.where(z > 0, 1.0, 0.0)",
        "The slope for z <= 0 is alpha, not 0 (that would be a plain ReLU)."),
    Bug("leaky_max_with_alpha", "leaky_relu",
        "np.where(z > 0, z, alpha * z)", "np.maximum(alpha, z)",
        "Leaky ReLU is max(alpha * z, z), not max(alpha, z)."),
    Bug("leaky_hardcoded_alpha", "leaky_relu",
        "return da * np.where(z > 0, 1.0, alpha)", "return da * np.where(z > 0, 1.0, 0.01)",
        "Use the alpha stored in the cache, not the default 0.01."),
    # elu
    Bug("elu_backward_no_upstream", "elu",
        "return da * np.where(z > 0, 1.0, a + alpha)", "return np.where(z > 0, 1.0, a + alpha)",
        "You returned f'(z) alone: multiply the local derivative by the upstream gradient da."),
    Bug("elu_backward_without_alpha", "elu",
        "return da * np.where(z > 0, 1.0, a + alpha)", "return da * np.where(z > 0, 1.0, np.exp(z))",
        "For z <= 0 the derivative is alpha * exp(z) = a + alpha; exp(z) alone forgets alpha."),
    Bug("elu_backward_a", "elu",
        "return da * np.where(z > 0, 1.0, a + alpha)", "return da * np.where(z > 0, 1.0, a)",
        "For z <= 0 the derivative is a + alpha, not a."),
    Bug("elu_forward_parentheses", "elu",
        "alpha * (np.exp(np.minimum(z, 0)) - 1.0)", "alpha * np.exp(np.minimum(z, 0)) - 1.0",
        "ELU is alpha * (exp(z) - 1): multiply the whole bracket by alpha."),
    Bug("elu_forward_missing_minus_one", "elu",
        "alpha * (np.exp(np.minimum(z, 0)) - 1.0)", "alpha * np.exp(np.minimum(z, 0))",
        "ELU is alpha * (exp(z) - 1) for z <= 0, which is 0 at z = 0 and continuous."),
    # j_forward_backward
    Bug("j_missing_u2_branch", "j_forward_backward",
        "dJ_dt = dJ_du1 * np.cos(t) + dJ_du2 * 3.0", "dJ_dt = dJ_du1 * np.cos(t)",
        "t feeds u1 and u2: dJ/dt must add the contributions of both paths."),
    Bug("j_wrong_sign", "j_forward_backward",
        "dJ_du = -np.sin(u)", "dJ_du = np.sin(u)",
        "d cos(u)/du = -sin(u)."),
    Bug("j_dt_dx_is_x", "j_forward_backward",
        "dJ_dx = dJ_dt * 2.0 * x", "dJ_dx = dJ_dt * x",
        "t = x^2, so dt/dx = 2x."),
    Bug("j_cos_of_x", "j_forward_backward",
        "dJ_du1 * np.cos(t) +", "dJ_du1 * np.cos(x) +",
        "The local derivative of u1 = sin(t) is cos(t), evaluated at t = x^2, not at x."),
    # numerical_gradient
    Bug("ng_missing_factor_2", "numerical_gradient",
        "(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h",
        "The centered difference spans 2h: divide by 2h."),
    Bug("ng_forward_difference", "numerical_gradient",
        "x[i] = old - h\n        f_minus = float(f(x))\n        x[i] = old\n        grad[i] = (f_plus - f_minus) / (2 * h)",
        "x[i] = old\n        f_minus = float(f(x))\n        grad[i] = (f_plus - f_minus) / h",
        "A one-sided difference has an O(h) error; use the centered difference (O(h^2))."),
    Bug("ng_no_restore", "numerical_gradient",
        "        x[i] = old\n        grad[i]", "        grad[i]",
        "Restore each entry after perturbing it, or every later entry is computed at a shifted point."),
    Bug("ng_perturb_copy", "numerical_gradient",
        "grad = np.zeros(x.shape, dtype=np.float64)\n",
        "grad = np.zeros(x.shape, dtype=np.float64)\n    x = x.copy()\n",
        "Perturb x itself, in place: f may read the array through a closure (like a model's "
        "parameters), so perturbing a copy changes nothing."),
    Bug("ng_wrong_sign", "numerical_gradient",
        "(f_plus - f_minus) / (2 * h)", "(f_minus - f_plus) / (2 * h)",
        "f(x + h e_i) - f(x - h e_i), in this order."),
    # relative_error
    Bug("re_mean_not_max", "relative_error",
        "float(np.max(", "float(np.mean(",
        "Report the worst entry (the max): a mean hides one wrong entry among many right ones."),
    Bug("re_no_floor", "relative_error",
        "np.maximum(1e-8, np.abs(a) + np.abs(b))", "(np.abs(a) + np.abs(b))",
        "Floor the denominator at 1e-8: where both arrays are 0 you divide 0 by 0."),
    Bug("re_abs_of_sum", "relative_error",
        "np.abs(a) + np.abs(b))", "np.abs(a + b))",
        "The denominator is |a| + |b|; |a + b| is tiny when the entries have opposite signs."),
    Bug("re_no_reduction", "relative_error",
        "return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))",
        "return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))",
        "Return one number, the maximum over the entries."),
    # affine_forward
    Bug("af_no_bias", "affine_forward",
        "out = x @ W + b", "out = x @ W",
        "Add the bias: out = x @ W + b."),
    Bug("af_elementwise", "affine_forward",
        "out = x @ W + b", "out = x * W + b",
        "* is element-wise; the layer needs the matrix product x @ W."),
    Bug("af_cache_out", "affine_forward",
        "cache = (x, W)", "cache = (out, W)",
        "The backward pass needs the layer's INPUT x (dW = x.T @ dout), not its output."),
    Bug("af_transposed_W", "affine_forward",
        "out = x @ W + b", "out = x @ W.T + b",
        "W has shape (D, M) and rows are examples: out = x @ W, no transpose."),
    # affine_backward
    Bug("ab_db_mean", "affine_backward",
        "db = np.sum(dout, axis=0)", "db = np.mean(dout, axis=0)",
        "db sums over the batch; the 1/N is already inside dout."),
    Bug("ab_dW_over_N", "affine_backward",
        "dW = x.T @ dout", "dW = x.T @ dout / x.shape[0]",
        "dW is N times too small: dout already carries the 1/N of the mean loss."),
    Bug("ab_dx_no_transpose", "affine_backward",
        "dx = dout @ W.T", "dx = dout @ W",
        "dx = dout @ W.T has the shape (N, D) of x."),
    Bug("ab_dW_transposed", "affine_backward",
        "dW = x.T @ dout", "dW = dout.T @ x",
        "dW must have the shape (D, M) of W: x.T @ dout."),
    # l_layer_forward
    Bug("lf_activation_on_output", "l_layer_forward",
        'scores, affine_cache = affine_forward(A, params[f"W{L}"], params[f"b{L}"])',
        'Z, affine_cache = affine_forward(A, params[f"W{L}"], params[f"b{L}"])\n    scores, _ = forward(Z)',
        "The output layer is affine only; the softmax is part of the loss."),
    Bug("lf_no_activation", "l_layer_forward",
        "A, activation_cache = forward(Z)", "activation_cache = forward(Z)[1]\n        A = Z",
        "Every hidden layer applies its activation: A = f(Z)."),
    Bug("lf_caches_reversed", "l_layer_forward",
        "caches.append((affine_cache, activation_cache, activation))",
        "caches.insert(0, (affine_cache, activation_cache, activation))",
        "Keep the caches in layer order 1, ..., L; the backward pass walks them from the end."),
    Bug("lf_not_chained", "l_layer_forward",
        'affine_forward(A, params[f"W{l}"]', 'affine_forward(X, params[f"W{l}"]',
        "Each layer takes the previous layer's activations A, not the input X."),
    # l_layer_backward
    Bug("lb_skip_activation", "l_layer_backward",
        "dZ = backward[activation](dA, activation_cache)", "dZ = dA",
        "Backpropagate through the activation first: dZ = dA * f'(Z)."),
    Bug("lb_skip_first_layer", "l_layer_backward",
        "range(L - 1, 0, -1)", "range(L - 1, 1, -1)",
        "The loop must go down to layer 1 (range(L - 1, 0, -1))."),
    Bug("lb_dA_not_passed_down", "l_layer_backward",
        'dA, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dZ, affine_cache)',
        '_, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dZ, affine_cache)',
        "Pass the gradient down: the dx of layer l is the dA of layer l - 1."),
    Bug("lb_wrong_cache_index", "l_layer_backward",
        "caches[l - 1]\n", "caches[l]\n",
        "Layer l's cache is caches[l - 1] (the list starts at layer 1)."),
    # initializers
    Bug("xavier_fan_out", "initializers",
        "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
        "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)",
        "Xavier scales by 1/sqrt(fan_in), the number of inputs of each unit."),
    Bug("he_variance_as_std", "initializers",
        "* np.sqrt(2.0 / fan_in)", "* (2.0 / fan_in)",
        "2/fan_in is the variance; multiply by its square root, the standard deviation."),
    Bug("he_missing_2", "initializers",
        "* np.sqrt(2.0 / fan_in)", "* np.sqrt(1.0 / fan_in)",
        "He initialization doubles the variance of Xavier to make up for ReLU zeroing half its inputs."),
    Bug("he_transposed", "initializers",
        "rng.standard_normal((fan_in, fan_out)) * np.sqrt", "rng.standard_normal((fan_out, fan_in)) * np.sqrt",
        "Rows of W are inputs: shape (fan_in, fan_out)."),
    Bug("xavier_global_random", "initializers",
        "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
        "np.random.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
        "Draw from the rng argument; np.random's global state makes results irreproducible."),
    # initialize_params
    Bug("ip_bias_column", "initialize_params",
        'params[f"b{l}"] = np.zeros(fan_out, dtype=dtype)',
        'params[f"b{l}"] = np.zeros((fan_out, 1), dtype=dtype)',
        "Biases are 1-D, shape (H_l,), so they broadcast over the rows of a batch."),
    Bug("ip_he_transposed", "initialize_params",
        "W = he(fan_in, fan_out, rng, dtype)", "W = he(fan_out, fan_in, rng, dtype)",
        "W[l] has shape (layer_dims[l-1], layer_dims[l]): fan_in first."),
    Bug("ip_missing_last_layer", "initialize_params",
        "range(1, len(layer_dims))", "range(1, len(layer_dims) - 1)",
        "A network with layer_dims [D, H1, ..., C] has len(layer_dims) - 1 layers, the output layer included."),
    Bug("ip_normal_ignores_std", "initialize_params",
        "(std * rng.standard_normal", "(0.01 * rng.standard_normal",
        "Use the std argument for method='normal'."),
    # ---- written from the student notebooks and docstrings alone by an outside tester
    # (issue 14); the comment above each names the input on which it differs
    # witness: cache a=[[0.5]], da=1 -> ref 0.75, bug 1 - tanh(0.5)^2 = 0.786
    Bug("tanh_backward_tanh_of_cache", "tanh",
        "return da * (1.0 - a * a)", "return da * (1.0 - np.tanh(a) ** 2)",
        "Applies tanh again to the cached output, treating the cache as the pre-activation."),
    # witness: z=[[-1., 2.]] -> the caller's z becomes [[0., 2.]]
    Bug("relu_forward_inplace", "relu",
        "return np.maximum(z, 0), z", "z[z < 0] = 0\n    return z, z",
        "Clamps the input array in place, modifying the caller's pre-activations."),
    # witness: z=[[-1.]], alpha=2 -> ref -2, bug -1
    Bug("leaky_forward_maximum", "leaky_relu",
        "np.where(z > 0, z, alpha * z)", "np.maximum(z, alpha * z)",
        "Uses max(z, alpha z), which is only right for alpha <= 1."),
    # witness: z=[[0.]], da=[[1.]], alpha=0.1 -> ref 0.1, bug 1
    Bug("leaky_backward_at_zero", "leaky_relu",
        "np.where(z > 0, 1.0, alpha)", "np.where(z >= 0, 1.0, alpha)",
        "Uses slope 1 at z = 0 where the docstring asks for alpha."),
    # witness: z=[[-1.]], alpha=2 -> ref 2*(e^-1 - 1) = -1.26, bug -0.63
    Bug("elu_forward_ignores_alpha", "elu",
        "alpha * (np.exp(np.minimum(z, 0)) - 1.0)", "(np.exp(np.minimum(z, 0)) - 1.0)",
        "Ignores alpha in the negative branch (only right for the default alpha = 1)."),
    # witness: z=[[-1.]], alpha=2, da=1 -> ref a+2 = 0.736, bug a+1 = -0.264
    Bug("elu_backward_alpha_one", "elu",
        "np.where(z > 0, 1.0, a + alpha)", "np.where(z > 0, 1.0, a + 1.0)",
        "Uses a + 1 as the negative-branch derivative, hard-coding alpha = 1."),
    # witness: x=1.3 -> derivative differs (cos(x) instead of cos(x^2))
    Bug("j_cos_of_x_b", "j_forward_backward",
        "dJ_du1 * np.cos(t)", "dJ_du1 * np.cos(x)",
        "Evaluates the derivative of sin at x instead of at the intermediate t = x^2."),
    # witness: f=sum(x**2), x=[1.,2.] -> after the call x is [1-h, 2-h] instead of [1, 2]
    Bug("numgrad_not_restored", "numerical_gradient",
        "        x[i] = old\n        grad", "        grad",
        "Does not restore each perturbed entry, leaving x changed and corrupting the later estimates."),
    # witness: x of shape (2,2), f=sum(x**3) -> wrong gradient (whole rows perturbed)
    Bug("numgrad_first_axis_only", "numerical_gradient",
        "for i in np.ndindex(x.shape):", "for i in range(x.shape[0]):",
        "Loops over the first axis only, so for 2-D arrays whole rows are perturbed at once."),
    # witness: a=[1.], b=[-1.] -> ref 1.0, bug 2e8 (exceeds the documented maximum of 1)
    Bug("relerr_abs_of_sum", "relative_error",
        "np.abs(a) + np.abs(b)", "np.abs(a + b)",
        "Uses |a + b| in the denominator instead of |a| + |b|, blowing up when the entries have opposite signs."),
    # witness: activation="tanh" -> bug scores equal the ReLU network's
    Bug("lforward_always_relu", "l_layer_forward",
        "A, activation_cache = forward(Z)", "A, activation_cache = relu_forward(Z)",
        "Always applies ReLU in the hidden layers, ignoring the activation argument."),
    # witness: tanh caches -> bug grads use relu_backward on a tanh output
    Bug("lbackward_always_relu", "l_layer_backward",
        "dZ = backward[activation](dA, activation_cache)", "dZ = relu_backward(dA, activation_cache)",
        "Always backpropagates through ReLU, ignoring the activation stored in each cache."),
    # witness: xavier(400, 300) -> ref normal, bug uniform: same std 1/sqrt(400) but max |W| <= sqrt(3/400)
    Bug("xavier_uniform", "initializers",
        "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
        "rng.uniform(-1.0, 1.0, (fan_in, fan_out)) * np.sqrt(3.0 / fan_in)",
        "Draws Xavier weights from a uniform distribution with the right variance instead of a normal one."),
    # witness: xavier(100, 300) -> bug std sqrt(2/400) = 0.0707 vs ref 0.1
    Bug("xavier_glorot_variance", "initializers",
        "/ np.sqrt(fan_in)", "* np.sqrt(2.0 / (fan_in + fan_out))",
        "Uses the Glorot variance 2/(fan_in + fan_out) instead of 1/fan_in."),
    # witness: he(3, 2, rng, np.float32) -> ref float32, bug float64
    Bug("he_ignores_dtype", "initializers",
        "np.sqrt(2.0 / fan_in)).astype(dtype)", "np.sqrt(2.0 / fan_in))",
        "Ignores the dtype argument, always returning float64 He weights."),
    # witness: he(3, 2, default_rng(0)) -> values do not come from rng
    Bug("he_global_random", "initializers",
        "(rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0",
        "(np.random.standard_normal((fan_in, fan_out)) * np.sqrt(2.0",
        "Draws He weights from the global np.random state instead of the given rng."),
    # witness: initialize_params([3,2], "he", rng, np.float32) -> b1 float64
    Bug("init_bias_float64", "initialize_params",
        "params[f\"b{l}\"] = np.zeros(fan_out, dtype=dtype)", "params[f\"b{l}\"] = np.zeros(fan_out)",
        "Creates the biases as float64 whatever the requested dtype."),
]


# ---------------------------------------------------------------- the registry
EXERCISES = [
    Exercise("test_sigmoid", points=2, check=check_sigmoid,
             functions=('sigmoid_forward', 'sigmoid_backward'),
             references=('course.activations.sigmoid_forward', 'course.activations.sigmoid_backward',
                         'course.activations._sigmoid')),
    Exercise("test_tanh", points=2, check=check_tanh,
             functions=('tanh_forward', 'tanh_backward'),
             references=('course.activations.tanh_forward', 'course.activations.tanh_backward')),
    Exercise("test_relu", points=2, check=check_relu,
             functions=('relu_forward', 'relu_backward'),
             references=('course.activations.relu_forward', 'course.activations.relu_backward')),
    Exercise("test_leaky_relu", points=2, check=check_leaky_relu,
             functions=('leaky_relu_forward', 'leaky_relu_backward'),
             references=('course.activations.leaky_relu_forward', 'course.activations.leaky_relu_backward')),
    Exercise("test_elu", points=2, check=check_elu,
             functions=('elu_forward', 'elu_backward'),
             references=('course.activations.elu_forward', 'course.activations.elu_backward')),
    Exercise("test_j_forward_backward", points=6, check=check_j_forward_backward,
             functions=('j_forward_backward',),
             references=('course.graph.example_j',)),
    Exercise("test_numerical_gradient", points=6, check=check_numerical_gradient,
             functions=('numerical_gradient',), may_change=(1,),   # perturbs x, then restores it
             references=('course.gradcheck.numerical_gradient', 'course.gradcheck.numerical_gradient_array')),
    Exercise("test_relative_error", points=3, check=check_relative_error,
             functions=('relative_error',),
             references=('course.gradcheck.relative_error', 'course.gradcheck._entry_errors')),
    Exercise("test_affine_forward", points=3, check=check_affine_forward,
             functions=('affine_forward',),
             references=('course.layers.affine_forward',)),
    Exercise("test_affine_backward", points=7, check=check_affine_backward,
             functions=('affine_backward',),
             references=('course.layers.affine_backward', 'course.inplace._gemm_into',
                         'course.inplace.Product')),
    Exercise("test_l_layer_forward", points=7, check=check_l_layer_forward,
             functions=('l_layer_forward',),
             references=('course.network.l_layer_forward', 'course.layers.affine_activation_forward')),
    Exercise("test_l_layer_backward", points=10, check=check_l_layer_backward,
             functions=('l_layer_backward',),
             references=('course.network.l_layer_backward', 'course.layers.affine_activation_backward',
                         'course.network.FullyConnectedNet')),
    Exercise("test_initializers", points=4, check=check_initializers,
             functions=('xavier', 'he'),
             references=('course.init.xavier', 'course.init.he')),
    Exercise("test_initialize_params", points=4, check=check_initialize_params,
             functions=('initialize_params',),
             references=('course.init.initialize_params',)),
]



# ---------------------------------------------------------------- derivation exercises
def check_tanh_mse_loss(tanh_mse_loss):
    """Loss and error signal dL/dz of a tanh output layer with the quadratic cost, against
    ``course.losses.tanh_mse_loss`` and numerical gradients; a batch of one, K = 1 and K > N,
    pre-activations in the saturated range too."""
    from course import losses

    fn = with_reference_globals(tanh_mse_loss, tanh_forward=activations.tanh_forward,
                                tanh_backward=activations.tanh_backward,
                                sigmoid_forward=activations.sigmoid_forward,
                                sigmoid_backward=activations.sigmoid_backward)
    for case, (n, k) in enumerate([(1, 1), (1, 4), (6, 2), (3, 7), (9, 1)]):
        rng = rng_for("tanh_mse_loss", case)
        z = rng.normal(0.0, 1.5, size=(n, k))
        target = rng.uniform(-1.0, 1.0, size=(n, k))
        out = fn(*copies(z, target))
        check_true(isinstance(out, tuple) and len(out) == 2,
                   "tanh_mse_loss must return the tuple (loss, dz).")
        loss, dz = out
        ref_loss, ref_dz = losses.tanh_mse_loss(z, target)
        where = f"on a hidden input of shape {(n, k)}"
        check_scalar(f"loss {where}", loss, ref_loss, rtol=1e-9, atol=1e-12,
                     hint="the quadratic cost of the outputs tanh(z), summed and divided by 2N.")
        check_shape(f"dz {where}", dz, z.shape)
        check_array(f"dz {where}", dz, ref_dz, rtol=1e-7, atol=1e-10,
                    hint="dL/dz goes through the cost and then through tanh: both local "
                         "derivatives, and the 1/N of the mean.")
        num = numerical_gradient(lambda v: losses.tanh_mse_loss(v, target)[0], z.copy())
        err = relative_error(np.asarray(dz, dtype=np.float64), num)
        check_true(err < 1e-6, f"dz {where} disagrees with the numerical gradient "
                               f"(relative error {err:.1e}).")


def check_swish_backward(swish_backward):
    """dz = da * f'(z) for swish f(z) = z sigmoid(z), against ``course.activations.swish_backward``
    and the numerical derivative of the forward pass; a batch of one, tall and wide inputs,
    negative and positive z (f' changes sign), upstream gradients of both signs."""
    fn = with_reference_globals(swish_backward, sigmoid_forward=activations.sigmoid_forward,
                                sigmoid_backward=activations.sigmoid_backward)
    for case, shape in enumerate([(1, 1), (1, 5), (6, 3), (3, 8)]):
        rng = rng_for("swish_backward", case)
        z = rng.normal(0.0, 3.0, size=shape)
        da = rng.normal(0.0, 1.0, size=shape) * rng.choice([-2.0, 2.0], size=shape)
        dz = fn(*copies(da, z))
        where = f"on a hidden input of shape {shape}"
        check_shape(f"dz {where}", dz, shape)
        check_array(f"dz {where}", dz, activations.swish_backward(da, z), rtol=1e-7, atol=1e-10,
                    hint="dz = da * f'(z): differentiate z * sigmoid(z) with the product rule.")
        num = numerical_gradient_array(lambda v: activations.swish_forward(v)[0], z.copy(), da)
        err = relative_error(np.asarray(dz, dtype=np.float64), num)
        check_true(err < 1e-6, f"dz {where} disagrees with the numerical derivative of swish "
                               f"(relative error {err:.1e}).")


BUGS += [
    Bug("tanh_mse_no_tanh_derivative", "tanh_mse_loss",
        "dz = diff * (1 - a ** 2) / N", "dz = diff / N",
        "This is dL/da, the gradient with respect to the outputs; the error signal of the layer "
        "goes on through tanh and is multiplied by tanh'(z) = 1 - tanh(z)**2."),
    Bug("tanh_mse_derivative_at_z", "tanh_mse_loss",
        "(1 - a ** 2)", "(1 - z ** 2)",
        "tanh'(z) = 1 - tanh(z)**2: square the output a = tanh(z), not the input z."),
    Bug("tanh_mse_sigmoid_derivative", "tanh_mse_loss",
        "diff * (1 - a ** 2)", "diff * a * (1 - a)",
        "a (1 - a) is the derivative of the sigmoid; for tanh it is 1 - a**2."),
    Bug("tanh_mse_gradient_half", "tanh_mse_loss",
        "dz = diff * (1 - a ** 2) / N", "dz = diff * (1 - a ** 2) / (2 * N)",
        "The 1/2 of the cost cancels the 2 of the square: the gradient divides by N, not 2N."),
    Bug("swish_sigmoid_only", "swish_backward",
        "dz = da * (s + z * s * (1 - s))", "dz = da * s",
        "sigmoid(z) is only the first term of f'(z): by the product rule the derivative of "
        "z * sigmoid(z) also has z * sigmoid'(z)."),
    Bug("swish_dropped_first_term", "swish_backward",
        "(s + z * s * (1 - s))", "(z * s * (1 - s))",
        "The product rule gives two terms: sigmoid(z) (from differentiating z) plus "
        "z * sigmoid(z) (1 - sigmoid(z))."),
    Bug("swish_no_upstream", "swish_backward",
        "dz = da * (s + z * s * (1 - s))", "dz = s + z * s * (1 - s)",
        "This is f'(z) alone: the backward pass multiplies it by the upstream gradient da."),
    Bug("swish_wrong_sigmoid_derivative", "swish_backward",
        "z * s * (1 - s)", "z * s * (1 + s)",
        "sigmoid'(z) = sigmoid(z) (1 - sigmoid(z)), with a minus."),
]

EXERCISES.append(
    Exercise("test_tanh_mse_loss", points=5, check=check_tanh_mse_loss,
             functions=("tanh_mse_loss",), references=("course.losses.tanh_mse_loss",)))
EXERCISES.append(
    Exercise("test_swish_backward", points=5, check=check_swish_backward,
             functions=("swish_backward",),
             references=("course.activations.swish_backward", "course.activations.swish_forward")))
