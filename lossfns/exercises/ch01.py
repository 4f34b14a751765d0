"""Checkers for the exercises of chapter 1 (Foundations)."""
from __future__ import annotations

import numpy as np

from lossfns.exercises._core import (
    Case,
    CaseFailed,
    Exercise,
    _as_number,
    _fmt,
    expect_array,
    expect_number,
    expect_numbers,
    register,
)
from lossfns.gradcheck import numerical_grad
from lossfns.regression import mse


def _judge_mse(got, args) -> None:
    y_true, y_pred = args
    expect_number(got, mse(y_true, y_pred))


register(Exercise(
    id="1.1",
    title="MSE by hand",
    function="mse_by_hand",
    params=("y_true", "y_pred"),
    cases=(
        Case("lists", ([1.0, 2.0, 3.0], [1.0, 2.0, 5.0]), _judge_mse),
        Case("errors of both signs", ([0.0, 0.0, 0.0, 0.0], [-1.0, 1.0, -2.0, 2.0]), _judge_mse),
        Case("2-D arrays", (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                            np.array([[1.5, 2.0, 2.0], [4.0, 7.0, 6.0]])), _judge_mse),
        Case("single element", ([3.0], [5.0]), _judge_mse),
        Case("large errors", (np.zeros(4), np.array([0.0, 0.0, 0.0, 1000.0])), _judge_mse),
    ),
))


def _linear_mse(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(np.mean((X @ w - y) ** 2))


def _judge_linear_grad(got, args) -> None:
    X, y, w = args
    reference = numerical_grad(lambda v: _linear_mse(X, y, v), w)  # central differences
    expect_array(got, reference, rtol=1e-5, atol=1e-6)


def _linear_grad_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(12)
    X20, w20 = rng.normal(size=(20, 4)), rng.normal(size=4)
    y20 = X20 @ rng.normal(size=4) + 0.1 * rng.normal(size=20)
    X1, y1, w1 = rng.normal(size=(1, 3)), rng.normal(size=1), rng.normal(size=3)
    x_col = np.arange(1.0, 11.0)[:, None]
    Xm = rng.normal(size=(15, 3))
    ym = Xm @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=15)
    w_min = np.linalg.lstsq(Xm, ym, rcond=None)[0]
    return (
        Case("small", (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, 2.0, 3.0]),
                       np.zeros(2)), _judge_linear_grad),
        Case("random 20 x 4", (X20, y20, w20), _judge_linear_grad),
        Case("one sample", (X1, y1, w1), _judge_linear_grad),
        Case("one feature", (x_col, 2.0 * x_col[:, 0] + 1.0, np.array([0.5])), _judge_linear_grad),
        Case("at the minimum", (Xm, ym, w_min), _judge_linear_grad),
    )


register(Exercise(
    id="1.2",
    title="gradient of the linear-model MSE",
    function="linear_mse_grad",
    params=("X", "y", "w"),
    cases=_linear_grad_cases(),
))


def _judge_reduce(got, args) -> None:
    per_sample, reduction = args
    values = np.asarray(per_sample, dtype=np.float64)
    if reduction == "none":
        expect_array(got, values)
    else:
        expect_number(got, values.sum() / (values.size if reduction == "mean" else 1))


register(Exercise(
    id="1.3",
    title="reductions",
    function="reduce_losses",
    params=("per_sample", "reduction"),
    cases=(
        Case("mean", (np.array([1.0, 2.0, 3.0, 4.0]), "mean"), _judge_reduce),
        Case("sum", (np.array([1.0, 2.0, 3.0, 4.0]), "sum"), _judge_reduce),
        Case("none", (np.array([1.0, 2.0, 3.0, 4.0]), "none"), _judge_reduce),
        Case("mean of a 2-D array", (np.array([[1.0, 2.0], [3.0, 10.0]]), "mean"), _judge_reduce),
        Case("unknown reduction", (np.array([1.0, 2.0, 3.0]), "median"), raises=ValueError),
    ),
))


def _lr_bound(X: np.ndarray) -> float:
    # lambda_max(2/n X^T X) = 2/n * sigma_max(X)^2, so the bound 2 / lambda_max is n / sigma_max^2
    return X.shape[0] / np.linalg.norm(X, 2) ** 2


def _judge_lr_value(got, args) -> None:
    (X,) = args
    expect_number(got, _lr_bound(X), rtol=1e-6)


def _gd_shrink(X: np.ndarray, y: np.ndarray, lr: float, steps: int = 200) -> float:
    """Distance to the minimiser after ``steps`` steps of gradient descent, relative to the start."""
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    start = w_star + np.linspace(1.0, -0.5, X.shape[1])
    w = start.copy()
    with np.errstate(all="ignore"):
        for _ in range(steps):
            w = w - lr * (2.0 / X.shape[0]) * (X.T @ (X @ w - y))
        return float(np.linalg.norm(w - w_star) / np.linalg.norm(start - w_star))


def _judge_lr_behaviour(got, X: np.ndarray, y: np.ndarray) -> None:
    """Run gradient descent just below and just above the candidate's bound."""
    lr = _as_number(got)
    if not (np.isfinite(lr) and lr > 0):
        raise CaseFailed(f"a learning rate must be a positive number, got {_fmt(lr)}")
    below, above = _gd_shrink(X, y, 0.9 * lr), _gd_shrink(X, y, 1.1 * lr)
    if not above > 1e3:
        raise CaseFailed(
            f"gradient descent with lr = 1.1 x your bound ({1.1 * lr:.4g}) did not diverge "
            f"(after 200 steps its distance to the minimum is {above:.3g} times the initial one), "
            "so your bound is too small"
        )
    if not below < 1e-3:
        raise CaseFailed(
            f"gradient descent with lr = 0.9 x your bound ({0.9 * lr:.4g}) did not converge "
            f"(after 200 steps its distance to the minimum is {below:.3g} times the initial one), "
            "so your bound is too large"
        )


def _lr_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(14)
    X_gd = rng.normal(size=(200, 3))
    y_gd = X_gd @ np.array([1.0, -1.0, 2.0]) + 0.5 * rng.normal(size=200)
    return (
        Case("identity design", (np.eye(4),), _judge_lr_value),
        Case("random 50 x 3", (rng.normal(size=(50, 3)),), _judge_lr_value),
        Case("one feature", (np.arange(1.0, 6.0)[:, None],), _judge_lr_value),
        Case("features on different scales", (rng.normal(size=(30, 3)) * [1.0, 10.0, 100.0],),
             _judge_lr_value),
        Case("gradient descent at 0.9x and 1.1x the bound", (X_gd,),
             lambda got, args: _judge_lr_behaviour(got, args[0], y_gd)),
    )


register(Exercise(
    id="1.4",
    title="largest stable learning rate",
    function="max_stable_lr",
    params=("X",),
    cases=_lr_cases(),
    question=(
        'How can the bound be written with the largest singular value of X, and why does gradient '
        'descent diverge above it?'
    ),
))


def _train_and_test(A_train, y_train, A_test, y_test) -> tuple[float, float]:
    w = np.linalg.lstsq(A_train, y_train, rcond=None)[0]
    return mse(y_train, A_train @ w), mse(y_test, A_test @ w)


def _judge_gap(got, args) -> None:
    train, test = _train_and_test(*args)
    expect_numbers(got, {"training MSE": train, "held-out MSE": test}, rtol=1e-8, atol=1e-10)


def _gap_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(15)

    def linear(n, p, noise=1.0):
        A = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
        return A, A @ rng.normal(size=p) + noise * rng.normal(size=n)

    A_tr, y_tr = linear(40, 4)
    A_te, y_te = linear(200, 4)
    A_sq, y_sq = linear(5, 5)  # as many parameters as samples: the training MSE is 0
    A_sq_te, y_sq_te = linear(100, 5)
    A_big, y_big = linear(500, 3, noise=0.1)
    return (
        Case("40 training samples, 4 parameters", (A_tr, y_tr, A_te, y_te), _judge_gap),
        Case("n = p: the fit interpolates", (A_sq, y_sq, A_sq_te, y_sq_te), _judge_gap),
        Case("much data, little noise", (A_big[:400], y_big[:400], A_big[400:], y_big[400:]), _judge_gap),
        Case("one feature, no intercept", (np.arange(1.0, 9.0)[:, None], np.arange(1.0, 9.0) ** 1.5,
                                           np.arange(9.0, 13.0)[:, None], np.arange(9.0, 13.0) ** 1.5), _judge_gap),
    )


register(Exercise(
    id="1.5",
    title="training and held-out risk of least squares",
    function="train_and_held_out_mse",
    params=("A_train", "y_train", "A_test", "y_test"),
    cases=_gap_cases(),
    question=(
        "Why is the training MSE of least squares smaller than its held-out MSE on average, and why does "
        "the gap grow with the number of parameters?"
    ),
))
