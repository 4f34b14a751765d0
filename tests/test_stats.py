"""Summaries of repeated runs: lossfns.spread and lossfns.paired_difference."""
import numpy as np
import pytest

import lossfns as lf


def test_spread_matches_numpy():
    rng = np.random.default_rng(3)
    x = rng.normal(size=17)
    s = lf.spread(x)
    assert s.n == 17
    assert s.mean == pytest.approx(x.mean()) and s.sd == pytest.approx(x.std(ddof=1))
    assert (s.median, s.low, s.high) == (np.median(x), x.min(), x.max())


def test_spread_formats_only_the_digits_asked_for():
    s = lf.spread([0.701, 0.749, 0.7])
    assert s.mean_sd(1) == "0.7 ± 0.0" and s.median_range(3) == "0.701 (0.700 to 0.749)"
    assert "3 runs" in str(s)


def test_paired_difference_mean_se_and_wins():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([1.5, 2.5, 2.0, 4.0])
    c = lf.paired_difference(a, b)
    d = a - b
    assert c.mean == pytest.approx(d.mean()) and c.se == pytest.approx(d.std(ddof=1) / 2)
    assert (c.n, c.a_lower, c.b_lower) == (4, 2, 1)  # the fourth run is a tie
    assert "a lower in 2, b lower in 1" in c.summary(a="a", b="b")


def test_paired_difference_counts_round_off_as_a_tie_when_digits_given():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0 + 1e-12, 2.0 - 1e-12, 2.5])
    assert lf.paired_difference(a, b)[3:] == (1, 2)
    assert lf.paired_difference(a, b, digits=6)[3:] == (0, 1)


@pytest.mark.parametrize("bad, match", [
    ([1.0], "at least 2 runs"),
    ([[1.0, 2.0]], "1-D"),
    ([1.0, np.nan], "values"),
    (["a", "b"], "values"),
])
def test_spread_rejects_bad_runs(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        lf.spread(bad)


def test_paired_difference_rejects_unpaired_runs_and_bad_digits():
    with pytest.raises(ValueError, match="same runs"):
        lf.paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="digits"):
        lf.paired_difference([1.0, 2.0], [1.0, 2.0], digits=-1)
    with pytest.raises(ValueError, match="b"):
        lf.paired_difference([1.0, 2.0], [1.0, np.inf])
