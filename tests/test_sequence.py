"""lossfns.sequence (CTC) against PyTorch, Keras, brute-force path enumeration and finite differences."""
import itertools

import numpy as np
import pytest

import lossfns as lf
from lossfns import sequence as sq

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ("mean", "sum", "none")


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@pytest.fixture(scope="module")
def batch():
    """Six sequences with varied input and label lengths; repeats ("2 2", "3 3 3") need blanks between them.

    Every sequence is feasible: T_n >= L_n + repeats.
    """
    rng = np.random.default_rng(0)
    T, C = 12, 5
    labels = np.array([
        [2, 2, 1, 4, 0, 0],   # L = 4, one repeat: needs 5 frames, has 12
        [3, 3, 3, 0, 0, 0],   # L = 3, two repeats: needs 5, has 5 (tight)
        [1, 2, 3, 4, 1, 2],   # L = 6, needs 6, has 9
        [4, 0, 0, 0, 0, 0],   # L = 1
        [0, 0, 0, 0, 0, 0],   # L = 0: only blanks
        [1, 4, 4, 2, 0, 0],   # L = 4, needs 5, has 7
    ])
    label_lengths = np.array([4, 3, 6, 1, 0, 4])
    input_lengths = np.array([12, 5, 9, 3, 6, 7])
    logits = rng.normal(scale=1.5, size=(T, len(labels), C))
    return labels, logits, input_lengths, label_lengths


def torch_ctc(labels, logits, input_lengths, label_lengths, reduction, blank=0):
    """Torch's value, its gradient w.r.t. the logits through log_softmax, and log_probs.grad of a leaf."""
    z = torch.tensor(logits, requires_grad=True)
    lp = z.log_softmax(-1)
    args = (torch.tensor(labels), torch.tensor(input_lengths), torch.tensor(label_lengths))
    out = F.ctc_loss(lp, args[0], args[1], args[2], blank=blank, reduction=reduction)
    out.sum().backward()
    leaf = lp.detach().clone().requires_grad_(True)
    F.ctc_loss(leaf, *args, blank=blank, reduction=reduction).sum().backward()
    return out.detach().numpy(), z.grad.numpy(), leaf.grad.numpy()


def logits_grad(grad_lp: np.ndarray, lp: np.ndarray) -> np.ndarray:
    """Chain a gradient w.r.t. log_softmax(z) back to z: g - softmax(z) * sum(g)."""
    return grad_lp - np.exp(lp) * grad_lp.sum(axis=-1, keepdims=True)


def brute_force(label, lp_seq, blank=0) -> float:
    """-log of the summed probability of every path that collapses to ``label`` (tiny T and C only)."""
    T, C = lp_seq.shape
    total = []
    for path in itertools.product(range(C), repeat=T):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(label):
            total.append(sum(lp_seq[t, c] for t, c in enumerate(path)))
    return -np.logaddexp.reduce(total) if total else np.inf


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_values_and_logit_gradients_match_pytorch(reduction, batch):
    labels, logits, il, ll = batch
    lp = log_softmax(logits)
    value, z_grad, _ = torch_ctc(labels, logits, il, ll, reduction)
    np.testing.assert_allclose(sq.ctc(labels, lp, il, ll, reduction=reduction), value, rtol=1e-12)
    ours = logits_grad(sq.ctc_grad(labels, lp, il, ll, reduction=reduction), lp)
    np.testing.assert_allclose(ours, z_grad, rtol=1e-10, atol=1e-14)


def test_mean_divides_each_loss_by_its_label_length_as_pytorch_does(batch):
    labels, logits, il, ll = batch
    per_sequence = sq.ctc(labels, log_softmax(logits), il, ll, reduction="none")
    assert sq.ctc(labels, log_softmax(logits), il, ll) == pytest.approx(
        np.mean(per_sequence / np.maximum(ll, 1)), rel=1e-15)
    assert sq.ctc(labels, log_softmax(logits), il, ll, reduction="sum") == pytest.approx(per_sequence.sum(), 1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pytorch_log_probs_grad_is_p_minus_gamma_ours_is_minus_gamma(reduction, batch):
    labels, logits, il, ll = batch
    lp = log_softmax(logits)
    _, _, leaf_grad = torch_ctc(labels, logits, il, ll, reduction)
    ours = sq.ctc_grad(labels, lp, il, ll, reduction=reduction)
    scale = {"mean": 1.0 / (len(ll) * np.maximum(ll, 1)), "sum": np.ones(len(ll)), "none": np.ones(len(ll))}[reduction]
    frames = np.arange(lp.shape[0])[:, None, None] < il[None, :, None]  # torch gives 0 beyond each input length
    expected = ours + np.where(frames, np.exp(lp) * scale[None, :, None], 0.0)
    np.testing.assert_allclose(leaf_grad, expected, rtol=1e-10, atol=1e-14)


def test_gradient_is_minus_the_posterior_occupancy(batch):
    labels, logits, il, ll = batch
    gamma = -sq.ctc_grad(labels, log_softmax(logits), il, ll, reduction="sum")
    assert (gamma >= 0).all()
    per_frame = gamma.sum(axis=-1)  # each frame emits exactly one class
    frames = np.arange(gamma.shape[0])[:, None] < il[None, :]
    np.testing.assert_allclose(per_frame[frames], 1.0, rtol=1e-12)
    assert (per_frame[~frames] == 0.0).all()
    # the tight sequence "3 3 3" in 5 frames has one path: 3 - 3 - 3
    np.testing.assert_allclose(gamma[:5, 1].argmax(axis=-1), [3, 0, 3, 0, 3])
    np.testing.assert_allclose(gamma[:5, 1].max(axis=-1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_matches_finite_differences_for_free_log_probs(reduction):
    rng = np.random.default_rng(1)
    labels, il, ll = np.array([[1, 1, 2], [2, 0, 0], [1, 2, 0]]), np.array([6, 4, 5]), np.array([3, 1, 2])
    lp = log_softmax(rng.normal(size=(6, 3, 3))) - 0.2  # not normalised: the gradient is for a free array
    result = lf.gradcheck(lambda x: sq.ctc(labels, x, il, ll, reduction=reduction),
                          lambda x: sq.ctc_grad(labels, x, il, ll, reduction=reduction), lp)
    assert result, repr(result)


def test_values_match_brute_force_path_enumeration():
    rng = np.random.default_rng(2)
    lp = log_softmax(rng.normal(size=(5, 1, 3)))
    for label in ([1], [1, 1], [1, 2], [2, 2, 1], [1, 2, 1], [2, 1, 1]):
        expected = brute_force(label, lp[:, 0])
        got = sq.ctc([label], lp, [5], [len(label)], reduction="sum")
        np.testing.assert_allclose(got, expected, rtol=1e-13, err_msg=str(label))


def test_impossible_alignments_give_inf_never_nan():
    lp = np.log(np.full((3, 4, 3), 1 / 3))
    labels = np.array([[1, 1, 0], [1, 2, 0], [1, 1, 1], [1, 2, 1]])
    # "1 1" needs 3 frames and gets 2; "1 2" fits in 2; "1 1 1" needs 5 and gets 3; "1 2 1" fits in 3
    il, ll = np.array([2, 2, 3, 3]), np.array([2, 2, 3, 3])
    losses = sq.ctc(labels, lp, il, ll, reduction="none")
    assert np.isposinf(losses[[0, 2]]).all() and np.isfinite(losses[[1, 3]]).all()
    np.testing.assert_allclose(losses[[1, 3]], [np.log(9), np.log(27)], rtol=1e-14)  # one path each: 12 and 121
    assert np.isposinf(sq.ctc(labels, lp, il, ll)) and np.isposinf(sq.ctc(labels, lp, il, ll, reduction="sum"))
    grad = sq.ctc_grad(labels, lp, il, ll, reduction="sum")
    assert np.isfinite(grad).all() and (grad[:, [0, 2]] == 0.0).all()
    # torch agrees on the value (zero_infinity=False) but its gradient for those sequences is NaN
    leaf = torch.tensor(lp, requires_grad=True)
    out = F.ctc_loss(leaf, torch.tensor(labels), torch.tensor(il), torch.tensor(ll), reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), losses, rtol=1e-14)
    out.sum().backward()
    assert np.isnan(leaf.grad.numpy()[:, 0]).any() and not np.isnan(leaf.grad.numpy()[:, 1]).any()


def test_empty_labels_and_empty_inputs():
    lp = log_softmax(np.random.default_rng(3).normal(size=(4, 3, 3)))
    labels = np.array([[1], [1], [1]])
    il, ll = np.array([4, 0, 0]), np.array([0, 0, 1])
    losses = sq.ctc(labels, lp, il, ll, reduction="none")
    np.testing.assert_allclose(losses[0], -lp[:, 0, 0].sum(), rtol=1e-14)  # only blanks
    assert losses[1] == 0.0 and not np.signbit(losses[1])  # nothing to emit in no time: probability 1
    assert np.isposinf(losses[2])
    assert sq.ctc(labels[:2], lp[:, :2], il[:2], ll[:2]) == pytest.approx(losses[0] / 2, rel=1e-15)  # length 0 -> 1


def test_concatenated_labels_as_pytorch_accepts_them(batch):
    labels, logits, il, ll = batch
    lp = log_softmax(logits)
    flat = np.concatenate([row[:n] for row, n in zip(labels, ll, strict=True)])
    for reduction in REDUCTIONS:
        np.testing.assert_array_equal(sq.ctc(flat, lp, il, ll, reduction=reduction),
                                      sq.ctc(labels, lp, il, ll, reduction=reduction))
    np.testing.assert_array_equal(sq.ctc_grad(flat, lp, il, ll), sq.ctc_grad(labels, lp, il, ll))
    with torch.no_grad():
        value = F.ctc_loss(torch.tensor(lp), torch.tensor(flat), torch.tensor(il), torch.tensor(ll)).item()
    assert sq.ctc(flat, lp, il, ll) == pytest.approx(value, rel=1e-12)


def test_another_blank_and_padding_that_is_ignored(batch):
    labels, logits, il, ll = batch
    lp = log_softmax(logits)
    C = lp.shape[-1]
    moved = np.where(labels == C - 1, 0, labels)  # use class C - 1 as the blank: relabel C - 1 as 0
    padded = moved.copy()
    padded[np.arange(labels.shape[1])[None, :] >= ll[:, None]] = 99  # padding is never read
    value, z_grad, _ = torch_ctc(moved, logits, il, ll, "mean", blank=C - 1)
    assert sq.ctc(padded, lp, il, ll, blank=C - 1) == pytest.approx(float(value), rel=1e-12)
    np.testing.assert_allclose(logits_grad(sq.ctc_grad(padded, lp, il, ll, blank=C - 1), lp), z_grad,
                               rtol=1e-10, atol=1e-14)


def test_long_inputs_stay_finite_in_log_space():
    rng = np.random.default_rng(4)
    T, C = 1500, 6
    lp = log_softmax(rng.normal(size=(T, 1, C)))
    labels = rng.integers(1, C, size=(1, 40))
    value = sq.ctc(labels, lp, [T], [40], reduction="sum")  # every path has probability below 1e-1000
    with torch.no_grad():
        expected = F.ctc_loss(torch.tensor(lp), torch.tensor(labels), torch.tensor([T]), torch.tensor([40]),
                              reduction="sum").item()
    assert np.isfinite(value) and value > 2000
    assert value == pytest.approx(expected, rel=1e-12)


def test_keras_ctc_is_our_sum_over_the_batch_from_logits_in_float32(batch):
    keras = pytest.importorskip("keras")
    labels, logits, il, ll = batch
    full = np.full(len(labels), logits.shape[0])  # Keras uses every frame and counts nonzero labels
    ours = sq.ctc(labels, log_softmax(logits), full, (labels != 0).sum(axis=1), reduction="sum") / len(labels)
    got = float(keras.losses.CTC(dtype="float64")(labels, logits.transpose(1, 0, 2)))  # batch first, logits
    np.testing.assert_allclose(got, ours, rtol=1e-6)  # computed in float32 inside, whatever the dtype
    assert abs(got - ours) > 1e-12


def test_bad_input_raises_clear_errors(batch):
    labels, logits, il, ll = batch
    lp = log_softmax(logits)
    T, N, C = lp.shape
    cases = [
        ((labels, lp[:, :5], il, ll), r"log_probs has shape \(12, 5, 5\) but labels has shape \(6, 6\); log_probs "
                                      r"must have shape \(T, N, C\), time first, with N = labels.shape\[0\] = 6"),
        ((labels, lp[0], il, ll), r"log_probs has shape \(6, 5\) but labels has shape \(6, 6\)"),
        ((labels[0, :3], lp[0], il, [1, 1, 1, 0, 0, 0]), r"log_probs must have shape \(T, N, C\), time first, "
                                                        r"got shape \(6, 5\)"),
        ((labels, lp, il[:5], ll), r"input_lengths has shape \(5,\) but labels has shape \(6, 6\)"),
        ((labels, lp, il, ll[:, None]), r"label_lengths has shape \(6, 1\) but labels has shape \(6, 6\)"),
        ((labels[None], lp, il, ll), r"labels must be padded, shape \(N, S\), or concatenated"),
        ((labels, lp, il + 1, ll), r"input_lengths must hold integers in \[0, 12\] \(T = 12 time steps of "
                                   r"log_probs\), got 13.0"),
        ((labels, lp, il - 0.5, ll), r"input_lengths must hold integers in \[0, 12\].*got 11.5"),
        ((labels, lp, il, ll + 1), r"label_lengths must hold integers in \[0, 6\] \(S = 6 columns of labels\), "
                                   r"got 7.0"),
        ((np.where(labels == 4, 5, labels), lp, il, ll), r"labels must hold integer class labels in \[0, 4\] "
                                                         r"\(C = 5 classes on the last axis of log_probs\), got 5.0"),
        ((labels + 0.5, lp, il, ll), r"labels must hold integer class labels in \[0, 4\].*got 2.5"),
        ((np.where(labels == 3, 0, labels), lp, il, ll), r"labels must not contain the blank class 0 \(CTC "
                                                         r"inserts blanks itself\); sequence 1 has it at position 0"),
        ((labels, logits, il, ll), r"log_probs must lie in \(-inf, 1e-06\] \(log-probabilities such as "
                                   r"log_softmax outputs\), got \d+ value"),
        ((labels[0, :3], lp, il, [1, 1, 1, 1, 0, 0]), r"label_lengths must add up to the 3 concatenated labels, "
                                                        r"got 4"),
    ]
    for f in (sq.ctc, sq.ctc_grad):
        for args, message in cases:
            with pytest.raises(ValueError, match=rf"^{f.__name__}: {message}"):
                f(*args)
        with pytest.raises(ValueError, match=rf"^{f.__name__}: blank must be an integer in \[0, 4\], got 5; "
                                             r"it is one of the C = 5 classes of log_probs$"):
            f(labels, lp, il, ll, blank=5)
        with pytest.raises(TypeError, match=rf"^{f.__name__}: blank must be an integer, got float"):
            f(labels, lp, il, ll, blank=0.0)
        with pytest.raises(TypeError, match=rf"^{f.__name__}: labels must be numeric"):
            f(np.full(labels.shape, "a"), lp, il, ll)
        with pytest.raises(ValueError, match=rf"^{f.__name__}: reduction must be one of"):
            f(labels, lp, il, ll, reduction="batchmean")


def test_registry_call_matches_pytorch(batch):
    from frameworks import positional_names, torch_value_and_grads

    record = lf.registry.get("ctc")
    labels, logits, il, ll = batch
    lp = log_softmax(logits)
    inputs = dict(zip(positional_names(record.fn), (labels, lp, il, ll), strict=True))
    value, (leaf_grad,) = torch_value_and_grads(record.torch, inputs, ("log_probs",))
    assert record.fn(labels, lp, il, ll) == pytest.approx(value, rel=1e-12)
    # torch's log_probs.grad is exp(log_probs) - gamma (scaled), ours -gamma: equal up to the p term on used frames
    frames = np.arange(lp.shape[0])[:, None, None] < il[None, :, None]
    scale = 1.0 / (len(ll) * np.maximum(ll, 1))[None, :, None]
    np.testing.assert_allclose(record.grad(labels, lp, il, ll) + np.where(frames, np.exp(lp) * scale, 0.0),
                               leaf_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("padded", [True, False])
def test_a_batch_of_empty_targets_is_valid_as_in_torch(padded):
    """Issue 23 / torch's test_CTCLoss_empty_target: every target empty, the loss is -sum_t log p(blank)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(50, 3, 15))
    lp = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    targets = np.zeros((3, 0)) if padded else np.zeros(0)
    lengths, zeros = np.full(3, 50.0), np.zeros(3)
    expected = -lp[:, :, 0].sum(axis=0)
    for reduction in ("none", "mean", "sum"):
        theirs = torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor(targets).long(),
                                              torch.tensor(lengths).long(), torch.tensor(zeros).long(),
                                              reduction=reduction).numpy()
        np.testing.assert_allclose(lf.ctc(targets, lp, lengths, zeros, reduction=reduction), theirs, rtol=1e-13)
    np.testing.assert_allclose(lf.ctc(targets, lp, lengths, zeros, reduction="none"), expected, rtol=1e-13)
    grad = lf.ctc_grad(targets, lp, lengths, zeros, reduction="sum")
    np.testing.assert_allclose(grad[:, :, 0], -1.0, rtol=1e-12)
    assert np.all(grad[:, :, 1:] == 0.0)
    with pytest.raises(ValueError, match=r"^ctc: label_lengths must hold integers in \[0, 0\]"):
        lf.ctc(np.zeros((3, 0)), lp, lengths, np.array([0.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match=r"^ctc: labels is empty"):
        lf.ctc([], [], [], [])
