"""Tests of lossfns.plotting: helpers draw on the given ax and never change global settings."""
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lossfns import plotting  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture
def rc_snapshot():
    before = dict(mpl.rcParams)
    yield
    after = dict(mpl.rcParams)
    changed = sorted(k for k in before if before[k] != after[k])
    assert not changed, f"global rcParams changed: {changed}"


def test_style_applies_course_settings_only_inside_the_block(rc_snapshot):
    with plotting.style():
        assert mpl.rcParams["figure.dpi"] == plotting.COURSE_RC["figure.dpi"]
        assert mpl.rcParams["axes.spines.top"] is False
        fig, ax = plt.subplots()
        assert tuple(fig.get_size_inches()) == plotting.COURSE_RC["figure.figsize"]
        (line,) = ax.plot([0, 1])
        assert mpl.colors.to_hex(line.get_color()) == plotting.COLORS[0].lower()
        plt.close(fig)


def test_style_restores_settings_even_after_an_error(rc_snapshot):
    with pytest.raises(RuntimeError), plotting.style():
        raise RuntimeError("boom")


def test_loss_curve_returns_ax_and_sets_labels_and_legend(ax, rc_snapshot):
    out = plotting.loss_curve(ax, [3.0, 2.0, 1.5], label="GD")
    assert out is ax
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Training loss", "step", "loss")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GD"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2])


def test_loss_curve_keeps_labels_set_by_the_caller_and_accepts_diverging_runs(ax):
    ax.set_title("Two runs")
    plotting.loss_curve(ax, [1.0, 10.0, np.inf], label="diverges", logy=True, ylabel="MSE (units²)")
    assert ax.get_title() == "Two runs" and ax.get_ylabel() == "MSE (units²)"
    assert ax.get_yscale() == "log"
    assert np.isnan(ax.lines[0].get_ydata()[-1])


@pytest.mark.parametrize("bad", [[], [[1.0, 2.0]]])
def test_loss_curve_rejects_non_1d_input(ax, bad):
    with pytest.raises(ValueError, match="loss_curve: losses must be a non-empty 1-D"):
        plotting.loss_curve(ax, bad)


def test_helpers_reject_something_that_is_not_an_axes():
    with pytest.raises(TypeError, match="loss_curve: ax must be a matplotlib Axes"):
        plotting.loss_curve("not an ax", [1.0])


def test_landscape_draws_contours_colorbar_and_minimum(ax, rc_snapshot):
    W1, W2 = np.meshgrid(np.linspace(-1, 1, 11), np.linspace(-2, 2, 21))
    Z = W1**2 + 3 * W2**2 + 0.1
    out = plotting.landscape(ax, W1, W2, Z, log=True, minimum=(0.0, 0.0), title="Bowl",
                             xlabel="$w_1$", ylabel="$w_2$", colorbar_label="MSE")
    assert out is ax
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Bowl", "$w_1$", "$w_2$")
    assert len(ax.figure.axes) == 2  # the colour bar
    assert ax.figure.axes[1].get_ylabel() == "MSE"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["minimum"]


def test_landscape_colorbar_ticks_are_plain_numbers(ax):
    W1, W2 = np.meshgrid(np.linspace(-1, 1, 11), np.linspace(-1, 1, 11))
    plotting.landscape(ax, W1, W2, 3000 + 9000 * (W1**2 + W2**2))
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.figure.axes[1].get_yticklabels() if t.get_text()]
    assert labels and not any("e+" in label for label in labels), labels
    assert any("," in label for label in labels), labels  # thousands separated: 4,000


def test_landscape_default_labels_and_no_colorbar(ax):
    W1, W2 = np.meshgrid(np.arange(3.0), np.arange(4.0))
    plotting.landscape(ax, W1, W2, W1 + W2, colorbar_label=None)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Loss landscape", "$w_1$", "$w_2$")
    assert len(ax.figure.axes) == 1


def test_landscape_validates_shapes_and_log_levels(ax):
    W1, W2 = np.meshgrid(np.arange(3.0), np.arange(4.0))
    with pytest.raises(ValueError, match="must be 2-D of one shape"):
        plotting.landscape(ax, W1, W2, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="log=True needs Z > 0"):
        plotting.landscape(ax, W1, W2, W1 - 1.0, log=True)
    with pytest.raises(ValueError, match="NaN or infinite"):
        plotting.landscape(ax, W1, W2, np.full(W1.shape, np.inf))


def test_loss_and_derivative_uses_one_colour_solid_and_dashed(ax, rc_snapshot):
    r = np.linspace(-2.0, 2.0, 5)
    out = plotting.loss_and_derivative(ax, r, np.abs(r), np.sign(r), label="MAE")
    assert out is ax
    loss_line, grad_line = ax.lines[:2]
    assert loss_line.get_color() == grad_line.get_color()
    assert grad_line.get_linestyle() == "--"
    assert ax.get_title() == "MAE and its derivative"
    assert ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MAE", "MAE'"]


def test_loss_and_derivative_rejects_mismatched_lengths(ax):
    with pytest.raises(ValueError, match="1-D of one length"):
        plotting.loss_and_derivative(ax, [0.0, 1.0], [0.0], [0.0, 1.0], label="x")


def test_matplotlib_is_only_imported_by_the_plotting_module():
    code = (
        "import sys, lossfns as lf\n"
        "lf.mse([1.0], [2.0]); lf.data\n"
        "assert 'matplotlib' not in sys.modules, 'lossfns core or data imported matplotlib'\n"
        "lf.plotting\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, MPLBACKEND="Agg"))


def test_influence_draws_one_line_per_loss_with_default_labels(ax, rc_snapshot):
    r = np.linspace(-4.0, 4.0, 9)
    psis = {"MSE": 2 * r, "Huber": np.clip(r, -1, 1), "Tukey": np.where(np.abs(r) < 3, r, 0.0)}
    out = plotting.influence(ax, r, psis)
    assert out is ax
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MSE", "Huber", "Tukey"]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), np.clip(r, -1, 1))
    assert ax.get_title() == "Influence functions"
    assert "residual" in ax.get_xlabel() and r"\psi" in ax.get_ylabel()


def test_influence_keeps_given_labels_and_validates(ax):
    r = np.arange(3.0)
    plotting.influence(ax, r, {"a": r}, title="T", xlabel="r (score)", ylabel="psi (score)")
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "r (score)", "psi (score)")
    with pytest.raises(ValueError, match="psis is empty"):
        plotting.influence(ax, r, {})
    with pytest.raises(ValueError, match="psi of 'b' has shape"):
        plotting.influence(ax, r, {"b": np.arange(4.0)})
    with pytest.raises(TypeError, match="influence: ax must be a matplotlib Axes"):
        plotting.influence(None, r, {"a": r})


def test_fitted_lines_draws_points_highlights_and_lines_over_the_x_range(ax, rc_snapshot):
    x, y = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 9.0])
    styles = {"MAE": {"ls": "--", "color": plotting.COLORS[2]}}
    out = plotting.fitted_lines(ax, x, y, {"MSE": (0.5, 2.0), "MAE": (0.0, 2.0)}, highlight=[2],
                                styles=styles, xlabel="income (francs)", ylabel="food (francs)")
    assert out is ax
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["data", "outliers", "MSE", "MAE"]
    mse_line, mae_line = ax.lines
    np.testing.assert_array_equal(mse_line.get_xdata(), [1.0, 4.0])
    np.testing.assert_array_equal(mse_line.get_ydata(), [2.5, 8.5])
    assert mae_line.get_linestyle() == "--"
    assert mpl.colors.to_hex(mae_line.get_color()) == plotting.COLORS[2].lower()
    np.testing.assert_array_equal(ax.collections[1].get_offsets(), [[4.0, 9.0]])
    assert ax.get_xlabel() == "income (francs)" and ax.get_title() == "Fitted lines"


def test_fitted_lines_accepts_a_boolean_mask_and_validates(ax):
    x = np.arange(4.0)
    plotting.fitted_lines(ax, x, x, {"a": (0.0, 1.0)}, highlight=x > 2, highlight_label="bad")
    assert ax.get_legend().get_texts()[1].get_text() == "bad"
    np.testing.assert_array_equal(ax.collections[1].get_offsets(), [[3.0, 3.0]])
    with pytest.raises(ValueError, match="1-D of one length"):
        plotting.fitted_lines(ax, x, x[:3], {"a": (0.0, 1.0)})
    with pytest.raises(ValueError, match="lines is empty"):
        plotting.fitted_lines(ax, x, x, {})
    with pytest.raises(ValueError, match=r"must be \(intercept, slope\)"):
        plotting.fitted_lines(ax, x, x, {"a": (0.0, 1.0, 2.0)})


def test_image_grid_draws_one_image_per_axes_without_ticks(rc_snapshot):
    fig, axes = plt.subplots(2, 3)
    pictures = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5) / 120.0
    titles = np.array([["a", "", "c"], ["d", "e", "f"]])
    grid = plotting.image_grid(axes, pictures, titles=titles, row_labels=["input", "output"])
    assert grid.shape == (2, 3) and grid[0, 0] is axes[0, 0]
    np.testing.assert_array_equal(axes[1, 2].images[0].get_array(), pictures[1, 2])
    assert axes[0, 0].images[0].get_clim() == (0.0, 1.0)
    assert [ax.get_title() for ax in axes[0]] == ["a", "", "c"]
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["input", "output"] and axes[0, 1].get_ylabel() == ""
    assert all(len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0 for ax in axes.flat)
    plt.close(fig)


def test_image_grid_accepts_a_row_of_axes_and_own_colour_scales():
    fig, axes = plt.subplots(1, 2)
    pictures = np.stack([np.zeros((3, 3)), np.full((3, 3), 5.0)])
    pictures[0, 0, 0] = -2.0
    plotting.image_grid(axes, pictures, vmin=None, vmax=None, row_labels=["noisy"])
    assert axes[0].images[0].get_clim() == (-2.0, 0.0)
    assert axes[0].get_ylabel() == "noisy"
    plt.close(fig)


def test_image_grid_validates_shapes_and_axes():
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match=r"pictures must have shape \(2,\) \+ \(height, width\)"):
        plotting.image_grid(axes, np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="titles must have the shape of axes"):
        plotting.image_grid(axes, np.zeros((2, 4, 4)), titles=["one"])
    with pytest.raises(ValueError, match="row_labels needs 1 label"):
        plotting.image_grid(axes, np.zeros((2, 4, 4)), row_labels=["a", "b"])
    with pytest.raises(TypeError, match="image_grid: ax must be a matplotlib Axes"):
        plotting.image_grid([axes[0], "x"], np.zeros((2, 4, 4)))
    plt.close(fig)


def _curves():
    from lossfns.active import Curves

    acc = np.array([[0.5, 0.7, 0.8], [0.7, 0.9, 0.8]])
    return {"random": Curves(np.array([10, 20, 30]), acc, -np.log(acc)),
            "margin": Curves(np.array([10, 20, 30]), acc + 0.05, -np.log(acc + 0.05))}


def test_learning_curves_draws_the_mean_and_a_band_per_strategy(ax, rc_snapshot):
    curves = _curves()
    assert plotting.learning_curves(ax, curves) is ax
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.6, 0.8, 0.8])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.65, 0.85, 0.85])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [10, 20, 30])
    assert len(ax.collections) == 2  # one band each
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.5) and band.max() == pytest.approx(0.9)  # 0.6 ± 0.1 and 0.8 ± 0.1
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Active learning", "labelled examples",
                                                                   "test accuracy")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["random", "margin"]
    assert mpl.colors.to_hex(ax.lines[1].get_color()) == plotting.COLORS[1].lower()


def test_learning_curves_log_loss_minmax_and_no_band(ax):
    curves = _curves()
    plotting.learning_curves(ax, {"random": curves["random"]}, metric="log_loss", band="minmax", title="Digits")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), -np.log([[0.5, 0.7, 0.8], [0.7, 0.9, 0.8]]).mean(axis=0))
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() == pytest.approx(-np.log(0.5)) and band.min() == pytest.approx(-np.log(0.9))
    assert (ax.get_title(), ax.get_ylabel()) == ("Digits", "test log-loss (nats)")
    fig, other = plt.subplots()
    plotting.learning_curves(other, curves, band=None)
    assert len(other.collections) == 0 and len(other.lines) == 2
    plt.close(fig)


def test_learning_curves_validates(ax):
    curves = _curves()
    with pytest.raises(ValueError, match="metric must be one of 'accuracy', 'log_loss', got 'f1'"):
        plotting.learning_curves(ax, curves, metric="f1")
    with pytest.raises(ValueError, match="band must be one of 'std', 'minmax', None, got 'iqr'"):
        plotting.learning_curves(ax, curves, band="iqr")
    with pytest.raises(ValueError, match="curves is empty"):
        plotting.learning_curves(ax, {})
    bad = curves["random"]._replace(n_labels=np.array([10, 20]))
    with pytest.raises(ValueError, match=r"'random' has n_labels of shape \(2,\) but accuracy of shape \(2, 3\)"):
        plotting.learning_curves(ax, {"random": bad})
    with pytest.raises(TypeError, match="learning_curves: ax must be a matplotlib Axes"):
        plotting.learning_curves("ax", curves)
