"""Tests for course/init.py: shapes, dtypes, scales and reproducibility of the initializers."""
import numpy as np
import pytest

from course import init


def test_zeros():
    W = init.zeros((3, 4))
    assert W.shape == (3, 4) and W.dtype == np.float64
    assert not W.any()
    assert init.zeros((2,), np.float32).dtype == np.float32


def test_normal_scale_and_reproducibility():
    W = init.normal((400, 300), 0.05, np.random.default_rng(0))
    assert W.shape == (400, 300)
    assert abs(W.std() - 0.05) < 0.05 * 0.02
    assert abs(W.mean()) < 0.05 * 0.02
    np.testing.assert_array_equal(W, init.normal((400, 300), 0.05, np.random.default_rng(0)))
    np.testing.assert_array_equal(W, 0.05 * np.random.default_rng(0).standard_normal((400, 300)))


@pytest.mark.parametrize("fan_in,fan_out", [(1000, 200), (50, 800), (300, 300)])
def test_xavier_and_he_standard_deviations(fan_in, fan_out):
    Wx = init.xavier(fan_in, fan_out, np.random.default_rng(1))
    Wh = init.he(fan_in, fan_out, np.random.default_rng(1))
    assert Wx.shape == Wh.shape == (fan_in, fan_out)
    assert Wx.std() == pytest.approx(1 / np.sqrt(fan_in), rel=0.03)
    assert Wh.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.03)
    # same draws, different scale: He = sqrt(2) * Xavier
    np.testing.assert_allclose(Wh, np.sqrt(2) * Wx, rtol=1e-12)


def test_float32_matches_float64_draws():
    W64 = init.he(20, 10, np.random.default_rng(3))
    W32 = init.he(20, 10, np.random.default_rng(3), dtype=np.float32)
    assert W32.dtype == np.float32
    np.testing.assert_allclose(W32, W64, rtol=1e-6)


@pytest.mark.parametrize("method", ["zeros", "normal", "xavier", "he"])
def test_initialize_params(method):
    dims = [5, 4, 3, 2]
    params = init.initialize_params(dims, method, np.random.default_rng(0), np.float32)
    assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l in range(1, 4):
        assert params[f"W{l}"].shape == (dims[l - 1], dims[l])
        assert params[f"b{l}"].shape == (dims[l],)
        assert params[f"W{l}"].dtype == np.float32 and params[f"b{l}"].dtype == np.float32
        assert not params[f"b{l}"].any()
    assert params["W1"].any() == (method != "zeros")


def test_initialize_params_scale_per_layer():
    params = init.initialize_params([800, 600, 10], "he", np.random.default_rng(0))
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 800), rel=0.03)
    assert params["W2"].std() == pytest.approx(np.sqrt(2 / 600), rel=0.03)  # fan_in of layer 2
    small = init.initialize_params([800, 600], "normal", np.random.default_rng(0), std=0.001)
    assert small["W1"].std() == pytest.approx(0.001, rel=0.03)


def test_initialize_params_errors():
    with pytest.raises(ValueError):
        init.initialize_params([3, 2], "glorot", np.random.default_rng(0))
    with pytest.raises(ValueError):
        init.initialize_params([3, 2], "he", None)
    assert not init.initialize_params([3, 2], "zeros", None)["W1"].any()


def test_initialize_params_normal_default_std():
    params = init.initialize_params([500, 400], "normal", np.random.default_rng(2))
    np.testing.assert_array_equal(params["W1"],
                                  0.01 * np.random.default_rng(2).standard_normal((500, 400)))
