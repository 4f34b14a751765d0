"""lossfns.registry: the records' data, and every framework difference their notes state, executed.

The atlas page shows each record's ``torch_notes`` and ``keras_notes``. Each
note has a check below that runs the claims it makes against PyTorch or Keras
(float64); a note without a check, or a check without a note, fails
``test_every_note_has_a_check``. Reference values are PyTorch's, Keras' or
written out by hand here, never taken from lossfns alone.
"""
import inspect
import math

import numpy as np
import pytest

import lossfns as lf
from lossfns.registry import PERFECT_PREDICTIONS, LossRecord, records

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

F = torch.nn.functional
RECORDS = records()
LOG2_FLOAT32_ERROR = float(np.float32(math.log(2.0))) - math.log(2.0)  # Keras' log 2 is a float32 constant


def t(a):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64)


def k(loss_cls, *args, **kwargs):
    """A Keras loss object computing in float64."""
    return loss_cls(*args, **kwargs, dtype="float64")


def first_params(fn, n=2):
    return list(inspect.signature(fn).parameters)[:n]


def real(seed=0, shape=(4, 3)):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape)
    return y, y + rng.normal(scale=1.5, size=shape)


def rows(seed=0, n=4, k=3):
    rng = np.random.default_rng(seed)
    return np.eye(k)[rng.integers(0, k, size=n)], rng.dirichlet(np.full(k, 2.0), size=n)


def assert_keras_reduces_last_axis_first(cls, fn, y_true, y_pred, **np_kwargs):
    """Keras' reduction=None is the mean over the last axis; its 'sum' is our sum over the last axis' length."""
    per_element = fn(y_true, y_pred, reduction="none", **np_kwargs)
    width = y_true.shape[-1]
    np.testing.assert_allclose(np.asarray(k(cls, reduction=None)(y_true, y_pred)), per_element.mean(axis=-1),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(float(k(cls, reduction="sum")(y_true, y_pred)),
                               fn(y_true, y_pred, reduction="sum", **np_kwargs) / width, rtol=1e-12)
    np.testing.assert_allclose(float(k(cls)(y_true, y_pred)), fn(y_true, y_pred, **np_kwargs), rtol=1e-12)


# --- one check per note ---------------------------------------------------------


def torch_mse():
    y, p = real(1)
    assert first_params(F.mse_loss) == ["input", "target"]
    assert F.mse_loss(t(p), t(y)).item() == pytest.approx(np.sum((p - y) ** 2) / p.size, rel=1e-14)


def keras_target_first(cls, fn):
    y, p = real(2)
    assert first_params(k(cls).call) == ["y_true", "y_pred"]
    assert_keras_reduces_last_axis_first(cls, fn, y, p)


def torch_mae():
    y, p = real(3)
    assert first_params(F.l1_loss) == ["input", "target"]
    assert F.l1_loss(t(p), t(y)).item() == pytest.approx(np.mean(np.abs(p - y)), rel=1e-14)


def torch_huber():
    y, p = real(4)
    assert first_params(F.huber_loss) == ["input", "target"]
    for d in (0.5, 1.0, 2.0):
        huber = F.huber_loss(t(p), t(y), delta=d).item()
        assert huber == pytest.approx(lf.huber(y, p, delta=d), rel=1e-14)
        assert F.smooth_l1_loss(t(p), t(y), beta=d).item() == pytest.approx(huber / d, rel=1e-14)
    assert abs(F.smooth_l1_loss(t(p), t(y), beta=2.0).item() - lf.huber(y, p, delta=2.0)) > 1e-3


def keras_huber():
    assert_keras_reduces_last_axis_first(keras.losses.Huber, lf.huber, *real(5))


def keras_log_cosh():
    y, p = real(6)
    assert LOG2_FLOAT32_ERROR == pytest.approx(1.9e-9, rel=0.02)
    got = np.asarray(k(keras.losses.LogCosh, reduction=None)(y, p))
    np.testing.assert_allclose(got, np.log(np.cosh(p - y)).mean(axis=-1) - LOG2_FLOAT32_ERROR, rtol=0, atol=1e-15)
    assert float(k(keras.losses.LogCosh, reduction="sum")(y, p)) == pytest.approx(
        (lf.log_cosh(y, p, reduction="sum") - LOG2_FLOAT32_ERROR * p.size) / p.shape[-1], rel=1e-12)


def keras_msle():
    from frameworks import keras_value_and_grad

    rng = np.random.default_rng(31)
    y, p = np.expm1(rng.uniform(0.0, 4.0, size=(4, 3))), np.expm1(rng.uniform(0.0, 4.0, size=(4, 3)))
    assert_keras_reduces_last_axis_first(keras.losses.MeanSquaredLogarithmicError, lf.msle, y, p)
    # a prediction in (-1, 0) is read as 1e-7 (about 0): same loss as 0 there, and no gradient
    p[0, 0], y[0, 0] = -0.5, 3.0
    call = "keras.losses.MeanSquaredLogarithmicError()(y_true, y_pred)"
    value, grad = keras_value_and_grad(call, y, p)
    clipped = np.maximum(p, 1e-7)
    assert value == pytest.approx(np.mean((np.log(clipped + 1) - np.log(y + 1)) ** 2), rel=1e-12)
    assert grad[0, 0] == 0.0 and lf.msle_grad(y, p)[0, 0] < -0.2  # ours pushes -0.5 up towards 3
    assert lf.msle(y, p) - value > 0.1  # log(0.5)^2 more on one of 12 elements, and more again


def counts(seed=7):
    rng = np.random.default_rng(seed)
    return rng.poisson(3.0, size=(4, 3)).astype(float), rng.uniform(0.5, 5.0, size=(4, 3))


def torch_poisson():
    y, rate = counts()
    sig = inspect.signature(F.poisson_nll_loss).parameters
    assert first_params(F.poisson_nll_loss) == ["input", "target"]
    assert sig["log_input"].default is True and sig["eps"].default == 1e-8
    assert inspect.signature(lf.poisson_nll).parameters["eps"].default == 1e-8
    by_hand = np.mean(rate - y * np.log(rate + 1e-8))
    assert F.poisson_nll_loss(t(rate), t(y), log_input=False).item() == pytest.approx(by_hand, rel=1e-14)
    assert F.poisson_nll_loss(t(np.log(rate)), t(y)).item() == pytest.approx(by_hand, rel=1e-7)  # default: log-rates
    assert abs(F.poisson_nll_loss(t(rate), t(y)).item() - by_hand) > 1.0  # rates read as log-rates


def keras_poisson():
    y, rate = counts(8)
    rate[0, 0] = 1e-7  # a tiny rate makes the two eps visibly different
    y[0, 0] = 2.0
    by_hand = np.mean(rate - y * np.log(rate + 1e-7))
    assert float(k(keras.losses.Poisson)(y, rate)) == pytest.approx(by_hand, rel=1e-12)
    assert abs(lf.poisson_nll(y, rate) - by_hand) > 1e-2
    assert_keras_reduces_last_axis_first(keras.losses.Poisson, lf.poisson_nll, y, rate, eps=1e-7)


def torch_gaussian():
    rng = np.random.default_rng(9)
    y, mean, var = rng.normal(size=5), rng.normal(size=5), np.array([1e-9, 0.5, 1.0, 2.0, 1e-7])
    sig = inspect.signature(F.gaussian_nll_loss).parameters
    assert list(sig)[:3] == ["input", "target", "var"] and sig["full"].default is False and sig["eps"].default == 1e-6
    clamped = np.maximum(var, 1e-6)
    by_hand = np.mean(0.5 * (np.log(clamped) + (y - mean) ** 2 / clamped))
    assert F.gaussian_nll_loss(t(mean), t(y), t(var)).item() == pytest.approx(by_hand, rel=1e-13)
    assert lf.gaussian_nll(y, mean, var) == pytest.approx(by_hand, rel=1e-13)


def torch_kl():
    rng = np.random.default_rng(10)
    p, q = rng.dirichlet(np.ones(4), size=3), rng.dirichlet(np.ones(4), size=3)
    by_hand = np.sum(p * np.log(p / q)) / 3
    assert F.kl_div(t(np.log(q)), t(p), reduction="batchmean").item() == pytest.approx(by_hand, rel=1e-13)
    with pytest.warns(UserWarning, match="'mean' divides the total loss by both the batch size and the support"):
        assert F.kl_div(t(np.log(q)), t(p), reduction="mean").item() == pytest.approx(by_hand / 4, rel=1e-13)
    assert abs(F.kl_div(t(q), t(p), reduction="batchmean").item() - by_hand) > 0.1  # without the log
    assert lf.kl_divergence(p, q) == pytest.approx(by_hand, rel=1e-13)


def keras_kl():
    p, q = np.array([[0.0, 0.4, 0.6]]), np.array([[0.5, 0.25, 0.25]])
    exact = 0.4 * math.log(0.4 / 0.25) + 0.6 * math.log(0.6 / 0.25)
    eps = 1e-7
    assert float(k(keras.losses.KLDivergence)(p, q)) == pytest.approx(exact + eps * math.log(eps / 0.5), rel=1e-12)
    assert lf.kl_divergence(p, q) == pytest.approx(exact, rel=1e-13)


def torch_bce():
    assert first_params(F.binary_cross_entropy) == ["input", "target"]
    assert F.binary_cross_entropy(t([0.0]), t([1.0])).item() == 100.0
    assert lf.binary_cross_entropy([1.0], [0.0]) == pytest.approx(-math.log(1e-7), rel=1e-12)
    assert -math.log(1e-7) == pytest.approx(16.1, abs=0.05)
    assert "pos_weight" in inspect.signature(F.binary_cross_entropy_with_logits).parameters
    assert "pos_weight" not in inspect.signature(F.binary_cross_entropy).parameters


def keras_bce():
    y, p = np.array([[1.0, 0.0, 1.0]]), np.array([[0.0, 1.0, 0.3]])
    by_hand = np.mean([-math.log(1e-7), -math.log(1e-7), -math.log(0.3)])
    assert float(k(keras.losses.BinaryCrossentropy)(y, p)) == pytest.approx(by_hand, rel=1e-9)
    assert lf.binary_cross_entropy(y, p) == pytest.approx(by_hand, rel=1e-12)
    assert "pos_weight" not in inspect.signature(keras.losses.BinaryCrossentropy).parameters
    rng = np.random.default_rng(11)
    assert_keras_reduces_last_axis_first(keras.losses.BinaryCrossentropy, lf.binary_cross_entropy,
                                         rng.integers(0, 2, size=(4, 3)).astype(float), rng.uniform(0.1, 0.9, (4, 3)))


def torch_cce():
    y, p = rows(12)
    assert first_params(F.cross_entropy) == ["input", "target"]
    by_hand = -np.sum(y * np.log(p)) / len(y)  # 'mean' over n rows
    assert F.cross_entropy(t(np.log(p)), t(y)).item() == pytest.approx(by_hand, rel=1e-13)
    soft = np.full_like(p, 1.0 / 3)  # probability targets are accepted
    assert F.cross_entropy(t(np.log(p)), t(soft)).item() == pytest.approx(-np.sum(soft * np.log(p)) / 4, rel=1e-13)


def keras_cce():
    y, p = rows(13)
    cce = k(keras.losses.CategoricalCrossentropy, reduction=None)
    np.testing.assert_allclose(np.asarray(cce(y, 2.0 * p)), -np.sum(y * np.log(p), axis=-1), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(cce(y, p)), lf.categorical_cross_entropy(y, p, reduction="none"),
                               rtol=1e-12)
    assert float(cce(y[:1], y[:1])[0]) == pytest.approx(-math.log1p(-1e-7), rel=1e-6)  # clipped at 1 - 1e-7
    assert lf.categorical_cross_entropy(y[:1], y[:1]) == pytest.approx(-math.log1p(-1e-7), rel=1e-6)


def torch_sparse():
    y, p = rows(14)
    labels = y.argmax(axis=1).astype(float)
    by_hand = -np.mean(np.log(p[np.arange(4), labels.astype(int)]))
    assert F.cross_entropy(t(np.log(p)), t(labels).long()).item() == pytest.approx(by_hand, rel=1e-13)
    with pytest.raises(RuntimeError):  # float labels are read as class probabilities, of the wrong shape
        F.cross_entropy(t(np.log(p)), t(labels))


def keras_sparse():
    perfect = np.array([[1.0, 0.0, 0.0]])
    assert float(k(keras.losses.SparseCategoricalCrossentropy)(np.array([0.0]), perfect)) == pytest.approx(2e-7, 1e-6)
    assert lf.sparse_categorical_cross_entropy([0.0], perfect) == pytest.approx(1e-7, rel=1e-6)


def signed(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(4, 3)).astype(float), rng.normal(scale=1.5, size=(4, 3))


def torch_nll():
    rng = np.random.default_rng(32)
    labels, z = rng.integers(0, 3, size=6), rng.normal(size=(6, 3))
    logp = F.log_softmax(t(z), dim=-1)
    assert first_params(F.nll_loss) == ["input", "target"]
    assert inspect.signature(F.nll_loss).parameters["ignore_index"].default == -100
    assert F.nll_loss(logp, torch.tensor(labels)).item() == pytest.approx(lf.nll(labels, logp.numpy()), rel=1e-14)
    p = logp.exp()
    on_probabilities = F.nll_loss(p, torch.tensor(labels)).item()  # no error: minus the mean label probability
    assert on_probabilities == pytest.approx(-np.mean(p.numpy()[np.arange(6), labels]), rel=1e-14)
    assert on_probabilities < 0
    with pytest.raises(ValueError, match=r"^nll: y_pred must lie in \(-inf, 0\]"):
        lf.nll(labels, p.numpy())


def torch_hinge():
    y01, s = signed(15)
    y = 2 * y01 - 1
    by_hand = np.mean(np.maximum(0.0, 1.0 - y * s))
    assert lf.hinge(y, s) == pytest.approx(by_hand, rel=1e-14)
    assert abs(F.hinge_embedding_loss(t(s), t(y)).item() - by_hand) > 0.1


def keras_hinge_like(cls, fn, power):
    y01, s = signed(16)
    by_hand = np.mean(np.maximum(0.0, 1.0 - (2 * y01 - 1) * s) ** power)
    assert float(k(cls)(y01, s)) == pytest.approx(by_hand, rel=1e-13)
    assert fn(y01, s) == pytest.approx(by_hand, rel=1e-13)
    assert_keras_reduces_last_axis_first(cls, fn, y01, s)


def sparse_scores(seed=17):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 3, size=5), rng.normal(scale=1.5, size=(5, 3))


def torch_multiclass_hinge():
    labels, s = sparse_scores()
    true = s[np.arange(5), labels][:, None]
    others = np.arange(3) != labels[:, None]
    by_hand = np.mean(np.sum(np.where(others, np.maximum(0.0, 1.0 - true + s), 0.0), axis=1) / 3)
    assert first_params(F.multi_margin_loss) == ["input", "target"]
    assert F.multi_margin_loss(t(s), t(labels).long()).item() == pytest.approx(by_hand, rel=1e-13)
    assert lf.multiclass_hinge(labels.astype(float), s) == pytest.approx(by_hand, rel=1e-13)


def keras_categorical_hinge():
    labels, s = sparse_scores(18)
    true = s[np.arange(5), labels]
    wrong = np.where(np.arange(3) != labels[:, None], s, -np.inf).max(axis=1)
    crammer_singer = np.mean(np.maximum(0.0, 1.0 + wrong - true))
    assert np.all(wrong > 0)  # some wrong score is positive in every row: Keras' max is then the right one
    assert float(k(keras.losses.CategoricalHinge)(np.eye(3)[labels], s)) == pytest.approx(crammer_singer, rel=1e-13)
    assert lf.multiclass_hinge(labels, s, variant="crammer_singer") == pytest.approx(crammer_singer, rel=1e-13)
    assert abs(lf.multiclass_hinge(labels.astype(float), s) - crammer_singer) > 0.05
    # every wrong score negative: Keras reads the label's masked entry as a wrong score of 0
    row, label = np.array([[0.5, -2.0, -3.0]]), np.array([0])
    assert float(k(keras.losses.CategoricalHinge)(np.eye(3)[label], row)) == pytest.approx(0.5, rel=1e-15)
    assert lf.multiclass_hinge(label, row, variant="crammer_singer") == 0.0  # max(0, 1 - 2 - 0.5)
    assert lf.multiclass_hinge(label, row + 10.0, variant="crammer_singer") == 0.0
    assert float(k(keras.losses.CategoricalHinge)(np.eye(3)[label], row + 10.0)) == 0.0  # shift-dependent


def keras_categorical_focal():
    y, p = rows(33, n=6, k=4)
    ours = lf.categorical_focal(y, p)
    assert inspect.signature(keras.losses.CategoricalFocalCrossentropy).parameters["alpha"].default == 0.25
    assert float(k(keras.losses.CategoricalFocalCrossentropy)(y, p)) == pytest.approx(0.25 * ours, rel=1e-12)
    assert float(k(keras.losses.CategoricalFocalCrossentropy, alpha=1.0)(y, p)) == pytest.approx(ours, rel=1e-12)
    # a confidently wrong logit: Keras clips the softmax at 1e-7, this loss does not
    z = np.array([[-40.0, 0.0, 0.0]])
    label = np.array([[1.0, 0.0, 0.0]])
    theirs = float(k(keras.losses.CategoricalFocalCrossentropy, alpha=1.0, from_logits=True)(label, z))
    assert theirs == pytest.approx(-np.log(1e-7) * (1 - 1e-7) ** 2, rel=1e-9)
    assert lf.categorical_focal(label, z, from_logits=True) == pytest.approx(40.0 + np.log(2.0), rel=1e-12)


def keras_zero_one():
    accuracy = keras.metrics.BinaryAccuracy(threshold=0.5)
    accuracy.update_state(np.array([[1.0]]), np.array([[0.5]]))
    assert float(accuracy.result()) == 0.0  # 0.5 is not > 0.5: counted negative, an error for a positive
    assert lf.zero_one([1.0], [0.5]) == 0.0  # 0.5 >= 0.5: positive, no error
    accuracy.reset_state()
    accuracy.update_state(np.array([[1.0, 0.0]]), np.array([[0.7, 0.2]]))
    assert 1.0 - float(accuracy.result()) == lf.zero_one([1.0, 0.0], [0.7, 0.2]) == 0.0


def keras_focal():
    rng = np.random.default_rng(19)
    y, p = rng.integers(0, 2, size=(4, 3)).astype(float), rng.uniform(0.05, 0.95, size=(4, 3))
    p_t = np.where(y == 1, p, 1 - p)
    by_hand = -(1 - p_t) ** 2 * np.log(p_t)
    balanced = by_hand * np.where(y == 1, 0.25, 0.75)
    focal = keras.losses.BinaryFocalCrossentropy
    assert float(k(focal, gamma=2.0, alpha=0.25)(y, p)) == pytest.approx(by_hand.mean(), rel=1e-6)  # alpha ignored
    assert float(k(focal, gamma=2.0, alpha=0.25, apply_class_balancing=True)(y, p)) == pytest.approx(balanced.mean(),
                                                                                                     rel=1e-6)
    assert lf.focal(y, p) == pytest.approx(by_hand.mean(), rel=1e-12)
    assert lf.focal(y, p, alpha=0.25) == pytest.approx(balanced.mean(), rel=1e-12)
    per_row = np.asarray(k(focal, gamma=2.0, reduction=None)(y, p))
    np.testing.assert_allclose(per_row, by_hand.mean(axis=-1), rtol=1e-6)


def torch_triplet():
    rng = np.random.default_rng(20)
    a, pos, neg = (rng.normal(size=(4, 3)) for _ in range(3))
    theirs = inspect.signature(F.triplet_margin_loss).parameters
    ours = inspect.signature(lf.triplet).parameters
    assert list(theirs)[:3] == list(ours)[:3] == ["anchor", "positive", "negative"]
    for name in ("margin", "p", "eps", "swap"):
        assert theirs[name].default == ours[name].default, name
    d = lambda u, v: np.sqrt(np.sum((u - v + 1e-6) ** 2, axis=1))  # noqa: E731 - eps inside the norm
    by_hand = np.mean(np.maximum(0.0, 1.0 + d(a, pos) - d(a, neg)))
    assert F.triplet_margin_loss(t(a), t(pos), t(neg)).item() == pytest.approx(by_hand, rel=1e-13)
    with pytest.raises(ValueError, match="margin"):
        F.triplet_margin_loss(t(a), t(pos), t(neg), margin=0.0)
    assert lf.triplet(a, pos, neg, margin=0.0) == pytest.approx(np.mean(np.maximum(0.0, d(a, pos) - d(a, neg))),
                                                                rel=1e-13)


def torch_margin_ranking():
    rng = np.random.default_rng(34)
    y, x1, x2 = rng.choice([-1.0, 1.0], size=8), rng.normal(size=8), rng.normal(size=8)
    assert list(inspect.signature(F.margin_ranking_loss).parameters)[:3] == ["input1", "input2", "target"]
    for m in (0.0, 0.5):
        theirs = F.margin_ranking_loss(t(x1), t(x2), t(y), margin=m).item()
        assert theirs == pytest.approx(lf.margin_ranking(y, x1, x2, margin=m), rel=1e-14)
    zero_label = F.margin_ranking_loss(t(x1), t(x2), t(np.zeros(8)), margin=0.5).item()
    assert zero_label == pytest.approx(0.5, rel=1e-15)  # max(0, m) whatever the scores
    with pytest.raises(ValueError, match=r"^margin_ranking: y_true must hold labels in \{-1, \+1\}"):
        lf.margin_ranking(np.zeros(8), x1, x2, margin=0.5)


def torch_cosine():
    a, b = np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 2.0]])  # both cosines are 1/sqrt(2)
    assert list(inspect.signature(F.cosine_embedding_loss).parameters)[:3] == ["input1", "input2", "target"]
    ones = np.array([1.0, 1.0])
    assert F.cosine_embedding_loss(t(a), t(b), t(ones)).item() == pytest.approx(1 - 2**-0.5, rel=1e-12)
    assert lf.cosine_embedding(ones, a, b) == pytest.approx(1 - 2**-0.5, rel=1e-12)
    zeros = np.zeros(2)
    assert F.cosine_embedding_loss(t(a), t(b), t(zeros)).item() == 0.0  # a 0 label silently costs nothing
    assert lf.cosine_embedding(zeros, a, b) == pytest.approx(2**-0.5, rel=1e-12)  # 0 = dissimilar: max(0, cos)


def keras_cosine():
    a, b = np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 2.0]])
    assert float(k(keras.losses.CosineSimilarity)(a, b)) == pytest.approx(-(2**-0.5), rel=1e-12)
    assert "margin" not in inspect.signature(keras.losses.CosineSimilarity).parameters
    assert lf.cosine_embedding([1.0, 1.0], a, b) == pytest.approx(1 - 2**-0.5, rel=1e-12)


def masks(seed):
    rng = np.random.default_rng(seed)
    return (rng.uniform(size=(4, 6)) < 0.5).astype(float), rng.uniform(0.05, 0.95, size=(4, 6))


def keras_dice():
    y, p = masks(21)
    whole_batch = 1 - 2 * np.sum(y * p) / (np.sum(y) + np.sum(p) + 1e-7)
    assert float(k(keras.losses.Dice)(y, p)) == pytest.approx(whole_batch, rel=1e-12)
    per_item = np.asarray(k(keras.losses.Dice, axis=1, reduction=None)(y, p))
    np.testing.assert_allclose(per_item, 1 - 2 * np.sum(y * p, 1) / (np.sum(y, 1) + np.sum(p, 1) + 1e-7), rtol=1e-12)
    np.testing.assert_allclose(per_item, lf.dice(y, p, smooth=0.0, reduction="none"), rtol=1e-6)
    assert np.max(np.abs(per_item - lf.dice(y, p, reduction="none"))) > 1e-2  # the default smooth=1 differs


def keras_tversky():
    y, p = masks(22)
    tp, fp, fn = np.sum(y * p, 1), np.sum((1 - y) * p, 1), np.sum(y * (1 - p), 1)
    theirs = np.asarray(k(keras.losses.Tversky, alpha=0.3, beta=0.7, axis=1, reduction=None)(y, p))
    np.testing.assert_allclose(theirs, 1 - tp / (tp + 0.3 * fn + 0.7 * fp + 1e-7), rtol=1e-12)  # alpha on the FN
    np.testing.assert_allclose(theirs, lf.tversky(y, p, alpha=0.7, beta=0.3, smooth=0.0, reduction="none"), rtol=1e-6)
    assert np.max(np.abs(theirs - lf.tversky(y, p, alpha=0.3, beta=0.7, smooth=0.0, reduction="none"))) > 1e-2
    TP, FP, FN = tp.sum(), fp.sum(), fn.sum()
    assert float(k(keras.losses.Tversky, alpha=0.3, beta=0.7)(y, p)) == pytest.approx(
        1 - TP / (TP + 0.3 * FN + 0.7 * FP + 1e-7), rel=1e-12)


def ctc_batch(seed=23):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(6, 3, 4))  # (T, N, C)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    return rng.integers(1, 4, size=(3, 2)).astype(float), log_probs


def torch_ctc():
    labels, lp = ctc_batch()
    il, ll = np.full(3, 6.0), np.array([2.0, 1.0, 2.0])
    assert list(inspect.signature(F.ctc_loss).parameters)[:2] == ["log_probs", "targets"]
    args = (t(labels).long(), t(il).long(), t(ll).long())
    per_item = F.ctc_loss(t(lp), args[0], *args[1:], reduction="none").numpy()
    np.testing.assert_allclose(per_item, lf.ctc(labels, lp, il, ll, reduction="none"), rtol=1e-12)
    mean = F.ctc_loss(t(lp), *args).item()
    assert mean == pytest.approx(np.mean(per_item / ll), rel=1e-13)
    assert abs(mean - per_item.mean()) > 1e-3
    leaf = t(lp).requires_grad_(True)
    F.ctc_loss(leaf, *args, reduction="sum").backward()
    np.testing.assert_allclose(leaf.grad.numpy(), np.exp(lp) + lf.ctc_grad(labels, lp, il, ll, reduction="sum"),
                               rtol=1e-10, atol=1e-12)  # p - gamma, not -gamma


def keras_ctc():
    labels, lp = ctc_batch(24)
    logits = np.transpose(lp, (1, 0, 2)) + 3.0  # batch first, and not normalised: Keras takes logits
    full = lf.ctc(labels, lp, np.full(3, 6.0), np.full(3, 2.0), reduction="sum") / 3
    assert float(k(keras.losses.CTC)(labels, logits)) == pytest.approx(full, rel=1e-6)
    assert abs(full - lf.ctc(labels, lp, np.full(3, 6.0), np.full(3, 2.0))) > 1e-2  # ours divides by the lengths


CHECKS = {
    ("mse", "torch"): torch_mse,
    ("mse", "keras"): lambda: keras_target_first(keras.losses.MeanSquaredError, lf.mse),
    ("mae", "torch"): torch_mae,
    ("mae", "keras"): lambda: keras_target_first(keras.losses.MeanAbsoluteError, lf.mae),
    ("huber", "torch"): torch_huber,
    ("huber", "keras"): keras_huber,
    ("log_cosh", "keras"): keras_log_cosh,
    ("msle", "keras"): keras_msle,
    ("poisson_nll", "torch"): torch_poisson,
    ("poisson_nll", "keras"): keras_poisson,
    ("gaussian_nll", "torch"): torch_gaussian,
    ("kl_divergence", "torch"): torch_kl,
    ("kl_divergence", "keras"): keras_kl,
    ("binary_cross_entropy", "torch"): torch_bce,
    ("binary_cross_entropy", "keras"): keras_bce,
    ("categorical_cross_entropy", "torch"): torch_cce,
    ("categorical_cross_entropy", "keras"): keras_cce,
    ("sparse_categorical_cross_entropy", "torch"): torch_sparse,
    ("sparse_categorical_cross_entropy", "keras"): keras_sparse,
    ("nll", "torch"): torch_nll,
    ("hinge", "torch"): torch_hinge,
    ("hinge", "keras"): lambda: keras_hinge_like(keras.losses.Hinge, lf.hinge, 1),
    ("squared_hinge", "keras"): lambda: keras_hinge_like(keras.losses.SquaredHinge, lf.squared_hinge, 2),
    ("multiclass_hinge", "torch"): torch_multiclass_hinge,
    ("multiclass_hinge", "keras"): keras_categorical_hinge,
    ("categorical_focal", "keras"): keras_categorical_focal,
    ("zero_one", "keras"): keras_zero_one,
    ("focal", "keras"): keras_focal,
    ("triplet", "torch"): torch_triplet,
    ("cosine_embedding", "torch"): torch_cosine,
    ("margin_ranking", "torch"): torch_margin_ranking,
    ("cosine_embedding", "keras"): keras_cosine,
    ("dice", "keras"): keras_dice,
    ("tversky", "keras"): keras_tversky,
    ("ctc", "torch"): torch_ctc,
    ("ctc", "keras"): keras_ctc,
}


def notes(record: LossRecord) -> dict:
    return {fw: text for fw, text in (("torch", record.torch_notes), ("keras", record.keras_notes)) if text}


def test_every_note_has_a_check():
    noted = {(r.name, fw) for r in RECORDS for fw in notes(r)}
    assert noted - set(CHECKS) == set(), "notes whose claims no test runs"
    assert set(CHECKS) - noted == set(), "checks of notes that no record has"


@pytest.mark.parametrize("key", sorted(CHECKS), ids=["-".join(key) for key in sorted(CHECKS)])
def test_the_note_is_true(key):
    CHECKS[key]()


def test_a_framework_call_comes_with_a_note_on_how_it_differs():
    for r in RECORDS:
        for framework in ("torch", "keras"):
            if getattr(r, framework) is not None:
                assert getattr(r, f"{framework}_notes"), f"{r.name}: a {framework} call without {framework}_notes"


@pytest.mark.parametrize("record", RECORDS, ids=[r.name for r in RECORDS])
def test_notes_are_short_markdown_sentences(record):
    for framework, text in notes(record).items():
        assert text[0].isupper() or text[0] == "`", (record.name, framework, text)
        assert text.endswith("."), (record.name, framework, text)
        assert len(text) <= 260, (record.name, framework, len(text))
        assert text.count("`") % 2 == 0 and text.count("$") % 2 == 0, (record.name, framework, "unbalanced")
        assert "|" not in text, "a | would break the atlas table"


def test_every_inputs_kind_says_what_a_perfect_prediction_is():
    used = {r.inputs for r in RECORDS}
    assert used - set(PERFECT_PREDICTIONS) == set()
    assert set(PERFECT_PREDICTIONS) - used == set(), "descriptions of kinds no loss uses"


def test_property_flags_are_booleans():
    for r in RECORDS:
        for flag in ("convex", "differentiable", "robust", "nonnegative", "zero_at_perfect"):
            assert isinstance(getattr(r, flag), bool), (r.name, flag)


def test_a_second_record_with_the_same_name_is_refused():
    with pytest.raises(ValueError, match="registry: a loss named 'mse' is already registered"):
        lf.registry.register(lf.registry.get("mse"))
    with pytest.raises(KeyError, match="registry: no loss named 'msee'; known losses: .*mse"):
        lf.registry.get("msee")
