"""The epidemic curve and R_t (Cori et al. 2013) against hand counts and known series."""

import math

import pytest

from f0monitor.domain import epi


def test_gamma_cdf_matches_closed_forms():
    # shape 1 is the exponential distribution
    for x in (0.1, 1.0, 3.0, 10.0):
        assert epi.gamma_cdf(x, 1.0, 1.0) == pytest.approx(1 - math.exp(-x), rel=1e-12)
    # shape 2: 1 - e^-x (1 + x)
    for x in (0.5, 2.0, 7.0, 30.0):
        assert epi.gamma_cdf(x, 2.0, 1.0) == pytest.approx(1 - math.exp(-x) * (1 + x), rel=1e-10)
    assert epi.gamma_cdf(0.0, 3.0, 2.0) == 0.0


@pytest.mark.parametrize(("df", "p", "expected"), [
    # chi-square table values: chi2(df) is Gamma(df/2, scale 2)
    (10, 0.025, 3.2470), (10, 0.975, 20.4832), (1, 0.95, 3.8415), (30, 0.5, 29.3360),
    (100, 0.975, 129.5612),
])
def test_gamma_quantile_matches_chi_square_tables(df, p, expected):
    assert epi.gamma_quantile(p, df / 2, 2.0) == pytest.approx(expected, abs=5e-4)


def test_serial_interval_is_a_distribution_with_the_given_mean():
    w = epi.discretised_serial_interval(4.7, 2.9)
    assert w[0] == 0.0
    assert sum(w) == pytest.approx(1.0)
    assert all(x >= 0 for x in w)
    # EpiEstim's offset-gamma discretisation keeps the mean
    assert sum(k * x for k, x in enumerate(w)) == pytest.approx(4.7, abs=0.02)
    with pytest.raises(ValueError):
        epi.discretised_serial_interval(1.0, 2.0)


def test_posterior_by_hand():
    w = [0.0, 0.5, 0.5]
    est = epi.cori_rt([10, 10, 10, 10], w, window=2, min_cases=0)
    assert est[0] is None and est[1] is None  # windows start on day 2 (index 1) at the earliest
    # t = 3, window days 2..3: cases 20, Lambda_2 = Lambda_3 = 10; Gamma(1 + 20, 1/(1/5 + 20))
    last = est[3]
    assert last.cases == 20
    assert last.mean == pytest.approx(21 / 20.2)
    assert last.lower == pytest.approx(epi.gamma_quantile(0.025, 21, 1 / 20.2))
    assert last.lower < last.mean < last.upper


def test_too_few_cases_give_no_estimate():
    w = epi.discretised_serial_interval()
    est = epi.cori_rt([1, 0, 1, 0, 2, 1, 0, 1, 1, 0], w)
    assert all(e is None for e in est)


def test_recovers_a_known_reproduction_number_from_a_synthetic_epidemic():
    w = epi.discretised_serial_interval(4.7, 2.9)
    r_true = [1.6] * 30 + [0.8] * 30
    series = [round(x) for x in epi.renewal_series(r_true, w, seed=[50] * 5)]
    est = epi.cori_rt(series, w)
    # well inside each phase (a full window after the change), the estimate is the true R
    for t in range(20, 35):
        assert est[t].mean == pytest.approx(1.6, rel=0.03), t
        assert est[t].lower < 1.6 < est[t].upper
    for t in range(50, 65):
        assert est[t].mean == pytest.approx(0.8, rel=0.04), t
        assert est[t].lower < 0.8 < est[t].upper
    # the credible interval narrows as counts grow
    assert (est[34].upper - est[34].lower) < (est[12].upper - est[12].lower)


def test_moving_average():
    assert epi.moving_average([7] * 10) == [None] * 6 + [7.0] * 4
    assert epi.moving_average([0, 0, 0, 0, 0, 0, 7, 14], days=7) == [None] * 6 + [1.0, 3.0]
