"""Training-speed benchmarks of ``course`` (ratios measured side by side in one run).

1. ``speedup_vs_loop``: the lecture's [784, 30, 10] sigmoid network, quadratic cost, eta 3.0,
   mini-batch 10, one epoch, with ``course.network.FullyConnectedNet(output="sigmoid_mse")``
   and the training step of ``course.train.train`` against the per-example algorithm of
   Nielsen's network.py (``benchmarks/nielsen_loop.py``). The two take turns on chunks of the
   same shuffled epoch.
2. ``train_vs_torch``: ``course.train.train`` end to end (shuffling, mini-batches, the
   per-epoch training and validation accuracy) on [784, 1024, 10] ReLU, softmax cross-entropy,
   mini-batch 128, float32, SGD or Adam, against a PyTorch loop doing the same work from the
   same initial weights with the same shuffles (``torch_train``). The two take turns, one
   whole training run each, and the ratio is the median of the paired ratios.
3. The GEMM fraction of that ``course.train`` path: the FLOPs of the matrix products it
   executes per second, over the rate of a large float32 A @ B timed between the turns.

Every contender starts from the same weights and sees the same mini-batches; the final
validation accuracies are reported as a check that they did the same work.

Benchmarks 2 and 3 record each run's wall-clock time and its CPU time (``time.process_time``,
every thread of this process). On a machine shared with other jobs the wall clock also counts
the time the scheduler gave to others; the CPU time counts only the work done, so both ratios
are reported.
"""
from __future__ import annotations

import contextlib
import functools
import os
import time
from itertools import pairwise

import numpy as np

from benchmarks.nielsen_loop import LoopNetwork, as_column_examples
from course import optim
from course.inplace import in_place_step
from course.network import FullyConnectedNet
from course.train import TRAIN_ACC_SAMPLES, train

TORCH_HINT = "torch not installed: pip install torch==2.13.0"

#: Threads for BLAS (and PyTorch) during the timings; ``BENCH_THREADS=2 make bench`` for both
#: cores. One by default, as ``course`` sets for notebooks: on a shared 2-core machine a
#: multi-threaded product of a 128-row mini-batch waits on whichever thread the scheduler has
#: put aside, and the timings of every contender then measure the other users' jobs.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))

#: Rows per ``predict`` call while evaluating (``course.train.predict_in_chunks``' default).
EVAL_CHUNK = 4096


@contextlib.contextmanager
def blas_threads(n=THREADS):
    """Limit numpy's and scipy's BLAS (through threadpoolctl) and torch to n threads."""
    from threadpoolctl import threadpool_limits

    torch = _import_torch()
    old_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n, user_api="blas"):
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


def _accuracy(scores_or_labels, y):
    pred = scores_or_labels if scores_or_labels.ndim == 1 else scores_or_labels.argmax(axis=1)
    return float(np.mean(pred == y))


def _seconds(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------ 1. the loop
def sgd_steps(model, X, y, batches, learning_rate):
    """Plain mini-batch SGD on a course model over the given index batches, train()'s step."""
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
            t_loop += _seconds(loop.train_batches, examples, chunk, eta)
            t_course += _seconds(sgd_steps, model, X, y, chunk, eta)
    return {
        "speedup": t_loop / t_course, "loop_s": t_loop, "course_s": t_course, "n_train": len(y),
        "threads": threads, "acc_loop": _accuracy(loop.predict(X_val), y_val),
        "acc_course": _accuracy(model.predict(X_val), y_val),
    }


# ------------------------------------------------------------------------------ FLOP counts
def forward_flops_per_example(dims):
    """FLOPs (2 per multiply-add) of the forward products X W of every layer, per example."""
    return sum(2 * d_in * d_out for d_in, d_out in pairwise(dims))


def flops_per_example(dims):
    """FLOPs of the matrix products a training step executes, per example.

    Forward X W for every layer, dW = X^T dZ for every layer, dX = dZ W^T for every layer but
    the first (the input needs no gradient, so course does not compute it). Element-wise work
    is not counted. The usual "6 x parameters" convention would also count the skipped dX of
    the first layer; ``nominal_flops_per_example`` gives that figure for comparison.
    """
    return 2 * forward_flops_per_example(dims) + forward_flops_per_example(dims[1:])


def nominal_flops_per_example(dims):
    """6 x (number of weights): forward, dX and dW products of every layer."""
    return 3 * forward_flops_per_example(dims)


def train_flops(dims, n_train, n_val, epochs):
    """FLOPs of the products of ``course.train.train``: the steps and the per-epoch evaluation.

    Each epoch trains on ``n_train`` examples and scores min(n_train, TRAIN_ACC_SAMPLES)
    training examples and ``n_val`` validation examples (forward products only).
    """
    n_eval = min(n_train, TRAIN_ACC_SAMPLES) + n_val
    return epochs * (n_train * flops_per_example(dims) + n_eval * forward_flops_per_example(dims))


@functools.lru_cache(maxsize=2)
def _gemm_operands(n):
    rng = np.random.default_rng(0)
    A, B = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    C = np.empty((n, n), dtype=np.float32)
    np.matmul(A, B, out=C)  # warm-up
    return A, B, C


def gemm_seconds(n=2048):
    """Seconds of one float32 (n x n) @ (n x n) product (2 n^3 FLOPs) into a preallocated array."""
    return gemm_both_clocks(n)[0]


def gemm_both_clocks(n=2048):
    """(wall-clock, CPU) seconds of one product as in ``gemm_seconds``."""
    A, B, C = _gemm_operands(n)
    return _both_clocks(np.matmul, A, B, out=C)[1:]


def _both_clocks(fn, *args, **kwargs):
    """(fn's result, wall-clock seconds, CPU seconds of this process) for one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - w0, time.process_time() - c0


# ------------------------------------------------------------------------------ 2 and 3
def course_train(init, data, optimizer, learning_rate, *, epochs, batch_size, seed):
    """``course.train.train`` on a fresh network holding the weights ``init``.

    Parameters
    ----------
    init : FullyConnectedNet
        Its weights are copied; it is not trained.
    data : ((X, y), (X_val, y_val))
    optimizer : str
        A key of ``course.optim.OPTIMIZERS``.

    Returns
    -------
    history : dict from ``train``, and ``model`` under the key "model"
    """
    (X, y), (X_val, y_val) = data
    model = FullyConnectedNet(init.layer_dims, activation=init.activation, output=init.output,
                              rng=np.random.default_rng(0))
    for name, p in init.params.items():
        model.params[name][...] = p
    history = train(model, X, y, X_val, y_val, optimizer=optimizer,
                    optim_config={"learning_rate": learning_rate}, epochs=epochs,
                    batch_size=batch_size, rng=np.random.default_rng(seed), verbose=False)
    history["model"] = model
    return history


def torch_train(torch, init, data, optimizer, learning_rate, *, epochs, batch_size, seed):
    """What ``course_train`` does, written as a PyTorch training loop.

    The same network (its weights copied from ``init``, a ReLU ``FullyConnectedNet``), the
    same random draws as ``course.train.train`` (the training-accuracy subset, then one
    permutation per epoch), mini-batches gathered by indexing, ``torch.optim.SGD`` or
    ``torch.optim.Adam`` with course's defaults, and per epoch the mean mini-batch loss and the
    accuracy on the subset and on the validation set, scored ``EVAL_CHUNK`` rows at a time.

    Returns
    -------
    history : dict with per-epoch lists "loss", "train_acc", "val_acc"; "predict" (X -> scores)
    """
    (X, y), (X_val, y_val) = data
    dims = init.layer_dims
    layers = []
    for l, (d_in, d_out) in enumerate(pairwise(dims), start=1):
        linear = torch.nn.Linear(d_in, d_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(init.params[f"W{l}"].T.copy()))
            linear.bias.copy_(torch.from_numpy(init.params[f"b{l}"]))
        layers += [linear, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    if optimizer == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=learning_rate)
    elif optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=learning_rate, betas=(0.9, 0.999), eps=1e-8)
    else:
        raise ValueError(f"no PyTorch twin for optimizer {optimizer!r}")
    loss_fn = torch.nn.CrossEntropyLoss()

    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    rng = np.random.default_rng(seed)
    n = len(y)
    subset = (np.sort(rng.choice(n, TRAIN_ACC_SAMPLES, replace=False))
              if n > TRAIN_ACC_SAMPLES else np.arange(n))
    X_acc, y_acc = X_t[torch.from_numpy(subset)], y[subset]
    X_val_t = torch.from_numpy(X_val)

    def accuracy(X_eval, y_eval):
        with torch.no_grad():
            scores = torch.cat([net(X_eval[i:i + EVAL_CHUNK])
                                for i in range(0, len(X_eval), EVAL_CHUNK)])
        return _accuracy(scores.numpy(), y_eval)

    history = {"loss": [], "train_acc": [], "val_acc": []}
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(n))
        total, steps = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(X_t[idx]), y_t[idx])
            loss.backward()
            opt.step()
            total += loss.item()
            steps += 1
        history["loss"].append(total / steps)
        history["train_acc"].append(accuracy(X_acc, y_acc))
        history["val_acc"].append(accuracy(X_val_t, y_val))

    def predict(X_eval):
        with torch.no_grad():
            return net(torch.from_numpy(X_eval)).numpy()

    history["predict"] = predict
    return history


#: Learning rates of the two timed runs.
LEARNING_RATES = {"sgd": 0.1, "adam": 1e-3}


def train_vs_torch(data, optimizer, *, rounds=3, epochs=1, n_train=50_000, batch_size=128,
                   seed=0, gemm_n=2048, gemm_repeats=3):
    """Benchmarks 2 and 3 for one optimizer: ``rounds`` turns of course.train and PyTorch.

    Each round: one whole ``course_train`` run, one whole ``torch_train`` run (when torch is
    installed), ``gemm_repeats`` large A @ B; every run starts from the same weights.

    Returns
    -------
    dict with ``ratio_vs_torch`` (median over rounds of course time / torch time; None
    without torch), ``gemm_fraction`` (course's product FLOPs per second over the A @ B rate,
    each as total work over total time), the times per round and the accuracies; the same
    figures by CPU time under the same keys ending in ``_cpu``.
    """
    (X, y), (X_val, y_val), _ = data
    split = ((X[:n_train], y[:n_train]), (X_val, y_val))
    dims, lr = [784, 1024, 10], LEARNING_RATES[optimizer]
    init = FullyConnectedNet(dims, activation="relu", output="softmax",
                             rng=np.random.default_rng(seed))
    torch = _import_torch()
    run = {"epochs": epochs, "batch_size": batch_size, "seed": seed + 1}
    times = {key: [] for key in ("course", "torch", "gemm")}  # (wall, cpu) per turn
    with blas_threads() as threads:
        # warm-up: the product, and a short untimed run of each contender (a process's first
        # PyTorch run takes seconds longer than the next)
        gemm_seconds(gemm_n)
        warm = ((X[:2 * batch_size], y[:2 * batch_size]), (X_val[:batch_size], y_val[:batch_size]))
        course_train(init, warm, optimizer, lr, **run)
        if torch is not None:
            torch_train(torch, init, warm, optimizer, lr, **run)
        for _ in range(rounds):
            ours, *t = _both_clocks(course_train, init, split, optimizer, lr, **run)
            times["course"].append(t)
            if torch is not None:
                theirs, *t = _both_clocks(torch_train, torch, init, split, optimizer, lr, **run)
                times["torch"].append(t)
            for _ in range(gemm_repeats):
                times["gemm"].append(gemm_both_clocks(gemm_n))
    flops = train_flops(dims, len(split[0][1]), len(y_val), epochs)
    result = {
        "optimizer": optimizer, "threads": threads, "rounds": rounds, "epochs": epochs,
        "gemm_n": gemm_n,
        "n_train": len(split[0][1]), "acc_course": ours["val_acc"][-1], "ratio_vs_torch": None,
        "ratio_vs_torch_cpu": None,
    }
    for clock, suffix in ((0, ""), (1, "_cpu")):
        course_s = [t[clock] for t in times["course"]]
        achieved = flops * rounds / sum(course_s) / 1e9
        gemm = 2.0 * gemm_n ** 3 * len(times["gemm"]) / sum(t[clock] for t in times["gemm"]) / 1e9
        result.update({f"course_s{suffix}": course_s, f"gflops{suffix}": achieved,
                       f"gemm_gflops{suffix}": gemm, f"gemm_fraction{suffix}": achieved / gemm})
        if torch is not None:
            torch_s = [t[clock] for t in times["torch"]]
            ratios = [c / t for c, t in zip(course_s, torch_s)]
            result.update({f"torch_s{suffix}": torch_s, f"ratios{suffix}": ratios,
                           f"ratio_vs_torch{suffix}": float(np.median(ratios))})
    if torch is not None:
        result.update(torch_version=torch.__version__, acc_torch=theirs["val_acc"][-1])
    return result
