"""The per-example algorithm of Nielsen's network.py, written from scratch for the benchmark.

The lecture's network ([784, 30, 10] sigmoid, quadratic cost) trained the way the book's
``network.py`` does it: every example is a column vector, each example of a mini-batch is
back-propagated on its own, and the per-example gradients are summed before the update
W <- W - (eta / m) * sum of gradients. This is the baseline ``course`` is compared with; it is
our own code and is not shipped in ``course/`` (DESIGN.md: no per-example loops there).
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class LoopNetwork:
    """Weights W[l] of shape (n_out, n_in) and biases b[l] of shape (n_out, 1), float64.

    Parameters
    ----------
    sizes : list of int, e.g. [784, 30, 10]
    rng : np.random.Generator
        Weights and biases are drawn from N(0, 1), as in the book.
    """

    def __init__(self, sizes, rng):
        self.sizes = list(sizes)
        self.weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in pairwise(sizes)]
        self.biases = [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]]

    def gradients_one_example(self, x, t):
        """Back-propagate one example x (n_in, 1) with one-hot target t (n_out, 1)."""
        activations, zs = [x], []
        a = x
        for W, b in zip(self.weights, self.biases):
            z = W @ a + b
            a = _sigmoid(z)
            zs.append(z)
            activations.append(a)
        L = len(self.weights)
        grad_W, grad_b = [None] * L, [None] * L
        s = activations[-1]
        delta = (s - t) * s * (1 - s)  # quadratic cost through a sigmoid output
        for l in range(L - 1, -1, -1):
            grad_W[l] = delta @ activations[l].T
            grad_b[l] = delta
            if l > 0:
                s = activations[l]
                delta = (self.weights[l].T @ delta) * s * (1 - s)
        return grad_W, grad_b

    def update_mini_batch(self, batch, eta):
        """One SGD step on a list of (x, t) column-vector pairs."""
        sum_W = [np.zeros_like(W) for W in self.weights]
        sum_b = [np.zeros_like(b) for b in self.biases]
        for x, t in batch:
            grad_W, grad_b = self.gradients_one_example(x, t)
            sum_W = [s + g for s, g in zip(sum_W, grad_W)]
            sum_b = [s + g for s, g in zip(sum_b, grad_b)]
        step = eta / len(batch)
        self.weights = [W - step * s for W, s in zip(self.weights, sum_W)]
        self.biases = [b - step * s for b, s in zip(self.biases, sum_b)]

    def train_batches(self, examples, batches, eta):
        """SGD over ``examples`` (a list of (x, t)), one step per list of indices in ``batches``."""
        with np.errstate(over="ignore"):  # exp(-z) of a very negative z: sigmoid is 0 anyway
            for idx in batches:
                self.update_mini_batch([examples[i] for i in idx], eta)

    def predict(self, X):
        """Class predictions for the rows of X (N, n_in), all at once."""
        A = X.T
        with np.errstate(over="ignore"):
            for W, b in zip(self.weights, self.biases):
                A = _sigmoid(W @ A + b)
        return A.argmax(axis=0)


def as_column_examples(X, y, num_classes=10):
    """The book's data format: a list of (x (D, 1) float64, one-hot t (C, 1)) pairs."""
    eye = np.eye(num_classes)
    return [(X[i].astype(np.float64).reshape(-1, 1), eye[y[i]].reshape(-1, 1))
            for i in range(len(y))]
