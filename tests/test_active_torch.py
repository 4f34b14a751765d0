"""lossfns.torch.TorchClassifier: a deterministic scikit-learn-style classifier for the active-learning loop."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from lossfns import active as A  # noqa: E402
from lossfns.torch import TorchClassifier  # noqa: E402


def blobs(seed=0, n=40, gap=6.0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + gap])
    return X, np.repeat(["left", "right"], n)


def test_fits_a_separable_problem_and_gives_probability_rows():
    X, y = blobs()
    clf = TorchClassifier(hidden=(16,), epochs=150, seed=0).fit(X, y)
    assert clf.classes_.tolist() == ["left", "right"]
    assert (clf.predict(X) == y).all()
    P = clf.predict_proba(X)
    assert P.shape == (80, 2) and P.dtype == np.float64
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert (P[np.arange(80), (y == "right").astype(int)] > 0.9).all()


def test_fit_is_deterministic_and_leaves_the_global_rng_alone():
    X, y = blobs(seed=1, gap=1.0)
    state = torch.get_rng_state()
    a = TorchClassifier(seed=3).fit(X, y).predict_proba(X)
    b = TorchClassifier(seed=3).fit(X, y).predict_proba(X)
    c = TorchClassifier(seed=4).fit(X, y).predict_proba(X)
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_without_hidden_layers_it_is_multinomial_logistic_regression():
    # three overlapping blobs: the unpenalised maximum-likelihood fit is unique, and Adam gets to it
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(30, 2)) + centre for centre in ([0, 0], [1.5, 0], [0, 1.5])])
    y = np.repeat([0, 1, 2], 30)
    ours = TorchClassifier(hidden=(), epochs=1500, lr=0.05).fit(X, y)
    ref = LogisticRegression(C=np.inf, max_iter=5000, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=2e-3)


def test_works_as_the_model_of_an_active_learning_run():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kw = dict(strategy="margin", initial_size=6, batch_size=3, rounds=2, seed=0)
    make = lambda: TorchClassifier(hidden=(8,), epochs=50)  # noqa: E731
    a = A.run(make, X[::2], y[::2], X[1::2], y[1::2], **kw)
    b = A.run(make, X[::2], y[::2], X[1::2], y[1::2], **kw)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    assert a.n_labels.tolist() == [6, 9, 12]


def test_errors():
    with pytest.raises(ValueError, match=r"TorchClassifier: epochs must be an integer in \[1, inf\), got 0"):
        TorchClassifier(epochs=0)
    with pytest.raises(ValueError, match=r"TorchClassifier: lr must lie in \(0, inf\), got -1.0"):
        TorchClassifier(lr=-1.0)
    with pytest.raises(ValueError, match="not fitted yet"):
        TorchClassifier().predict_proba([[0.0, 1.0]])
    clf = TorchClassifier(epochs=1).fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    with pytest.raises(ValueError, match=r"X has 3 feature\(s\), the model was fitted with 2"):
        clf.predict([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match=r"y must have shape \(2,\)"):
        TorchClassifier().fit([[0.0], [1.0]], [0, 1, 1])


def test_fit_restores_the_thread_setting():
    before = torch.get_num_threads()
    TorchClassifier(epochs=2).fit([[0.0], [1.0]], [0, 1]).predict_proba([[0.5]])
    assert torch.get_num_threads() == before
