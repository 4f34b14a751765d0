r"""Calibration of predicted probabilities: reliability curves and the expected calibration error.

A classifier is *calibrated* when its probabilities mean what they say: of
all the samples to which it gives probability 0.8, about 80% belong to the
class. The reliability curve checks this bin by bin, the expected
calibration error (ECE) condenses it into one number (Guo et al., 2017).

Two kinds of input are understood, chosen by the shape of ``p``:

* **binary**, ``p`` of shape ``(n,)``: the predicted probability of the
  positive class, with labels ``y_true`` in {0, 1}. Each bin compares the
  mean predicted probability with the fraction of positives in it (what
  scikit-learn's ``calibration_curve`` computes).
* **top label**, ``p`` of shape ``(n, k)``: one probability row per sample,
  with integer labels ``y_true`` of shape ``(n,)`` or one-hot rows of shape
  ``(n, k)``. The confidence of a sample is its largest probability, and it
  counts as correct when that class (the first one, in case of a tie) is its
  label. This is the ECE of Guo et al.

Bins split [0, 1] into ``n_bins`` intervals of equal width, closed on the
right, :math:`(\frac{b-1}{B}, \frac{b}{B}]`, with 0 put into the first one, as
scikit-learn does. Only NumPy is imported.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import as_float_array, check_in_range, check_int

__all__ = ["ReliabilityCurve", "expected_calibration_error", "reliability_curve"]

SIMPLEX_ATOL = 1e-4
"""How far from 1 a row of ``p`` may sum before it is rejected (as in :mod:`lossfns.classification`)."""


class ReliabilityCurve(NamedTuple):
    """Per-bin summary returned by :func:`reliability_curve`; empty bins hold NaN and count 0."""

    edges: np.ndarray
    """Bin edges, shape ``(n_bins + 1,)``, from 0 to 1."""
    confidence: np.ndarray
    """Mean predicted probability (binary) or mean confidence (top label) in each bin, shape ``(n_bins,)``."""
    frequency: np.ndarray
    """Fraction of positives (binary) or of correct predictions (top label) in each bin, shape ``(n_bins,)``."""
    count: np.ndarray
    """Number of samples in each bin (int64), shape ``(n_bins,)``."""


def _confidence_and_outcome(fn: str, y_true, p) -> tuple[np.ndarray, np.ndarray]:
    """Validate the inputs and return each sample's confidence and 0/1 outcome."""
    y = as_float_array(y_true, fn=fn, name="y_true")
    prob = as_float_array(p, fn=fn, name="p")
    check_in_range(fn, "p", prob, low=0.0, high=1.0, why=" (probabilities)")
    if prob.ndim == 1:
        if y.shape != prob.shape:
            raise ValueError(f"{fn}: p has shape {prob.shape} but y_true has shape {y.shape}")
        if not np.isin(y, (0.0, 1.0)).all():
            bad = y[~np.isin(y, (0.0, 1.0))][0]
            raise ValueError(f"{fn}: with a 1-D p, y_true must hold labels in {{0, 1}}, got {float(bad)!r}")
        return prob, y
    if prob.ndim != 2:
        raise ValueError(f"{fn}: p must have shape (n,) or (n, k), got shape {prob.shape}")
    n, k = prob.shape
    sums = prob.sum(axis=1)
    off = np.abs(sums - 1.0) > SIMPLEX_ATOL
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(f"{fn}: each row of p must sum to 1 within {SIMPLEX_ATOL:g}, "
                         f"but row {row} sums to {float(sums[row]):.10g}")
    if y.shape == prob.shape:  # one-hot rows
        if not (np.isin(y, (0.0, 1.0)).all() and (y.sum(axis=1) == 1.0).all()):
            raise ValueError(f"{fn}: y_true of shape {y.shape} must hold one-hot rows (a single 1 per row)")
        labels = np.argmax(y, axis=1)
    elif y.shape == (n,):
        if not (np.isin(y, np.arange(k))).all():
            bad = y[~np.isin(y, np.arange(k))][0]
            raise ValueError(f"{fn}: y_true must hold integer class labels in [0, {k - 1}], got {float(bad)!r}")
        labels = y.astype(np.int64)
    else:
        raise ValueError(f"{fn}: p has shape {prob.shape} but y_true has shape {y.shape}; "
                         f"expected labels of shape ({n},) or one-hot rows of shape {prob.shape}")
    return prob.max(axis=1), (np.argmax(prob, axis=1) == labels).astype(np.float64)


def reliability_curve(y_true: ArrayLike, p: ArrayLike, *, n_bins: int = 10) -> ReliabilityCurve:
    r"""Mean confidence and observed frequency in each of ``n_bins`` equal-width bins.

    For bin :math:`B_b` with :math:`|B_b|` samples,

    .. math::

        \operatorname{conf}(B_b) = \frac{1}{|B_b|} \sum_{i \in B_b} c_i, \qquad
        \operatorname{freq}(B_b) = \frac{1}{|B_b|} \sum_{i \in B_b} o_i

    where :math:`c_i` is the predicted probability (binary) or the largest
    probability (top label) and :math:`o_i` is the label (binary) or 1 for a
    correct prediction (top label). A calibrated model has
    :math:`\operatorname{freq} \approx \operatorname{conf}` in every bin:
    the points of a reliability diagram lie on the diagonal.

    Parameters
    ----------
    y_true : array_like
        Shape ``(n,)``: labels in {0, 1} for a 1-D ``p``, integer class labels
        in ``[0, k - 1]`` for a 2-D ``p``; or one-hot rows of shape ``(n, k)``.
    p : array_like, shape (n,) or (n, k)
        Probabilities of the positive class, or probability rows that sum to 1.
    n_bins : int, default 10
        Number of bins, at least 1.

    Returns
    -------
    ReliabilityCurve
        ``(edges, confidence, frequency, count)``; ``confidence`` and
        ``frequency`` are NaN in empty bins.

    Raises
    ------
    TypeError
        If an input is not numeric, or ``n_bins`` is not an integer.
    ValueError
        If the shapes do not fit together; ``p`` lies outside [0, 1] or a row
        does not sum to 1; a label is out of range; ``n_bins < 1``.

    Examples
    --------
    >>> curve = reliability_curve([0, 1, 1, 1], [0.2, 0.6, 0.7, 0.9], n_bins=2)
    >>> curve.confidence.round(3).tolist(), curve.frequency.tolist(), curve.count.tolist()
    ([0.2, 0.733], [0.0, 1.0], [1, 3])
    """
    n_bins = check_int("reliability_curve", "n_bins", n_bins, low=1)
    conf, outcome = _confidence_and_outcome("reliability_curve", y_true, p)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.searchsorted(edges[1:-1], conf, side="left")  # (lower, upper], 0 in the first bin
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins become NaN on purpose
        confidence = np.bincount(which, weights=conf, minlength=n_bins) / count
        frequency = np.bincount(which, weights=outcome, minlength=n_bins) / count
    return ReliabilityCurve(edges, confidence, frequency, count.astype(np.int64))


def expected_calibration_error(y_true: ArrayLike, p: ArrayLike, *, n_bins: int = 10) -> np.float64:
    r"""Expected calibration error: the count-weighted gap between confidence and frequency.

    .. math::

        \mathrm{ECE} = \sum_{b=1}^{B} \frac{|B_b|}{n}
        \bigl|\operatorname{freq}(B_b) - \operatorname{conf}(B_b)\bigr|

    over the non-empty bins of :func:`reliability_curve`. It lies in [0, 1];
    0 means calibrated up to the resolution of the bins. In the first example
    below the bins hold 0.2 (a negative) and 0.6, 0.7, 0.9 (three positives):
    :math:`\frac14 |0 - 0.2| + \frac34 |1 - 0.7\overline{3}| = 0.25`. In the
    second, the two samples land in different bins, one right with confidence
    0.8 and one wrong with confidence 0.6: :math:`\frac12 (0.2 + 0.6) = 0.4`.

    Parameters
    ----------
    y_true, p, n_bins
        As for :func:`reliability_curve`.

    Returns
    -------
    numpy.float64

    Raises
    ------
    TypeError, ValueError
        As for :func:`reliability_curve`.

    Notes
    -----
    The ECE depends on the binning: more bins see finer miscalibration but
    estimate each bin from fewer samples, which biases the ECE upwards on
    small test sets. Guo et al. (2017) use 15 equal-width bins of the top-label
    confidence; 10 is the common default elsewhere (scikit-learn's
    ``calibration_curve``). A model can have a low ECE and still be useless:
    always predicting the base rate is perfectly calibrated.

    References
    ----------
    C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of modern
    neural networks", *ICML* (2017). M. P. Naeini, G. Cooper and
    M. Hauskrecht, "Obtaining well calibrated probabilities using Bayesian
    binning", *AAAI* (2015).

    Examples
    --------
    >>> round(float(expected_calibration_error([0, 1, 1, 1], [0.2, 0.6, 0.7, 0.9], n_bins=2)), 12)
    0.25
    >>> round(float(expected_calibration_error([2, 0], [[0.1, 0.1, 0.8], [0.3, 0.6, 0.1]], n_bins=5)), 12)
    0.4
    """
    curve = reliability_curve(y_true, p, n_bins=n_bins)
    full = curve.count > 0
    weights = curve.count[full] / curve.count.sum()
    return np.float64(np.sum(weights * np.abs(curve.frequency[full] - curve.confidence[full])))
