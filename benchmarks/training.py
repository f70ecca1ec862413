"""Training-speed benchmarks of ``course`` (ratios measured side by side in one run).

1. ``speedup_vs_loop``: the lecture's [784, 30, 10] sigmoid network, quadratic cost, eta 3.0,
   mini-batch 10, one epoch, with ``course.network.FullyConnectedNet(output="sigmoid_mse")``
   against the per-example algorithm of Nielsen's network.py (``benchmarks/nielsen_loop.py``).
2. ``ratio_vs_torch``: [784, 1024, 10] ReLU, softmax cross-entropy, mini-batch 128, plain SGD,
   float32, one epoch, ``course`` time / PyTorch CPU time.
3. ``gemm_fraction``: that ``course`` epoch's GFLOP/s against a large float32 A @ B.

The contenders take turns on chunks of the same shuffled epoch (the machine is shared and its
load drifts), every contender starts from the same weights and sees the same mini-batches,
and the validation accuracy after the epoch is reported as a check that they did the same
work. ``course`` trains with ``FullyConnectedNet.sgd_step`` (plain SGD, updated in place).
"""
from __future__ import annotations

import contextlib
import functools
import os
import time

import numpy as np

from benchmarks.nielsen_loop import LoopNetwork, as_column_examples
from course import optim
from course.inplace import in_place_step
from course.network import FullyConnectedNet

TORCH_HINT = "torch not installed: pip install torch==2.13.0"

#: Threads for BLAS (and PyTorch) during the timings; ``BENCH_THREADS=2 make bench`` for both
#: cores. One by default: on a shared 2-core machine a multi-threaded product of a 128-row
#: mini-batch waits on whichever thread the scheduler has put aside, and the timings of
#: every contender then measure the other users' jobs (we saw 10x swings between runs).
THREADS = int(os.environ.get("BENCH_THREADS", "1"))


@contextlib.contextmanager
def blas_threads(n=THREADS):
    """Limit numpy's BLAS (through threadpoolctl, a scikit-learn dependency) and torch to n threads."""
    torch = _import_torch()
    old_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=n, user_api="blas")
    try:
        with limits:
            yield n
    finally:
        if torch is not None:
            torch.set_num_threads(old_torch)


def _import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def sgd_steps(model, X, y, batches, learning_rate):
    """Plain mini-batch SGD on a course model over the given index batches, the step of train()."""
    configs = {name: {"learning_rate": learning_rate} for name in model.params}
    step = in_place_step(model, optim.sgd, configs)
    for idx in batches:
        step(X[idx], y[idx])


def epoch_chunks(n, batch_size, n_chunks, rng):
    """One shuffled epoch as ``n_chunks`` lists of index batches (the last batch may be short).

    The contenders take turns chunk by chunk, so a change in the machine's load hits both.
    """
    order = rng.permutation(n)
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    per_chunk = -(-len(batches) // n_chunks)
    return [batches[i:i + per_chunk] for i in range(0, len(batches), per_chunk)]


def _accuracy(scores_or_labels, y):
    pred = scores_or_labels if scores_or_labels.ndim == 1 else scores_or_labels.argmax(axis=1)
    return float(np.mean(pred == y))


def _seconds(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------ 1. the loop
def speedup_vs_loop(data, *, n_train=50_000, n_chunks=5, seed=0):
    """One epoch of the lecture's network with course and with the per-example loop.

    Returns
    -------
    dict with ``speedup`` (loop time / course time), both times and validation accuracies.
    """
    (X_train, y_train), (X_val, y_val), _ = data
    X, y = X_train[:n_train], y_train[:n_train]
    sizes, eta, batch_size = [784, 30, 10], 3.0, 10
    examples = as_column_examples(X, y)
    loop = LoopNetwork(sizes, np.random.default_rng(seed))
    model = FullyConnectedNet(sizes, activation="sigmoid", output="sigmoid_mse",
                              rng=np.random.default_rng(seed))
    for l in (1, 2):  # the same starting point: the loop's N(0, 1) weights and biases
        model.params[f"W{l}"][...] = loop.weights[l - 1].T
        model.params[f"b{l}"][...] = loop.biases[l - 1][:, 0]

    t_loop = t_course = 0.0
    with blas_threads() as threads:
        for chunk in epoch_chunks(len(y), batch_size, n_chunks, np.random.default_rng(seed + 1)):
            t_loop += _seconds(lambda: loop.train_batches(examples, chunk, eta))
            t_course += _seconds(lambda: sgd_steps(model, X, y, chunk, eta))
    return {
        "speedup": t_loop / t_course, "loop_s": t_loop, "course_s": t_course, "n_train": len(y),
        "threads": threads, "acc_loop": _accuracy(loop.predict(X_val), y_val),
        "acc_course": _accuracy(model.predict(X_val), y_val),
    }


# ------------------------------------------------------------------------------ 2 and 3
def flops_per_example(dims):
    """Floating-point operations (2 per multiply-add) of the matrix products a step executes.

    Forward X W for every layer, dW = X^T dZ for every layer, dX = dZ W^T for every layer but
    the first (the input needs no gradient, so course does not compute it). Element-wise work
    is not counted. The usual "6 x parameters" convention would also count the skipped dX of
    the first layer; ``nominal_flops_per_example`` gives that figure for comparison.
    """
    pairs = list(zip(dims[:-1], dims[1:]))
    return sum(2 * 2 * d_in * d_out for d_in, d_out in pairs) + sum(
        2 * d_in * d_out for d_in, d_out in pairs[1:])


def nominal_flops_per_example(dims):
    """6 x (number of weights): forward, dX and dW products of every layer."""
    return sum(6 * d_in * d_out for d_in, d_out in zip(dims[:-1], dims[1:]))


@functools.lru_cache(maxsize=2)
def _gemm_operands(n):
    rng = np.random.default_rng(0)
    A, B = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    C = np.empty((n, n), dtype=np.float32)
    np.matmul(A, B, out=C)  # warm-up
    return A, B, C


def gemm_seconds(n=2048):
    """Seconds for one float32 (n x n) @ (n x n) product (2 n^3 FLOPs) into a preallocated output."""
    A, B, C = _gemm_operands(n)
    return _seconds(lambda: np.matmul(A, B, out=C))


def _torch_contender(torch, model_np, X, y, learning_rate):
    """A PyTorch copy of a course ReLU network and a function running SGD over index batches."""
    dims = model_np.layer_dims
    layers = []
    for l, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        lin = torch.nn.Linear(d_in, d_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(model_np.params[f"W{l}"].T.copy()))
            lin.bias.copy_(torch.from_numpy(model_np.params[f"b{l}"]))
        layers += [lin, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(net.parameters(), lr=learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()

    def steps(batches):
        for idx in batches:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(torch.from_numpy(X[idx])), torch.from_numpy(y[idx]))
            loss.backward()
            opt.step()

    def predict(X_eval):
        with torch.no_grad():
            return net(torch.from_numpy(X_eval)).numpy()

    return steps, predict


def mlp_benchmarks(data, *, n_chunks=8, seed=0, gemm_n=2048):
    """Benchmarks 2 and 3 from the same timed epoch of the [784, 1024, 10] ReLU network.

    Course, PyTorch (when installed) and a large A @ B take turns, chunk by chunk.

    Returns
    -------
    dict with ``ratio_vs_torch`` (None without torch), ``gemm_fraction`` (course GFLOP/s over
    the A @ B GFLOP/s, each as total work over total time) and the raw figures.
    """
    (X, y), (X_val, y_val), _ = data
    dims, batch_size, lr = [784, 1024, 10], 128, 0.1
    model = FullyConnectedNet(dims, activation="relu", output="softmax",
                              rng=np.random.default_rng(seed))
    torch = _import_torch()
    if torch is not None:
        torch_steps, torch_predict = _torch_contender(torch, model, X, y, lr)

    t_course = t_torch = 0.0
    t_gemm = []
    with blas_threads() as threads:
        gemm_seconds(gemm_n)  # warm-up
        for chunk in epoch_chunks(len(y), batch_size, n_chunks, np.random.default_rng(seed + 1)):
            t_course += _seconds(lambda: sgd_steps(model, X, y, chunk, lr))
            if torch is not None:
                t_torch += _seconds(lambda: torch_steps(chunk))
            t_gemm.append(gemm_seconds(gemm_n))
    achieved = flops_per_example(dims) * len(y) / t_course / 1e9
    # Both rates are total work over total time, so a burst of load from another process
    # slows whichever contender it lands on, and neither side gets a more forgiving statistic.
    gemm_flops = 2.0 * gemm_n ** 3
    gemm = gemm_flops * len(t_gemm) / sum(t_gemm) / 1e9
    result = {
        "threads": threads, "course_s": t_course, "gflops": achieved, "gemm_gflops": gemm,
        "nominal_fraction": nominal_flops_per_example(dims) * len(y) / t_course / 1e9 / gemm,
        "gemm_gflops_max": gemm_flops / min(t_gemm) / 1e9, "gemm_fraction": achieved / gemm,
        "n_train": len(y), "acc_course": _accuracy(model.predict(X_val), y_val),
        "ratio_vs_torch": None,
    }
    if torch is not None:
        result.update(torch_s=t_torch, ratio_vs_torch=t_course / t_torch,
                      torch_version=torch.__version__,
                      acc_torch=_accuracy(torch_predict(X_val), y_val))
    return result
