"""lossfns.classification against PyTorch, Keras, mpmath and hand computation, float64.

Reference values never come from lossfns: each test computes them with a
framework (autograd for gradients), with mpmath at high precision, or by hand.
"""
import math

import mpmath
import numpy as np
import pytest
from frameworks import keras_value_and_grad, torch_value_and_grad
from hypothesis import given, settings
from hypothesis import strategies as st

import lossfns as lf
from lossfns import classification as C
from lossfns.registry import records

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ("mean", "sum", "none")
KERAS_REDUCTION = {"mean": "sum_over_batch_size", "sum": "sum", "none": None}
N, K = 6, 4
NEG_LOG_EPS = -math.log(1e-7)  # 16.118095650958319..., what Keras charges for a confidently wrong probability


# --- data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def binary():
    """Soft-free binary labels, probabilities away from 0/1, and logits, shape (6, 4)."""
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=(N, K)).astype(float)
    p = rng.uniform(0.02, 0.98, size=(N, K))
    z = rng.normal(scale=3.0, size=(N, K))
    return y, p, z


@pytest.fixture(scope="module")
def rows():
    """One-hot rows, soft target rows, predicted probability rows, logits and labels, (6, 4)."""
    rng = np.random.default_rng(11)
    labels = rng.integers(0, K, size=N)
    one_hot = np.eye(K)[labels]
    soft = rng.dirichlet(np.ones(K), size=N)
    p = rng.dirichlet(np.full(K, 2.0), size=N)
    z = rng.normal(scale=3.0, size=(N, K))
    return labels.astype(float), one_hot, soft, p, z


def torch_run(fn, y_pred, reduction):
    """Value of ``fn(pred)`` and d(sum of the output)/d pred, in float64."""
    pred = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    out = fn(pred)
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), pred.grad.numpy()


def keras_run(cls_name, y_true, y_pred, reduction, **kwargs):
    """Value and gradient (of the sum of the output) of a Keras loss class, float64."""
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    loss = getattr(keras.losses, cls_name)(reduction=KERAS_REDUCTION[reduction], dtype="float64", **kwargs)
    t = tf.constant(y_true, dtype=tf.float64)
    p = tf.Variable(y_pred, dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = loss(t, p)
    assert value.dtype == tf.float64
    return value.numpy(), tape.gradient(value, p).numpy()


def assert_close(got, expected, rtol=1e-12, atol=1e-15):
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


# --- binary cross-entropy -----------------------------------------------------


def test_bce_hand_computed():
    # -log 0.9 and -log(1 - 0.2); with pos_weight 3 the positive term triples
    assert C.binary_cross_entropy([1.0, 0.0], [0.9, 0.2], reduction="sum") == pytest.approx(
        -math.log(0.9) - math.log(0.8), rel=1e-15
    )
    assert C.binary_cross_entropy([1.0, 0.0], [0.9, 0.2], pos_weight=3.0, reduction="sum") == pytest.approx(
        -3 * math.log(0.9) - math.log(0.8), rel=1e-15
    )
    # soft label 0.3 at logit 0: 0.3 log 2 + 0.7 log 2 = log 2; gradient sigma(0) - 0.3 = 0.2
    assert C.binary_cross_entropy([0.3], [0.0], from_logits=True) == pytest.approx(math.log(2), rel=1e-15)
    assert C.binary_cross_entropy_grad([0.3], [0.0], from_logits=True)[0] == pytest.approx(0.2, rel=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_probabilities_match_pytorch(binary, reduction):
    y, p, _ = binary
    value, grad = torch_run(lambda q: F.binary_cross_entropy(q, torch.tensor(y), reduction=reduction), p, reduction)
    assert_close(C.binary_cross_entropy(y, p, reduction=reduction), value)
    assert_close(C.binary_cross_entropy_grad(y, p, reduction=reduction), grad)


@pytest.mark.parametrize("pos_weight", [None, 2.5, "per_column"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_logits_match_pytorch_with_pos_weight(binary, reduction, pos_weight):
    y, _, z = binary
    if pos_weight == "per_column":
        pos_weight = np.array([0.5, 1.0, 2.0, 4.0])  # torch broadcasts pos_weight over the last axis
    tw = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=torch.float64)
    value, grad = torch_run(
        lambda x: F.binary_cross_entropy_with_logits(x, torch.tensor(y), pos_weight=tw, reduction=reduction),
        z, reduction,
    )
    kw = {"from_logits": True, "pos_weight": pos_weight, "reduction": reduction}
    assert_close(C.binary_cross_entropy(y, z, **kw), value)
    assert_close(C.binary_cross_entropy_grad(y, z, **kw), grad)


def test_bce_probabilities_with_pos_weight_match_pytorch_through_logit(binary):
    # torch's probability BCE has no pos_weight; the logits version applied to logit(p) is the same loss of p,
    # and autograd through torch.logit gives the derivative with respect to p.
    y, p, _ = binary
    value, grad = torch_run(
        lambda q: F.binary_cross_entropy_with_logits(torch.logit(q), torch.tensor(y), pos_weight=torch.tensor(3.0)),
        p, "mean",
    )
    assert_close(C.binary_cross_entropy(y, p, pos_weight=3.0), value)
    assert_close(C.binary_cross_entropy_grad(y, p, pos_weight=3.0), grad, rtol=1e-10)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_keras(binary, reduction, from_logits):
    y, p, z = binary
    x = z if from_logits else p
    value, grad = keras_run("BinaryCrossentropy", y, x, reduction, from_logits=from_logits)
    kw = {"from_logits": from_logits, "reduction": reduction}
    ours, ours_grad = C.binary_cross_entropy(y, x, **kw), C.binary_cross_entropy_grad(y, x, **kw)
    # Keras averages over the last axis first: "none" is a per-row mean and "sum" is our sum / k.
    if reduction == "none":
        ours, ours_grad = ours.mean(axis=-1), ours_grad / K
    elif reduction == "sum":
        ours, ours_grad = ours / K, ours_grad / K
    assert_close(ours, value)
    assert_close(ours_grad, grad)


# --- categorical and sparse cross-entropy -------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target", ["one_hot", "soft"])
@pytest.mark.parametrize(
    "options",
    [{}, {"label_smoothing": 0.2}, {"class_weight": [0.5, 1.0, 2.0, 3.0]},
     {"label_smoothing": 0.1, "class_weight": [1.0, 0.0, 2.0, 1.0]}],
    ids=["plain", "smoothing", "weights", "both"],
)
def test_cce_logits_match_pytorch_cross_entropy(rows, reduction, target, options):
    _, one_hot, soft, _, z = rows
    y = one_hot if target == "one_hot" else soft
    weight = options.get("class_weight")
    value, grad = torch_run(
        lambda x: F.cross_entropy(
            x, torch.tensor(y), reduction=reduction, label_smoothing=options.get("label_smoothing", 0.0),
            weight=None if weight is None else torch.tensor(weight, dtype=torch.float64),
        ),
        z, reduction,
    )
    kw = {"from_logits": True, "reduction": reduction, **options}
    assert_close(C.categorical_cross_entropy(y, z, **kw), value)
    assert_close(C.categorical_cross_entropy_grad(y, z, **kw), grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cce_probabilities_match_pytorch_cross_entropy_of_log_p(rows, reduction):
    _, one_hot, _, p, _ = rows
    value, grad = torch_run(
        lambda q: F.cross_entropy(torch.log(q), torch.tensor(one_hot), reduction=reduction, label_smoothing=0.1),
        p, reduction,
    )
    kw = {"label_smoothing": 0.1, "reduction": reduction}
    assert_close(C.categorical_cross_entropy(one_hot, p, **kw), value)
    assert_close(C.categorical_cross_entropy_grad(one_hot, p, **kw), grad)


def test_cce_probability_gradient_carries_the_row_normalisation_term(rows):
    # Hand formula: d/dp_j of -sum_i y_i log(p_i / sum p) = -y_j / p_j + 1 for one-hot y and rows summing to 1.
    # The naive -y/p (nll_loss on log p, which does not renormalise) differs by exactly that 1.
    _, one_hot, _, p, _ = rows
    naive = torch_run(lambda q: F.nll_loss(torch.log(q), torch.tensor(one_hot.argmax(1)), reduction="sum"), p, "sum")
    grad = C.categorical_cross_entropy_grad(one_hot, p, reduction="sum")
    assert_close(grad, -one_hot / p + 1.0)
    assert_close(grad - naive[1], np.ones_like(p), rtol=1e-11)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cce_matches_keras(rows, reduction, from_logits, label_smoothing):
    _, one_hot, soft, p, z = rows
    x = z if from_logits else p
    for y in (one_hot, soft):
        value, grad = keras_run(
            "CategoricalCrossentropy", y, x, reduction, from_logits=from_logits, label_smoothing=label_smoothing
        )
        kw = {"from_logits": from_logits, "label_smoothing": label_smoothing, "reduction": reduction}
        assert_close(C.categorical_cross_entropy(y, x, **kw), value)  # one loss per row: reductions agree as is
        assert_close(C.categorical_cross_entropy_grad(y, x, **kw), grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sparse_logits_match_pytorch_nll_of_log_softmax(rows, reduction):
    labels, _, _, _, z = rows
    target = torch.tensor(labels.astype(np.int64))
    value, grad = torch_run(lambda x: F.nll_loss(F.log_softmax(x, dim=-1), target, reduction=reduction), z, reduction)
    kw = {"from_logits": True, "reduction": reduction}
    assert_close(C.sparse_categorical_cross_entropy(labels, z, **kw), value)
    assert_close(C.sparse_categorical_cross_entropy_grad(labels, z, **kw), grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sparse_probabilities_match_pytorch_cross_entropy_of_log_p(rows, reduction):
    labels, _, _, p, _ = rows
    target = torch.tensor(labels.astype(np.int64))
    value, grad = torch_run(lambda q: F.cross_entropy(torch.log(q), target, reduction=reduction), p, reduction)
    assert_close(C.sparse_categorical_cross_entropy(labels, p, reduction=reduction), value)
    assert_close(C.sparse_categorical_cross_entropy_grad(labels, p, reduction=reduction), grad)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sparse_matches_keras(rows, reduction, from_logits):
    labels, _, _, p, z = rows
    x = z if from_logits else p
    value, grad = keras_run("SparseCategoricalCrossentropy", labels, x, reduction, from_logits=from_logits)
    kw = {"from_logits": from_logits, "reduction": reduction}
    assert_close(C.sparse_categorical_cross_entropy(labels, x, **kw), value)
    assert_close(C.sparse_categorical_cross_entropy_grad(labels, x, **kw), grad)


def test_sparse_accepts_integer_arrays_and_batch_shapes():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(2, 5, 3))  # (batch, time, classes)
    labels = rng.integers(0, 3, size=(2, 5))
    out = C.sparse_categorical_cross_entropy(labels, z, from_logits=True, reduction="none")
    assert out.shape == (2, 5)
    expected = F.cross_entropy(torch.tensor(z).permute(0, 2, 1), torch.tensor(labels), reduction="none")
    assert_close(out, expected.numpy())


# --- hinge losses -------------------------------------------------------------


@pytest.fixture(scope="module")
def signed():
    rng = np.random.default_rng(5)
    y = rng.choice([-1.0, 1.0], size=(N, K))
    margin = rng.choice([-1.0, 1.0], size=(N, K)) * rng.uniform(0.05, 1.5, size=(N, K))
    return y, y * (1.0 - margin)  # 1 - y * score = margin, kept away from the kink


def test_hinge_hand_computed():
    # y * score = 2, -0.5, 0.25 -> max(0, 1 - .) = 0, 1.5, 0.75
    np.testing.assert_array_equal(C.hinge([1, -1, 1], [2.0, 0.5, 0.25], reduction="none"), [0.0, 1.5, 0.75])
    np.testing.assert_array_equal(C.squared_hinge([1, -1, 1], [2.0, 0.5, 0.25], reduction="none"), [0, 2.25, 0.5625])
    # {0, 1} labels mean {-1, +1}
    np.testing.assert_array_equal(C.hinge([1, 0, 1], [2.0, 0.5, 0.25], reduction="none"), [0.0, 1.5, 0.75])
    np.testing.assert_array_equal(C.hinge_grad([0, 1], [0.5, 0.25], reduction="sum"), [1.0, -1.0])


@pytest.mark.parametrize("name,cls", [("hinge", "Hinge"), ("squared_hinge", "SquaredHinge")])
@pytest.mark.parametrize("labels", ["plus_minus", "zero_one"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_losses_match_keras(signed, name, cls, labels, reduction):
    y, score = signed
    if labels == "zero_one":
        y = (y + 1.0) / 2.0
    value, grad = keras_run(cls, y, score, reduction)
    fn, grad_fn = getattr(C, name), getattr(C, f"{name}_grad")
    ours, ours_grad = fn(y, score, reduction=reduction), grad_fn(y, score, reduction=reduction)
    if reduction == "none":
        ours, ours_grad = ours.mean(axis=-1), ours_grad / K
    elif reduction == "sum":
        ours, ours_grad = ours / K, ours_grad / K
    assert_close(ours, value)
    assert_close(ours_grad, grad)


def test_hinge_subgradient_at_the_kink_is_zero_like_torch_relu_not_keras():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    y, score = np.array([1.0, -1.0]), np.array([1.0, -1.0])  # y * score = 1: exactly on the kink
    s = torch.tensor(score, requires_grad=True)
    F.relu(1 - torch.tensor(y) * s).sum().backward()
    np.testing.assert_array_equal(C.hinge_grad(y, score, reduction="sum"), s.grad.numpy())
    np.testing.assert_array_equal(C.hinge_grad(y, score, reduction="sum"), [0.0, 0.0])
    np.testing.assert_array_equal(C.squared_hinge_grad(y, score, reduction="sum"), [0.0, 0.0])
    # torch.clamp(..., min=0) passes the gradient at the boundary instead, like Keras below
    s.grad = None
    torch.clamp(1 - torch.tensor(y) * s, min=0).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), -y)
    v = tf.Variable(score[None], dtype=tf.float64)
    with tf.GradientTape() as tape:
        out = keras.losses.Hinge(reduction="sum", dtype="float64")(y[None], v)
    np.testing.assert_array_equal(tape.gradient(out, v).numpy()[0] * 2, -y)  # Keras: -y (per-row mean: / k = 2)


@pytest.fixture(scope="module")
def scores():
    """Labels (6,) and class scores (6, 4) with every margin violation kept away from 0 for m in {0, 0.5, 1}."""
    rng = np.random.default_rng(9)
    labels = rng.integers(0, K, size=N)
    x = np.round(rng.normal(scale=1.5, size=(N, K)), 1) + 0.03 * np.arange(K)  # gaps never a multiple of 0.5
    return labels.astype(float), x


@pytest.mark.parametrize("margin", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multiclass_hinge_matches_pytorch_multi_margin_loss(scores, margin, reduction):
    labels, x = scores
    target = torch.tensor(labels.astype(np.int64))
    value, grad = torch_run(lambda s: F.multi_margin_loss(s, target, margin=margin, reduction=reduction), x, reduction)
    kw = {"margin": margin, "reduction": reduction}
    assert_close(C.multiclass_hinge(labels, x, **kw), value)
    assert_close(C.multiclass_hinge_grad(labels, x, **kw), grad)


def test_multiclass_hinge_subgradient_at_the_kink_is_zero_like_pytorch():
    x = torch.tensor([[1.0, 0.0, -3.0]], dtype=torch.float64, requires_grad=True)  # 1 - 1 + 0 = 0: on the kink
    F.multi_margin_loss(x, torch.tensor([0]), reduction="sum").backward()
    np.testing.assert_array_equal(C.multiclass_hinge_grad([0], x.detach().numpy(), reduction="sum"), x.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 0.0]])


def test_multiclass_hinge_hand_computed():
    # label 0, scores (2, 1.5, -1): violations 1 - 2 + 1.5 = 0.5 and 1 - 2 - 1 < 0 -> 0.5 / 3
    assert C.multiclass_hinge([0], [[2.0, 1.5, -1.0]]) == pytest.approx(0.5 / 3, rel=1e-15)
    assert C.multiclass_hinge([0], [[2.0, 1.5, -1.0]], margin=0.0) == 0.0


# --- zero-one -----------------------------------------------------------------


def test_zero_one_counts_errors_and_threshold_is_inclusive():
    y = [1, 0, 1, 0, 1]
    p = [0.9, 0.5, 0.5, 0.1, 0.2]  # predictions 1, 1, 1, 0, 0 -> errors at 1 and 4
    np.testing.assert_array_equal(C.zero_one(y, p, reduction="none"), [0.0, 1.0, 0.0, 0.0, 1.0])
    assert C.zero_one(y, p) == 0.4
    assert C.zero_one(y, p, reduction="sum") == 2.0
    assert C.zero_one([1, -1], [0.0, -0.1], threshold=0.0) == 0.0
    assert C.zero_one([1, 1], [0.7, 0.8], threshold=0.75) == 0.5


def test_zero_one_is_one_minus_sklearn_style_accuracy_of_keras_binary_accuracy(binary):
    keras = pytest.importorskip("keras")
    y, p, _ = binary
    accuracy = keras.metrics.BinaryAccuracy(threshold=0.5, dtype="float64")
    accuracy.update_state(y, p)  # Keras counts p > 0.5; no p here is exactly 0.5
    assert C.zero_one(y, p) == pytest.approx(1.0 - float(accuracy.result()), abs=1e-15)


def test_zero_one_has_no_gradient_in_the_registry():
    assert lf.registry.get("zero_one").grad is None
    assert not hasattr(C, "zero_one_grad")


# --- focal --------------------------------------------------------------------


def torch_sigmoid_focal_loss(logits, targets, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss (reduction "none"), written out: alpha < 0 disables the weighting."""
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss


def torch_focal_of_probabilities(p, targets, alpha, gamma):
    ce = F.binary_cross_entropy(p, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss


TORCH_REDUCE = {"mean": torch.mean, "sum": torch.sum, "none": lambda t: t}


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_matches_pytorch_sigmoid_focal_loss(binary, from_logits, alpha, gamma, reduction):
    y, p, z = binary
    x = z if from_logits else p
    ref = torch_sigmoid_focal_loss if from_logits else torch_focal_of_probabilities
    t = torch.tensor(y)
    value, grad = torch_run(lambda v: TORCH_REDUCE[reduction](ref(v, t, -1 if alpha is None else alpha, gamma)),
                            x, reduction)
    kw = {"gamma": gamma, "alpha": alpha, "from_logits": from_logits, "reduction": reduction}
    assert_close(C.focal(y, x, **kw), value)
    assert_close(C.focal_grad(y, x, **kw), grad, rtol=1e-11)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_matches_keras_binary_focal_crossentropy(binary, from_logits, alpha, reduction):
    y, p, z = binary
    x = z if from_logits else p
    # Keras' alpha only acts with apply_class_balancing=True; its default alpha=0.25 is otherwise ignored.
    kw_keras = {"gamma": 2.0, "from_logits": from_logits, "apply_class_balancing": alpha is not None}
    if alpha is not None:
        kw_keras["alpha"] = alpha
    value, grad = keras_run("BinaryFocalCrossentropy", y, x, reduction, **kw_keras)
    kw = {"gamma": 2.0, "alpha": alpha, "from_logits": from_logits, "reduction": reduction}
    ours, ours_grad = C.focal(y, x, **kw), C.focal_grad(y, x, **kw)
    if reduction == "none":
        ours, ours_grad = ours.mean(axis=-1), ours_grad / K
    elif reduction == "sum":
        ours, ours_grad = ours / K, ours_grad / K
    assert_close(ours, value)
    assert_close(ours_grad, grad, rtol=1e-11)


def test_focal_with_gamma_zero_is_weighted_binary_cross_entropy(binary):
    # alpha_t weights: alpha for positives, 1 - alpha for negatives (hand-built from torch's weighted BCE)
    y, p, _ = binary
    w = torch.tensor(0.3 * y + 0.7 * (1 - y))
    expected = F.binary_cross_entropy(torch.tensor(p), torch.tensor(y), weight=w).item()
    assert C.focal(y, p, gamma=0.0, alpha=0.3) == pytest.approx(expected, rel=1e-13)


# --- extreme logits: exact and finite -----------------------------------------


def mp_softplus(x):
    return mpmath.log1p(mpmath.exp(mpmath.mpf(x)))


def mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(x)))


EXTREME_Z = np.array([1e4, -1e4, 1e4, -1e4, 40.0, -40.0, 700.0, -745.0])
EXTREME_Y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0])


def test_bce_with_logits_of_1e4_is_exact():
    assert C.binary_cross_entropy([0.0], [1e4], from_logits=True) == 1e4  # exactly, as the issue asks
    mpmath.mp.dps = 50
    loss = C.binary_cross_entropy(EXTREME_Y, EXTREME_Z, from_logits=True, reduction="none")
    grad = C.binary_cross_entropy_grad(EXTREME_Y, EXTREME_Z, from_logits=True, reduction="none")
    for y, z, got, got_grad in zip(EXTREME_Y, EXTREME_Z, loss, grad, strict=True):
        exact = y * mp_softplus(-z) + (1 - y) * mp_softplus(z)
        exact_grad = mp_sigmoid(z) - y
        assert got == pytest.approx(float(exact), rel=1e-15, abs=0), (y, z)
        assert got_grad == pytest.approx(float(exact_grad), rel=1e-15, abs=0), (y, z)
    assert np.isfinite(C.binary_cross_entropy_grad(EXTREME_Y, EXTREME_Z, from_logits=True, pos_weight=7.0)).all()


def test_cce_and_sparse_with_logits_of_1e4_are_exact():
    z = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [40.0, 0.0, 0.0]])
    labels = np.array([1, 0, 0])
    one_hot = np.eye(3)[labels]
    mpmath.mp.dps = 50
    expected, expected_grad = [], []
    for row, label in zip(z, labels, strict=True):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row))
        expected.append(float(lse - row[label]))
        expected_grad.append([float(mpmath.exp(v - lse) - (j == label)) for j, v in enumerate(row)])
    for fn, y in [("categorical_cross_entropy", one_hot), ("sparse_categorical_cross_entropy", labels)]:
        loss = getattr(C, fn)(y, z, from_logits=True, reduction="none")
        grad = getattr(C, f"{fn}_grad")(y, z, from_logits=True, reduction="none")
        np.testing.assert_allclose(loss, expected, rtol=1e-15)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-15, atol=0)
    assert C.categorical_cross_entropy([[0.0, 1.0, 0.0]], [[1e4, -1e4, 0.0]], from_logits=True) == 2e4


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_focal_with_logits_of_1e4_is_exact_and_finite(gamma, alpha):
    mpmath.mp.dps = 60
    loss = C.focal(EXTREME_Y, EXTREME_Z, gamma=gamma, alpha=alpha, from_logits=True, reduction="none")
    grad = C.focal_grad(EXTREME_Y, EXTREME_Z, gamma=gamma, alpha=alpha, from_logits=True, reduction="none")
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    for y, z, got, got_grad in zip(EXTREME_Y, EXTREME_Z, loss, grad, strict=True):
        a = 1 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
        zz = mpmath.mpf(z)

        def exact(v, y=y, a=a):
            s = mp_sigmoid(v)
            ce = y * mp_softplus(-v) + (1 - y) * mp_softplus(v)
            return a * (y * (1 - s) + (1 - y) * s) ** gamma * ce

        assert got == pytest.approx(float(exact(zz)), rel=1e-13, abs=0), (y, z)
        assert got_grad == pytest.approx(float(mpmath.diff(exact, zz)), rel=1e-10, abs=0), (y, z)


def test_what_the_frameworks_return_at_logits_of_1e4():
    keras = pytest.importorskip("keras")
    z, y = torch.tensor([1e4, -1e4], dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64)
    # with logits both frameworks are exact, like lossfns
    np.testing.assert_array_equal(F.binary_cross_entropy_with_logits(z, y, reduction="none").numpy(), [1e4, 1e4])
    bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None, dtype="float64")
    np.testing.assert_array_equal(np.asarray(bce(y.numpy()[:, None], z.numpy()[:, None])), [1e4, 1e4])
    # squashed to probabilities first, sigmoid(1e4) == 1.0 and the loss is whatever the clamp allows
    np.testing.assert_array_equal(F.binary_cross_entropy(torch.sigmoid(z), y, reduction="none").numpy(), [100, 100])
    bce_p = keras.losses.BinaryCrossentropy(reduction=None, dtype="float64")
    np.testing.assert_allclose(np.asarray(bce_p(y.numpy()[:, None], torch.sigmoid(z).numpy()[:, None])),
                               [NEG_LOG_EPS, NEG_LOG_EPS], rtol=1e-9)
    # a confident right answer: the exact loss is log(1 + e^-40) = 4.2e-18; torch's and Keras' log-sum-exp round it to 0
    right = np.array([[40.0, 0.0]])
    assert F.cross_entropy(torch.tensor(right), torch.tensor([0])).item() == 0.0
    cce = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
    assert float(cce(np.array([[1.0, 0.0]]), right)) == 0.0
    assert C.sparse_categorical_cross_entropy([0], right, from_logits=True) == pytest.approx(math.exp(-40), rel=1e-15)
    # a focal loss written the torchvision way has a NaN gradient for gamma < 1 at saturated logits; lossfns does not
    zz = torch.tensor([1e4, -1e4], dtype=torch.float64, requires_grad=True)
    torch_sigmoid_focal_loss(zz, torch.tensor([1.0, 0.0], dtype=torch.float64), -1, 0.5).sum().backward()
    assert torch.isnan(zz.grad).all()
    np.testing.assert_array_equal(C.focal_grad([1.0, 0.0], [1e4, -1e4], gamma=0.5, from_logits=True), [0.0, 0.0])


# --- probabilities of exactly 0 and 1 -----------------------------------------


def test_confidently_wrong_probabilities_pytorch_clamps_at_100_keras_and_lossfns_clip_at_eps():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    y, p = np.array([1.0, 0.0]), np.array([0.0, 1.0])  # both confidently wrong
    # PyTorch clamps log at -100: loss 100, and a gradient of +-1e12 from its 1e-12 guard in the backward formula
    value, grad = torch_run(lambda q: F.binary_cross_entropy(q, torch.tensor(y), reduction="none"), p, "none")
    np.testing.assert_array_equal(value, [100.0, 100.0])
    np.testing.assert_allclose(grad, [-1e12, 1e12], rtol=1e-8)
    # Keras clips p to [1e-7, 1 - 1e-7]: -log(1e-7) = 16.118..., and the clipped loss is flat (gradient 0)
    v = tf.Variable(p[:, None], dtype=tf.float64)
    with tf.GradientTape() as tape:
        k_value = keras.losses.BinaryCrossentropy(reduction=None, dtype="float64")(y[:, None], v)
    k_grad = tape.gradient(k_value, v).numpy()[:, 0]
    np.testing.assert_allclose(k_value.numpy(), [NEG_LOG_EPS, NEG_LOG_EPS], rtol=1e-9)
    assert NEG_LOG_EPS == pytest.approx(16.118095650958, rel=1e-12)
    # lossfns with eps = 1e-7 matches Keras (exactly -log(1e-7); Keras' 1 - (1 - 1e-7) is off by ~6e-10)
    ours = C.binary_cross_entropy(y, p, eps=1e-7, reduction="none")
    np.testing.assert_allclose(ours, k_value.numpy(), rtol=1e-10)
    np.testing.assert_array_equal(ours, [NEG_LOG_EPS, NEG_LOG_EPS])
    np.testing.assert_array_equal(C.binary_cross_entropy_grad(y, p, reduction="none"), k_grad)
    # a larger eps clips harder
    assert C.binary_cross_entropy([1.0], [0.0], eps=1e-3) == pytest.approx(-math.log(1e-3), rel=1e-15)


def test_confidently_right_probabilities_cost_about_eps_like_keras():
    keras = pytest.importorskip("keras")
    y, p = np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])
    expected = keras.losses.BinaryCrossentropy(dtype="float64")(y, p).numpy()
    assert C.binary_cross_entropy(y, p) == pytest.approx(float(expected), rel=1e-8)
    assert C.binary_cross_entropy(y, p) == pytest.approx(-math.log1p(-1e-7), rel=1e-8)  # ~1e-7, not 0


def test_probability_rows_with_zeros_and_ones_are_finite_and_match_keras():
    keras = pytest.importorskip("keras")
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])  # wrong, right, wrong with p = 0
    ours = C.categorical_cross_entropy(y, p, reduction="none")
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, [NEG_LOG_EPS, -math.log1p(-1e-7), NEG_LOG_EPS], rtol=1e-9)
    k_cce = keras.losses.CategoricalCrossentropy(reduction=None, dtype="float64")(y, p).numpy()
    np.testing.assert_allclose(ours, k_cce, rtol=1e-9)
    labels = y.argmax(axis=1)
    k_sparse = keras.losses.SparseCategoricalCrossentropy(reduction=None, dtype="float64")(labels, p).numpy()
    ours_sparse = C.sparse_categorical_cross_entropy(labels, p, reduction="none")
    np.testing.assert_array_equal(ours_sparse, ours)  # one-hot and integer labels: the same loss here
    # Keras' sparse loss clips before renormalising (its categorical one after), so for the perfect row it
    # charges (1 + eps) / (1 - eps) -> ~2e-7 instead of ~1e-7; elsewhere the two agree.
    np.testing.assert_allclose(k_sparse, [NEG_LOG_EPS, 2e-7, NEG_LOG_EPS], rtol=1e-7)
    np.testing.assert_allclose(ours_sparse, k_sparse, rtol=1e-9, atol=1.1e-7)
    assert np.isfinite(C.categorical_cross_entropy_grad(y, p)).all()
    assert np.isfinite(C.sparse_categorical_cross_entropy_grad(labels, p)).all()


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_focal_at_probabilities_0_and_1_is_finite_and_close_to_keras(gamma):
    keras = pytest.importorskip("keras")
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    p = np.array([[0.0, 1.0, 1.0, 0.0]])  # wrong, wrong, right, right
    ours = C.focal(y, p, gamma=gamma, reduction="none")
    assert np.isfinite(ours).all() and np.isfinite(C.focal_grad(y, p, gamma=gamma)).all()
    expected = keras.losses.BinaryFocalCrossentropy(gamma=gamma, reduction=None, dtype="float64")(y, p).numpy()
    # Keras' focal factor uses the unclipped p: the difference is of order eps
    assert ours.mean() == pytest.approx(float(expected[0]), rel=1e-6)
    np.testing.assert_allclose(ours[0, :2], NEG_LOG_EPS * (1 - 1e-7) ** gamma, rtol=1e-9)


# --- identities, checked with hypothesis ---------------------------------------


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-15.0, 15.0), y=st.sampled_from([0.0, 1.0, 0.25]))
def test_bce_of_sigmoid_probabilities_equals_bce_of_logits(z, y):
    p = 1.0 / (1.0 + math.exp(-z))
    assert C.binary_cross_entropy([y], [p]) == pytest.approx(
        float(C.binary_cross_entropy([y], [z], from_logits=True)), rel=1e-9, abs=1e-12
    )
    # chain rule: dL/dz = dL/dp * p (1 - p)
    assert C.binary_cross_entropy_grad([y], [z], from_logits=True)[0] == pytest.approx(
        C.binary_cross_entropy_grad([y], [p])[0] * p * (1 - p), rel=1e-7, abs=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(z=st.lists(st.floats(-30.0, 30.0), min_size=2, max_size=2), label=st.sampled_from([0, 1]))
def test_two_class_cross_entropy_is_binary_cross_entropy_of_the_logit_gap(z, label):
    # softmax over (z0, z1) = sigmoid(z1 - z0): an identity, with the BCE value from mpmath
    mpmath.mp.dps = 40
    gap = mpmath.mpf(z[1]) - mpmath.mpf(z[0])
    exact = mp_softplus(-gap) if label == 1 else mp_softplus(gap)
    got = C.sparse_categorical_cross_entropy([label], [z], from_logits=True)
    assert got == pytest.approx(float(exact), rel=1e-12, abs=1e-300)


# --- gradients of the non-default options (the contract tests cover the defaults) --------------


GRAD_CASES = [
    ("binary_cross_entropy", "binary_logits", {"from_logits": True, "pos_weight": 2.0}),
    ("binary_cross_entropy", "binary_soft", {"pos_weight": [0.5, 1.0, 2.0, 4.0]}),
    ("categorical_cross_entropy", "rows_logits", {"from_logits": True, "label_smoothing": 0.3,
                                                  "class_weight": [1.0, 2.0, 0.5, 0.0]}),
    ("categorical_cross_entropy", "rows_prob", {"label_smoothing": 0.3, "class_weight": [1.0, 2.0, 0.5, 3.0]}),
    ("sparse_categorical_cross_entropy", "labels_logits", {"from_logits": True}),
    ("multiclass_hinge", "labels_scores", {"margin": 0.5}),
    ("focal", "binary_logits", {"from_logits": True, "gamma": 0.5, "alpha": 0.8}),
    ("focal", "binary_soft", {"gamma": 3.0, "alpha": 0.1}),
]


@pytest.mark.parametrize("name,kind,options", GRAD_CASES, ids=[f"{n}-{k}" for n, k, _ in GRAD_CASES])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_of_options_match_finite_differences(binary, rows, scores, name, kind, options, reduction):
    y, p, z = binary
    labels, one_hot, soft, p_rows, z_rows = rows
    data = {
        "binary_logits": (y, z), "binary_soft": (np.clip(p[::-1], 0.1, 0.9), p),
        "rows_logits": (soft, z_rows), "rows_prob": (one_hot, p_rows),
        "labels_logits": (labels, z_rows), "labels_scores": scores,
    }[kind]
    fn, grad = getattr(C, name), getattr(C, f"{name}_grad")
    y_true, y_pred = data
    result = lf.gradcheck(lambda v: fn(y_true, v, reduction=reduction, **options),
                          lambda v: grad(y_true, v, reduction=reduction, **options), y_pred)
    assert result, repr(result)


# --- registry records: the stored framework calls reproduce value and gradient ---------------


CLASSIFICATION = [r for r in records() if r.family == "classification"]


def registry_data(kind):
    rng = np.random.default_rng(21)
    if kind in ("binary_prob", "binary_labels"):
        return rng.integers(0, 2, size=(5, 3)).astype(float), rng.uniform(0.05, 0.95, size=(5, 3))
    if kind == "onehot_prob":
        return np.eye(3)[rng.integers(0, 3, size=5)], rng.dirichlet(np.full(3, 2.0), size=5)
    if kind == "sparse_prob":
        return rng.integers(0, 3, size=5).astype(float), rng.dirichlet(np.full(3, 2.0), size=5)
    if kind == "sparse_logprob":
        return rng.integers(0, 3, size=5).astype(float), np.log(rng.dirichlet(np.full(3, 2.0), size=5))
    if kind == "signed_scores":
        y = rng.choice([-1.0, 1.0], size=(5, 3))
        return y, y * (1.0 - rng.choice([-1.0, 1.0], size=(5, 3)) * rng.uniform(0.1, 1.0, size=(5, 3)))
    if kind == "sparse_scores":
        return rng.integers(0, 3, size=5).astype(float), np.round(rng.normal(size=(5, 3)), 1) + [0.0, 0.03, 0.06]
    raise AssertionError(f"no data for inputs kind {kind!r}")


@pytest.mark.parametrize("record", CLASSIFICATION, ids=[r.name for r in CLASSIFICATION])
def test_registry_calls_match_pytorch_and_keras(record):
    assert record.chapter == "03_classification"
    y_true, y_pred = registry_data(record.inputs)
    calls = [(record.torch, torch_value_and_grad), (record.keras, keras_value_and_grad)]
    if record.grad is not None:
        assert any(call for call, _ in calls) or record.name in {"hinge", "squared_hinge"}
    for call, run in calls:
        if call is None:
            continue
        value, grad = run(call, y_true, y_pred)
        np.testing.assert_allclose(record.fn(y_true, y_pred), value, rtol=1e-12, err_msg=call)
        np.testing.assert_allclose(record.grad(y_true, y_pred), grad, rtol=1e-11, atol=1e-15, err_msg=call)


def test_registry_has_every_classification_loss():
    expected = {"binary_cross_entropy", "categorical_cross_entropy", "sparse_categorical_cross_entropy", "hinge",
                "squared_hinge", "multiclass_hinge", "zero_one", "focal", "nll", "categorical_focal"}
    assert {r.name for r in CLASSIFICATION} == expected


# --- shapes of "none" ---------------------------------------------------------


def test_none_shapes():
    y3 = np.eye(3)[[0, 1, 2, 0]].reshape(2, 2, 3)
    p3 = np.full((2, 2, 3), 1 / 3)
    assert C.categorical_cross_entropy(y3, p3, reduction="none").shape == (2, 2)
    assert C.categorical_cross_entropy([1.0, 0.0], [0.5, 0.5], reduction="none").shape == ()
    assert C.multiclass_hinge([[0, 1]], [[[1.0, 0.0], [0.0, 1.0]]], reduction="none").shape == (1, 2)
    for fn in (C.binary_cross_entropy, C.focal, C.hinge, C.squared_hinge, C.zero_one):
        assert fn(np.ones((2, 3)), np.full((2, 3), 0.7), reduction="none").shape == (2, 3)
    # "mean" averages over rows, not over elements
    assert C.categorical_cross_entropy(y3, p3) == pytest.approx(math.log(3), rel=1e-15)


# --- bad input ----------------------------------------------------------------


P2 = [[0.3, 0.7], [0.6, 0.4]]
Y2 = [[0.0, 1.0], [1.0, 0.0]]

BAD = [
    # (function, y_true, y_pred, options, exception, message regex)
    ("binary_cross_entropy", [0.0, 2.0], [0.5, 0.5], {}, ValueError,
     r"^binary_cross_entropy: y_true must lie in \[0, 1\].*got 1 value\(s\) outside it, e\.g\. 2\.0"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 1.5], {}, ValueError,
     r"y_pred must lie in \[0, 1\] \(probabilities; pass from_logits=True for logits\)"),
    ("binary_cross_entropy", [0.0, 1.0], [-0.1, 0.5], {}, ValueError, r"y_pred must lie in \[0, 1\].*-0\.1"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"pos_weight": 0.0}, ValueError,
     r"^binary_cross_entropy: pos_weight must lie in \(0, inf\), got 0\.0$"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"pos_weight": -2.0}, ValueError,
     r"pos_weight must lie in \(0, inf\), got -2\.0$"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"pos_weight": [1.0, 0.0]}, ValueError,
     r"^binary_cross_entropy: pos_weight must lie in \(0, inf\), got 1 value\(s\) outside it, e\.g\. 0\.0"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"pos_weight": [1.0, 2.0, 3.0]}, ValueError,
     r"pos_weight must be a number or an array of a shape that broadcasts to \(2,\), got shape \(3,\)"),
    ("binary_cross_entropy", [[0.0, 1.0]], [[0.5, 0.5]], {"pos_weight": np.ones((2, 2))}, ValueError,
     r"pos_weight must be a number or an array of a shape that broadcasts to \(1, 2\), got shape \(2, 2\)"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"pos_weight": "2"}, TypeError,
     r"^binary_cross_entropy: pos_weight must be a real number, got str"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"pos_weight": ["a", "b"]}, TypeError,
     r"^binary_cross_entropy: pos_weight must be numeric"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"eps": 0.0}, ValueError,
     r"eps must lie in \(0, 0\.5\), got 0\.0"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"eps": 0.5}, ValueError, r"eps must lie in \(0, 0\.5\)"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5], {"from_logits": "yes"}, TypeError,
     r"from_logits must be True or False"),
    ("binary_cross_entropy", [0.0, 1.0], [0.5, 0.5, 0.5], {}, ValueError,
     r"^binary_cross_entropy: y_pred has shape \(3,\) but y_true has shape \(2,\)"),
    ("binary_cross_entropy", "01", [0.5, 0.5], {}, TypeError, r"^binary_cross_entropy: y_true must be numeric"),
    ("categorical_cross_entropy", Y2, [[0.3, 0.6], [0.6, 0.4]], {}, ValueError,
     r"^categorical_cross_entropy: each row of y_pred \(last axis\) must sum to 1 within 0\.0001, "
     r"but row 0 sums to 0\.9; 1 row\(s\) are off"),
    ("categorical_cross_entropy", [[0.0, 0.9], [1.0, 0.0]], P2, {}, ValueError,
     r"each row of y_true \(last axis\) must sum to 1 within 0\.0001, but row 0 sums to 0\.9"),
    ("categorical_cross_entropy", [[2.0, -1.0], [1.0, 0.0]], P2, {}, ValueError,
     r"y_true must lie in \[0, 1\] \(probabilities\)"),
    ("categorical_cross_entropy", Y2, [[1.5, -0.5], [0.6, 0.4]], {}, ValueError,
     r"y_pred must lie in \[0, 1\] \(probabilities\)"),
    ("categorical_cross_entropy", Y2, [[3.0, -2.0], [0.6, 0.4]], {"from_logits": True}, None, None),
    ("categorical_cross_entropy", Y2, P2, {"label_smoothing": 1.5}, ValueError,
     r"^categorical_cross_entropy: label_smoothing must lie in \[0, 1\], got 1\.5"),
    ("categorical_cross_entropy", Y2, P2, {"label_smoothing": -0.1}, ValueError,
     r"label_smoothing must lie in \[0, 1\]"),
    ("categorical_cross_entropy", Y2, P2, {"class_weight": [1.0, 2.0, 3.0]}, ValueError,
     r"class_weight must be a number or an array of shape \(2,\), got shape \(3,\)"),
    ("categorical_cross_entropy", Y2, P2, {"class_weight": -2.0}, ValueError,
     r"^categorical_cross_entropy: class_weight must lie in \[0, inf\), got -2\.0$"),
    ("categorical_cross_entropy", Y2, P2, {"class_weight": [1.0, -1.0]}, ValueError,
     r"class_weight must lie in \[0, inf\), got 1 value\(s\) outside it, e\.g\. -1\.0"),
    ("categorical_cross_entropy", Y2, [[0.3, 0.7]], {}, ValueError,
     r"^categorical_cross_entropy: y_pred has shape \(1, 2\) but y_true has shape \(2, 2\)"),
    ("categorical_cross_entropy", 1.0, 1.0, {}, ValueError, r"y_pred must have a class axis"),
    ("sparse_categorical_cross_entropy", [0, 2], P2, {}, ValueError,
     r"^sparse_categorical_cross_entropy: y_true must hold integer class labels in \[0, 1\] "
     r"\(k = 2 classes.*e\.g\. 2\.0"),
    ("sparse_categorical_cross_entropy", [0, -1], P2, {}, ValueError, r"integer class labels in \[0, 1\].*-1\.0"),
    ("sparse_categorical_cross_entropy", [0, 0.5], P2, {}, ValueError,
     r"y_true must hold integer class labels in \[0, 1\], got the non-integer value 0\.5"),
    ("sparse_categorical_cross_entropy", [0, 1, 1], P2, {}, ValueError,
     r"^sparse_categorical_cross_entropy: y_pred has shape \(2, 2\) but y_true has shape \(3,\); "
     r"y_pred must have shape y_true\.shape \+ \(k,\)"),
    ("sparse_categorical_cross_entropy", Y2, P2, {}, ValueError,
     r"y_pred has shape \(2, 2\) but y_true has shape \(2, 2\)"),
    ("sparse_categorical_cross_entropy", [0, 1], [[0.5, 0.6], [0.5, 0.5]], {}, ValueError,
     r"each row of y_pred .* row 0 sums to 1\.1"),
    ("sparse_categorical_cross_entropy", [0, 1], P2, {"eps": -1.0}, ValueError, r"eps must lie in \(0, 0\.5\)"),
    ("hinge", [0.0, 2.0], [0.5, 0.5], {}, ValueError,
     r"^hinge: y_true must hold labels in \{-1, \+1\} or in \{0, 1\}, got 2\.0"),
    ("hinge", [-1.0, 0.0, 1.0], [0.5, 0.5, 0.5], {}, ValueError,
     r"labels in \{-1, \+1\} or in \{0, 1\}, got a mix of -1 and 0"),
    ("squared_hinge", [0.5, 1.0], [0.5, 0.5], {}, ValueError, r"^squared_hinge: y_true must hold labels .*got 0\.5"),
    ("hinge", [1.0, -1.0], [0.5], {}, ValueError, r"^hinge: y_pred has shape \(1,\) but y_true has shape \(2,\)"),
    ("multiclass_hinge", [0, 1], P2, {"margin": -0.5}, ValueError,
     r"^multiclass_hinge: margin must lie in \[0, inf\), got -0\.5"),
    ("multiclass_hinge", [0, 3], P2, {}, ValueError,
     r"^multiclass_hinge: y_true must hold integer class labels in \[0, 1\]"),
    ("multiclass_hinge", [0, 1.5], P2, {}, ValueError, r"non-integer value 1\.5"),
    ("multiclass_hinge", [0, 1], [0.5, 0.5], {}, ValueError,
     r"^multiclass_hinge: y_pred has shape \(2,\) but y_true has shape \(2,\)"),
    ("zero_one", [0.0, 3.0], [0.5, 0.5], {}, ValueError,
     r"^zero_one: y_true must hold labels in \{-1, \+1\} or in \{0, 1\}, got 3\.0"),
    ("zero_one", [0.0, 1.0], [0.5, 0.5], {"threshold": float("nan")}, ValueError,
     r"^zero_one: threshold must lie in \(-inf, inf\), got nan"),
    ("focal", [0.0, 1.0], [0.5, 0.5], {"gamma": -1.0}, ValueError, r"^focal: gamma must lie in \[0, inf\), got -1\.0"),
    ("focal", [0.0, 1.0], [0.5, 0.5], {"alpha": 1.5}, ValueError, r"^focal: alpha must lie in \[0, 1\], got 1\.5"),
    ("focal", [0.0, 1.0], [0.5, 0.5], {"alpha": -0.25}, ValueError, r"alpha must lie in \[0, 1\]"),
    ("focal", [0.0, 1.0], [0.5, 1.2], {}, ValueError,
     r"^focal: y_pred must lie in \[0, 1\] \(probabilities; pass from_logits=True"),
    ("focal", [0.0, -1.0], [0.5, 0.5], {}, ValueError, r"^focal: y_true must lie in \[0, 1\]"),
    ("focal", [0.0, 1.0], [0.5, 0.5], {"gamma": "2"}, TypeError, r"^focal: gamma must be a real number, got str"),
]


@pytest.mark.parametrize("name,y_true,y_pred,options,exc,match", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_raises_naming_the_argument(name, y_true, y_pred, options, exc, match):
    fns = [getattr(C, name)] + ([getattr(C, f"{name}_grad")] if hasattr(C, f"{name}_grad") else [])
    for fn in fns:
        if exc is None:  # the control case: the same values are fine with logits
            assert np.isfinite(fn(y_true, y_pred, **options)).all()
            continue
        with pytest.raises(exc, match=match.replace(f"^{name}:", f"^{fn.__name__}:")):
            fn(y_true, y_pred, **options)


def test_a_number_as_class_weight_weighs_every_class_like_a_constant_pytorch_weight(rows):
    _, one_hot, _, _, z = rows
    weight = torch.full((K,), 2.5, dtype=torch.float64)
    expected = F.cross_entropy(torch.tensor(z), torch.tensor(one_hot), weight=weight).item()
    ours = C.categorical_cross_entropy(one_hot, z, from_logits=True, class_weight=2.5)
    assert ours == pytest.approx(expected, rel=1e-14)


def test_rows_within_the_stated_tolerance_are_accepted():
    p = np.array([[0.3, 0.7 + 9e-5]])
    assert np.isfinite(C.categorical_cross_entropy([[0.0, 1.0]], p))
    with pytest.raises(ValueError, match="must sum to 1 within 0.0001"):
        C.categorical_cross_entropy([[0.0, 1.0]], [[0.3, 0.7 + 2e-4]])


def test_inputs_are_not_modified_with_options():
    y, z = np.array([[0.0, 1.0, 0.0]]), np.array([[3.0, -1.0, 0.5]])
    weights = np.array([1.0, 2.0, 3.0])
    before = (y.copy(), z.copy(), weights.copy())
    C.categorical_cross_entropy_grad(y, z, from_logits=True, class_weight=weights, label_smoothing=0.1)
    C.sparse_categorical_cross_entropy_grad(np.array([1.0]), z, from_logits=True)
    C.focal_grad(y, np.array([[0.2, 0.7, 0.1]]), alpha=0.3)
    for a, b in zip((y, z, weights), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_cross_entropy_keeps_its_digits_when_the_true_class_has_p_near_1():
    # Found by benchmarks/accuracy.py: log(1 - 1e-7) of the rounded float 1 - 1e-7 was off by 5e-10 relative.
    # p = 1 is clipped to 1 - eps; by hand -log(1 - eps) = eps + eps^2/2 + eps^3/3 + ... for eps = 1e-7.
    eps = 1e-7
    expected = eps + eps**2 / 2 + eps**3 / 3
    got = lf.categorical_cross_entropy([[1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]], reduction="none")
    np.testing.assert_allclose(got, [expected], rtol=1e-14)
    np.testing.assert_allclose(lf.sparse_categorical_cross_entropy([0], [[1.0, 0.0, 0.0]]), expected, rtol=1e-14)
    # not clipped: p = 1 - 1e-6 (the others share 1e-6), -log(1 - 1e-6) = 1e-6 + 5e-13 + 3.3e-19
    p = [[1.0 - 1e-6, 5e-7, 5e-7]]
    np.testing.assert_allclose(lf.categorical_cross_entropy([[1.0, 0.0, 0.0]], p), 1e-6 + 5e-13 + 1e-18 / 3,
                               rtol=1e-12)


def test_bce_gradient_is_zero_where_the_probability_was_clipped():
    # The clipped loss is flat outside [eps, 1 - eps]: derivative 0 there, also at p = 1 - eps/2 and p = 1
    # (a mask computed from the clipped p instead of p itself would miss the upper clip).
    p = np.array([0.0, 1e-9, 1.0 - 1e-9, 1.0, 0.5])
    for y in (np.zeros(5), np.ones(5)):
        g = lf.binary_cross_entropy_grad(y, p, reduction="none")
        np.testing.assert_array_equal(g[:4], 0.0)
        assert g[4] == (2.0 if y[0] == 0.0 else -2.0)  # by hand: (1 - y)/(1 - p) - y/p at p = 1/2


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_sparse_ce_ignore_index_and_label_smoothing_are_pytorchs(label_smoothing, reduction):
    """Issue 23: PyTorch's ignore_index (padding left out of the mean) and label_smoothing, value and gradient."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    z = 2.0 * rng.normal(size=(7, 5))
    y = rng.integers(0, 5, size=7).astype(float)
    y[[1, 4]] = -100.0
    leaf = torch.tensor(z, requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(leaf, torch.tensor(y).long(), ignore_index=-100,
                                               label_smoothing=label_smoothing, reduction=reduction)
    theirs.sum().backward()
    kw = {"from_logits": True, "ignore_index": -100, "label_smoothing": label_smoothing, "reduction": reduction}
    np.testing.assert_allclose(lf.sparse_categorical_cross_entropy(y, z, **kw), theirs.detach().numpy(),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(lf.sparse_categorical_cross_entropy_grad(y, z, **kw), leaf.grad.numpy(),
                               rtol=1e-12, atol=1e-16)
    # the same with probabilities instead of logits
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    kw["from_logits"] = False
    np.testing.assert_allclose(lf.sparse_categorical_cross_entropy(y, p, **kw), theirs.detach().numpy(), rtol=1e-9)


def test_ignored_labels_change_the_mean_not_just_the_sum():
    z = np.array([[2.0, 0.0], [0.0, 2.0], [5.0, -5.0]])
    y = np.array([0.0, 1.0, -1.0])
    kept = lf.sparse_categorical_cross_entropy(y[:2], z[:2], from_logits=True)
    assert lf.sparse_categorical_cross_entropy(y, z, from_logits=True, ignore_index=-1) == pytest.approx(kept)
    padded_in = lf.sparse_categorical_cross_entropy(np.array([0.0, 1.0, 1.0]), z, from_logits=True)
    assert padded_in > 3 * kept  # averaging the padding in: the mistake ignore_index prevents
    with pytest.raises(ValueError, match=r"every label equals ignore_index=-1, so the mean has no labels"):
        lf.sparse_categorical_cross_entropy([-1.0], [[0.0, 1.0]], from_logits=True, ignore_index=-1)
    assert lf.sparse_categorical_cross_entropy([-1.0], [[0.0, 1.0]], from_logits=True, ignore_index=-1,
                                               reduction="sum") == 0.0
    with pytest.raises(ValueError, match=r"y_true must hold integer class labels in \[0, 1\]"):
        lf.sparse_categorical_cross_entropy([-1.0], [[0.0, 1.0]], from_logits=True)  # without ignore_index: an error
    smooth = lf.sparse_categorical_cross_entropy([0.0], [[50.0, -50.0]], from_logits=True, label_smoothing=0.2)
    assert smooth == pytest.approx(0.1 * 100.0, rel=1e-12)  # the floor: eps/k of the mass on the wrong class


# --- nll: log-probabilities in, PyTorch's nll_loss ---------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_matches_torch_nll_loss_with_weight_and_ignore_index(reduction, ignore, weighted):
    rng = np.random.default_rng(40)
    y, z, cw = rng.integers(0, 4, size=9), rng.normal(scale=2.0, size=(9, 4)), rng.uniform(0.2, 3.0, size=4)
    if ignore:
        y[[2, 7]] = -100
    logp = torch.log_softmax(torch.tensor(z), dim=-1).detach().requires_grad_(True)
    theirs = F.nll_loss(logp, torch.tensor(y), weight=torch.tensor(cw) if weighted else None, reduction=reduction)
    theirs.sum().backward()
    ours_reduction = "weighted_mean" if (reduction == "mean" and weighted) else reduction
    kwargs = dict(class_weight=cw if weighted else None, ignore_index=-100 if ignore else None,
                  reduction=ours_reduction)
    np.testing.assert_allclose(lf.nll(y, logp.detach().numpy(), **kwargs), theirs.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(lf.nll_grad(y, logp.detach().numpy(), **kwargs), logp.grad.numpy(), rtol=1e-13)


def test_nll_of_log_softmax_is_the_cross_entropy_of_the_logits():
    rng = np.random.default_rng(41)
    y, z = rng.integers(0, 5, size=12), rng.normal(scale=3.0, size=(12, 5))
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    cross_entropy = lf.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none")
    np.testing.assert_allclose(lf.nll(y, logp, reduction="none"), cross_entropy, rtol=1e-13)
    # the chain rule through log_softmax turns -onehot into softmax - onehot
    g = lf.nll_grad(y, logp)
    chained = g - np.exp(logp) * g.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(chained, lf.sparse_categorical_cross_entropy_grad(y, z, from_logits=True),
                               rtol=1e-12, atol=1e-17)


def test_nll_refuses_probabilities_and_logits_and_names_the_fix():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    with pytest.raises(ValueError, match=r"^nll: y_pred must lie in \(-inf, 0\] \(log-probabilities, e.g. log_softmax "
                                         r"outputs; not probabilities or logits\), got 6 value"):
        lf.nll([0, 2], p)
    negative_logits = np.array([[-1.0, -2.0, -3.0]])  # all <= 0, yet no log-probabilities: exp sums to 0.553
    with pytest.raises(ValueError, match=r"^nll_grad: each row of y_pred must hold log-probabilities.*row 0 has "
                                         r"logsumexp -0.592394; 1 row\(s\) are off. Pass log_softmax\(logits\)"):
        lf.nll_grad([0], negative_logits)
    assert lf.nll([0], [[np.log(1 - 5e-5), np.log(5e-5) - 1.0]]) > 0  # rows within 1e-4 of summing to 1 pass


# --- multiclass hinge, Crammer-Singer ----------------------------------------------------------------------------


def test_crammer_singer_by_hand_and_its_gradient():
    scores = np.array([[2.0, 1.5, -1.0], [0.0, 0.3, 0.1], [1.0, 4.0, 3.5], [5.0, 0.0, 0.0]])
    labels = np.array([0, 2, 0, 0])
    # max over j != y of max(0, 1 - s_y + s_j), no division by k
    by_hand = np.array([0.5, 1.2, 4.0, 0.0])
    np.testing.assert_allclose(lf.multiclass_hinge(labels, scores, variant="crammer_singer", reduction="none"),
                               by_hand, rtol=1e-15)
    expected = np.array([[-1, 1, 0], [0, 1, -1], [-1, 1, 0], [0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(
        lf.multiclass_hinge_grad(labels, scores, variant="crammer_singer", reduction="sum"), expected)
    rng = np.random.default_rng(42)
    y, s = rng.integers(0, 4, size=6), np.round(rng.normal(scale=1.5, size=(6, 4)), 1) + 0.03 * np.arange(4)
    for reduction in ("mean", "sum"):
        result = lf.gradcheck(lambda p, r=reduction: lf.multiclass_hinge(y, p, variant="crammer_singer", reduction=r),
                              lambda p, r=reduction: lf.multiclass_hinge_grad(y, p, variant="crammer_singer",
                                                                              reduction=r), s)
        assert result, result
    w = rng.uniform(0.5, 2.0, size=6)
    np.testing.assert_allclose(lf.multiclass_hinge(y, s, variant="crammer_singer", sample_weight=w, reduction="sum"),
                               np.sum(w * lf.multiclass_hinge(y, s, variant="crammer_singer", reduction="none")))


def test_crammer_singer_is_at_most_k_times_weston_watkins_and_at_least_it():
    rng = np.random.default_rng(43)
    y, s = rng.integers(0, 5, size=50), rng.normal(scale=2.0, size=(50, 5))
    ww = lf.multiclass_hinge(y, s, reduction="none")
    cs = lf.multiclass_hinge(y, s, variant="crammer_singer", reduction="none")
    # the largest of the k - 1 violations lies between their mean and their sum; ww is their sum / k
    assert np.all(cs >= ww - 1e-15) and np.all(cs <= 5 * ww + 1e-15) and np.any(cs > ww + 0.1)


def test_multiclass_hinge_refuses_an_unknown_variant():
    with pytest.raises(ValueError, match=r"^multiclass_hinge: variant must be one of 'weston_watkins', "
                                         r"'crammer_singer', got 'cs'$"):
        lf.multiclass_hinge([0], [[1.0, 0.0]], variant="cs")


# --- categorical focal ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_focal_matches_keras_value_and_gradient(gamma, from_logits):
    rng = np.random.default_rng(44)
    y, z = np.eye(4)[rng.integers(0, 4, size=7)], rng.normal(scale=2.0, size=(7, 4))
    x = z if from_logits else np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    alpha = np.array([0.5, 1.0, 2.0, 0.25])
    call = (f"keras.losses.CategoricalFocalCrossentropy(alpha=[0.5, 1.0, 2.0, 0.25], gamma={gamma}, "
            f"from_logits={from_logits})(y_true, y_pred)")
    value, grad = keras_value_and_grad(call, y, x)
    kwargs = dict(gamma=gamma, alpha=alpha, from_logits=from_logits)
    assert lf.categorical_focal(y, x, **kwargs) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(lf.categorical_focal_grad(y, x, **kwargs), grad, rtol=1e-10, atol=1e-15)


def test_categorical_focal_at_gamma_0_is_the_cross_entropy_and_stays_finite_at_extreme_logits():
    rng = np.random.default_rng(45)
    y, z = rng.dirichlet(np.ones(5), size=8), rng.normal(scale=3.0, size=(8, 5))
    for from_logits in (False, True):
        x = z if from_logits else np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(lf.categorical_focal(y, x, gamma=0.0, from_logits=from_logits, reduction="none"),
                                   lf.categorical_cross_entropy(y, x, from_logits=from_logits, reduction="none"),
                                   rtol=1e-13)
        np.testing.assert_allclose(lf.categorical_focal_grad(y, x, gamma=0.0, from_logits=from_logits),
                                   lf.categorical_cross_entropy_grad(y, x, from_logits=from_logits),
                                   rtol=1e-12, atol=1e-16)
    # right with certainty: 0 and no NaN; wrong with certainty: (1 - 0)^gamma * 1e4 exactly
    z_far = np.array([[1e4, 0.0, -1e4], [-1e4, 0.0, 1e4]])
    label = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    got = lf.categorical_focal(label, z_far, gamma=0.5, from_logits=True, reduction="none")
    np.testing.assert_array_equal(got, [0.0, 2e4])
    assert np.all(np.isfinite(lf.categorical_focal_grad(label, z_far, gamma=0.5, from_logits=True)))
