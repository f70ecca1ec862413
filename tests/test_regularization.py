"""Tests for course/regularization.py."""
import numpy as np
import pytest

from course import regularization as reg


def numerical_grad(f, x, h=1e-6):
    """Centered differences of a scalar function f at x (float64)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def rel_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


# --------------------------------------------------------------------------- penalties
def test_l2_penalty_value_and_gradient():
    W = np.linspace(-1.5, 2.0, 12).reshape(3, 4)
    value, dW = reg.l2_penalty(W, 0.3)
    assert value == pytest.approx(0.5 * 0.3 * np.sum(W**2), rel=1e-12)
    assert dW.shape == W.shape
    num = numerical_grad(lambda w: reg.l2_penalty(w, 0.3)[0], W.copy())
    assert rel_error(dW, num) < 1e-7


def test_l1_penalty_value_and_gradient():
    W = np.linspace(-1.45, 2.05, 12).reshape(4, 3)  # no entry at 0, where |W| has a kink
    value, dW = reg.l1_penalty(W, 0.7)
    assert value == pytest.approx(0.7 * np.sum(np.abs(W)), rel=1e-12)
    num = numerical_grad(lambda w: reg.l1_penalty(w, 0.7)[0], W.copy())
    assert rel_error(dW, num) < 1e-7
    assert reg.l1_penalty(np.zeros(3), 1.0)[1].tolist() == [0.0, 0.0, 0.0]


def test_penalties_keep_float32():
    W = np.ones((2, 2), dtype=np.float32)
    assert reg.l2_penalty(W, np.float64(0.1))[1].dtype == np.float32
    assert reg.l1_penalty(W, 0.1)[1].dtype == np.float32


# --------------------------------------------------------------------------- early stopping
def test_early_stopping_hand_sequence():
    metrics = [0.50, 0.60, 0.58, 0.65, 0.64, 0.64, 0.66]
    stopper = reg.EarlyStopping(patience=2)
    params = {"W": np.zeros(2)}
    stops = []
    for epoch, m in enumerate(metrics):
        params["W"] += 1.0  # the live array changes in place every epoch
        stops.append(stopper.step(m, params, epoch))
        if stops[-1]:
            break
    # best 0.65 at epoch 3; epochs 4 and 5 do not improve -> stop at epoch 5
    assert stops == [False, False, False, False, False, True]
    assert stopper.best_epoch == 3 and stopper.best_value == pytest.approx(0.65)
    np.testing.assert_array_equal(stopper.best_params["W"], [4.0, 4.0])
    assert stopper.best_params["W"] is not params["W"]


def test_early_stopping_min_delta():
    stopper = reg.EarlyStopping(patience=1, min_delta=0.05)
    p = {"w": np.array([1.0])}
    assert not stopper.step(0.5, p, 0)
    assert stopper.step(0.52, p, 1)  # +0.02 is below min_delta: no improvement
    assert stopper.best_epoch == 0


# --------------------------------------------------------------------------- preprocessing
def test_standardizer_uses_train_stats_and_handles_constant_feature():
    X_train = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]])
    X_test = np.array([[3.0, 7.0, 0.0]])
    mean, std = reg.fit_standardizer(X_train)
    np.testing.assert_allclose(mean, [3.0, 5.0, 5.0])
    np.testing.assert_allclose(std, [np.sqrt(8 / 3), 1.0, np.sqrt(26 / 3)])
    Z = reg.standardize(X_train, mean, std)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1, 0, 1], atol=1e-12)
    np.testing.assert_allclose(reg.standardize(X_test, mean, std),
                               [[0.0, 2.0, -5.0 / np.sqrt(26 / 3)]])


def test_pca_whitening_identity_covariance():
    rng = np.random.default_rng(0)
    A = np.array([[3.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.5, -0.4, 0.2]])
    X = rng.standard_normal((500, 3)) @ A + np.array([5.0, -2.0, 1.0])
    white = reg.PCAWhitener(eps=1e-10).fit(X)
    Z = white.transform(X)
    assert Z.shape == (500, 3)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(Z.T @ Z / len(Z), np.eye(3), atol=1e-6)
    # variances sorted, components orthonormal
    assert np.all(np.diff(white.variances_) <= 0)
    np.testing.assert_allclose(white.components_ @ white.components_.T, np.eye(3), atol=1e-10)
    # fewer components; new data is centered with the *training* mean
    white2 = reg.PCAWhitener(n_components=2).fit(X)
    assert white2.transform(X[:5]).shape == (5, 2)
    np.testing.assert_allclose(white2.transform(X.mean(axis=0)[None]), 0, atol=1e-10)
    shift = np.array([1.0, -2.0, 0.5])
    expected = shift @ white2.components_.T / np.sqrt(white2.variances_ + white2.eps)
    np.testing.assert_allclose(white2.transform(X[:5] + shift) - white2.transform(X[:5]),
                               np.tile(expected, (5, 1)), atol=1e-10)
    assert np.abs(expected).max() > 0.1


# --------------------------------------------------------------------------- augmentation
def one_pixel(r, c, n=1):
    X = np.zeros((n, 784), dtype=np.float32)
    X[:, r * 28 + c] = 1.0
    return X


@pytest.mark.parametrize("dx, dy", [(3, -2), (-1, 4), (0, 0), (-2, -2)])
def test_shift_moves_single_pixel(dx, dy):
    out = reg.shift_images(one_pixel(10, 12), dx, dy)
    assert out.shape == (1, 784) and out.dtype == np.float32
    assert np.argwhere(out.reshape(28, 28)).tolist() == [[10 + dy, 12 + dx]]
    assert out.sum() == 1.0


def test_shift_per_image_and_zero_fill():
    X = np.ones((3, 784))
    out = reg.shift_images(X, np.array([1, 0, -2]), np.array([0, 3, 0])).reshape(3, 28, 28)
    assert np.all(out[0, :, 0] == 0) and np.all(out[0, :, 1:] == 1)
    assert np.all(out[1, :3] == 0) and np.all(out[1, 3:] == 1)
    assert np.all(out[2, :, -2:] == 0) and np.all(out[2, :, :-2] == 1)
    assert reg.shift_images(one_pixel(0, 27), 1, 0).sum() == 0  # shifted out of the image


def test_rotate_zero_is_identity_and_ninety_matches_rot90():
    rng = np.random.default_rng(1)
    X = rng.random((4, 784)).astype(np.float32)
    np.testing.assert_allclose(reg.rotate_images(X, 0.0), X, atol=1e-6)
    pattern = np.zeros((28, 28))
    pattern[3, 5:20] = 1.0  # a horizontal bar near the top ...
    pattern[3:10, 5] = 0.5  # ... with a shorter vertical bar at its left end
    rotated = reg.rotate_images(pattern.reshape(1, 784), 90).reshape(28, 28)
    np.testing.assert_allclose(rotated, np.rot90(pattern), atol=1e-6)  # counter-clockwise
    # per-image angles: each image rotated by its own angle
    both = reg.rotate_images(np.stack([pattern.ravel()] * 2), np.array([90.0, -90.0]))
    np.testing.assert_allclose(both[1].reshape(28, 28), np.rot90(pattern, -1), atol=1e-6)


def test_rotate_small_angle_keeps_mass_and_moves_pixels():
    X = np.zeros((1, 28, 28))
    X[0, 8:20, 12:16] = 1.0
    out = reg.rotate_images(X, 10.0)
    assert out.shape == (1, 28, 28)
    assert out.sum() == pytest.approx(X.sum(), rel=0.02)
    assert np.abs(out - X).max() > 0.5


def test_add_noise_clipped():
    rng = np.random.default_rng(2)
    X = np.tile(np.array([0.0, 0.5, 1.0], dtype=np.float32), (100, 1))
    out = reg.add_noise(X, 0.3, rng)
    assert out.dtype == np.float32 and out.shape == X.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert np.abs(out - X).max() > 0.1
    assert (out[:, 0] == 0).mean() > 0.3 and (out[:, 2] == 1).mean() > 0.3


def test_random_augment_shapes_determinism_and_effect():
    X = np.zeros((50, 784), dtype=np.float32)
    X[:, 28 * 14 + 10:28 * 14 + 18] = 1.0
    a = reg.random_augment(X, np.random.default_rng(3))
    b = reg.random_augment(X, np.random.default_rng(3))
    assert a.shape == X.shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert np.mean(np.abs(a - X).max(axis=1) > 0.1) > 0.8  # most images changed
    assert a.min() >= -1e-6 and a.max() <= 1 + 1e-6
    np.testing.assert_array_equal(
        reg.random_augment(X, np.random.default_rng(3), max_shift=0, max_degrees=0), X)
    shifted = reg.random_augment(X, np.random.default_rng(4), max_degrees=0)
    np.testing.assert_allclose(shifted.sum(axis=1), X.sum(axis=1))  # shifts only: no loss
    assert np.mean(np.any(shifted != X, axis=1)) > 0.7  # most of the 25 shifts move the bar
    noisy = reg.random_augment(X, np.random.default_rng(5), noise_std=0.2)
    assert 0 <= noisy.min() and noisy.max() <= 1
    assert np.mean(noisy > 0.01) > 0.3  # noise lights up much of the (black) background


def test_mixup_convex_combination():
    rng = np.random.default_rng(6)
    X = np.arange(20, dtype=np.float32).reshape(5, 4)
    Y = np.eye(3)[[0, 1, 2, 1, 0]]
    Xm, Ym = reg.mixup(X, Y, 0.4, rng)
    assert Xm.shape == X.shape and Xm.dtype == np.float32 and Ym.shape == Y.shape
    np.testing.assert_allclose(Ym.sum(axis=1), 1.0)
    assert Ym.min() >= 0
    # each row is lam * own row + (1 - lam) * some row, with the same lam for X and Y
    rng = np.random.default_rng(6)
    lam = rng.beta(0.4, 0.4, size=5)
    perm = rng.permutation(5)
    np.testing.assert_allclose(Xm, lam[:, None] * X + (1 - lam[:, None]) * X[perm], rtol=1e-5)
    np.testing.assert_allclose(Ym, lam[:, None] * Y + (1 - lam[:, None]) * Y[perm], rtol=1e-6)
    with pytest.raises(ValueError):
        reg.mixup(X, np.array([0, 1, 2, 1, 0]), 0.4, rng)


def test_log_uniform_range_and_spread():
    x = reg.log_uniform(1e-4, 1e-1, 2000, np.random.default_rng(7))
    assert x.shape == (2000,) and x.min() >= 1e-4 and x.max() < 1e-1
    # uniform on the log scale: about a third of the samples in each decade
    counts = np.histogram(np.log10(x), bins=[-4, -3, -2, -1])[0]
    assert np.all(np.abs(counts / 2000 - 1 / 3) < 0.05)


def test_rotation_in_chunks_matches_one_pass(monkeypatch):
    rng = np.random.default_rng(8)
    X = rng.random((7, 784)).astype(np.float32)
    angles = rng.uniform(-30, 30, size=7)
    whole = reg.rotate_images(X, angles)
    monkeypatch.setattr(reg, "_CHUNK", 3)
    np.testing.assert_array_equal(reg.rotate_images(X, angles), whole)


@pytest.mark.parametrize("degrees", [10.0, -25.0])
def test_rotation_matches_scipy_bilinear(degrees):
    from scipy import ndimage

    X = np.zeros((1, 28, 28))
    X[0, 6:22, 6:22] = np.random.default_rng(9).random((16, 16))  # content away from borders
    expected = ndimage.rotate(X[0], degrees, reshape=False, order=1, mode="constant", cval=0)
    np.testing.assert_allclose(reg.rotate_images(X, degrees)[0], expected, atol=1e-5)


def test_early_stopping_patience_must_be_positive():
    with pytest.raises(ValueError):
        reg.EarlyStopping(patience=0)
    stopper = reg.EarlyStopping(patience=1)
    assert stopper.wait == 0 and stopper.best_epoch is None and stopper.best_value == -np.inf


def test_standardizer_keeps_small_spreads_and_removes_rounding_noise():
    X = np.column_stack([1e-5 * np.array([1.0, 2.0, 3.0]),  # a real, if small, spread
                         np.full(3, 0.7)])  # constant: its std is ~1e-16 from rounding
    mean, std = reg.fit_standardizer(X)
    np.testing.assert_allclose(std, [1e-5 * np.sqrt(2 / 3), 1.0], rtol=1e-10)
    Z = reg.standardize(X, mean, std)
    np.testing.assert_allclose(Z[:, 0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)], atol=1e-9)
    np.testing.assert_allclose(Z[:, 1], 0.0, atol=1e-12)


def test_pca_whitener_default_eps_and_fewer_examples_than_features():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((40, 2)) * [1.0, 0.003]  # variance 9e-6 along the second axis
    white = reg.PCAWhitener().fit(X)
    assert white.eps == 1e-5
    Z = white.transform(X)
    np.testing.assert_allclose(Z.var(axis=0), white.variances_ / (white.variances_ + 1e-5),
                               rtol=1e-8)
    assert Z.var(axis=0)[1] < 0.6  # the eps visibly damps the tiny direction
    # N < D: at most N directions, every one of them of length D
    X_wide = rng.standard_normal((3, 5))
    wide = reg.PCAWhitener().fit(X_wide)
    assert wide.components_.shape == (3, 5) and wide.variances_.shape == (3,)
    assert wide.transform(X_wide).shape == (3, 3)
    # float32 data is whitened to float32
    assert wide.transform(X_wide.astype(np.float32)).dtype == np.float32


def test_bad_image_shapes_and_per_image_lengths():
    for shape in [(2, 784, 1), (2, 5, 5), (2, 100), (784,)]:
        with pytest.raises(ValueError, match="expected images"):
            reg.shift_images(np.zeros(shape), 1, 1)
    with pytest.raises(ValueError, match="one value per image"):
        reg.shift_images(np.zeros((3, 784)), np.array([1]), 0)
    with pytest.raises(ValueError, match="one value per image"):
        reg.rotate_images(np.zeros((2, 784)), np.array([10.0, 20.0, 30.0]))


def test_shift_per_image_vertical_only_fills_with_zeros():
    X = np.ones((2, 28, 28))
    out = reg.shift_images(X, 0, np.array([0, 5]))  # the largest shift is in dy alone
    np.testing.assert_array_equal(out[0], 1.0)
    assert np.all(out[1, :5] == 0) and np.all(out[1, 5:] == 1)


def test_rotation_fills_uncovered_corners_with_zeros():
    out = reg.rotate_images(np.ones((1, 28, 28)), 45.0)[0]
    for r, c in [(0, 0), (0, 27), (27, 0), (27, 27)]:
        assert out[r, c] == 0.0
    assert out[14, 14] == pytest.approx(1.0)


def test_random_augment_shift_direction_and_defaults():
    X = np.zeros((30, 28, 28), dtype=np.float32)
    X[:, 8:20, 10:14] = np.random.default_rng(11).random((30, 12, 4))
    # with a negligible angle, the resampling is the integer shift drawn from the same rng
    out = reg.random_augment(X, np.random.default_rng(12), max_degrees=1e-9)
    draws = np.random.default_rng(12)
    dx = draws.integers(-2, 2, size=30, endpoint=True)
    dy = draws.integers(-2, 2, size=30, endpoint=True)
    assert np.any(dx != 0) and np.any(dy != 0)
    np.testing.assert_allclose(out, reg.shift_images(X, dx, dy), atol=1e-5)
    # the defaults are max_shift=2, max_degrees=10, no noise
    np.testing.assert_array_equal(
        reg.random_augment(X, np.random.default_rng(13)),
        reg.random_augment(X, np.random.default_rng(13), max_shift=2, max_degrees=10,
                           noise_std=0.0))


def test_add_noise_formula():
    X = np.full((50, 4), 0.5, dtype=np.float32)
    out = reg.add_noise(X, 0.05, np.random.default_rng(14))
    noise = np.random.default_rng(14).standard_normal(X.shape, dtype=np.float32)
    np.testing.assert_allclose(out, np.clip(X + 0.05 * noise, 0, 1), rtol=1e-6)
    assert (out - X).std() == pytest.approx(0.05, rel=0.15)


def test_mixup_integer_labels_and_image_batches():
    X = np.arange(4 * 2 * 3, dtype=np.float64).reshape(4, 2, 3)
    Y = np.eye(3, dtype=np.int64)[[0, 1, 2, 1]]
    Xm, Ym = reg.mixup(X, Y, 0.5, np.random.default_rng(15))
    rng = np.random.default_rng(15)
    lam = rng.beta(0.5, 0.5, size=4)
    perm = rng.permutation(4)
    np.testing.assert_allclose(Xm, lam[:, None, None] * X + (1 - lam[:, None, None]) * X[perm],
                               rtol=1e-12)
    np.testing.assert_allclose(Ym, lam[:, None] * Y + (1 - lam[:, None]) * Y[perm], rtol=1e-12)
    np.testing.assert_allclose(Ym.sum(axis=1), 1.0)


def test_log_uniform_bounds_checked():
    for low, high in [(0.0, 1.0), (1e-2, 1e-2), (1e-1, 1e-3), (-1.0, 1.0)]:
        with pytest.raises(ValueError):
            reg.log_uniform(low, high, 5, np.random.default_rng(0))


@pytest.mark.parametrize("max_degrees", [0.5, 10.0])
def test_random_augment_rotation_only_matches_rotate_images(max_degrees):
    X = np.zeros((20, 28, 28), dtype=np.float32)
    X[:, 6:22, 9:19] = np.random.default_rng(16).random((20, 16, 10))
    out = reg.random_augment(X, np.random.default_rng(17), max_shift=0, max_degrees=max_degrees)
    draws = np.random.default_rng(17)
    draws.integers(0, 0, size=20, endpoint=True)
    draws.integers(0, 0, size=20, endpoint=True)
    degrees = draws.uniform(-max_degrees, max_degrees, size=20)
    assert degrees.min() < 0 < degrees.max()
    np.testing.assert_allclose(out, reg.rotate_images(X, degrees), atol=1e-5)
    assert np.abs(out - X).max() > 1e-2  # the images did turn


def test_random_augment_shift_only_by_one_pixel():
    X = np.zeros((20, 784), dtype=np.float32)
    X[:, 28 * 14 + 10:28 * 14 + 18] = 1.0
    out = reg.random_augment(X, np.random.default_rng(18), max_shift=1, max_degrees=0)
    draws = np.random.default_rng(18)
    dx = draws.integers(-1, 1, size=20, endpoint=True)
    dy = draws.integers(-1, 1, size=20, endpoint=True)
    np.testing.assert_array_equal(out, reg.shift_images(X, dx, dy))
    assert np.any(out != X)


def test_integer_images_are_rotated_to_float64():
    """Interpolated pixels are fractional: uint8 images come back float64, equal to rotating floats."""
    X = (np.arange(2 * 784) % 256).astype(np.uint8).reshape(2, 784)
    out = reg.rotate_images(X, 30.0)
    assert out.dtype == np.float64 and out.shape == X.shape
    np.testing.assert_allclose(out, reg.rotate_images(X.astype(np.float64), 30.0), rtol=1e-12)
    augmented = reg.random_augment(X, np.random.default_rng(0))
    assert augmented.dtype == np.float64 and augmented.shape == X.shape
    assert reg.rotate_images(X.astype(np.float32), 30.0).dtype == np.float32
