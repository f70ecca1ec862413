"""Tests for course/train.py: mini-batch iterator, accuracy, confusion matrix, train()."""
import importlib.util

import numpy as np
import pytest

from course import optim
from course.regularization import EarlyStopping
from course.train import accuracy, confusion_matrix, iterate_minibatches, train


class SoftmaxRegression:
    """A tiny model with the interface train() expects; its loss is written here."""

    def __init__(self, d, c, dtype=np.float32):
        self.params = {"W": np.zeros((d, c), dtype=dtype), "b": np.zeros(c, dtype=dtype)}
        self.loss_calls = 0

    def predict(self, X):
        return X @ self.params["W"] + self.params["b"]

    def loss(self, X, y):
        self.loss_calls += 1
        scores = self.predict(X)
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.log(probs[np.arange(n), y] + 1e-12).mean()
        dscores = probs
        dscores[np.arange(n), y] -= 1
        dscores /= n
        return float(loss), {"W": X.T @ dscores, "b": dscores.sum(axis=0)}


def separable_data(rng, n=300):
    """Three well separated 2-D blobs, float32, int labels."""
    centers = np.array([[3.0, 0.0], [-3.0, 3.0], [-3.0, -3.0]])
    y = rng.integers(0, 3, size=n)
    X = (centers[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32)
    return X, y


# --------------------------------------------------------------------------- iterator
def collect(X, y, batch_size, rng, shuffle=True):
    return list(iterate_minibatches(X, y, batch_size, rng, shuffle=shuffle))


def test_iterator_covers_every_example_once_with_partial_batch():
    X = np.arange(23 * 2).reshape(23, 2)
    y = np.arange(23)
    batches = collect(X, y, 5, np.random.default_rng(0))
    assert [len(yb) for _, yb in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(23))
    for Xb, yb in batches:  # rows stay paired with their labels
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)


def test_iterator_shuffles_differently_each_epoch_but_deterministically():
    X, y = np.zeros((40, 1)), np.arange(40)
    rng = np.random.default_rng(1)
    first = np.concatenate([yb for _, yb in collect(X, y, 8, rng)])
    second = np.concatenate([yb for _, yb in collect(X, y, 8, rng)])
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(40))
    again = np.concatenate([yb for _, yb in collect(X, y, 8, np.random.default_rng(1))])
    np.testing.assert_array_equal(first, again)


def test_iterator_no_shuffle_and_y_none():
    X = np.arange(7)[:, None]
    batches = collect(X, None, 3, None, shuffle=False)
    assert [yb for _, yb in batches] == [None, None, None]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches])[:, 0], np.arange(7))
    assert len(collect(X, None, 10, np.random.default_rng(0))) == 1


# --------------------------------------------------------------------------- metrics
def test_accuracy_hand_example():
    scores = np.array([[0.1, 0.9], [2.0, -1.0], [0.3, 0.2], [-1.0, 1.0]])
    assert accuracy(scores, np.array([1, 0, 1, 1])) == pytest.approx(0.75)
    assert accuracy(scores, np.eye(2)[[1, 0, 1, 1]]) == pytest.approx(0.75)


def test_confusion_matrix_hand_example():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.shape == (3, 3) and cm.sum() == 6


# --------------------------------------------------------------------------- train
def test_train_lowers_loss_on_separable_problem():
    rng = np.random.default_rng(0)
    X, y = separable_data(rng)
    model = SoftmaxRegression(2, 3)
    history = train(model, X[:200], y[:200], X[200:], y[200:], optimizer="sgd",
                    optim_config={"learning_rate": 0.5}, epochs=5, batch_size=32,
                    rng=rng, verbose=False)
    assert set(history) == {"loss", "train_acc", "val_acc", "lr"}
    assert all(len(history[k]) == 5 for k in history)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_acc"][-1] > 0.95 and history["train_acc"][-1] > 0.95
    assert history["lr"] == [0.5] * 5
    assert model.params["W"].dtype == np.float32
    assert model.loss_calls == 5 * 7  # ceil(200 / 32) steps per epoch, partial batch included


def record_losses(model) -> list:
    """The list that every later ``model.loss`` call appends its loss to."""
    losses, original = [], model.loss

    def loss(Xb, yb):
        value, grads = original(Xb, yb)
        losses.append(value)
        return value, grads

    model.loss = loss
    return losses


@pytest.mark.parametrize("n, batch_size, steps", [(50, 20, 3), (30, 64, 1)])
def test_history_loss_is_mean_of_minibatch_losses(n, batch_size, steps):
    X, y = separable_data(np.random.default_rng(10), n=n)
    model = SoftmaxRegression(2, 3)
    losses = record_losses(model)
    history = train(model, X, y, optim_config={"learning_rate": 0.5}, epochs=2,
                    batch_size=batch_size, rng=np.random.default_rng(0), verbose=False)
    assert len(losses) == 2 * steps  # ceil(n / batch_size) per epoch, partial batch included
    np.testing.assert_allclose(history["loss"],
                               [np.mean(losses[:steps]), np.mean(losses[steps:])], rtol=1e-12)


@pytest.mark.parametrize("n, batch_size, steps", [(50, 20, 3), (30, 64, 1)])
def test_record_steps_keeps_every_minibatch_loss_in_order(n, batch_size, steps):
    X, y = separable_data(np.random.default_rng(10), n=n)
    model = SoftmaxRegression(2, 3)
    losses = record_losses(model)
    history = train(model, X, y, optim_config={"learning_rate": 0.5}, epochs=3,
                    batch_size=batch_size, rng=np.random.default_rng(0), record_steps=True,
                    verbose=False)
    assert history["step_loss"] == [float(v) for v in losses]
    assert len(history["step_loss"]) == 3 * steps
    assert all(isinstance(v, float) for v in history["step_loss"])
    np.testing.assert_allclose(history["loss"], np.mean(np.reshape(losses, (3, steps)), axis=1),
                               rtol=1e-12)
    # off by default, and recording changes nothing else
    again = train(SoftmaxRegression(2, 3), X, y, optim_config={"learning_rate": 0.5}, epochs=3,
                  batch_size=batch_size, rng=np.random.default_rng(0), verbose=False)
    assert "step_loss" not in again
    assert again == {k: v for k, v in history.items() if k != "step_loss"}


def test_train_without_validation_data_and_other_optimizers():
    X, y = separable_data(np.random.default_rng(1), n=100)
    for name in optim.OPTIMIZERS:
        model = SoftmaxRegression(2, 3)
        history = train(model, X, y, optimizer=name, optim_config={"learning_rate": 0.05},
                        epochs=3, batch_size=10, rng=np.random.default_rng(2), verbose=False)
        assert history["val_acc"] == [None, None, None]
        assert history["loss"][-1] < history["loss"][0], name


def test_train_gives_each_parameter_its_own_config():
    seen = []

    def recording_update(w, dw, config):
        seen.append(id(config))
        config["calls"] = config.get("calls", 0) + 1
        return w - 0.1 * dw, config

    base = {"learning_rate": 0.1}
    X, y = separable_data(np.random.default_rng(3), n=40)
    train(SoftmaxRegression(2, 3), X, y, optimizer=recording_update, optim_config=base,
          epochs=2, batch_size=20, rng=np.random.default_rng(0), verbose=False)
    assert len(set(seen)) == 2 and len(seen) == 2 * 2 * 2
    assert base == {"learning_rate": 0.1}  # the caller's dict is copied, not filled


def test_lr_schedule_sets_learning_rate_each_epoch():
    X, y = separable_data(np.random.default_rng(4), n=50)
    used = []

    def sgd_spy(w, dw, config):
        used.append(config["learning_rate"])
        return optim.sgd(w, dw, config)

    history = train(SoftmaxRegression(2, 3), X, y, optimizer=sgd_spy,
                    optim_config={"learning_rate": 1.0},
                    lr_schedule=lambda e: optim.step_decay(1.0, e, drop=0.5, every=1),
                    epochs=3, batch_size=25, rng=np.random.default_rng(0), verbose=False)
    assert history["lr"] == [1.0, 0.5, 0.25]
    assert used == [1.0] * 4 + [0.5] * 4 + [0.25] * 4  # 2 batches x 2 params per epoch


def test_early_stopping_restores_best_params():
    rng = np.random.default_rng(5)
    X, y = separable_data(rng, n=120)
    y_val = y[80:].copy()
    model = SoftmaxRegression(2, 3)
    snapshots = []

    class Recorder(EarlyStopping):
        def step(self, val_metric, params, epoch):
            snapshots.append({k: v.copy() for k, v in params.items()})
            return super().step(val_metric, params, epoch)

    # a huge learning rate with label noise makes validation accuracy go up and down
    y_noisy = y[:80].copy()
    y_noisy[::3] = rng.integers(0, 3, size=y_noisy[::3].size)
    stopper = Recorder(patience=2)
    history = train(model, X[:80], y_noisy, X[80:], y_val, optimizer="sgd",
                    optim_config={"learning_rate": 20.0}, epochs=30, batch_size=8,
                    rng=rng, early_stopping=stopper, verbose=False)
    best = history["best_epoch"]
    assert best == stopper.best_epoch
    assert history["val_acc"][best] == max(history["val_acc"])
    for name in model.params:
        np.testing.assert_array_equal(model.params[name], snapshots[best][name])
    # stopped early, exactly `patience` epochs after the best, and the best was not the last
    assert len(history["loss"]) == best + 1 + 2 < 30
    assert np.abs(snapshots[-1]["W"] - snapshots[best]["W"]).max() > 0


def test_early_stopping_int_patience_and_needs_validation():
    X, y = separable_data(np.random.default_rng(6), n=60)
    history = train(SoftmaxRegression(2, 3), X[:40], y[:40], X[40:], y[40:],
                    optim_config={"learning_rate": 0.5}, epochs=50, batch_size=10,
                    rng=np.random.default_rng(0), early_stopping=1, verbose=False)
    assert "best_epoch" in history and len(history["loss"]) < 50
    with pytest.raises(ValueError):
        train(SoftmaxRegression(2, 3), X, y, epochs=1, rng=np.random.default_rng(0),
              early_stopping=3, verbose=False)


def test_augment_is_applied_to_every_batch():
    X, y = separable_data(np.random.default_rng(7), n=30)
    sizes = []

    def augment(Xb, rng):
        sizes.append(len(Xb))
        return Xb + rng.normal(0, 0.01, Xb.shape).astype(Xb.dtype)

    train(SoftmaxRegression(2, 3), X, y, epochs=2, batch_size=8,
          rng=np.random.default_rng(0), augment=augment, verbose=False)
    assert sizes == [8, 8, 8, 6] * 2


def test_train_accuracy_on_fixed_subset(monkeypatch):
    import course.train as course_train

    monkeypatch.setattr(course_train, "TRAIN_ACC_SAMPLES", 50)
    X, y = separable_data(np.random.default_rng(8), n=200)
    model = SoftmaxRegression(2, 3)
    seen = []
    original = model.predict

    def predict(Xp):
        seen.append(Xp.copy())
        return original(Xp)

    model.predict = predict  # loss() calls predict too, on batches of 40
    train(model, X, y, epochs=2, batch_size=40, rng=np.random.default_rng(0), verbose=False)
    evaluated = [Xp for Xp in seen if len(Xp) != 40]
    assert [len(Xp) for Xp in evaluated] == [50, 50]
    np.testing.assert_array_equal(evaluated[0], evaluated[1])  # the same subset each epoch


@pytest.mark.skipif(importlib.util.find_spec("course.network") is None,
                    reason="course/network.py not written yet")
def test_train_fully_connected_net():
    from course.network import FullyConnectedNet

    rng = np.random.default_rng(9)
    X, y = separable_data(rng, n=300)
    model = FullyConnectedNet([2, 16, 3], rng=np.random.default_rng(0))
    history = train(model, X[:200], y[:200], X[200:], y[200:], optimizer="adam",
                    optim_config={"learning_rate": 1e-2}, epochs=10, batch_size=20,
                    rng=rng, verbose=False)
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_acc"][-1] > 0.95
    assert all(p.dtype == np.float32 for p in model.params.values())


def test_train_with_random_augment_on_images():
    from course.regularization import random_augment

    rng = np.random.default_rng(11)
    X = np.zeros((40, 784), dtype=np.float32)
    y = np.arange(40) % 2
    X[y == 0, 28 * 14 + 8:28 * 14 + 20] = 1.0  # class 0: a horizontal bar
    X[y == 1, 14:784:28] = 1.0  # class 1: a vertical bar
    history = train(SoftmaxRegression(784, 2), X, y, optim_config={"learning_rate": 0.5},
                    epochs=3, batch_size=16, rng=rng, augment=random_augment, verbose=False)
    assert history["train_acc"][-1] == 1.0


def test_progress_bar_only_when_verbose(capsys):
    X, y = separable_data(np.random.default_rng(12), n=30)
    train(SoftmaxRegression(2, 3), X, y, epochs=2, batch_size=10,
          rng=np.random.default_rng(0), verbose=False)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    train(SoftmaxRegression(2, 3), X, y, epochs=2, batch_size=10,
          rng=np.random.default_rng(0), verbose=True)
    assert "2/2" in capsys.readouterr().err


def test_iterator_shuffles_by_default_and_checks_arguments():
    X, y = np.zeros((30, 1)), np.arange(30)
    order = np.concatenate([yb for _, yb in iterate_minibatches(X, y, 7, np.random.default_rng(0))])
    np.testing.assert_array_equal(np.sort(order), np.arange(30))
    assert not np.array_equal(order, np.arange(30))
    batches = collect(X, y, 1, np.random.default_rng(0))  # batch_size 1 is online learning
    assert len(batches) == 30 and all(len(yb) == 1 for _, yb in batches)
    for bad in (0, -3):
        with pytest.raises(ValueError, match="batch_size"):
            collect(X, y, bad, np.random.default_rng(0))
    with pytest.raises(ValueError):
        collect(X, y[:29], 5, np.random.default_rng(0))


def test_confusion_matrix_checks_labels_and_keeps_its_shape():
    np.testing.assert_array_equal(confusion_matrix([0], [0], 3), [[1, 0, 0], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(confusion_matrix([1, 2], [2, 1], 3),
                                  [[0, 0, 0], [0, 0, 1], [0, 1, 0]])  # no label 0 at all
    for y_true, y_pred in [([0, 1], [3, 0]), ([1, 0], [-1, 0]), ([3, 0], [0, 0]),
                           ([-1, 1], [1, 1])]:
        with pytest.raises(ValueError):
            confusion_matrix(y_true, y_pred, 3)


class _ChunkSpy:
    def __init__(self):
        self.W = np.arange(6.0).reshape(2, 3)
        self.sizes = []

    def predict(self, X):
        self.sizes.append(len(X))
        return X @ self.W


def test_predict_in_chunks_matches_one_pass():
    from course.train import predict_in_chunks

    X = np.random.default_rng(0).standard_normal((10, 2))
    spy = _ChunkSpy()
    np.testing.assert_allclose(predict_in_chunks(spy, X, chunk_size=3), X @ spy.W, rtol=1e-12)
    assert spy.sizes == [3, 3, 3, 1]
    spy.sizes = []
    predict_in_chunks(spy, X, chunk_size=10)
    assert spy.sizes == [10]
    for n, sizes in [(4096, [4096]), (4097, [4096, 1])]:  # default chunk_size 4096
        spy.sizes = []
        Xn = np.ones((n, 2))
        np.testing.assert_allclose(predict_in_chunks(spy, Xn), Xn @ spy.W)
        assert spy.sizes == sizes


def test_train_defaults(capsys):
    X, y = separable_data(np.random.default_rng(13), n=130)
    model = SoftmaxRegression(2, 3)
    sizes = []
    original = model.loss

    def loss(Xb, yb):
        sizes.append(len(Xb))
        return original(Xb, yb)

    model.loss = loss
    history = train(model, X, y, rng=np.random.default_rng(0))  # sgd, 10 epochs of 64, verbose
    assert len(history["loss"]) == 10
    assert sizes == [64, 64, 2] * 10
    assert history["lr"] == [1e-2] * 10
    assert "10/10" in capsys.readouterr().err
    # an optimizer that stores no learning rate: the recorded lr is the 1e-2 default
    history = train(SoftmaxRegression(2, 3), X, y, optimizer=lambda w, dw, c: (w, c),
                    epochs=2, rng=np.random.default_rng(0), verbose=False)
    assert history["lr"] == [1e-2, 1e-2]


def test_early_stopping_sees_each_epochs_validation_accuracy():
    rng = np.random.default_rng(15)
    X, y = separable_data(rng, n=120)
    seen = []

    class Recorder(EarlyStopping):
        def step(self, val_metric, params, epoch):
            seen.append((epoch, val_metric))
            return super().step(val_metric, params, epoch)

    y_noisy = y[:80].copy()
    y_noisy[::3] = rng.integers(0, 3, size=y_noisy[::3].size)
    history = train(SoftmaxRegression(2, 3), X[:80], y_noisy, X[80:], y[80:],
                    optim_config={"learning_rate": 20.0}, epochs=12, batch_size=8, rng=rng,
                    early_stopping=Recorder(patience=20), verbose=False)
    assert len(set(history["val_acc"])) > 1
    assert seen == list(enumerate(history["val_acc"]))


def test_train_accuracy_subset_is_10000_distinct_examples():
    n = 10_001
    X = np.column_stack([np.arange(n, dtype=np.float32), np.zeros(n, np.float32)])
    y = np.zeros(n, dtype=np.int64)
    model = SoftmaxRegression(2, 3)
    evaluated = []
    original = model.predict

    def predict(Xp):
        if len(Xp) not in (5000, 1):  # loss() predicts on each training batch (5000, 5000, 1)
            evaluated.append(Xp[:, 0].copy())
        return original(Xp)

    model.predict = predict
    train(model, X, y, optim_config={"learning_rate": 0.0}, epochs=1, batch_size=5000,
          rng=np.random.default_rng(0), verbose=False)
    subset = np.concatenate(evaluated)  # scored in chunks of 4096
    assert len(subset) == 10_000 and len(np.unique(subset)) == 10_000


def test_validation_needs_both_inputs_and_labels():
    X, y = separable_data(np.random.default_rng(16), n=40)
    history = train(SoftmaxRegression(2, 3), X, y, X_val=X, y_val=None, epochs=2,
                    batch_size=20, rng=np.random.default_rng(0), verbose=False)
    assert history["val_acc"] == [None, None]
    with pytest.raises(ValueError):
        train(SoftmaxRegression(2, 3), X, y, X_val=X, epochs=1, rng=np.random.default_rng(0),
              early_stopping=2, verbose=False)


# --------------------------------------------------------------------------- the in-place path
def _as_students(update):
    """The same update in a function of the student's: train() must take the pure path."""
    def students_update(w, dw, config):
        return update(w, dw, config)
    return students_update


FAST_CASES = {  # network options: every one that train() can meet, alone and together
    "plain": {},
    "l2 and l1": {"l2": 1e-3, "l1": 1e-4},
    "dropout": {"keep_prob": 0.8},
    "batch norm": {"batchnorm": True},
    "all, tanh": {"activation": "tanh", "keep_prob": 0.9, "batchnorm": True, "l2": 1e-3},
}
LEARNING_RATES = {"sgd": 0.2, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 3e-3, "adam": 3e-3}


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-4), (np.float64, 1e-10)])
@pytest.mark.parametrize("case", list(FAST_CASES))
@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_in_place_path_follows_the_pure_trajectory(name, case, dtype, tol):
    """Four epochs (28 steps) with a schedule: the pure loop's history and weights, to rounding.

    The two paths round differently where a weight gradient is folded into its gemm, and
    training carries those differences along: 1e-4 after 28 float32 steps, 1e-10 in float64
    (a real difference between the updates would show at once in float64).
    """
    from course.network import FullyConnectedNet

    X, y = separable_data(np.random.default_rng(20), n=150)
    results = []
    for update in (optim.OPTIMIZERS[name], _as_students(optim.OPTIMIZERS[name])):
        model = FullyConnectedNet([2, 12, 8, 3], dtype=dtype, rng=np.random.default_rng(21),
                                  **FAST_CASES[case])
        arrays = dict(model.params)
        history = train(model, X[:100], y[:100], X[100:], y[100:], optimizer=update,
                        optim_config={"learning_rate": LEARNING_RATES[name]}, epochs=4,
                        batch_size=16, rng=np.random.default_rng(22), verbose=False,
                        lr_schedule=lambda e: LEARNING_RATES[name] * 0.7 ** e, record_steps=True)
        same_arrays = all(model.params[k] is arrays[k] for k in arrays)
        results.append((history, model, same_arrays))
    (fast, fast_model, in_place), (pure, pure_model, pure_in_place) = results
    assert in_place and not pure_in_place  # one path each, as intended
    np.testing.assert_allclose(fast["loss"], pure["loss"], rtol=tol)
    assert len(fast["step_loss"]) == len(pure["step_loss"]) == 4 * 7  # ceil(100 / 16) per epoch
    # atol: a separable problem drives single mini-batch losses towards 0
    np.testing.assert_allclose(fast["step_loss"], pure["step_loss"], rtol=tol, atol=tol)
    assert fast["lr"] == pure["lr"]
    np.testing.assert_allclose(fast["val_acc"], pure["val_acc"], atol=1 / 50)
    # atol: a bias followed by batch norm has gradient 0 and holds rounding noise only
    for k, p in pure_model.params.items():
        assert fast_model.params[k].dtype == dtype
        np.testing.assert_allclose(fast_model.params[k], p, rtol=tol, atol=tol, err_msg=k)
    for fast_bn, pure_bn in zip(fast_model.bn_params, pure_model.bn_params):
        for key in ("running_mean", "running_var"):
            np.testing.assert_allclose(fast_bn[key], pure_bn[key], rtol=tol, atol=tol)


def test_students_update_function_is_called_for_every_parameter_and_step():
    from course.network import FullyConnectedNet

    X, y = separable_data(np.random.default_rng(23), n=40)
    calls = []

    def students_momentum(w, dw, config):
        calls.append(w.shape)
        return optim.momentum(w, dw, config)

    model = FullyConnectedNet([2, 5, 3], rng=np.random.default_rng(0))
    history = train(model, X, y, optimizer=students_momentum, epochs=2, batch_size=20,
                    rng=np.random.default_rng(1), verbose=False)
    assert calls == [(2, 5), (5,), (5, 3), (3,)] * 4  # 2 epochs of 2 steps, 4 parameters each
    assert len(history["loss"]) == 2


def test_early_stopping_restores_the_best_weights_on_the_in_place_path():
    """The in-place path keeps updating the same arrays: the best epoch must be a copy."""
    from course.network import FullyConnectedNet

    rng = np.random.default_rng(24)
    X, y = separable_data(rng, n=120)
    y_noisy = y[:80].copy()
    y_noisy[::3] = rng.integers(0, 3, size=y_noisy[::3].size)
    snapshots = []

    class Recorder(EarlyStopping):
        def step(self, val_metric, params, epoch):
            snapshots.append({k: v.copy() for k, v in params.items()})
            return super().step(val_metric, params, epoch)

    model = FullyConnectedNet([2, 8, 3], rng=np.random.default_rng(0))
    history = train(model, X[:80], y_noisy, X[80:], y[80:], optimizer="momentum",
                    optim_config={"learning_rate": 2.0}, epochs=30, batch_size=8, rng=rng,
                    early_stopping=Recorder(patience=2), verbose=False)
    best = history["best_epoch"]
    assert best < len(snapshots) - 1
    for name in model.params:
        np.testing.assert_array_equal(model.params[name], snapshots[best][name])


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_in_place_path_with_a_weight_assigned_in_another_layout(name):
    """A Fortran-ordered W1 put in by hand is trained in place and as the pure loop trains it."""
    from course.network import FullyConnectedNet

    X, y = separable_data(np.random.default_rng(25), n=60)
    models = []
    for update in (optim.OPTIMIZERS[name], _as_students(optim.OPTIMIZERS[name])):
        model = FullyConnectedNet([2, 6, 3], dtype=np.float64, rng=np.random.default_rng(26))
        model.params["W1"] = np.asfortranarray(model.params["W1"])
        W1 = model.params["W1"]
        train(model, X, y, optimizer=update, optim_config={"learning_rate": 0.05}, epochs=2,
              batch_size=16, rng=np.random.default_rng(27), verbose=False)
        models.append((model, model.params["W1"] is W1))
    (fast, same_array), (pure, _) = models
    assert same_array
    for k, p in pure.params.items():
        np.testing.assert_allclose(fast.params[k], p, rtol=1e-10, atol=1e-12, err_msg=k)


def test_no_progress_bar_in_a_grading_kernel(capsys, monkeypatch):
    """The grader sets COURSE_GRADING in its kernels: no bar there, not even with verbose=True
    (a bar on stderr is output the grading should not have to read)."""
    X, y = separable_data(np.random.default_rng(12), n=30)
    monkeypatch.setenv("COURSE_GRADING", "1")
    train(SoftmaxRegression(2, 3), X, y, epochs=2, batch_size=10,
          rng=np.random.default_rng(0), verbose=True)
    shown = capsys.readouterr()
    assert shown.out == "" and shown.err == ""


def test_progress_bar_is_tqdm_auto():
    """tqdm.auto: a widget in JupyterLab (ipywidgets is a dependency), text elsewhere."""
    import tqdm.auto

    import course.train

    assert course.train.tqdm is tqdm.auto.tqdm


def test_grading_kernel_environment_silences_every_tqdm_bar(tmp_path):
    """A student's own ``tqdm`` loop prints nothing in the grader's kernel environment."""
    import subprocess
    import sys

    from grader.execute import kernel_env

    code = ("from tqdm import tqdm\nfrom tqdm.auto import tqdm as auto\n"
            "for _ in tqdm(range(3)): pass\nfor _ in auto(range(3)): pass\n")
    done = subprocess.run([sys.executable, "-c", code], env=kernel_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "" and done.stdout == ""
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60)
    assert "3/3" in plain.stderr                      # the same loop outside a grading kernel
