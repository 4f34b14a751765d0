"""Issue 23, defect 5: the helpers around the losses fail with errors that name the argument, not NumPy's own."""
import numpy as np
import pytest

import lossfns as lf


def test_gradcheck_and_numerical_grad_name_what_is_wrong():
    with pytest.raises(ValueError, match=r"^gradcheck: f must return one number \(a scalar loss\), got an array of "
                                         r"shape \(2,\)"):
        lf.gradcheck(lambda v: v**2, lambda v: 2 * v, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"^numerical_grad: f must be a function of one array, got int 3"):
        lf.numerical_grad(3, [1.0])
    with pytest.raises(TypeError, match=r"^gradcheck: grad must be a function of one array, got str"):
        lf.gradcheck(lambda v: float(v.sum()), "grad", [1.0])
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=r"^numerical_grad: f returned nan at x - eps at "
                                                                    r"element 0; finite differences need finite"):
        lf.numerical_grad(lambda v: float(np.log(v).sum()), [0.0])
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=r"^gradcheck: grad returned 1 NaN or infinite"):
        lf.gradcheck(lambda v: float((v**2).sum()), lambda v: 1.0 / v, [0.0, 1.0])
    assert lf.gradcheck(lambda v: float((v**2).sum()), lambda v: 2 * v, [0.0, 1.0])  # the valid case still passes


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_seeds_must_be_non_negative_integers_or_generators(bad):
    calls = {
        "train_test_split": lambda s: lf.data.train_test_split(np.arange(10.0), seed=s),
        "add_outliers": lambda s: lf.data.add_outliers(np.zeros(5), 2, seed=s),
        "bootstrap_ci": lambda s: lf.decision.bootstrap_ci(np.mean, np.arange(5.0), n_boot=10, seed=s),
        "check_layer": lambda s: lf.check_layer(lambda x: 2 * x, lambda x, g: 2 * g, np.ones(3), seed=s),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=rf"^{name}: seed must be a non-negative integer or a "
                                             rf"numpy.random.Generator, got {bad!r}"):
            call(bad)
    gen = np.random.default_rng(0)
    assert len(lf.data.train_test_split(np.arange(10.0), seed=gen)) == 2  # a Generator is used as it is


def test_a_diverging_mlp_says_so_and_names_the_learning_rate():
    net = lf.nn.MLP([2, 4, 1], seed=0)
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = x.sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=r"^MLP.fit: training diverged in epoch \d+, .*"
                                                                    r"lower the learning rate \(lr=1e\+300\)"):
        net.fit(x, y, lf.mse, lf.mse_grad, lr=1e300, epochs=5)
    history = lf.nn.MLP([2, 4, 1], seed=0).fit(x, y, lf.mse, lf.mse_grad, lr=0.05, epochs=5)
    assert np.all(np.isfinite(history)) and history[-1] < history[0]
