"""Population minimisers: the prediction that minimises a loss's expected value.

For a loss :math:`\\ell` and targets :math:`Y` drawn from a distribution (the
conditional distribution given :math:`x`, or a sample of it), the population
minimiser is :math:`\\arg\\min_c \\mathbb E[\\ell(Y, c)]`: what a flexible
enough model trained with that loss predicts at :math:`x`. Each function here
takes a sample of targets (its empirical distribution) and returns that
minimiser, so that ``loss(y, full_like(y, best))`` is the smallest mean loss
any constant prediction reaches. The registry records which function belongs
to which loss (``LossRecord.best_constant``); ``tests/test_minimisers.py``
checks every one against a numerical minimisation of the loss itself.

>>> import lossfns as lf
>>> y = [0.0, 1.0, 2.0, 10.0]
>>> float(lf.minimisers.mean(y)), float(lf.minimisers.median(y))
(3.25, 1.5)
>>> float(lf.minimisers.huber_location(y, delta=1.0)), round(float(lf.minimisers.huber_location(y, delta=2.0)), 4)
(1.5, 1.6667)
"""
from __future__ import annotations

import numpy as np

from lossfns._validation import as_float_array, check_int, check_scalar

__all__ = [
    "mean", "median", "quantile", "huber_location", "m_location", "log_cosh_location",
    "mean_and_variance", "frequency", "class_frequencies", "majority", "hinge_score",
    "squared_hinge_score", "mean_distribution", "mean_rate", "general_robust_location", "log1p_mean",
    "log_class_frequencies",
]


def _sample(y, fn: str, name: str = "y") -> np.ndarray:
    return as_float_array(y, fn=fn, name=name).ravel()


def mean(y) -> np.float64:
    """The mean: the minimiser of the squared error (and of the Poisson NLL on a rate)."""
    return np.float64(_sample(y, "mean").mean())


def median(y) -> np.float64:
    """A median: a minimiser of the absolute error (the midpoint of the two middle values)."""
    return np.float64(np.median(_sample(y, "median")))


def quantile(y, q: float) -> np.float64:
    """A ``q``-quantile (the lower one, ``np.quantile(method="inverted_cdf")``): a minimiser of the pinball loss."""
    q = check_scalar("quantile", "q", q, low=0.0, high=1.0, low_open=True, high_open=True)
    return np.float64(np.quantile(_sample(y, "quantile"), q, method="inverted_cdf"))


def m_location(y, psi, *, scale: float = 1.0, tol: float = 1e-13) -> np.float64:
    """The root ``m`` of ``sum(psi(y - m)) = 0`` for a non-decreasing ``psi`` (bisection).

    This is the minimiser of ``sum(rho(y - m))`` for the convex loss ``rho`` whose
    derivative is ``psi``: Huber's location, the log-cosh location and the like.
    """
    y = _sample(y, "m_location")
    scale = check_scalar("m_location", "scale", scale, low=0.0, low_open=True)
    lo, hi = float(y.min()), float(y.max())
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if psi((y - mid) / scale).sum() > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= tol * max(1.0, abs(mid)):
            break
    return np.float64(0.5 * (lo + hi))


def huber_location(y, delta: float = 1.0) -> np.float64:
    """Huber's M-estimate of location: ``sum(clip(y - m, -delta, delta)) = 0``.

    The minimiser of the Huber loss: the mean of the sample with every value
    farther than ``delta`` from ``m`` pulled in to ``m ± delta``.
    """
    delta = check_scalar("huber_location", "delta", delta, low=0.0, low_open=True)
    y = _sample(y, "huber_location")
    m = m_location(y, lambda r: np.clip(r, -1.0, 1.0), scale=delta)
    # The root is linear in m once it is known which values are pulled in: solve that exactly.
    r = y - m
    inside = np.abs(r) < delta
    if inside.any():
        exact = (y[inside].sum() + delta * (np.count_nonzero(r >= delta) - np.count_nonzero(r <= -delta)))
        exact /= np.count_nonzero(inside)
        if np.array_equal(np.abs(y - exact) < delta, inside):
            return np.float64(exact)
    return m


def log_cosh_location(y) -> np.float64:
    """The minimiser of the log-cosh loss: ``sum(tanh(y - m)) = 0``."""
    return m_location(y, np.tanh)


def log1p_mean(y) -> np.float64:
    """``expm1(mean(log1p(y)))``: the geometric mean of ``1 + y``, minus 1; the minimiser of the MSLE.

    It lies below the mean (Jensen), the more so the more spread the targets are.
    """
    return np.float64(np.expm1(np.mean(np.log1p(_sample(y, "log1p_mean")))))


def mean_and_variance(y) -> tuple[np.float64, np.float64]:
    """The mean and the (biased, 1/n) variance: the minimiser of the Gaussian NLL in (mean, variance)."""
    y = _sample(y, "mean_and_variance")
    return np.float64(y.mean()), np.float64(y.var())


def frequency(labels, pos_weight: float | None = None) -> np.float64:
    r"""The share of positive labels: the minimiser of the binary cross-entropy and of the Brier score.

    With a ``pos_weight`` :math:`w` on the positive term of the cross-entropy the
    minimiser moves to :math:`w\eta / (w\eta + 1 - \eta)`: the weight buys recall
    by reporting probabilities that are no longer the class frequency.
    """
    labels = _sample(labels, "frequency", "labels")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("frequency: labels must be 0 or 1")
    eta = labels.mean()
    if pos_weight is None:
        return np.float64(eta)
    w = check_scalar("frequency", "pos_weight", pos_weight, low=0.0, low_open=True)
    return np.float64(w * eta / (w * eta + 1.0 - eta))


def class_frequencies(labels, k: int) -> np.ndarray:
    """The share of each of ``k`` classes (integer labels): the minimiser of the categorical cross-entropy."""
    k = check_int("class_frequencies", "k", k, low=1)
    labels = _sample(labels, "class_frequencies", "labels")
    if not (np.isin(labels, np.arange(k))).all():
        raise ValueError(f"class_frequencies: labels must be integers in [0, {k})")
    return np.bincount(labels.astype(np.int64), minlength=k) / labels.size


def log_class_frequencies(labels, k: int) -> np.ndarray:
    """The log of each class's share: the minimiser of the NLL of log-probabilities (``-inf`` for an absent class)."""
    with np.errstate(divide="ignore"):
        return np.log(class_frequencies(labels, k))


def majority(labels) -> np.float64:
    """The more frequent label (1 on a tie): the minimiser of the zero-one loss."""
    return np.float64(frequency(labels) >= 0.5)


def _positive_share(labels) -> np.float64:
    labels = _sample(labels, "hinge_score", "labels")
    if not np.isin(labels, (-1.0, 1.0)).all():
        raise ValueError("hinge_score: labels must be -1 or +1")
    return np.float64((labels > 0).mean())


def hinge_score(labels) -> np.float64:
    """The minimiser of the hinge loss for labels in {-1, +1}: the sign of ``2 eta - 1`` (+1 on a tie).

    It says which class is more likely and nothing about how much more.
    """
    return np.float64(1.0 if _positive_share(labels) >= 0.5 else -1.0)


def squared_hinge_score(labels) -> np.float64:
    """The minimiser of the squared hinge loss for labels in {-1, +1}: ``2 eta - 1``.

    On scores in [-1, 1] the squared hinge is four times the Brier score of
    ``(1 + score) / 2``, so it recovers the probability.
    """
    return np.float64(2.0 * _positive_share(labels) - 1.0)


def mean_distribution(p, label_smoothing: float = 0.0, class_weight=None) -> np.ndarray:
    """The mean of target rows (one-hot or distributions): the minimiser of the cross-entropy and of the KL divergence.

    With label smoothing :math:`s` the targets become :math:`(1 - s) y + s/k`, and
    so does the minimiser; with class weights :math:`w_j` it is proportional to
    :math:`w_j` times the (smoothed) mean. Either way it is no longer the class
    frequency.
    """
    p = as_float_array(p, fn="mean_distribution", name="p")
    if p.ndim != 2:
        raise ValueError(f"mean_distribution: p must be an (n, k) array of distributions, got shape {p.shape}")
    s = check_scalar("mean_distribution", "label_smoothing", label_smoothing, low=0.0, high=1.0)
    target = (1.0 - s) * p.mean(axis=0) + s / p.shape[1]
    if class_weight is None:
        return target
    w = np.broadcast_to(as_float_array(class_weight, fn="mean_distribution", name="class_weight"), target.shape)
    return w * target / (w * target).sum()


def mean_rate(counts, log_input: bool = False) -> np.float64:
    """The mean count: the minimiser of the Poisson NLL in the rate (its log with ``log_input=True``)."""
    m = mean(counts)
    return np.float64(np.log(m)) if log_input else m


def general_robust_location(y, alpha: float = 1.0, scale: float = 1.0) -> np.float64:
    """The minimiser of Barron's general robust loss for a convex shape, ``alpha >= 1``.

    Its derivative :math:`\\psi(r) = r/c^2\\,((r/c)^2/|\alpha - 2| + 1)^{\alpha/2 - 1}`
    is non-decreasing for :math:`\alpha \\ge 1`, so the minimiser is the root of
    :math:`\\sum \\psi(y_i - m) = 0`; :math:`\alpha = 2` gives the mean. Below 1 the
    loss is not convex and a minimiser need not be unique, so none is returned.
    """
    alpha = check_scalar("general_robust_location", "alpha", alpha, low=1.0)
    if alpha == 2.0:
        return mean(y)
    return m_location(y, lambda r: r * (r * r / abs(alpha - 2.0) + 1.0) ** (alpha / 2.0 - 1.0), scale=scale)
