r"""Watch a training run: record its losses and gradient norms, and stop it when something goes wrong.

:class:`LossMonitor` is framework-free (NumPy only). Feed it one record per
epoch or step with :meth:`LossMonitor.update`; it returns ``None`` while all
is well and a :class:`Verdict` the first time one of three things happens:

``"nan"``
    The training loss, the validation loss or the gradient norm is NaN or
    infinite. Always checked.
``"divergence"``
    The training loss exceeds ``divergence_factor`` times the best
    (smallest) training loss so far, once ``warmup`` records have been seen:
    :math:`L_t > f \cdot \min_{s<t} L_s`. Off with ``divergence_factor=None``.
``"plateau"``
    The watched loss (validation if given, else training; see
    ``plateau_on``) has not improved *relatively* by ``min_delta`` for
    ``plateau_patience`` records: an improvement is
    :math:`L_t < L_\text{best} - \delta\,|L_\text{best}|`. Off by default
    (``plateau_patience=None``).

The framework adapters wrap it: ``lossfns.torch.TorchLossMonitor`` (a helper
for a hand-written training loop, which also computes the gradient norm)
and ``lossfns.keras.LossMonitorCallback`` (a ``keras.callbacks.Callback``).

Examples
--------
>>> mon = LossMonitor(divergence_factor=10.0, unit="step")
>>> for step, loss in enumerate([2.3, 1.1, 0.9, 3.0, float("nan")], start=1):
...     verdict = mon.update(step, loss)
...     if verdict:
...         break
>>> print(verdict.message)
LossMonitor: training loss became nan at step 5 (last finite value 3)
>>> mon.stopped, mon.reason, mon.history["train_loss"]
(True, 'nan', [2.3, 1.1, 0.9, 3.0, nan])
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from lossfns._validation import check_int, check_scalar

__all__ = ["REASONS", "LossMonitor", "TrainingStopped", "Verdict"]

REASONS = ("nan", "divergence", "plateau")
"""The reasons a :class:`LossMonitor` stops, in the order it checks them."""

_QUANTITIES = {"train_loss": "training loss", "val_loss": "validation loss", "grad_norm": "gradient norm"}


@dataclass(frozen=True)
class Verdict:
    """Why and when a :class:`LossMonitor` stopped; always truthy, ``str()`` is the message.

    ``reason`` is one of :data:`REASONS`; ``step`` the epoch or step at
    which the condition was detected; ``quantity`` the watched series
    (``"train_loss"``, ``"val_loss"`` or ``"grad_norm"``) and ``value`` its
    offending value there.
    """

    reason: str
    step: int
    quantity: str
    value: float
    message: str

    def __str__(self) -> str:
        return self.message


class TrainingStopped(RuntimeError):
    """Raised instead of returning a :class:`Verdict` when an adapter is asked to raise (``raise_on_stop=True``).

    ``str(exc)`` is the verdict's message; ``exc.verdict`` the :class:`Verdict`.
    """

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


def _g(x: float) -> str:
    """A number as messages show it: three significant digits (``3.41``, ``8.3e+04``)."""
    return f"{x:.3g}"


def _value(name: str, value) -> float | None:
    """``value`` as a float (``None`` stays ``None``); 0-d arrays and 1-element tensors are accepted."""
    if value is None:
        return None
    if isinstance(value, (str, bytes, bool)):
        raise TypeError(f"LossMonitor.update: {name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"LossMonitor.update: {name} must be a real number (or a 0-d array/tensor), got {type(value).__name__}"
        ) from None


class LossMonitor:
    """Record training/validation loss and gradient norm; detect NaN/inf, divergence and plateaus.

    Parameters
    ----------
    divergence_factor : float or None, default 10.0
        Stop when the training loss exceeds this many times the best training
        loss so far; must be > 1. ``None`` turns the check off. The check
        compares against the *best* value, so on noisy per-batch losses that
        approach 0 pick a larger factor (or monitor per epoch).
    warmup : int, default 0
        Number of records during which divergence is not checked (the best
        value is still tracked), for runs whose first steps are erratic.
    plateau_patience : int or None, default None
        Stop after this many records (>= 1) in a row without a relative
        improvement of ``min_delta`` in the watched loss. ``None``: off.
    min_delta : float, default 1e-3
        Relative improvement that counts, in [0, 1): a new value must be
        below ``best - min_delta * |best|``.
    plateau_on : {"auto", "val", "train"}, default "auto"
        Which loss the plateau check watches. ``"auto"`` watches the
        validation loss if the first record has one, else the training loss.
        Records without the watched loss do not count toward the patience.
    unit : str, default "epoch"
        What one record is, for the messages: ``"epoch"``, ``"step"``, ….

    Attributes
    ----------
    history : dict of lists
        ``"step"``, ``"train_loss"``, ``"val_loss"``, ``"grad_norm"``, one
        entry per record, ``None`` where a value was not given. The record
        that stopped the run is included.
    stopped : bool
    verdict : Verdict or None
    reason, message : str or None
        ``verdict.reason`` and ``verdict.message`` once stopped.

    Notes
    -----
    Checks run in the order NaN/inf (training loss, validation loss, gradient
    norm), divergence, plateau; the first that fires stops the monitor. Once
    stopped, :meth:`update` records nothing more and returns the same verdict.
    Keras' ``TerminateOnNaN`` and ``EarlyStopping(min_delta=...)`` do the
    first and last checks separately, the latter with an *absolute* delta.
    """

    def __init__(
        self,
        *,
        divergence_factor: float | None = 10.0,
        warmup: int = 0,
        plateau_patience: int | None = None,
        min_delta: float = 1e-3,
        plateau_on: str = "auto",
        unit: str = "epoch",
    ) -> None:
        fn = "LossMonitor"
        self.divergence_factor = (
            None if divergence_factor is None
            else check_scalar(fn, "divergence_factor", divergence_factor, low=1.0, low_open=True)
        )
        self.warmup = check_int(fn, "warmup", warmup, low=0)
        self.plateau_patience = None if plateau_patience is None else check_int(
            fn, "plateau_patience", plateau_patience, low=1
        )
        self.min_delta = check_scalar(fn, "min_delta", min_delta, low=0.0, high=1.0, high_open=True)
        if plateau_on not in ("auto", "val", "train"):
            raise ValueError(f"{fn}: plateau_on must be one of 'auto', 'val', 'train', got {plateau_on!r}")
        self.plateau_on = plateau_on
        if not isinstance(unit, str) or not unit:
            raise ValueError(f"{fn}: unit must be a non-empty string such as 'epoch' or 'step', got {unit!r}")
        self.unit = unit
        self.history: dict[str, list] = {"step": [], "train_loss": [], "val_loss": [], "grad_norm": []}
        self.verdict: Verdict | None = None
        self._last_finite: dict[str, float | None] = dict.fromkeys(_QUANTITIES)
        self._best_train: tuple[float, int] | None = None  # (value, step)
        self._best_watched: tuple[float, int] | None = None
        self._since_best = 0

    # -- state ------------------------------------------------------------------------------------

    @property
    def stopped(self) -> bool:
        """True once a condition has fired."""
        return self.verdict is not None

    @property
    def reason(self) -> str | None:
        """``"nan"``, ``"divergence"`` or ``"plateau"`` once stopped, else ``None``."""
        return None if self.verdict is None else self.verdict.reason

    @property
    def message(self) -> str | None:
        """The verdict's message once stopped, else ``None``."""
        return None if self.verdict is None else self.verdict.message

    def __repr__(self) -> str:
        state = f"stopped: {self.reason}" if self.stopped else "running"
        return f"LossMonitor({len(self.history['step'])} records, {state})"

    # -- the checks -------------------------------------------------------------------------------

    def update(self, epoch_or_step: int, train_loss, val_loss=None, grad_norm=None) -> Verdict | None:
        """Record one epoch or step; return a :class:`Verdict` if training should stop, else ``None``.

        Parameters
        ----------
        epoch_or_step : int
            Label of this record in the messages (e.g. the epoch number).
        train_loss : float
            Training loss (a Python/NumPy number or a 0-d array/tensor).
        val_loss, grad_norm : float, optional
            Validation loss and gradient norm, if known for this record.

        Raises
        ------
        TypeError
            If ``epoch_or_step`` is not an integer or a value is not a number.
        """
        if self.verdict is not None:
            return self.verdict
        if isinstance(epoch_or_step, bool) or not isinstance(epoch_or_step, numbers.Integral):
            raise TypeError(
                f"LossMonitor.update: epoch_or_step must be an integer, got {type(epoch_or_step).__name__}"
            )
        step = int(epoch_or_step)
        values = {
            "train_loss": _value("train_loss", train_loss),
            "val_loss": _value("val_loss", val_loss),
            "grad_norm": _value("grad_norm", grad_norm),
        }
        if values["train_loss"] is None:
            raise TypeError("LossMonitor.update: train_loss must be a real number, got None")
        self.history["step"].append(step)
        for key, value in values.items():
            self.history[key].append(value)
        self.verdict = self._check_finite(step, values) or self._check_divergence(step, values["train_loss"])
        self.verdict = self.verdict or self._check_plateau(step, values)
        return self.verdict

    def _check_finite(self, step: int, values: dict) -> Verdict | None:
        for key, value in values.items():
            if value is None:
                continue
            if not math.isfinite(value):
                last = self._last_finite[key]
                before = "no finite value before" if last is None else f"last finite value {_g(last)}"
                bad = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
                msg = f"LossMonitor: {_QUANTITIES[key]} became {bad} at {self.unit} {step} ({before})"
                return Verdict("nan", step, key, value, msg)
        for key, value in values.items():
            if value is not None:
                self._last_finite[key] = value
        return None

    def _check_divergence(self, step: int, loss: float) -> Verdict | None:
        best = self._best_train
        n = len(self.history["step"])  # records including this one
        if (
            self.divergence_factor is not None and best is not None and n > self.warmup
            and loss > self.divergence_factor * best[0] and best[0] > 0
        ):
            msg = (
                f"LossMonitor: training loss diverged at {self.unit} {step}: {_g(loss)} > "
                f"{self.divergence_factor:g} × best {_g(best[0])} ({self.unit} {best[1]})"
            )
            return Verdict("divergence", step, "train_loss", loss, msg)
        if best is None or loss < best[0]:
            self._best_train = (loss, step)
        return None

    def _check_plateau(self, step: int, values: dict) -> Verdict | None:
        if self.plateau_on == "auto":
            self.plateau_on = "val" if values["val_loss"] is not None else "train"
        key = "val_loss" if self.plateau_on == "val" else "train_loss"
        value = values[key]
        if value is None:
            return None
        best = self._best_watched
        if best is None or value < best[0] - self.min_delta * abs(best[0]):
            self._best_watched = (value, step)
            self._since_best = 0
            return None
        self._since_best += 1
        if self.plateau_patience is not None and self._since_best >= self.plateau_patience:
            units = self.unit if self._since_best == 1 else f"{self.unit}s"
            msg = (
                f"LossMonitor: plateau: {_QUANTITIES[key]} has not improved by {self.min_delta:g} (relative) "
                f"for {self._since_best} {units} since {self.unit} {best[1]} (best {_g(best[0])})"
            )
            return Verdict("plateau", step, key, value, msg)
        return None
