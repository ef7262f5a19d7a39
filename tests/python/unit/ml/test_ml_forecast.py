"""Unit tests for retail_warehouse.ml.forecast and retail_warehouse.ml.evaluation."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest
from ml_invoices import invoice

from retail_warehouse.ml.evaluation import EVALUATION_COLUMNS, model_evaluation
from retail_warehouse.ml.forecast import (
    FORECAST_METHOD,
    METHODS,
    SEASON,
    STATSFORECAST_METHODS,
    TOTAL,
    WEEKLY_ORIGINS_FOLD,
    _statsforecast_model,
    forecast_backtest,
    forecast_series,
    sales_forecast,
    seasonal_naive,
    seasonal_naive_smoothed,
    seasonal_naive_trading_days,
    trading_weights,
    weekday_shares,
    weekly_series,
)
from retail_warehouse.ml.frames import day_number, from_day_number, last_day


def test_weekly_series_end_on_the_last_day(make_invoices) -> None:
    rows = [
        invoice("1", 1, 0, 10.0, country="GB"),
        invoice("2", 2, 7, 20.0, country="FR"),
        invoice("C3", 2, 8, -5.0, kind="cancellation", country="FR"),
        invoice("4", None, 13, 1.0, country="GB"),
        invoice("5", 1, 14, 99.0, kind="adjustment", country="GB"),  # not net revenue
    ]
    invoices = make_invoices(rows)
    weekly = weekly_series(invoices, top_countries=1)
    total = weekly[weekly["series"] == TOTAL]
    # Days 0..14: two whole weeks end on day 14 (days 1-7 and 8-14); day 0 is dropped.
    assert total["net_revenue"].tolist() == [20.0, -4.0]
    assert total["week_end_day"].tolist() == [last_day(invoices) - 7, last_day(invoices)]
    assert set(weekly["series"]) == {TOTAL, "FR"}  # FR: 15 GBP, GB: 1 GBP in the year


def test_seasonal_naive_repeats_last_year() -> None:
    y = np.arange(60, dtype="float64")
    forecast, fitted = seasonal_naive(y, np.zeros(72, dtype=bool), 12)
    assert forecast.tolist() == y[60 - SEASON : 72 - SEASON].tolist()
    assert np.isnan(fitted[:SEASON]).all()
    assert fitted[SEASON] == y[0]


def test_smoothed_keeps_christmas_as_it_was() -> None:
    y = np.full(60, 10.0)
    y[10] = 0.0  # last year's Christmas week
    y[12] = 40.0
    christmas = np.zeros(72, dtype=bool)
    christmas[[10, 10 + SEASON]] = True
    forecast, _ = seasonal_naive_smoothed(y, christmas, 12)
    assert forecast[10 + SEASON - 60] == 0.0
    assert forecast[11 + SEASON - 60] == 25.0  # mean of weeks 11 and 12, not Christmas
    assert forecast[12 + SEASON - 60] == 20.0  # mean of weeks 11, 12 and 13


def test_smoothed_takes_last_years_week_when_it_held_christmas() -> None:
    y = np.full(60, 100.0)
    y[10] = 30.0  # last year: the week before Christmas, shop closing
    christmas = np.zeros(72, dtype=bool)
    christmas[10] = True  # that week held 24 December last year, not this year
    forecast, _ = seasonal_naive_smoothed(y, christmas, 12)
    assert forecast[10 + SEASON - 60] == 30.0


@pytest.mark.parametrize("method", list(METHODS))
def test_intervals_hold_the_forecast(method: str) -> None:
    random = np.random.default_rng(1)
    weeks = np.arange(104)
    y = 100 + 30 * np.sin(2 * np.pi * weeks / SEASON) + random.normal(0, 5, 104)
    forecast, lower, upper = forecast_series(y, np.zeros(116, dtype=bool), 12, method)
    assert len(forecast) == 12
    assert (lower <= forecast).all()
    assert (forecast <= upper).all()


def test_auto_arima_fit_on_seven_years_of_weeks_is_bounded() -> None:
    """One AutoARIMA fit on 343 seasonal weeks (TPC-H's history) costs seconds, not minutes:
    orders chosen on the approximation, at most one seasonal AR and MA term (it took 116 CPU
    s on TPC-H's weekly totals with statsforecast's defaults); the same orders every time."""
    random = np.random.default_rng(7)
    weeks = np.arange(343)
    y = (
        1000
        + 2 * weeks
        + 300 * np.sin(2 * np.pi * weeks / SEASON)
        + 150 * np.cos(4 * np.pi * weeks / SEASON)
        + random.normal(0, 60, len(weeks))
    )
    started = time.process_time()
    fitted = _statsforecast_model("auto_arima").fit(y)
    assert time.process_time() - started < 15
    # statsforecast's arma: (p, q, P, Q, season, d, D)
    _, _, seasonal_p, seasonal_q, season, _, _ = fitted.model_["arma"]
    assert season == SEASON and seasonal_p <= 1 and seasonal_q <= 1
    again = _statsforecast_model("auto_arima").fit(y)
    assert again.model_["arma"] == fitted.model_["arma"]
    assert np.array_equal(again.predict(h=12)["mean"], fitted.predict(h=12)["mean"])


def test_forecast_and_backtest_on_synthetic_data(synthetic_invoices: pd.DataFrame) -> None:
    forecast = sales_forecast(synthetic_invoices, horizon_weeks=12, top_countries=1)
    as_of = last_day(synthetic_invoices)
    assert forecast.groupby("series").size().to_dict() == {TOTAL: 12, "GB": 12}
    assert forecast["week_start_date"].min() == from_day_number(as_of + 1)
    assert (forecast["method"] == FORECAST_METHOD).all()
    backtest = forecast_backtest(synthetic_invoices, 12, 1)
    total = backtest[backtest["evaluation_group"] == TOTAL]
    assert set(total["method"]) == {*METHODS, *STATSFORECAST_METHODS}
    assert set(backtest.loc[backtest["evaluation_group"] == "GB", "method"]) == set(METHODS)
    assert set(backtest["metric"]) == {"mape_pct", "mae", "interval_coverage"}
    assert backtest["value"][backtest["metric"] == "interval_coverage"].between(0, 1).all()
    # Two years of weeks: origins 12, 24 and 36 weeks back all have a year of history.
    assert set(backtest["fold"]) == {
        "test",
        "validation_1",
        "validation_2",
        "mean",
        "weekly_origins",
    }
    mape = total[(total["metric"] == "mape_pct") & (total["method"] == FORECAST_METHOD)]
    by_fold = mape.set_index("fold")["value"]
    assert by_fold["mean"] == pytest.approx(by_fold.drop(["mean", "weekly_origins"]).mean())
    origins = total.drop_duplicates("fold").set_index("fold")["test_cutoff_date"]
    assert (origins["validation_1"] - origins["validation_2"]).days == 84
    assert (origins["test"] - origins["validation_1"]).days == 84


def test_trading_weights_count_the_closing_days() -> None:
    shares = np.full(7, 1 / 7)
    # Weeks ending Friday 2011-04-29 (Saturday 23 to Friday 29 April: Easter Sunday and
    # Monday inside, Good Friday the day before) and Friday 2011-04-15 (a normal week).
    ends = np.array([day_number(dt.date(2011, 4, 29)), day_number(dt.date(2011, 4, 15))])
    weights = trading_weights(ends, shares)
    assert weights == pytest.approx([5 / 7, 1.0])


def test_trading_day_naive_moves_easter() -> None:
    y = np.full(50, 70.0)
    y[5] = 40.0  # last year's Easter week: 4 of 7 trading days
    weights = np.ones(62)
    weights[5] = 4 / 7
    weights[5 + SEASON + 2] = 4 / 7  # this year's Easter comes two weeks later
    christmas = np.zeros(62, dtype=bool)
    forecast, _ = seasonal_naive_trading_days(y, christmas, 12, weights)
    assert forecast[5 + SEASON - 50] == pytest.approx(70.0)  # no dip where Easter was
    assert forecast[7 + SEASON - 50] == pytest.approx(40.0)  # the dip where Easter is
    smoothed, _ = seasonal_naive_smoothed(y, christmas, 12)
    assert smoothed[5 + SEASON - 50] == pytest.approx(60.0)  # the old method keeps the dip


def test_weekday_shares_sum_to_one(synthetic_invoices: pd.DataFrame) -> None:
    shares = weekday_shares(synthetic_invoices, last_day(synthetic_invoices))
    assert shares.sum() == pytest.approx(1.0)
    assert (shares >= 0).all()


def test_backtest_forecast_ignores_the_held_out_weeks(synthetic_invoices: pd.DataFrame) -> None:
    weekly = weekly_series(synthetic_invoices, 0)
    y = weekly["net_revenue"].to_numpy()
    christmas = weekly["is_christmas"].to_numpy()
    changed = y.copy()
    changed[-12:] *= 10
    for method in METHODS:
        first = forecast_series(y[:-12], christmas, 12, method)
        second = forecast_series(changed[:-12], christmas, 12, method)
        np.testing.assert_array_equal(first[0], second[0])


def test_model_evaluation_columns(synthetic_invoices: pd.DataFrame) -> None:
    evaluation = model_evaluation(synthetic_invoices, 90, 365, 2, 12, 1)
    assert tuple(evaluation.columns) == EVALUATION_COLUMNS
    assert set(evaluation["model"]) == {
        "purchase_next_horizon",
        "spend_next_horizon",
        "churn",
        "sales_forecast",
        "lifetime_value",
    }
    key = ["model", "evaluation_group", "fold", "method", "metric"]
    assert not evaluation.duplicated(key).any()
    assert evaluation["as_of_date"].nunique() == 1


def test_backtest_without_a_year_of_history_has_no_rows(synthetic_invoices: pd.DataFrame) -> None:
    """A first load of one yearly extract must build: no origin has a year behind it, so
    the forecast backtest is empty (same columns as a full one), not an error."""
    full = forecast_backtest(synthetic_invoices, 12, 1)
    last = last_day(synthetic_invoices)
    recent = synthetic_invoices[synthetic_invoices["day"] > last - 7 * 60]
    short = forecast_backtest(recent, 12, 1)
    assert short.empty
    assert set(short.columns) == set(full.columns)


@pytest.mark.parametrize("method", [*METHODS, "auto_ets"])
def test_lower_bound_is_never_negative(method: str) -> None:
    """A series whose in-sample errors reach -90 % of the level (a closed week a year
    ago): the interval's lower end is clipped at 0, not a negative revenue."""
    random = np.random.default_rng(3)
    y = 100 + random.normal(0, 40, 104)
    y[random.choice(104, 12, replace=False)] = 5.0
    forecast, lower, upper = forecast_series(y, np.zeros(116, dtype=bool), 12, method)
    assert (lower >= 0).all()
    assert (lower <= forecast).all()
    assert (forecast <= upper).all()


def test_weekly_origins_fold_is_the_mean_over_weekly_origins(
    synthetic_invoices: pd.DataFrame,
) -> None:
    backtest = forecast_backtest(synthetic_invoices, 12, 1, weekly_origins=13)
    weekly = backtest[backtest["fold"] == WEEKLY_ORIGINS_FOLD]
    assert set(weekly["method"]) == set(METHODS)
    assert set(weekly["metric"]) == {"mape_pct", "mae", "interval_coverage"}
    total = weekly[(weekly["evaluation_group"] == TOTAL) & (weekly["method"] == FORECAST_METHOD)]
    coverage = total.set_index("metric")["value"]["interval_coverage"]
    assert total["observation_count"].iloc[0] == 13 * 12  # 13 origins of 12 weeks each
    # The test origin is the latest: the origins end with it and start 12 weeks earlier.
    test = backtest[(backtest["fold"] == "test") & (backtest["evaluation_group"] == TOTAL)]
    assert total["test_end_date"].iloc[0] == test["test_end_date"].iloc[0]
    assert (test["test_cutoff_date"].iloc[0] - total["test_cutoff_date"].iloc[0]).days == 84
    # Recomputed by hand from the origins one at a time.
    weekly_series_total = weekly_series(synthetic_invoices, 1)
    history = weekly_series_total[weekly_series_total["series"] == TOTAL]
    y = history["net_revenue"].to_numpy()
    christmas = history["is_christmas"].to_numpy()
    end_days = history["week_end_day"].to_numpy()
    covered = []
    for back in range(13):
        cut = len(y) - 12 - back
        weights = trading_weights(
            end_days[: cut + 12], weekday_shares(synthetic_invoices, int(end_days[cut - 1]))
        )
        _, lower, upper = forecast_series(
            y[:cut], christmas[: cut + 12], 12, FORECAST_METHOD, weights
        )
        actual = y[cut : cut + 12]
        covered.append(np.mean((actual >= lower) & (actual <= upper)))
    assert coverage == pytest.approx(np.mean(covered))
