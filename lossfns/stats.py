r"""Summaries of repeated runs: the spread of one result, and a paired comparison of two.

A claim such as "A beats B" is about the distribution of a result over the
things the experimenter did not choose (the seed, the split, the fold), not
about one draw of it. These helpers turn the results of repeated runs into
what a chapter prints: a :class:`Spread` (mean, standard deviation, median,
range) of one quantity, and a :class:`PairedComparison` of two quantities
measured on the same seeds or folds (mean difference with its standard
error, and how often each side won).

The string forms print only the digits asked for, so a chapter chooses
``digits`` to match what the runs determine. Only NumPy is imported.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import as_float_array, check_int

__all__ = ["PairedComparison", "Spread", "paired_difference", "spread"]


def _runs(fn: str, name: str, values: ArrayLike) -> np.ndarray:
    arr = as_float_array(values, fn=fn, name=name)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"{fn}: {name} must be a 1-D array of at least 2 runs, got shape {arr.shape}")
    return arr


class Spread(NamedTuple):
    """Summary of one quantity over repeated runs, returned by :func:`spread`."""

    n: int
    """Number of runs."""
    mean: float
    """Mean over the runs."""
    sd: float
    """Sample standard deviation (``ddof=1``)."""
    median: float
    """Median over the runs."""
    low: float
    """Smallest value."""
    high: float
    """Largest value."""

    def mean_sd(self, digits: int = 2) -> str:
        """``"mean ± sd"`` with ``digits`` decimals."""
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"

    def median_range(self, digits: int = 2) -> str:
        """``"median (low to high)"`` with ``digits`` decimals."""
        return f"{self.median:.{digits}f} ({self.low:.{digits}f} to {self.high:.{digits}f})"

    def __str__(self) -> str:
        return f"{self.mean_sd()} (range {self.low:.2f} to {self.high:.2f}, {self.n} runs)"


def spread(values: ArrayLike) -> Spread:
    """Mean, standard deviation, median and range of one result over repeated runs.

    Parameters
    ----------
    values : array_like, shape (n,)
        One value per run (seed, split or fold), at least 2, all finite.

    Returns
    -------
    Spread
        ``(n, mean, sd, median, low, high)``; ``sd`` uses ``ddof=1``.
        ``mean_sd(digits)`` and ``median_range(digits)`` format it.

    Raises
    ------
    ValueError
        If ``values`` is not 1-D, holds fewer than 2 runs, or holds NaN or inf.

    Examples
    --------
    >>> s = spread([0.70, 0.72, 0.74, 0.76])
    >>> s.mean_sd(2), s.median_range(2)
    ('0.73 ± 0.03', '0.73 (0.70 to 0.76)')
    """
    arr = _runs("spread", "values", values)
    return Spread(int(arr.size), float(arr.mean()), float(arr.std(ddof=1)), float(np.median(arr)),
                  float(arr.min()), float(arr.max()))


class PairedComparison(NamedTuple):
    """Difference ``a - b`` of two results measured on the same runs, returned by :func:`paired_difference`."""

    n: int
    """Number of paired runs."""
    mean: float
    """Mean of ``a - b``."""
    se: float
    """Standard error of that mean: the sample sd of ``a - b`` over :math:`\\sqrt{n}`."""
    a_lower: int
    """Runs in which ``a < b``."""
    b_lower: int
    """Runs in which ``b < a``."""

    def summary(self, digits: int = 3, *, a: str = "a", b: str = "b") -> str:
        """One line: mean difference, its standard error and the win counts, with ``digits`` decimals."""
        return (f"{a} - {b}: mean {self.mean:+.{digits}f} (SE {self.se:.{digits}f}) over {self.n} paired runs; "
                f"{a} lower in {self.a_lower}, {b} lower in {self.b_lower}")

    def __str__(self) -> str:
        return self.summary()


def paired_difference(a: ArrayLike, b: ArrayLike, *, digits: int | None = None) -> PairedComparison:
    r"""Compare two results measured on the same seeds, splits or folds.

    Pairing removes the variation that both share (an easy fold is easy for
    both models), so the standard error of the mean difference is usually far
    smaller than the spread of either result alone: the right yardstick for
    "A beats B".

    Parameters
    ----------
    a, b : array_like, shape (n,)
        One value per run, at least 2, the same runs in the same order.
    digits : int, optional
        If given, a difference that rounds to zero at this many decimals counts
        as a tie in ``a_lower`` / ``b_lower`` (so a win is never decided by
        round-off).

    Returns
    -------
    PairedComparison
        ``(n, mean, se, a_lower, b_lower)`` of ``a - b``.

    Raises
    ------
    ValueError
        If the arrays are not 1-D, differ in length, hold fewer than 2 runs,
        or hold NaN or inf; if ``digits`` is negative.

    Examples
    --------
    >>> c = paired_difference([1.0, 2.0, 3.0], [1.5, 2.5, 2.9])
    >>> c.n, round(c.mean, 3), c.a_lower, c.b_lower
    (3, -0.3, 2, 1)
    """
    fn = "paired_difference"
    a_arr, b_arr = _runs(fn, "a", a), _runs(fn, "b", b)
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"{fn}: a and b must hold the same runs, got shapes {a_arr.shape} and {b_arr.shape}")
    diff = a_arr - b_arr
    if digits is not None:
        digits = check_int(fn, "digits", digits, low=0)
        decided = np.round(diff, digits) != 0
    else:
        decided = np.ones(diff.shape, dtype=bool)
    se = float(diff.std(ddof=1) / np.sqrt(diff.size))
    return PairedComparison(int(diff.size), float(diff.mean()), se,
                            int(np.sum(decided & (diff < 0))), int(np.sum(decided & (diff > 0))))
