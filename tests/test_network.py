"""Tests for course/network.py: L-layer passes and FullyConnectedNet with every option."""
import numpy as np
import pytest

from course import network
from course.activations import sigmoid_forward
from course.gradcheck import check_model_gradients, numerical_gradient, relative_error
from course.init import initialize_params
from course.losses import mse_loss, one_hot, softmax_cross_entropy


def _data(N, D, C, seed, regression=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    y = rng.standard_normal((N, C)) if regression else rng.integers(0, C, size=N)
    return X, y


def _randomize_biases(params, seed):
    """Nonzero biases: with b = 0 a ReLU unit fed by a dead layer sits exactly on its kink."""
    rng = np.random.default_rng(seed + 1)
    for name, p in params.items():
        if name.startswith("b"):
            p += 0.1 * rng.standard_normal(p.shape)


# ---------------------------------------------------------------- l_layer_forward / backward
def test_l_layer_forward_by_hand():
    params = {"W1": np.array([[1.0, -1.0], [0.5, 2.0]]), "b1": np.array([0.0, 1.0]),
              "W2": np.array([[1.0], [2.0]]), "b2": np.array([-1.0])}
    X = np.array([[2.0, 1.0], [-1.0, 0.0]])
    scores, caches = network.l_layer_forward(X, params, "relu")
    # hidden: relu([[2.5, 1], [-1, 2]]) = [[2.5, 1], [0, 2]]; scores = h @ [1, 2] - 1
    np.testing.assert_allclose(scores, [[3.5], [3.0]])
    assert len(caches) == 2
    grads = network.l_layer_backward(np.array([[1.0], [1.0]]), caches)
    assert list(grads) == ["W1", "b1", "W2", "b2"]
    np.testing.assert_allclose(grads["W2"], [[2.5], [3.0]])
    np.testing.assert_allclose(grads["b2"], [2.0])
    # dh = [[1, 2], [1, 2]] masked by relu'([[2.5, 1], [-1, 2]]) = [[1, 1], [0, 1]]
    np.testing.assert_allclose(grads["b1"], [1.0, 4.0])
    np.testing.assert_allclose(grads["W1"], X.T @ np.array([[1.0, 2.0], [0.0, 2.0]]))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dims,N", [([4, 5, 3], 1), ([6, 4, 5, 3], 7), ([3, 8, 2], 4)])
def test_l_layer_gradients(activation, dims, N):
    seed = len(activation) * 100 + N
    X, y = _data(N, dims[0], dims[-1], seed)
    params = initialize_params(dims, "xavier", np.random.default_rng(seed))
    _randomize_biases(params, seed)

    def loss_of_params(_):
        return softmax_cross_entropy(network.l_layer_forward(X, params, activation)[0], y)[0]

    scores, caches = network.l_layer_forward(X, params, activation)
    _, dscores = softmax_cross_entropy(scores, y)
    grads = network.l_layer_backward(dscores, caches)
    assert set(grads) == set(params)
    for name, p in params.items():
        assert grads[name].shape == p.shape
        assert relative_error(grads[name], numerical_gradient(loss_of_params, p)) < 1e-6, name


# ---------------------------------------------------------------- FullyConnectedNet
def _net(dims, **kw):
    kw.setdefault("dtype", np.float64)
    kw.setdefault("rng", np.random.default_rng(0))
    return network.FullyConnectedNet(dims, **kw)


def _assert_gradients(model, X, y, tol=1e-6, zero_grad=()):
    """Relative error below tol for every parameter; ``zero_grad`` names have gradient 0.

    1e-6 rather than 1e-7 for whole networks: entries of size 1e-5 carry finite-difference
    noise of about 1e-12, i.e. relative errors just above 1e-7, in correct code.
    """
    _randomize_biases(model.params, 0)
    report = check_model_gradients(model, X, y)
    _, grads = model.loss(X, y)
    for name, (err, where) in report.items():
        if name in zero_grad:
            assert np.max(np.abs(grads[name])) < 1e-12, name
        else:
            assert err < tol, f"{name}: relative error {err:.2e} at {where}"


@pytest.mark.parametrize("output", ["softmax", "linear", "sigmoid_mse"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu"])
def test_gradients_plain(output, activation):
    X, y = _data(5, 4, 3, 7, regression=output == "linear")
    model = _net([4, 6, 5, 3], activation=activation, output=output, init="xavier")
    _assert_gradients(model, X, y)


@pytest.mark.parametrize("output", ["softmax", "linear", "sigmoid_mse"])
@pytest.mark.parametrize("N", [1, 6])
def test_gradients_all_options(output, N):
    """Dropout (mask replayed from the model's rng), batch norm, L2 and L1 together."""
    X, y = _data(N, 5, 3, 100 + N, regression=output == "linear")
    model = _net([5, 7, 6, 3], activation="tanh", output=output, keep_prob=0.7,
                 batchnorm=True, l2=0.3, l1=0.05, rng=np.random.default_rng(N))
    assert set(model.params) == {"W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2",
                                 "W3", "b3"}
    # a hidden bias before batch norm has no effect on the loss: its gradient is exactly 0
    _assert_gradients(model, X, y, tol=1e-6, zero_grad=("b1", "b2"))


def test_gradients_all_options_relu():
    X, y = _data(8, 6, 4, 3)
    model = _net([6, 10, 4], activation="relu", keep_prob=0.5, batchnorm=True, l2=0.1, l1=0.01)
    _assert_gradients(model, X, y, tol=1e-6, zero_grad=("b1",))


def _twins(dims, seed, **options):
    """Two identical networks whose dropout masks will also be identical."""
    return [network.FullyConnectedNet(dims, rng=np.random.default_rng(seed), **options)
            for _ in range(2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output, options", [
    ("softmax", {}),
    ("sigmoid_mse", {"activation": "sigmoid"}),
    ("linear", {"activation": "tanh", "keep_prob": 0.7, "batchnorm": True, "l2": 0.3, "l1": 0.05}),
    ("softmax", {"keep_prob": 0.5, "batchnorm": True, "l2": 0.1}),
])
@pytest.mark.parametrize("N", [1, 7])
def test_backprop_callbacks_may_update_in_place(dtype, output, options, N):
    """Updating each parameter inside backprop's callbacks = loss() then p -= lr * grad."""
    X, y = _data(N, 5, 3, 40 + N, regression=output == "linear")
    eager, plain = _twins([5, 8, 6, 3], 9, output=output, dtype=dtype, **options)
    lr = 0.3

    def take_weight_grad(name, x, dz, penalty):
        grad = x.T @ dz + (0 if penalty is None else penalty)
        assert grad.shape == eager.params[name].shape
        eager.params[name] -= lr * grad

    def take_grad(name, g):
        eager.params[name] -= lr * g

    for _ in range(3):
        expected_loss, grads = plain.loss(X, y)
        for name, grad in grads.items():
            plain.params[name] -= lr * grad
        loss = eager.backprop(X, y, take_weight_grad, take_grad)
        assert loss == pytest.approx(expected_loss, rel=1e-5 if dtype == np.float32 else 1e-12)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for name, p in plain.params.items():
        assert eager.params[name].dtype == dtype
        np.testing.assert_allclose(eager.params[name], p, rtol=tol, atol=tol, err_msg=name)


def test_backprop_hands_on_every_parameter_once_from_the_top():
    X, y = _data(4, 5, 3, 1)
    model = _net([5, 6, 4, 3], batchnorm=True, l1=0.1)
    order = []
    model.backprop(X, y, lambda name, x, dz, penalty: order.append(name),
                   lambda name, g: order.append(name))
    assert order == ["W3", "b3", "gamma2", "beta2", "W2", "b2", "gamma1", "beta1", "W1", "b1"]
    assert sorted(order) == sorted(model.params)


def test_loss_values_by_hand():
    X, y = _data(4, 3, 2, 1)
    for output in ("softmax", "sigmoid_mse"):
        model = _net([3, 5, 2], output=output, init="zeros")
        loss, _ = model.loss(X, y)
        # all-zero weights: scores 0, softmax gives log 2; sigmoid gives 0.5 on each of 2 outputs
        assert loss == pytest.approx(np.log(2) if output == "softmax" else 2 * 0.25 / 2)
    model = _net([3, 4, 2], activation="tanh", output="sigmoid_mse")
    a = sigmoid_forward(model.predict(X))[0]
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(np.sum((a - one_hot(y, 2)) ** 2) / (2 * 4), rel=1e-12)
    Xr, yr = _data(4, 3, 2, 2, regression=True)
    model = _net([3, 4, 2], output="linear")
    assert model.loss(Xr, yr)[0] == pytest.approx(mse_loss(model.predict(Xr), yr)[0], rel=1e-12)


@pytest.mark.parametrize("l2, l1", [(0.2, 0.03), (0.2, 0.0), (0.0, 0.03)])
def test_penalties_apply_to_weights_only(l2, l1):
    """Together or alone, the penalties reach the loss and the weight gradients only."""
    X, y = _data(6, 4, 3, 5)
    base = _net([4, 5, 3], batchnorm=True)
    pen = _net([4, 5, 3], batchnorm=True, l2=l2, l1=l1)
    for model in (base, pen):
        model.params["W1"][0, 0] = 0.0  # |W| has no slope at 0: the subgradient used is 0
    loss0, g0 = base.loss(X, y)
    loss1, g1 = pen.loss(X, y)
    W1, W2 = base.params["W1"], base.params["W2"]
    expected = sum(0.5 * l2 * np.sum(W ** 2) + l1 * np.sum(np.abs(W)) for W in (W1, W2))
    assert loss1 - loss0 == pytest.approx(expected, rel=1e-10)
    for name, W in (("W1", W1), ("W2", W2)):
        np.testing.assert_allclose(g1[name] - g0[name], l2 * W + l1 * np.sign(W), atol=1e-12)
    for name in ("b1", "b2", "gamma1", "beta1"):
        np.testing.assert_allclose(g1[name], g0[name], atol=1e-14)


def test_batchnorm_keeps_one_set_of_statistics_per_layer():
    """Three hidden layers of different widths: layer l updates bn_params[l - 1] only."""
    X, y = _data(9, 4, 3, 7)
    model = _net([4, 5, 6, 7, 3], batchnorm=True)
    model.loss(X, y)
    a = X
    for l, bn in enumerate(model.bn_params, start=1):
        z = a @ model.params[f"W{l}"] + model.params[f"b{l}"]
        np.testing.assert_allclose(bn["running_mean"], 0.1 * z.mean(axis=0), rtol=1e-10,
                                   err_msg=f"layer {l}")
        z_hat = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5)  # gamma 1, beta 0
        a = np.maximum(z_hat, 0)


def test_predict_is_test_mode():
    X, y = _data(50, 4, 3, 9)
    model = _net([4, 8, 3], keep_prob=0.5, batchnorm=True)
    p1, p2 = model.predict(X), model.predict(X)
    np.testing.assert_array_equal(p1, p2)  # no dropout noise at test time
    # predict is the plain forward pass with the running averages (here still 0 and 1)
    h = np.maximum((X @ model.params["W1"] + model.params["b1"]) / np.sqrt(1 + 1e-5), 0)
    np.testing.assert_allclose(p1, h @ model.params["W2"] + model.params["b2"], rtol=1e-10)
    # two train-mode calls move the running averages; predict then uses them
    model.loss(X, y)
    model.loss(X, y)
    z = X @ model.params["W1"] + model.params["b1"]
    bn = model.bn_params[0]
    np.testing.assert_allclose(bn["running_mean"], (1 - 0.81) * z.mean(axis=0), rtol=1e-10)
    assert not np.allclose(model.predict(X), p1)
    # predicting in chunks gives the same scores
    np.testing.assert_allclose(model.predict(X, batch_size=7), model.predict(X), rtol=1e-12)


def test_dropout_changes_training_loss_between_calls():
    X, y = _data(20, 4, 3, 4)
    model = _net([4, 30, 3], keep_prob=0.5)
    assert model.loss(X, y)[0] != model.loss(X, y)[0]
    no_drop = _net([4, 30, 3])
    assert no_drop.loss(X, y)[0] == no_drop.loss(X, y)[0]


def test_float32_by_default():
    X, y = _data(6, 4, 3, 2)
    model = network.FullyConnectedNet([4, 5, 3], rng=np.random.default_rng(0))
    assert all(p.dtype == np.float32 for p in model.params.values())
    loss, grads = model.loss(X, y)  # float64 input is converted
    assert isinstance(loss, float)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert model.predict(X).dtype == np.float32


def test_training_reduces_loss_and_fits_blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = np.repeat(np.arange(3), 40)
    X = centers[y] + 0.6 * rng.standard_normal((120, 2))
    model = network.FullyConnectedNet([2, 16, 3], rng=np.random.default_rng(1))
    first, _ = model.loss(X, y)
    for _ in range(200):
        loss, grads = model.loss(X, y)
        for name, g in grads.items():
            model.params[name] -= 0.5 * g
    assert loss < 0.3 * first
    assert np.mean(model.predict(X).argmax(axis=1) == y) > 0.95


def test_bad_arguments():
    with pytest.raises(ValueError):
        network.FullyConnectedNet([4, 3], output="hinge", rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        network.FullyConnectedNet([4, 3], activation="swish", rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        network.FullyConnectedNet([4, 3], keep_prob=0.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        network.FullyConnectedNet([4, 3])  # He init needs an rng
    with pytest.raises(ValueError):
        network.FullyConnectedNet([4], rng=np.random.default_rng(0))  # no output layer
    with pytest.raises(ValueError):
        network.FullyConnectedNet([4, 3], keep_prob=1.5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):  # dropout needs an rng even with zero weights
        network.FullyConnectedNet([4, 5, 3], init="zeros", keep_prob=0.5)
    with pytest.raises(ValueError, match="W1"):
        network.l_layer_forward(np.ones((2, 3)), {"W2": np.ones((3, 2)), "b2": np.zeros(2)})
    # what is allowed: one layer (softmax regression), keep_prob 1, zeros without an rng
    X, y = _data(5, 4, 3, 8)
    assert network.FullyConnectedNet([4, 3], init="zeros").loss(X, y)[0] == pytest.approx(np.log(3))
    keep_all = network.FullyConnectedNet([4, 5, 3], keep_prob=1.0, rng=np.random.default_rng(1))
    plain = network.FullyConnectedNet([4, 5, 3], rng=np.random.default_rng(1))
    assert keep_all.loss(X, y)[0] == pytest.approx(plain.loss(X, y)[0], rel=1e-6)
