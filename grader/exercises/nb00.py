"""Exercises of the synthetic fixture assignment ``00_fixture`` (``grader.synthetic``), which the
grader's own tests and benchmark grade."""
from __future__ import annotations

import numpy as np

from course.checks import check_array, check_scalar
from grader.exercises.common import rng_for
from grader.registry import Bug, Exercise


def check_add(add):
    """add(a, b) on hidden integers."""
    a, b = (int(v) for v in rng_for("add").integers(-50, 50, size=2))
    check_scalar("add of two hidden integers", add(a, b), a + b)


def check_scale(scale):
    """scale(x, k) on a hidden vector and factor."""
    rng = rng_for("scale")
    x, k = rng.normal(size=5), float(rng.uniform(-3, 3))
    check_array("scale on a hidden input", scale(x.copy(), k), k * x)


def check_mean_square(mean_square):
    """mean_square(x) on a hidden vector."""
    x = rng_for("mean_square").normal(size=7)
    check_scalar("mean_square on a hidden input", mean_square(x.copy()), float(np.mean(x ** 2)))


BUGS = [
    Bug("add_subtracts", "add", "return a + b", "return a - b", "add adds: a + b."),
    Bug("add_first_only", "add", "return a + b", "return a", "Both numbers count."),
    Bug("add_doubles", "add", "return a + b", "return 2 * a + b", "Each number counts once."),
    Bug("scale_adds", "scale", "np.asarray(x) * k", "np.asarray(x) + k", "Scale multiplies."),
    Bug("scale_ignores_k", "scale", "np.asarray(x) * k", "np.asarray(x) * 1", "Use k."),
    Bug("scale_squares", "scale", "np.asarray(x) * k", "np.asarray(x) * k * k", "Once by k."),
    Bug("mean_square_no_square", "mean_square", "np.mean(np.square(x))", "np.mean(x)",
        "Square before averaging."),
    Bug("mean_square_sum", "mean_square", "np.mean(np.square(x))", "np.sum(np.square(x))",
        "Average, do not sum."),
    Bug("mean_square_of_mean", "mean_square", "np.mean(np.square(x))", "np.square(np.mean(x))",
        "Square each entry, then average."),
]

EXERCISES = [
    Exercise("test_add", points=2, check=check_add, functions=("add",)),
    Exercise("test_scale", points=3, check=check_scale, functions=("scale",)),
    Exercise("test_mean_square", points=5, check=check_mean_square, functions=("mean_square",)),
]
