"""The course's plotting helpers: one style, applied without touching global state.

Every helper takes a Matplotlib ``ax``, draws on it and returns it, so cells
can compose them. The course look (figure size, resolution, grid, colours) is
applied by the :func:`style` context manager, which restores Matplotlib's
settings when the block ends::

    with lf.plotting.style():
        fig, ax = plt.subplots()
        lf.plotting.loss_curve(ax, losses, label="gradient descent")
        plt.show()

This is the only module of :mod:`lossfns` that imports Matplotlib.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.ticker import FuncFormatter
from numpy.typing import ArrayLike

__all__ = ["COLORS", "COURSE_RC", "fitted_lines", "image_grid", "influence", "landscape", "learning_curves",
           "loss_and_derivative", "loss_curve", "style"]

#: Okabe–Ito palette: distinguishable with the common forms of colour blindness.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

#: Settings applied inside :func:`style`. Small figures keep the notebooks light.
COURSE_RC = {
    "figure.figsize": (6.0, 3.5),
    "figure.dpi": 90,
    "savefig.dpi": 90,
    "figure.constrained_layout.use": True,
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "grid.alpha": 0.3,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "image.cmap": "viridis",
}


@contextmanager
def style() -> Iterator[None]:
    """Draw in the course style inside a ``with`` block; settings are restored on exit.

    Create the figure *and* call ``plt.show()`` inside the block: Matplotlib
    reads most settings when an artist is created.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = mpl.rcParams["axes.grid"]
    >>> with style():
    ...     bool(mpl.rcParams["axes.grid"])
    True
    >>> mpl.rcParams["axes.grid"] == before
    True
    """
    with mpl.rc_context(COURSE_RC):
        yield


def _label(ax: Axes, *, title: str | None, xlabel: str | None, ylabel: str | None,
           defaults: tuple[str, str, str]) -> None:
    """Set title and axis labels: given values always, defaults only where ``ax`` has none yet."""
    for value, default, get, set_ in zip(
        (title, xlabel, ylabel), defaults,
        (ax.get_title, ax.get_xlabel, ax.get_ylabel), (ax.set_title, ax.set_xlabel, ax.set_ylabel),
        strict=True,
    ):
        if value is not None:
            set_(value)
        elif not get():
            set_(default)


def _tick_label(value: float, _pos=None) -> str:
    """Colour-bar tick text: plain numbers (``12,500``, ``3.5``, ``0.012``), no ``1.2e+04``."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _check_axes(fn: str, ax) -> None:
    if not isinstance(ax, Axes):
        raise TypeError(f"{fn}: ax must be a matplotlib Axes, got {type(ax).__name__}")


def loss_curve(
    ax: Axes,
    losses: ArrayLike,
    *,
    label: str | None = None,
    logy: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    **plot_kwargs,
) -> Axes:
    """Plot a loss against the optimisation step (step 0 is the starting point).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    losses : array_like, shape (steps,)
        Loss after each step. Values that overflowed to ``inf`` are left out
        of the line, so a diverging run can be plotted as it is.
    label : str, optional
        Legend entry; a legend is drawn when given.
    logy : bool, default False
        Logarithmic loss axis, for curves that span several decades.
    title, xlabel, ylabel : str, optional
        Default to "Training loss", "step" and "loss" where ``ax`` has none
        yet; put units into ``ylabel`` where the loss has them.
    **plot_kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot` (``color``, ``ls``, ...).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself.

    Raises
    ------
    ValueError
        If ``losses`` is not one-dimensional or empty.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> loss_curve(ax, [4.0, 2.0, 1.0], label="GD") is ax
    True
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('step', 'loss')
    >>> plt.close(fig)
    """
    _check_axes("loss_curve", ax)
    values = np.asarray(losses, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"loss_curve: losses must be a non-empty 1-D sequence, got shape {values.shape}")
    ax.plot(np.arange(values.size), np.where(np.isfinite(values), values, np.nan), label=label, **plot_kwargs)
    if logy:
        ax.set_yscale("log")
    _label(ax, title=title, xlabel=xlabel, ylabel=ylabel, defaults=("Training loss", "step", "loss"))
    if label is not None:
        ax.legend()
    return ax


def landscape(
    ax: Axes,
    W1: ArrayLike,
    W2: ArrayLike,
    Z: ArrayLike,
    *,
    levels: int = 20,
    log: bool = False,
    minimum: tuple[float, float] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colorbar_label: str | None = "loss",
) -> Axes:
    r"""Filled contour plot of a loss over a grid of two parameters.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    W1, W2 : array_like, shape (m, k)
        Parameter grid, as returned by ``np.meshgrid``.
    Z : array_like, shape (m, k)
        Loss at every grid point.
    levels : int, default 20
        Number of contour levels.
    log : bool, default False
        Space the levels geometrically (needs ``Z > 0``): shows the floor of
        a valley that spans several decades.
    minimum : (float, float), optional
        A point to mark with a star, e.g. the least-squares solution.
    title, xlabel, ylabel : str, optional
        Default to "Loss landscape", ":math:`w_1`" and ":math:`w_2`".
    colorbar_label : str or None, default "loss"
        Label of the colour bar; ``None`` draws no colour bar.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself.

    Raises
    ------
    ValueError
        If the three arrays are not 2-D of one shape, ``Z`` is not finite, or
        ``log`` is requested for a non-positive ``Z``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> W1, W2 = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    >>> fig, ax = plt.subplots()
    >>> landscape(ax, W1, W2, W1**2 + 2 * W2**2, minimum=(0.0, 0.0)) is ax
    True
    >>> plt.close(fig)
    """
    _check_axes("landscape", ax)
    W1, W2, Z = (np.asarray(a, dtype=np.float64) for a in (W1, W2, Z))
    if not (W1.ndim == 2 and W1.shape == W2.shape == Z.shape):
        raise ValueError(f"landscape: W1, W2 and Z must be 2-D of one shape, got {W1.shape}, {W2.shape}, {Z.shape}")
    if not np.isfinite(Z).all():
        raise ValueError("landscape: Z contains NaN or infinite values")
    if log:
        if Z.min() <= 0:
            raise ValueError(f"landscape: log=True needs Z > 0, but min(Z) = {Z.min():g}")
        bounds = np.geomspace(Z.min(), Z.max(), levels + 1)
        filled = ax.contourf(W1, W2, Z, levels=bounds, norm=LogNorm(Z.min(), Z.max()))
    else:
        filled = ax.contourf(W1, W2, Z, levels=levels)
    ax.contour(W1, W2, Z, levels=filled.levels, colors="white", linewidths=0.4, alpha=0.6)
    if colorbar_label is not None:
        ticks = filled.levels[:: max(1, len(filled.levels) // 6)] if log else None
        ax.figure.colorbar(filled, ax=ax, label=colorbar_label, ticks=ticks,
                           format=FuncFormatter(_tick_label))
    if minimum is not None:
        ax.plot(*minimum, marker="*", ms=12, color="white", mec="black", ls="none", label="minimum")
        ax.legend(loc="upper right")
    ax.grid(False)
    _label(ax, title=title, xlabel=xlabel, ylabel=ylabel, defaults=("Loss landscape", "$w_1$", "$w_2$"))
    return ax


def loss_and_derivative(
    ax: Axes,
    x: ArrayLike,
    loss: ArrayLike,
    derivative: ArrayLike,
    *,
    label: str,
    color: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    r"""Plot a per-sample loss (solid) and its derivative (dashed) in one colour.

    The derivative is the force with which one sample pulls on the model, so
    plotting both side by side shows how a loss treats large errors.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array_like, shape (m,)
        Horizontal coordinate, usually the residual :math:`\hat y - y`.
    loss, derivative : array_like, shape (m,)
        :math:`\ell` and :math:`\partial \ell / \partial \hat y` at ``x``.
    label : str
        Name of the loss, used in the legend.
    color : str, optional
        Line colour; the next colour of the cycle by default.
    title, xlabel, ylabel : str, optional
        Default to "<label> and its derivative", "residual :math:`\hat y - y`"
        and a label naming both curves.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself.

    Raises
    ------
    ValueError
        If the three arrays are not 1-D of one length.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> r = np.linspace(-2, 2, 9)
    >>> fig, ax = plt.subplots()
    >>> loss_and_derivative(ax, r, r**2, 2 * r, label="MSE", title="Squared error") is ax
    True
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['MSE', "MSE'"]
    >>> plt.close(fig)
    """
    _check_axes("loss_and_derivative", ax)
    x, loss, derivative = (np.asarray(a, dtype=np.float64) for a in (x, loss, derivative))
    if not (x.ndim == 1 and x.shape == loss.shape == derivative.shape):
        raise ValueError("loss_and_derivative: x, loss and derivative must be 1-D of one length, "
                         f"got {x.shape}, {loss.shape}, {derivative.shape}")
    (line,) = ax.plot(x, loss, color=color, label=label)
    ax.plot(x, derivative, color=line.get_color(), ls="--", label=f"{label}'")
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    _label(ax, title=title, xlabel=xlabel, ylabel=ylabel, defaults=(
        f"{label} and its derivative", r"residual $\hat y - y$",
        r"$\ell$ (solid), $\partial\ell/\partial\hat y$ (dashed)"))
    ax.legend()
    return ax


def influence(
    ax: Axes,
    r: ArrayLike,
    psis: Mapping[str, ArrayLike],
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    **plot_kwargs,
) -> Axes:
    r"""Plot influence functions :math:`\psi(r) = \partial\ell/\partial\hat y` of several losses in one panel.

    The influence function says how hard one sample with residual :math:`r`
    pulls on the fit: unbounded for the squared error, bounded for Huber,
    back to zero for redescending losses such as Tukey's biweight.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    r : array_like, shape (m,)
        Residuals :math:`r = \hat y - y`.
    psis : mapping of str to array_like, each of shape (m,)
        Legend label -> :math:`\psi` at ``r``; drawn in the given order with
        the colours of the course cycle.
    title, xlabel, ylabel : str, optional
        Default to "Influence functions", "residual :math:`r = \hat y - y`"
        and ":math:`\psi(r) = \partial\ell/\partial\hat y`".
    **plot_kwargs
        Passed to every :meth:`~matplotlib.axes.Axes.plot` call.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself.

    Raises
    ------
    ValueError
        If ``psis`` is empty, or ``r`` or an entry is not 1-D of one length.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> r = np.linspace(-3, 3, 7)
    >>> fig, ax = plt.subplots()
    >>> influence(ax, r, {"MSE": 2 * r, "Huber": np.clip(r, -1, 1)}) is ax
    True
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['MSE', 'Huber']
    >>> plt.close(fig)
    """
    _check_axes("influence", ax)
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 1 or r.size == 0:
        raise ValueError(f"influence: r must be a non-empty 1-D array, got shape {r.shape}")
    if not psis:
        raise ValueError("influence: psis is empty; pass at least one label -> psi(r)")
    for label, psi in psis.items():
        psi = np.asarray(psi, dtype=np.float64)
        if psi.shape != r.shape:
            raise ValueError(f"influence: psi of {label!r} has shape {psi.shape} but r has shape {r.shape}")
        ax.plot(r, psi, label=label, **plot_kwargs)
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    _label(ax, title=title, xlabel=xlabel, ylabel=ylabel, defaults=(
        "Influence functions", r"residual $r = \hat y - y$", r"$\psi(r) = \partial\ell/\partial\hat y$"))
    ax.legend()
    return ax


def fitted_lines(
    ax: Axes,
    x: ArrayLike,
    y: ArrayLike,
    lines: Mapping[str, tuple[float, float]],
    *,
    highlight: ArrayLike | None = None,
    highlight_label: str = "outliers",
    styles: Mapping[str, dict] | None = None,
    point_label: str = "data",
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Scatter the data and draw straight lines ``intercept + slope * x`` fitted to it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x, y : array_like, shape (n,)
        The data, drawn as small grey points.
    lines : mapping of str to (float, float)
        Legend label -> ``(intercept, slope)``; each line spans the range of
        ``x``, in the colours of the course cycle unless ``styles`` says otherwise.
    highlight : array_like of int or bool, optional
        Indices (or a mask) of points to mark with crosses, e.g. the corrupted targets.
    highlight_label : str, default "outliers"
        Legend entry of the highlighted points.
    styles : mapping of str to dict, optional
        Extra keyword arguments for the line of a label, e.g.
        ``{"MSE, clean": {"ls": "--", "color": COLORS[0]}}``.
    point_label : str, default "data"
        Legend entry of the points.
    title, xlabel, ylabel : str, optional
        Default to "Fitted lines", "x" and "y"; pass labels with units.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` are not 1-D of one length, ``lines`` is empty, or
        a line is not a pair of numbers.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> fitted_lines(ax, [0, 1, 2], [0, 1, 5], {"MSE": (-0.5, 2.5)}, highlight=[2]) is ax
    True
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['data', 'outliers', 'MSE']
    >>> plt.close(fig)
    """
    _check_axes("fitted_lines", ax)
    x, y = (np.asarray(a, dtype=np.float64) for a in (x, y))
    if not (x.ndim == 1 and x.shape == y.shape and x.size > 0):
        raise ValueError(f"fitted_lines: x and y must be 1-D of one length, got {x.shape} and {y.shape}")
    if not lines:
        raise ValueError("fitted_lines: lines is empty; pass at least one label -> (intercept, slope)")
    ax.scatter(x, y, s=8, alpha=0.4, color="0.5", label=point_label)
    if highlight is not None:
        idx = np.asarray(highlight)
        ax.scatter(x[idx], y[idx], s=30, marker="x", color=COLORS[1], label=highlight_label)
    xs = np.array([x.min(), x.max()])
    styles = styles or {}
    for label, line in lines.items():
        coef = np.asarray(line, dtype=np.float64)
        if coef.shape != (2,):
            raise ValueError(f"fitted_lines: line {label!r} must be (intercept, slope), got shape {coef.shape}")
        ax.plot(xs, coef[0] + coef[1] * xs, label=label, **styles.get(label, {}))
    _label(ax, title=title, xlabel=xlabel, ylabel=ylabel, defaults=("Fitted lines", "x", "y"))
    ax.legend()
    return ax


def image_grid(
    axes,
    pictures: ArrayLike,
    *,
    titles=None,
    row_labels=None,
    cmap: str = "gray_r",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
):
    """Show one grey-level image per axes, without ticks: digits, masks, reconstructions.

    Parameters
    ----------
    axes : matplotlib.axes.Axes or array of them, shape (rows, cols) or (m,)
        As returned by ``plt.subplots(rows, cols)``.
    pictures : array_like, shape ``axes.shape + (height, width)``
        One image per axes.
    titles : array_like of str, shape like ``axes``, optional
        A title per image (``""`` for none).
    row_labels : sequence of str, optional
        One label per row of a 2-D grid, written as the y-label of the row's
        first image (e.g. "input", "target", "prediction").
    cmap : str, default "gray_r"
        Colour map; the default draws 0 white and 1 black, like ink.
    vmin, vmax : float or None, default 0.0 and 1.0
        Fixed ends of the colour scale, so that images can be compared;
        ``None`` scales each image to its own range.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``axes`` as an array of its original shape.

    Raises
    ------
    TypeError
        If an element of ``axes`` is not a Matplotlib Axes.
    ValueError
        If ``pictures``, ``titles`` or ``row_labels`` do not match the shape
        of ``axes``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, axes = plt.subplots(2, 3)
    >>> grid = image_grid(axes, np.zeros((2, 3, 8, 8)), row_labels=["input", "output"])
    >>> grid.shape, grid[1, 0].get_ylabel()
    ((2, 3), 'output')
    >>> plt.close(fig)
    """
    grid = np.asarray(axes, dtype=object)
    for ax in grid.flat:
        _check_axes("image_grid", ax)
    pics = np.asarray(pictures, dtype=np.float64)
    if pics.shape[: grid.ndim] != grid.shape or pics.ndim != grid.ndim + 2:
        raise ValueError(f"image_grid: pictures must have shape {grid.shape} + (height, width), got {pics.shape}")
    names = None if titles is None else np.asarray(titles, dtype=object)
    if names is not None and names.shape != grid.shape:
        raise ValueError(f"image_grid: titles must have the shape of axes {grid.shape}, got {names.shape}")
    if row_labels is not None:
        rows = grid.reshape(grid.shape[0], -1) if grid.ndim == 2 else grid.reshape(1, -1)
        if len(row_labels) != rows.shape[0]:
            raise ValueError(f"image_grid: row_labels needs {rows.shape[0]} label(s), got {len(row_labels)}")
    for index in np.ndindex(*grid.shape):
        ax = grid[index]
        ax.imshow(pics[index], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if names is not None and names[index]:
            ax.set_title(str(names[index]))
    if row_labels is not None:
        for ax, label in zip(rows[:, 0], row_labels, strict=True):
            ax.set_ylabel(label)
    return grid


_CURVE_METRICS = {"accuracy": "test accuracy", "log_loss": "test log-loss (nats)"}
_BANDS = ("std", "minmax", None)


def learning_curves(
    ax: Axes,
    curves: Mapping,
    *,
    metric: str = "accuracy",
    band: str | None = "std",
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Draw active-learning curves: the mean over seeds per strategy and a shaded spread around it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    curves : mapping of str to Curves
        Strategy name -> an object with ``n_labels`` of shape ``(r,)`` and
        ``accuracy`` / ``log_loss`` of shape ``(n_seeds, r)``, as returned by
        :func:`lossfns.active.compare`. One line per entry, in order.
    metric : {"accuracy", "log_loss"}, default "accuracy"
        Which curve to draw.
    band : {"std", "minmax", None}, default "std"
        Shade mean ± one standard deviation over seeds, the range from the
        worst to the best seed, or nothing.
    title, xlabel, ylabel : str, optional
        Default to "Active learning", "labelled examples" and the metric's
        name where ``ax`` has none yet.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself.

    Raises
    ------
    ValueError
        If ``curves`` is empty, ``metric`` or ``band`` is unknown, or the
        shapes of a strategy's arrays do not fit together.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from lossfns.active import Curves
    >>> c = Curves(np.array([10, 20]), np.array([[0.6, 0.8], [0.7, 0.9]]), np.zeros((2, 2)))
    >>> fig, ax = plt.subplots()
    >>> learning_curves(ax, {"margin": c}) is ax
    True
    >>> ax.lines[0].get_ydata().round(2).tolist(), ax.get_xlabel()
    ([0.65, 0.85], 'labelled examples')
    >>> plt.close(fig)
    """
    fn = "learning_curves"
    _check_axes(fn, ax)
    if metric not in _CURVE_METRICS:
        raise ValueError(f"{fn}: metric must be one of {', '.join(map(repr, _CURVE_METRICS))}, got {metric!r}")
    if band not in _BANDS:
        raise ValueError(f"{fn}: band must be one of 'std', 'minmax', None, got {band!r}")
    if not curves:
        raise ValueError(f"{fn}: curves is empty; pass strategy name -> Curves")
    for i, (name, curve) in enumerate(curves.items()):
        x = np.asarray(curve.n_labels, dtype=np.float64)
        values = np.atleast_2d(np.asarray(getattr(curve, metric), dtype=np.float64))
        if x.ndim != 1 or values.shape[1] != x.size:
            raise ValueError(f"{fn}: {name!r} has n_labels of shape {x.shape} but {metric} of shape {values.shape}; "
                             f"expected (n_seeds, {x.size})")
        color = COLORS[i % len(COLORS)]
        mean = values.mean(axis=0)
        ax.plot(x, mean, label=name, color=color)
        if band == "std":
            ax.fill_between(x, mean - values.std(axis=0), mean + values.std(axis=0), color=color, alpha=0.15, lw=0)
        elif band == "minmax":
            ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=color, alpha=0.15, lw=0)
    _label(ax, title=title, xlabel=xlabel, ylabel=ylabel,
           defaults=("Active learning", "labelled examples", _CURVE_METRICS[metric]))
    ax.legend()
    return ax
