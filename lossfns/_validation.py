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
    if type(x).__module__.startswith("torch") and callable(getattr(x, "detach", None)):
        x = x.detach().cpu().numpy()  # a tensor that requires grad: its values (the NumPy API has no autograd)
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested lists, odd objects
        raise TypeError(f"{fn}: {name} could not be read as a numeric array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be numeric (bool, int or float), got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        raise ValueError(f"{fn}: {name} is empty; a loss needs at least one value")
    # A NaN or inf anywhere makes the sum NaN or inf, so one fast pass with no temporary array clears the usual
    # case; a sum that is not finite (that, or huge values that overflow when added) is checked element by element.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(arr, axis=None)
    if not np.isfinite(total):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        if bad:
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


def interval(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> str:
    """Write an allowed range the way error messages state it, e.g. ``"(0, inf)"`` or ``"[0, 1]"``."""
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"


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
    the error message states the allowed interval. NaN is always rejected and
    an infinite value only when it is not a closed bound (``low=-np.inf``
    admits ``-inf``, as ``general_robust`` does for its Welsch limit).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    value = float(value)
    allowed = interval(low, high, low_open=low_open, high_open=high_open)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    closed_bound = (low is not None and not low_open and value == low) or (
        high is not None and not high_open and value == high
    )
    if np.isnan(value) or (np.isinf(value) and not closed_bound) or too_low or too_high:
        raise ValueError(f"{fn}: {name} must lie in {allowed}, got {value!r}")
    return value


def check_bool(fn: str, name: str, value) -> bool:
    """Return a flag such as ``full`` or ``log_input``; anything but a bool is a ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_int(fn: str, name: str, value, *, low: int | None = None) -> int:
    """Return an integer parameter (``steps``) after checking ``value >= low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{fn}: {name} must be an integer in {interval(low)}, got {value!r}")
    return value


def check_seed(fn: str, seed, *, name: str = "seed"):
    """A NumPy ``Generator`` from ``seed``: a non-negative integer or a ``Generator`` (used as it is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{fn}: {name} must be a non-negative integer or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def check_in_range(
    fn: str,
    name: str,
    arr: np.ndarray,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    why: str = "",
) -> np.ndarray:
    """Raise ``ValueError`` unless every entry of ``arr`` lies in the interval.

    The message names the argument, the interval (followed by ``why``, e.g.
    ``" (counts)"``), how many entries fall outside and the first of them.
    """
    ok = np.ones(arr.shape, dtype=bool)
    if low is not None:
        ok &= arr > low if low_open else arr >= low
    if high is not None:
        ok &= arr < high if high_open else arr <= high
    if not ok.all():
        bad = arr[~ok]
        allowed = interval(low, high, low_open=low_open, high_open=high_open)
        raise ValueError(
            f"{fn}: {name} must lie in {allowed}{why}, got {bad.size} value(s) outside it, e.g. {float(bad[0])!r}"
        )
    return arr


def prepare_arrays(fn: str, reduction, arrays: dict) -> tuple[np.ndarray, ...]:
    """Validate ``reduction`` and several same-shaped arrays, given as ``{name: value}``.

    Every array is checked with :func:`as_float_array`, in order, and then
    compared with the first one, so the message of a mismatch names the
    offending argument and the first argument (``y_true``).
    """
    check_reduction(fn, reduction)
    out = [as_float_array(value, fn=fn, name=name) for name, value in arrays.items()]
    names = list(arrays)
    for name, arr in zip(names[1:], out[1:], strict=True):
        check_same_shape(fn, out[0], arr, names[0], name)
    return tuple(out)


def prepare_pair(fn: str, y_true, y_pred, reduction, *, names=("y_true", "y_pred")):
    """Validate the usual ``(y_true, y_pred, reduction)`` triple of an elementwise loss."""
    return prepare_arrays(fn, reduction, {names[0]: y_true, names[1]: y_pred})


def new_like(x: np.ndarray) -> np.ndarray:
    """A fresh float64 array shaped like ``x``, for a ufunc's ``out=`` (0-d for a scalar, where a ufunc
    without ``out=`` would return a NumPy scalar that cannot be written to in place)."""
    return np.empty(np.shape(x))


def reduce(values: np.ndarray, reduction: str):
    """Reduce per-sample losses: mean and sum give ``np.float64``, none the array (a scalar for 0-d input)."""
    if reduction == "mean":
        mean = np.float64(np.mean(values))
        if np.isinf(mean) and np.isfinite(values).all():  # the sum overflowed, the mean need not
            mean = np.float64(np.sum(values / values.size))
        return mean
    if reduction == "sum":
        return np.float64(np.sum(values))
    return values[()] if np.ndim(values) == 0 else values


def reduce_grad(per_element: np.ndarray, reduction: str, n: int, *, owned: bool = False) -> np.ndarray:
    """Scale a per-element derivative to the derivative of the reduced loss.

    ``n`` is the number of per-sample losses that ``"mean"`` averages over.
    ``owned=True`` says that ``per_element`` is a fresh array of the caller's,
    which is then divided in place (no second array of the input's size).
    """
    if reduction == "mean":
        per_element = np.divide(per_element, n, out=per_element) if owned else per_element / n
    return per_element[()] if np.ndim(per_element) == 0 else per_element


# --- classification: probabilities, labels and weights ---------------------------

SIMPLEX_ATOL = 1e-4
"""How far from 1 (absolute) a row of probabilities may sum before it is rejected."""


def check_rows_sum_to_one(fn: str, name: str, arr: np.ndarray, *, atol: float = SIMPLEX_ATOL) -> np.ndarray:
    """Raise ``ValueError`` unless ``arr`` holds probabilities whose rows (last axis) sum to 1 within ``atol``."""
    check_in_range(fn, name, arr, low=0.0, high=1.0, why=" (probabilities)")
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(off)), sums.shape))
        row = f"row {where[0] if len(where) == 1 else where}" if where else "the row"
        raise ValueError(
            f"{fn}: each row of {name} (last axis) must sum to 1 within {atol:g}, "
            f"but {row} sums to {float(sums[where]):.10g}; {int(off.sum())} row(s) are off"
        )
    return arr


def class_labels(fn: str, name: str, arr: np.ndarray, k: int) -> np.ndarray:
    """Return ``arr`` as int64 class indices after checking that they are integers in ``[0, k - 1]``."""
    fractional = arr != np.round(arr)
    if fractional.any():
        raise ValueError(
            f"{fn}: {name} must hold integer class labels in [0, {k - 1}], "
            f"got the non-integer value {float(arr[fractional][0])!r}"
        )
    outside = (arr < 0) | (arr > k - 1)
    if outside.any():
        raise ValueError(
            f"{fn}: {name} must hold integer class labels in [0, {k - 1}] (k = {k} classes on the last axis "
            f"of y_pred), got {int(outside.sum())} label(s) outside it, e.g. {float(arr[outside][0])!r}"
        )
    return arr.astype(np.int64)


def signed_labels(fn: str, name: str, arr: np.ndarray) -> np.ndarray:
    """Return binary labels as -1/+1: ``{-1, +1}`` is kept, ``{0, 1}`` is mapped by ``2y - 1`` (as Keras does)."""
    zero_one = (arr == 0) | (arr == 1)
    plus_minus = (arr == -1) | (arr == 1)
    if zero_one.all():
        return 2.0 * arr - 1.0
    if plus_minus.all():
        return arr
    foreign = arr[~(zero_one | plus_minus)]
    got = f"{float(foreign[0])!r}" if foreign.size else "a mix of -1 and 0"
    raise ValueError(f"{fn}: {name} must hold labels in {{-1, +1}} or in {{0, 1}}, got {got}")


def zero_one_labels(fn: str, name: str, arr: np.ndarray, *, why: str = "") -> np.ndarray:
    """Return ``arr`` after checking that it holds only 0 and 1 (bools are read as 0/1); ``why`` follows the set."""
    foreign = arr[(arr != 0.0) & (arr != 1.0)]
    if foreign.size:
        raise ValueError(f"{fn}: {name} must hold labels in {{0, 1}}{why}, got {float(foreign[0])!r}")
    return arr


def prepare_rows(fn: str, y_true, y_pred, reduction, *, names=("y_true", "y_pred")):
    """Validate two same-shaped arrays whose last axis holds the classes (a distribution loss)."""
    t, p = prepare_pair(fn, y_true, y_pred, reduction, names=names)
    if p.ndim == 0:
        raise ValueError(f"{fn}: {names[1]} must have a class axis (at least one dimension), got a scalar")
    return t, p


def prepare_labels(fn: str, y_true, y_pred, reduction, *, names=("y_true", "y_pred")):
    """Validate integer labels of shape ``s`` against scores or probabilities of shape ``s + (k,)``.

    Returns the labels as int64 and the predictions as float64.
    """
    check_reduction(fn, reduction)
    t = as_float_array(y_true, fn=fn, name=names[0])
    p = as_float_array(y_pred, fn=fn, name=names[1])
    if p.ndim == 0 or t.shape != p.shape[:-1]:
        raise ValueError(
            f"{fn}: {names[1]} has shape {p.shape} but {names[0]} has shape {t.shape}; "
            f"{names[1]} must have shape {names[0]}.shape + (k,), one column per class"
        )
    return class_labels(fn, names[0], t, p.shape[-1]), p


def check_weights(fn: str, name: str, value, shape: tuple, *, low_open: bool, exact: bool = False):
    """Validate a weight option (``pos_weight``, ``class_weight``): ``None`` (all 1), a number, or an array.

    A number is checked like any scalar parameter. An array must broadcast to
    ``shape`` (with ``exact=True``: have exactly that shape), and every weight
    must be ``> 0`` (``low_open``) or ``>= 0``.
    """
    if value is None:
        return 1.0
    if not isinstance(value, (list, tuple, np.ndarray)):
        return check_scalar(fn, name, value, low=0.0, low_open=low_open)
    w = as_float_array(value, fn=fn, name=name)
    try:
        fits = w.shape == shape if exact else np.broadcast_shapes(w.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        expected = f"shape {shape}" if exact else f"a shape that broadcasts to {shape}"
        raise ValueError(f"{fn}: {name} must be a number or an array of {expected}, got shape {w.shape}")
    return check_in_range(fn, name, w, low=0.0, low_open=low_open)
