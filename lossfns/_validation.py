"""Input validation and reduction shared by every loss in :mod:`lossfns`.

Every public loss calls these helpers, so every loss fails the same way: a
``TypeError`` for non-numeric input and a ``ValueError`` that names the
function, the argument, what was received and what is allowed.
"""
from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("mean", "sum", "none")
LOSS_REDUCTIONS = REDUCTIONS + ("weighted_mean",)
"""The reductions of the NumPy losses: ``"weighted_mean"`` divides by the summed weights (see :func:`reduce`)."""


def as_float_array(x, *, fn: str, name: str, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a finite float64 array (never a view that we write to).

    Raises ``TypeError`` for strings, objects and complex numbers and
    ``ValueError`` for NaN or infinite entries. ``finite=False`` leaves the
    last check to the caller (:func:`check_finite`), for a loss whose own
    pass over the data shows whether there is anything to find.
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
    if finite:
        check_finite(fn, {name: arr})
    return arr


def check_finite(fn: str, arrays: dict) -> None:
    """Raise ``ValueError`` naming the first of ``{name: array}`` that holds NaN or inf.

    A NaN or inf anywhere makes the sum NaN or inf, so one fast pass with no temporary array clears the usual
    case; a sum that is not finite (that, or huge values that overflow when added) is checked element by element.
    """
    for name, arr in arrays.items():
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.add.reduce(arr, axis=None)
        if not np.isfinite(total):
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            if bad:
                raise ValueError(f"{fn}: {name} contains {bad} NaN or infinite value(s); all inputs must be finite")


def check_same_shape(fn: str, a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{fn}: {name_b} has shape {b.shape} but {name_a} has shape {a.shape}")


def check_reduction(fn: str, reduction, allowed: tuple = REDUCTIONS) -> str:
    """Return ``reduction`` if it is one of ``allowed`` (the losses pass :data:`LOSS_REDUCTIONS`)."""
    if not isinstance(reduction, str) or reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{fn}: reduction must be one of {names}, got {reduction!r}")
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


def prepare_arrays(fn: str, reduction, arrays: dict, *, finite: bool = True) -> tuple[np.ndarray, ...]:
    """Validate ``reduction`` and several same-shaped arrays, given as ``{name: value}``.

    Every array is checked with :func:`as_float_array`, in order, and then
    compared with the first one, so the message of a mismatch names the
    offending argument and the first argument (``y_true``). With
    ``finite=False`` the NaN/inf check is the caller's (see
    :func:`reduce_elementwise`), except before a shape error, which it
    precedes as usual.
    """
    check_reduction(fn, reduction, LOSS_REDUCTIONS)
    out = [as_float_array(value, fn=fn, name=name, finite=finite) for name, value in arrays.items()]
    names = list(arrays)
    for name, arr in zip(names[1:], out[1:], strict=True):
        if not finite and arr.shape != out[0].shape:
            check_finite(fn, dict(zip(names, out, strict=True)))
        check_same_shape(fn, out[0], arr, names[0], name)
    return tuple(out)


def prepare_pair(fn: str, y_true, y_pred, reduction, *, names=("y_true", "y_pred"), finite: bool = True):
    """Validate the usual ``(y_true, y_pred, reduction)`` triple of an elementwise loss."""
    return prepare_arrays(fn, reduction, {names[0]: y_true, names[1]: y_pred}, finite=finite)


def new_like(x: np.ndarray) -> np.ndarray:
    """A fresh float64 array shaped like ``x``, for a ufunc's ``out=`` (0-d for a scalar, where a ufunc
    without ``out=`` would return a NumPy scalar that cannot be written to in place)."""
    return np.empty(np.shape(x))


BLOCK = 1 << 15
"""Elements per block of :func:`blocked_sum` and :func:`blockwise` (256 kB of float64): a kernel's inputs and
temporaries then stay in a core's L2 cache, and no temporary of the input's size is allocated."""


def blockwise(kernel, arrays: tuple, out: np.ndarray, *, scratch: int = 0) -> np.ndarray:
    """Fill ``out`` by ``kernel(*blocks of arrays, block of out, *scratch blocks)``, :data:`BLOCK` elements at a time.

    ``arrays`` and ``out`` have one shape (``out`` C-contiguous, e.g. from :func:`new_like`); ``kernel`` writes
    each element of its ``out`` block from the same elements of the inputs and may use the ``scratch`` buffers
    (of the block's size) for temporaries. The result is the kernel run on the whole arrays, element for element.
    """
    flat = [np.ravel(a) for a in arrays]
    dest = out.reshape(-1)
    bufs = [np.empty(min(dest.size, BLOCK)) for _ in range(scratch)]
    for start in range(0, dest.size, BLOCK):
        stop = min(start + BLOCK, dest.size)
        kernel(*(a[start:stop] for a in flat), dest[start:stop], *(b[:stop - start] for b in bufs))
    return out


def blocked_sum(kernel, arrays: tuple, *, scratch: int = 0) -> float:
    """``np.add.reduce`` of the values ``kernel`` computes (as in :func:`blockwise`), bit for bit, without storing them.

    NumPy sums a float64 array pairwise: it splits ``n`` values at ``n // 2`` rounded down to a multiple of 8
    and adds the sums of the two halves. The blocks here are the halves of that recursion that hold at most
    :data:`BLOCK` values, each summed by ``np.add.reduce`` and added in the same order, so the rounding is the
    same as summing the full array of values.
    """
    flat = [np.ravel(a) for a in arrays]
    n = flat[0].size
    return _pairwise_total(kernel, flat, [np.empty(min(n, BLOCK)) for _ in range(scratch + 1)], 0, n)


def _pairwise_total(kernel, flat: list, bufs: list, start: int, count: int) -> float:
    # a module-level function, not a closure that calls itself: that would be a reference cycle, and every call's
    # buffers would wait for the garbage collector (five times slower at 1e4 elements)
    if count > BLOCK:
        half = count // 2 - (count // 2) % 8
        return (_pairwise_total(kernel, flat, bufs, start, half)
                + _pairwise_total(kernel, flat, bufs, start + half, count - half))
    stop = start + count
    kernel(*(a[start:stop] for a in flat), *(b[:count] for b in bufs))
    return float(np.add.reduce(bufs[0][:count]))


def reduce_elementwise(kernel, arrays: tuple, reduction: str, sample_weight=None, *, fn: str = "", scratch: int = 0,
                       unchecked: dict | None = None):
    """:func:`reduce` of the elementwise loss ``kernel`` computes from ``arrays`` (its signature as in
    :func:`blockwise`): ``"mean"`` and ``"sum"`` without weights through :func:`blocked_sum` (same bits, no
    array of losses), the others, and a sum that is not finite, through the full array of losses.

    ``unchecked`` names the inputs read with ``finite=False``, for a loss that is NaN or inf wherever an input
    is: their NaN/inf check then runs only when the sum of the losses is not finite, and raises as
    :func:`as_float_array` would (a finite input whose loss overflows gives ``inf``, as before).
    """
    if sample_weight is None and reduction in ("mean", "sum"):
        total = blocked_sum(kernel, arrays, scratch=scratch)
        if np.isfinite(total):
            return np.float64(total / np.size(arrays[0]) if reduction == "mean" else total)
        check_finite(fn, unchecked or {})
        unchecked = None
    out = blockwise(kernel, arrays, new_like(arrays[0]), scratch=scratch)
    if unchecked:
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.isfinite(np.add.reduce(out, axis=None)):
                check_finite(fn, unchecked)
    return reduce(out, reduction, sample_weight, fn=fn)


def check_sample_weight(fn: str, sample_weight, shape: tuple) -> np.ndarray | None:
    """Return ``sample_weight`` as a float64 array that fits per-sample losses of ``shape`` (``None`` stays ``None``).

    It must have as many axes as the losses, each of their length or of length
    1 (repeated along it: ``(n, 1)`` weighs the rows of ``(n, k)`` losses);
    anything else, ``(n,)`` against ``(n, 1)`` included, is a ``ValueError``
    naming both shapes, never a silent broadcast. Weights must be finite and
    ``>= 0``; a non-numeric one is a ``TypeError``.
    """
    if sample_weight is None:
        return None
    w = as_float_array(sample_weight, fn=fn, name="sample_weight")
    try:
        fits = w.ndim == len(shape) and np.broadcast_shapes(w.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{fn}: sample_weight has shape {w.shape} but the per-sample losses (reduction='none') have shape "
            f"{tuple(shape)}; give one weight per loss, with the same number of axes (length 1 repeats a weight)"
        )
    return check_in_range(fn, "sample_weight", w, low=0.0, why=" (weights)")


def _total_weight(fn: str, w, norm, shape: tuple, n: int) -> float:
    """The denominator of ``"weighted_mean"``: the sum of ``w * norm`` over the losses (``n`` when both are 1)."""
    if w is None and norm is None:
        return float(n)
    total = float(np.sum(np.broadcast_to(np.multiply(1.0 if w is None else w, 1.0 if norm is None else norm), shape)))
    if not total > 0.0:
        raise ValueError(f"{fn}: the weights sum to 0, so reduction='weighted_mean' has nothing to divide by "
                         "(0/0); give some sample a positive weight, or use 'mean' or 'sum'")
    return total


def reduce(values: np.ndarray, reduction: str, sample_weight=None, *, fn: str = "", count: int | None = None,
           norm=None):
    r"""Reduce per-sample losses :math:`\ell_i` with optional sample weights :math:`w_i` (default 1).

    ``"none"`` gives :math:`w_i \ell_i` (a scalar for 0-d input), ``"sum"``
    :math:`\sum_i w_i \ell_i`, ``"mean"`` :math:`\frac1n \sum_i w_i \ell_i`
    with :math:`n` the number of losses (Keras' convention; ``count``
    replaces :math:`n` where some losses are left out, as ``ignore_index``
    does), and ``"weighted_mean"`` :math:`\sum_i w_i \ell_i / \sum_i w_i c_i`,
    PyTorch's convention for class weights, with :math:`c_i` = ``norm`` (the
    class weight of sample :math:`i`'s label; 0 for a left-out sample;
    default 1). ``sample_weight`` is checked by :func:`check_sample_weight`
    against ``values.shape``; ``fn`` names the loss in its errors.
    """
    if sample_weight is None and count is None and norm is None and reduction != "weighted_mean":
        if reduction == "mean":
            mean = np.float64(np.mean(values))
            if np.isinf(mean) and np.isfinite(values).all():  # the sum overflowed, the mean need not
                mean = np.float64(np.sum(values / values.size))
            return mean
        if reduction == "sum":
            return np.float64(np.sum(values))
        return values[()] if np.ndim(values) == 0 else values
    w = check_sample_weight(fn, sample_weight, np.shape(values))
    weighted = values if w is None else values * w
    if reduction == "none":
        return weighted[()] if np.ndim(weighted) == 0 else weighted
    if reduction == "sum":
        return np.float64(np.sum(weighted))
    n = np.size(values) if count is None else count
    divisor = n if reduction == "mean" else _total_weight(fn, w, norm, np.shape(values), n)
    out = np.float64(np.sum(weighted) / divisor)
    if np.isinf(out) and np.isfinite(weighted).all():  # the sum overflowed, the mean need not
        out = np.float64(np.sum(weighted / divisor))
    return out


def reduce_grad(per_element: np.ndarray, reduction: str, n: int, *, owned: bool = False, sample_weight=None,
                fn: str = "", shape: tuple | None = None, axis: int = 0, norm=None) -> np.ndarray:
    """Scale a per-element derivative to the derivative of the reduced loss.

    ``n`` is the number of per-sample losses that ``"mean"`` averages over.
    ``owned=True`` says that ``per_element`` is a fresh array of the caller's,
    which is then divided in place (no second array of the input's size).

    With ``sample_weight`` (checked against ``shape``, the shape of the
    per-sample losses, by default ``per_element.shape``) each sample's
    derivative is multiplied by its weight; the losses' axes sit in
    ``per_element`` from ``axis`` on (CTC's ``(T, N, C)`` has its ``N``
    sequences at ``axis=1``), any further axes belong to one sample (a row
    of classes, a mask's pixels). ``"weighted_mean"`` and ``norm`` are as in
    :func:`reduce`.
    """
    if sample_weight is None and norm is None and reduction != "weighted_mean":
        if reduction == "mean":
            per_element = np.divide(per_element, n, out=per_element) if owned else per_element / n
        return per_element[()] if np.ndim(per_element) == 0 else per_element
    shape = np.shape(per_element) if shape is None else tuple(shape)
    w = check_sample_weight(fn, sample_weight, shape)
    out = per_element if owned and np.ndim(per_element) else np.array(per_element, dtype=np.float64)
    if w is not None:
        out *= w.reshape((1,) * axis + w.shape + (1,) * (out.ndim - axis - w.ndim))
    if reduction == "mean":
        out /= n
    elif reduction == "weighted_mean":
        out /= _total_weight(fn, w, norm, shape, n)
    return out[()] if out.ndim == 0 else out


# --- classification: probabilities, labels and weights ---------------------------

SIMPLEX_ATOL = 1e-4
"""How far from 1 (absolute) a row of probabilities may sum before it is rejected."""


def first_row(off: np.ndarray) -> tuple[tuple, str]:
    """The index of the first ``True`` row of the mask ``off`` (rows: all axes but the last, reduced away) and how
    a message names it ("row 3", "row (1, 2)", or "the row" for a single row)."""
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(off)), off.shape))
    return where, (f"row {where[0] if len(where) == 1 else where}" if where else "the row")


def check_rows_sum_to_one(fn: str, name: str, arr: np.ndarray, *, atol: float = SIMPLEX_ATOL) -> np.ndarray:
    """Raise ``ValueError`` unless ``arr`` holds probabilities whose rows (last axis) sum to 1 within ``atol``."""
    check_in_range(fn, name, arr, low=0.0, high=1.0, why=" (probabilities)")
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        where, row = first_row(off)
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
    check_reduction(fn, reduction, LOSS_REDUCTIONS)
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
