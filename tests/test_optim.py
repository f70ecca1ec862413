"""Tests for course/optim.py: each update restated by hand and run for several steps."""
import math

import numpy as np
import pytest

from course import optim

W0 = np.array([[0.5, -1.2, 2.0], [0.0, 0.3, -0.7]])
GRADS = [
    np.array([[0.1, -0.4, 1.5], [-2.0, 0.25, 0.0]]),
    np.array([[-0.3, 0.2, 0.5], [1.0, -0.75, 0.6]]),
    np.array([[0.05, 0.9, -1.0], [0.5, 0.5, -0.2]]),
]


def run(update, config, grads=GRADS, w0=W0):
    """Apply ``update`` for every gradient in ``grads``; return the list of weights."""
    w, ws = w0.copy(), []
    for dw in grads:
        w_in, w_saved = w, w.copy()
        w, config = update(w_in, dw, config)
        np.testing.assert_array_equal(w_in, w_saved, err_msg="input w was modified")
        assert w.shape == w0.shape
        ws.append(w)
    return ws, config


def test_sgd_matches_formula_and_default_lr():
    ws, config = run(optim.sgd, {"learning_rate": 0.3})
    w = W0.copy()
    for dw, got in zip(GRADS, ws):
        w = w - 0.3 * dw
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=0)
    _, config = optim.sgd(W0, GRADS[0], {})
    assert config["learning_rate"] == 1e-2


def test_momentum_velocity_form():
    lr, mu = 0.1, 0.8
    ws, config = run(optim.momentum, {"learning_rate": lr, "momentum": mu})
    w, v = W0.copy(), np.zeros_like(W0)
    for dw, got in zip(GRADS, ws):
        v = mu * v - lr * dw
        w = w + v
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(config["velocity"], v, rtol=1e-12, atol=1e-15)


def test_momentum_defaults_filled_in():
    _, config = optim.momentum(W0, GRADS[0], {})
    assert config["learning_rate"] == 1e-2 and config["momentum"] == 0.9
    np.testing.assert_allclose(config["velocity"], -1e-2 * GRADS[0], rtol=1e-12)


def test_nesterov_lookahead_rewrite():
    lr, mu = 0.05, 0.9
    ws, config = run(optim.nesterov, {"learning_rate": lr, "momentum": mu})
    w, v = W0.copy(), np.zeros_like(W0)
    for dw, got in zip(GRADS, ws):
        v_prev = v
        v = mu * v - lr * dw
        w = w - mu * v_prev + (1 + mu) * v
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(config["velocity"], v, rtol=1e-12, atol=1e-15)
    # differs from plain momentum after the first step
    ws_m, _ = run(optim.momentum, {"learning_rate": lr, "momentum": mu})
    assert np.abs(ws_m[1] - ws[1]).max() > 1e-3


def test_rmsprop():
    lr, rho, eps = 0.01, 0.9, 1e-8
    ws, config = run(optim.rmsprop, {"learning_rate": lr, "decay_rate": rho})
    w, s = W0.copy(), np.zeros_like(W0)
    for dw, got in zip(GRADS, ws):
        s = rho * s + (1 - rho) * dw**2
        w = w - lr * dw / (np.sqrt(s) + eps)
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(config["cache"], s, rtol=1e-12)
    assert config["epsilon"] == 1e-8 and config["decay_rate"] == 0.9


def test_adam_bias_corrected_each_step():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    ws, config = run(optim.adam, {"learning_rate": lr})
    w, m, v = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t, (dw, got) in enumerate(zip(GRADS, ws), start=1):
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * dw**2
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15, err_msg=f"step t={t}")
    assert config["t"] == 3
    np.testing.assert_allclose(config["m"], m, rtol=1e-12)
    np.testing.assert_allclose(config["v"], v, rtol=1e-12)
    assert (config["beta1"], config["beta2"], config["epsilon"]) == (0.9, 0.999, 1e-8)


def test_adam_first_step_is_lr_times_sign():
    """With bias correction the first step is lr * sign(dw) (where dw is not tiny)."""
    dw = np.array([3.0, -0.02, 1e-3, -50.0])
    w, _ = optim.adam(np.zeros(4), dw, {"learning_rate": 0.1})
    np.testing.assert_allclose(w, -0.1 * np.sign(dw), rtol=1e-4)


def test_float32_stays_float32_and_state_in_config():
    w = W0.astype(np.float32)
    for name, update in optim.OPTIMIZERS.items():
        config = {"learning_rate": np.float64(0.1)}  # a NumPy scalar must not upcast
        w_new, config = update(w, GRADS[0].astype(np.float32), config)
        w_new, config = update(w_new, GRADS[1].astype(np.float32), config)
        assert w_new.dtype == np.float32, name
        for value in config.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, name
    assert set(optim.OPTIMIZERS) == {"sgd", "momentum", "nesterov", "rmsprop", "adam"}


def test_separate_configs_keep_separate_state():
    c1, c2 = {}, {}
    optim.adam(W0, GRADS[0], c1)
    optim.adam(W0, GRADS[1], c2)
    optim.adam(W0, GRADS[2], c2)
    assert c1["t"] == 1 and c2["t"] == 2


def test_ewa_hand_computed():
    values = [10.0, 20.0, 30.0]
    # v1 = 0.5*10 = 5, v2 = 0.5*5 + 0.5*20 = 12.5, v3 = 0.5*12.5 + 0.5*30 = 21.25
    np.testing.assert_allclose(optim.ewa(values, 0.5, bias_correction=False),
                               [5.0, 12.5, 21.25], rtol=1e-12)
    # corrected: divide by 1 - 0.5**t = 0.5, 0.75, 0.875
    np.testing.assert_allclose(optim.ewa(values, 0.5), [10.0, 12.5 / 0.75, 21.25 / 0.875],
                               rtol=1e-12)


def test_ewa_corrected_constant_sequence_is_constant():
    out = optim.ewa(np.full(50, 7.0), 0.9)
    np.testing.assert_allclose(out, 7.0, rtol=1e-12)
    raw = optim.ewa(np.full(50, 7.0), 0.9, bias_correction=False)
    assert raw[0] == pytest.approx(0.7) and raw[-1] == pytest.approx(7 * (1 - 0.9**50))


@pytest.mark.parametrize("epoch, expected", [(0, 0.4), (9, 0.4), (10, 0.2), (25, 0.1)])
def test_step_decay(epoch, expected):
    assert optim.step_decay(0.4, epoch) == pytest.approx(expected, rel=1e-12)


def test_step_decay_custom():
    assert optim.step_decay(1.0, 7, drop=0.1, every=3) == pytest.approx(0.01, rel=1e-12)


def test_exponential_and_inverse_time_decay():
    assert optim.exponential_decay(0.5, 0, k=0.3) == pytest.approx(0.5, rel=1e-12)
    assert optim.exponential_decay(0.5, 4, k=0.3) == pytest.approx(0.5 * math.exp(-1.2),
                                                                   rel=1e-12)
    assert optim.inverse_time_decay(0.5, 0, k=0.3) == pytest.approx(0.5, rel=1e-12)
    assert optim.inverse_time_decay(0.5, 4, k=0.5) == pytest.approx(0.5 / 3, rel=1e-12)
    assert isinstance(optim.exponential_decay(0.5, 4, k=0.3), float)


def test_rmsprop_defaults():
    ws, config = run(optim.rmsprop, {})
    w, s = W0.copy(), np.zeros_like(W0)
    for dw, got in zip(GRADS, ws):
        s = 0.99 * s + 0.01 * dw**2
        w = w - 1e-2 * dw / (np.sqrt(s) + 1e-8)
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15)
    assert (config["learning_rate"], config["decay_rate"], config["epsilon"]) == (1e-2, 0.99, 1e-8)
