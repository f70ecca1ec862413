"""``make bench``: run every benchmark once and print one summary line at the end.

Each benchmark is one function call below; its module prints nothing, this driver prints.
Ratios, not absolute times, are what to compare between machines. The BENCH line's ratios are
by wall clock; [2] and [3] also print them by CPU time, which a busy machine disturbs less.
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


def _print_loop(loop):
    print(f"[1] lecture network [784, 30, 10] sigmoid, quadratic cost, eta 3.0, batch 10, "
          f"1 epoch on {loop['n_train']} examples: per-example loop {loop['loop_s']:.2f} s "
          f"(val acc {loop['acc_loop']:.3f}), course {loop['course_s']:.2f} s "
          f"(val acc {loop['acc_course']:.3f}), {loop['threads']} BLAS thread(s): "
          f"speed-up {loop['speedup']:.1f}x", flush=True)


def _secs(times):
    return " ".join(f"{t:.2f}" for t in times)


def _print_train(label, r):
    what = (f"course.train() [784, 1024, 10] ReLU, {r['optimizer']}, batch 128, float32, "
            f"{r['epochs']} epoch on {r['n_train']} examples with per-epoch evaluation, "
            f"{r['rounds']} turns, {r['threads']} thread(s) each")
    if r["ratio_vs_torch"] is None:
        print(f"[{label}] {what}: course {_secs(r['course_s'])} s; {training.TORCH_HINT}; "
              f"ratio na")
    else:
        print(f"[{label}] {what}: course {_secs(r['course_s'])} s (val acc "
              f"{r['acc_course']:.4f}), torch {r['torch_version']} loop {_secs(r['torch_s'])} s "
              f"(val acc {r['acc_torch']:.4f}): course/torch {r['ratio_vs_torch']:.2f} (median "
              f"of {_secs(r['ratios'])})", flush=True)
        print(f"    by CPU time: course {_secs(r['course_s_cpu'])} s, torch "
              f"{_secs(r['torch_s_cpu'])} s: course/torch {r['ratio_vs_torch_cpu']:.2f} (median "
              f"of {_secs(r['ratios_cpu'])})", flush=True)
    print(f"    GEMM fraction of that path: {r['gflops']:.1f} GFLOP/s (products executed, "
          f"evaluation included) against {r['gemm_gflops']:.1f} GFLOP/s for a {r['gemm_n']} x "
          f"{r['gemm_n']} float32 A @ B between the turns: {r['gemm_fraction']:.2f}; by CPU time "
          f"{r['gflops_cpu']:.1f} against {r['gemm_gflops_cpu']:.1f}: "
          f"{r['gemm_fraction_cpu']:.2f}", flush=True)


def main():
    start = time.perf_counter()
    data = load_mnist()
    print(f"load average at start: {_load()}", flush=True)

    loop = training.speedup_vs_loop(data)
    _print_loop(loop)
    sgd = training.train_vs_torch(data, "sgd")
    _print_train("2", sgd)
    adam = training.train_vs_torch(data, "adam")
    _print_train("3", adam)

    print("[4] grading a synthetic class: serial nbgrader autograde against python -m grader",
          flush=True)
    grading.grading_benchmarks()  # prints its BENCH_GRADING lines, quiet and beside 2 burners

    print(f"load average at end: {_load()}; benchmarks took {time.perf_counter() - start:.0f} s")
    print(f"BENCH speedup_vs_loop={loop['speedup']:.1f} "
          f"ratio_vs_torch={_fmt(sgd['ratio_vs_torch'])} "
          f"gemm_fraction={sgd['gemm_fraction']:.2f} "
          f"ratio_vs_torch_adam={_fmt(adam['ratio_vs_torch'])} "
          f"gemm_fraction_adam={adam['gemm_fraction']:.2f}")


if __name__ == "__main__":
    main()
