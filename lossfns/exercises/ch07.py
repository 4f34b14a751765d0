"""Checkers for the exercises of chapter 7 (Active learning).

The references below are written with plain Python loops over rows (``math.log``,
``sorted`` with an explicit key, squared distances summed term by term), so they
share no code path with a vectorised NumPy answer.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from lossfns.exercises._core import Case, CaseFailed, Exercise, _as_array, _fmt, expect_array, register


def _rows(P) -> list[list[float]]:
    return [[float(v) for v in row] for row in np.asarray(P, dtype=np.float64)]


def _entropy_row(p: list[float]) -> float:
    return 0.0 - sum(v * math.log(v) for v in p if v > 0.0)  # 0 log 0 = 0, its limit; 0.0 - avoids -0


def _expect_indices(got, expected: list[int]) -> np.ndarray:
    """Raise :class:`CaseFailed` unless ``got`` is exactly the integer sequence ``expected`` (order matters)."""
    arr = _as_array(got)  # rejects strings, ragged lists and non-numbers with a message
    if arr.shape != (len(expected),):
        have = "a single number" if arr.ndim == 0 else f"shape {arr.shape}"
        raise CaseFailed(f"expected {len(expected)} indices {expected}, got {have}")
    if not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise CaseFailed(f"expected integer indices {expected}, got {_fmt(got)}")
    if arr.astype(np.int64).tolist() != list(expected):
        raise CaseFailed(f"expected {expected}, got {arr.astype(np.int64).tolist()}")
    return arr.astype(np.int64)


# --- 7.1 entropy scores ------------------------------------------------------------------------

def _judge_entropy(got, args) -> None:
    (P,) = args
    expected = np.array([_entropy_row(p) for p in _rows(P)])
    expect_array(got, expected, rtol=1e-9, atol=1e-12)


register(Exercise(
    id="7.1",
    title="entropy scores",
    function="entropy_scores",
    params=("P",),
    cases=(
        Case("three rows, three classes", (np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [0.9, 0.05, 0.05]]),),
             _judge_entropy),
        Case("uniform rows score log k", (np.full((2, 4), 0.25),), _judge_entropy),
        Case("one-hot rows score 0, not nan", (np.eye(3),), _judge_entropy),
        Case("a zero probability in a row", (np.array([[0.5, 0.5, 0.0], [0.0, 0.1, 0.9]]),), _judge_entropy),
        Case("binary, many rows", (np.column_stack([np.linspace(0, 1, 11), 1 - np.linspace(0, 1, 11)]),),
             _judge_entropy),
    ),
))


# --- 7.2 margin sampling ------------------------------------------------------------------------

def _judge_margin(got, args) -> None:
    P, n = args
    margins = [(lambda s: s[0] - s[1])(sorted(p, reverse=True)) for p in _rows(P)]
    expected = sorted(range(len(margins)), key=lambda i: (margins[i], i))[:n]
    _expect_indices(got, expected)


register(Exercise(
    id="7.2",
    title="margin sampling",
    function="margin_query",
    params=("P", "n"),
    cases=(
        Case("five rows, query two", (np.array([[0.9, 0.1], [0.55, 0.45], [0.3, 0.7], [0.48, 0.52], [0.2, 0.8]]), 2),
             _judge_margin),
        Case("three classes: the two largest, not the first two columns",
             (np.array([[0.5, 0.1, 0.4], [0.45, 0.35, 0.2], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]), 2), _judge_margin),
        Case("identical rows: ties go to the smaller index",
             (np.array([[0.8, 0.2], [0.6, 0.4], [0.6, 0.4], [0.8, 0.2], [0.6, 0.4]]), 4), _judge_margin),
        Case("uniform and one-hot rows", (np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0],
                                                    [0.5, 0.5, 0.0]]), 4), _judge_margin),
        Case("query a single row", (np.array([[0.7, 0.3], [0.51, 0.49], [0.99, 0.01]]), 1), _judge_margin),
    ),
))


# --- 7.3 k-center greedy ------------------------------------------------------------------------

def _sq_dist(a: list[float], b: list[float]) -> float:
    return sum((u - v) ** 2 for u, v in zip(a, b, strict=True))


def _judge_k_center(got, args) -> None:
    X_pool, X_labeled, n = args
    pool, centers = _rows(X_pool), _rows(X_labeled)
    nearest = [min(_sq_dist(x, c) for c in centers) for x in pool]
    picked: list[int] = []
    for _ in range(n):
        free = [i for i in range(len(pool)) if i not in picked]
        best = max(free, key=lambda i: (nearest[i], -i))  # farthest unpicked; ties -> smaller index
        picked.append(best)
        nearest = [min(d, _sq_dist(x, pool[best])) for d, x in zip(nearest, pool, strict=True)]
    _expect_indices(got, picked)


_RNG = np.random.default_rng(7)
_SQUARE = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0], [2.0, 2.0]])

register(Exercise(
    id="7.3",
    title="k-center greedy selection",
    function="k_center_greedy",
    params=("X_pool", "X_labeled", "n"),
    cases=(
        Case("points on a line, one labelled",
             (np.array([[0.0], [1.0], [2.0], [5.0], [9.0], [10.0]]), np.array([[0.5]]), 3), _judge_k_center),
        Case("duplicates in the pool are not picked twice",
             (np.array([[8.0, 0.0], [8.0, 0.0], [8.0, 0.0], [0.0, 3.0], [1.0, 1.0]]), np.array([[0.0, 0.0]]), 2),
             _judge_k_center),
        Case("ties broken by the smaller index", (_SQUARE, np.array([[2.0, 2.0]]), 3), _judge_k_center),
        Case("a pool point equal to a labelled point comes last",
             (np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 2.0]]), np.array([[0.0, 0.0], [1.0, 1.0]]), 3),
             _judge_k_center),
        Case("all rows, duplicates included: no index twice",
             (np.array([[0.0], [0.0], [5.0]]), np.array([[1.0]]), 3), _judge_k_center),
        Case("five features, three labelled", (_RNG.normal(size=(30, 5)), _RNG.normal(size=(3, 5)), 6),
             _judge_k_center),
    ),
))


# --- 7.4 vote entropy ---------------------------------------------------------------------------

def _judge_vote_entropy(got, args) -> None:
    (C,) = args
    C = np.asarray(C, dtype=np.float64)
    m, n, _ = C.shape
    expected = []
    for i in range(n):
        votes = Counter(max(range(C.shape[2]), key=lambda j, p=C[a, i]: (p[j], -j)) for a in range(m))
        expected.append(_entropy_row([c / m for c in votes.values()]))
    expect_array(got, np.array(expected), rtol=1e-9, atol=1e-12)


register(Exercise(
    id="7.4",
    title="vote entropy of a committee",
    function="vote_entropy",
    params=("committee_P",),
    cases=(
        Case("a committee that agrees scores 0",
             (np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.4, 0.6]], [[0.7, 0.3], [0.1, 0.9]]]),),
             _judge_vote_entropy),
        Case("two against two scores log 2",
             (np.array([[[0.9, 0.1, 0.0]], [[0.6, 0.3, 0.1]], [[0.1, 0.8, 0.1]], [[0.3, 0.4, 0.3]]]),),
             _judge_vote_entropy),
        Case("confident disagreement and unsure agreement",
             (np.array([[[0.99, 0.01, 0.0], [0.4, 0.35, 0.25]], [[0.0, 0.99, 0.01], [0.4, 0.3, 0.3]],
                        [[0.01, 0.0, 0.99], [0.38, 0.31, 0.31]]]),), _judge_vote_entropy),
        Case("a tied member votes for the first class",
             (np.array([[[0.5, 0.5]], [[0.4, 0.6]]]),), _judge_vote_entropy),
        Case("five members, four items, four classes", (_RNG.dirichlet(np.ones(4), size=(5, 4)),),
             _judge_vote_entropy),
    ),
    question=(
        'Why does a committee that agrees on an unsure prediction score 0, and what does that say '
        'about vote entropy as a query strategy?'
    ),
))
