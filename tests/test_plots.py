"""Tests for course/plots.py: every function runs on tiny data and labels its figure."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_labelled(ax):
    assert ax.get_title(), "missing title"
    assert ax.get_xlabel(), "missing x label"
    assert ax.get_ylabel(), "missing y label"


def visible_axes(fig):
    """The figure's panels, without colorbars and hidden grid cells."""
    return [a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>"]


HISTORY = {"loss": [1.0, 0.6, 0.5], "train_acc": [0.5, 0.7, 0.8],
           "val_acc": [0.45, 0.65, 0.6], "lr": [0.1] * 3, "best_epoch": 1}


def test_plot_history_two_panels_and_overlay():
    fig = plots.plot_history(HISTORY, label="sgd")
    axes = visible_axes(fig)
    assert len(axes) == 2
    for ax in axes:
        assert_labelled(ax)
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), HISTORY["loss"])
    no_val = dict(HISTORY, val_acc=[None] * 3)
    del no_val["best_epoch"]
    again = plots.plot_history(no_val, ax=fig.axes, label="adam")
    assert again is fig and len(axes[0].lines) == 2


def test_plot_decision_regions():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    y = (X[:, 0] > 0).astype(int)
    ax = plots.plot_decision_regions(lambda P: np.column_stack([-P[:, 0], P[:, 0]]), X, y)
    assert_labelled(ax)
    ax = plots.plot_decision_regions(lambda P: (P[:, 1] > 0).astype(int), X, y, resolution=20)
    assert_labelled(ax)


def test_plot_image_grid_returns_figure():
    images = np.random.default_rng(1).random((7, 64))
    fig = plots.plot_image_grid(images, labels=np.arange(7), predictions=[0, 1, 2, 0, 4, 5, 6],
                                ncols=4)
    assert fig._suptitle is not None and fig._suptitle.get_text()
    axes = visible_axes(fig)
    assert len(axes) == 7
    assert axes[3].title.get_color() == "red" and axes[2].title.get_color() == "black"
    assert "label 3" in axes[3].get_title() and "pred 0" in axes[3].get_title()
    with pytest.raises(ValueError):
        plots.plot_image_grid(np.zeros((2, 10)))


def test_plot_confusion_matrix():
    cm = np.array([[5, 1], [2, 7]])
    ax = plots.plot_confusion_matrix(cm)
    assert_labelled(ax)
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]
    ax = plots.plot_confusion_matrix(cm, normalize=True, class_names=["a", "b"])
    assert "0.83" in [t.get_text() for t in ax.texts]


def test_plot_optimizer_paths():
    def loss_fn(x, y):
        return 0.5 * x**2 + 5 * y**2

    calls = []

    def counting_loss(x, y):
        calls.append(np.shape(x))
        return loss_fn(x, y)

    paths = {"sgd": np.array([[-2.0, 1.0], [-1.5, 0.2], [-1.0, 0.1]]),
             "adam": np.array([[-2.0, 1.0], [-1.9, 0.9]])}
    ax = plots.plot_optimizer_paths(counting_loss, paths, (-3, 3), (-1.5, 1.5), resolution=50)
    assert_labelled(ax)
    assert calls == [(50, 50)]  # one vectorized evaluation on the grid
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("sgd" in t for t in legend) and any("adam" in t for t in legend)
    drawn = [line for line in ax.lines if len(line.get_xdata()) == 3]
    np.testing.assert_allclose(drawn[0].get_xdata(), paths["sgd"][:, 0])


def test_plot_activation_histograms():
    rng = np.random.default_rng(2)
    acts = [rng.standard_normal((20, 5)), np.tanh(rng.standard_normal((20, 5)))]
    fig = plots.plot_activation_histograms(acts)
    axes = visible_axes(fig)
    assert len(axes) == 2
    for ax, a in zip(axes, acts):
        assert_labelled(ax)
        assert f"{a.mean():.3f}" in ax.get_title() and f"{a.std():.3f}" in ax.get_title()
    fig = plots.plot_activation_histograms(acts, value_range=(-5, 5))
    for ax in visible_axes(fig):
        edges = [patch.get_x() for patch in ax.patches]
        assert min(edges) == pytest.approx(-5) and max(edges) < 5
    fig = plots.plot_activation_histograms({"relu 1": np.ones(4)})
    assert "relu 1" in visible_axes(fig)[0].get_title()


def test_plot_activation_functions():
    fig = plots.plot_activation_functions(["relu", "sigmoid", "tanh"])
    axes = visible_axes(fig)
    assert len(axes) == 3
    for ax in axes:
        assert_labelled(ax)
        assert len(ax.lines) >= 2
    relu_ax = axes[0]
    z = relu_ax.lines[0].get_xdata()
    np.testing.assert_allclose(relu_ax.lines[0].get_ydata(), np.maximum(z, 0))
    np.testing.assert_allclose(relu_ax.lines[1].get_ydata(), (z > 0).astype(float))
    sig_ax = axes[1]
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(sig_ax.lines[1].get_ydata(), s * (1 - s), atol=1e-7)
    with pytest.raises(ValueError):
        plots.plot_activation_functions(["nope"])
