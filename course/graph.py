"""A scalar computational graph with reverse-mode automatic differentiation, small enough to read.

Each ``Node`` holds a value and, for every parent, the local derivative d(node)/d(parent),
computed during the forward pass. ``backward(output)`` sets d(output)/d(output) = 1 and visits
the nodes in reverse topological order, so each node's gradient is complete before it is
passed on: parent.grad += node.grad * local ("downstream = upstream x local").

Example, the lecture's J = cos(sin(x^2) + 3x^2):

>>> x = variable(1.5)
>>> J = cos(add(sin(square(x)), mul(constant(3.0), square(x))))
>>> backward(J)
>>> round(x.grad, 6) == round(example_j(1.5)[1], 6)
True

Taught in notebook 03 (chain rule and reverse-mode automatic differentiation).
"""
from __future__ import annotations

import math

__all__ = ["Node", "constant", "variable", "add", "mul", "square", "sin", "cos", "backward",
           "example_j"]


class Node:
    """One scalar in the graph.

    Parameters
    ----------
    value : float
        The value computed in the forward pass.
    parents : list of (Node, float)
        The inputs of the operation that made this node, each with the local derivative
        d(this node)/d(that input). Empty for constants and variables.
    name : str
        A label for printing.

    Attributes
    ----------
    grad : float
        d(output)/d(this node) after ``backward(output)``; 0 before.
    """

    def __init__(self, value, parents=(), name=""):
        self.value = float(value)
        self.parents = list(parents)
        self.name = name
        self.grad = 0.0

    def __repr__(self):
        return f"Node({self.name or 'value'}={self.value:.6g}, grad={self.grad:.6g})"


def _node(v):
    """Wrap a plain number as a constant so that ``add(x, 1.0)`` works."""
    return v if isinstance(v, Node) else constant(v)


def constant(value, name="const"):
    """A leaf whose gradient nobody needs (it is still computed)."""
    return Node(value, name=name)


def variable(value, name="x"):
    """A leaf we want the gradient of."""
    return Node(value, name=name)


def add(a, b):
    """c = a + b;  dc/da = 1, dc/db = 1."""
    a, b = _node(a), _node(b)
    return Node(a.value + b.value, [(a, 1.0), (b, 1.0)], "add")


def mul(a, b):
    """c = a * b;  dc/da = b, dc/db = a."""
    a, b = _node(a), _node(b)
    return Node(a.value * b.value, [(a, b.value), (b, a.value)], "mul")


def square(a):
    """c = a^2;  dc/da = 2a."""
    a = _node(a)
    return Node(a.value ** 2, [(a, 2.0 * a.value)], "square")


def sin(a):
    """c = sin(a);  dc/da = cos(a)."""
    a = _node(a)
    return Node(math.sin(a.value), [(a, math.cos(a.value))], "sin")


def cos(a):
    """c = cos(a);  dc/da = -sin(a)."""
    a = _node(a)
    return Node(math.cos(a.value), [(a, -math.sin(a.value))], "cos")


def topological_order(output):
    """Every node that ``output`` depends on, each after all of its parents (output last)."""
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent, _ in node.parents:
            visit(parent)
        order.append(node)

    visit(output)
    return order


def backward(output):
    """Reverse-mode differentiation: fill ``node.grad`` = d(output)/d(node) for every node.

    Gradients accumulate (+=), so a node used twice (like x^2 in J) receives both
    contributions. Grads are reset to 0 first, so calling it twice gives the same result.

    Parameters
    ----------
    output : Node
        The scalar to differentiate.
    """
    order = topological_order(output)
    for node in order:
        node.grad = 0.0
    output.grad = 1.0
    for node in reversed(order):  # children before parents
        for parent, local in node.parents:
            parent.grad += node.grad * local


def example_j(x):
    """The lecture's example J = cos(sin(x^2) + 3x^2), evaluated and differentiated on a graph.

    dJ/dx = -sin(sin(x^2) + 3x^2) * (cos(x^2) * 2x + 6x)

    Parameters
    ----------
    x : float

    Returns
    -------
    J : float
    dJ_dx : float

    Taught in notebook 03.
    """
    xv = variable(x, "x")
    x2 = square(xv)                 # x^2, used twice
    u = sin(x2)                     # sin(x^2)
    v = mul(constant(3.0), x2)      # 3x^2
    w = add(u, v)                   # sin(x^2) + 3x^2
    J = cos(w)
    backward(J)
    return J.value, xv.grad
