r"""Pool-based active learning: which unlabelled points are worth a label?

A learner holds a small labelled set and a large *pool* of unlabelled
points. Each round it fits a model, scores every pool point with a *query
strategy*, asks an oracle for the labels of the ``batch_size`` best points and
moves them into the labelled set (Settles, 2009). This module has

* **scores** computed from predicted probabilities ``P`` of shape ``(n, k)``,
  where a higher score means "more informative, query first":
  :func:`least_confidence`, :func:`margin`, :func:`entropy`, and for a
  committee of models, ``committee_P`` of shape ``(m, n, k)``:
  :func:`vote_entropy`, :func:`mean_kl`;
* :func:`k_center_greedy`, a diversity criterion that needs no model;
* :func:`query`, which applies one of the :data:`STRATEGIES` to a pool;
* :func:`run`, the loop that returns a learning curve, and :func:`compare`,
  which runs several strategies over several seeds;
* :func:`pseudo_label` and :func:`self_training`, the semi-supervised
  counterpart: let the model label the points it is sure about itself.

**Models** come from a *model factory*: a zero-argument callable that returns
a fresh, unfitted estimator with ``fit(X, y)`` and ``predict_proba(X)``, e.g.
``lambda: LogisticRegression(max_iter=200)`` or
``lambda: lossfns.torch.TorchClassifier()``. A fresh model per fit keeps the
rounds independent. When the labelled set lacks some classes (a cold
start), the model knows fewer classes than the task has; its probability
columns are placed under the task's ``classes`` by the model's
``classes_`` attribute and the missing classes get probability 0.

Only NumPy is imported; the estimators bring their own libraries.

References
----------
B. Settles, "Active Learning Literature Survey", Computer Sciences Technical
Report 1648, University of Wisconsin-Madison (2009).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import (
    as_float_array,
    check_int,
    check_rows_sum_to_one,
    check_scalar,
    check_seed,
)
from lossfns.classification import sparse_categorical_cross_entropy

__all__ = [
    "STRATEGIES", "ActiveResult", "Curves", "SelfTrainingResult", "compare", "entropy", "k_center_greedy",
    "labels_to_reach", "least_confidence", "margin", "mean_kl", "pseudo_label", "query", "run", "self_training",
    "vote_entropy",
]

STRATEGIES = (
    "random", "least_confidence", "margin", "entropy", "qbc_vote_entropy", "qbc_kl",
    "expected_error_reduction", "k_center", "entropy_k_center",
)
"""Names accepted by :func:`query`, :func:`run` and :func:`compare`."""

QUERY_OPTIONS = ("committee_size", "eer_candidates", "eer_loss", "eer_min_prob", "shortlist_factor")
"""Keyword options of :func:`query` that :func:`run` and :func:`compare` pass through."""

EER_LOSSES = ("log", "zero_one")
"""Losses that expected error reduction can estimate: expected log-loss or expected 0-1 loss."""


# --- validation ---------------------------------------------------------------------------


def _features(fn: str, name: str, X, *, n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite float64 array of shape ``(n, d)``, ``d == n_features`` when given."""
    arr = as_float_array(X, fn=fn, name=name)
    if arr.ndim != 2:
        raise ValueError(f"{fn}: {name} must be 2-D with shape (n_samples, n_features), got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{fn}: {name} has {arr.shape[1]} feature(s) but X_pool has {n_features}")
    return arr


def _targets(fn: str, name: str, y, n: int, x_name: str) -> np.ndarray:
    """Labels of shape ``(n,)``, one per row of ``x_name``; any sortable labels (ints, strings)."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{fn}: {name} must have shape ({n},), one label per row of {x_name}, got shape {arr.shape}")
    return arr


def _positions(fn: str, name: str, values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Column of each value in ``classes`` (int64); a value that is not a class is a ``ValueError``."""
    sorter = np.argsort(classes, kind="stable")
    where = np.clip(np.searchsorted(classes, values, sorter=sorter), 0, classes.size - 1)
    pos = sorter[where]
    unknown = classes[pos] != values
    if np.any(unknown):
        raise ValueError(
            f"{fn}: {name} holds {np.asarray(values)[unknown][0].item()!r}, which is not one of the classes "
            f"{classes.tolist()}"
        )
    return pos.astype(np.int64)


def _classes(fn: str, classes) -> np.ndarray:
    arr = np.asarray(classes)
    if arr.ndim != 1 or arr.size < 2 or np.unique(arr).size != arr.size:
        raise ValueError(f"{fn}: classes must be a 1-D sequence of at least 2 distinct labels, got {arr.tolist()!r}")
    return arr


def _probabilities(fn: str, P, *, ndim: int = 2) -> np.ndarray:
    """Probability rows of shape ``(n, k)`` (or ``(m, n, k)`` for a committee) that sum to 1."""
    arr = as_float_array(P, fn=fn, name="P" if ndim == 2 else "committee_P")
    shape = "(n, k)" if ndim == 2 else "(m, n, k): m members, n points, k classes"
    if arr.ndim != ndim:
        raise ValueError(f"{fn}: {'P' if ndim == 2 else 'committee_P'} must have shape {shape}, got {arr.shape}")
    return check_rows_sum_to_one(fn, "P" if ndim == 2 else "committee_P", arr)


def _strategy(fn: str, strategy) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"{fn}: unknown strategy {strategy!r}; known strategies: {', '.join(STRATEGIES)}")
    return strategy


def _batch(fn: str, name: str, n, pool_size: int) -> int:
    n = check_int(fn, name, n, low=1)
    if n > pool_size:
        raise ValueError(f"{fn}: {name} = {n} is larger than the pool, which has {pool_size} point(s) left")
    return n


# --- models --------------------------------------------------------------------------------


def _new_model(fn: str, model_factory: Callable):
    """Call the factory and check that the estimator can be fitted and gives probabilities."""
    if not callable(model_factory):
        raise TypeError(
            f"{fn}: model_factory must be a zero-argument callable that returns a fresh estimator, e.g. "
            f"lambda: LogisticRegression(); got a {type(model_factory).__name__} object"
        )
    model = model_factory()
    _check_model(fn, model, "model_factory()")
    return model


def _check_model(fn: str, model, name: str) -> None:
    missing = [m for m in ("fit", "predict_proba") if not callable(getattr(model, m, None))]
    if missing:
        raise TypeError(
            f"{fn}: {name} returned a {type(model).__name__}, which has no {' or '.join(missing)}; active "
            f"learning needs class probabilities (for SVC pass probability=True, or use LogisticRegression)"
        )


def _fit(fn: str, model_factory: Callable, X: np.ndarray, y: np.ndarray):
    model = _new_model(fn, model_factory)
    model.fit(X, y)
    return model


def _proba(fn: str, model, X: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """``model.predict_proba(X)`` with one column per entry of ``classes`` (0 for classes the model never saw)."""
    if not callable(getattr(model, "predict_proba", None)):
        raise TypeError(f"{fn}: model is a {type(model).__name__}, which has no predict_proba")
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    known = getattr(model, "classes_", None)
    if known is None:
        if P.shape[1] != classes.size:
            raise ValueError(f"{fn}: the model gives {P.shape[1]} probability columns and has no classes_, "
                             f"but there are {classes.size} classes")
        return P
    out = np.zeros((P.shape[0], classes.size))
    out[:, _positions(fn, "model.classes_", np.asarray(known), classes)] = P
    return out


def _evaluate(fn: str, model, X_test: np.ndarray, y_test_pos: np.ndarray, classes: np.ndarray):
    """Test accuracy and mean log-loss (natural log, probabilities clipped at 1e-7) of a fitted model."""
    P = _proba(fn, model, X_test, classes)
    accuracy = float(np.mean(np.argmax(P, axis=1) == y_test_pos))
    return accuracy, float(sparse_categorical_cross_entropy(y_test_pos, P / P.sum(axis=1, keepdims=True)))


# --- scores --------------------------------------------------------------------------------


def least_confidence(P: ArrayLike) -> np.ndarray:
    r"""Least-confidence score :math:`1 - \max_j p_{ij}`: how unsure the model is of its own top guess.

    Parameters
    ----------
    P : array_like, shape (n, k)
        Predicted class probabilities; each row sums to 1.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Scores in :math:`[0, 1 - 1/k]`; higher means query first.

    Raises
    ------
    TypeError
        If ``P`` is not numeric.
    ValueError
        If ``P`` is not 2-D, not finite, or a row is not a probability vector.

    References
    ----------
    B. Settles, "Active Learning Literature Survey" (2009), section 3.1.

    Examples
    --------
    >>> least_confidence([[0.9, 0.1], [0.6, 0.4]]).round(3).tolist()
    [0.1, 0.4]
    """
    return 1.0 - _probabilities("least_confidence", P).max(axis=1)


def margin(P: ArrayLike) -> np.ndarray:
    r"""Margin score :math:`1 - (p_{(1)} - p_{(2)})`: a small gap between the two top classes scores high.

    :math:`p_{(1)} \ge p_{(2)}` are the two largest probabilities of a row.
    Unlike :func:`least_confidence` it notices a row like ``(0.5, 0.5, 0)``
    whose top guess is as likely as the runner-up.

    Parameters
    ----------
    P : array_like, shape (n, k), k >= 2
        Predicted class probabilities; each row sums to 1.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Scores in [0, 1]; higher means query first.

    Raises
    ------
    TypeError
        If ``P`` is not numeric.
    ValueError
        If ``P`` is not 2-D with at least two columns, or not probability rows.

    References
    ----------
    B. Settles, "Active Learning Literature Survey" (2009), section 3.1.

    Examples
    --------
    >>> margin([[0.5, 0.5, 0.0], [0.6, 0.2, 0.2]]).round(3).tolist()
    [1.0, 0.6]
    """
    prob = _probabilities("margin", P)
    if prob.shape[1] < 2:
        raise ValueError(f"margin: P needs at least 2 columns (classes), got shape {prob.shape}")
    top2 = -np.partition(-prob, 1, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])


def _entropy_rows(prob: np.ndarray) -> np.ndarray:
    """Entropy over the last axis in nats, with :math:`0 \\log 0 = 0`."""
    safe = np.where(prob > 0.0, prob, 1.0)
    return 0.0 - np.sum(prob * np.log(safe), axis=-1)  # 0 - x, not -x: no -0.0 for certain rows


def entropy(P: ArrayLike) -> np.ndarray:
    r"""Entropy score :math:`-\sum_j p_{ij} \log p_{ij}` (natural log, :math:`0 \log 0 = 0`).

    The entropy of a row is the log-loss the model *expects* to pay on that
    point if the label is drawn from its own prediction,
    :math:`\mathbb{E}_{y \sim p_i}[-\log p_{iy}]`; uncertainty sampling with
    entropy queries the points with the highest expected log-loss.

    Parameters
    ----------
    P : array_like, shape (n, k)
        Predicted class probabilities; each row sums to 1.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Scores in :math:`[0, \log k]` nats; higher means query first.

    Raises
    ------
    TypeError
        If ``P`` is not numeric.
    ValueError
        If ``P`` is not 2-D, not finite, or a row is not a probability vector.

    References
    ----------
    B. Settles, "Active Learning Literature Survey" (2009), section 3.1.

    Examples
    --------
    >>> entropy([[0.5, 0.5], [1.0, 0.0]]).round(4).tolist()  # log 2 and 0
    [0.6931, 0.0]
    """
    return _entropy_rows(_probabilities("entropy", P))


def vote_entropy(committee_P: ArrayLike) -> np.ndarray:
    r"""Query-by-committee disagreement: entropy of the members' hard votes.

    Member :math:`m` votes for :math:`\arg\max_j p^{(m)}_{ij}` (the first class
    on a tie); with :math:`V_{ij}` votes for class :math:`j` among :math:`M`
    members the score is :math:`-\sum_j \frac{V_{ij}}{M} \log \frac{V_{ij}}{M}`.
    It is 0 when the committee is unanimous and :math:`\log \min(M, k)` at
    most.

    Parameters
    ----------
    committee_P : array_like, shape (m, n, k)
        Probabilities predicted by each of ``m`` committee members.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Scores in nats; higher means query first.

    Raises
    ------
    TypeError
        If ``committee_P`` is not numeric.
    ValueError
        If it is not 3-D or holds rows that are not probability vectors.

    References
    ----------
    H. S. Seung, M. Opper and H. Sompolinsky, "Query by committee", *COLT*
    (1992); I. Dagan and S. P. Engelson, "Committee-based sampling for
    training probabilistic classifiers", *ICML* (1995).

    Examples
    --------
    >>> votes = [[[0.9, 0.1], [0.6, 0.4]], [[0.8, 0.2], [0.3, 0.7]]]  # 2 members, 2 points
    >>> vote_entropy(votes).round(4).tolist()  # agree on point 0, split on point 1
    [0.0, 0.6931]
    """
    prob = _probabilities("vote_entropy", committee_P, ndim=3)
    m, _, k = prob.shape
    winners = np.argmax(prob, axis=2)  # (m, n)
    share = (winners[:, :, None] == np.arange(k)).sum(axis=0) / m  # (n, k)
    return _entropy_rows(share)


def mean_kl(committee_P: ArrayLike) -> np.ndarray:
    r"""Query-by-committee disagreement: mean KL divergence of each member from the consensus.

    .. math::

        s_i = \frac{1}{M} \sum_{m=1}^{M} \mathrm{KL}\big(p^{(m)}_i \,\|\, \bar p_i\big),
        \qquad \bar p_i = \frac{1}{M} \sum_m p^{(m)}_i

    (natural log). Unlike :func:`vote_entropy` it sees soft disagreement,
    members that vote alike with different confidence. It equals the
    entropy of the consensus minus the mean entropy of the members.

    Parameters
    ----------
    committee_P : array_like, shape (m, n, k)
        Probabilities predicted by each of ``m`` committee members.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Scores in nats, ``>= 0``; higher means query first.

    Raises
    ------
    TypeError
        If ``committee_P`` is not numeric.
    ValueError
        If it is not 3-D or holds rows that are not probability vectors.

    References
    ----------
    A. McCallum and K. Nigam, "Employing EM and pool-based active learning
    for text classification", *ICML* (1998).

    Examples
    --------
    >>> members = [[[0.5, 0.5]], [[0.5, 0.5]]]
    >>> mean_kl(members).tolist()  # identical members: no disagreement
    [0.0]
    """
    prob = _probabilities("mean_kl", committee_P, ndim=3)
    consensus = prob.mean(axis=0)  # > 0 wherever a member is > 0, so the ratio below is finite
    ratio = np.where(prob > 0.0, prob / np.where(consensus > 0.0, consensus, 1.0), 1.0)
    return np.maximum(np.mean(np.sum(prob * np.log(ratio), axis=2), axis=0), 0.0)


def k_center_greedy(X_pool: ArrayLike, X_labeled: ArrayLike | None, n: int) -> np.ndarray:
    r"""Pick ``n`` pool points far from everything labelled so far (greedy farthest-first traversal).

    Each step picks the pool point whose Euclidean distance to its nearest
    *center* is largest, then makes it a center; the centers start as the
    labelled points. This is the greedy 2-approximation of the k-center
    problem that Sener & Savarese (2018) use to choose a batch that covers
    the data. With no labelled points the first pick is the pool point
    farthest from the pool mean. Ties go to the lowest index.

    Cost: :math:`O(N (L + n) d)` time and :math:`O(N)` extra memory for
    ``N`` pool points, ``L`` labelled points and ``d`` features (the distances
    to the labelled set are computed in blocks).

    Parameters
    ----------
    X_pool : array_like, shape (N, d)
        Candidate points.
    X_labeled : array_like, shape (L, d), or None
        Points already labelled; ``None`` for none.
    n : int
        How many to pick, ``1 <= n <= N``.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        Distinct row indices into ``X_pool``, in the order picked.

    Raises
    ------
    TypeError
        If an input is not numeric or ``n`` is not an integer.
    ValueError
        If the arrays are not 2-D with the same number of features, are not
        finite, or ``n`` is outside ``[1, N]``.

    References
    ----------
    O. Sener and S. Savarese, "Active Learning for Convolutional Neural
    Networks: A Core-Set Approach", *ICLR* (2018).

    Examples
    --------
    >>> line = [[0.0], [1.0], [2.0], [3.0], [4.0]]
    >>> k_center_greedy(line, [[2.0]], 2).tolist()  # the two ends; the tie goes to the lower index
    [0, 4]
    """
    fn = "k_center_greedy"
    pool = _features(fn, "X_pool", X_pool)
    n = _batch(fn, "n", n, pool.shape[0])
    no_centers = X_labeled is None or np.size(X_labeled) == 0
    if no_centers:  # the first pick is the point farthest from the mean
        nearest = np.sum((pool - pool.mean(axis=0)) ** 2, axis=1)
    else:
        nearest = _min_sq_distance(pool, _features(fn, "X_labeled", X_labeled, n_features=pool.shape[1]))
    picked = np.empty(n, dtype=np.int64)
    for step in range(n):
        best = int(np.argmax(nearest))
        picked[step] = best
        to_best = np.sum((pool - pool[best]) ** 2, axis=1)
        nearest = to_best if no_centers and step == 0 else np.minimum(nearest, to_best)
        nearest[best] = -np.inf  # never picked twice, even among duplicates
    return picked


def _min_sq_distance(pool: np.ndarray, centers: np.ndarray, block: int = 512) -> np.ndarray:
    """Squared Euclidean distance from each pool row to its nearest center, computed in blocks of centers."""
    pool_sq = np.sum(pool**2, axis=1)
    out = np.full(pool.shape[0], np.inf)
    for start in range(0, centers.shape[0], block):
        c = centers[start:start + block]
        d2 = pool_sq[:, None] + np.sum(c**2, axis=1)[None, :] - 2.0 * pool @ c.T
        out = np.minimum(out, d2.min(axis=1))
    return np.maximum(out, 0.0)


# --- query strategies ----------------------------------------------------------------------

_UNCERTAINTY = {"least_confidence": least_confidence, "margin": margin, "entropy": entropy,
                "entropy_k_center": entropy}


def _top(score: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the ``n`` highest scores; ties are broken at random (reproducibly, through ``rng``)."""
    order = rng.permutation(score.size)
    return order[np.argsort(-score[order], kind="stable")[:n]].astype(np.int64)


def _committee(fn, model_factory, X_lab, y_lab, X_pool, classes, size, rng) -> np.ndarray:
    """Probabilities ``(size, N, k)`` of models fitted to stratified bootstrap resamples of the labelled set."""
    _, group = np.unique(y_lab, return_inverse=True)
    members = [np.flatnonzero(group == g) for g in range(group.max() + 1)]
    out = np.empty((size, X_pool.shape[0], classes.size))
    for m in range(size):
        rows = np.concatenate([rng.choice(idx, size=idx.size) for idx in members])
        out[m] = _proba(fn, _fit(fn, model_factory, X_lab[rows], y_lab[rows]), X_pool, classes)
    return out


def _expected_error(fn, model_factory, X_lab, y_lab, X_pool, classes, P_pool, candidates, loss, min_prob):
    """Expected loss on the rest of the pool after labelling each candidate, averaged over its possible labels.

    Labels of probability below ``min_prob`` are skipped and the weights of the others renormalised.
    """
    per_point = _entropy_rows if loss == "log" else (lambda Q: 1.0 - Q.max(axis=1))
    X_plus = np.vstack([X_lab, X_pool[:1]])
    rest = np.ones(X_pool.shape[0], dtype=bool)
    out = np.zeros(candidates.size)
    for i, c in enumerate(candidates):
        X_plus[-1] = X_pool[c]
        rest[c] = False
        p = P_pool[c]
        labels = np.flatnonzero((p > 0.0) & ((p >= min_prob) | (p == p.max())))  # probability 0 adds nothing
        weights = p[labels] / p[labels].sum()
        for j, w in zip(labels, weights, strict=True):
            model = _fit(fn, model_factory, X_plus, np.append(y_lab, classes[j]))
            out[i] += w * per_point(_proba(fn, model, X_pool[rest], classes)).mean()
        rest[c] = True
    return out


def query(
    strategy: str,
    model_factory: Callable,
    X_labeled: ArrayLike,
    y_labeled: ArrayLike,
    X_pool: ArrayLike,
    n: int,
    *,
    classes: ArrayLike,
    seed: int | np.random.Generator = 0,
    model=None,
    committee_size: int = 5,
    eer_candidates: int = 30,
    eer_loss: str = "log",
    eer_min_prob: float = 0.0,
    shortlist_factor: int = 5,
) -> np.ndarray:
    r"""Choose ``n`` pool points to label next with one of the :data:`STRATEGIES`.

    ==============================  ===============================================================
    strategy                        picks the ``n`` pool points with
    ==============================  ===============================================================
    ``"random"``                    a uniform random sample (the baseline every strategy must beat)
    ``"least_confidence"``          the highest :func:`least_confidence`
    ``"margin"``                    the highest :func:`margin` (smallest top-two gap)
    ``"entropy"``                   the highest :func:`entropy`
    ``"qbc_vote_entropy"``          the highest :func:`vote_entropy` of a committee
    ``"qbc_kl"``                    the highest :func:`mean_kl` of a committee
    ``"expected_error_reduction"``  the lowest expected loss on the rest of the pool after labelling
    ``"k_center"``                  :func:`k_center_greedy` (diverse, ignores the model)
    ``"entropy_k_center"``          k-center inside the ``shortlist_factor * n`` highest-entropy points
    ==============================  ===============================================================

    The **committee** has ``committee_size`` models, each fitted to a
    bootstrap resample of the labelled set drawn class by class (so every
    member sees every class the labelled set has).

    **Expected error reduction** (Roy & McCallum, 2001) draws
    ``eer_candidates`` random pool points (all of them if the pool is smaller). For each candidate
    :math:`x` and each class :math:`j` it refits the model with
    :math:`(x, j)` added and estimates the loss on the *rest of the pool*
    from the refitted model's own probabilities :math:`q`: the expected
    log-loss :math:`\frac{1}{|U|}\sum_{u} H(q_u)` (``eer_loss="log"``) or the
    expected 0-1 loss :math:`\frac{1}{|U|}\sum_{u} (1 - \max_j q_{uj})`
    (``eer_loss="zero_one"``). These are averaged over :math:`j` with the
    current probabilities :math:`p(j \mid x)` and the ``n`` candidates with
    the lowest average are picked. The cost is up to
    ``eer_candidates * k`` model fits and as many predictions on the pool
    per call, so use it on small pools and cheap models; with many classes,
    ``eer_min_prob`` skips the unlikely labels of a candidate (an
    approximation: their weight is spread over the labels kept).

    Ties between equal scores are broken at random through ``seed``.

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`.
    model_factory : callable
        ``model_factory()`` returns a fresh estimator with ``fit`` and
        ``predict_proba``.
    X_labeled : array_like, shape (L, d)
        Labelled points, ``L >= 1``.
    y_labeled : array_like, shape (L,)
        Their labels, each one of ``classes``.
    X_pool : array_like, shape (N, d)
        Unlabelled candidates.
    n : int
        How many to pick, ``1 <= n <= N``.
    classes : array_like, shape (k,)
        Every class of the task (the labelled set may lack some).
    seed : int or numpy.random.Generator, default 0
        Randomness of ``"random"``, the committee, the EER candidates and ties.
    model : estimator, optional
        A model already fitted to ``(X_labeled, y_labeled)``; saves one fit
        (:func:`run` passes the model it has just evaluated).
    committee_size : int, default 5
        Members of the committee (QBC strategies), at least 2.
    eer_candidates : int, default 30
        Pool points scored by expected error reduction; must exceed ``n``
        (unless the pool is smaller), best several times ``n``. Scoring
        candidates one by one and taking the ``n`` best ignores that they
        are labelled together: a batch approximation.
    eer_loss : {"log", "zero_one"}, default "log"
        Loss that expected error reduction estimates.
    eer_min_prob : float, default 0.0
        Expected error reduction refits only for labels :math:`j` with
        :math:`p(j \mid x) \ge` ``eer_min_prob`` (the most likely label is
        always kept); 0 is the exact expectation.
    shortlist_factor : int, default 5
        ``"entropy_k_center"`` runs k-center among the ``shortlist_factor * n``
        most uncertain points (fewer when the pool is smaller).

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        Distinct row indices into ``X_pool``.

    Raises
    ------
    TypeError
        If ``model_factory`` is not callable, or a model has no
        ``predict_proba``; an input is not numeric.
    ValueError
        For an unknown ``strategy``, ``n`` outside ``[1, N]``, shapes that do
        not fit together, non-finite features, labels that are not among
        ``classes``, or an option out of range.

    References
    ----------
    B. Settles, "Active Learning Literature Survey", University of
    Wisconsin-Madison, Computer Sciences Technical Report 1648 (2009).
    H. S. Seung, M. Opper and H. Sompolinsky, "Query by committee", *COLT*
    (1992). A. McCallum and K. Nigam, "Employing EM and pool-based active
    learning for text classification", *ICML* (1998). N. Roy and
    A. McCallum, "Toward Optimal Active Learning through Sampling Estimation
    of Error Reduction", *ICML* (2001). O. Sener and S. Savarese, "Active
    Learning for Convolutional Neural Networks: A Core-Set Approach", *ICLR*
    (2018).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X_lab, y_lab = [[0.0], [10.0]], [0, 1]
    >>> X_pool = [[-5.0], [4.0], [5.5], [20.0]]
    >>> query("margin", LogisticRegression, X_lab, y_lab, X_pool, 2, classes=[0, 1]).tolist()
    [2, 1]
    """
    fn = "query"
    strategy = _strategy(fn, strategy)
    pool = _features(fn, "X_pool", X_pool)
    lab = _features(fn, "X_labeled", X_labeled, n_features=pool.shape[1])
    y_lab = _targets(fn, "y_labeled", y_labeled, lab.shape[0], "X_labeled")
    classes = _classes(fn, classes)
    _positions(fn, "y_labeled", y_lab, classes)
    n = _batch(fn, "n", n, pool.shape[0])
    committee_size = check_int(fn, "committee_size", committee_size, low=2)
    eer_candidates = check_int(fn, "eer_candidates", eer_candidates, low=1)
    shortlist_factor = check_int(fn, "shortlist_factor", shortlist_factor, low=1)
    eer_min_prob = check_scalar(fn, "eer_min_prob", eer_min_prob, low=0.0, high=1.0)
    if eer_loss not in EER_LOSSES:
        raise ValueError(f"{fn}: eer_loss must be one of {', '.join(map(repr, EER_LOSSES))}, got {eer_loss!r}")
    rng = check_seed(fn, seed)

    if strategy == "random":
        return rng.choice(pool.shape[0], size=n, replace=False).astype(np.int64)
    if strategy == "k_center":
        return k_center_greedy(pool, lab, n)
    if strategy in ("qbc_vote_entropy", "qbc_kl"):
        committee = _committee(fn, model_factory, lab, y_lab, pool, classes, committee_size, rng)
        return _top(vote_entropy(committee) if strategy == "qbc_vote_entropy" else mean_kl(committee), n, rng)
    if model is None:
        model = _fit(fn, model_factory, lab, y_lab)
    P = _proba(fn, model, pool, classes)
    if strategy == "expected_error_reduction":
        if eer_candidates <= n < pool.shape[0]:
            raise ValueError(f"{fn}: eer_candidates = {eer_candidates} must be larger than n = {n}: otherwise every "
                             f"candidate is picked and expected error reduction is random sampling")
        candidates = rng.choice(pool.shape[0], size=min(eer_candidates, pool.shape[0]), replace=False)
        expected = _expected_error(fn, model_factory, lab, y_lab, pool, classes, P, candidates, eer_loss,
                                   eer_min_prob)
        return candidates[_top(-expected, n, rng)]
    score = _UNCERTAINTY[strategy](P)
    if strategy == "entropy_k_center":
        shortlist = _top(score, min(shortlist_factor * n, pool.shape[0]), rng)
        return shortlist[k_center_greedy(pool[shortlist], lab, n)]
    return _top(score, n, rng)


# --- the loop ------------------------------------------------------------------------------


class ActiveResult(NamedTuple):
    """Learning curve of one active-learning run (:func:`run`)."""

    n_labels: np.ndarray
    """Labelled points when each model was fitted, shape ``(rounds + 1,)``: ``initial_size + r * batch_size``."""
    accuracy: np.ndarray
    """Test accuracy after each fit, shape ``(rounds + 1,)``."""
    log_loss: np.ndarray
    """Mean test log-loss (nats; probabilities clipped at 1e-7) after each fit, shape ``(rounds + 1,)``."""
    queried: list
    """One int64 array of ``batch_size`` indices into ``X_pool`` per round, in query order."""
    initial: np.ndarray
    """Indices into ``X_pool`` of the random initial labelled set, shape ``(initial_size,)``."""


class Curves(NamedTuple):
    """Learning curves of one strategy over several seeds (:func:`compare`)."""

    n_labels: np.ndarray
    """Labelled points at each fit, shape ``(rounds + 1,)``."""
    accuracy: np.ndarray
    """Test accuracy, shape ``(n_seeds, rounds + 1)``."""
    log_loss: np.ndarray
    """Mean test log-loss in nats, shape ``(n_seeds, rounds + 1)``."""


def _pool_and_test(fn, X_pool, y_pool, X_test, y_test):
    pool = _features(fn, "X_pool", X_pool)
    test = _features(fn, "X_test", X_test, n_features=pool.shape[1])
    y_pool = _targets(fn, "y_pool", y_pool, pool.shape[0], "X_pool")
    y_test = _targets(fn, "y_test", y_test, test.shape[0], "X_test")
    classes = np.unique(np.concatenate([y_pool, y_test]))
    if classes.size < 2:
        raise ValueError(f"{fn}: y_pool and y_test hold a single class {classes.tolist()}; at least 2 are needed")
    return pool, y_pool, test, _positions(fn, "y_test", y_test, classes), classes


def _budget(fn, pool_size, initial_size, batch_size, rounds) -> tuple[int, int, int]:
    initial_size = check_int(fn, "initial_size", initial_size, low=1)
    batch_size = check_int(fn, "batch_size", batch_size, low=1)
    rounds = check_int(fn, "rounds", rounds, low=0)
    if initial_size > pool_size:
        raise ValueError(f"{fn}: initial_size = {initial_size} is larger than the pool, which has {pool_size} points")
    if batch_size > pool_size:
        raise ValueError(f"{fn}: batch_size = {batch_size} is larger than the pool, which has {pool_size} points")
    if initial_size + rounds * batch_size > pool_size:
        raise ValueError(
            f"{fn}: initial_size + rounds * batch_size = {initial_size} + {rounds} * {batch_size} = "
            f"{initial_size + rounds * batch_size} labels are more than the pool's {pool_size} points"
        )
    return initial_size, batch_size, rounds


def run(
    model_factory: Callable,
    X_pool: ArrayLike,
    y_pool: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    strategy: str,
    initial_size: int,
    batch_size: int,
    rounds: int,
    seed: int = 0,
    **query_options,
) -> ActiveResult:
    r"""Simulate pool-based active learning and return its learning curve.

    ``y_pool`` plays the oracle: a label is looked up only when its point is
    queried. The loop:

    1. label ``initial_size`` pool points drawn at random (``seed``);
    2. fit a fresh model to the labelled points, record test accuracy and
       log-loss;
    3. if rounds are left, let :func:`query` pick ``batch_size`` of the
       still-unlabelled points (reusing the model of step 2), label them and
       go to step 2.

    A run fits ``rounds + 1`` models plus what the strategy needs per round:
    ``committee_size`` for QBC, up to ``eer_candidates * k`` for expected
    error reduction, none for the others. The same ``seed`` gives the same
    result (given a deterministic estimator); the initial set depends only on
    ``seed`` and the pool size, so strategies run with one seed start alike.
    While the loop runs, BLAS and OpenMP use one thread (through
    ``threadpoolctl``, restored afterwards): the many small fits are faster
    that way.

    Parameters
    ----------
    model_factory : callable
        ``model_factory()`` returns a fresh estimator with ``fit`` and ``predict_proba``.
    X_pool : array_like, shape (N, d)
        The pool: every point that may be labelled.
    y_pool : array_like, shape (N,)
        Its labels, revealed only when queried.
    X_test : array_like, shape (T, d)
        Held-out points for the learning curve.
    y_test : array_like, shape (T,)
        Their labels.
    strategy : str
        One of :data:`STRATEGIES`.
    initial_size : int
        Randomly chosen points labelled before the first fit, ``>= 1``.
    batch_size : int
        Points queried per round, ``>= 1``.
    rounds : int
        Query rounds, ``>= 0``; ``initial_size + rounds * batch_size`` must not exceed ``N``.
    seed : int, default 0
        Seed of the initial set and of every random choice in the queries.
    **query_options
        Passed to :func:`query` (``committee_size``, ``eer_candidates``,
        ``eer_loss``, ``shortlist_factor``).

    Returns
    -------
    ActiveResult
        ``(n_labels, accuracy, log_loss, queried, initial)``.

    Raises
    ------
    TypeError
        If ``model_factory`` is not callable or its model has no ``predict_proba``.
    ValueError
        For an unknown ``strategy``, sizes that do not fit the pool, shapes
        that do not fit together, non-finite features, or an initial set of a
        single class that the model cannot be fitted to (the message names
        ``initial_size`` and ``seed``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> res = run(lambda: LogisticRegression(max_iter=500), X[::2], y[::2], X[1::2], y[1::2],
    ...           strategy="margin", initial_size=6, batch_size=3, rounds=4, seed=0)
    >>> res.n_labels.tolist(), len(res.queried), res.accuracy.shape
    ([6, 9, 12, 15, 18], 4, (5,))
    """
    fn = "run"
    strategy = _strategy(fn, strategy)
    pool, y_pool, test, y_test_pos, classes = _pool_and_test(fn, X_pool, y_pool, X_test, y_test)
    initial_size, batch_size, rounds = _budget(fn, pool.shape[0], initial_size, batch_size, rounds)
    _new_model(fn, model_factory)  # fail early on a bad factory, before any work
    unknown = sorted(set(query_options) - set(QUERY_OPTIONS))
    if unknown:
        raise TypeError(f"{fn}: unknown query option(s) {', '.join(unknown)}; allowed: {', '.join(QUERY_OPTIONS)}")
    with _one_blas_thread():
        return _loop(fn, model_factory, pool, y_pool, test, y_test_pos, classes, strategy, initial_size, batch_size,
                     rounds, seed, query_options)


def _one_blas_thread():
    """Limit BLAS/OpenMP to one thread while the loop runs, when threadpoolctl (a scikit-learn dependency) is there.

    The loop fits many small models; on a few cores, threads that split each
    tiny matrix product cost more than they save and make timings erratic.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _loop(fn, model_factory, pool, y_pool, test, y_test_pos, classes, strategy, initial_size, batch_size, rounds,
          seed, query_options) -> ActiveResult:
    rng = check_seed(fn, seed)
    initial = rng.choice(pool.shape[0], size=initial_size, replace=False).astype(np.int64)
    labeled = np.zeros(pool.shape[0], dtype=bool)
    labeled[initial] = True
    order = list(initial)
    accuracy, log_loss, queried = np.empty(rounds + 1), np.empty(rounds + 1), []
    for r in range(rounds + 1):
        rows = np.asarray(order)
        try:
            model = _fit(fn, model_factory, pool[rows], y_pool[rows])
        except ValueError as exc:
            present = np.unique(y_pool[rows])
            if r > 0 or present.size > 1:
                raise
            raise ValueError(  # e.g. LogisticRegression: "needs samples of at least 2 classes"
                f"{fn}: the random initial set of initial_size = {initial_size} points drawn with seed = {seed} "
                f"holds only class {present[0]!r}, and this model cannot be fitted to one class; raise "
                f"initial_size, choose another seed, or use a model that can (the estimator said: {exc})"
            ) from exc
        accuracy[r], log_loss[r] = _evaluate(fn, model, test, y_test_pos, classes)
        if r == rounds:
            break
        unlabeled = np.flatnonzero(~labeled)
        picks = query(strategy, model_factory, pool[rows], y_pool[rows], pool[unlabeled], batch_size,
                      classes=classes, seed=int(rng.integers(2**63)), model=model, **query_options)
        new = unlabeled[picks]
        labeled[new] = True
        order.extend(new)
        queried.append(new)
    n_labels = initial_size + batch_size * np.arange(rounds + 1)
    return ActiveResult(n_labels, accuracy, log_loss, queried, initial)


def compare(
    model_factory: Callable,
    X_pool: ArrayLike,
    y_pool: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    strategies: Sequence[str],
    seeds: Sequence[int],
    initial_size: int,
    batch_size: int,
    rounds: int,
    **query_options,
) -> dict[str, Curves]:
    """Run several strategies with several seeds each; strategies share the initial sets of a seed.

    Parameters
    ----------
    model_factory, X_pool, y_pool, X_test, y_test, initial_size, batch_size, rounds, **query_options
        As for :func:`run`.
    strategies : sequence of str
        Names from :data:`STRATEGIES`, each at most once.
    seeds : sequence of int
        One run per seed and strategy; seed ``s`` gives every strategy the
        same initial labelled set, so the curves are paired.

    Returns
    -------
    dict of str to Curves
        Strategy name -> ``Curves(n_labels, accuracy, log_loss)`` with one row per seed.

    Raises
    ------
    ValueError
        For an empty or repeated strategy list, an empty seed list, or any
        error of :func:`run`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> curves = compare(lambda: LogisticRegression(max_iter=500), X[::2], y[::2], X[1::2], y[1::2],
    ...                  strategies=["random", "entropy"], seeds=[0, 1], initial_size=6, batch_size=3, rounds=2)
    >>> sorted(curves), curves["entropy"].accuracy.shape
    (['entropy', 'random'], (2, 3))
    """
    fn = "compare"
    strategies = [_strategy(fn, s) for s in strategies]
    if not strategies or len(set(strategies)) != len(strategies):
        raise ValueError(f"{fn}: strategies must be a non-empty list of distinct names, got {strategies!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError(f"{fn}: seeds is empty; give at least one seed")
    out = {}
    for strategy in strategies:
        results = [run(model_factory, X_pool, y_pool, X_test, y_test, strategy=strategy, initial_size=initial_size,
                       batch_size=batch_size, rounds=rounds, seed=s, **query_options) for s in seeds]
        out[strategy] = Curves(results[0].n_labels, np.stack([r.accuracy for r in results]),
                               np.stack([r.log_loss for r in results]))
    return out


def labels_to_reach(curves: Curves, target: float) -> int | None:
    """Fewest labels at which the mean accuracy over seeds first reaches ``target``; ``None`` if it never does.

    Parameters
    ----------
    curves : Curves
        One strategy's curves from :func:`compare`.
    target : float
        Accuracy in [0, 1].

    Returns
    -------
    int or None
        An entry of ``curves.n_labels``.

    Examples
    --------
    >>> c = Curves(np.array([10, 20, 30]), np.array([[0.5, 0.8, 0.9], [0.7, 0.8, 0.9]]), np.zeros((2, 3)))
    >>> labels_to_reach(c, 0.8), labels_to_reach(c, 0.85), labels_to_reach(c, 0.95)  # means 0.6, 0.8, 0.9
    (20, 30, None)
    """
    target = check_scalar("labels_to_reach", "target", target, low=0.0, high=1.0)
    mean = np.asarray(curves.accuracy, dtype=np.float64).reshape(-1, len(curves.n_labels)).mean(axis=0)
    hits = np.flatnonzero(mean >= target)
    return int(curves.n_labels[hits[0]]) if hits.size else None


# --- self-training -------------------------------------------------------------------------


class SelfTrainingResult(NamedTuple):
    """Per round of :func:`self_training` (round 0 is the model fitted to the labelled set only)."""

    accuracy: np.ndarray
    """Test accuracy, shape ``(rounds + 1,)``."""
    log_loss: np.ndarray
    """Mean test log-loss in nats, shape ``(rounds + 1,)``."""
    n_pseudo: np.ndarray
    """Pseudo-labelled points in that round's training set (int64), shape ``(rounds + 1,)``."""
    pseudo_accuracy: np.ndarray
    """Fraction of those pseudo-labels that are right; NaN when there are none or ``y_unlabeled`` is not given."""


def pseudo_label(model, X_unlabeled: ArrayLike, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    r"""The points a fitted model is sure about, with the labels it gives them.

    A point is kept when its largest predicted probability is
    :math:`\ge` ``threshold``; its pseudo-label is that class
    (``model.classes_``, or the column index when the model has none).

    Parameters
    ----------
    model : estimator
        Fitted, with ``predict_proba``.
    X_unlabeled : array_like, shape (n, d)
        Points without labels.
    threshold : float
        Confidence in (0, 1].

    Returns
    -------
    indices : numpy.ndarray of int64, shape (m,)
        Rows of ``X_unlabeled`` that are confident enough, ascending.
    labels : numpy.ndarray, shape (m,)
        Their pseudo-labels.

    Raises
    ------
    TypeError
        If ``model`` has no ``predict_proba``.
    ValueError
        If ``threshold`` is outside (0, 1] or ``X_unlabeled`` is not a finite 2-D array.

    References
    ----------
    D.-H. Lee, "Pseudo-Label: The Simple and Efficient Semi-Supervised
    Learning Method for Deep Neural Networks", ICML Workshop (2013).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0], [9.0], [10.0]], [0, 0, 1, 1])
    >>> idx, labels = pseudo_label(model, [[-3.0], [5.0], [13.0]], threshold=0.9)
    >>> idx.tolist(), labels.tolist()
    ([0, 2], [0, 1])
    """
    fn = "pseudo_label"
    threshold = check_scalar(fn, "threshold", threshold, low=0.0, high=1.0, low_open=True)
    X = _features(fn, "X_unlabeled", X_unlabeled)
    if not callable(getattr(model, "predict_proba", None)):
        raise TypeError(f"{fn}: model is a {type(model).__name__}, which has no predict_proba")
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    classes = np.asarray(getattr(model, "classes_", np.arange(P.shape[1])))
    idx = np.flatnonzero(P.max(axis=1) >= threshold).astype(np.int64)
    return idx, classes[np.argmax(P[idx], axis=1)]


def self_training(
    model_factory: Callable,
    X_labeled: ArrayLike,
    y_labeled: ArrayLike,
    X_unlabeled: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    threshold: float,
    rounds: int,
    y_unlabeled: ArrayLike | None = None,
) -> SelfTrainingResult:
    """Self-training: fit, pseudo-label the confident unlabelled points, add them, refit.

    Round 0 fits the labelled set. Each later round adds every
    still-unlabelled point that the previous model labels with confidence
    ``>= threshold`` (see :func:`pseudo_label`); pseudo-labels are kept once
    given. When a round adds nothing, the model does not change and is not
    refitted. This is the loop of scikit-learn's ``SelfTrainingClassifier``
    with ``criterion="threshold"``, except that scikit-learn requires
    confidence strictly above the threshold.

    Parameters
    ----------
    model_factory : callable
        ``model_factory()`` returns a fresh estimator with ``fit`` and ``predict_proba``.
    X_labeled, y_labeled : array_like, shapes (L, d) and (L,)
        The labelled set.
    X_unlabeled : array_like, shape (U, d)
        Points the model may pseudo-label.
    X_test, y_test : array_like, shapes (T, d) and (T,)
        Held-out points for accuracy and log-loss.
    threshold : float
        Confidence in (0, 1] needed for a pseudo-label.
    rounds : int
        Pseudo-labelling rounds, ``>= 0``.
    y_unlabeled : array_like, shape (U,), optional
        True labels of the unlabelled points, used only to report how many
        pseudo-labels are right.

    Returns
    -------
    SelfTrainingResult
        ``(accuracy, log_loss, n_pseudo, pseudo_accuracy)``, each of shape ``(rounds + 1,)``.

    Raises
    ------
    TypeError
        If ``model_factory`` is not callable or its model has no ``predict_proba``.
    ValueError
        For shapes that do not fit together, non-finite features, ``threshold``
        outside (0, 1] or ``rounds < 0``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X_lab, y_lab = [[0.0], [10.0]], [0, 1]
    >>> X_unl, y_unl = [[-1.0], [1.0], [9.0], [11.0]], [0, 0, 1, 1]
    >>> res = self_training(LogisticRegression, X_lab, y_lab, X_unl, [[2.0], [8.0]], [0, 1],
    ...                     threshold=0.8, rounds=2, y_unlabeled=y_unl)
    >>> res.n_pseudo.tolist(), res.pseudo_accuracy.tolist()
    ([0, 4, 4], [nan, 1.0, 1.0])
    """
    fn = "self_training"
    threshold = check_scalar(fn, "threshold", threshold, low=0.0, high=1.0, low_open=True)
    rounds = check_int(fn, "rounds", rounds, low=0)
    lab = _features(fn, "X_labeled", X_labeled)
    unl = _features(fn, "X_unlabeled", X_unlabeled, n_features=lab.shape[1])
    test = _features(fn, "X_test", X_test, n_features=lab.shape[1])
    y_lab = _targets(fn, "y_labeled", y_labeled, lab.shape[0], "X_labeled")
    y_test = _targets(fn, "y_test", y_test, test.shape[0], "X_test")
    y_unl = None if y_unlabeled is None else _targets(fn, "y_unlabeled", y_unlabeled, unl.shape[0], "X_unlabeled")
    classes = np.unique(np.concatenate([y_lab, y_test]))
    y_test_pos = _positions(fn, "y_test", y_test, classes)
    out = SelfTrainingResult(np.empty(rounds + 1), np.empty(rounds + 1), np.zeros(rounds + 1, dtype=np.int64),
                             np.full(rounds + 1, np.nan))
    taken = np.zeros(unl.shape[0], dtype=bool)
    model = _fit(fn, model_factory, lab, y_lab)
    out.accuracy[0], out.log_loss[0] = _evaluate(fn, model, test, y_test_pos, classes)
    pseudo_rows, pseudo_labels = np.empty(0, dtype=np.int64), y_lab[:0]
    for r in range(1, rounds + 1):
        free = np.flatnonzero(~taken)
        idx, labels = pseudo_label(model, unl[free], threshold) if free.size else (free, y_lab[:0])
        if idx.size:
            taken[free[idx]] = True
            pseudo_rows = np.concatenate([pseudo_rows, free[idx]])
            pseudo_labels = np.concatenate([pseudo_labels, labels])
            model = _fit(fn, model_factory, np.vstack([lab, unl[pseudo_rows]]), np.concatenate([y_lab, pseudo_labels]))
        out.accuracy[r], out.log_loss[r] = (
            _evaluate(fn, model, test, y_test_pos, classes) if idx.size else (out.accuracy[r - 1], out.log_loss[r - 1])
        )
        out.n_pseudo[r] = pseudo_rows.size
        if y_unl is not None and pseudo_rows.size:
            out.pseudo_accuracy[r] = np.mean(y_unl[pseudo_rows] == pseudo_labels)
    return out
