r"""Preference losses: learning from pairs "a person preferred this answer to that one".

Both losses are the logistic loss :math:`\log(1 + e^{-m})` of a difference
:math:`m`: of two rewards (the Bradley–Terry reward model of RLHF) or of two
log-probability ratios against a frozen reference model (direct preference
optimisation, DPO). Each element is one pair; ``"none"`` keeps the input's shape.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import check_in_range, check_scalar, prepare_arrays, reduce, reduce_grad
from lossfns.classification import _softplus
from lossfns.registry import LossRecord, register

_CHAPTER = "09_modern_losses"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    r""":math:`1/(1 + e^{-z})` without overflow: :math:`e^{-\operatorname{softplus}(-z)}`."""
    return np.exp(-_softplus(-z))


def _logistic(margin: np.ndarray) -> np.ndarray:
    r""":math:`\log(1 + e^{-m})`, exact for large :math:`|m|`; an infinite margin (the difference of two
    numbers near the float limit) gives 0 or inf, as the limit does."""
    with np.errstate(invalid="ignore"):
        return _softplus(-margin)


# --- Bradley–Terry ----------------------------------------------------------------


def _bt(fn, r_chosen, r_rejected, reduction):
    rc, rr = prepare_arrays(fn, reduction, {"r_chosen": r_chosen, "r_rejected": r_rejected})
    with np.errstate(over="ignore"):
        return rc - rr


def bradley_terry(
    r_chosen: ArrayLike, r_rejected: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
):
    r"""Bradley–Terry loss of a reward model: minus the log-probability that the chosen answer wins.

    .. math::

        \ell_i = -\log \sigma(r^{\mathrm{c}}_i - r^{\mathrm{r}}_i) = \log\bigl(1 + e^{-(r^{\mathrm{c}}_i
        - r^{\mathrm{r}}_i)}\bigr)

    The Bradley–Terry model says answer A beats answer B with probability
    :math:`\sigma(r_A - r_B)`; fitting it by maximum likelihood is binary
    cross-entropy with label 1 on the reward difference. Only differences
    matter: adding a constant to every reward changes nothing, so a reward
    model's scale and offset are not identified by the data.

    Parameters
    ----------
    r_chosen : array_like, any shape
        Rewards :math:`r^{\mathrm{c}}` of the preferred answers.
    r_rejected : array_like, same shape as ``r_chosen``
        Rewards :math:`r^{\mathrm{r}}` of the answers they were preferred to.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the pairs, ``"sum"`` adds them, ``"none"``
        returns :math:`\ell` shaped like ``r_chosen``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like
        ``r_chosen`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, an input is empty or holds NaN/inf, or
        ``reduction`` is unknown.

    Notes
    -----
    PyTorch and Keras have no such loss; in PyTorch it is
    ``-F.logsigmoid(r_chosen - r_rejected).mean()``, or
    ``F.binary_cross_entropy_with_logits(r_chosen - r_rejected, ones)``
    (tests/test_preference.py compares values and gradients).
    ``F.margin_ranking_loss`` is the hinge on the same difference, not this.

    References
    ----------
    R. A. Bradley and M. E. Terry, "Rank Analysis of Incomplete Block Designs:
    I. The Method of Paired Comparisons", *Biometrika* 39 (1952); L. Ouyang et
    al., "Training language models to follow instructions with human
    feedback", NeurIPS (2022).

    Examples
    --------
    >>> bradley_terry([1.0, 0.0], [0.0, 0.0], reduction="none").round(4)
    array([0.3133, 0.6931])
    """
    return reduce(_logistic(_bt("bradley_terry", r_chosen, r_rejected, reduction)), reduction,
                  sample_weight, fn="bradley_terry")


def bradley_terry_grad(
    r_chosen: ArrayLike, r_rejected: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
) -> tuple[np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`bradley_terry`: :math:`-\sigma(r^{\mathrm{r}} - r^{\mathrm{c}})` and its negative.

    The pull on both rewards is the probability that the model ranks the
    pair the wrong way round; it vanishes once the chosen answer is far ahead.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d_r_chosen, d_r_rejected)``, each shaped like ``r_chosen``.

    Examples
    --------
    >>> bradley_terry_grad([0.0], [0.0], reduction="sum")
    (array([-0.5]), array([0.5]))
    """
    margin = _bt("bradley_terry_grad", r_chosen, r_rejected, reduction)
    wrong = reduce_grad(_sigmoid(-margin), reduction, margin.size, owned=True,
                        sample_weight=sample_weight, fn="bradley_terry_grad")
    return -wrong, wrong.copy()


# --- DPO --------------------------------------------------------------------------


_LOGP_WHY = " (log-probabilities of whole responses)"


def _dpo(fn, policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta, reduction):
    names = ("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected")
    arrays = prepare_arrays(fn, reduction, dict(zip(names, (policy_chosen, policy_rejected, ref_chosen,
                                                             ref_rejected), strict=True)))
    for name, arr in zip(names, arrays, strict=True):
        check_in_range(fn, name, arr, high=0.0, why=_LOGP_WHY)
    beta = check_scalar(fn, "beta", beta, low=0.0, low_open=True)
    pc, pr, rc, rr = arrays
    with np.errstate(over="ignore", invalid="ignore"):
        margin = beta * ((pc - rc) - (pr - rr))  # each ratio first: they are small differences of large numbers
    return margin, beta


def dpo(
    policy_chosen: ArrayLike,
    policy_rejected: ArrayLike,
    ref_chosen: ArrayLike,
    ref_rejected: ArrayLike,
    *,
    beta: float = 0.1,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Direct preference optimisation: a logistic loss on the difference of two log-probability ratios.

    .. math::

        \ell_i = -\log \sigma\Bigl(\beta\bigl[(\log\pi(y^{\mathrm{c}}_i) - \log\pi_{\mathrm{ref}}(y^{\mathrm{c}}_i))
        - (\log\pi(y^{\mathrm{r}}_i) - \log\pi_{\mathrm{ref}}(y^{\mathrm{r}}_i))\bigr]\Bigr)

    DPO is the Bradley–Terry loss with the reward
    :math:`r(y) = \beta \log(\pi(y)/\pi_{\mathrm{ref}}(y))`: the reward that
    the KL-regularised objective :math:`\max_\pi \mathbb{E}[r] - \beta\,
    \mathrm{KL}(\pi \,\|\, \pi_{\mathrm{ref}})` implies for its optimal
    policy. The policy is trained directly; the reference model is frozen
    and only enters through its log-probabilities. A small :math:`\beta`
    needs a large change of the ratios to reach the same loss, so the policy
    moves far from the reference; a large :math:`\beta` keeps it close.

    Parameters
    ----------
    policy_chosen : array_like, any shape
        :math:`\log\pi(y^{\mathrm{c}})`, the trained policy's log-probability
        of each preferred response (a sum over its tokens), :math:`\le 0`.
    policy_rejected : array_like, same shape
        :math:`\log\pi(y^{\mathrm{r}})` of the dispreferred responses.
    ref_chosen : array_like, same shape
        :math:`\log\pi_{\mathrm{ref}}(y^{\mathrm{c}})` under the frozen reference model.
    ref_rejected : array_like, same shape
        :math:`\log\pi_{\mathrm{ref}}(y^{\mathrm{r}})`.
    beta : float, default 0.1
        :math:`\beta > 0`, the strength of the implicit KL penalty.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the pairs, ``"sum"`` adds them, ``"none"``
        returns :math:`\ell` shaped like ``policy_chosen``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like
        ``policy_chosen`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, an input is empty, holds NaN/inf or a positive
        value (a log-probability is at most 0), ``reduction`` is unknown or
        ``beta <= 0``.

    Notes
    -----
    PyTorch and Keras have no such loss; in PyTorch it is
    ``-F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()``, as in the
    authors' code (tests/test_preference.py compares values and gradients).
    Each log-ratio is formed before the two are subtracted: the four
    log-probabilities of long responses are large (:math:`-10^3`) while the
    ratios are small. At the start of training the policy is the reference,
    every margin is 0 and the loss is :math:`\log 2` whatever :math:`\beta`.

    References
    ----------
    R. Rafailov, A. Sharma, E. Mitchell, S. Ermon, C. D. Manning and C. Finn,
    "Direct Preference Optimization: Your Language Model is Secretly a Reward
    Model", NeurIPS (2023).

    Examples
    --------
    >>> dpo([-10.0], [-12.0], [-10.0], [-12.0])  # the policy is the reference: log 2
    np.float64(0.6931471805599453)
    >>> float(dpo([-9.0], [-13.0], [-10.0], [-12.0], beta=0.5).round(4))  # both ratios moved the right way
    0.3133
    """
    margin, _ = _dpo("dpo", policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta, reduction)
    return reduce(_logistic(margin), reduction, sample_weight, fn="dpo")


def dpo_grad(
    policy_chosen: ArrayLike,
    policy_rejected: ArrayLike,
    ref_chosen: ArrayLike,
    ref_rejected: ArrayLike,
    *,
    beta: float = 0.1,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`dpo` with respect to the policy's two log-probabilities.

    :math:`\partial\ell/\partial\log\pi(y^{\mathrm{c}}) = -\beta\,\sigma(-m)` and
    :math:`\partial\ell/\partial\log\pi(y^{\mathrm{r}}) = +\beta\,\sigma(-m)` with
    :math:`m` the scaled margin: each pair is weighted by how wrongly the
    implicit reward ranks it. The reference model is frozen, so it gets no
    gradient.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d_policy_chosen, d_policy_rejected)``, each shaped like ``policy_chosen``.

    Examples
    --------
    >>> dpo_grad([-10.0], [-12.0], [-10.0], [-12.0], reduction="sum")
    (array([-0.05]), array([0.05]))
    """
    margin, beta = _dpo("dpo_grad", policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta, reduction)
    pull = reduce_grad(beta * _sigmoid(-margin), reduction, margin.size, owned=True,
                       sample_weight=sample_weight, fn="dpo_grad")
    return -pull, pull.copy()


register(LossRecord(
    name="bradley_terry", family="preference", task="reward models from pairwise preferences (RLHF)",
    formula=r"\log\bigl(1 + e^{-(r^{\mathrm{c}} - r^{\mathrm{r}})}\bigr)",
    gradient=r"\frac{\partial \ell}{\partial r^{\mathrm{c}}} = -\sigma(r^{\mathrm{r}} - r^{\mathrm{c}})",
    convex=True, differentiable=True, robust=False,
    fn=bradley_terry, grad=bradley_terry_grad, inputs="reward_pairs", chapter=_CHAPTER, reference="bradley1952",
    zero_at_perfect=False,
    minimiser=r"a reward difference $r^{\mathrm{c}} - r^{\mathrm{r}} = \log\frac{P(\mathrm{c} \succ \mathrm{r})}"
              r"{1 - P(\mathrm{c} \succ \mathrm{r})}$, the log-odds that the first answer is preferred",
))

register(LossRecord(
    name="dpo", family="preference", task="preference tuning of a language model without a reward model",
    formula=r"-\log\sigma\Bigl(\beta\Bigl[\log\frac{\pi(y^{\mathrm{c}})}{\pi_{\mathrm{ref}}(y^{\mathrm{c}})} - "
            r"\log\frac{\pi(y^{\mathrm{r}})}{\pi_{\mathrm{ref}}(y^{\mathrm{r}})}\Bigr]\Bigr)",
    gradient=r"\frac{\partial \ell}{\partial \log\pi(y^{\mathrm{c}})} = -\beta\,\sigma(-m),\quad m = "
             r"\beta\Bigl[\log\frac{\pi(y^{\mathrm{c}})}{\pi_{\mathrm{ref}}(y^{\mathrm{c}})} - "
             r"\log\frac{\pi(y^{\mathrm{r}})}{\pi_{\mathrm{ref}}(y^{\mathrm{r}})}\Bigr]",
    convex=True, differentiable=True, robust=False,
    fn=dpo, grad=dpo_grad, inputs="preference_logps", chapter=_CHAPTER, reference="rafailov2023",
    params={"beta": 0.1}, zero_at_perfect=False,
    minimiser=r"log-ratios whose scaled difference $m$ is the log-odds of the preference: the policy "
              r"$\pi \propto \pi_{\mathrm{ref}}\, e^{r/\beta}$ for the Bradley–Terry reward $r$",
))
