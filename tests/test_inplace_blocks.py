"""Tests for the block-by-block updates of course/inplace.py (RMSProp and Adam).

A parameter larger than ``inplace.BLOCK`` elements is updated a block of rows at a time, its
weight gradient computed block by block. The course's small test networks never reach the
default block size, so these tests lower it until every parameter spans several blocks, one
of them short.
"""
import numpy as np
import pytest

from course import inplace, optim
from course.network import FullyConnectedNet
from course.train import train

BLOCKED = ["rmsprop", "adam"]
CONFIGS = {  # away from the defaults, as in test_inplace.py
    "rmsprop": {"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": 1e-3},
    "adam": {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-4},
}


def _pure(name, w0, grads, config):
    w = w0.copy()
    for dw in grads:
        w, config = optim.OPTIMIZERS[name](w, dw, config)
    return w, config


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 6 elements: a (7, 3) parameter is updated as rows 0-1, 2-3, 4-5 and 6, a (13,)
    one as 0-5, 6-11 and 12, a (2, 3, 4) one row by row; (4,) and () are one block."""
    monkeypatch.setattr(inplace, "BLOCK", 6)


@pytest.mark.parametrize("shape", [(7, 3), (13,), (2, 3, 4), (4,), ()])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", BLOCKED)
def test_blocked_twin_gives_the_pure_update_bit_for_bit(small_blocks, name, dtype, shape):
    rng = np.random.default_rng(7)
    w0 = np.asarray(rng.standard_normal(shape)).astype(dtype)
    grads = [np.asarray(rng.standard_normal(shape)).astype(dtype) for _ in range(4)]
    expected, pure_config = _pure(name, w0, grads, dict(CONFIGS[name]))
    w, config = w0.copy(), dict(CONFIGS[name])
    work = inplace.Scratch(w)
    for dw in grads:
        inplace.TWINS[optim.OPTIMIZERS[name]](w, inplace.Dense(dw.copy()), config, work)
    np.testing.assert_array_equal(w, expected)
    for key, value in pure_config.items():
        np.testing.assert_array_equal(config[key], value, err_msg=key)


@pytest.mark.parametrize("penalty", [False, True])
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("name", BLOCKED)
def test_blocked_twin_with_the_gradient_as_a_product(small_blocks, name, layout, penalty):
    """Rows of x^T dz (+ penalty) block by block: the update of the whole product, to rounding."""
    rng = np.random.default_rng(8)
    x, dz = rng.standard_normal((5, 7)), rng.standard_normal((5, 3))
    w0 = np.asarray(rng.standard_normal((7, 3)), order=layout)
    pen = rng.standard_normal((7, 3)) if penalty else None
    dw = x.T @ dz + (pen if penalty else 0.0)
    expected, _ = _pure(name, w0, [dw, dw], dict(CONFIGS[name]))
    w, config = w0.copy(order="K"), dict(CONFIGS[name])
    work = inplace.Scratch(w)
    for _ in range(2):
        product = inplace.Product(x, dz, None if pen is None else pen.copy())
        inplace.TWINS[optim.OPTIMIZERS[name]](w, product, config, work)
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=1e-14)
    assert w.flags.f_contiguous == (layout == "F")


def test_blocks_cover_every_row_once(small_blocks):
    w = np.zeros((7, 3))
    g = np.arange(21.0).reshape(7, 3)
    seen = [(index, dw.copy()) for index, dw, _ in
            inplace._row_blocks(w, inplace.Dense(g), inplace.Scratch(w))]
    assert [index for index, _ in seen] == [slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 7)]
    np.testing.assert_array_equal(np.concatenate([dw for _, dw in seen]), g)


@pytest.mark.parametrize("name", BLOCKED)
def test_train_with_blocks_follows_the_pure_trajectory(small_blocks, name):
    """train() on a network whose every weight spans several blocks, against the pure loop."""
    rng = np.random.default_rng(9)
    X = rng.standard_normal((120, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    histories, models = [], []
    for update in (optim.OPTIMIZERS[name], lambda w, dw, c, u=optim.OPTIMIZERS[name]: u(w, dw, c)):
        model = FullyConnectedNet([5, 9, 3], dtype=np.float64, l2=1e-3,
                                  rng=np.random.default_rng(10))
        histories.append(train(model, X[:90], y[:90], X[90:], y[90:], optimizer=update,
                               optim_config={"learning_rate": 1e-2}, epochs=4, batch_size=16,
                               rng=np.random.default_rng(11), verbose=False))
        models.append(model)
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-10)
    for k, p in models[1].params.items():
        np.testing.assert_allclose(models[0].params[k], p, rtol=1e-10, atol=1e-12, err_msg=k)
