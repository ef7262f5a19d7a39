"""BG/NBD and Gamma-Gamma: the published CDNOW parameters, the predictions' algebra, and
the summary statistics from invoices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ml_invoices import START, invoice

from retail_warehouse.ml.btyd import (
    BgNbdParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_log_likelihood_gradient,
    bgnbd_p_alive,
    bgnbd_purchase_probability,
    btyd_predictions,
    btyd_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_value,
)
from retail_warehouse.ml.frames import day_number

CDNOW = Path(__file__).parent / "fixtures" / "cdnow_summary.csv"
"""The CDNOW sample of the BG/NBD paper: 2,357 customers' repeat purchases x, time of the
last repeat t_x and weeks observed T in the 39-week calibration period, and the mean value
zbar of the repeat purchases (Bruce Hardie's CDNOW_sample summary, as shipped with the
MIT-licensed lifetimes package)."""
PAPER = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def test_bgnbd_reproduces_the_cdnow_parameters_of_the_paper(cdnow: pd.DataFrame) -> None:
    fitted = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert round(fitted.r, 3) == PAPER.r
    assert round(fitted.alpha, 3) == PAPER.alpha
    assert round(fitted.a, 3) == PAPER.a
    assert round(fitted.b, 3) == PAPER.b
    # The paper's log likelihood at its estimates: -9582.4.
    total = bgnbd_log_likelihood(fitted, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
    assert total == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_reproduces_the_cdnow_parameters_of_the_note(cdnow: pd.DataFrame) -> None:
    # Fader and Hardie (2013), "The Gamma-Gamma Model of Monetary Value": p = 6.25,
    # q = 3.74, gamma = 15.44 on the 946 customers with repeat purchases. The likelihood's
    # maximum is at gamma = 15.448 (higher than at the printed values), so within 0.01.
    fitted = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fitted.p == pytest.approx(6.25, abs=0.01)
    assert fitted.q == pytest.approx(3.74, abs=0.01)
    assert fitted.gamma == pytest.approx(15.44, abs=0.01)


def test_the_analytic_gradient_matches_finite_differences() -> None:
    params = BgNbdParams(r=0.7, alpha=5.0, a=0.4, b=2.5)
    x, t_x, big_t = [0.0, 1.0, 4.0, 12.0], [0.0, 3.0, 20.0, 30.0], [10.0, 25.0, 30.0, 31.0]
    analytic = bgnbd_log_likelihood_gradient(params, x, t_x, big_t)
    logs = np.log([params.r, params.alpha, params.a, params.b])
    for index in range(4):
        step = np.zeros(4)
        step[index] = 1e-6
        up = bgnbd_log_likelihood(BgNbdParams(*np.exp(logs + step)), x, t_x, big_t)
        down = bgnbd_log_likelihood(BgNbdParams(*np.exp(logs - step)), x, t_x, big_t)
        np.testing.assert_allclose(analytic[:, index], (up - down) / 2e-6, rtol=1e-5, atol=1e-7)


def test_conditional_expectation_of_hardies_spreadsheet() -> None:
    # Hardie's BG/NBD spreadsheet: x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in the
    # next 39 weeks at the CDNOW parameters.
    expected = bgnbd_expected_purchases(PAPER, 39.0, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.002)


def test_no_repeat_purchases_means_alive() -> None:
    assert bgnbd_p_alive(PAPER, [0, 0], [0.0, 0.0], [5.0, 30.0]).tolist() == [1.0, 1.0]


def test_p_alive_falls_with_a_long_silence() -> None:
    recent, silent = bgnbd_p_alive(PAPER, [5, 5], [29.0, 5.0], [30.0, 30.0])
    assert 0 < silent < recent < 1


def test_purchase_probability_is_below_p_alive_and_rises_with_the_horizon() -> None:
    args = ([3], [20.0], [30.0])
    alive = bgnbd_p_alive(PAPER, *args)[0]
    short = bgnbd_purchase_probability(PAPER, 4.0, *args)[0]
    long = bgnbd_purchase_probability(PAPER, 40.0, *args)[0]
    assert 0 < short < long < alive


def test_purchase_probability_matches_a_simulation() -> None:
    # Simulate customers alive at T with the posterior rate and check P(a purchase).
    params = BgNbdParams(r=2.0, alpha=10.0, a=1.5, b=4.0)
    x, horizon = 0, 5.0  # x = 0: alive for sure, lambda ~ Gamma(r, alpha + T)
    big_t = 10.0
    random = np.random.default_rng(1)
    rate = random.gamma(params.r + x, 1.0 / (params.alpha + big_t), size=200_000)
    simulated = np.mean(random.exponential(1.0 / rate) <= horizon)
    predicted = bgnbd_purchase_probability(params, horizon, [x], [0.0], [big_t])[0]
    assert predicted == pytest.approx(simulated, abs=0.005)


def test_expected_purchases_match_a_simulation() -> None:
    # x = 0: alive for sure, rate ~ Gamma(r, alpha + T), dropout p ~ Beta(a, b) after
    # each purchase; count the purchases in the horizon.
    params = BgNbdParams(r=2.0, alpha=10.0, a=1.5, b=4.0)
    big_t, horizon, n = 10.0, 8.0, 200_000
    random = np.random.default_rng(2)
    rate = random.gamma(params.r, 1.0 / (params.alpha + big_t), size=n)
    dropout = random.beta(params.a, params.b, size=n)
    clock, count, alive = np.zeros(n), np.zeros(n), np.ones(n, dtype=bool)
    for _ in range(200):
        clock = clock + random.exponential(1.0 / rate)
        bought = alive & (clock <= horizon)
        count += bought
        alive = bought & (random.random(n) >= dropout)
        if not alive.any():
            break
    predicted = bgnbd_expected_purchases(params, horizon, [0], [0.0], [big_t])[0]
    assert predicted == pytest.approx(count.mean(), abs=0.01)


def test_gamma_gamma_shrinks_towards_the_population_mean() -> None:
    params = GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    population = params.p * params.gamma / (params.q - 1)
    few, many = gamma_gamma_expected_value(params, [1, 50], [100.0, 100.0])
    assert population < few < many < 100.0
    assert gamma_gamma_expected_value(params, [0], [0.0])[0] == pytest.approx(population)


def test_gamma_gamma_needs_a_finite_population_mean() -> None:
    with pytest.raises(ValueError, match=r"q = 0\.900"):
        gamma_gamma_expected_value(GammaGammaParams(1.0, 0.9, 1.0), [1], [1.0])


def test_bgnbd_rejects_impossible_summaries() -> None:
    with pytest.raises(ValueError, match="t_x <= T"):
        fit_bgnbd([1], [5.0], [3.0])
    with pytest.raises(ValueError, match="at least one"):
        fit_bgnbd([], [], [])


def test_btyd_summary_counts_purchase_days(make_invoices) -> None:
    rows = [
        invoice("1", 1, 0, 10.0),
        invoice("2", 1, 0, 5.0),  # same day: one purchase
        invoice("3", 1, 7, 20.0),
        invoice("4", 1, 14, 40.0),
        invoice("C5", 1, 15, -4.0, "cancellation"),  # not a purchase
        invoice("6", 2, 10, 8.0),
        invoice("7", 3, 30, 9.0),  # after the cutoff
        invoice("8", None, 3, 9.0),
    ]
    summary = btyd_summary(make_invoices(rows), cutoff_day=day_number(START) + 20, unit_days=7.0)
    assert summary["customer_id"].tolist() == [1, 2]
    assert summary["repeat_purchases"].tolist() == [2.0, 0.0]
    assert summary["last_purchase_age"].tolist() == [2.0, 0.0]
    assert summary["observed_age"].tolist() == [3.0, 11 / 7]
    assert summary["mean_repeat_value"].tolist() == [30.0, 0.0]


def test_btyd_predictions_never_read_after_the_cutoff(synthetic_invoices) -> None:
    cutoff = int(synthetic_invoices["day"].min()) + 400
    before = btyd_predictions(synthetic_invoices, cutoff, 90)
    changed = synthetic_invoices.copy()
    later = changed["day"] > cutoff
    changed.loc[later, "product_milli"] = changed.loc[later, "product_milli"] * 3
    changed.loc[later, "is_purchase"] = ~changed.loc[later, "is_purchase"]
    pd.testing.assert_frame_equal(before, btyd_predictions(changed, cutoff, 90))
    assert before["purchase_probability"].between(0, 1).all()
    assert (before["expected_spend"] >= 0).all()


def test_expected_purchases_at_a_dropout_shape_of_one() -> None:
    """hostile5: on a small history (9 customers, none buying twice) the fit stays at
    a = 1, where the closed form's (a + b + x - 1) / (a - 1) is 0/0: the feature was
    infinite and every ML model failed the build. The expectation is continuous in a."""
    x, t_x, big_t = (
        np.array([0.0, 0.0, 2.0]),
        np.array([0.0, 0.0, 50.0]),
        np.array([1.4, 1.3, 60.0]),
    )
    for r, alpha, b in ((0.000165, 34271.8, 1.0), (0.243, 4.41, 2.4)):
        at_one = bgnbd_expected_purchases(BgNbdParams(r, alpha, 1.0, b), 90.0, x, t_x, big_t)
        assert np.all(np.isfinite(at_one))
        near = [
            bgnbd_expected_purchases(BgNbdParams(r, alpha, a, b), 90.0, x, t_x, big_t)
            for a in (1 - 1e-3, 1 + 1e-3)
        ]
        assert np.allclose(at_one, (near[0] + near[1]) / 2, rtol=1e-4)
