r"""Ready-made Keras 3 losses (``keras.losses.Loss``) that compute what the NumPy core computes.

Importing this module imports Keras (and its backend); ``import lossfns``
does not (reach it as ``lossfns.keras``). Each class is registered with
``keras.saving.register_keras_serializable(package="lossfns")`` and returns
its parameters from ``get_config``, so a model compiled with it saves to a
``.keras`` file and loads back (after ``import lossfns.keras``) without
``custom_objects``.

**Argument order.** Keras calls ``loss(y_true, y_pred)``, target first, like
the NumPy core; :class:`ContrastiveLoss` takes ``(y_same, distance)``.

**Reduction.** As Keras' own losses do, ``call`` returns one loss per
sample: elementwise losses (Huber, log-cosh, quantile, focal, contrastive)
are **averaged over the last axis**, and :class:`DiceLoss` sums over every
axis but the batch. Keras then applies ``reduction``
(``"sum_over_batch_size"``, the default, averages those per-sample losses).
For an input of shape ``(n, k)`` this gives:

=====================================  ===============================================
Keras                                  NumPy core
=====================================  ===============================================
``reduction="sum_over_batch_size"``    ``reduction="mean"`` (rows of equal length)
``reduction="sum"``                    ``reduction="sum"`` divided by :math:`k`
``reduction=None``                     ``reduction="none"``, then ``.mean(axis=-1)``
=====================================  ===============================================

so give a model's single output the shape ``(n, 1)``: a 1-D ``(n,)`` input
would be averaged to one number before ``sample_weight`` is applied.

**Shapes.** Like Keras' own losses, a target and a prediction whose ranks
differ by one size-1 last axis are brought to the same rank first: a 1-D side
gains the axis (``(n,)`` against a ``Dense(1)`` output ``(n, 1)`` gives ``n``
per-sample losses, each weighted by its own ``sample_weight``), a higher-rank
side loses it; any other difference in shape is an error naming both shapes,
never a broadcast (which would compare every target with every prediction).
``sample_weight`` goes to Keras' own ``__call__``; called on values, it must
be finite and non-negative, as in the NumPy core.
Compute in float64 with ``dtype="float64"``.

**Values.** Called on values (NumPy arrays, lists, eager tensors), a loss checks them as the
NumPy function does: numeric, not empty, finite, and inside the loss's domain (labels in [0, 1],
probabilities, distances), with the NumPy function's message and the class's name. Inside a
compiled ``model.fit`` the tensors are symbolic and only the shapes are checked.

:class:`LossMonitorCallback` watches ``model.fit``: it wraps
:class:`lossfns.monitor.LossMonitor` and stops training on NaN/inf,
divergence or a plateau.

Examples
--------
>>> import numpy as np
>>> import lossfns as lf
>>> y_true, y_pred = np.zeros((2, 2)), np.array([[0.5, 3.0], [-1.0, 0.0]])
>>> loss = HuberLoss(delta=1.0, dtype="float64")
>>> round(float(loss(y_true, y_pred)), 12), round(float(lf.huber(y_true, y_pred)), 12)
(0.78125, 0.78125)
>>> HuberLoss(delta=2.0).get_config()["delta"]
2.0
"""
from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from lossfns._validation import as_float_array, check_bool, check_in_range, check_scalar, zero_one_labels
from lossfns.monitor import LossMonitor, TrainingStopped, Verdict

LOG2 = math.log(2.0)

__all__ = [
    "ContrastiveLoss", "DiceLoss", "FocalLoss", "HuberLoss", "LogCoshLoss", "LossMonitorCallback", "QuantileLoss",
]

_register = keras.saving.register_keras_serializable(package="lossfns")


def _softplus(x):
    """:math:`\\log(1 + e^x)` as ``logaddexp(0, x)``: exact for large ``|x|`` in any float type."""
    return ops.logaddexp(ops.zeros_like(x), x)


def _align(owner: str, y_true, y_pred, names=("y_true", "y_pred")):
    """Keras' rule for a size-1 last axis (``squeeze_or_expand_to_same_rank``), then equal shapes or an error."""
    rank_t, rank_p = len(y_true.shape), len(y_pred.shape)
    # a 1-D side gains the axis (so (n,) against (n, 1) keeps n per-sample losses for sample_weight), as Keras'
    # expand_rank_1 does; a higher-rank side loses it
    if rank_t == rank_p + 1 and y_true.shape[-1] == 1:
        if rank_p == 1:
            y_pred = ops.expand_dims(y_pred, axis=-1)
        else:
            y_true = ops.squeeze(y_true, axis=-1)
    elif rank_p == rank_t + 1 and y_pred.shape[-1] == 1:
        if rank_t == 1:
            y_true = ops.expand_dims(y_true, axis=-1)
        else:
            y_pred = ops.squeeze(y_pred, axis=-1)
    shape_t, shape_p = tuple(y_true.shape), tuple(y_pred.shape)
    if len(shape_t) != len(shape_p) or any(a is not None and b is not None and a != b
                                           for a, b in zip(shape_t, shape_p, strict=True)):
        raise ValueError(f"{owner}: {names[1]} has shape {shape_p} but {names[0]} has shape {shape_t}; "
                         "the losses of lossfns.keras never broadcast one against the other")
    return y_true, y_pred


def _in_graph(x) -> bool:
    """Whether ``x`` is a symbolic tensor (Keras building a model, TensorFlow tracing ``model.fit``'s step)."""
    if isinstance(x, keras.KerasTensor):
        return True
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return not tf.executing_eagerly()
    return False


class _CheckedLoss(keras.losses.Loss):
    """A ``keras.losses.Loss`` whose eager calls check their inputs as the NumPy loss does.

    Called on values (NumPy arrays, lists, eager tensors), each argument is read with the NumPy
    core's rules (numeric, non-empty, finite) and its domain is checked by :meth:`_check_domain`,
    with the NumPy function's messages and the class's name. Inside a compiled ``model.fit`` the
    tensors are symbolic and only the shapes are checked (by :func:`_align`); watch the values
    there with :class:`LossMonitorCallback`, which stops on NaN.
    """

    _names = ("y_true", "y_pred")

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not (_in_graph(y_true) or _in_graph(y_pred)):
            owner = type(self).__name__
            t, p = (as_float_array(x, fn=owner, name=n) for x, n in zip((y_true, y_pred), self._names, strict=True))
            self._check_domain(owner, t, p)
            if sample_weight is not None:  # Keras multiplies by any weights, NaN and negative ones included
                w = as_float_array(sample_weight, fn=owner, name="sample_weight")
                check_in_range(owner, "sample_weight", w, low=0.0, why=" (weights)")
            # lists as arrays (Keras would map over a list's items); tensors and variables stay, for autograd
            y_true, y_pred = (a if isinstance(x, (list, tuple)) else x for a, x in ((t, y_true), (p, y_pred)))
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def _check_domain(self, owner: str, t: np.ndarray, p: np.ndarray) -> None:
        """Raise ``ValueError`` for values outside the loss's domain (none for a regression loss)."""


@_register
class HuberLoss(_CheckedLoss):
    r"""Huber loss, :func:`lossfns.huber`; the values of ``keras.losses.Huber(delta)``.

    Parameters
    ----------
    delta : float, default 1.0
        Threshold :math:`\delta > 0`.
    reduction, name, dtype
        As in ``keras.losses.Loss``.
    """

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = check_scalar("HuberLoss", "delta", delta, low=0.0, low_open=True)

    def call(self, y_true, y_pred):
        y_true, y_pred = _align("HuberLoss", y_true, y_pred)
        abs_r = ops.abs(y_pred - y_true)
        a = ops.minimum(abs_r, self.delta)
        return ops.mean(0.5 * a * a + self.delta * (abs_r - a), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


@_register
class LogCoshLoss(_CheckedLoss):
    r"""Log-cosh loss, :func:`lossfns.log_cosh`, as :math:`|r| + \operatorname{softplus}(-2|r|) - \log 2`.

    Unlike ``keras.losses.LogCosh``, :math:`\log 2` is taken in the compute
    dtype (Keras rounds it to float32, 1.9e-9 off in float64) and
    :math:`|r|` keeps :math:`-2|r|` from overflowing.

    Parameters
    ----------
    reduction, name, dtype
        As in ``keras.losses.Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true, y_pred = _align("LogCoshLoss", y_true, y_pred)
        a = ops.abs(y_pred - y_true)
        return ops.mean(a + _softplus(-2.0 * a) - LOG2, axis=-1)


@_register
class QuantileLoss(_CheckedLoss):
    r"""Quantile (pinball) loss, :func:`lossfns.quantile`; Keras has none.

    Parameters
    ----------
    q : float, default 0.5
        The quantile, :math:`0 < q < 1`.
    reduction, name, dtype
        As in ``keras.losses.Loss``.
    """

    def __init__(self, q: float = 0.5, reduction="sum_over_batch_size", name="quantile_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.q = check_scalar("QuantileLoss", "q", q, low=0.0, high=1.0, low_open=True, high_open=True)

    def call(self, y_true, y_pred):
        y_true, y_pred = _align("QuantileLoss", y_true, y_pred)
        r = y_true - y_pred
        return ops.mean(ops.maximum(self.q * r, (self.q - 1.0) * r), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "q": self.q}


@_register
class FocalLoss(_CheckedLoss):
    r"""Binary focal loss from logits, :func:`lossfns.focal` with ``from_logits=True``.

    ``y_pred`` holds logits :math:`z` (no sigmoid on the last layer). The
    cross-entropy is a softplus and :math:`(1 - p_t)^\gamma` is formed in log
    space, as in the NumPy function, so logits of :math:`\pm 10^4` stay
    finite. Keras' ``BinaryFocalCrossentropy(apply_class_balancing=True,
    alpha=a, gamma=g, from_logits=True)`` is this loss with ``alpha=a``;
    with ``apply_class_balancing=False`` (its default) it is ``alpha=None``.

    Parameters
    ----------
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : float in [0, 1], optional
        Weight of the positive class; ``None`` weighs both classes 1.
    reduction, name, dtype
        As in ``keras.losses.Loss``.
    """

    def __init__(
        self, gamma: float = 2.0, alpha: float | None = None, reduction="sum_over_batch_size", name="focal_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.gamma = check_scalar("FocalLoss", "gamma", gamma, low=0.0)
        self.alpha = None if alpha is None else check_scalar("FocalLoss", "alpha", alpha, low=0.0, high=1.0)

    def _check_domain(self, owner, t, p):
        check_in_range(owner, "y_true", t, low=0.0, high=1.0, why=" (labels or target probabilities)")

    def call(self, y_true, y_pred):
        y, z = _align("FocalLoss", y_true, y_pred)
        sp_neg, sp_pos = _softplus(-z), _softplus(z)  # -log sigma(z), -log sigma(-z)
        ce = y * sp_neg + (1.0 - y) * sp_pos
        log_not_pt = ops.logaddexp(ops.log(y) - sp_pos, ops.log1p(-y) - sp_neg)
        loss = ops.exp(self.gamma * log_not_pt) * ce
        if self.alpha is not None:
            loss = (self.alpha * y + (1.0 - self.alpha) * (1.0 - y)) * loss
        return ops.mean(loss, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}


@_register
class DiceLoss(_CheckedLoss):
    r"""Soft Dice loss per item, :func:`lossfns.dice`, with smoothing.

    Sums over every axis but the batch, so each sample gets its own Dice.
    ``keras.losses.Dice()`` instead sums over the whole batch unless given
    ``axis``, and has no smoothing. With ``smooth=0`` an item with an empty mask
    and an empty prediction is an error when the loss is called on values, as in
    :func:`lossfns.dice`; inside a compiled graph, where values are not checked, it gives NaN.

    Parameters
    ----------
    smooth : float, default 1.0
        :math:`s \ge 0`, added to numerator and denominator.
    reduction, name, dtype
        As in ``keras.losses.Loss``.
    """

    def __init__(self, smooth: float = 1.0, reduction="sum_over_batch_size", name="dice_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.smooth = check_scalar("DiceLoss", "smooth", smooth, low=0.0)

    def _check_domain(self, owner, t, p):
        check_in_range(owner, "y_true", t, low=0.0, high=1.0, why=" (a mask)")
        check_in_range(owner, "y_pred", p, low=0.0, high=1.0, why=" (probabilities)")
        if self.smooth == 0.0 and t.shape == p.shape and t.ndim >= 2:
            axes = tuple(range(1, t.ndim))
            empty = np.flatnonzero((t.sum(axis=axes) + p.sum(axis=axes)) == 0)
            if empty.size:
                raise ValueError(f"{owner}: item {int(empty[0])} has an empty mask and an empty prediction (0/0); "
                                 "use smooth > 0")

    def call(self, y_true, y_pred):
        y_true, y_pred = _align("DiceLoss", y_true, y_pred)
        axes = tuple(range(1, len(y_pred.shape)))
        num = 2.0 * ops.sum(y_true * y_pred, axis=axes) + self.smooth
        den = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes) + self.smooth
        return 1.0 - num / den

    def get_config(self) -> dict:
        return {**super().get_config(), "smooth": self.smooth}


@_register
class ContrastiveLoss(_CheckedLoss):
    r"""Contrastive loss, :func:`lossfns.contrastive`: :math:`y d^2 + (1 - y)\max(0, m - d)^2`.

    Called as ``loss(y_same, distance)``: 0/1 labels first, predicted
    distances second. No factor ½, as in TensorFlow Addons'
    ``contrastive_loss``, which this replaces.

    Parameters
    ----------
    margin : float, default 1.0
        :math:`m \ge 0`.
    reduction, name, dtype
        As in ``keras.losses.Loss``.
    """

    def __init__(self, margin: float = 1.0, reduction="sum_over_batch_size", name="contrastive_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.margin = check_scalar("ContrastiveLoss", "margin", margin, low=0.0)

    _names = ("y_same", "distance")

    def _check_domain(self, owner, t, p):
        zero_one_labels(owner, "y_same", t, why=" (1 = similar pair)")
        check_in_range(owner, "distance", p, low=0.0, why=" (a distance)")

    def call(self, y_true, y_pred):
        y, d = _align("ContrastiveLoss", y_true, y_pred, names=("y_same", "distance"))
        return ops.mean(y * d * d + (1.0 - y) * ops.square(ops.maximum(self.margin - d, 0.0)), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "margin": self.margin}


class LossMonitorCallback(keras.callbacks.Callback):
    """A ``keras.callbacks.Callback`` that runs a :class:`lossfns.monitor.LossMonitor` during ``model.fit``.

    **What is recorded.** At the end of every epoch: ``logs["loss"]`` (the
    epoch's mean training loss) and, if ``fit`` was given validation data,
    ``logs["val_loss"]``. Epochs are numbered from 1, as Keras' progress bar
    shows them. Keras does not expose gradients to callbacks, so the gradient
    norm is recorded only if ``grad_norm_data=(x, y)`` is given: at the end of
    each epoch the callback then computes the total gradient norm of the
    model's loss on that fixed batch with ``tf.GradientTape`` (TensorFlow
    backend only; one extra forward and backward pass per epoch). Otherwise
    ``history["grad_norm"]`` holds ``None``.

    **When it stops.** With ``check_batches=True`` (default) it also looks at
    ``logs["loss"]`` after every training batch (Keras reports the running
    mean of the epoch so far) and stops at the first NaN/inf, with a message
    naming the batch (from 1) and the epoch; divergence and plateaus are
    judged per epoch. It stops by setting ``model.stop_training = True``:
    Keras finishes the current batch (or epoch) and returns from ``fit``
    normally; read :attr:`message` afterwards. With ``raise_on_stop=True`` it
    raises :class:`~lossfns.monitor.TrainingStopped` from ``fit`` instead.

    Parameters
    ----------
    check_batches : bool, default True
        Check every batch's loss for NaN/inf, not only the epoch's.
    grad_norm_data : tuple (x, y), optional
        A fixed batch on which to measure the gradient norm each epoch.
    raise_on_stop : bool, default False
        Raise :class:`~lossfns.monitor.TrainingStopped` instead of stopping quietly.
    verbose : int, default 0
        1 prints the message when training is stopped.
    **kwargs
        The thresholds of :class:`~lossfns.monitor.LossMonitor`:
        ``divergence_factor``, ``warmup``, ``plateau_patience``,
        ``min_delta``, ``plateau_on`` (``unit`` is ``"epoch"``).

    Attributes
    ----------
    monitor : LossMonitor
        The core; ``history``, ``stopped``, ``reason``, ``message`` and
        ``verdict`` are its, repeated here.

    Examples
    --------
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(1e4), loss="mse")  # far too large a step
    >>> cb = LossMonitorCallback(divergence_factor=10.0, check_batches=False)
    >>> x = np.linspace(-1, 1, 32).reshape(-1, 1)
    >>> _ = model.fit(x, 3 * x, epochs=20, batch_size=32, verbose=0, callbacks=[cb])
    >>> cb.stopped, cb.reason in ("divergence", "nan"), len(cb.history["train_loss"]) < 20
    (True, True, True)
    """

    def __init__(
        self,
        *,
        check_batches: bool = True,
        grad_norm_data=None,
        raise_on_stop: bool = False,
        verbose: int = 0,
        **kwargs,
    ) -> None:
        super().__init__()
        self.monitor = LossMonitor(unit="epoch", **kwargs)
        self.check_batches = check_bool("LossMonitorCallback", "check_batches", check_batches)
        self.raise_on_stop = check_bool("LossMonitorCallback", "raise_on_stop", raise_on_stop)
        if grad_norm_data is not None and (not isinstance(grad_norm_data, (tuple, list)) or len(grad_norm_data) != 2):
            raise ValueError("LossMonitorCallback: grad_norm_data must be a pair (x, y) or None")
        if grad_norm_data is not None and keras.backend.backend() != "tensorflow":
            raise ValueError(
                f"LossMonitorCallback: grad_norm_data needs the TensorFlow backend, got {keras.backend.backend()!r}"
            )
        self.grad_norm_data = grad_norm_data
        self.verbose = verbose
        self._epoch = 1
        self._last_batch_loss: float | None = None

    history = property(lambda self: self.monitor.history, doc="The monitor's history (one entry per epoch).")
    stopped = property(lambda self: self.monitor.stopped, doc="True once training was stopped.")
    reason = property(lambda self: self.monitor.reason, doc="``'nan'``, ``'divergence'``, ``'plateau'`` or None.")
    message = property(lambda self: self.monitor.message, doc="The message saying why and when, or None.")
    verdict = property(lambda self: self.monitor.verdict, doc="The :class:`~lossfns.monitor.Verdict`, or None.")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if not self.check_batches or self.monitor.stopped or not logs or logs.get("loss") is None:
            return
        loss = float(np.asarray(logs["loss"]))
        if math.isfinite(loss):
            self._last_batch_loss = loss
            return
        last = self._last_batch_loss
        before = "no finite value before" if last is None else f"last finite value {last:.3g}"
        bad = "nan" if math.isnan(loss) else ("inf" if loss > 0 else "-inf")
        msg = f"LossMonitor: training loss became {bad} at batch {batch + 1} of epoch {self._epoch} ({before})"
        self._stop(Verdict("nan", self._epoch, "train_loss", loss, msg))

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor.stopped:
            return
        logs = logs or {}
        if logs.get("loss") is None:
            raise ValueError("LossMonitorCallback: the epoch logs have no 'loss'; was the model compiled with a loss?")
        self._last_batch_loss = None
        verdict = self.monitor.update(epoch + 1, logs["loss"], logs.get("val_loss"), self._grad_norm())
        if verdict is not None:
            self._stop(verdict)

    def _stop(self, verdict: Verdict) -> None:
        self.monitor.verdict = verdict
        self.model.stop_training = True
        if self.verbose:
            print(verdict.message)
        if self.raise_on_stop:
            raise TrainingStopped(verdict)

    def _grad_norm(self) -> float | None:
        if self.grad_norm_data is None:
            return None
        import tensorflow as tf

        x, y = self.grad_norm_data
        weights = self.model.trainable_weights
        with tf.GradientTape() as tape:
            y_pred = self.model(x, training=False)
            loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
        grads = [g for g in tape.gradient(loss, weights) if g is not None]
        return float(tf.linalg.global_norm([tf.cast(g, tf.float64) for g in grads]).numpy())
