"""Properties every loss of the registry must have, checked with hypothesis on drawn inputs.

* never negative, where the record says so (``nonnegative``);
* zero at the perfect prediction of its inputs kind, where the record says so (``zero_at_perfect``);
* ``"sum"`` is ``"mean"`` times the number of per-sample losses, and ``"none"`` adds up to ``"sum"``;
* the gradient equals central finite differences (draws near a kink, a clip or the edge of the domain are
  rejected with ``assume``), without and with drawn sample weights;
* inputs are never modified, and lists and float32 arrays give the float64 result of the same values;
* with drawn ``sample_weight``, every reduction is the weighted reduction of ``"none"``.

A record that claims a property does *not* hold must show it: hypothesis has to find a counterexample.
Draws come from tests/strategies.py, the settings from its ``lossfns-properties`` profile
(derandomized, no database, no deadline); a failure prints the drawn arrays.
"""
import numpy as np
import pytest
from hypothesis import assume, find, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import KINDS, PROFILE, floats, grads_tuple, replace

import lossfns as lf
from lossfns.registry import records

REDUCTIONS = ("mean", "sum", "none")
RECORDS = records()
WITH_GRAD = [r for r in RECORDS if r.grad is not None]
NONNEGATIVE = [r for r in RECORDS if r.nonnegative]
ZERO_AT_PERFECT = [r for r in RECORDS if r.zero_at_perfect]

# Rounding: a loss that is 0 in exact arithmetic (KL of equal rows, Dice of a perfect mask) may come out a few ulps
# below 0; and probability losses clip p to [eps, 1 - eps] with eps = 1e-7, so a perfect prediction costs about
# -log(1 - 1e-7) = 1e-7 (and Keras-style cosines add 1e-12 to squared norms).
NEGATIVE_ROUNDING = 1e-12
PERFECT_TOLERANCE = 1e-6

# Why a record claims that a property does not hold; test_claims_that_a_property_fails_have_a_counterexample
# makes hypothesis find the counterexample.
NOT_NONNEGATIVE = {
    "gaussian_nll": "with full=False and a variance below 1, log(var)/2 < 0: e.g. y = mean, var = 0.5",
    "poisson_nll": "rate - y log(rate) without the log(y!) term: e.g. y = rate = 3 gives 3 - 3 log 3 < 0",
}
NOT_ZERO_AT_PERFECT = {
    "gaussian_nll": "at mean = y the loss is log(var)/2, which is 0 only for var = 1",
    "poisson_nll": "at rate = y the loss is y - y log y, which is 0 only for y = 0 and y = e",
    "info_nce": "at a finite temperature even perfect pairs cost log(1 + sum_j exp((s_ij - 1)/tau)) > 0",
    "nt_xent": "as info_nce: the other views' similarities keep the softmax of the partner below 1",
    "bradley_terry": "the logistic loss of any finite reward gap is positive: log(1 + e^-5) at a gap of 5",
    "dpo": "the logistic loss of any finite margin is positive: log(1 + e^-5) at the margin 5",
}


def ids(recs):
    return [r.name for r in recs]


def kind(record):
    if record.inputs not in KINDS:
        pytest.fail(f"tests/strategies.py has no strategy for inputs kind {record.inputs!r} of {record.name!r}")
    return KINDS[record.inputs]


def show(args):
    note("arguments: " + ", ".join(np.array2string(np.asarray(a), precision=17, separator=", ") for a in args))


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("record", NONNEGATIVE, ids=ids(NONNEGATIVE))
@settings(PROFILE)
@given(data=st.data())
def test_loss_is_never_negative(record, data):
    args = data.draw(kind(record).draw, label="arguments")
    assert np.all(record.fn(*args, reduction="none") >= -NEGATIVE_ROUNDING)


@pytest.mark.parametrize("record", ZERO_AT_PERFECT, ids=ids(ZERO_AT_PERFECT))
@settings(PROFILE)
@given(data=st.data())
def test_loss_is_zero_at_a_perfect_prediction(record, data):
    args = kind(record).perfect(*data.draw(kind(record).draw, label="drawn arguments"))
    show(args)
    np.testing.assert_allclose(record.fn(*args, reduction="none"), 0.0, rtol=0, atol=PERFECT_TOLERANCE)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_claims_that_a_property_fails_have_a_counterexample(record):
    """A ``False`` flag is a claim too: hypothesis must find an input that breaks the property."""
    assert (record.name in NOT_NONNEGATIVE) == (not record.nonnegative), "reason table and record disagree"
    assert (record.name in NOT_ZERO_AT_PERFECT) == (not record.zero_at_perfect), "reason table and record disagree"
    search = settings(PROFILE, max_examples=500)
    if not record.nonnegative:
        find(kind(record).draw, lambda args: np.any(record.fn(*args, reduction="none") < -1e-3), settings=search)
    if not record.zero_at_perfect:
        find(kind(record).draw.map(lambda args: kind(record).perfect(*args)),
             lambda args: np.any(np.abs(record.fn(*args, reduction="none")) > 1e-3), settings=search)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@settings(PROFILE)
@given(data=st.data())
def test_sum_is_mean_times_n_and_none_adds_up_to_sum(record, data):
    args = data.draw(kind(record).draw, label="arguments")
    mean, total, per_sample = (record.fn(*args, reduction=r) for r in REDUCTIONS)
    weights = kind(record).mean_weights
    if weights is None:
        np.testing.assert_allclose(total, mean * per_sample.size, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(mean, np.mean(weights(args) * per_sample), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(per_sample.sum(), total, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
@settings(PROFILE)
@given(data=st.data())
def test_gradient_equals_finite_differences(record, data):
    args = data.draw(kind(record).draw, label="arguments")
    assume(kind(record).fd_safe(*args))
    assert_gradient_matches(record, args, ("mean", "sum"))
    assert_gradient_matches(record, args, ("mean", "weighted_mean"), sample_weight=drawn_weights(data, record, args))


def assert_gradient_matches(record, args, reductions, **kwargs):
    """``record.grad`` equals central finite differences of ``record.fn`` for every predicted argument."""
    for reduction in reductions:
        for k, i in enumerate(kind(record).predicted):
            result = lf.gradcheck(
                lambda x, i=i, r=reduction: record.fn(*replace(args, i, x), reduction=r, **kwargs),
                lambda x, i=i, k=k, r=reduction: grads_tuple(record, replace(args, i, x), reduction=r, **kwargs)[k],
                args[i],
            )
            assert result, f"reduction={reduction!r}, argument {i}: {result!r}"


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@settings(PROFILE)
@given(data=st.data())
def test_inputs_are_never_modified(record, data):
    args = data.draw(kind(record).draw, label="arguments")
    copies = [a.copy() for a in args]
    for f in filter(None, (record.fn, record.grad)):
        for reduction in REDUCTIONS:
            f(*args, reduction=reduction)
            for a, c in zip(args, copies, strict=True):
                np.testing.assert_array_equal(a, c, err_msg=f"{f.__name__}(reduction={reduction!r}) changed it")


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@settings(PROFILE)
@given(data=st.data())
def test_lists_and_float32_give_the_float64_result_of_the_same_values(record, data):
    args = data.draw(kind(record).draw, label="arguments")
    singles = [a.astype(np.float32) for a in args]
    for f in filter(None, (record.fn, record.grad)):
        for reduction in REDUCTIONS:
            expected = as_tuple(f(*args, reduction=reduction))
            for got, want in zip(as_tuple(f(*(a.tolist() for a in args), reduction=reduction)), expected, strict=True):
                np.testing.assert_array_equal(got, want)
            rounded = as_tuple(f(*(a.astype(np.float64) for a in singles), reduction=reduction))
            for got, want in zip(as_tuple(f(*singles, reduction=reduction)), rounded, strict=True):
                assert np.asarray(got).dtype == np.float64
                np.testing.assert_array_equal(got, want)


def drawn_weights(data, record, args):
    """Weights in [0, 5] for the per-sample losses of ``args``, zeros included; the first is at least 0.5, so that
    ``"weighted_mean"`` has a positive divisor (no ``assume``, which would filter out most draws)."""
    shape = np.shape(record.fn(*args, reduction="none"))
    w = data.draw(hnp.arrays(np.float64, shape, elements=floats(0.0, 5.0)), label="sample_weight")
    w[(0,) * w.ndim] = max(w[(0,) * w.ndim], 0.5)
    return w


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@settings(PROFILE)
@given(data=st.data())
def test_weighted_reductions_are_those_of_the_weighted_per_sample_losses(record, data):
    args = data.draw(kind(record).draw, label="arguments")
    w = drawn_weights(data, record, args)
    ell = record.fn(*args, reduction="none")
    weights = kind(record).mean_weights
    scaled = ell if weights is None else weights(args) * ell
    got = {r: record.fn(*args, sample_weight=w, reduction=r) for r in ("none", "sum", "mean", "weighted_mean")}
    np.testing.assert_allclose(got["none"], w * ell, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(got["sum"], np.sum(w * ell), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["mean"], np.sum(w * scaled) / np.size(ell), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["weighted_mean"], np.sum(w * scaled) / np.sum(w), rtol=1e-12, atol=1e-12)
