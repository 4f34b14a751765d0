"""lossfns.active: query strategies pick the known-right points; the loop is reproducible and fails clearly.

Reference values come from SciPy / scikit-learn or from hand computations written out in the tests.
"""
import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import entropy as scipy_entropy

sklearn = pytest.importorskip("sklearn")

from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402
from sklearn.metrics import log_loss as sk_log_loss  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.semi_supervised import SelfTrainingClassifier  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import lossfns as lf  # noqa: E402
from lossfns import active as A  # noqa: E402


class FixedModel:
    """A 'fitted' model whose probabilities are given: queries can then be checked against hand-made P."""

    def __init__(self, P, classes):
        self.P, self.classes_ = np.asarray(P, dtype=float), np.asarray(classes)

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return self.P[: len(X)]


class HistogramModel:
    """P(y | x) = (count of class y in x's unit cell + 1) / (count in the cell + k): a model EER can be solved for."""

    def __init__(self, classes=(0, 1)):
        self.classes_ = np.asarray(classes)

    def fit(self, X, y):
        self.cells = {}
        for cell, label in zip(np.floor(np.asarray(X)[:, 0]).astype(int), y, strict=True):
            self.cells.setdefault(cell, np.zeros(self.classes_.size))[np.searchsorted(self.classes_, label)] += 1
        return self

    def predict_proba(self, X):
        counts = np.array([self.cells.get(c, np.zeros(self.classes_.size)) for c in np.floor(X[:, 0]).astype(int)])
        return (counts + 1.0) / (counts.sum(axis=1, keepdims=True) + self.classes_.size)


def lr():
    return LogisticRegression(max_iter=300)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[::2], y[::2], X[1::2], y[1::2]


# --- scores --------------------------------------------------------------------------------

# Four rows where the three uncertainty scores disagree (k = 4):
#   row 0 (0.5, 0.5, 0, 0):        top-two gap 0           -> smallest margin
#   row 1 (0.36, 0.32, 0.32, 0):   max p = 0.36 the lowest -> least confident
#   row 2 (0.4, 0.2, 0.2, 0.2):    closest to uniform      -> highest entropy
#   row 3 (0.97, 0.01, 0.01, 0.01): sure
P4 = np.array([[0.5, 0.5, 0.0, 0.0], [0.36, 0.32, 0.32, 0.0], [0.4, 0.2, 0.2, 0.2], [0.97, 0.01, 0.01, 0.01]])


def test_least_confidence_margin_entropy_match_hand_values_and_scipy():
    np.testing.assert_allclose(A.least_confidence(P4), [0.5, 0.64, 0.6, 0.03])
    np.testing.assert_allclose(A.margin(P4), [1.0, 1 - 0.04, 1 - 0.2, 1 - 0.96])
    np.testing.assert_allclose(A.entropy(P4), scipy_entropy(P4, axis=1))  # SciPy: natural log, 0 log 0 = 0
    assert [int(np.argmax(f(P4))) for f in (A.least_confidence, A.margin, A.entropy)] == [1, 0, 2]


@pytest.mark.parametrize(("strategy", "expected"), [("least_confidence", [1, 2]), ("margin", [0, 1]),
                                                    ("entropy", [2, 1])])
def test_uncertainty_queries_pick_the_known_rows(strategy, expected):
    model = FixedModel(P4, classes=[0, 1, 2, 3])
    X_pool = np.arange(4.0)[:, None]
    picks = A.query(strategy, None, [[9.0]], [0], X_pool, 2, classes=[0, 1, 2, 3], model=model)
    assert picks.tolist() == expected


def test_entropy_is_the_expected_log_loss_under_the_models_own_prediction():
    P = np.random.default_rng(0).dirichlet(np.ones(5), size=7)
    k = P.shape[1]
    # E_{y ~ p}[-log p_y]: each class j as the label, weighted by p_j; sklearn divides by the weights' sum (1)
    expected = [sk_log_loss(np.arange(k), np.tile(row, (k, 1)), sample_weight=row, labels=np.arange(k)) for row in P]
    np.testing.assert_allclose(A.entropy(P), expected, rtol=1e-12)


def test_scores_are_zero_for_certain_rows_and_maximal_for_uniform_rows():
    P = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(A.entropy(P), [0.0, np.log(3)])
    np.testing.assert_allclose(A.least_confidence(P), [0.0, 2 / 3])
    np.testing.assert_allclose(A.margin(P), [0.0, 1.0])


# Committee of 3 members on 3 points (k = 3): all agree on point 0, split 2-1 on point 1, split 1-1-1 on point 2.
COMMITTEE = np.array([
    [[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.7, 0.2, 0.1]],
    [[0.9, 0.05, 0.05], [0.5, 0.4, 0.1], [0.2, 0.7, 0.1]],
    [[0.6, 0.2, 0.2], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]],
])


def test_vote_entropy_counts_hard_votes():
    expected = [0.0, scipy_entropy([2, 1]), np.log(3)]  # scipy normalises the vote counts
    np.testing.assert_allclose(A.vote_entropy(COMMITTEE), expected, atol=1e-15)
    assert np.argmax(A.vote_entropy(COMMITTEE)) == 2


def test_mean_kl_matches_scipy_and_the_entropy_identity():
    consensus = COMMITTEE.mean(axis=0)
    expected = [np.mean([scipy_entropy(COMMITTEE[m, i], consensus[i]) for m in range(3)]) for i in range(3)]
    np.testing.assert_allclose(A.mean_kl(COMMITTEE), expected, rtol=1e-12)
    identity = scipy_entropy(consensus, axis=1) - scipy_entropy(COMMITTEE, axis=2).mean(axis=0)
    np.testing.assert_allclose(A.mean_kl(COMMITTEE), identity, rtol=1e-12)
    # hard 0/1 members: KL is finite (0 log 0 = 0) and the unanimous point scores 0
    hard = np.array([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])
    np.testing.assert_allclose(A.mean_kl(hard), [0.0, np.log(2)])


@pytest.mark.parametrize("strategy", ["qbc_vote_entropy", "qbc_kl"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_committee_queries_pick_the_points_between_the_classes(strategy, seed):
    # 1-nearest-neighbour members on bootstrap resamples of {0, 4} (class 0) and {6, 10} (class 1):
    # x = -5 is always class 0 and x = 15, 20 always class 1 (whatever the resample), but 4.8 turns to class 1
    # when 4 is left out and 6 kept (probability 3/16 per member), 5.2 to class 0 when 6 is left out and 4 kept.
    X_lab, y_lab = np.array([[0.0], [4.0], [6.0], [10.0]]), np.array([0, 0, 1, 1])
    X_pool = np.array([[-5.0], [4.8], [5.2], [15.0], [20.0]])
    picks = A.query(strategy, lambda: KNeighborsClassifier(n_neighbors=1), X_lab, y_lab, X_pool, 2, classes=[0, 1],
                    seed=seed, committee_size=40)
    assert sorted(picks.tolist()) == [1, 2]


def test_k_center_greedy_on_a_line_picks_the_far_ends_then_fills_the_gaps():
    line = np.arange(11.0)[:, None]
    assert A.k_center_greedy(line, [[4.0]], 2).tolist() == [10, 0]  # 6 from the center, then 4
    assert A.k_center_greedy(line, [[5.0]], 3).tolist() == [0, 10, 2]  # ties go to the lowest index
    assert A.k_center_greedy(line, None, 2).tolist() == [0, 10]  # no centers: farthest from the mean, then


def test_k_center_greedy_each_pick_maximises_the_distance_to_the_nearest_center():
    rng = np.random.default_rng(3)
    X_pool, X_lab = rng.normal(size=(60, 3)), rng.normal(size=(5, 3))
    picks = A.k_center_greedy(X_pool, X_lab, 8)
    centers = X_lab
    for p in picks:  # brute force with scipy's pairwise distances
        nearest = cdist(X_pool, centers).min(axis=1)
        assert nearest[p] == pytest.approx(nearest.max(), rel=1e-9)
        centers = np.vstack([centers, X_pool[p]])
    assert len(set(picks.tolist())) == 8


def test_entropy_k_center_spreads_its_batch_over_the_uncertain_shortlist():
    # rows 0-3 are uncertain (uniform) and sit at x = 0, 0.1, 0.2, 3; rows 4-7 are sure and far away (x = 20-23);
    # the labelled point is at x = -10
    P = np.array([[0.5, 0.5]] * 4 + [[0.99, 0.01]] * 4)
    X_pool = np.array([[0.0], [0.1], [0.2], [3.0], [20.0], [21.0], [22.0], [23.0]])
    model = FixedModel(P, classes=[0, 1])
    kw = dict(classes=[0, 1], model=model)
    # shortlist = rows 0-3; farthest from -10 is x = 3 (row 3), then x = 0, whose nearest center (x = 3) is 3 away,
    # farther than for x = 0.1 (2.9) and x = 0.2 (2.8)
    assert A.query("entropy_k_center", None, [[-10.0]], [0], X_pool, 2, shortlist_factor=2, **kw).tolist() == [3, 0]
    # plain k-center ignores uncertainty: x = 23 (33 from -10), then x = 3 (13 from -10, 20 from 23)
    assert A.query("k_center", None, [[-10.0]], [0], X_pool, 2, **kw).tolist() == [7, 3]
    assert set(A.query("entropy", None, [[-10.0]], [0], X_pool, 2, **kw).tolist()) <= {0, 1, 2, 3}


def test_random_query_is_seeded_and_distinct():
    X_pool = np.zeros((50, 2))
    a = A.query("random", lr, [[0.0, 0.0]], [0], X_pool, 10, classes=[0, 1], seed=4)
    b = A.query("random", lr, [[0.0, 0.0]], [0], X_pool, 10, classes=[0, 1], seed=4)
    c = A.query("random", lr, [[0.0, 0.0]], [0], X_pool, 10, classes=[0, 1], seed=5)
    assert a.tolist() == b.tolist() != c.tolist()
    assert len(set(a.tolist())) == 10 and a.min() >= 0 and a.max() < 50


# --- expected error reduction --------------------------------------------------------------

# Unit cells of a 1-D pool: cell 0 holds 5 points, cell 1 one point, cell 2 two points; the labelled points are in
# cells 5 and 6, so the histogram model predicts (1/2, 1/2) on the whole pool. Labelling a point of a cell with c
# points (either label) turns the other c - 1 points of that cell to (2/3, 1/3); every other point stays uniform.
EER_POOL = np.array([[0.1], [0.3], [0.5], [0.7], [0.9], [1.5], [2.2], [2.8]])
EER_LAB, EER_Y = np.array([[5.5], [6.5]]), np.array([0, 1])
H_UNIFORM, H_TWO_THIRDS = np.log(2), -(2 / 3 * np.log(2 / 3) + 1 / 3 * np.log(1 / 3))


def test_expected_error_matches_the_hand_computation():
    P = np.full((8, 2), 0.5)
    got = A._expected_error("test", HistogramModel, EER_LAB, EER_Y, EER_POOL, np.array([0, 1]), P,
                            np.arange(8), "log", 0.0)
    cell_size = np.array([5, 5, 5, 5, 5, 1, 2, 2])
    rest = 7  # the other pool points
    expected = ((cell_size - 1) * H_TWO_THIRDS + (rest - (cell_size - 1)) * H_UNIFORM) / rest
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    got01 = A._expected_error("test", HistogramModel, EER_LAB, EER_Y, EER_POOL, np.array([0, 1]), P,
                              np.arange(8), "zero_one", 0.0)
    np.testing.assert_allclose(got01, ((cell_size - 1) / 3 + (rest - (cell_size - 1)) / 2) / rest, rtol=1e-12)


@pytest.mark.parametrize("eer_loss", ["log", "zero_one"])
def test_expected_error_reduction_queries_the_dense_cell(eer_loss):
    # uncertainty sampling cannot tell the pool points apart (all uniform); EER prefers the densest cell
    picks = A.query("expected_error_reduction", HistogramModel, EER_LAB, EER_Y, EER_POOL, 2, classes=[0, 1],
                    eer_candidates=8, eer_loss=eer_loss, seed=1)
    assert set(picks.tolist()) <= {0, 1, 2, 3, 4} and len(set(picks.tolist())) == 2
    assert np.ptp(A.entropy(HistogramModel().fit(EER_LAB, EER_Y).predict_proba(EER_POOL))) == 0.0


def test_expected_error_weights_labels_by_the_current_probabilities():
    # a candidate whose label is sure under P only costs the fit with that label
    P = np.array([[1.0, 0.0]] + [[0.5, 0.5]] * 7)
    got = A._expected_error("test", HistogramModel, EER_LAB, EER_Y, EER_POOL, np.array([0, 1]), P,
                            np.array([0]), "log", 0.0)
    np.testing.assert_allclose(got, [(4 * H_TWO_THIRDS + 3 * H_UNIFORM) / 7])
    # eer_min_prob drops the unlikely label and renormalises: (0.9, 0.1) -> label 0 alone
    P[0] = [0.9, 0.1]
    kept = A._expected_error("test", HistogramModel, EER_LAB, EER_Y, EER_POOL, np.array([0, 1]), P,
                             np.array([0]), "log", 0.5)
    np.testing.assert_allclose(kept, got)


# --- cold start: the labelled set lacks a class ---------------------------------------------


def test_probabilities_are_aligned_to_all_classes_by_name():
    model = FixedModel([[0.7, 0.3], [0.1, 0.9]], classes=[2, 0])  # order and a missing class 1 on purpose
    P = A._proba("test", model, np.zeros((2, 1)), np.array([0, 1, 2]))
    np.testing.assert_allclose(P, [[0.3, 0.0, 0.7], [0.9, 0.0, 0.1]])
    with pytest.raises(ValueError, match="model.classes_ holds 7"):
        A._proba("test", FixedModel([[1.0]], classes=[7]), np.zeros((1, 1)), np.array([0, 1, 2]))


def test_query_works_when_the_labelled_set_lacks_classes(iris):
    X_pool, y_pool, _, _ = iris
    lab = np.flatnonzero(y_pool != 2)[::9]  # classes 0 and 1 only
    assert set(y_pool[lab].tolist()) == {0, 1}
    for strategy in ("margin", "qbc_kl", "expected_error_reduction"):
        picks = A.query(strategy, lr, X_pool[lab], y_pool[lab], X_pool, 5, classes=[0, 1, 2], eer_candidates=8)
        assert picks.shape == (5,) and len(set(picks.tolist())) == 5


def test_a_single_class_cold_start_scores_missing_classes_with_probability_zero(iris):
    # Gaussian naive Bayes fits a single class; aligned, it gives P = (1, 0, 0) to every test point, so accuracy
    # is the share of class-0 points and each other point costs -log(1e-7) (the clip) in the log-loss
    X_pool, y_pool, X_test, y_test = iris
    runs = [A.run(GaussianNB, X_pool, y_pool, X_test, y_test, strategy="entropy", initial_size=2, batch_size=4,
                  rounds=2, seed=s) for s in range(20)]
    single = [r for r in runs if np.unique(y_pool[r.initial]).size == 1]
    assert single, "no seed drew a one-class initial set"
    for r in single:
        only = y_pool[r.initial][0]
        assert r.accuracy[0] == pytest.approx(np.mean(y_test == only))
        assert r.log_loss[0] == pytest.approx(np.mean(y_test != only) * -np.log(1e-7))
    assert all(np.isfinite(r.log_loss).all() for r in runs)


# --- the loop ------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", A.STRATEGIES)
def test_run_is_reproducible_and_queries_distinct_unlabelled_pool_points(iris, strategy):
    X_pool, y_pool, X_test, y_test = iris
    kw = dict(strategy=strategy, initial_size=5, batch_size=3, rounds=3, eer_candidates=6, committee_size=3)
    a = A.run(lr, X_pool, y_pool, X_test, y_test, seed=7, **kw)
    b = A.run(lr, X_pool, y_pool, X_test, y_test, seed=7, **kw)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert a.n_labels.tolist() == [5, 8, 11, 14]
    chosen = np.concatenate([a.initial, *a.queried])
    assert [q.size for q in a.queried] == [3, 3, 3]
    assert len(set(chosen.tolist())) == chosen.size == 14
    assert chosen.min() >= 0 and chosen.max() < len(X_pool)
    assert ((a.accuracy >= 0) & (a.accuracy <= 1)).all() and (a.log_loss > 0).all()


def test_run_accuracy_and_log_loss_are_those_of_the_model_on_the_labelled_points(iris):
    X_pool, y_pool, X_test, y_test = iris
    res = A.run(lr, X_pool, y_pool, X_test, y_test, strategy="least_confidence", initial_size=10, batch_size=5,
                rounds=2, seed=3)
    rows = np.concatenate([res.initial, *res.queried])
    model = lr().fit(X_pool[rows], y_pool[rows])  # the last round's labelled set, refitted independently
    assert res.accuracy[-1] == pytest.approx(accuracy_score(y_test, model.predict(X_test)))
    assert res.log_loss[-1] == pytest.approx(sk_log_loss(y_test, model.predict_proba(X_test)), rel=1e-9)


def test_different_seeds_give_different_initial_sets_and_strategies_share_them(iris):
    X_pool, y_pool, X_test, y_test = iris
    kw = dict(initial_size=8, batch_size=4, rounds=2)
    r0 = A.run(lr, X_pool, y_pool, X_test, y_test, strategy="random", seed=0, **kw)
    r1 = A.run(lr, X_pool, y_pool, X_test, y_test, strategy="random", seed=1, **kw)
    m0 = A.run(lr, X_pool, y_pool, X_test, y_test, strategy="margin", seed=0, **kw)
    assert set(r0.initial.tolist()) != set(r1.initial.tolist())
    assert r0.initial.tolist() == m0.initial.tolist() and r0.accuracy[0] == m0.accuracy[0]


def test_rounds_zero_gives_a_one_point_curve():
    X, y = load_iris(return_X_y=True)
    res = A.run(lr, X, y, X, y, strategy="entropy", initial_size=30, batch_size=5, rounds=0, seed=0)
    assert res.n_labels.tolist() == [30] and res.queried == [] and res.accuracy.shape == (1,)


def test_compare_stacks_seeds_and_labels_to_reach_reads_the_mean(iris):
    X_pool, y_pool, X_test, y_test = iris
    curves = A.compare(lr, X_pool, y_pool, X_test, y_test, strategies=["random", "margin"], seeds=[0, 1, 2],
                       initial_size=6, batch_size=3, rounds=4)
    assert list(curves) == ["random", "margin"]
    for c in curves.values():
        assert c.n_labels.tolist() == [6, 9, 12, 15, 18]
        assert c.accuracy.shape == c.log_loss.shape == (3, 5)
    np.testing.assert_array_equal(curves["random"].accuracy[:, 0], curves["margin"].accuracy[:, 0])
    single = A.run(lr, X_pool, y_pool, X_test, y_test, strategy="margin", initial_size=6, batch_size=3, rounds=4,
                   seed=2)
    np.testing.assert_array_equal(curves["margin"].accuracy[2], single.accuracy)
    mean = curves["margin"].accuracy.mean(axis=0)
    target = float(mean.max())
    first = int(np.argmax(mean >= target))
    assert A.labels_to_reach(curves["margin"], target) == curves["margin"].n_labels[first]
    assert A.labels_to_reach(curves["margin"], 1.0) is None or mean.max() == 1.0


def test_a_run_on_digits_stays_within_the_pool():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    res = A.run(lambda: LogisticRegression(max_iter=200), X[:600], y[:600], X[600:900], y[600:900],
                strategy="entropy_k_center", initial_size=20, batch_size=10, rounds=3, seed=0)
    chosen = np.concatenate([res.initial, *res.queried])
    assert len(set(chosen.tolist())) == 50 and chosen.max() < 600
    assert res.n_labels.tolist() == [20, 30, 40, 50]


# --- errors --------------------------------------------------------------------------------


def test_errors_name_the_argument_and_what_is_allowed(iris):
    X_pool, y_pool, X_test, y_test = iris
    n = len(X_pool)

    def run(**kw):
        args = dict(strategy="margin", initial_size=5, batch_size=5, rounds=2, seed=0) | kw
        return A.run(lr, X_pool, y_pool, X_test, y_test, **args)

    with pytest.raises(ValueError, match=r"unknown strategy 'uncertainty'; known strategies: random, least_confidence"):
        run(strategy="uncertainty")
    with pytest.raises(ValueError, match=f"batch_size = {n + 1} is larger than the pool, which has {n} points"):
        run(batch_size=n + 1)
    with pytest.raises(ValueError, match=r"run: batch_size must be an integer in \[1, inf\), got 0"):
        run(batch_size=0)
    with pytest.raises(ValueError, match=f"initial_size = {n + 1} is larger than the pool"):
        run(initial_size=n + 1)
    with pytest.raises(ValueError, match=r"rounds must be an integer in \[0, inf\), got -1"):
        run(rounds=-1)
    with pytest.raises(ValueError, match=r"5 \+ 20 \* 5 = 105 labels are more than the pool's 75 points"):
        run(rounds=20)
    with pytest.raises(TypeError, match="unknown query option.*committee_sise; allowed: committee_size"):
        run(committee_sise=3)
    with pytest.raises(ValueError, match=r"y_pool must have shape \(75,\), one label per row of X_pool"):
        A.run(lr, X_pool, y_pool[:-1], X_test, y_test, strategy="margin", initial_size=5, batch_size=5, rounds=1)
    with pytest.raises(ValueError, match="X_test has 3 feature.s. but X_pool has 4"):
        A.run(lr, X_pool, y_pool, X_test[:, :3], y_test, strategy="margin", initial_size=5, batch_size=5, rounds=1)
    bad = X_pool.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X_pool contains 1 NaN or infinite value"):
        A.run(lr, bad, y_pool, X_test, y_test, strategy="margin", initial_size=5, batch_size=5, rounds=1)


def test_models_must_come_from_a_factory_and_give_probabilities(iris):
    X_pool, y_pool, X_test, y_test = iris
    kw = dict(strategy="entropy", initial_size=5, batch_size=5, rounds=1)
    with pytest.raises(TypeError, match=r"model_factory must be a zero-argument callable .* got a LogisticRegression"):
        A.run(LogisticRegression(), X_pool, y_pool, X_test, y_test, **kw)
    with pytest.raises(TypeError, match="returned a SVC, which has no predict_proba; .*probability=True"):
        A.run(SVC, X_pool, y_pool, X_test, y_test, **kw)
    with pytest.raises(TypeError, match="model is a KMeans.* no predict_proba"):
        A.query("margin", lr, X_pool[:5], y_pool[:5], X_pool, 2, classes=[0, 1, 2], model=KMeans(2))


def test_query_errors():
    X_lab, y_lab, X_pool = [[0.0], [1.0]], [0, 1], np.arange(6.0)[:, None]
    with pytest.raises(ValueError, match="query: n = 7 is larger than the pool, which has 6 point"):
        A.query("random", lr, X_lab, y_lab, X_pool, 7, classes=[0, 1])
    with pytest.raises(ValueError, match=r"query: n must be an integer in \[1, inf\), got 0"):
        A.query("random", lr, X_lab, y_lab, X_pool, 0, classes=[0, 1])
    with pytest.raises(ValueError, match="y_labeled holds 5, which is not one of the classes"):
        A.query("margin", lr, X_lab, [0, 5], X_pool, 2, classes=[0, 1])
    with pytest.raises(ValueError, match="eer_candidates = 2 must be larger than n = 2"):
        A.query("expected_error_reduction", lr, X_lab, y_lab, X_pool, 2, classes=[0, 1], eer_candidates=2)
    with pytest.raises(ValueError, match="eer_loss must be one of 'log', 'zero_one', got 'mse'"):
        A.query("expected_error_reduction", lr, X_lab, y_lab, X_pool, 2, classes=[0, 1], eer_loss="mse")
    with pytest.raises(ValueError, match=r"committee_size must be an integer in \[2, inf\), got 1"):
        A.query("qbc_kl", lr, X_lab, y_lab, X_pool, 2, classes=[0, 1], committee_size=1)
    with pytest.raises(ValueError, match=r"X_pool must be 2-D with shape \(n_samples, n_features\), got shape \(6,\)"):
        A.query("random", lr, X_lab, y_lab, np.arange(6.0), 2, classes=[0, 1])


def test_score_errors():
    with pytest.raises(ValueError, match="entropy: each row of P .* must sum to 1"):
        A.entropy([[0.5, 0.6]])
    with pytest.raises(ValueError, match=r"margin: P must have shape \(n, k\), got \(2,\)"):
        A.margin([0.5, 0.5])
    with pytest.raises(ValueError, match=r"vote_entropy: committee_P must have shape \(m, n, k\)"):
        A.vote_entropy(P4)
    with pytest.raises(TypeError, match="least_confidence: P must be numeric"):
        A.least_confidence("high")
    with pytest.raises(ValueError, match=r"k_center_greedy: X_labeled has 2 feature\(s\) but X_pool has 1"):
        A.k_center_greedy([[0.0], [1.0]], [[0.0, 1.0]], 1)
    with pytest.raises(ValueError, match=r"labels_to_reach: target must lie in \[0, 1\], got 1.5"):
        A.labels_to_reach(A.Curves(np.array([1]), np.ones((1, 1)), np.ones((1, 1))), 1.5)


# --- self-training -------------------------------------------------------------------------


def test_pseudo_label_keeps_rows_at_or_above_the_threshold():
    model = FixedModel([[0.8, 0.2], [0.55, 0.45], [0.1, 0.9], [0.3, 0.7]], classes=["cat", "dog"])
    idx, labels = A.pseudo_label(model, np.zeros((4, 1)), 0.8)
    assert idx.tolist() == [0, 2] and labels.tolist() == ["cat", "dog"]  # 0.8 itself counts
    with pytest.raises(ValueError, match=r"threshold must lie in \(0, 1\], got 0.0"):
        A.pseudo_label(model, np.zeros((4, 1)), 0.0)


def test_self_training_matches_scikit_learns_self_training_classifier():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    lab, unl, test = order[:20], order[20:400], order[400:]
    res = A.self_training(lr, X[lab], y[lab], X[unl], X[test], y[test], threshold=0.95, rounds=4,
                          y_unlabeled=y[unl])
    y_semi = np.concatenate([y[lab], np.full(unl.size, -1)])  # scikit-learn marks unlabelled points with -1
    ref = SelfTrainingClassifier(lr(), threshold=0.95, max_iter=4).fit(np.vstack([X[lab], X[unl]]), y_semi)
    pseudo = ref.labeled_iter_[20:] > 0
    assert res.n_pseudo[-1] == pseudo.sum() > 0
    assert res.pseudo_accuracy[-1] == pytest.approx(np.mean(ref.transduction_[20:][pseudo] == y[unl][pseudo]))
    assert res.accuracy[-1] == pytest.approx(accuracy_score(y[test], ref.predict(X[test])))
    assert np.isnan(res.pseudo_accuracy[0]) and res.n_pseudo[0] == 0
    assert (np.diff(res.n_pseudo) >= 0).all()


def test_self_training_stops_refitting_when_nothing_is_confident_enough(iris):
    X_pool, y_pool, X_test, y_test = iris
    calls = []

    def factory():
        calls.append(1)
        return lr()

    res = A.self_training(factory, X_pool[::7], y_pool[::7], X_pool[1::7], X_test, y_test, threshold=1.0, rounds=3)
    assert res.n_pseudo.tolist() == [0, 0, 0, 0] and len(calls) == 1
    assert np.all(res.accuracy == res.accuracy[0]) and np.isnan(res.pseudo_accuracy).all()


# --- package promises ----------------------------------------------------------------------


def test_active_is_lazy_and_imports_numpy_only():
    code = ("import sys, lossfns; assert 'lossfns.active' not in sys.modules; lossfns.active.STRATEGIES; "
            "print([m for m in ('sklearn', 'scipy', 'torch', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert lf.active is A


def test_run_refuses_an_initial_set_of_one_class_with_a_message_naming_it():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    lr = lambda: LogisticRegression(max_iter=500)  # noqa: E731
    one_class = [s for s in range(40)
                 if np.unique(y[:400][np.random.default_rng(s).choice(400, size=6, replace=False)]).size == 1]
    assert one_class, "some seed of 40 draws 6 labels of one class"
    seed = one_class[0]
    with pytest.raises(ValueError, match=rf"initial_size = 6 points drawn with seed = {seed} holds only class"):
        A.run(lr, X[:400], y[:400], X[400:], y[400:], strategy="margin", initial_size=6, batch_size=3, rounds=1,
              seed=seed)
    two_classes = next(s for s in range(40) if s not in one_class)
    result = A.run(lr, X[:400], y[:400], X[400:], y[400:], strategy="margin", initial_size=6, batch_size=3,
                   rounds=1, seed=two_classes)
    assert result.n_labels.tolist() == [6, 9]
