"""lossfns.probabilistic.kl_divergence against PyTorch's kl_div, Keras' KLDivergence and mpmath, float64."""
import math

import mpmath
import numpy as np
import pytest
from frameworks import keras_value_and_grads, positional_names, torch_value_and_grads
from hypothesis import given, settings
from hypothesis import strategies as st

import lossfns as lf
from lossfns.probabilistic import kl_divergence, kl_divergence_grad

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ("mean", "sum", "none")
N, K = 5, 4


@pytest.fixture(scope="module")
def dists():
    """Target and predicted distributions, rows of (5, 4), every entry well above eps."""
    rng = np.random.default_rng(13)
    return rng.dirichlet(np.full(K, 1.5), size=N), rng.dirichlet(np.full(K, 1.5), size=N)


def mp_kl(p, q):
    """KL(p || q) of one row at 50 digits, with 0 log 0 = 0."""
    mpmath.mp.dps = 50
    terms = (mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / mpmath.mpf(b)) for a, b in zip(p, q, strict=True) if a > 0)
    return mpmath.fsum(terms)


def test_hand_computed_values():
    # 0.5 log(0.5/0.9) + 0.5 log(0.5/0.1) = 0.5 log(25/9)
    assert kl_divergence([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.5 * math.log(25 / 9), rel=1e-15)
    assert kl_divergence([[0.2, 0.3, 0.5]], [[0.2, 0.3, 0.5]]) == 0.0
    # a target with a zero: only the support of p counts, 1 * log(1 / 0.5)
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-15)
    # "mean" averages over the rows (distributions), not over the n * k entries
    p, q = [[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]]
    assert kl_divergence(p, q) == pytest.approx(math.log(2) / 2, rel=1e-15)
    np.testing.assert_array_equal(kl_divergence_grad(p, q, reduction="sum"), [[-2.0, 0.0], [-1.0, -1.0]])


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 6), sparse=st.booleans())
def test_matches_mpmath_and_is_never_negative(seed, k, sparse):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(k), size=3), rng.dirichlet(np.ones(k), size=3)
    q = np.clip(q, 1e-6, None)
    q /= q.sum(axis=1, keepdims=True)
    if sparse:  # zeros in the target are allowed and contribute 0
        p[:, 0] = 0.0
        p /= p.sum(axis=1, keepdims=True)
    got = kl_divergence(p, q, reduction="none")
    assert (got >= 0).all()
    np.testing.assert_allclose(got, [float(mp_kl(a, b)) for a, b in zip(p, q, strict=True)], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
def test_matches_pytorch_kl_div_with_its_argument_order_and_reductions(dists, reduction, log_target):
    p, q = dists
    # torch: kl_div(input=log q, target=p); our "mean" is its "batchmean", our "none" sums its (n, k) terms per row
    torch_reduction = {"mean": "batchmean", "sum": "sum", "none": "none"}[reduction]
    log_q = torch.tensor(np.log(q), requires_grad=True)
    target = torch.tensor(np.log(p) if log_target else p)
    out = F.kl_div(log_q, target, reduction=torch_reduction, log_target=log_target)
    out.backward(torch.ones_like(out))
    value = out.detach().numpy()
    if reduction == "none":
        assert value.shape == (N, K)
        value = value.sum(axis=-1)
    grad_q = log_q.grad.numpy() / q  # chain rule: d/dq = d/d(log q) / q
    np.testing.assert_allclose(kl_divergence(p, q, reduction=reduction), value, rtol=1e-13)
    np.testing.assert_allclose(kl_divergence_grad(p, q, reduction=reduction), grad_q, rtol=1e-13)


def test_pytorch_mean_divides_by_every_entry_not_by_the_rows(dists):
    p, q = dists
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):  # torch says so itself
        torch_mean = F.kl_div(torch.tensor(np.log(q)), torch.tensor(p), reduction="mean").item()
    assert torch_mean == pytest.approx(kl_divergence(p, q, reduction="sum") / (N * K), rel=1e-13)
    assert torch_mean == pytest.approx(kl_divergence(p, q) / K, rel=1e-13)  # off by a factor k from "mean"


def test_swapping_pytorchs_arguments_computes_something_else(dists):
    p, q = dists
    wrong = F.kl_div(torch.tensor(q), torch.tensor(p), reduction="batchmean").item()  # q instead of log q
    assert abs(wrong - kl_divergence(p, q)) > 0.1


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_matches_keras_kl_divergence(dists, reduction):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    p, q = dists
    loss = keras.losses.KLDivergence(
        reduction={"mean": "sum_over_batch_size", "sum": "sum", "none": None}[reduction], dtype="float64"
    )
    v = tf.Variable(q, dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = loss(tf.constant(p, dtype=tf.float64), v)
    # one divergence per row in both libraries, so every reduction agrees as is
    np.testing.assert_allclose(kl_divergence(p, q, reduction=reduction), value.numpy(), rtol=1e-13)
    np.testing.assert_allclose(kl_divergence_grad(p, q, reduction=reduction), tape.gradient(value, v).numpy(),
                               rtol=1e-13)


def test_zeros_in_the_target_lossfns_exact_pytorch_nan_keras_offset():
    keras = pytest.importorskip("keras")
    p, q = np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])
    assert kl_divergence(p, q) == pytest.approx(math.log(2), rel=1e-15)  # hand: 1 * log(1 / 0.5)
    assert F.kl_div(torch.log(torch.tensor(q)), torch.tensor(p), reduction="sum").item() == pytest.approx(
        math.log(2), rel=1e-15
    )
    # Keras clips p to [1e-7, 1] too: the empty class adds 1e-7 log(1e-7 / 0.5) = -1.54e-6
    keras_value = float(keras.losses.KLDivergence(dtype="float64")(p, q))
    assert keras_value - math.log(2) == pytest.approx(1e-7 * math.log(1e-7 / 0.5), rel=1e-6)
    # p = q = 0 in a class: 0 log 0 - 0 * log 0 = 0 here; torch multiplies 0 by -inf and returns NaN
    same = np.array([[0.0, 1.0]])
    assert kl_divergence(same, same) == 0.0
    assert math.isnan(F.kl_div(torch.log(torch.tensor(same)), torch.tensor(same), reduction="sum").item())
    assert float(keras.losses.KLDivergence(dtype="float64")(same, same)) == 0.0


def test_a_prediction_of_zero_where_the_target_is_not_is_clipped_at_eps():
    keras = pytest.importorskip("keras")
    p, q = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    # clipped: 1 * log(1 / 1e-7) = 16.118..., as in Keras; torch says inf
    assert kl_divergence(p, q) == pytest.approx(-math.log(1e-7), rel=1e-15)
    keras_value = float(keras.losses.KLDivergence(dtype="float64")(p, q))  # + 1e-7 log(1e-7 / 1) for the empty class
    assert keras_value == pytest.approx(-math.log(1e-7) + 1e-7 * math.log(1e-7), rel=1e-12)
    assert F.kl_div(torch.log(torch.tensor(q)), torch.tensor(p), reduction="sum").item() == math.inf
    grad = kl_divergence_grad(p, q)
    assert np.isfinite(grad).all()
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])  # the clipped loss is flat in q[0, 0]; q[0, 1] has p = 0
    assert kl_divergence(p, q, eps=1e-3) == pytest.approx(-math.log(1e-3), rel=1e-15)


def test_none_shapes_and_lists():
    p = np.full((2, 3, 4), 0.25)
    assert kl_divergence(p, p, reduction="none").shape == (2, 3)
    assert kl_divergence([0.5, 0.5], [0.25, 0.75], reduction="none").shape == ()
    assert kl_divergence_grad(p, p).shape == (2, 3, 4)


def test_registry_calls_match_pytorch_and_keras(dists):
    record = lf.registry.get("kl_divergence")
    assert record.family == "probabilistic" and record.chapter == "03_classification"
    names = positional_names(record.fn)
    assert names == ("p_true", "q_pred")
    p, q = dists
    for call, run in [(record.torch, torch_value_and_grads), (record.keras, keras_value_and_grads)]:
        assert call is not None
        value, (grad,) = run(call, dict(zip(names, (p, q), strict=True)), ("q_pred",))
        np.testing.assert_allclose(record.fn(p, q), value, rtol=1e-13, err_msg=call)
        np.testing.assert_allclose(record.grad(p, q), grad, rtol=1e-13, err_msg=call)


P = [[0.5, 0.5], [0.25, 0.75]]
BAD = [
    (P, [[0.5, 0.6], [0.25, 0.75]], {}, ValueError,
     r"^kl_divergence: each row of q_pred \(last axis\) must sum to 1 within 0\.0001, but row 0 sums to 1\.1"),
    ([[0.5, 0.4], [0.25, 0.75]], P, {}, ValueError, r"^kl_divergence: each row of p_true .* sums to 0\.9"),
    (P, [[1.5, -0.5], [0.25, 0.75]], {}, ValueError,
     r"^kl_divergence: q_pred must lie in \[0, 1\] \(probabilities\), got 2 value\(s\) outside it, e\.g\. 1\.5"),
    ([[-0.5, 1.5], [0.25, 0.75]], P, {}, ValueError, r"^kl_divergence: p_true must lie in \[0, 1\]"),
    (P, [[0.5, 0.5]], {}, ValueError, r"^kl_divergence: q_pred has shape \(1, 2\) but p_true has shape \(2, 2\)"),
    (0.5, 0.5, {}, ValueError, r"^kl_divergence: q_pred must have a class axis"),
    (P, P, {"eps": 0.0}, ValueError, r"^kl_divergence: eps must lie in \(0, 0\.5\), got 0\.0$"),
    (P, P, {"eps": "1e-7"}, TypeError, r"^kl_divergence: eps must be a real number, got str"),
    ("p", P, {}, TypeError, r"^kl_divergence: p_true must be numeric"),
    (P, P, {"reduction": "batchmean"}, ValueError, r"^kl_divergence: reduction must be one of 'mean', 'sum', 'none'"),
]


@pytest.mark.parametrize("p_true,q_pred,options,exc,match", BAD)
def test_bad_input_raises_naming_the_argument(p_true, q_pred, options, exc, match):
    for f in (kl_divergence, kl_divergence_grad):
        with pytest.raises(exc, match=match.replace("^kl_divergence:", f"^{f.__name__}:")):
            f(p_true, q_pred, **options)
