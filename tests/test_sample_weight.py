"""Sample weights, class weights and BCE label smoothing against Keras and PyTorch (float64).

The contract tests (tests/test_contract.py) check every loss of the registry against the weighted reduction of its
own ``"none"`` output, its gradient by finite differences and its refusal of bad weights. Here the conventions are
checked against the frameworks that define them:

* ``"mean"`` is Keras' ``sum_over_batch_size``, :math:`\\sum_i w_i \\ell_i / n`; ``"weighted_mean"`` is Keras'
  ``mean_with_sample_weight``, :math:`\\sum_i w_i \\ell_i / \\sum_i w_i`, and PyTorch's mean with class weights;
* PyTorch's ``weight=`` of ``cross_entropy`` / ``nll_loss`` (with ``ignore_index`` and ``label_smoothing``),
  ``binary_cross_entropy``, ``binary_cross_entropy_with_logits`` and ``multi_margin_loss``;
* Keras' ``BinaryCrossentropy(label_smoothing=...)``, from probabilities and from logits;
* the ``lossfns.keras`` adapters with ``sample_weight`` passed to Keras' own ``__call__``.
"""
import numpy as np
import pytest
from frameworks import keras_value_and_grads

import lossfns as lf
from lossfns.registry import records

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
F = torch.nn.functional

KERAS_RECORDS = [r for r in records() if r.keras is not None]
KERAS_KWARGS = {"poisson_nll": {"eps": 1e-7}}  # Keras' Poisson adds its epsilon 1e-7 to the rate, torch's 1e-8
LOG2_FLOAT32_ERROR = float(np.float32(np.log(2.0))) - np.log(2.0)  # Keras' LogCosh subtracts log 2 as a float32


def t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


def keras_inputs(record, rng):
    """Arguments on which the registry's Keras call and the NumPy loss agree to 1e-12 without weights."""
    n, k = 6, 3
    if record.inputs == "real":
        y = rng.normal(size=(n, k))
        return y, y + rng.normal(scale=1.5, size=(n, k))
    if record.inputs == "log1p_real":  # above Keras' clip at 1e-7
        return np.expm1(rng.uniform(0.01, 5.0, size=(n, k))), np.expm1(rng.uniform(0.01, 5.0, size=(n, k)))
    if record.inputs == "counts":
        return rng.poisson(3.0, size=(n, k)).astype(float), rng.uniform(0.5, 5.0, size=(n, k))
    if record.inputs == "binary_prob":
        return rng.integers(0, 2, size=(n, k)).astype(float), rng.uniform(0.05, 0.95, size=(n, k))
    if record.inputs == "signed_scores":
        y = rng.choice([-1.0, 1.0], size=(n, k))
        return y, y * (1.0 - rng.choice([-1.0, 1.0], size=(n, k)) * rng.uniform(0.1, 1.0, size=(n, k)))
    if record.inputs == "onehot_prob":
        return np.eye(k)[rng.integers(0, k, size=n)], rng.dirichlet(np.full(k, 2.0), size=n)
    if record.inputs == "sparse_prob":
        return rng.integers(0, k, size=n).astype(float), rng.dirichlet(np.full(k, 2.0), size=n)
    if record.inputs == "distributions":
        return rng.dirichlet(np.full(k, 2.0), size=n), rng.dirichlet(np.full(k, 2.0), size=n)
    raise AssertionError(f"no Keras inputs for {record.inputs!r}")


def with_reduction(call: str, reduction: str) -> str:
    """``keras.losses.X(a=1)(y, p)`` as ``keras.losses.X(a=1, reduction=r)(y, p, sample_weight=w)``."""
    ctor, args = call.split(")(", 1)
    sep = "" if ctor.endswith("(") else ", "
    return f"{ctor}{sep}reduction={reduction!r})({args[:-1]}, sample_weight=sample_weight)"


@pytest.mark.parametrize("record", KERAS_RECORDS, ids=[r.name for r in KERAS_RECORDS])
@pytest.mark.parametrize(("keras_reduction", "ours"), [("sum_over_batch_size", "mean"),
                                                       ("mean_with_sample_weight", "weighted_mean")])
def test_sample_weight_matches_keras(record, keras_reduction, ours):
    rng = np.random.default_rng(3)
    y_true, y_pred = keras_inputs(record, rng)
    names = ("y_true", "y_pred") if record.inputs != "distributions" else ("p_true", "q_pred")
    per_sample = record.fn(y_true, y_pred, reduction="none")
    w = rng.uniform(0.0, 3.0, size=y_true.shape[0])  # Keras: one weight per row
    w_ours = w[:, None] if per_sample.ndim == 2 else w  # ours: one per loss; a length-1 axis repeats it
    call = with_reduction(record.keras, keras_reduction).replace("y_true", names[0]).replace("y_pred", names[1])
    inputs = {names[0]: y_true, names[1]: y_pred, "sample_weight": w}
    value, (grad,) = keras_value_and_grads(call, inputs, (names[1],))
    if record.name == "log_cosh":  # each of Keras' per-element losses is ours minus the float32 rounding of log 2
        value += LOG2_FLOAT32_ERROR * (np.mean(w) if ours == "mean" else 1.0)
    kwargs = dict(KERAS_KWARGS.get(record.name, {}), sample_weight=w_ours, reduction=ours)
    np.testing.assert_allclose(record.fn(y_true, y_pred, **kwargs), value, rtol=1e-12, err_msg=call)
    np.testing.assert_allclose(record.grad(y_true, y_pred, **kwargs), grad, rtol=1e-11, atol=1e-15, err_msg=call)
    unweighted, _ = keras_value_and_grads(call, {**inputs, "sample_weight": np.ones_like(w)}, (names[1],))
    assert abs(value - unweighted) > 1e-3 * abs(unweighted), "the weights made no difference: a weak test"


# --- PyTorch's weight= -------------------------------------------------------------------------------------------


def labelled_logits(seed=0, n=8, k=4):
    rng = np.random.default_rng(seed)
    return rng.integers(0, k, size=n), rng.normal(scale=2.0, size=(n, k)), rng.uniform(0.2, 3.0, size=k)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize(("torch_reduction", "ours"), [("mean", "weighted_mean"), ("sum", "sum"), ("none", "none")])
def test_class_weight_matches_torch_cross_entropy(smoothing, ignore, torch_reduction, ours):
    """torch's mean is sum_i w[y_i] l_i / sum_i w[y_i] over the labels not ignored: our reduction='weighted_mean'."""
    y, z, cw = labelled_logits(1)
    if ignore:
        y[[1, 5]] = -100
    logits = t(z, grad=True)
    theirs = F.cross_entropy(logits, torch.tensor(y), weight=t(cw), ignore_index=-100, label_smoothing=smoothing,
                             reduction=torch_reduction)
    theirs.sum().backward()
    kwargs = dict(from_logits=True, class_weight=cw, label_smoothing=smoothing, reduction=ours,
                  ignore_index=-100 if ignore else None)
    np.testing.assert_allclose(lf.sparse_categorical_cross_entropy(y, z, **kwargs), theirs.detach().numpy(),
                               rtol=1e-13, atol=1e-15)
    grad = lf.sparse_categorical_cross_entropy_grad(y, z, **kwargs)
    np.testing.assert_allclose(grad, logits.grad.numpy(), rtol=1e-12, atol=1e-15)
    if torch_reduction == "mean":  # and our "mean" is Keras': the same sum over n labels (those not ignored)
        count = np.count_nonzero(y != -100)
        np.testing.assert_allclose(lf.sparse_categorical_cross_entropy(y, z, **{**kwargs, "reduction": "mean"}),
                                   lf.sparse_categorical_cross_entropy(y, z, **{**kwargs, "reduction": "sum"}) / count,
                                   rtol=1e-13)
        assert abs(theirs.item() - lf.sparse_categorical_cross_entropy(y, z, **{**kwargs, "reduction": "mean"})) > 1e-3


def test_class_weight_and_sample_weight_multiply_and_nll_loss_agrees():
    y, z, cw = labelled_logits(2)
    sw = np.random.default_rng(5).uniform(0.0, 2.0, size=y.shape)
    log_p = torch.log_softmax(t(z), dim=-1)
    per_label = F.nll_loss(log_p, torch.tensor(y), weight=t(cw), reduction="none").numpy()  # w[y_i] l_i
    ours = lf.sparse_categorical_cross_entropy(y, z, from_logits=True, class_weight=cw, sample_weight=sw,
                                               reduction="none")
    np.testing.assert_allclose(ours, sw * per_label, rtol=1e-13)
    want = np.sum(sw * per_label) / np.sum(sw * cw[y])
    np.testing.assert_allclose(lf.sparse_categorical_cross_entropy(y, z, from_logits=True, class_weight=cw,
                                                                   sample_weight=sw, reduction="weighted_mean"),
                               want, rtol=1e-13)
    # probabilities: torch's nll_loss of log p with the same weights
    p = torch.softmax(t(z), dim=-1).numpy()
    theirs = F.nll_loss(torch.log(t(p)), torch.tensor(y), weight=t(cw)).item()
    np.testing.assert_allclose(lf.sparse_categorical_cross_entropy(y, p, class_weight=cw, reduction="weighted_mean"),
                               theirs, rtol=1e-12)


@pytest.mark.parametrize("from_logits", [True, False])
def test_categorical_class_weight_normaliser_is_the_label_weight(from_logits):
    """One-hot rows: 'weighted_mean' = torch's class-index mean; torch's probability-target mean divides by n."""
    y, z, cw = labelled_logits(3)
    onehot = np.eye(z.shape[1])[y]
    x = z if from_logits else torch.softmax(t(z), dim=-1).numpy()
    logits = t(z if from_logits else np.log(x), grad=True)
    by_index = F.cross_entropy(logits, torch.tensor(y), weight=t(cw))
    by_index.backward()
    ours = dict(from_logits=from_logits, class_weight=cw)
    np.testing.assert_allclose(lf.categorical_cross_entropy(onehot, x, reduction="weighted_mean", **ours),
                               by_index.item(), rtol=1e-12)
    if from_logits:
        np.testing.assert_allclose(lf.categorical_cross_entropy_grad(onehot, x, reduction="weighted_mean", **ours),
                                   logits.grad.numpy(), rtol=1e-12, atol=1e-15)
    by_probs = F.cross_entropy(t(z if from_logits else np.log(x)), t(onehot), weight=t(cw)).item()
    np.testing.assert_allclose(lf.categorical_cross_entropy(onehot, x, reduction="mean", **ours), by_probs, rtol=1e-12)


@pytest.mark.parametrize("from_logits", [False, True])
def test_bce_sample_weight_matches_torch_weight(from_logits):
    """torch's BCE ``weight`` rescales each element and its mean divides by n: our 'mean' with sample_weight."""
    rng = np.random.default_rng(4)
    y, w = rng.integers(0, 2, size=(5, 3)).astype(float), rng.uniform(0.0, 3.0, size=(5, 3))
    x = rng.normal(size=(5, 3)) if from_logits else rng.uniform(0.05, 0.95, size=(5, 3))
    pred = t(x, grad=True)
    if from_logits:
        theirs = F.binary_cross_entropy_with_logits(pred, t(y), weight=t(w), pos_weight=t([2.0, 1.0, 0.5]))
    else:
        theirs = F.binary_cross_entropy(pred, t(y), weight=t(w))
    theirs.backward()
    kwargs = dict(from_logits=from_logits, sample_weight=w, pos_weight=[2.0, 1.0, 0.5] if from_logits else None)
    np.testing.assert_allclose(lf.binary_cross_entropy(y, x, **kwargs), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(lf.binary_cross_entropy_grad(y, x, **kwargs), pred.grad.numpy(), rtol=1e-11,
                               atol=1e-15)


def test_multiclass_hinge_sample_weight_is_torch_multi_margin_class_weight():
    rng = np.random.default_rng(6)
    y, cw = rng.integers(0, 3, size=7), rng.uniform(0.2, 3.0, size=3)
    scores = np.round(rng.normal(scale=1.5, size=(7, 3)), 1) + [0.0, 0.03, 0.06]  # no violation exactly 0
    s = t(scores, grad=True)
    theirs = F.multi_margin_loss(s, torch.tensor(y), weight=t(cw))  # w[y_i] l_i, averaged over n
    theirs.backward()
    np.testing.assert_allclose(lf.multiclass_hinge(y, scores, sample_weight=cw[y]), theirs.item(), rtol=1e-13)
    np.testing.assert_allclose(lf.multiclass_hinge_grad(y, scores, sample_weight=cw[y]), s.grad.numpy(), rtol=1e-12,
                               atol=1e-15)


# --- label_smoothing of binary cross-entropy ----------------------------------------------------------------------


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("smoothing", [0.1, 0.5, 1.0])
def test_bce_label_smoothing_matches_keras(from_logits, smoothing):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=(6, 3)).astype(float)
    x = rng.normal(scale=3.0, size=(6, 3)) if from_logits else rng.uniform(0.01, 0.99, size=(6, 3))
    call = (f"keras.losses.BinaryCrossentropy(from_logits={from_logits}, label_smoothing={smoothing})"
            "(y_true, y_pred)")
    value, (grad,) = keras_value_and_grads(call, {"y_true": y, "y_pred": x}, ("y_pred",))
    kwargs = dict(from_logits=from_logits, label_smoothing=smoothing)
    np.testing.assert_allclose(lf.binary_cross_entropy(y, x, **kwargs), value, rtol=1e-12)
    np.testing.assert_allclose(lf.binary_cross_entropy_grad(y, x, **kwargs), grad, rtol=1e-11, atol=1e-15)
    # the smoothed target y (1 - s) + s/2 given as a soft label is the same loss
    soft = y * (1.0 - smoothing) + 0.5 * smoothing
    np.testing.assert_allclose(lf.binary_cross_entropy(y, x, reduction="none", **kwargs),
                               lf.binary_cross_entropy(soft, x, from_logits=from_logits, reduction="none"), rtol=1e-14)
    assert abs(lf.binary_cross_entropy(y, x, from_logits=from_logits) - value) > 1e-3  # smoothing changed it


def test_bce_label_smoothing_keeps_a_perfect_prediction_from_zero_loss():
    """With s = 0.2 a label 1 becomes 0.9: the logit that minimises the loss is log(0.9 / 0.1), not infinity."""
    best = np.log(9.0)
    assert abs(lf.binary_cross_entropy_grad([1.0], [best], from_logits=True, label_smoothing=0.2)[0]) < 1e-15
    assert lf.binary_cross_entropy_grad([1.0], [best + 1.0], from_logits=True, label_smoothing=0.2)[0] > 0.0


# --- the Keras adapters pass sample_weight to Keras ----------------------------------------------------------------


def adapter_cases(rng):
    n, k = 6, 3
    y, r = rng.normal(size=(n, k)), rng.normal(scale=1.5, size=(n, k))
    labels, logits = rng.integers(0, 2, size=(n, k)).astype(float), rng.normal(size=(n, k))
    masks, probs = (rng.uniform(size=(n, k)) < 0.5).astype(float), rng.uniform(0.05, 0.95, size=(n, k))
    distances = rng.uniform(0.05, 2.5, size=(n, k))
    return [
        ("HuberLoss", dict(delta=0.7), lambda a, b, **kw: lf.huber(a, b, delta=0.7, **kw), y, y + r),
        ("LogCoshLoss", {}, lf.log_cosh, y, y + r),
        ("QuantileLoss", dict(q=0.3), lambda a, b, **kw: lf.quantile(a, b, q=0.3, **kw), y, y + r),
        ("FocalLoss", dict(gamma=2.0, alpha=0.25),
         lambda a, b, **kw: lf.focal(a, b, gamma=2.0, alpha=0.25, from_logits=True, **kw), labels, logits),
        ("DiceLoss", {}, lf.dice, masks, probs),
        ("ContrastiveLoss", dict(margin=1.0), lf.contrastive, labels, distances),
    ]


@pytest.mark.parametrize("case", range(6), ids=["huber", "log_cosh", "quantile", "focal", "dice", "contrastive"])
@pytest.mark.parametrize(("keras_reduction", "ours"), [("sum_over_batch_size", "mean"),
                                                       ("mean_with_sample_weight", "weighted_mean")])
def test_keras_adapters_apply_sample_weight_as_the_numpy_loss_does(case, keras_reduction, ours):
    import lossfns.keras as lk

    rng = np.random.default_rng(8)
    name, params, fn, a, b = adapter_cases(rng)[case]
    w = rng.uniform(0.0, 3.0, size=a.shape[0])
    loss = getattr(lk, name)(**params, reduction=keras_reduction, dtype="float64")
    per_sample = fn(a, b, reduction="none")
    w_ours = w[:, None] if np.ndim(per_sample) == 2 else w  # Dice: one loss per item already
    np.testing.assert_allclose(float(loss(a, b, sample_weight=w)), fn(a, b, sample_weight=w_ours, reduction=ours),
                               rtol=1e-12)
    # a Dense(1) output (n, 1) against 1-D targets: the per-sample loss of each row, weighted by its own weight
    if name != "DiceLoss":
        col = getattr(lk, name)(**params, reduction=keras_reduction, dtype="float64")
        np.testing.assert_allclose(float(col(a[:, 0], b[:, :1], sample_weight=w)),
                                   fn(a[:, 0], b[:, 0], sample_weight=w, reduction=ours), rtol=1e-12)


def test_keras_adapters_refuse_bad_sample_weights_with_the_numpy_message():
    import lossfns.keras as lk

    y, p = np.zeros((3, 2)), np.ones((3, 2))
    loss = lk.HuberLoss(dtype="float64")
    with pytest.raises(ValueError, match=r"^HuberLoss: sample_weight must lie in \[0, inf\) \(weights\), got 1 value"):
        loss(y, p, sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match=r"^HuberLoss: sample_weight contains 1 NaN or infinite value"):
        loss(y, p, sample_weight=[1.0, np.nan, 1.0])
    with pytest.raises(TypeError, match=r"^HuberLoss: sample_weight must be numeric"):
        loss(y, p, sample_weight="heavy")
    np.testing.assert_allclose(float(loss(y, p, sample_weight=[0.0, 1.0, 2.0])), lf.huber(y, p), rtol=1e-12)


# --- edges of the rule -----------------------------------------------------------------------------------------------


def test_a_scalar_loss_takes_a_scalar_weight():
    assert lf.mse(1.0, 3.0, sample_weight=0.5) == 2.0  # 0.5 * (3 - 1)^2
    assert lf.mse_grad(1.0, 3.0, sample_weight=0.5) == 2.0  # 0.5 * 2 (3 - 1)
    np.testing.assert_allclose(lf.categorical_cross_entropy([0.0, 1.0], [0.5, 0.5], sample_weight=2.0),
                               2.0 * np.log(2.0), rtol=1e-15)


def test_n_weights_against_n_by_1_losses_are_refused_not_broadcast_to_n_by_n():
    y, p = np.zeros((3, 1)), np.array([[1.0], [2.0], [3.0]])
    message = r"^mse: sample_weight has shape \(3,\) but the per-sample losses \(reduction='none'\) have shape \(3, 1\)"
    with pytest.raises(ValueError, match=message):
        lf.mse(y, p, sample_weight=np.ones(3))
    assert lf.mse(y, p, sample_weight=[[1.0], [0.0], [0.0]]) == pytest.approx(1.0 / 3.0, rel=1e-15)  # the first only


def test_every_label_ignored_has_no_weighted_mean_either():
    with pytest.raises(ValueError, match=r"^sparse_categorical_cross_entropy: every label equals ignore_index=-100"):
        lf.sparse_categorical_cross_entropy([-100, -100], [[0.0, 0.0], [1.0, 0.0]], from_logits=True,
                                            ignore_index=-100, reduction="weighted_mean")
    assert lf.sparse_categorical_cross_entropy([-100, -100], [[0.0, 0.0], [1.0, 0.0]], from_logits=True,
                                               ignore_index=-100, sample_weight=[2.0, 3.0], reduction="sum") == 0.0


def test_ctc_weights_keep_the_label_length_division():
    """PyTorch's CTC mean divides each loss by its label length; the weights multiply the divided losses."""
    lp = np.log(np.full((3, 2, 3), 1.0 / 3.0))  # (T, N, C) uniform frames
    labels, il, ll = [[1, 2], [1, 0]], [3, 3], [2, 1]
    ell = lf.ctc(labels, lp, il, ll, reduction="none")
    w = np.array([3.0, 1.0])
    lp_t = torch.tensor(lp, requires_grad=True)
    theirs = F.ctc_loss(lp_t, torch.tensor(labels), torch.tensor(il), torch.tensor(ll), reduction="none")
    np.testing.assert_allclose(ell, theirs.detach().numpy(), rtol=1e-13)
    by_hand = w * ell / np.array([2.0, 1.0])
    np.testing.assert_allclose(lf.ctc(labels, lp, il, ll, sample_weight=w), by_hand.sum() / 2, rtol=1e-14)
    np.testing.assert_allclose(lf.ctc(labels, lp, il, ll, sample_weight=w, reduction="weighted_mean"),
                               by_hand.sum() / 4, rtol=1e-14)
    # the unweighted mean is PyTorch's: the same division, w = 1
    np.testing.assert_allclose(lf.ctc(labels, lp, il, ll), F.ctc_loss(lp_t, torch.tensor(labels), torch.tensor(il),
                                                                      torch.tensor(ll)).item(), rtol=1e-13)
