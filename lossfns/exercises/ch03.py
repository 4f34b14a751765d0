"""Checkers for the exercises of chapter 3 (Classification losses)."""
from __future__ import annotations

import numpy as np

from lossfns.calibration import expected_calibration_error
from lossfns.classification import (
    binary_cross_entropy_grad,
    categorical_cross_entropy_grad,
    sparse_categorical_cross_entropy,
)
from lossfns.exercises._core import Case, Exercise, expect_array, expect_number, register
from lossfns.probabilistic import gaussian_nll_grad, kl_divergence
from lossfns.regression import poisson_nll_grad


def _judge_softmax_ce(got, args) -> None:
    labels, z = args
    expect_number(got, sparse_categorical_cross_entropy(labels, z, from_logits=True))


def _softmax_ce_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(31)
    z_small = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.2, 3.0], [0.0, 0.0, 0.0]])
    z_rand = rng.normal(scale=3.0, size=(6, 5))
    return (
        Case("three classes", (np.array([0, 1, 1, 2]), z_small), _judge_softmax_ce),
        Case("two classes", (np.array([1, 0]), np.array([[0.0, 0.0], [2.0, -1.0]])), _judge_softmax_ce),
        Case("one row", (np.array([3]), np.array([[1.0, 2.0, 3.0, 4.0]])), _judge_softmax_ce),
        Case("random logits, 5 classes", (rng.integers(0, 5, size=6), z_rand), _judge_softmax_ce),
        Case("every logit shifted by +1000", (np.array([0, 1, 1, 2]), z_small + 1000.0), _judge_softmax_ce),
        Case("logits of +-1e4", (np.array([0, 1]), np.array([[1e4, -1e4], [1e4, -1e4]])), _judge_softmax_ce),
    )


register(Exercise(
    id="3.1",
    title="softmax cross-entropy from logits",
    function="softmax_cross_entropy",
    params=("labels", "z"),
    cases=_softmax_ce_cases(),
))


def _judge_softmax_ce_grad(got, args) -> None:
    y_onehot, z = args
    expect_array(got, categorical_cross_entropy_grad(y_onehot, z, from_logits=True), rtol=1e-7, atol=1e-12)


def _softmax_grad_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(32)
    eye = np.eye(4)
    z4 = rng.normal(size=(5, 4))
    soft = rng.dirichlet(np.ones(4), size=5)
    return (
        Case("one-hot rows", (eye[[0, 3, 1, 1, 2]], z4), _judge_softmax_ce_grad),
        Case("one row", (np.array([[0.0, 1.0, 0.0]]), np.array([[0.5, -1.0, 2.0]])), _judge_softmax_ce_grad),
        Case("soft targets (rows sum to 1)", (soft, z4), _judge_softmax_ce_grad),
        Case("two classes", (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 0.0], [3.0, -3.0]])),
             _judge_softmax_ce_grad),
        Case("every logit shifted by +1000", (eye[[0, 3, 1, 1, 2]], z4 + 1000.0), _judge_softmax_ce_grad),
        Case("logits of +-1e4", (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1e4, -1e4], [1e4, -1e4]])),
             _judge_softmax_ce_grad),
    )


register(Exercise(
    id="3.2",
    title="gradient of the softmax cross-entropy",
    function="softmax_cross_entropy_grad",
    params=("y_onehot", "z"),
    cases=_softmax_grad_cases(),
))


def _judge_kl(got, args) -> None:
    p, q = args
    expect_number(got, kl_divergence(p, q))  # every q in the cases is >= 1e-7, so nothing is clipped


def _kl_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(33)
    p = rng.dirichlet(np.ones(3), size=4)
    q = rng.dirichlet(np.ones(3), size=4)
    return (
        Case("two rows", (np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([[0.25, 0.75], [0.5, 0.5]])), _judge_kl),
        Case("a single distribution (1-D)", (np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.6, 0.3])), _judge_kl),
        Case("random rows", (p, q), _judge_kl),
        Case("p has zeros", (np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0]]),
                             np.array([[0.2, 0.4, 0.4], [0.7, 0.2, 0.1]])), _judge_kl),
        Case("q equals p", (p, p.copy()), _judge_kl),
        Case("one-hot p (the cross-entropy)", (np.eye(3)[[0, 2, 1]], q[:3]), _judge_kl),
    )


register(Exercise(
    id="3.3",
    title="KL divergence by hand",
    function="kl_divergence_by_hand",
    params=("p", "q"),
    cases=_kl_cases(),
    question=(
        "Which of the checker's cases would catch an implementation of KL(q || p) instead of KL(p "
        '|| q), and why does one of them not?'
    ),
))


def _judge_ece(got, args) -> None:
    y_true, p, n_bins = args
    expect_number(got, expected_calibration_error(y_true, p, n_bins=n_bins))


def _ece_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(34)
    p200 = rng.uniform(size=200)
    y200 = (rng.uniform(size=200) < p200**2).astype(float)  # over-confident predictions
    p_clustered = np.concatenate([rng.uniform(0.05, 0.1, size=20), rng.uniform(0.85, 0.9, size=30)])
    y_clustered = np.concatenate([np.zeros(18), np.ones(2), np.ones(20), np.zeros(10)])
    return (
        Case("two bins by hand", (np.array([0.0, 1.0, 1.0, 1.0]), np.array([0.2, 0.6, 0.7, 0.9]), 2), _judge_ece),
        Case("200 samples, 10 bins", (y200, p200, 10), _judge_ece),
        Case("empty bins", (y_clustered, p_clustered, 10), _judge_ece),
        Case("one bin", (np.array([1.0, 0.0, 0.0, 1.0, 1.0]), np.array([0.9, 0.4, 0.2, 0.6, 0.8]), 1), _judge_ece),
        Case("probabilities of 0 and 1", (np.array([0.0, 0.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.05, 1.0, 0.97, 1.0]),
                                          10), _judge_ece),
        Case("a value on a bin edge", (np.array([0.0, 1.0, 0.0, 0.0, 1.0]), np.array([0.3, 0.5, 0.6, 0.0, 1.0]), 4),
             _judge_ece),
    )


register(Exercise(
    id="3.4",
    title="expected calibration error",
    function="ece_by_hand",
    params=("y_true", "p", "n_bins"),
    cases=_ece_cases(),
))


def _platt_reference(scores, y) -> np.ndarray:
    """(a, b) minimising the mean log loss of sigmoid(a s + b), by Newton's method with step halving."""
    s, y = np.asarray(scores, dtype=float), np.asarray(y, dtype=float)
    design = np.column_stack([s, np.ones_like(s)])

    def loss(ab):
        z = design @ ab
        return np.mean(y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z))

    ab = np.array([0.0, np.log(y.mean() / (1 - y.mean()))])  # start at the base rate
    for _ in range(200):
        p = np.exp(-np.logaddexp(0.0, -(design @ ab)))
        step = np.linalg.solve(design.T * (p * (1 - p)) @ design, design.T @ (p - y))
        while loss(ab - step) > loss(ab) and np.abs(step).max() > 1e-15:
            step = step / 2
        ab = ab - step
        if np.abs(step).max() < 1e-13:
            break
    return ab


def _judge_platt(got, args) -> None:
    expect_array(got, _platt_reference(*args), rtol=1e-4, atol=1e-6)


def _platt_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(35)
    y40 = (rng.uniform(size=40) < 0.4).astype(float)
    s40 = 0.6 * (2 * y40 - 1) + rng.normal(size=40)            # overlapping SVM-like scores
    y300 = (rng.uniform(size=300) < 0.5).astype(float)
    s300 = rng.normal(size=300) + 0.8 * (2 * y300 - 1)
    return (
        Case("eight scores by hand", (np.array([-2.0, -1.0, -0.5, 0.2, -0.1, 0.5, 1.0, 2.5]),
                                      np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0])), _judge_platt),
        Case("40 overlapping scores", (s40, y40), _judge_platt),
        Case("300 scores", (s300, y300), _judge_platt),
        Case("scores shifted by +5", (s40 + 5.0, y40), _judge_platt),
        Case("scores squeezed by 1/10 (a large slope)", (s300 / 10.0, y300), _judge_platt),
        Case("rare positives", (s300, (s300 > 1.2).astype(float) * (rng.uniform(size=300) < 0.7)), _judge_platt),
    )


register(Exercise(
    id="3.5",
    title="Platt scaling by hand",
    function="platt_fit",
    params=("scores", "y"),
    cases=_platt_cases(),
))


def _judge_glm_grad(got, args) -> None:
    family, A, y, w = args
    eta = A @ w
    d_eta = {"gaussian": lambda: gaussian_nll_grad(y, eta, np.ones_like(eta))[0],
             "bernoulli": lambda: binary_cross_entropy_grad(y, eta, from_logits=True),
             "poisson": lambda: poisson_nll_grad(y, eta, log_input=True)}[family]()
    expect_array(got, A.T @ d_eta, rtol=1e-7, atol=1e-12)


def _glm_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(36)
    A = np.column_stack([np.ones(8), rng.normal(size=(8, 2))])
    w = np.array([0.3, -0.8, 0.5])
    A_big = np.column_stack([np.ones(50), rng.normal(size=(50, 4))])
    w_big = rng.normal(scale=0.5, size=5)
    return (
        Case("Gaussian, 8 samples", ("gaussian", A, rng.normal(size=8), w), _judge_glm_grad),
        Case("Bernoulli, 8 samples", ("bernoulli", A, rng.integers(0, 2, size=8).astype(float), w), _judge_glm_grad),
        Case("Poisson, 8 samples", ("poisson", A, rng.poisson(2.0, size=8).astype(float), w), _judge_glm_grad),
        Case("Bernoulli, 50 samples", ("bernoulli", A_big, rng.integers(0, 2, size=50).astype(float), w_big),
             _judge_glm_grad),
        Case("Poisson, 50 samples", ("poisson", A_big, rng.poisson(1.0, size=50).astype(float), w_big),
             _judge_glm_grad),
        Case("Bernoulli, two confident mistakes (logits +-1000)",
             ("bernoulli", np.array([[1.0, 10.0], [1.0, -10.0]]), np.array([0.0, 1.0]), np.array([0.0, 100.0])),
             _judge_glm_grad),
    )


register(Exercise(
    id="3.6",
    title="the canonical-link gradient of a linear model",
    function="glm_gradient",
    params=("family", "A", "y", "w"),
    cases=_glm_cases(),
))
