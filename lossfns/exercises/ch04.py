"""Checkers for the exercises of chapter 4 (Deep-learning losses)."""
from __future__ import annotations

import numpy as np

from lossfns.exercises._core import Case, Exercise, expect_array, expect_number, register
from lossfns.gradcheck import numerical_grad
from lossfns.probabilistic import gaussian_nll
from lossfns.segmentation import dice
from lossfns.sequence import ctc


def _judge_soft_dice(got, args) -> None:
    y_true, y_pred, smooth = args
    expect_array(got, dice(y_true, y_pred, smooth=smooth, reduction="none"))


def _soft_dice_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(41)
    masks = (rng.uniform(size=(3, 6, 6)) < 0.2).astype(float)
    soft = rng.uniform(size=(3, 6, 6))
    big_and_small_true = np.zeros((2, 10, 10))
    big_and_small_true[0, :6, :6] = 1.0  # 36 pixels, found
    big_and_small_true[1, 4:6, 4:6] = 1.0  # 4 pixels, missed
    big_and_small_pred = np.zeros((2, 10, 10))
    big_and_small_pred[0, :6, :6] = 0.9
    big_and_small_pred[1, 0, :4] = 0.9
    return (
        Case("two items by hand", (np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0]]),
                                   np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]), 1.0), _judge_soft_dice),
        Case("soft predictions on 6x6 images", (masks, soft, 1.0), _judge_soft_dice),
        Case("a large and a small object", (big_and_small_true, big_and_small_pred, 1.0), _judge_soft_dice),
        Case("empty mask predicted empty", (np.zeros((2, 3)), np.zeros((2, 3)), 1.0), _judge_soft_dice),
        Case("no smoothing", (masks, soft, 0.0), _judge_soft_dice),
        Case("one item, smooth = 5", (masks[:1], soft[:1], 5.0), _judge_soft_dice),
    )


register(Exercise(
    id="4.1",
    title="soft Dice loss per item",
    function="soft_dice",
    params=("y_true", "y_pred", "smooth"),
    cases=_soft_dice_cases(),
))


def _kl_full_covariance(mu_q, log_var_q, mu_p, log_var_p) -> np.ndarray:
    """KL(N(mu_q, S_q) || N(mu_p, S_p)) per row from the general formula with full matrices.

    0.5 * (tr(S_p^-1 S_q) + (mu_p - mu_q)^T S_p^-1 (mu_p - mu_q) - d + log det S_p - log det S_q),
    evaluated with np.linalg.solve and np.linalg.slogdet on the diagonal covariance matrices:
    an independent route to the closed form of the diagonal case.
    """
    rows = []
    for mq, lq, mp, lp in zip(*(np.atleast_2d(a) for a in (mu_q, log_var_q, mu_p, log_var_p)), strict=True):
        cov_q, cov_p = np.diag(np.exp(lq)), np.diag(np.exp(lp))
        diff = mp - mq
        trace = np.trace(np.linalg.solve(cov_p, cov_q))
        mahalanobis = diff @ np.linalg.solve(cov_p, diff)
        logdet_p, logdet_q = np.linalg.slogdet(cov_p)[1], np.linalg.slogdet(cov_q)[1]
        rows.append(0.5 * (trace + mahalanobis - mq.size + logdet_p - logdet_q))
    return np.array(rows)


def _judge_gaussian_kl(got, args) -> None:
    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    expect_array(got, _kl_full_covariance(*arrays), rtol=1e-9)


def _gaussian_kl_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(42)
    zeros = np.zeros((2, 3))
    mu_q, lv_q, mu_p, lv_p = (rng.normal(size=(5, 4)) for _ in range(4))
    return (
        Case("two equal distributions", (zeros + 0.5, zeros - 1.0, zeros + 0.5, zeros - 1.0), _judge_gaussian_kl),
        Case("against the standard normal prior", (np.array([[1.0, -2.0]]), np.array([[0.5, -1.0]]),
                                                   np.zeros((1, 2)), np.zeros((1, 2))), _judge_gaussian_kl),
        Case("same means, different variances", (zeros, np.array([[-3.0, -1.0, 0.0], [1.0, 2.5, 0.2]]),
                                                 zeros, np.array([[0.0, 1.0, -2.0], [-1.0, 0.5, 0.2]])),
             _judge_gaussian_kl),
        Case("random batch of 5, latent size 4", (mu_q, lv_q, mu_p, lv_p), _judge_gaussian_kl),
        Case("the reverse direction", (mu_p, lv_p, mu_q, lv_q), _judge_gaussian_kl),
        Case("latent size 1", (np.array([[0.5], [-1.5]]), np.array([[0.2], [-0.7]]),
                               np.array([[2.0], [0.0]]), np.array([[1.0], [-2.0]])), _judge_gaussian_kl),
    )


register(Exercise(
    id="4.2",
    title="KL divergence between two diagonal Gaussians",
    function="gaussian_kl",
    params=("mu_q", "log_var_q", "mu_p", "log_var_p"),
    cases=_gaussian_kl_cases(),
))


def _judge_alignments(got, args) -> None:
    labels, T = args
    C = max(labels) + 1  # classes: the blank 0 and the labels
    # With every class equally likely, p(labels) = (number of alignments) / C^T, and p(labels) is
    # exp(-CTC loss); lf.ctc computes it by the forward algorithm, without enumerating any path.
    log_probs = np.full((T, 1, C), -np.log(C))
    loss = ctc([labels], log_probs, [T], [len(labels)], reduction="sum")
    expect_number(got, float(np.rint(C**T * np.exp(-loss))), rtol=0.0, atol=0.5)


register(Exercise(
    id="4.3",
    title="counting CTC alignments",
    function="count_alignments",
    params=("labels", "T"),
    cases=(
        Case("one label, two frames", ([1], 2), _judge_alignments),
        Case("two different labels, four frames", ([1, 2], 4), _judge_alignments),
        Case("a repeated label needs a blank", ([1, 1], 3), _judge_alignments),
        Case("too few frames for the repeat", ([2, 2], 2), _judge_alignments),
        Case("three labels with a repeat, seven frames", ([3, 1, 1], 7), _judge_alignments),
        Case("one frame per label, no room for blanks", ([1, 2, 3], 3), _judge_alignments),
        Case("a long input", ([2, 1, 2, 3], 12), _judge_alignments),
    ),
))


def _judge_td0(got, args) -> None:
    V, s, r, s_next, alpha, gamma = args
    V = np.asarray(V, dtype=np.float64)
    target = r + gamma * V[s_next]  # held fixed: the semi-gradient of TD(0)

    def td_loss(v):
        return 0.5 * (target - v[s]) ** 2

    # one gradient-descent step of size alpha on the TD loss, by finite differences
    expect_array(got, V - alpha * numerical_grad(td_loss, V), rtol=1e-7, atol=1e-9)


register(Exercise(
    id="4.4",
    title="one TD(0) update",
    function="td0_update",
    params=("V", "s", "r", "s_next", "alpha", "gamma"),
    cases=(
        Case("random walk, middle state", (np.array([0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0]), 3, 0.0, 4, 0.1, 1.0),
             _judge_td0),
        Case("step into the rewarding terminal", (np.array([0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.0]), 5, 1.0, 6, 0.1, 1.0),
             _judge_td0),
        Case("discounted", (np.array([1.0, 2.0, 3.0]), 0, 0.5, 2, 0.5, 0.9), _judge_td0),
        Case("gamma = 0: the target is the reward", (np.array([1.0, 2.0, 3.0]), 1, -1.0, 2, 0.25, 0.0), _judge_td0),
        Case("a self-loop", (np.array([0.3, 0.8]), 1, 0.5, 1, 0.2, 0.9), _judge_td0),
    ),
))


def _judge_uncertainty(got, args) -> None:
    losses, log_vars = args
    L, s = np.asarray(losses, dtype=np.float64), np.asarray(log_vars, dtype=np.float64)
    # 0.5 exp(-s) L + 0.5 s is the Gaussian NLL (without its constant) of a residual sqrt(L) with variance exp(s)
    reference = gaussian_nll(np.sqrt(L), np.zeros_like(L), np.exp(s), reduction="sum")
    expect_number(got, reference)


register(Exercise(
    id="4.5",
    title="uncertainty-weighted multi-task loss",
    function="uncertainty_weighted",
    params=("losses", "log_vars"),
    cases=(
        Case("log-variances 0: half the sum", (np.array([2.0, 0.5]), np.zeros(2)), _judge_uncertainty),
        Case("one task", (np.array([3.0]), np.array([1.0])), _judge_uncertainty),
        Case("confident and unsure tasks", (np.array([0.2, 4.0]), np.array([-2.0, 1.5])), _judge_uncertainty),
        Case("three tasks", (np.array([1.0, 0.05, 10.0]), np.array([0.0, -3.0, 2.3])), _judge_uncertainty),
        Case("at the optimum s = log L", (np.array([0.5, 2.0]), np.log([0.5, 2.0])), _judge_uncertainty),
    ),
    question='Why can the checker evaluate the uncertainty-weighted loss with lf.gaussian_nll?',
))
