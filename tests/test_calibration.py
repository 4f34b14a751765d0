"""lossfns.calibration against scikit-learn's calibration_curve and hand computations."""
import numpy as np
import pytest

from lossfns.calibration import ReliabilityCurve, expected_calibration_error, reliability_curve

sklearn_calibration = pytest.importorskip("sklearn.calibration")


@pytest.fixture(scope="module")
def binary():
    """400 labels and probabilities that are deliberately over-confident (p pushed towards 0 and 1)."""
    rng = np.random.default_rng(3)
    true_p = rng.uniform(size=400)
    y = (rng.uniform(size=400) < true_p).astype(float)
    p = 1.0 / (1.0 + np.exp(-3.0 * np.log(true_p / (1.0 - true_p))))
    return y, p


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15])
def test_binary_curve_matches_sklearn(binary, n_bins):
    y, p = binary
    curve = reliability_curve(y, p, n_bins=n_bins)
    prob_true, prob_pred = sklearn_calibration.calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    full = curve.count > 0
    np.testing.assert_allclose(curve.frequency[full], prob_true, rtol=1e-12)
    np.testing.assert_allclose(curve.confidence[full], prob_pred, rtol=1e-12)
    assert curve.count.sum() == len(y) and curve.edges.shape == (n_bins + 1,)


def test_bins_are_closed_on_the_right_like_sklearn():
    # 0.5 and 1.0 sit on edges: (0, 0.5] and (0.5, 1]; 0.0 belongs to the first bin
    y, p = np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.5, 1.0, 0.75])
    curve = reliability_curve(y, p, n_bins=2)
    assert curve.count.tolist() == [2, 2]
    np.testing.assert_allclose(curve.confidence, [0.25, 0.875])
    np.testing.assert_allclose(curve.frequency, [0.5, 0.5])
    prob_true, prob_pred = sklearn_calibration.calibration_curve(y, p, n_bins=2)
    np.testing.assert_allclose(curve.frequency, prob_true)
    np.testing.assert_allclose(curve.confidence, prob_pred)


def test_ece_by_hand():
    # bins of width 0.5: {0.2 (label 0)} and {0.6, 0.7, 0.9 (labels 1)}
    ece = expected_calibration_error([0, 1, 1, 1], [0.2, 0.6, 0.7, 0.9], n_bins=2)
    assert isinstance(ece, np.float64)
    assert ece == pytest.approx(0.25 * 0.2 + 0.75 * (1.0 - (0.6 + 0.7 + 0.9) / 3), rel=1e-12)


def test_ece_is_the_weighted_gap_of_the_curve(binary):
    y, p = binary
    curve = reliability_curve(y, p, n_bins=10)
    full = curve.count > 0
    by_loop = sum(
        np.mean(_in_bin(p, lo, hi)) * abs(y[_in_bin(p, lo, hi)].mean() - p[_in_bin(p, lo, hi)].mean())
        for lo, hi in zip(curve.edges[:-1], curve.edges[1:], strict=True)
        if _in_bin(p, lo, hi).any()
    )
    assert expected_calibration_error(y, p) == pytest.approx(by_loop, rel=1e-12)
    assert full.sum() > 5
    assert 0.05 < expected_calibration_error(y, p) < 1.0  # over-confident by construction


def _in_bin(p, lo, hi):
    return ((p > lo) | ((lo == 0.0) & (p == 0.0))) & (p <= hi)


def test_perfectly_calibrated_predictions_have_small_ece():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.005


def test_base_rate_predictor_is_calibrated():
    y = np.array([1.0, 0.0, 0.0, 0.0])
    assert expected_calibration_error(y, np.full(4, 0.25)) == 0.0


def test_top_label_by_hand():
    labels = np.array([0, 1, 2, 2])
    p = np.array([[0.9, 0.05, 0.05],   # right, confidence 0.9
                  [0.6, 0.3, 0.1],     # wrong, confidence 0.6
                  [0.2, 0.2, 0.6],     # right, confidence 0.6
                  [0.1, 0.85, 0.05]])  # wrong, confidence 0.85
    curve = reliability_curve(labels, p, n_bins=5)  # bins (0.4, 0.6] and (0.8, 1]
    assert curve.count.tolist() == [0, 0, 2, 0, 2]
    np.testing.assert_allclose(curve.confidence[[2, 4]], [0.6, 0.875])
    np.testing.assert_allclose(curve.frequency[[2, 4]], [0.5, 0.5])
    assert np.isnan(curve.confidence[0]) and np.isnan(curve.frequency[3])
    expected = 0.5 * abs(0.5 - 0.6) + 0.5 * abs(0.5 - 0.875)
    assert expected_calibration_error(labels, p, n_bins=5) == pytest.approx(expected, rel=1e-12)


def test_one_hot_labels_give_the_same_result_as_integer_labels():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(4), size=50)
    labels = rng.integers(0, 4, size=50)
    one_hot = np.eye(4)[labels]
    assert expected_calibration_error(one_hot, p) == expected_calibration_error(labels, p)
    a, b = reliability_curve(one_hot, p), reliability_curve(labels, p)
    np.testing.assert_array_equal(a.count, b.count)


def test_two_columns_are_top_label_not_binary():
    # the top-label confidence of [0.3, 0.7] is 0.7, of [0.8, 0.2] is 0.8
    p = np.array([[0.3, 0.7], [0.8, 0.2]])
    curve = reliability_curve([1, 1], p, n_bins=10)
    assert curve.count[6] == 1 and curve.count[7] == 1
    assert curve.frequency[6] == 1.0 and curve.frequency[7] == 0.0


def test_return_type_and_inputs_untouched(binary):
    y, p = binary
    y0, p0 = y.copy(), p.copy()
    curve = reliability_curve(y, p)
    assert isinstance(curve, ReliabilityCurve) and curve.count.dtype == np.int64
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize(
    ("y", "p", "kwargs", "error", "match"),
    [
        ([0, 1], [0.2, 1.2], {}, ValueError, r"p must lie in \[0, 1\] \(probabilities\)"),
        ([0, 1], [0.2, np.nan], {}, ValueError, "p contains 1 NaN"),
        ([0, 2], [0.2, 0.4], {}, ValueError, r"y_true must hold labels in \{0, 1\}, got 2.0"),
        ([0, 1, 1], [0.2, 0.4], {}, ValueError, r"p has shape \(2,\) but y_true has shape \(3,\)"),
        ([0, 3], [[0.5, 0.5], [0.2, 0.8]], {}, ValueError, r"integer class labels in \[0, 1\], got 3.0"),
        ([0, 1], [[0.5, 0.6], [0.2, 0.8]], {}, ValueError, "row 0 sums to 1.1"),
        ([[1, 1], [0, 1]], [[0.5, 0.5], [0.2, 0.8]], {}, ValueError, "one-hot rows"),
        ([0, 1], np.full((2, 2, 2), 0.5), {}, ValueError, r"p must have shape \(n,\) or \(n, k\)"),
        ([0, 1], [0.2, 0.4], {"n_bins": 0}, ValueError, r"n_bins must be an integer in \[1, inf\)"),
        ([0, 1], [0.2, 0.4], {"n_bins": 2.5}, TypeError, "n_bins must be an integer"),
        (["a", "b"], [0.2, 0.4], {}, TypeError, "y_true must be numeric"),
    ],
)
def test_bad_input_raises(y, p, kwargs, error, match):
    for fn in (reliability_curve, expected_calibration_error):
        with pytest.raises(error, match=match):
            fn(y, p, **kwargs)
