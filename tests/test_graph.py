"""Tests for course/graph.py: the scalar reverse-mode graph and the lecture's example J."""
import math

import pytest

from course import graph


def _j(x):
    return math.cos(math.sin(x * x) + 3 * x * x)


def _dj(x):
    return -math.sin(math.sin(x * x) + 3 * x * x) * (math.cos(x * x) * 2 * x + 6 * x)


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.7, 1.5, 3.0])
def test_example_j_matches_closed_form_and_finite_differences(x):
    J, dJ = graph.example_j(x)
    assert J == pytest.approx(_j(x), rel=1e-12, abs=1e-15)
    assert dJ == pytest.approx(_dj(x), rel=1e-10, abs=1e-12)
    h = 1e-6
    assert dJ == pytest.approx((_j(x + h) - _j(x - h)) / (2 * h), rel=1e-5, abs=1e-7)


def test_example_j_by_hand_at_one():
    # x = 1: u = sin 1 + 3, J = cos u, dJ/dx = -sin(u) (2 cos 1 + 6)
    u = math.sin(1.0) + 3.0
    assert graph.example_j(1.0) == pytest.approx((math.cos(u), -math.sin(u) * (2 * math.cos(1.0) + 6)))


def test_local_derivatives():
    a, b = graph.variable(3.0, "a"), graph.variable(-2.0, "b")
    for node, expected_value, expected_grads in [
        (graph.add(a, b), 1.0, (1.0, 1.0)),
        (graph.mul(a, b), -6.0, (-2.0, 3.0)),
    ]:
        graph.backward(node)
        assert node.value == expected_value
        assert (a.grad, b.grad) == expected_grads
    for op, value, grad in [(graph.square, 9.0, 6.0), (graph.sin, math.sin(3.0), math.cos(3.0)),
                            (graph.cos, math.cos(3.0), -math.sin(3.0))]:
        out = op(a)
        graph.backward(out)
        assert out.value == pytest.approx(value) and a.grad == pytest.approx(grad)


def test_gradients_accumulate_over_shared_nodes():
    # f = x * x + x: x feeds three edges, df/dx = 2x + 1
    x = graph.variable(4.0)
    f = graph.add(graph.mul(x, x), x)
    graph.backward(f)
    assert x.grad == 9.0
    graph.backward(f)  # a second call does not double-count
    assert x.grad == 9.0


def test_backward_runs_in_reverse_topological_order():
    x = graph.variable(0.5)
    x2 = graph.square(x)
    J = graph.cos(graph.add(graph.sin(x2), graph.mul(3.0, x2)))  # plain numbers become constants
    order = graph.topological_order(J)
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent, _ in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is J and len(order) == 7  # x, x^2, sin, 3, mul, add, cos
    graph.backward(J)
    assert J.grad == 1.0
    assert x.grad == pytest.approx(_dj(0.5))
    assert x2.grad == pytest.approx(-math.sin(math.sin(0.25) + 0.75) * (math.cos(0.25) + 3))


def test_grad_starts_at_zero_and_unused_nodes_keep_it():
    x, y = graph.variable(2.0, "x"), graph.variable(5.0, "y")
    assert x.grad == 0.0 and graph.constant(1.0).grad == 0.0
    f = graph.square(x)
    graph.backward(f)
    assert x.grad == 4.0
    assert y.grad == 0.0  # y is not an input of f
