"""Tests for benchmarks/: the contenders do the same work, and the FLOP count is right.

A benchmark whose baseline trains a different model, or whose FLOP count is off, reports a
ratio that means nothing; these tests pin both down on tiny inputs.
"""
import numpy as np
import pytest

from benchmarks import training
from benchmarks.nielsen_loop import LoopNetwork, as_column_examples
from course.network import FullyConnectedNet


def _digits_like(n, d, classes, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)).astype(np.float32), rng.integers(0, classes, size=n)


def test_loop_baseline_makes_the_same_steps_as_course():
    """Nielsen's per-example algorithm and sgd_step agree on every weight after three steps."""
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


def test_torch_contender_makes_the_same_steps_as_course():
    """The PyTorch copy starts from the course weights and takes the same SGD steps."""
    torch = pytest.importorskip("torch")
    X, y = _digits_like(40, 8, 4, 2)
    model = FullyConnectedNet([8, 16, 4], activation="relu", output="softmax",
                              rng=np.random.default_rng(3))
    torch_steps, torch_predict = training._torch_contender(torch, model, X, y, 0.5)
    np.testing.assert_allclose(torch_predict(X), model.predict(X), rtol=1e-5, atol=1e-6)
    batches = [np.arange(0, 16), np.arange(16, 40)]
    torch_steps(batches)
    training.sgd_steps(model, X, y, batches, 0.5)
    np.testing.assert_allclose(torch_predict(X), model.predict(X), rtol=1e-4, atol=1e-5)
