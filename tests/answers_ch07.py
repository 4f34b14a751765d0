"""Reference solutions and typical wrong answers for the exercises of chapter 7.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import entr


def entropy_scores(P):
    return entr(np.asarray(P, dtype=float)).sum(axis=1)  # entr(0) = 0


def margin_query(P, n):
    top2 = -np.sort(-np.asarray(P, dtype=float), axis=1)[:, :2]
    return np.argsort(top2[:, 0] - top2[:, 1], kind="stable")[:n]


def k_center_greedy(X_pool, X_labeled, n):
    nearest = cdist(X_pool, X_labeled).min(axis=1)
    picked = []
    for _ in range(n):
        i = int(np.argmax(nearest))  # first maximum: the smaller index on ties
        picked.append(i)
        nearest = np.minimum(nearest, cdist(X_pool, X_pool[i:i + 1])[:, 0])
        nearest[picked] = -np.inf  # never twice, even among rows tied at distance 0
    return np.array(picked)


def _k_center_repeats(X_pool, X_labeled, n):
    nearest = cdist(X_pool, X_labeled).min(axis=1)
    picked = []
    for _ in range(n):
        i = int(np.argmax(nearest))
        picked.append(i)
        nearest = np.minimum(nearest, cdist(X_pool, X_pool[i:i + 1])[:, 0])  # picked rows not excluded
    return np.array(picked)


def vote_entropy(committee_P):
    C = np.asarray(committee_P, dtype=float)
    votes = np.eye(C.shape[2])[C.argmax(axis=2)].mean(axis=0)  # (n, k) vote fractions
    return entr(votes).sum(axis=1)


def _entropy_naive(P):
    P = np.asarray(P, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(P * np.log(P)).sum(axis=1)  # 0 * log 0 = nan


def _margin_largest_first(P, n):
    top2 = -np.sort(-np.asarray(P, dtype=float), axis=1)[:, :2]
    return np.argsort(-(top2[:, 0] - top2[:, 1]), kind="stable")[:n]


def _margin_first_two_columns(P, n):
    P = np.asarray(P, dtype=float)
    return np.argsort(np.abs(P[:, 0] - P[:, 1]), kind="stable")[:n]


def _margin_ties_to_larger_index(P, n):
    top2 = -np.sort(-np.asarray(P, dtype=float), axis=1)[:, :2]
    return np.argsort(-(top2[:, 0] - top2[:, 1]), kind="stable")[::-1][:n]


def _k_center_labeled_only(X_pool, X_labeled, n):
    return np.argsort(-cdist(X_pool, X_labeled).min(axis=1), kind="stable")[:n]  # never updates with picks


def _k_center_nearest(X_pool, X_labeled, n):
    nearest = cdist(X_pool, X_labeled).min(axis=1)
    picked = []
    for _ in range(n):
        i = int(np.argmin(np.where(np.isin(np.arange(len(nearest)), picked), np.inf, nearest)))
        picked.append(i)
    return np.array(picked)


def _vote_entropy_of_mean(committee_P):
    return entr(np.asarray(committee_P, dtype=float).mean(axis=0)).sum(axis=1)  # consensus entropy


def _vote_entropy_bits(committee_P):
    return vote_entropy(committee_P) / np.log(2)


REFERENCE = {"7.1": entropy_scores, "7.2": margin_query, "7.3": k_center_greedy, "7.4": vote_entropy}

WRONG = {
    "7.1": {
        "0 log 0 gives nan": _entropy_naive,
        "log base 2": lambda P: entropy_scores(P) / np.log(2),
        "missing minus sign": lambda P: -entropy_scores(P),
    },
    "7.2": {
        "largest margin first": _margin_largest_first,
        "first two columns instead of the two largest": _margin_first_two_columns,
        "ties to the larger index": _margin_ties_to_larger_index,
    },
    "7.3": {
        "distance to the labelled set only, never updated": _k_center_labeled_only,
        "nearest instead of farthest": _k_center_nearest,
        "may pick the same row twice": _k_center_repeats,
    },
    "7.4": {
        "entropy of the mean prediction": _vote_entropy_of_mean,
        "log base 2": _vote_entropy_bits,
    },
}
