r"""A tiny multilayer perceptron in NumPy: forward pass, backprop, inverted dropout, training.

Small enough to read in one sitting. A network with layer sizes
:math:`(d_0, d_1, \dots, d_m)` computes

.. math::

    h_0 = X, \qquad
    h_i = \operatorname{drop}_i\bigl(\sigma(h_{i-1} W_i + b_i)\bigr)\ (i < m), \qquad
    \hat y = z_m = h_{m-1} W_m + b_m,

with :math:`W_i` of shape :math:`(d_{i-1}, d_i)`, activation :math:`\sigma`
(ReLU or tanh) and optional inverted dropout after each hidden activation.
The output :math:`\hat y` is linear: logits for
``lf.categorical_cross_entropy(..., from_logits=True)``, values for
``lf.mse``. :meth:`MLP.backward` takes :math:`\partial L/\partial \hat y`
(exactly what the ``lossfns`` ``_grad`` functions return) and applies the
chain rule layer by layer, last to first.

Randomness (initial weights, dropout masks, minibatch order) comes only from
the ``seed`` of the network or an ``rng`` passed in.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import as_float_array, check_int, check_scalar
from lossfns.regularization import l1_penalty, l1_penalty_grad, l2_penalty, l2_penalty_grad

ACTIVATIONS = ("relu", "tanh")

Params = list[tuple[np.ndarray, np.ndarray]]


def _rng(fn: str, rng, default: np.random.Generator) -> np.random.Generator:
    """Return ``rng``, or ``default`` when it is ``None``."""
    if rng is None:
        return default
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fn}: rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
    return rng


class Dropout:
    r"""Inverted dropout: zero each entry with probability ``p`` in training, scale the rest by :math:`1/(1-p)`.

    .. math::

        \operatorname{drop}(x) = \frac{m \odot x}{1 - p}, \qquad m_j \sim \operatorname{Bernoulli}(1 - p)

    The scaling keeps the expected activation unchanged,
    :math:`\mathbb E[\operatorname{drop}(x)] = x`, so in evaluation the layer
    is the identity and nothing needs rescaling at test time. This is what
    ``torch.nn.Dropout(p)`` and ``keras.layers.Dropout(rate)`` do.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of dropping an entry.
    seed : int, default 0
        Seed of the layer's own generator, used when ``forward`` gets no ``rng``.

    Attributes
    ----------
    mask : numpy.ndarray or None
        :math:`m/(1-p)` from the last training-mode ``forward`` (``None`` after
        an evaluation-mode one); ``backward`` multiplies by it.

    Raises
    ------
    ValueError
        If ``p`` lies outside [0, 1).

    Examples
    --------
    >>> drop = Dropout(0.5)
    >>> x = np.ones((2, 4))
    >>> drop.forward(x)                          # evaluation: identity
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    >>> out = drop.forward(x, train=True, rng=np.random.default_rng(0))
    >>> sorted(set(out.ravel().tolist()))        # dropped, or kept and scaled by 1 / (1 - p)
    [0.0, 2.0]
    """

    def __init__(self, p: float = 0.5, *, seed: int = 0):
        self.p = check_scalar("Dropout", "p", p, low=0.0, high=1.0, high_open=True)
        self.rng = np.random.default_rng(check_int("Dropout", "seed", seed, low=0))
        self.mask: np.ndarray | None = None

    def forward(self, x: ArrayLike, *, train: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """Apply dropout in training mode (``train=True``), the identity otherwise; returns a new array."""
        x = as_float_array(x, fn="Dropout.forward", name="x")
        rng = _rng("Dropout.forward", rng, self.rng)
        if not train or self.p == 0.0:
            self.mask = None
            return x.copy()
        self.mask = (rng.random(x.shape) >= self.p) / (1.0 - self.p)
        return x * self.mask

    def backward(self, grad_out: ArrayLike) -> np.ndarray:
        r"""Gradient with respect to the input: ``grad_out`` times the same mask, :math:`m/(1-p)`."""
        grad_out = np.asarray(grad_out, dtype=np.float64)
        return grad_out.copy() if self.mask is None else grad_out * self.mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"


class MLP:
    r"""A fully connected network with ReLU or tanh hidden layers, dropout, and a linear output.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths :math:`(d_0, \dots, d_m)`: inputs, hidden layers, outputs;
        at least two entries, each >= 1. ``(d, k)`` is a linear model.
    activation : {"relu", "tanh"}, default "relu"
        Activation :math:`\sigma` of the hidden layers.
    dropout : float in [0, 1), default 0
        Dropout probability after every hidden activation (training mode only).
    seed : int, default 0
        Seeds the network's generator: initial weights, and dropout masks and
        minibatch order unless an ``rng`` is passed.

    Attributes
    ----------
    params : list of (W, b)
        One pair per layer: ``W`` of shape ``(d_{i-1}, d_i)``, ``b`` of shape
        ``(d_i,)``. Initial ``W`` is normal with variance :math:`2/d_{i-1}`
        for ReLU (He et al. 2015) and :math:`1/d_{i-1}` for tanh (LeCun); ``b = 0``.

    Raises
    ------
    TypeError
        If ``sizes`` is not a sequence of integers.
    ValueError
        If ``sizes`` has fewer than two entries or one below 1, ``activation``
        is unknown, or ``dropout`` lies outside [0, 1).

    Notes
    -----
    The penalties ``l1`` and ``l2`` of :meth:`loss_and_grad`, :meth:`train_step`
    and :meth:`fit` apply to the weights ``W`` only, not to the biases:
    :math:`\lambda_2 \sum_i \lVert W_i\rVert_2^2` (:func:`lossfns.l2_penalty`,
    no :math:`\tfrac12`). PyTorch's ``SGD(weight_decay=wd)`` decays biases too
    and corresponds to ``l2 = wd / 2``.

    Examples
    --------
    >>> import lossfns as lf
    >>> net = MLP([2, 8, 3], activation="tanh", seed=0)
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [-1.0, 0.5]])
    >>> Y = np.eye(3)[[0, 1, 2, 0]]                       # one-hot targets
    >>> net.forward(X).shape
    (4, 3)
    >>> ce = lambda y, z: lf.categorical_cross_entropy(y, z, from_logits=True)
    >>> ce_grad = lambda y, z: lf.categorical_cross_entropy_grad(y, z, from_logits=True)
    >>> losses = net.fit(X, Y, ce, ce_grad, lr=0.5, epochs=200)
    >>> bool(losses[-1] < 0.1 * losses[0])
    True

    Backprop checked end to end against finite differences:

    >>> def f(theta):
    ...     net.set_flat(theta)
    ...     return net.loss_and_grad(X, Y, ce, ce_grad)[0]
    >>> def g(theta):
    ...     net.set_flat(theta)
    ...     return MLP.flatten(net.loss_and_grad(X, Y, ce, ce_grad)[1])
    >>> bool(lf.gradcheck(f, g, net.get_flat()))
    True
    """

    def __init__(self, sizes: Sequence[int], *, activation: str = "relu", dropout: float = 0.0, seed: int = 0):
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence | np.ndarray):
            raise TypeError(f"MLP: sizes must be a sequence of layer widths, got {type(sizes).__name__}")
        self.sizes = tuple(check_int("MLP", "sizes[i]", d, low=1) for d in sizes)
        if len(self.sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least two entries (inputs and outputs), got {list(self.sizes)}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {', '.join(map(repr, ACTIVATIONS))}, got {activation!r}")
        self.activation = activation
        p = check_scalar("MLP", "dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.rng = np.random.default_rng(check_int("MLP", "seed", seed, low=0))
        gain = 2.0 if activation == "relu" else 1.0
        self.params: Params = [
            (self.rng.normal(0.0, np.sqrt(gain / d_in), size=(d_in, d_out)), np.zeros(d_out))
            for d_in, d_out in zip(self.sizes[:-1], self.sizes[1:], strict=True)
        ]
        self.dropouts = [Dropout(p) for _ in self.sizes[1:-1]]
        self._cache: list[tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def dropout(self) -> float:
        """Dropout probability of the hidden layers."""
        return self.dropouts[0].p if self.dropouts else 0.0

    @property
    def n_params(self) -> int:
        """Number of scalar parameters (weights and biases)."""
        return sum(W.size + b.size for W, b in self.params)

    def _act(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0) if self.activation == "relu" else np.tanh(z)

    def _act_grad(self, z: np.ndarray) -> np.ndarray:
        # ReLU'(0) is taken as 0, as in PyTorch
        return (z > 0.0).astype(np.float64) if self.activation == "relu" else 1.0 - np.tanh(z) ** 2

    def forward(self, X: ArrayLike, *, train: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        r"""Outputs :math:`\hat y` of shape ``(n, d_m)`` for inputs ``X`` of shape ``(n, d_0)``.

        Stores what :meth:`backward` needs. ``train=True`` applies dropout,
        drawing masks from ``rng`` (default: the network's generator).
        """
        fn = "MLP.forward"
        X = as_float_array(X, fn=fn, name="X")
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"{fn}: X must have shape (n, {self.sizes[0]}), got {X.shape}")
        rng = _rng(fn, rng, self.rng)
        cache = []
        h = X
        for i, (W, b) in enumerate(self.params):
            z = h @ W + b
            cache.append((h, z))
            if i < len(self.dropouts):
                h = self.dropouts[i].forward(self._act(z), train=train, rng=rng)
        self._cache = cache
        return z

    __call__ = forward

    def backward(self, grad_out: ArrayLike) -> Params:
        r"""Gradients :math:`(\partial L/\partial W_i, \partial L/\partial b_i)`, aligned with :attr:`params`.

        ``grad_out`` is :math:`\partial L/\partial \hat y` for the outputs of
        the last :meth:`forward`, e.g. ``lf.mse_grad(y, y_hat)``. The chain rule,
        from the last layer to the first, with :math:`g = \partial L/\partial z_i`:

        .. math::

            \frac{\partial L}{\partial W_i} = h_{i-1}^\top g, \qquad
            \frac{\partial L}{\partial b_i} = \textstyle\sum_{\text{rows}} g, \qquad
            \frac{\partial L}{\partial z_{i-1}} = \sigma'(z_{i-1}) \odot \operatorname{drop}_{i-1}'(g W_i^\top)
        """
        fn = "MLP.backward"
        if self._cache is None:
            raise RuntimeError(f"{fn}: call forward before backward")
        g = as_float_array(grad_out, fn=fn, name="grad_out")
        if g.shape != self._cache[-1][1].shape:
            raise ValueError(
                f"{fn}: grad_out has shape {g.shape} but the last forward returned shape {self._cache[-1][1].shape}"
            )
        grads: Params = []
        for i in reversed(range(len(self.params))):
            h, z = self._cache[i]
            if i < len(self.dropouts):  # g arrives as dL/dh_i: through the dropout mask and the activation
                g = self._act_grad(z) * self.dropouts[i].backward(g)
            grads.append((h.T @ g, g.sum(axis=0)))
            g = g @ self.params[i][0].T
        return grads[::-1]

    def penalty(self, *, l1: float = 0.0, l2: float = 0.0) -> float:
        r"""Weight penalty on the weights ``W`` (biases excluded).

        .. math:: \lambda_1 \sum_i \lVert W_i\rVert_1 + \lambda_2 \sum_i \lVert W_i\rVert_2^2
        """
        l1 = check_scalar("MLP.penalty", "l1", l1, low=0.0)
        l2 = check_scalar("MLP.penalty", "l2", l2, low=0.0)
        return float(sum(l1 * l1_penalty(W) + l2 * l2_penalty(W) for W, _ in self.params))

    def loss_and_grad(
        self,
        X: ArrayLike,
        y: ArrayLike,
        loss: Callable,
        loss_grad: Callable,
        *,
        l1: float = 0.0,
        l2: float = 0.0,
        train: bool = False,
        rng: np.random.Generator | None = None,
    ) -> tuple[float, Params]:
        r"""Objective :math:`L(y, \hat y) + \text{penalty}` and its gradients with respect to :attr:`params`.

        ``loss(y, y_hat) -> float`` and ``loss_grad(y, y_hat) -> array`` are a
        ``lossfns`` loss and its gradient (wrap options in a ``lambda`` or
        ``functools.partial``, e.g. ``from_logits=True``). The L1 part uses the
        subgradient ``sign(W)`` (:func:`lossfns.l1_penalty_grad`).
        """
        fn = "MLP.loss_and_grad"
        l1 = check_scalar(fn, "l1", l1, low=0.0)
        l2 = check_scalar(fn, "l2", l2, low=0.0)
        y_hat = self.forward(X, train=train, rng=rng)
        value = float(loss(y, y_hat)) + self.penalty(l1=l1, l2=l2)
        grads = self.backward(loss_grad(y, y_hat))
        if l1 or l2:
            grads = [
                (dW + l1 * l1_penalty_grad(W) + l2 * l2_penalty_grad(W), db)
                for (dW, db), (W, _) in zip(grads, self.params, strict=True)
            ]
        return value, grads

    def train_step(
        self,
        X: ArrayLike,
        y: ArrayLike,
        loss: Callable,
        loss_grad: Callable,
        *,
        lr: float,
        l1: float = 0.0,
        l2: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> float:
        r"""One step of gradient descent in training mode, :math:`\theta \leftarrow \theta - \eta\nabla_\theta`.

        Updates :attr:`params` in place and returns the objective *before* the step.
        """
        lr = check_scalar("MLP.train_step", "lr", lr, low=0.0, low_open=True)
        value, grads = self.loss_and_grad(X, y, loss, loss_grad, l1=l1, l2=l2, train=True, rng=rng)
        for (W, b), (dW, db) in zip(self.params, grads, strict=True):
            W -= lr * dW
            b -= lr * db
        return value

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        loss: Callable,
        loss_grad: Callable,
        *,
        lr: float,
        epochs: int,
        batch_size: int | None = None,
        l1: float = 0.0,
        l2: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Train for ``epochs`` passes over ``(X, y)`` with (minibatch) gradient descent.

        ``batch_size=None`` takes full-batch steps; otherwise the rows are
        shuffled every epoch with ``rng`` (default: the network's generator)
        and the last batch may be smaller. Returns the mean training objective
        of each epoch (loss plus penalty, measured in training mode before each
        step), shape ``(epochs,)``.
        """
        fn = "MLP.fit"
        epochs = check_int(fn, "epochs", epochs, low=0)
        X = as_float_array(X, fn=fn, name="X")
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"{fn}: y has {len(y)} rows but X has {len(X)}")
        n = len(X)
        batch = n if batch_size is None else check_int(fn, "batch_size", batch_size, low=1)
        rng = _rng(fn, rng, self.rng)
        history = np.empty(epochs)
        for epoch in range(epochs):
            order = np.arange(n) if batch_size is None else rng.permutation(n)
            values = []
            for start in range(0, n, batch):
                idx = order[start:start + batch]
                try:
                    value = self.train_step(X[idx], y[idx], loss, loss_grad, lr=lr, l1=l1, l2=l2, rng=rng)
                except ValueError as exc:
                    if "NaN or infinite" not in str(exc):
                        raise
                    value = np.nan
                if not np.isfinite(value):  # the weights blew up: say so, and which step size did it
                    raise ValueError(
                        f"{fn}: training diverged in epoch {epoch + 1}, at the minibatch starting at row {start}: the "
                        f"network's output or loss is no longer finite; lower the learning rate (lr={lr:g})"
                    ) from None
                values.append(value)
            history[epoch] = np.mean(values)
        return history

    def get_flat(self) -> np.ndarray:
        """All parameters as one new vector: ``W_1, b_1, W_2, b_2, ...``, each raveled row-major."""
        return MLP.flatten(self.params)

    def set_flat(self, theta: ArrayLike) -> None:
        """Copy a vector laid out as :meth:`get_flat` returns it into :attr:`params` (in place)."""
        theta = as_float_array(theta, fn="MLP.set_flat", name="theta")
        if theta.shape != (self.n_params,):
            raise ValueError(f"MLP.set_flat: theta must have shape ({self.n_params},), got {theta.shape}")
        start = 0
        for W, b in self.params:
            for arr in (W, b):
                arr[...] = theta[start:start + arr.size].reshape(arr.shape)
                start += arr.size

    @staticmethod
    def flatten(pairs: Params) -> np.ndarray:
        """Concatenate a list of ``(W, b)`` pairs (parameters or gradients) into one vector, as :meth:`get_flat`."""
        return np.concatenate([a.ravel() for pair in pairs for a in pair])

    def __repr__(self) -> str:
        return f"MLP(sizes={list(self.sizes)}, activation={self.activation!r}, dropout={self.dropout:g})"
