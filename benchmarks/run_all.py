"""``make bench``: run every benchmark once and print one summary line at the end.

Each benchmark is one function call below; its module prints nothing, this driver prints.
Ratios, not absolute times, are what to compare between machines.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import grading, training  # noqa: E402
from course.data import load_mnist  # noqa: E402


def _fmt(x):
    return "na" if x is None else f"{x:.2f}"


def _load():
    """The 1-minute load average: on a shared machine every ratio below moves with it."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def main():
    start = time.perf_counter()
    data = load_mnist()
    print(f"load average at start: {_load()}", flush=True)

    loop = training.speedup_vs_loop(data)
    print(f"[1] lecture network [784, 30, 10] sigmoid, quadratic cost, eta 3.0, batch 10, "
          f"1 epoch on {loop['n_train']} examples: per-example loop {loop['loop_s']:.2f} s "
          f"(val acc {loop['acc_loop']:.3f}), course {loop['course_s']:.2f} s "
          f"(val acc {loop['acc_course']:.3f}), {loop['threads']} BLAS thread(s): "
          f"speed-up {loop['speedup']:.1f}x", flush=True)

    mlp = training.mlp_benchmarks(data)
    if mlp["ratio_vs_torch"] is None:
        print(f"[2] {training.TORCH_HINT}; ratio na")
    else:
        print(f"[2] [784, 1024, 10] ReLU, batch 128, SGD, float32, 1 epoch on {mlp['n_train']} "
              f"examples: course {mlp['course_s']:.2f} s (val acc {mlp['acc_course']:.3f}), "
              f"torch {mlp['torch_version']} {mlp['torch_s']:.2f} s (val acc {mlp['acc_torch']:.3f}): "
              f"{mlp['threads']} thread(s) each: course/torch {mlp['ratio_vs_torch']:.2f}",
              flush=True)
    print(f"[3] that course epoch: {mlp['gflops']:.1f} GFLOP/s (matrix products executed) against "
          f"{mlp['gemm_gflops']:.1f} GFLOP/s for a 2048 x 2048 float32 A @ B (taking turns; best "
          f"{mlp['gemm_gflops_max']:.1f}): fraction {mlp['gemm_fraction']:.2f} "
          f"({mlp['nominal_fraction']:.2f} counting the nominal 6 x weights FLOPs)", flush=True)

    print("[4] grading a synthetic class: serial nbgrader autograde against python -m grader",
          flush=True)
    grading.grading_benchmark()  # prints its BENCH_GRADING line

    print(f"load average at end: {_load()}; benchmarks took {time.perf_counter() - start:.0f} s")
    print(f"BENCH speedup_vs_loop={loop['speedup']:.1f} "
          f"ratio_vs_torch={_fmt(mlp['ratio_vs_torch'])} "
          f"gemm_fraction={mlp['gemm_fraction']:.2f}")


if __name__ == "__main__":
    main()
