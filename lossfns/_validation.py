"""Input validation and reduction shared by every loss in :mod:`lossfns`.

Every public loss calls these helpers, so every loss fails the same way: a
``TypeError`` for non-numeric input and a ``ValueError`` that names the
function, the argument, what was received and what is allowed.
"""
from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def as_float_array(x, *, fn: str, name: str) -> np.ndarray:
    """Return ``x`` as a finite float64 array (never a view that we write to).

    Raises ``TypeError`` for strings, objects and complex numbers and
    ``ValueError`` for NaN or infinite entries.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{fn}: {name} must be numeric, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested lists, odd objects
        raise TypeError(f"{fn}: {name} could not be read as a numeric array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be numeric (bool, int or float), got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        raise ValueError(f"{fn}: {name} is empty; a loss needs at least one value")
    if not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{fn}: {name} contains {bad} NaN or infinite value(s); all inputs must be finite")
    return arr


def check_same_shape(fn: str, a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{fn}: {name_b} has shape {b.shape} but {name_a} has shape {a.shape}")


def check_reduction(fn: str, reduction) -> str:
    """Return ``reduction`` if it is one of ``"mean"``, ``"sum"``, ``"none"``."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        allowed = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"{fn}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def check_scalar(
    fn: str,
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return a real scalar parameter as ``float`` after checking its range.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open`` is set;
    the error message states the allowed interval.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    value = float(value)
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not np.isfinite(value) or too_low or too_high:
        raise ValueError(f"{fn}: {name} must lie in {interval}, got {value!r}")
    return value


def prepare_pair(fn: str, y_true, y_pred, reduction, *, names=("y_true", "y_pred")):
    """Validate the usual ``(y_true, y_pred, reduction)`` triple of an elementwise loss."""
    check_reduction(fn, reduction)
    t = as_float_array(y_true, fn=fn, name=names[0])
    p = as_float_array(y_pred, fn=fn, name=names[1])
    check_same_shape(fn, t, p, names[0], names[1])
    return t, p


def reduce(values: np.ndarray, reduction: str):
    """Reduce per-sample losses: mean and sum give ``np.float64``, none the array."""
    if reduction == "mean":
        return np.float64(np.mean(values))
    if reduction == "sum":
        return np.float64(np.sum(values))
    return values


def reduce_grad(per_element: np.ndarray, reduction: str, n: int) -> np.ndarray:
    """Scale a per-element derivative to the derivative of the reduced loss.

    ``n`` is the number of per-sample losses that ``"mean"`` averages over.
    """
    if reduction == "mean":
        return per_element / n
    return per_element
