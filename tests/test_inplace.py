"""Tests for course/inplace.py: each in-place twin makes its pure update of course.optim."""
import numpy as np
import pytest

from course import inplace, optim
from course.network import FullyConnectedNet

CONFIGS = {  # hyperparameters away from the defaults, so that a default used by mistake shows
    "sgd": {"learning_rate": 0.3},
    "momentum": {"learning_rate": 0.1, "momentum": 0.8},
    "nesterov": {"learning_rate": 0.05, "momentum": 0.7},
    "rmsprop": {"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": 1e-3},
    "adam": {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-4},
}


def _problem(dtype, seed=0, shape=(4, 3), steps=4):
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(steps)]
    return w0, grads


def _pure(name, w0, grads, config):
    w = w0.copy()
    for dw in grads:
        w, config = optim.OPTIMIZERS[name](w, dw, config)
    return w, config


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_twin_gives_the_pure_update_bit_for_bit(name, dtype):
    """From the same array gradients: the same weights and state, exactly, in the same keys."""
    w0, grads = _problem(dtype)
    expected, pure_config = _pure(name, w0, grads, dict(CONFIGS[name]))
    w, config = w0.copy(), dict(CONFIGS[name])
    work = inplace.Scratch(w)
    for dw in grads:
        inplace.TWINS[optim.OPTIMIZERS[name]](w, inplace.Dense(dw.copy()), config, work)
    assert w.dtype == dtype
    np.testing.assert_array_equal(w, expected)
    assert config.keys() == pure_config.keys()
    for key, value in pure_config.items():
        np.testing.assert_array_equal(config[key], value, err_msg=key)


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_either_path_carries_on_from_the_others_config(name):
    """Two in-place steps, then the pure update on the same config: as four pure steps."""
    w0, grads = _problem(np.float64, seed=1)
    expected, _ = _pure(name, w0, grads, dict(CONFIGS[name]))
    w, config = w0.copy(), dict(CONFIGS[name])
    for dw in grads[:2]:
        inplace.TWINS[optim.OPTIMIZERS[name]](w, inplace.Dense(dw.copy()), config,
                                              inplace.Scratch(w))
    w, config = _pure(name, w, grads[2:], config)
    np.testing.assert_array_equal(w, expected)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("penalty", [False, True])
@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_twin_with_the_gradient_as_a_product(name, penalty, dtype, tol):
    """dW = x^T dz (+ penalty) given as its factors: the pure update of the computed dW."""
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((5, 3)).astype(dtype)
    draw = lambda shape: rng.standard_normal(shape).astype(dtype)
    factors = [(draw((7, 5)), draw((7, 3)), draw((5, 3)) if penalty else None) for _ in range(3)]
    dense = [x.T @ dz + (0 if p is None else p) for x, dz, p in factors]
    expected, pure_config = _pure(name, w0, dense, dict(CONFIGS[name]))
    w, config, work = w0.copy(), dict(CONFIGS[name]), inplace.Scratch(w0)
    for x, dz, p in factors:
        product = inplace.Product(x, dz, None if p is None else p.copy())
        inplace.TWINS[optim.OPTIMIZERS[name]](w, product, config, work)
    np.testing.assert_allclose(w, expected, rtol=tol, atol=tol)
    for key, value in pure_config.items():
        np.testing.assert_allclose(config[key], value, rtol=tol, atol=tol, err_msg=key)


@pytest.mark.parametrize("layout", ["F", "strided"])
def test_product_updates_arrays_that_are_not_c_contiguous(layout):
    """A weight assigned by hand in another layout is still updated inside its own array."""
    rng = np.random.default_rng(3)
    x, dz = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    base = rng.standard_normal((4, 6))
    c = np.asfortranarray(base[:, :3]) if layout == "F" else base[:, ::2]
    expected = 0.5 * c - 0.2 * (x.T @ dz)
    inplace.Product(x, dz).add_to(c, -0.2, 0.5)
    np.testing.assert_allclose(c, expected, rtol=1e-12)
    if layout == "strided":
        np.testing.assert_allclose(base[:, ::2], expected, rtol=1e-12)


def _net(**options):
    return FullyConnectedNet([5, 6, 3], rng=np.random.default_rng(0), **options)


def test_in_place_step_only_for_the_course_optimizers_and_network():
    configs = {name: {} for name in _net().params}
    for update in optim.OPTIMIZERS.values():
        assert inplace.in_place_step(_net(), update, configs) is not None

    def students_sgd(w, dw, config):
        return w - 0.1 * dw, config

    class LossOfMyOwn(FullyConnectedNet):
        def loss(self, X, y):
            return super().loss(X, y)

    patched = _net()
    patched.loss = lambda X, y: FullyConnectedNet.loss(patched, X, y)
    assert inplace.in_place_step(_net(), students_sgd, configs) is None
    assert inplace.in_place_step(_net(), lambda w, dw, c: optim.adam(w, dw, c), configs) is None
    assert inplace.in_place_step(LossOfMyOwn([5, 6, 3], rng=np.random.default_rng(0)),
                                 optim.sgd, configs) is None
    assert inplace.in_place_step(patched, optim.sgd, configs) is None

    class NotTheNetwork:
        def __init__(self):
            self.params = {"W": np.zeros((2, 2))}

    assert inplace.in_place_step(NotTheNetwork(), optim.sgd, {"W": {}}) is None


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_in_place_step_returns_the_loss_and_keeps_the_arrays(name):
    """step() returns what loss() would, and the parameters stay the same float32 arrays."""
    X = np.random.default_rng(4).standard_normal((8, 5))
    y = np.arange(8) % 3
    fast, plain = _net(l2=0.1, batchnorm=True), _net(l2=0.1, batchnorm=True)
    arrays = dict(fast.params)
    configs = {k: dict(CONFIGS[name]) for k in fast.params}
    step = inplace.in_place_step(fast, optim.OPTIMIZERS[name], configs)
    assert step(X, y) == plain.loss(X, y)[0]
    for _ in range(2):
        step(X, y)
    assert all(fast.params[k] is arrays[k] for k in arrays)
    assert all(p.dtype == np.float32 for p in fast.params.values())
    assert all(configs[k]["learning_rate"] == CONFIGS[name]["learning_rate"] for k in configs)
