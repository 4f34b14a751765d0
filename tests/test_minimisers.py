"""Population minimisers and properness (issue 21): the registry's claims, checked numerically.

For every loss whose record names a ``best_constant``, the test draws a skewed sample of
targets of the loss' input kind and checks that the constant prediction it returns gives a
mean loss no constant on a fine grid (nor a numerical optimiser) beats, and that nudging it
raises the loss where the minimiser is unique. For every loss whose record says ``proper``,
the expected loss under a true probability is computed exactly (a weighted sum over the
labels) and ``proper=True`` must mean that reporting the truth beats every other report,
``proper=False`` that some other report does at least as well. The atlas must show each claim.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest
from scipy import optimize

import lossfns as lf
from lossfns import atlas, minimisers
from lossfns.registry import records

RNG_SEED = 20261203
N = 201  # odd, so that a median and a quantile are unique


def _params(record, overrides: dict) -> dict:
    return {**record.params, **overrides}


def _best(record, sample, params: dict, **extra):
    """``best_constant`` called with the loss parameters it takes (same names)."""
    accepted = inspect.signature(record.best_constant).parameters
    return record.best_constant(sample, **{k: v for k, v in params.items() if k in accepted}, **extra)


def _skewed(rng, n=N):
    """Exponential targets with a few far outliers: mean, median and quantiles all differ."""
    y = rng.exponential(2.0, n) - 1.0
    y[:7] += rng.uniform(15.0, 40.0, 7)
    return y


# --------------------------------------------------------------------------
# One-dimensional constants: regression, counts, binary labels, signed labels
# --------------------------------------------------------------------------

#: (loss name, parameter overrides) whose best constant is one number.
SCALAR_CASES = [
    ("mse", {}), ("msle", {}), ("mae", {}), ("quantile", {}), ("quantile", {"q": 0.1}), ("quantile", {"q": 0.9}),
    ("huber", {}), ("huber", {"delta": 0.3}), ("huber", {"delta": 5.0}), ("log_cosh", {}),
    ("general_robust", {}), ("general_robust", {"alpha": 1.5}), ("general_robust", {"alpha": 2.0}),
    ("general_robust", {"alpha": 3.0, "scale": 0.5}),
    ("poisson_nll", {}), ("poisson_nll", {"log_input": True}),
    ("binary_cross_entropy", {}), ("binary_cross_entropy", {"pos_weight": 3.0}),
    ("hinge", {}), ("squared_hinge", {}), ("zero_one", {}),
]


def _scalar_sample(record, rng):
    """Targets of the loss' input kind and the range a constant prediction may take."""
    kind = record.inputs
    if kind == "real":
        y = _skewed(rng)
        return y, (y.min(), y.max())
    if kind == "log1p_real":
        y = _skewed(rng) + 1.0  # non-negative, skewed: the geometric mean of 1 + y is well below the mean
        return y, (y.min(), y.max())
    if kind == "counts":
        y = rng.negative_binomial(2, 0.3, N).astype(float)  # overdispersed: not Poisson
        return y, (0.05, y.max())
    if kind in ("binary_prob", "binary_labels"):
        return (rng.random(N) < 0.3).astype(float), (1e-4, 1 - 1e-4)
    if kind == "signed_scores":
        return np.where(rng.random(N) < 0.7, 1.0, -1.0), (-3.0, 3.0)
    raise AssertionError(kind)


@pytest.mark.parametrize("name,overrides", SCALAR_CASES, ids=[f"{n}-{o}" for n, o in SCALAR_CASES])
def test_best_constant_minimises_the_mean_loss(name, overrides):
    record = lf.registry.get(name)
    rng = np.random.default_rng(RNG_SEED)
    y, (lo, hi) = _scalar_sample(record, rng)
    params = _params(record, overrides)
    if name == "poisson_nll" and params["log_input"]:
        lo, hi = np.log(lo), np.log(hi)

    def mean_loss(c):
        return float(record.fn(y, np.full_like(y, c), **params))

    best = float(_best(record, y, params))
    value = mean_loss(best)
    grid = np.linspace(lo, hi, 4001)
    assert value <= min(mean_loss(c) for c in grid) + 1e-12 * max(1.0, abs(value)), (name, best)
    numeric = optimize.minimize_scalar(mean_loss, bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-10 * max(1.0, hi - lo)})
    assert value <= numeric.fun + 1e-12 * max(1.0, abs(value)), (name, best, numeric.x)
    if name != "zero_one":  # the zero-one loss is flat on each side of its threshold
        h = 1e-3 * (hi - lo)
        assert mean_loss(best - h) > value and mean_loss(best + h) > value, f"{name}: minimiser not unique at {best}"


def test_best_constants_name_the_functional():
    """The registry's texts, checked on the sample: mean, median, quantile, frequency, the Huber limits."""
    rng = np.random.default_rng(RNG_SEED)
    y = _skewed(rng)
    assert minimisers.mean(y) == pytest.approx(y.mean(), abs=0)
    assert minimisers.median(y) == np.sort(y)[N // 2]
    assert minimisers.quantile(y, 0.9) == np.sort(y)[int(np.ceil(0.9 * N)) - 1]
    # Huber: the mean when every residual lies within delta, the median as delta -> 0
    assert minimisers.huber_location(y, delta=2 * np.ptp(y)) == pytest.approx(y.mean(), rel=1e-12)
    assert minimisers.huber_location(y, delta=1e-9) == pytest.approx(np.median(y), abs=1e-8)
    # log-cosh: near the mean for small residuals, near the median for large ones
    small, large = 1e-3 * y, 1e3 * y
    for z, near, far in ((small, small.mean(), np.median(small)), (large, np.median(large), large.mean())):
        assert abs(minimisers.log_cosh_location(z) - near) < 0.01 * abs(far - near)
    labels = (rng.random(N) < 0.3).astype(float)
    assert minimisers.frequency(labels) == labels.mean()
    assert minimisers.hinge_score(2 * labels - 1) == -1.0 and minimisers.majority(labels) == 0.0


# --------------------------------------------------------------------------
# Vector-valued constants: Gaussian NLL, class probabilities, distributions
# --------------------------------------------------------------------------


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize("name,overrides", [
    ("categorical_cross_entropy", {}), ("categorical_cross_entropy", {"label_smoothing": 0.2}),
    ("categorical_cross_entropy", {"class_weight": np.array([1.0, 2.0, 4.0])}),
    ("sparse_categorical_cross_entropy", {}), ("kl_divergence", {}),
])
def test_best_distribution_minimises_the_mean_loss(name, overrides):
    record = lf.registry.get(name)
    rng = np.random.default_rng(RNG_SEED)
    k = 3
    labels = rng.choice(k, size=N, p=[0.6, 0.3, 0.1])
    if record.inputs == "sparse_prob":
        y, extra = labels, {"k": k}
    elif record.inputs == "onehot_prob":
        y, extra = np.eye(k)[labels], {}
    else:  # distributions
        y, extra = rng.dirichlet([2.0, 1.0, 0.5], size=N), {}
    params = _params(record, overrides)
    best = np.asarray(_best(record, y, params, **extra))
    assert best.shape == (k,) and best.sum() == pytest.approx(1.0, abs=1e-12)

    def mean_loss(z):
        return float(record.fn(y, np.tile(_softmax(z), (N, 1)), **params))

    numeric = optimize.minimize(mean_loss, np.zeros(k), method="BFGS", options={"gtol": 1e-10})
    assert np.abs(_softmax(numeric.x) - best).max() < 1e-4, (best, _softmax(numeric.x))
    assert mean_loss(np.log(best)) <= numeric.fun + 1e-10


def test_nll_is_minimised_by_the_log_class_frequencies():
    record = lf.registry.get("nll")
    rng = np.random.default_rng(RNG_SEED)
    labels = rng.choice(3, size=N, p=[0.6, 0.3, 0.1])
    best = _best(record, labels, record.params, k=3)
    np.testing.assert_allclose(np.exp(best), np.bincount(labels, minlength=3) / N, rtol=1e-15)

    def mean_loss(z):
        return float(record.fn(labels, np.tile(z - np.log(np.sum(np.exp(z))), (N, 1)), **record.params))

    numeric = optimize.minimize(mean_loss, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    assert np.abs(_softmax(numeric.x) - np.exp(best)).max() < 1e-4
    assert mean_loss(best) <= numeric.fun + 1e-10


def test_gaussian_nll_is_minimised_by_the_mean_and_variance():
    record = lf.registry.get("gaussian_nll")
    y = _skewed(np.random.default_rng(RNG_SEED))  # far from Gaussian
    mu, var = _best(record, y, record.params)

    def mean_loss(theta):
        return float(record.fn(y, np.full_like(y, theta[0]), np.full_like(y, np.exp(theta[1]))))

    numeric = optimize.minimize(mean_loss, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10})
    assert numeric.x[0] == pytest.approx(mu, abs=1e-4) and np.exp(numeric.x[1]) == pytest.approx(var, rel=1e-4)
    assert mean_loss([mu, np.log(var)]) <= numeric.fun + 1e-10


# --------------------------------------------------------------------------
# Properness: the expected loss under a true probability, computed exactly
# --------------------------------------------------------------------------

PROBABILITY_KINDS = {"binary_prob", "binary_labels", "signed_scores", "sparse_scores", "onehot_prob",
                     "sparse_prob", "sparse_logprob", "distributions"}


def expected_loss(record, eta, q) -> float:
    """E[loss] when the true class probabilities are ``eta`` and the report stands for ``q``."""
    eta, q = np.atleast_1d(np.asarray(eta, float)), np.atleast_1d(np.asarray(q, float))
    kind, k = record.inputs, max(2, eta.size)
    if kind in ("binary_prob", "binary_labels"):
        losses = record.fn(np.array([1.0, 0.0]), np.array([q[0], q[0]]), reduction="none")
        return float(eta[0] * losses[0] + (1 - eta[0]) * losses[1])
    if kind == "signed_scores":
        losses = record.fn(np.array([1.0, -1.0]), np.full(2, 2 * q[0] - 1), reduction="none")
        return float(eta[0] * losses[0] + (1 - eta[0]) * losses[1])
    if kind == "distributions":
        return float(record.fn(eta[None, :], q[None, :]))
    rows = np.tile(q, (k, 1))
    if kind == "sparse_logprob":  # the report is the log of the probabilities it stands for
        return float(eta @ record.fn(np.arange(k), np.log(rows), reduction="none"))
    targets = np.arange(k) if kind in ("sparse_prob", "sparse_scores") else np.eye(k)
    return float(eta @ record.fn(targets, rows, reduction="none"))


def _proper_cases(record, rng):
    """Pairs (truth, other report) over which properness is judged."""
    if record.inputs in ("binary_prob", "binary_labels", "signed_scores"):
        etas = np.linspace(0.05, 0.95, 19)
        qs = np.linspace(0.01, 0.99, 99)
        return [([e], [q]) for e in etas for q in np.r_[qs, e - 1e-3, e + 1e-3] if abs(q - e) > 1e-9]
    etas = rng.dirichlet(np.ones(3), size=12)
    cases = []
    for e in etas:
        others = np.r_[rng.dirichlet(np.ones(3), size=40), [e + d for d in 1e-3 * np.array([[1, -1, 0], [0, 1, -1]])]]
        cases += [(e, q) for q in others]
    return cases


PROPER = [r for r in records() if r.proper is not None]


@pytest.mark.parametrize("record", PROPER, ids=[r.name for r in PROPER])
def test_properness_claim(record):
    assert record.inputs in PROBABILITY_KINDS, f"{record.name}: properness is a claim about probabilities"
    cases = _proper_cases(record, np.random.default_rng(RNG_SEED))
    beaten_or_tied = [(e, q) for e, q in cases if expected_loss(record, q=q, eta=e) <= expected_loss(record, e, e)]
    if record.proper:
        assert not beaten_or_tied, f"{record.name}: reporting the truth is not best: {beaten_or_tied[:3]}"
    else:
        assert beaten_or_tied, f"{record.name}: no report did as well as the truth, yet proper=False"


def test_focal_minimiser_lies_between_the_probability_and_one_half():
    record = lf.registry.get("focal")
    for eta in (0.1, 0.3, 0.6, 0.9, 0.99):
        q = optimize.minimize_scalar(lambda q, eta=eta: expected_loss(record, eta, q), bounds=(1e-6, 1 - 1e-6),
                                     method="bounded", options={"xatol": 1e-10}).x
        assert min(eta, 0.5) < q < max(eta, 0.5), (eta, q)


def test_multiclass_hinge_argmax_is_the_most_likely_class_above_one_half():
    record = lf.registry.get("multiclass_hinge")
    eta = np.array([0.55, 0.3, 0.15])
    targets, weights = np.arange(3), eta

    def loss(scores):
        return float(weights @ record.fn(targets, np.tile(scores, (3, 1)), reduction="none"))

    starts = [np.zeros(3), np.array([0.0, 2.0, 0.0]), np.array([0.0, 0.0, 3.0])]
    best = min((optimize.minimize(loss, s, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12})
                for s in starts), key=lambda r: r.fun)
    assert np.argmax(best.x) == 0, best.x


# --------------------------------------------------------------------------
# The registry and the atlas agree
# --------------------------------------------------------------------------


def test_msle_minimiser_is_the_geometric_mean_of_one_plus_y_below_the_mean():
    y = _skewed(np.random.default_rng(RNG_SEED)) + 1.0
    geometric = np.prod((1.0 + y) ** (1.0 / y.size)) - 1.0  # written out, not through log1p
    assert minimisers.log1p_mean(y) == pytest.approx(geometric, rel=1e-12)
    assert minimisers.log1p_mean(y) < 0.7 * y.mean()  # the registry's "below the conditional mean", by a lot here


def test_every_best_constant_has_its_text_and_a_check():
    checked = {name for name, _ in SCALAR_CASES} | {"categorical_cross_entropy", "sparse_categorical_cross_entropy",
                                                     "nll",
                                                     "kl_divergence", "gaussian_nll"}
    for record in records():
        if record.best_constant is not None:
            assert record.minimiser, f"{record.name}: best_constant without a minimiser text"
            assert record.name in checked, f"{record.name}: best_constant no test checks"
        if record.proper is not None:
            assert record.minimiser, f"{record.name}: a properness claim without its minimiser"


def test_atlas_shows_minimiser_and_properness():
    text = atlas.page(records(), {})
    for record in records():
        if record.minimiser:
            assert record.minimiser in text, record.name
    n_proper = sum(r.proper is not None for r in records())
    assert text.count("strictly proper: yes") + text.count("strictly proper: no") == n_proper
