"""The ``axis`` keyword of the losses over a class axis: which axis of the prediction holds the classes.

The losses of :mod:`lossfns.classification` and :func:`lossfns.kl_divergence` read the classes from
the **last** axis, as Keras does (``axis=-1``). PyTorch puts them on axis 1 (``(N, C)`` or
``(N, C, d1, d2, ...)`` for images); ``axis=1`` reads that layout as it is. :func:`class_axis` adds the
keyword to a loss and its gradient in one place: it moves the class axis of the prediction (and of a
same-shaped target; integer labels have no class axis) to the end, calls the loss, and moves the
gradient's class axis back. Per-sample losses (``reduction="none"``) and ``sample_weight`` have the
prediction's shape without the class axis, in the original order of the other axes.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from lossfns._validation import check_int

_DOC = """    axis : int, default -1
        The axis of ``{pred}`` that holds the classes: -1 (the last, as Keras) or e.g. 1 for PyTorch's
        ``(N, C, ...)`` layout.{target} Per-sample losses and ``sample_weight`` keep the other axes in order.
"""


def class_axis(*, labels: bool = False, grad: bool = False):
    """Decorate a loss (``grad=False``) or its gradient (``grad=True``) of ``(y_true, y_pred, ...)`` with ``axis``.

    ``labels=True``: ``y_true`` holds integer labels, shaped like ``y_pred`` without the class axis, and is
    passed unchanged; otherwise ``y_true`` has the prediction's shape and its class axis moves too.
    """
    def decorate(f):
        fn = f.__name__
        sig = inspect.signature(f)
        pred = list(sig.parameters)[1]

        @functools.wraps(f)
        def wrapper(y_true, y_pred, *args, axis=-1, **kwargs):
            axis = check_int(fn, "axis", axis)
            nd = np.ndim(y_pred)
            if nd == 0 or axis == -1 or axis == nd - 1:  # the default layout (errors of bad inputs come from f)
                return f(y_true, y_pred, *args, **kwargs)
            if not -nd <= axis < nd:
                raise ValueError(f"{fn}: axis must be an integer in [{-nd}, {nd - 1}], got {axis!r} "
                                 f"({pred} has {nd} axes)")
            moved = np.moveaxis(np.asarray(y_pred), axis, -1)
            if not labels and np.ndim(y_true) == nd:
                y_true = np.moveaxis(np.asarray(y_true), axis, -1)
            try:
                out = f(y_true, moved, *args, **kwargs)
            except ValueError as exc:  # a shape in the message is the moved one: say so
                if "shape" not in str(exc):
                    raise
                raise ValueError(f"{exc} ({pred}'s axis {axis}, its classes, moved to the end)") from None
            return np.moveaxis(out, -1, axis) if grad else out

        params = list(sig.parameters.values())
        params.insert(len(params) - 1, inspect.Parameter("axis", inspect.Parameter.KEYWORD_ONLY, default=-1))
        wrapper.__signature__ = sig.replace(parameters=params)
        target = "" if labels else " The target's class axis is the same."
        doc = wrapper.__doc__ or ""
        marker = "    reduction :"
        if marker in doc:
            wrapper.__doc__ = doc.replace(marker, _DOC.format(pred=pred, target=target) + marker, 1)
        return wrapper

    return decorate
