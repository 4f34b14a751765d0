r"""Ready-made PyTorch losses (``torch.nn.Module``) that compute what the NumPy core computes.

Importing this module imports PyTorch; ``import lossfns`` does not (reach it
as ``lossfns.torch``). Each class takes its parameters and ``reduction``
(``"mean"``, ``"sum"`` or ``"none"``) when built, checks them as the NumPy
function does, and is differentiated by autograd.

**Argument order.** PyTorch losses are called as ``loss(input, target)``,
prediction first, and so are these: ``lf.torch.HuberLoss()(y_pred, y_true)``
equals ``lf.huber(y_true, y_pred)``, whose NumPy order is target first.
:class:`ContrastiveLoss` is called as ``(distance, y_same)``. The shapes of
the two arguments must agree (PyTorch's own losses broadcast with a warning;
these refuse). Empty inputs, NaN and infinity are refused with the NumPy function's
message (PyTorch's own losses return nan or inf). Integer tensors are computed in the promoted floating type
(``torch.get_default_dtype()`` when both are integers), never by casting the
target to an integer prediction's type. Labels, probabilities and distances are
checked against their domain on every call, with the NumPy function's message.

========================  =====================================  ======================
class                     NumPy equivalent                       called as
========================  =====================================  ======================
:class:`HuberLoss`        ``lf.huber(y_true, y_pred)``           ``(y_pred, y_true)``
:class:`LogCoshLoss`      ``lf.log_cosh(y_true, y_pred)``        ``(y_pred, y_true)``
:class:`QuantileLoss`     ``lf.quantile(y_true, y_pred)``        ``(y_pred, y_true)``
:class:`FocalLoss`        ``lf.focal(..., from_logits=True)``    ``(logits, y_true)``
:class:`DiceLoss`         ``lf.dice(y_true, y_pred)``            ``(y_pred, y_true)``
:class:`ContrastiveLoss`  ``lf.contrastive(y_same, distance)``   ``(distance, y_same)``
========================  =====================================  ======================

:class:`TorchLossMonitor` watches a hand-written training loop: it wraps
:class:`lossfns.monitor.LossMonitor` and computes the gradient norm itself.

Examples
--------
>>> import torch
>>> import lossfns as lf
>>> y_true, y_pred = torch.tensor([0.0, 0.0]), torch.tensor([0.5, 3.0], requires_grad=True)
>>> loss = HuberLoss(delta=1.0)(y_pred, y_true)  # prediction first, as in torch.nn
>>> loss.backward()
>>> loss.item(), float(lf.huber([0.0, 0.0], [0.5, 3.0]))
(1.3125, 1.3125)
>>> y_pred.grad
tensor([0.2500, 0.5000])
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from lossfns._validation import as_float_array, check_bool, check_int, check_reduction, check_scalar, interval
from lossfns.monitor import LossMonitor, TrainingStopped, Verdict

LOG2 = math.log(2.0)

__all__ = [
    "ContrastiveLoss", "DiceLoss", "FocalLoss", "HuberLoss", "LogCoshLoss", "QuantileLoss", "TorchClassifier",
    "TorchLossMonitor", "grad_norm",
]


class _Loss(nn.Module):
    """Shared plumbing: ``reduction``, tensor conversion and the shape check."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(type(self).__name__, reduction)

    def _tensor(self, name: str, x, device=None) -> torch.Tensor:
        """``x`` as a real tensor (lists and arrays are converted), or a ``TypeError`` naming the argument."""
        if isinstance(x, (str, bytes)):
            raise TypeError(f"{type(self).__name__}: {name} must be numeric, got {type(x).__name__}")
        try:
            t = torch.as_tensor(x, device=device)
        except (TypeError, ValueError, RuntimeError) as exc:  # strings in an array, ragged lists, objects
            raise TypeError(f"{type(self).__name__}: {name} could not be read as a numeric tensor ({exc})") from None
        if t.is_complex():
            raise TypeError(f"{type(self).__name__}: {name} must be real (bool, int or float), got dtype {t.dtype}")
        return t

    def _check_values(self, name: str, t: torch.Tensor) -> None:
        """Raise ``ValueError`` as :func:`lossfns._validation.as_float_array` does for an empty or non-finite input."""
        if t.numel() == 0:
            raise ValueError(f"{type(self).__name__}: {name} is empty; a loss needs at least one value")
        if t.dtype.is_floating_point:
            with torch.no_grad():
                bad = int((~torch.isfinite(t)).sum())
            if bad:
                raise ValueError(f"{type(self).__name__}: {name} contains {bad} NaN or infinite value(s); "
                                 "all inputs must be finite")

    def _pair(self, y_pred, y_true, names=("y_pred", "y_true")) -> tuple[torch.Tensor, torch.Tensor]:
        y_pred = self._tensor(names[0], y_pred)
        y_true = self._tensor(names[1], y_true, device=y_pred.device)
        dtype = torch.promote_types(y_pred.dtype, y_true.dtype)
        if not dtype.is_floating_point:  # integers and bools: compute in floats, never round the target
            dtype = torch.get_default_dtype()
        y_pred, y_true = y_pred.to(dtype), y_true.to(dtype)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{type(self).__name__}: {names[1]} has shape {tuple(y_true.shape)} "
                f"but {names[0]} has shape {tuple(y_pred.shape)}"
            )
        self._check_values(names[0], y_pred)
        self._check_values(names[1], y_true)
        return y_pred, y_true

    def _in_range(self, name: str, t: torch.Tensor, low=None, high=None, why: str = "", values=None) -> None:
        """Raise ``ValueError`` as :func:`lossfns._validation.check_in_range` does (or, with ``values``, unless
        every entry is one of them), naming the argument."""
        with torch.no_grad():
            if values is not None:
                bad = ~torch.isin(t, torch.tensor(values, dtype=t.dtype, device=t.device))
                if bool(bad.any()):
                    allowed = "{" + ", ".join(f"{v:g}" for v in values) + "}"
                    raise ValueError(f"{type(self).__name__}: {name} must hold labels in {allowed}{why}, "
                                     f"got {float(t[bad].flatten()[0])!r}")
                return
            ok = torch.ones_like(t, dtype=torch.bool)
            if low is not None:
                ok &= t >= low
            if high is not None:
                ok &= t <= high
            if not bool(ok.all()):
                outside = t[~ok]
                raise ValueError(
                    f"{type(self).__name__}: {name} must lie in {interval(low, high)}{why}, got {outside.numel()} "
                    f"value(s) outside it, e.g. {float(outside.flatten()[0])!r}"
                )

    def _reduce(self, loss: torch.Tensor) -> torch.Tensor:
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def extra_repr(self) -> str:
        params = {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "training"}
        return ", ".join(f"{k}={v!r}" for k, v in params.items())


class HuberLoss(_Loss):
    r"""Huber loss, :func:`lossfns.huber`: quadratic for :math:`|r| \le \delta`, linear beyond.

    Same values as ``torch.nn.HuberLoss(delta=delta)``; written out here as
    :math:`\tfrac12 a^2 + \delta(|r| - a)`, :math:`a = \min(|r|, \delta)`,
    which never squares a large error.

    Parameters
    ----------
    delta : float, default 1.0
        Threshold :math:`\delta > 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`lossfns.huber`.
    """

    def __init__(self, delta: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.delta = check_scalar("HuberLoss", "delta", delta, low=0.0, low_open=True)

    def forward(self, y_pred, y_true) -> torch.Tensor:
        """Loss of predictions ``y_pred`` against targets ``y_true`` (PyTorch order)."""
        y_pred, y_true = self._pair(y_pred, y_true)
        abs_r = (y_pred - y_true).abs()
        a = abs_r.clamp(max=self.delta)
        return self._reduce(0.5 * a * a + self.delta * (abs_r - a))


class LogCoshLoss(_Loss):
    r"""Log-cosh loss, :func:`lossfns.log_cosh`: :math:`\log\cosh(\hat y - y)`.

    Computed as :math:`|r| + \operatorname{softplus}(-2|r|) - \log 2`, with
    the softplus as ``torch.logaddexp(-2|r|, 0)`` (``F.softplus`` switches to
    the identity above 20 and would drop up to :math:`2\cdot 10^{-9}`), so no
    error overflows; its gradient is :math:`\tanh r`. Tiny errors lose
    relative accuracy to cancellation (absolute error about
    :math:`10^{-16}`), where the NumPy function is exact.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`lossfns.log_cosh`.
    """

    def forward(self, y_pred, y_true) -> torch.Tensor:
        """Loss of predictions ``y_pred`` against targets ``y_true`` (PyTorch order)."""
        y_pred, y_true = self._pair(y_pred, y_true)
        a = (y_pred - y_true).abs()
        return self._reduce(a + torch.logaddexp(-2.0 * a, torch.zeros_like(a)) - LOG2)


class QuantileLoss(_Loss):
    r"""Quantile (pinball) loss, :func:`lossfns.quantile`: :math:`\max(q (y - \hat y), (q - 1)(y - \hat y))`.

    PyTorch has no such loss. At :math:`\hat y = y` autograd returns the
    subgradient 0, as :func:`lossfns.quantile_grad` does.

    Parameters
    ----------
    q : float, default 0.5
        The quantile, :math:`0 < q < 1`.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`lossfns.quantile`.
    """

    def __init__(self, q: float = 0.5, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.q = check_scalar("QuantileLoss", "q", q, low=0.0, high=1.0, low_open=True, high_open=True)

    def forward(self, y_pred, y_true) -> torch.Tensor:
        """Loss of predicted quantiles ``y_pred`` against targets ``y_true`` (PyTorch order)."""
        y_pred, y_true = self._pair(y_pred, y_true)
        r = y_true - y_pred
        loss = torch.where(r > 0, self.q * r, torch.where(r < 0, (self.q - 1.0) * r, r * 0.0))
        return self._reduce(loss)


class FocalLoss(_Loss):
    r"""Binary focal loss from logits, :func:`lossfns.focal` with ``from_logits=True``.

    .. math:: \ell = -\alpha_t (1 - p_t)^\gamma \log p_t, \qquad p = \sigma(z)

    The cross-entropy is ``binary_cross_entropy_with_logits`` and the focal
    factor is :math:`\exp(\gamma \log(1 - p_t))` with
    :math:`\log(1 - p_t)` built from ``logsigmoid``, so logits of
    :math:`\pm 10^4` give finite values and gradients. Soft labels in
    [0, 1] are accepted as in the NumPy function. torchvision's
    ``sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2)`` is this
    loss with ``alpha=0.25``; its ``alpha=-1`` is ``alpha=None`` here.

    Parameters
    ----------
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`; 0 gives binary cross-entropy.
    alpha : float in [0, 1], optional
        Weight of the positive class; ``None`` weighs both classes 1.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`lossfns.focal`.
    """

    def __init__(self, gamma: float = 2.0, alpha: float | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.gamma = check_scalar("FocalLoss", "gamma", gamma, low=0.0)
        self.alpha = None if alpha is None else check_scalar("FocalLoss", "alpha", alpha, low=0.0, high=1.0)

    def forward(self, logits, y_true) -> torch.Tensor:
        """Loss of ``logits`` :math:`z` against labels ``y_true`` (PyTorch order)."""
        z, y = self._pair(logits, y_true, names=("logits", "y_true"))
        self._in_range("y_true", y, 0.0, 1.0, " (labels or target probabilities)")
        ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
        log_not_pt = torch.logaddexp(torch.log(y) + F.logsigmoid(-z), torch.log1p(-y) + F.logsigmoid(z))
        loss = torch.exp(self.gamma * log_not_pt) * ce
        if self.alpha is not None:
            loss = (self.alpha * y + (1.0 - self.alpha) * (1.0 - y)) * loss
        return self._reduce(loss)


class DiceLoss(_Loss):
    r"""Soft Dice loss per item, :func:`lossfns.dice`: :math:`1 - (2\sum y\hat y + s)/(\sum y + \sum \hat y + s)`.

    Axis 0 is the batch; sums run over all other axes, so ``"none"`` gives
    one loss per item and ``"mean"`` averages over the items.

    Parameters
    ----------
    smooth : float, default 1.0
        :math:`s \ge 0`. With ``smooth=0`` an item with an empty mask and an
        empty prediction is an error (0/0), as in the NumPy function.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`lossfns.dice`.
    """

    def __init__(self, smooth: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.smooth = check_scalar("DiceLoss", "smooth", smooth, low=0.0)

    def forward(self, y_pred, y_true) -> torch.Tensor:
        """Loss of predicted probabilities ``y_pred`` against masks ``y_true`` (PyTorch order)."""
        y_pred, y_true = self._pair(y_pred, y_true)
        self._in_range("y_true", y_true, 0.0, 1.0, " (a mask)")
        self._in_range("y_pred", y_pred, 0.0, 1.0, " (probabilities)")
        if y_pred.dim() < 2:
            raise ValueError(
                f"DiceLoss: y_pred must have a batch axis and at least one more, shape (n, ...), "
                f"got shape {tuple(y_pred.shape)}"
            )
        axes = tuple(range(1, y_pred.dim()))
        num = 2.0 * (y_true * y_pred).sum(dim=axes) + self.smooth
        den = y_true.sum(dim=axes) + y_pred.sum(dim=axes) + self.smooth
        if self.smooth == 0.0 and bool((den == 0).any()):
            item = int(torch.nonzero(den == 0)[0, 0])
            raise ValueError(f"DiceLoss: item {item} has an empty mask and an empty prediction (0/0); use smooth > 0")
        return self._reduce(1.0 - num / den)


class ContrastiveLoss(_Loss):
    r"""Contrastive loss, :func:`lossfns.contrastive`: :math:`y d^2 + (1 - y)\max(0, m - d)^2`.

    Called as ``loss(distance, y_same)``: the prediction (a distance, e.g.
    ``F.pairwise_distance(a, b)``) first, the 0/1 label second, as PyTorch
    orders ``(input, target)``. No factor ½ (see :func:`lossfns.contrastive`).

    Parameters
    ----------
    margin : float, default 1.0
        :math:`m \ge 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`lossfns.contrastive`.
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_scalar("ContrastiveLoss", "margin", margin, low=0.0)

    def forward(self, distance, y_same) -> torch.Tensor:
        """Loss of pair ``distance`` given labels ``y_same`` (1 = similar), PyTorch order."""
        d, y = self._pair(distance, y_same, names=("distance", "y_same"))
        self._in_range("y_same", y, values=(0.0, 1.0), why=" (1 = similar pair)")
        self._in_range("distance", d, low=0.0, why=" (a distance)")
        return self._reduce(y * d * d + (1.0 - y) * (self.margin - d).clamp(min=0.0) ** 2)


def grad_norm(parameters) -> float:
    r"""Total gradient norm :math:`\sqrt{\sum_p \lVert \nabla_p L \rVert_2^2}` over ``parameters``.

    This is the number ``torch.nn.utils.clip_grad_norm_`` clips (with
    ``norm_type=2``). Parameters without a gradient (frozen, or unused in
    the loss) are skipped.

    Raises
    ------
    ValueError
        If no parameter has a gradient: call ``loss.backward()`` first.
    """
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = [p.grad.detach() for p in parameters if p.grad is not None]
    if not grads:
        raise ValueError(
            "grad_norm: no parameter has a gradient; call loss.backward() before asking for the gradient norm"
        )
    norms = torch.stack([torch.linalg.vector_norm(g.to(torch.float64)) for g in grads])
    return float(torch.linalg.vector_norm(norms))


class TorchLossMonitor(LossMonitor):
    """:class:`lossfns.monitor.LossMonitor` for a PyTorch training loop: call :meth:`step` after ``backward()``.

    Each :meth:`step` records the loss of one optimisation step (or pass
    ``step=`` yourself and call it once per epoch), the total gradient norm
    of ``model`` (see :func:`grad_norm`) and, when given, a validation loss.
    It returns the :class:`~lossfns.monitor.Verdict` when training should
    stop, else ``None``, so the loop reads::

        mon = TorchLossMonitor(divergence_factor=10.0)
        for x, y in batches:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            if mon.step(loss, model):  # checks before the update is applied
                print(mon.message)
                break
            opt.step()

    With ``raise_on_stop=True`` it raises
    :class:`~lossfns.monitor.TrainingStopped` (whose message is the
    verdict's) instead of returning it.

    Parameters
    ----------
    raise_on_stop : bool, default False
        Raise :class:`~lossfns.monitor.TrainingStopped` rather than return.
    unit : str, default "step"
        What one call is, for the messages.
    **kwargs
        The thresholds of :class:`~lossfns.monitor.LossMonitor`:
        ``divergence_factor``, ``warmup``, ``plateau_patience``,
        ``min_delta``, ``plateau_on``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> mon = TorchLossMonitor()
    >>> loss = (w * torch.tensor([-1.0])).log().sum()  # log of a negative number
    >>> loss.backward()
    >>> print(mon.step(loss, [w]))
    LossMonitor: training loss became nan at step 1 (no finite value before)
    """

    def __init__(self, *, raise_on_stop: bool = False, unit: str = "step", **kwargs) -> None:
        super().__init__(unit=unit, **kwargs)
        self.raise_on_stop = check_bool("TorchLossMonitor", "raise_on_stop", raise_on_stop)
        self._count = 0

    def step(self, loss, model=None, val_loss=None, *, step: int | None = None) -> Verdict | None:
        """Record ``loss`` (a tensor or number) and, if ``model`` is given, its gradient norm.

        Parameters
        ----------
        loss : torch.Tensor or float
            The training loss of this step (a one-element tensor is read with
            ``.item()``; it is not kept, so no graph is held alive).
        model : torch.nn.Module or iterable of tensors, optional
            Its parameters' gradients give the gradient norm; call after
            ``loss.backward()`` and before ``optimizer.zero_grad()``.
        val_loss : torch.Tensor or float, optional
            Validation loss, if evaluated at this step.
        step : int, optional
            Label of this record; default: the number of calls so far, from 1.

        Returns
        -------
        Verdict or None
            The verdict once training should stop (every later call returns it again).
        """
        self._count += 1
        label = self._count if step is None else check_int("TorchLossMonitor.step", "step", step)
        norm = None
        if model is not None and not self.stopped:
            params = model.parameters() if isinstance(model, nn.Module) else model
            norm = grad_norm(params)
        verdict = self.update(label, _item(loss), _item(val_loss), norm)
        if verdict is not None and self.raise_on_stop:
            raise TrainingStopped(verdict)
        return verdict


def _item(value):
    """A tensor's single value as a float, detached; anything else unchanged."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(
                f"TorchLossMonitor.step: a loss must be a single number, got a tensor of shape {tuple(value.shape)}"
            )
        return value.detach().item()
    return value


class TorchClassifier:
    """A small PyTorch MLP classifier with the scikit-learn interface: ``fit``, ``predict_proba``, ``predict``.

    ReLU hidden layers of the sizes in ``hidden`` (none: multinomial logistic
    regression), a softmax output, cross-entropy loss, trained full-batch
    with Adam for ``epochs`` steps in float64. The initial weights come from
    ``seed`` inside :func:`torch.random.fork_rng`, so two fits on the same
    data give the same model and PyTorch's global random state is left as it
    was. Features are used as given: standardise them first.

    It is meant for :mod:`lossfns.active`, as ``lambda: TorchClassifier()``:
    ``classes_`` lists the labels seen in ``fit`` (sorted), and the columns of
    :meth:`predict_proba` follow it, as in scikit-learn.

    Parameters
    ----------
    hidden : tuple of int, default (32,)
        Width of each hidden layer.
    epochs : int, default 100
        Full-batch Adam steps.
    lr : float, default 1e-2
        Adam learning rate.
    weight_decay : float, default 0.0
        Adam's L2 penalty coefficient.
    seed : int, default 0
        Seed of the initial weights.

    ``fit`` and ``predict_proba`` run PyTorch on one thread (the setting is
    restored afterwards): for networks this small, splitting each step over
    threads costs more than it saves, 5-10 times more on a busy 2-core machine.

    Examples
    --------
    >>> clf = TorchClassifier(hidden=(8,), epochs=200).fit([[-2.0], [-1.0], [1.0], [2.0]], ["a", "a", "b", "b"])
    >>> clf.classes_.tolist(), clf.predict([[-3.0], [3.0]]).tolist()
    (['a', 'b'], ['a', 'b'])
    >>> clf.predict_proba([[0.5]]).sum(axis=1).round(12).tolist()
    [1.0]
    """

    def __init__(self, hidden=(32,), epochs: int = 100, lr: float = 1e-2, weight_decay: float = 0.0,
                 seed: int = 0) -> None:
        name = "TorchClassifier"
        self.hidden = tuple(check_int(name, "hidden", h, low=1) for h in hidden)
        self.epochs = check_int(name, "epochs", epochs, low=1)
        self.lr = check_scalar(name, "lr", lr, low=0.0, low_open=True)
        self.weight_decay = check_scalar(name, "weight_decay", weight_decay, low=0.0)
        self.seed = check_int(name, "seed", seed, low=0)

    def __repr__(self) -> str:
        return (f"TorchClassifier(hidden={self.hidden}, epochs={self.epochs}, lr={self.lr:g}, "
                f"weight_decay={self.weight_decay:g}, seed={self.seed})")

    def _inputs(self, fn: str, X) -> torch.Tensor:
        arr = as_float_array(X, fn=f"TorchClassifier.{fn}", name="X")
        if arr.ndim != 2:
            raise ValueError(f"TorchClassifier.{fn}: X must be 2-D (n_samples, n_features), got shape {arr.shape}")
        if fn != "fit" and arr.shape[1] != self.n_features_in_:
            raise ValueError(f"TorchClassifier.{fn}: X has {arr.shape[1]} feature(s), the model was fitted "
                             f"with {self.n_features_in_}")
        return torch.from_numpy(np.ascontiguousarray(arr))

    def fit(self, X, y) -> TorchClassifier:
        """Train on features ``X`` of shape ``(n, d)`` and labels ``y`` of shape ``(n,)``; returns ``self``."""
        inputs = self._inputs("fit", X)
        labels = np.asarray(y)
        if labels.shape != (inputs.shape[0],):
            raise ValueError(f"TorchClassifier.fit: y must have shape ({inputs.shape[0]},), one label per row "
                             f"of X, got shape {labels.shape}")
        self.classes_, target = np.unique(labels, return_inverse=True)
        self.n_features_in_ = inputs.shape[1]
        sizes = (inputs.shape[1], *self.hidden, self.classes_.size)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            layers = []
            for a, b in zip(sizes[:-1], sizes[1:], strict=True):
                layers += [nn.Linear(a, b), nn.ReLU()]
            self.net_ = nn.Sequential(*layers[:-1]).double()  # no ReLU after the output layer
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        target = torch.from_numpy(target.astype(np.int64))
        with _one_thread():
            for _ in range(self.epochs):
                opt.zero_grad()
                loss = F.cross_entropy(self.net_(inputs), target)
                loss.backward()
                opt.step()
        self.loss_ = float(loss.detach())
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n, len(classes_))``, float64, rows summing to 1."""
        if not hasattr(self, "net_"):
            raise ValueError("TorchClassifier.predict_proba: the model is not fitted yet; call fit(X, y) first")
        with torch.no_grad(), _one_thread():
            return torch.softmax(self.net_(self._inputs("predict_proba", X)), dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row, shape ``(n,)``, from ``classes_``."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


@contextlib.contextmanager
def _one_thread():
    """Run the block with ``torch.set_num_threads(1)``, restoring the previous setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
