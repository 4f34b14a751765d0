"""Checkers for the exercises of chapter 5 (Regularization)."""
from __future__ import annotations

import numpy as np

from lossfns.exercises._core import Case, Exercise, expect_array, expect_numbers, register
from lossfns.regression import mse_grad
from lossfns.regularization import soft_threshold


def _judge_soft_threshold(got, args) -> None:
    w, t = args
    expect_array(got, soft_threshold(w, t))


register(Exercise(
    id="5.1",
    title="soft-thresholding by hand",
    function="soft_threshold_by_hand",
    params=("w", "t"),
    cases=(
        Case("both signs, t = 1", (np.array([3.0, -0.5, 0.2, -2.0, 1.5]), 1.0), _judge_soft_threshold),
        Case("entries exactly at the threshold", (np.array([0.5, -0.5, 0.75]), 0.5), _judge_soft_threshold),
        Case("t = 0 changes nothing", (np.array([-1.0, 0.0, 2.5]), 0.0), _judge_soft_threshold),
        Case("everything below the threshold", (np.array([0.1, -0.3, 0.29]), 0.3), _judge_soft_threshold),
        Case("2-D weights", (np.array([[1.0, -4.0], [0.25, -0.1]]), 0.2), _judge_soft_threshold),
    ),
))


def _judge_ridge(got, args) -> None:
    X, y, alpha = (np.asarray(a, dtype=np.float64) for a in args)
    # Independent reference: ridge is least squares on X stacked over sqrt(alpha) I, y over zeros.
    A = np.vstack([X, np.sqrt(alpha) * np.eye(X.shape[1])])
    b = np.concatenate([y, np.zeros(X.shape[1])])
    expect_array(got, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-6, atol=1e-9)


_R = np.random.default_rng(5)
_X_TALL, _Y_TALL = _R.normal(size=(30, 4)), _R.normal(size=30)
_X_WIDE, _Y_WIDE = _R.normal(size=(5, 8)), _R.normal(size=5)

register(Exercise(
    id="5.2",
    title="ridge regression in closed form",
    function="ridge_closed_form",
    params=("X", "y", "alpha"),
    cases=(
        Case("30 samples, 4 features, alpha = 3", (_X_TALL, _Y_TALL, 3.0), _judge_ridge),
        Case("alpha = 0 is least squares", (_X_TALL, _Y_TALL, 0.0), _judge_ridge),
        Case("more features than samples", (_X_WIDE, _Y_WIDE, 0.5), _judge_ridge),
        Case("a very strong penalty", (_X_TALL, 100.0 * _Y_TALL, 1e6), _judge_ridge),
        Case("one feature", (np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 4.0, 7.0]), 2.0), _judge_ridge),
    ),
    question=(
        'What is the closed form, why does it exist for d > n, and which alpha matches the '
        "chapter's convention MSE + lambda |w|^2?"
    ),
))


def _judge_dropout(got, args) -> None:
    h, mask, p = args
    h, kept = np.asarray(h, dtype=np.float64), np.asarray(mask, dtype=bool)
    expect_array(got, np.where(kept, h / (1.0 - p), 0.0))


register(Exercise(
    id="5.3",
    title="inverted dropout",
    function="inverted_dropout",
    params=("h", "mask", "p"),
    cases=(
        Case("p = 0.5", (np.array([1.0, -2.0, 3.0, 4.0]), np.array([1, 0, 1, 0]), 0.5), _judge_dropout),
        Case("p = 0 keeps everything", (np.array([0.5, 1.5]), np.array([1, 1]), 0.0), _judge_dropout),
        Case("p = 0.2, 2-D, boolean mask", (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                                           np.array([[True, False, True], [True, True, False]]), 0.2),
             _judge_dropout),
        Case("p = 0.9", (np.array([0.3, 0.6, 0.9]), np.array([0, 0, 1]), 0.9), _judge_dropout),
        Case("p = 1 is not allowed", (np.array([1.0, 2.0]), np.array([0, 0]), 1.0), raises=ValueError),
    ),
))


def _judge_ista_step(got, args) -> None:
    X, y, w, alpha, lr = args
    X, y, w = (np.asarray(a, dtype=np.float64) for a in (X, y, w))
    # gradient of 1/(2n) |y - Xw|^2 = 1/2 mse, by the chain rule through y_hat = Xw
    grad = 0.5 * X.T @ mse_grad(y, X @ w)
    expect_array(got, soft_threshold(w - lr * grad, lr * alpha))


_X_ISTA = _R.normal(size=(20, 3))
_Y_ISTA = _X_ISTA @ np.array([2.0, 0.0, -1.0]) + 0.1 * _R.normal(size=20)

register(Exercise(
    id="5.4",
    title="one ISTA step for the lasso",
    function="ista_step",
    params=("X", "y", "w", "alpha", "lr"),
    cases=(
        Case("from zero", (_X_ISTA, _Y_ISTA, np.zeros(3), 0.1, 0.5), _judge_ista_step),
        Case("from a nonzero start", (_X_ISTA, _Y_ISTA, np.array([1.0, 0.5, -0.5]), 0.3, 0.2),
             _judge_ista_step),
        Case("alpha = 0 is a gradient step", (_X_ISTA, _Y_ISTA, np.array([0.5, 0.5, 0.5]), 0.0, 0.3),
             _judge_ista_step),
        Case("a strong penalty zeroes everything", (_X_ISTA, _Y_ISTA, np.array([0.1, -0.1, 0.2]), 50.0, 0.5),
             _judge_ista_step),
        Case("two samples", (np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([1.0, 0.0]), np.array([0.2, 0.4]),
                             0.05, 0.1), _judge_ista_step),
    ),
))


def _judge_map_strengths(got, args) -> None:
    sigma, tau, b, n = args
    # -log posterior = |y - Xw|^2 / (2 sigma^2) + |w|^2 / (2 tau^2): times 2 sigma^2 it is Ridge's objective;
    # with |w|_1 / b instead, times sigma^2 / n it is Lasso's 1/(2n) |y - Xw|^2 + alpha |w|_1
    expect_numbers(got, {"Ridge alpha": sigma**2 / tau**2, "Lasso alpha": sigma**2 / (n * b)}, rtol=1e-10)


register(Exercise(
    id="5.5",
    title="penalty strengths from priors",
    function="map_strengths",
    params=("sigma", "tau", "b", "n"),
    cases=(
        Case("the diabetes values of the chapter", (54.0, 5.0, 5.0, 442), _judge_map_strengths),
        Case("unit noise and priors", (1.0, 1.0, 1.0, 10), _judge_map_strengths),
        Case("a vague prior", (2.0, 100.0, 100.0, 50), _judge_map_strengths),
        Case("noisy data, tight prior", (10.0, 0.5, 0.25, 1000), _judge_map_strengths),
    ),
))
