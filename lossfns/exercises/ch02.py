"""Checkers for the exercises of chapter 2 (Regression losses)."""
from __future__ import annotations

import numpy as np

from lossfns.exercises._core import Case, CaseFailed, Exercise, _as_number, _fmt, expect_array, expect_number, register
from lossfns.gradcheck import numerical_grad
from lossfns.regression import huber, huber_grad, poisson_nll, quantile, tukey_grad


def _judge_huber(got, args) -> None:
    y_true, y_pred, delta = args
    expect_number(got, huber(y_true, y_pred, delta=delta))


register(Exercise(
    id="2.1",
    title="Huber loss by hand",
    function="huber_by_hand",
    params=("y_true", "y_pred", "delta"),
    cases=(
        Case("small errors only", ([0.0, 0.0, 0.0], [0.5, -0.2, 0.1], 1.0), _judge_huber),
        Case("large errors only", ([0.0, 0.0], [3.0, -5.0], 1.0), _judge_huber),
        Case("mixed, delta = 2", ([1.0, 2.0, 3.0, 4.0], [1.5, 5.0, 3.0, -1.0], 2.0), _judge_huber),
        Case("errors exactly delta", ([0.0, 0.0], [0.5, -0.5], 0.5), _judge_huber),
        Case("2-D arrays, delta = 0.1", (np.array([[0.0, 1.0], [2.0, 3.0]]),
                                         np.array([[0.05, 1.5], [1.0, 3.0]]), 0.1), _judge_huber),
        Case("huge error", ([0.0, 0.0], [1e200, 0.0], 1.0), _judge_huber),
    ),
))


def _judge_pinball_grad(got, args) -> None:
    y_true, y_pred, q = args
    y = np.asarray(y_true, dtype=np.float64)
    # central differences of the package's loss; no case has a residual of 0 (the kink)
    reference = numerical_grad(lambda p: quantile(y, p, q=q), np.asarray(y_pred, dtype=np.float64))
    expect_array(got, reference, rtol=1e-6, atol=1e-9)


register(Exercise(
    id="2.2",
    title="gradient of the pinball loss",
    function="pinball_grad",
    params=("y_true", "y_pred", "q"),
    cases=(
        Case("q = 0.9, both sides", (np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.5, 4.0]), 0.9),
             _judge_pinball_grad),
        Case("q = 0.1, both sides", (np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 1.0, 1.0, 5.0]), 0.1),
             _judge_pinball_grad),
        Case("q = 0.5 (half the MAE gradient)", (np.array([0.0, 0.0]), np.array([-1.0, 2.0]), 0.5),
             _judge_pinball_grad),
        Case("all predictions too low", (np.array([5.0, 6.0, 7.0, 8.0, 9.0]), np.zeros(5), 0.25),
             _judge_pinball_grad),
        Case("2-D arrays", (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.5, 1.0], [3.5, 3.0]]), 0.8),
             _judge_pinball_grad),
    ),
))


def _judge_best_constant(got, args) -> None:
    y, q = args
    y = np.asarray(y, dtype=np.float64)
    c = _as_number(got)
    # The mean pinball loss of a constant is convex and piecewise linear with kinks at the
    # targets, so its minimum is attained at one of them: an exact search over y.
    best = min(quantile(y, np.full(y.shape, v), q=q) for v in y)
    have = quantile(y, np.full(y.shape, c), q=q)
    if not have <= best * (1 + 1e-9) + 1e-12:
        raise CaseFailed(f"expected a constant with mean pinball loss {best:.6g}, "
                         f"but c = {_fmt(c)} has loss {have:.6g}")


register(Exercise(
    id="2.3",
    title="best constant under the pinball loss",
    function="best_constant",
    params=("y", "q"),
    cases=(
        Case("median of an odd sample", (np.array([3.0, 1.0, 2.0, 10.0, 4.0]), 0.5), _judge_best_constant),
        Case("q = 0.3, between two targets", (np.array([1.0, 2.0, 3.0, 4.0, 10.0]), 0.3), _judge_best_constant),
        Case("q = 0.9, skewed sample", (np.array([1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 9.0, 15.0, 40.0, 41.0]),
                                        0.9), _judge_best_constant),
        Case("q = 0.05, with ties", (np.array([7.0, 3.0, 3.0, 3.0, 5.0, 8.0, 1.0, 9.0, 2.0, 6.0, 4.0, 4.0,
                                               10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0,
                                               20.0]), 0.05), _judge_best_constant),
        Case("q = 0.75, even sample", (np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0]), 0.75),
             _judge_best_constant),
    ),
    question=(
        'At which sorted target does the slope of the mean pinball loss change sign, and why is '
        "NumPy's default np.quantile not always a minimiser?"
    ),
))


def _judge_poisson(got, args) -> None:
    y_true, log_rate = args
    expect_number(got, poisson_nll(y_true, log_rate, log_input=True))


register(Exercise(
    id="2.4",
    title="Poisson NLL by hand (log-rate input)",
    function="poisson_nll_by_hand",
    params=("y_true", "log_rate"),
    cases=(
        Case("small counts", ([0.0, 1.0, 2.0], [0.0, 0.5, 1.0]), _judge_poisson),
        Case("negative log rates", ([0.0, 0.0, 3.0], [-2.0, -0.5, -1.0]), _judge_poisson),
        Case("large counts", ([50.0, 120.0], [4.0, 4.5]), _judge_poisson),
        Case("2-D arrays", (np.array([[0.0, 1.0], [4.0, 2.0]]), np.array([[0.1, -0.3], [1.2, 0.7]])),
             _judge_poisson),
        Case("single element", ([5.0], [2.0]), _judge_poisson),
    ),
))


def _judge_tukey_weights(got, args) -> None:
    r, c = args
    r = np.asarray(r, dtype=np.float64)
    psi = tukey_grad(np.zeros_like(r), r, c=c, reduction="none")
    safe = np.where(r == 0.0, 1.0, r)
    # weight psi(r) / r, with its limit 1 at r = 0 (psi(r) ~ r near 0)
    expect_array(got, np.where(r == 0.0, 1.0, psi / safe))


register(Exercise(
    id="2.5",
    title="IRLS weights of Tukey's biweight",
    function="tukey_weights",
    params=("r", "c"),
    cases=(
        Case("inside the rejection point", (np.array([-2.0, -0.5, 1.0, 3.0]), 4.685), _judge_tukey_weights),
        Case("beyond the rejection point", (np.array([-10.0, 5.0, 100.0]), 4.685), _judge_tukey_weights),
        Case("a zero residual", (np.array([0.0, 1.0, -1.0]), 2.0), _judge_tukey_weights),
        Case("mixed, c = 1", (np.array([-1.5, -0.9, 0.2, 0.99, 1.01, 3.0]), 1.0), _judge_tukey_weights),
        Case("exactly c", (np.array([2.5, -2.5]), 2.5), _judge_tukey_weights),
    ),
))


def _judge_huber_location(got, args) -> None:
    y, delta = args
    y = np.asarray(y, dtype=np.float64)
    c = _as_number(got)
    # The mean Huber loss of a constant is convex and differentiable in c, so c minimises it exactly
    # when the derivative vanishes there (on a flat stretch every point does).
    slope = float(np.mean(huber_grad(y, np.full(y.shape, c), delta=delta, reduction="none")))
    if not abs(slope) <= 1e-9 * delta:
        raise CaseFailed(f"expected a constant at which the mean Huber loss has derivative 0, "
                         f"but at c = {_fmt(c)} its derivative is {slope:.3g}")


_SKEWED = np.round(np.random.default_rng(21).exponential(size=40), 3)  # a fixed right-skewed sample

register(Exercise(
    id="2.6",
    title="Huber location of a sample",
    function="huber_location",
    params=("y", "delta"),
    cases=(
        Case("symmetric sample", (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), 1.0), _judge_huber_location),
        Case("one outlier", (np.array([1.0, 2.0, 2.5, 4.0, 100.0]), 1.0), _judge_huber_location),
        Case("skewed sample, delta = 0.5", (_SKEWED, 0.5), _judge_huber_location),
        Case("delta larger than every residual", (np.array([0.0, 1.0, 5.0]), 10.0), _judge_huber_location),
        Case("two clusters (an interval minimises)", (np.array([0.0, 0.0, 10.0, 10.0]), 1.0),
             _judge_huber_location),
        Case("skewed sample, delta = 0.01", (_SKEWED, 0.01), _judge_huber_location),
        Case("a list far from 0", ([1000.0, 1001.0, 1003.0, 1010.0, 1030.0], 2.0), _judge_huber_location),
    ),
))
