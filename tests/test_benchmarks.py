"""Tests for benchmarks/: the contenders do the same work, and the FLOP count is right.

A benchmark whose baseline trains a different model, or whose FLOP count is off, reports a
ratio that means nothing; these tests pin both down on tiny inputs.
"""
import numpy as np
import pytest

from benchmarks import training
from benchmarks.nielsen_loop import LoopNetwork, as_column_examples
from course.network import FullyConnectedNet
from course.train import TRAIN_ACC_SAMPLES


def _digits_like(n, d, classes, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)).astype(np.float32), rng.integers(0, classes, size=n)


def test_loop_baseline_makes_the_same_steps_as_course():
    """Nielsen's per-example algorithm and train()'s SGD step agree on every weight after three
    steps."""
    sizes, eta = [6, 5, 3], 3.0
    X, y = _digits_like(12, 6, 3, 0)
    loop = LoopNetwork(sizes, np.random.default_rng(1))
    model = FullyConnectedNet(sizes, activation="sigmoid", output="sigmoid_mse",
                              dtype=np.float64, rng=np.random.default_rng(1))
    for l in (1, 2):  # the same start, as in training.speedup_vs_loop
        model.params[f"W{l}"][...] = loop.weights[l - 1].T
        model.params[f"b{l}"][...] = loop.biases[l - 1][:, 0]
    batches = [np.array([0, 3, 5, 7]), np.array([1, 2]), np.array([4, 6, 8, 9, 10, 11])]
    loop.train_batches(as_column_examples(X, y, num_classes=3), batches, eta)
    training.sgd_steps(model, X.astype(np.float64), y, batches, eta)
    for l in (1, 2):
        np.testing.assert_allclose(model.params[f"W{l}"], loop.weights[l - 1].T, rtol=1e-10,
                                   err_msg=f"W{l}")
        np.testing.assert_allclose(model.params[f"b{l}"], loop.biases[l - 1][:, 0], rtol=1e-10,
                                   err_msg=f"b{l}")
    np.testing.assert_array_equal(loop.predict(X), model.predict(X).argmax(axis=1))


def test_flops_per_example_counts_the_executed_products():
    """[784, 1024, 10]: X W and x^T dz for both layers, dz W^T for the second layer only."""
    forward = 2 * (784 * 1024 + 1024 * 10)
    assert training.flops_per_example([784, 1024, 10]) == 2 * forward + 2 * 1024 * 10
    assert training.nominal_flops_per_example([784, 1024, 10]) == 3 * forward
    # a third layer adds its own three products
    assert training.flops_per_example([4, 3, 2, 5]) == 2 * 2 * (12 + 6 + 10) + 2 * (6 + 10)


@pytest.mark.parametrize("n, batch_size, n_chunks", [(1000, 128, 8), (10, 3, 2), (7, 10, 3)])
def test_epoch_chunks_visit_every_example_once(n, batch_size, n_chunks):
    chunks = training.epoch_chunks(n, batch_size, n_chunks, np.random.default_rng(0))
    assert 1 <= len(chunks) <= n_chunks
    batches = [b for chunk in chunks for b in chunk]
    assert all(1 <= len(b) <= batch_size for b in batches)
    assert sum(len(b) < batch_size for b in batches) <= 1
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))


def test_train_flops_count_steps_and_evaluation():
    """Two epochs: every step's products, then the forward products of the scored examples."""
    dims = [6, 4, 3]
    forward = 2 * (6 * 4 + 4 * 3)
    step = training.flops_per_example(dims)
    assert training.forward_flops_per_example(dims) == forward
    assert training.train_flops(dims, 50, 20, 2) == 2 * (50 * step + (50 + 20) * forward)
    # at most TRAIN_ACC_SAMPLES training examples are scored per epoch
    n = TRAIN_ACC_SAMPLES + 5
    assert training.train_flops(dims, n, 0, 1) == n * step + TRAIN_ACC_SAMPLES * forward


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.5), ("adam", 0.01)])
def test_torch_loop_does_the_work_of_course_train(optimizer, lr):
    """Same start, same batches, same optimizer: the same history and final scores."""
    torch = pytest.importorskip("torch")
    X, y = _digits_like(60, 8, 4, 2)
    data = ((X[:40], y[:40]), (X[40:], y[40:]))
    init = FullyConnectedNet([8, 16, 4], activation="relu", output="softmax",
                             rng=np.random.default_rng(3))
    run = {"epochs": 3, "batch_size": 16, "seed": 4}
    ours = training.course_train(init, data, optimizer, lr, **run)
    theirs = training.torch_train(torch, init, data, optimizer, lr, **run)
    np.testing.assert_allclose(theirs["loss"], ours["loss"], rtol=1e-4)
    np.testing.assert_allclose(theirs["train_acc"], ours["train_acc"], atol=1 / 40)
    np.testing.assert_allclose(theirs["val_acc"], ours["val_acc"], atol=1 / 20)
    np.testing.assert_allclose(theirs["predict"](X), ours["model"].predict(X), rtol=1e-4,
                               atol=1e-5)
    # course_train copies init: a second run starts from the same weights
    again = training.course_train(init, data, optimizer, lr, **run)
    assert again["loss"] == ours["loss"]


def test_course_train_runs_the_in_place_path(monkeypatch):
    """The timed course run is train()'s fast path (the one students get), not the pure loop."""
    from course import train as course_train_module

    calls = []
    original = course_train_module.in_place_step

    def spy(model, update, configs):
        step = original(model, update, configs)
        calls.append(step is not None)
        return step

    monkeypatch.setattr(course_train_module, "in_place_step", spy)
    X, y = _digits_like(30, 8, 4, 5)
    init = FullyConnectedNet([8, 16, 4], rng=np.random.default_rng(6))
    training.course_train(init, ((X, y), (X, y)), "adam", 0.01, epochs=1, batch_size=10, seed=0)
    assert calls == [True]


def test_train_vs_torch_reports_both_clocks_and_run_all_prints_them(capsys):
    """A tiny run of benchmark 2/3 (no timing asserted): every figure run_all prints is there."""
    from benchmarks import run_all

    X, y = _digits_like(400, 784, 10, 7)
    data = ((X[:300], y[:300]), (X[300:], y[300:]), None)
    result = training.train_vs_torch(data, "adam", rounds=1, n_train=256, gemm_n=64,
                                     gemm_repeats=1)
    assert len(result["course_s"]) == len(result["course_s_cpu"]) == 1
    for key in ("gflops", "gemm_gflops", "gemm_fraction"):
        assert result[key] > 0 and result[key + "_cpu"] > 0
    assert (result["ratio_vs_torch"] is None) == (result["ratio_vs_torch_cpu"] is None)
    run_all._print_train("3", result)
    out = capsys.readouterr().out
    assert "64 x 64 float32 A @ B" in out and "by CPU time" in out
