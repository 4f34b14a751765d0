"""lossfns.nn: a tiny NumPy MLP (forward, backprop, inverted dropout, training), checked against
finite differences and PyTorch."""
import functools

import numpy as np
import pytest

import lossfns as lf
from lossfns.nn import MLP, Dropout

ce = functools.partial(lf.categorical_cross_entropy, from_logits=True)
ce_grad = functools.partial(lf.categorical_cross_entropy_grad, from_logits=True)
sparse_ce = functools.partial(lf.sparse_categorical_cross_entropy, from_logits=True)
sparse_ce_grad = functools.partial(lf.sparse_categorical_cross_entropy_grad, from_logits=True)


def toy(seed=0, n=8, d=3, k=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    labels = rng.integers(0, k, size=n)
    return X, np.eye(k)[labels], labels, rng.normal(size=(n, k))


def blobs(n_per_class=40, seed=0):
    """Three well-separated Gaussian blobs in the plane: a linearly separable problem."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    X = np.concatenate([c + 0.5 * rng.normal(size=(n_per_class, 2)) for c in centers])
    return X, np.repeat(np.arange(3), n_per_class)


def flat_objective(net, X, y, loss, loss_grad, **kwargs):
    """(f, grad) of the flat parameter vector, for lf.gradcheck; a fixed-seed rng gives the same dropout masks."""
    def run(theta):
        net.set_flat(theta)
        rng = np.random.default_rng(123) if kwargs.get("train") else None
        return net.loss_and_grad(X, y, loss, loss_grad, rng=rng, **kwargs)

    return (lambda theta: run(theta)[0]), (lambda theta: MLP.flatten(run(theta)[1]))


def min_abs_preactivation(net, X, **kwargs):
    net.forward(X, **kwargs)
    return min(np.abs(z).min() for _, z in net._cache[:-1])


# --- shapes and parameters -----------------------------------------------------------------------


def test_shapes_of_parameters_outputs_and_gradients():
    net = MLP([3, 5, 4, 2], seed=0)
    assert [(W.shape, b.shape) for W, b in net.params] == [((3, 5), (5,)), ((5, 4), (4,)), ((4, 2), (2,))]
    assert net.n_params == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2 == net.get_flat().size
    X = np.ones((7, 3))
    assert net.forward(X).shape == (7, 2)
    grads = net.backward(np.ones((7, 2)))
    assert [(dW.shape, db.shape) for dW, db in grads] == [(W.shape, b.shape) for W, b in net.params]
    assert net(X).shape == (7, 2)
    assert repr(net) == "MLP(sizes=[3, 5, 4, 2], activation='relu', dropout=0)"


def test_a_net_without_hidden_layers_is_a_linear_model():
    net = MLP([3, 2], seed=1)
    X = np.random.default_rng(0).normal(size=(5, 3))
    W, b = net.params[0]
    np.testing.assert_allclose(net.forward(X), X @ W + b, rtol=1e-15)
    (dW, db), = net.backward(np.ones((5, 2)))
    np.testing.assert_allclose(dW, X.T @ np.ones((5, 2)), rtol=1e-15)
    np.testing.assert_array_equal(db, [5.0, 5.0])


def test_initialisation_is_he_for_relu_and_lecun_for_tanh_with_zero_biases():
    for activation, gain in (("relu", 2.0), ("tanh", 1.0)):
        net = MLP([400, 300, 1], activation=activation, seed=0)
        W, b = net.params[0]
        assert W.var() == pytest.approx(gain / 400, rel=0.02)  # 120,000 draws: sd of the estimate ~0.4 %
        assert abs(W.mean()) < 5 * np.sqrt(gain / 400 / W.size)
        np.testing.assert_array_equal(b, 0.0)


def test_flat_vector_round_trips_and_set_flat_changes_the_network():
    net = MLP([2, 3, 2], seed=0)
    theta = net.get_flat()
    W1 = net.params[0][0]
    np.testing.assert_array_equal(theta[:6], W1.ravel())
    np.testing.assert_array_equal(theta[6:9], net.params[0][1])
    theta2 = np.arange(theta.size, dtype=float)
    net.set_flat(theta2)
    np.testing.assert_array_equal(net.get_flat(), theta2)
    assert net.params[0][0] is W1  # in place: references held by an optimiser stay valid
    np.testing.assert_array_equal(net.params[1][0], theta2[9:15].reshape(3, 2))
    theta2[0] = -99.0
    assert net.params[0][0][0, 0] == 0.0  # set_flat copied
    assert net.get_flat() is not net.get_flat()


def test_forward_never_modifies_its_input_and_accepts_lists():
    net = MLP([2, 3, 1], dropout=0.5, seed=0)
    X = np.array([[1.0, -2.0], [0.5, 0.0]])
    X0 = X.copy()
    net.forward(X, train=True)
    net.backward(np.ones((2, 1)))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(net.forward([[1.0, -2.0], [0.5, 0.0]]), net.forward(X))


# --- backprop -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("objective", ["ce", "sparse_ce", "mse"])
def test_backprop_matches_finite_differences(activation, objective):
    X, Y, labels, targets = toy()
    net = MLP([3, 6, 5, 4], activation=activation, seed=2)
    if activation == "relu":  # a kink within the difference step would break any finite-difference check
        assert min_abs_preactivation(net, X) > 1e-3
    y, loss, grad = {"ce": (Y, ce, ce_grad), "sparse_ce": (labels, sparse_ce, sparse_ce_grad),
                     "mse": (targets, lf.mse, lf.mse_grad)}[objective]
    f, g = flat_objective(net, X, y, loss, grad)
    result = lf.gradcheck(f, g, net.get_flat(), atol=1e-7, rtol=1e-5)
    assert result, result
    assert np.abs(result.analytic).max() > 1e-2  # not a vacuous all-zero comparison


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_backprop_with_penalties_and_dropout_matches_finite_differences(activation):
    X, Y, _, _ = toy(seed=1)
    net = MLP([3, 6, 5, 4], activation=activation, dropout=0.4, seed=3)
    for _, b in net.params:  # with b = 0 a fully dropped row gives z = 0 exactly: a ReLU kink, not a bug
        b += np.random.default_rng(4).normal(scale=0.1, size=b.shape)
    if activation == "relu":
        assert min_abs_preactivation(net, X, train=True, rng=np.random.default_rng(123)) > 1e-3
    assert min(np.abs(W).min() for W, _ in net.params) > 1e-4  # the L1 kink is far from every weight
    f, g = flat_objective(net, X, Y, ce, ce_grad, l1=0.01, l2=0.1, train=True)
    result = lf.gradcheck(f, g, net.get_flat(), atol=1e-7, rtol=1e-5)
    assert result, result


def test_backprop_a_wrong_activation_derivative_is_caught():
    """The check can fail: a net whose tanh' is off by a factor fails gradcheck."""
    X, Y, _, _ = toy()
    net = MLP([3, 6, 4], activation="tanh", seed=2)
    net._act_grad = lambda z: 0.9 * (1.0 - np.tanh(z) ** 2)
    f, g = flat_objective(net, X, Y, ce, ce_grad)
    assert not lf.gradcheck(f, g, net.get_flat())


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradients_match_torch_autograd_including_dropout_masks(activation):
    torch = pytest.importorskip("torch")
    X, Y, _, _ = toy(seed=4, n=10)
    net = MLP([3, 7, 6, 4], activation=activation, dropout=0.3, seed=5)
    value, grads = net.loss_and_grad(X, Y, ce, ce_grad, l2=0.05, train=True, rng=np.random.default_rng(0))
    masks = [torch.tensor(d.mask) for d in net.dropouts]
    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in net.params]
    act = torch.relu if activation == "relu" else torch.tanh
    h = torch.tensor(X)
    for i, (W, b) in enumerate(params):
        h = h @ W + b
        if i < len(masks):
            h = act(h) * masks[i]  # the mask already holds m / (1 - p)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(Y)) + 0.05 * sum((W**2).sum() for W, _ in params)
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-12)
    for (dW, db), (W, b) in zip(grads, params, strict=True):
        np.testing.assert_allclose(dW, W.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, b.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_relu_derivative_at_zero_is_zero_like_torch():
    net = MLP([1, 1, 1], activation="relu", seed=0)
    net.params[0][0][...] = 1.0
    net.params[1][0][...] = 1.0
    net.forward(np.array([[0.0], [1.0]]))
    (dW1, db1), _ = net.backward(np.ones((2, 1)))
    np.testing.assert_array_equal(db1, [1.0])  # only the sample with z = 1 > 0 passes gradient


def test_penalty_covers_the_weights_only():
    net = MLP([2, 3, 1], seed=0)
    expected = sum(0.1 * np.abs(W).sum() + 0.2 * (W**2).sum() for W, _ in net.params)
    assert net.penalty(l1=0.1, l2=0.2) == pytest.approx(expected, rel=1e-14)
    for _, b in net.params:
        b += 5.0
    assert net.penalty(l1=0.1, l2=0.2) == pytest.approx(expected, rel=1e-14)
    assert net.penalty() == 0.0


# --- dropout ----------------------------------------------------------------------------------------------


def test_dropout_in_evaluation_is_the_identity_and_returns_a_new_array():
    x = np.random.default_rng(0).normal(size=(5, 6))
    drop = Dropout(0.7)
    out = drop.forward(x)
    np.testing.assert_array_equal(out, x)
    assert out is not x and drop.mask is None
    np.testing.assert_array_equal(drop.backward(np.ones_like(x)), np.ones_like(x))
    np.testing.assert_array_equal(Dropout(0.0).forward(x, train=True), x)  # p = 0 drops nothing


def test_dropout_in_training_zeros_a_fraction_p_and_scales_the_rest():
    p, n = 0.3, 400_000
    x = np.random.default_rng(1).uniform(1.0, 2.0, size=n)  # no zeros in the input
    out = Dropout(p).forward(x, train=True, rng=np.random.default_rng(2))
    dropped = out == 0.0
    # binomial count: the standard deviation of the fraction is sqrt(p (1 - p) / n) ~ 7e-4
    assert abs(dropped.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out[~dropped], x[~dropped] / (1 - p), rtol=1e-15)


def test_dropout_keeps_the_expected_activation():
    p, draws = 0.5, 40_000
    x = np.linspace(-2.0, 3.0, 11)
    drop = Dropout(p)
    rng = np.random.default_rng(3)
    mean = np.mean([drop.forward(x, train=True, rng=rng) for _ in range(draws)], axis=0)
    sd = np.abs(x) * np.sqrt(p / (1 - p) / draws)  # sd of the mean of x * m / (1 - p)
    assert np.all(np.abs(mean - x) <= 4 * sd + 1e-12)
    assert np.abs(mean - x).max() < 0.05  # ~1 % of the largest entry
    no_scaling = np.mean([x * (rng.random(x.shape) >= p) for _ in range(2000)], axis=0)
    assert np.abs(no_scaling - x).max() > 1.0  # without 1 / (1 - p) the mean halves: the test can fail


def test_dropout_backward_uses_the_forward_mask():
    drop = Dropout(0.4)
    x = np.random.default_rng(0).normal(size=(3, 4))
    out = drop.forward(x, train=True, rng=np.random.default_rng(1))
    g = drop.backward(np.ones_like(x))
    np.testing.assert_array_equal(g, drop.mask)
    np.testing.assert_allclose(out, x * g, rtol=1e-15)
    f = lambda v: float((drop.forward(v, train=True, rng=np.random.default_rng(1)) ** 2).sum())  # noqa: E731
    grad = lambda v: drop.backward(2.0 * drop.forward(v, train=True, rng=np.random.default_rng(1)))  # noqa: E731
    assert lf.gradcheck(f, grad, x)


def test_dropout_agrees_with_torch_in_training_and_evaluation():
    torch = pytest.importorskip("torch")
    p = 0.25
    x = np.random.default_rng(0).uniform(0.5, 1.5, size=(200, 100))
    torch.manual_seed(0)
    layer = torch.nn.Dropout(p)
    layer.train()
    theirs = layer(torch.tensor(x)).numpy()
    ours = Dropout(p).forward(x, train=True, rng=np.random.default_rng(0))
    for out in (theirs, ours):  # each entry is 0 or x / (1 - p), and about a fraction p are 0
        kept = out != 0
        np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-15)
        assert abs((~kept).mean() - p) < 0.01
    both = (theirs != 0) & (ours != 0)
    np.testing.assert_array_equal(ours[both], theirs[both])
    layer.eval()
    np.testing.assert_array_equal(layer(torch.tensor(x)).numpy(), x)
    np.testing.assert_array_equal(Dropout(p).forward(x, train=False), x)


def test_mlp_applies_dropout_only_in_training_mode():
    X = np.random.default_rng(0).normal(size=(50, 4))
    net = MLP([4, 64, 3], dropout=0.5, seed=0)
    eval1, eval2 = net.forward(X), net.forward(X)
    np.testing.assert_array_equal(eval1, eval2)
    train1, train2 = net.forward(X, train=True), net.forward(X, train=True)
    assert not np.allclose(train1, eval1) and not np.allclose(train1, train2)
    same = [net.forward(X, train=True, rng=np.random.default_rng(9)) for _ in range(2)]
    np.testing.assert_array_equal(*same)
    assert net.dropout == 0.5 and MLP([4, 3], dropout=0.5).dropout == 0.0  # no hidden layer, nothing to drop


# --- training ----------------------------------------------------------------------------------------------


def test_train_step_is_one_gradient_descent_step():
    X, Y, _, _ = toy()
    net = MLP([3, 5, 4], seed=0)
    theta = net.get_flat()
    value, grads = net.loss_and_grad(X, Y, ce, ce_grad, l2=0.1)
    assert net.train_step(X, Y, ce, ce_grad, lr=0.3, l2=0.1) == value
    np.testing.assert_allclose(net.get_flat(), theta - 0.3 * MLP.flatten(grads), rtol=1e-14)
    assert net.loss_and_grad(X, Y, ce, ce_grad, l2=0.1)[0] < value


def test_training_separates_three_blobs():
    X, labels = blobs()
    net = MLP([2, 16, 3], activation="tanh", seed=0)
    losses = net.fit(X, labels, sparse_ce, sparse_ce_grad, lr=0.2, epochs=30, batch_size=16)
    assert losses.shape == (30,)
    assert losses[-1] < 0.1 * losses[0]
    assert np.all(np.diff(losses[:10]) < 0)
    assert (net.forward(X).argmax(axis=1) == labels).mean() == 1.0


def test_fit_with_mse_learns_a_smooth_function():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2.0, 2.0, size=(200, 1))
    y = np.sin(X)
    net = MLP([1, 32, 32, 1], activation="tanh", seed=1)
    losses = net.fit(X, y, lf.mse, lf.mse_grad, lr=0.05, epochs=300, batch_size=32)
    assert losses[-1] < 0.01 < lf.mse(y, np.zeros_like(y))


def test_l2_shrinks_the_weights_and_l1_zeroes_out_irrelevant_inputs_more():
    X, labels = blobs()
    X = np.column_stack([X, np.random.default_rng(1).normal(size=(len(X), 4))])  # 4 irrelevant features
    norms = {}
    for l1, l2 in ((0.0, 0.0), (0.0, 0.01), (0.01, 0.0)):
        net = MLP([6, 8, 3], activation="tanh", seed=0)
        net.fit(X, labels, sparse_ce, sparse_ce_grad, lr=0.1, epochs=300, l1=l1, l2=l2)
        W1 = net.params[0][0]
        norms[l1, l2] = (np.sum(W1**2), np.abs(W1[2:]).sum())
    assert norms[0.0, 0.01][0] < 0.7 * norms[0.0, 0.0][0]
    assert norms[0.01, 0.0][1] < 0.5 * norms[0.0, 0.0][1]


def test_the_same_seed_reproduces_initialisation_and_training_exactly():
    X, labels = blobs(seed=1)

    def run(seed):
        net = MLP([2, 8, 3], dropout=0.2, seed=seed)
        init = net.get_flat()
        return init, net.fit(X, labels, sparse_ce, sparse_ce_grad, lr=0.1, epochs=5, batch_size=10), net.get_flat()

    a, b, c = run(0), run(0), run(1)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a[0], c[0]) and not np.allclose(a[2], c[2])
    # an explicit rng overrides the network's own generator
    net1, net2 = MLP([2, 8, 3], dropout=0.2, seed=0), MLP([2, 8, 3], dropout=0.2, seed=0)
    net1.fit(X, labels, sparse_ce, sparse_ce_grad, lr=0.1, epochs=2, batch_size=10, rng=np.random.default_rng(7))
    net2.fit(X, labels, sparse_ce, sparse_ce_grad, lr=0.1, epochs=2, batch_size=10)
    assert not np.allclose(net1.get_flat(), net2.get_flat())


def test_fit_with_zero_epochs_changes_nothing():
    X, labels = blobs()
    net = MLP([2, 4, 3], seed=0)
    theta = net.get_flat()
    assert net.fit(X, labels, sparse_ce, sparse_ce_grad, lr=0.1, epochs=0).shape == (0,)
    np.testing.assert_array_equal(net.get_flat(), theta)


# --- argument errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, np.nan])
def test_dropout_probability_outside_zero_one_is_rejected(p):
    with pytest.raises(ValueError, match=r"^Dropout: p must lie in \[0, 1\)"):
        Dropout(p)
    with pytest.raises(ValueError, match=r"^MLP: dropout must lie in \[0, 1\)"):
        MLP([2, 3, 1], dropout=p)


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        ([3], ValueError, "sizes needs at least two entries"),
        ([], ValueError, "sizes needs at least two entries"),
        ([3, 0, 2], ValueError, r"sizes\[i\] must be an integer in \[1, inf\)"),
        ([3, -4, 2], ValueError, r"sizes\[i\] must be an integer in \[1, inf\)"),
        ([3, 2.5, 2], TypeError, r"sizes\[i\] must be an integer"),
        ([3, True, 2], TypeError, r"sizes\[i\] must be an integer"),
        ("32", TypeError, "sizes must be a sequence"),
        (3, TypeError, "sizes must be a sequence"),
    ],
)
def test_bad_sizes_are_rejected(sizes, error, match):
    with pytest.raises(error, match=f"^MLP: {match}"):
        MLP(sizes)


def test_other_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"^MLP: activation must be one of 'relu', 'tanh', got 'sigmoid'"):
        MLP([2, 3, 1], activation="sigmoid")
    with pytest.raises(ValueError, match=r"^MLP: seed must be an integer in \[0, inf\)"):
        MLP([2, 3, 1], seed=-1)
    with pytest.raises(TypeError, match="^MLP: seed must be an integer"):
        MLP([2, 3, 1], seed=None)
    net = MLP([2, 3, 1])
    with pytest.raises(RuntimeError, match=r"^MLP.backward: call forward before backward"):
        net.backward(np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"^MLP.forward: X must have shape \(n, 2\), got \(4, 3\)"):
        net.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"^MLP.forward: X must have shape \(n, 2\), got \(2,\)"):
        net.forward(np.ones(2))
    with pytest.raises(ValueError, match="^MLP.forward: X contains 1 NaN"):
        net.forward([[1.0, np.nan]])
    with pytest.raises(TypeError, match="^MLP.forward: rng must be a numpy.random.Generator"):
        net.forward(np.ones((4, 2)), train=True, rng=0)
    net.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"^MLP.backward: grad_out has shape \(4, 2\) but the last forward returned"):
        net.backward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"^MLP.set_flat: theta must have shape \(13,\), got \(12,\)"):
        net.set_flat(np.zeros(12))
    X, y = np.ones((4, 2)), np.ones((4, 1))
    with pytest.raises(ValueError, match=r"^MLP.train_step: lr must lie in \(0, inf\)"):
        net.train_step(X, y, lf.mse, lf.mse_grad, lr=0.0)
    with pytest.raises(ValueError, match=r"^MLP.loss_and_grad: l2 must lie in \[0, inf\)"):
        net.loss_and_grad(X, y, lf.mse, lf.mse_grad, l2=-0.1)
    with pytest.raises(ValueError, match=r"^MLP.fit: epochs must be an integer in \[0, inf\)"):
        net.fit(X, y, lf.mse, lf.mse_grad, lr=0.1, epochs=-1)
    with pytest.raises(ValueError, match=r"^MLP.fit: batch_size must be an integer in \[1, inf\)"):
        net.fit(X, y, lf.mse, lf.mse_grad, lr=0.1, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match=r"^MLP.fit: y has 3 rows but X has 4"):
        net.fit(X, y[:3], lf.mse, lf.mse_grad, lr=0.1, epochs=1)
    with pytest.raises(TypeError, match="^Dropout.forward: x must be numeric"):
        Dropout(0.5).forward("x")
