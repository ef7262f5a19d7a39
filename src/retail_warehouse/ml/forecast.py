"""Weekly net revenue: the series, three forecasting methods, the 12-week forecast with
80 % prediction intervals, and its backtest against a seasonal-naive forecast.

Weeks are 7-day periods ending on the last invoice day T (a Friday in Online Retail II), so
the last week is whole; the first, partial week is dropped. A year is 52 weeks. Intervals
come from the method's own in-sample errors, relative to the level (so they widen at the
Christmas peak): the 10th and 90th percentiles of (actual - fitted) / max(fitted, floor),
floor = 10 % of the mean week. The forecast and the lower bound are clipped at 0 (every
method's): a week's net revenue below 0 would need more cancelled than sold, and a negative
bound (the total's went to -3,720.64 in the Christmas week) only widened the interval below
a peak.

Longer than 400 lines on purpose: the series, the methods, the intervals and the backtest
share one week layout (above), and every method is judged in one backtest on the same weeks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from retail_warehouse.contracts import FORECAST_COLUMNS
from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.ml.frames import from_day_number, last_day, relation_to_pandas
from retail_warehouse.ml.holidays import is_closing_day
from retail_warehouse.ml.metrics import forecast_metrics, mean_over_folds

SEASON = 52
"""Weeks in a year, the seasonal lag."""
GROWTH_WEEKS = 13
"""Weeks of the trailing year-over-year growth factor."""
FOURIER_TERMS = 3
"""Sine/cosine pairs of the yearly cycle in the regression."""
INTERVAL_QUANTILES = (0.10, 0.90)
"""An 80 % prediction interval."""
FORECAST_METHOD = "seasonal_naive_trading_days"
"""The method kept (see the backtest rows in ml_model_evaluation)."""
TOTAL = "total"
"""The series name of all countries together."""

Method = Callable[[np.ndarray, np.ndarray, int, np.ndarray | None], tuple[np.ndarray, np.ndarray]]
"""(history, Christmas flags and trading weights of the history and horizon weeks, horizon)
-> (forecast, in-sample fitted values)."""


SALES_DAY_COLUMNS: tuple[str, ...] = ("day", "country_code", "product_milli", "sales_invoice_count")
"""The columns of the daily sales the forecast reads (:func:`daily_sales`)."""

SALES_TABLE_COLUMNS: tuple[str, ...] = (
    "invoice_date",
    "country_code",
    "net_revenue",
    "sales_invoice_count",
)
"""The columns of ``int_sales_days_summarized``."""


def daily_sales(invoices: pd.DataFrame) -> pd.DataFrame:
    """One row per day x country with an invoice of any kind (prepared invoices,
    :func:`~retail_warehouse.ml.frames.prepare_invoices`): ``product_milli``, the net
    revenue of its sale and cancellation invoices in thousandths of a GBP, and
    ``sales_invoice_count``, their number; sorted by day, then country. The pandas twin of
    the SQL model ``int_sales_days_summarized``, which the forecast models read."""
    money = invoices["invoice_kind"].isin(["sale", "cancellation"]).to_numpy()
    frame = pd.DataFrame(
        {
            "day": invoices["day"].to_numpy(dtype="int64"),
            "country_code": invoices["country_code"].astype(str).to_numpy(),
            "milli": np.where(money, invoices["product_milli"].to_numpy(dtype="int64"), 0),
            "count": money.astype("int64"),
        }
    )
    grouped = frame.groupby(["day", "country_code"], sort=True).agg(
        product_milli=("milli", "sum"), sales_invoice_count=("count", "sum")
    )
    return _typed_sales(grouped.reset_index())


def daily_sales_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """``int_sales_days_summarized`` as read from any engine (dates as dates or timestamps,
    money as Decimal or float) as :func:`daily_sales` gives it."""
    dates = pd.to_datetime(table["invoice_date"])
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    amount = table["net_revenue"].to_numpy().astype("float64")
    return _typed_sales(
        pd.DataFrame(
            {
                "day": dates.to_numpy(dtype="datetime64[D]").astype("int64"),
                "country_code": table["country_code"].astype(str).to_numpy(),
                "product_milli": np.rint(amount * 1000.0).astype("int64"),
                "sales_invoice_count": pd.to_numeric(table["sales_invoice_count"]),
            }
        )
    )


def daily_sales_from_relation(relation: object) -> pd.DataFrame:
    """``int_sales_days_summarized`` as the models read it (what ``dbt.ref()`` returns)."""
    return daily_sales_from_table(relation_to_pandas(relation, SALES_TABLE_COLUMNS))


def _typed_sales(frame: pd.DataFrame) -> pd.DataFrame:
    typed = pd.DataFrame(
        {
            "day": frame["day"].to_numpy(dtype="int64"),
            "country_code": frame["country_code"].astype(object).to_numpy(),
            "product_milli": frame["product_milli"].to_numpy(dtype="int64"),
            "sales_invoice_count": frame["sales_invoice_count"].to_numpy(dtype="int64"),
        }
    )
    return typed.sort_values(["day", "country_code"], kind="mergesort").reset_index(drop=True)


def _as_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Daily sales (:func:`daily_sales`) as they are, prepared invoices summarised."""
    return daily_sales(sales) if "invoice_kind" in sales.columns else sales


def weekly_series(sales: pd.DataFrame, top_countries: int) -> pd.DataFrame:
    """One row per series x week: net revenue of all invoices (``total``) and of the
    ``top_countries`` countries with the most net revenue in the last 52 weeks, in GBP,
    from the daily sales (:func:`daily_sales`; prepared invoices are summarised first).
    Columns: series, week_number (1 = oldest), week_start_date, week_end_date, net_revenue,
    is_christmas (the week holds 24 December to 1 January)."""
    sales = _as_sales(sales)
    as_of = last_day(sales)
    money = sales[sales["sales_invoice_count"] > 0].copy()
    first_day = int(sales["day"].min())
    weeks = (as_of - first_day + 1) // 7
    if weeks < 1:
        raise ValueError("less than one whole week of invoices")
    money["week_back"] = (as_of - money["day"]) // 7
    money = money[money["week_back"] < weeks]
    recent = money[money["week_back"] < SEASON]
    by_country = recent.groupby("country_code", sort=True)["product_milli"].sum()
    ranked = sorted(by_country.items(), key=lambda item: (-item[1], item[0]))
    countries = [code for code, _ in ranked[:top_countries]]
    week_back = np.arange(weeks - 1, -1, -1)
    end_days = as_of - 7 * week_back
    frames = []
    for series in (TOTAL, *countries):
        rows = money if series == TOTAL else money[money["country_code"] == series]
        totals = rows.groupby("week_back")["product_milli"].sum()
        milli = totals.reindex(week_back, fill_value=0).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "series": series,
                    "week_number": np.arange(1, weeks + 1, dtype="int64"),
                    "week_start_day": end_days - 6,
                    "week_end_day": end_days,
                    "net_revenue": milli / 1000.0,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["is_christmas"] = [
        _holds_christmas(int(start), int(end))
        for start, end in zip(frame["week_start_day"], frame["week_end_day"], strict=True)
    ]
    return frame


def _holds_christmas(start_day: int, end_day: int) -> bool:
    for day in range(start_day, end_day + 1):
        date = from_day_number(day)
        if (date.month == 12 and date.day >= 24) or (date.month == 1 and date.day == 1):
            return True
    return False


def seasonal_naive(
    y: np.ndarray, christmas: np.ndarray, horizon: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The same week a year earlier. Returns (forecast, in-sample fitted; NaN where no year
    before exists)."""
    n = len(y)
    fitted = np.full(n, np.nan)
    fitted[SEASON:] = y[:-SEASON] if n > SEASON else fitted[SEASON:]
    forecast = np.array(
        [y[n + h - SEASON] if n + h - SEASON >= 0 else np.nan for h in range(horizon)]
    )
    if np.isnan(forecast).any():
        forecast = np.where(np.isnan(forecast), y[-1] if n else 0.0, forecast)
    return forecast, fitted


def seasonal_naive_smoothed(
    y: np.ndarray, christmas: np.ndarray, horizon: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The mean of the same week a year earlier and its two neighbours, leaving Christmas
    weeks out of the mean. When the week or its week a year earlier holds Christmas (52
    weeks shift the calendar by a day or two), last year's week is taken as it is: the shop
    closes for the holidays and the weeks around it must not be averaged away."""
    n = len(y)

    def value(t: int) -> float:
        base = t - SEASON
        if base < 0:
            return float(y[-1]) if n else 0.0
        if christmas[t] or christmas[base]:
            return float(y[base])
        near = [i for i in (base - 1, base, base + 1) if 0 <= i < n and not christmas[i]]
        return float(np.mean(y[near])) if near else float(y[base])

    fitted = np.array([value(t) if t >= SEASON else np.nan for t in range(n)])
    return np.array([value(n + h) for h in range(horizon)]), fitted


def _growth(y: np.ndarray, end: int) -> float:
    """Sum of the GROWTH_WEEKS weeks before ``end`` over the same weeks a year earlier."""
    if end - GROWTH_WEEKS - SEASON < 0:
        return 1.0
    recent = y[end - GROWTH_WEEKS : end].sum()
    before = y[end - GROWTH_WEEKS - SEASON : end - SEASON].sum()
    if before <= 0 or recent <= 0:
        return 1.0
    return float(recent / before)


def seasonal_naive_growth(
    y: np.ndarray, christmas: np.ndarray, horizon: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The same week a year earlier times the trailing 13-week year-over-year growth."""
    naive, naive_fitted = seasonal_naive(y, christmas, horizon)
    n = len(y)
    fitted = np.full(n, np.nan)
    for t in range(SEASON, n):
        fitted[t] = naive_fitted[t] * _growth(y, t)
    return naive * _growth(y, n), fitted


def fourier_regression(
    y: np.ndarray, christmas: np.ndarray, horizon: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares on a linear trend, FOURIER_TERMS yearly sine/cosine pairs and a
    Christmas-week dummy; ``christmas`` covers the history and the horizon."""
    n = len(y)
    t = np.arange(n + horizon, dtype="float64")
    columns = [np.ones_like(t), t / max(n, 1)]
    for k in range(1, FOURIER_TERMS + 1):
        angle = 2 * np.pi * k * t / (365.25 / 7)
        columns += [np.sin(angle), np.cos(angle)]
    columns.append(christmas.astype("float64"))
    design = np.column_stack(columns)
    coefficients, *_ = np.linalg.lstsq(design[:n], y, rcond=None)
    values = design @ coefficients
    return values[n:], values[:n]


def seasonal_naive_trading_days(
    y: np.ndarray, christmas: np.ndarray, horizon: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`seasonal_naive_smoothed` per trading day: each of last year's three weeks is
    divided by its trading weight (:func:`trading_weights`) before the mean, which is then
    multiplied by the target week's weight. Easter and the bank holidays move between
    years; a week that lost two trading days to Easter last year no longer pulls this
    year's week down, and this year's Easter week is forecast lower. Christmas weeks as in
    the smoothed method; without ``weights`` every week weighs 1."""
    n = len(y)
    weights = np.ones(n + horizon) if weights is None else np.asarray(weights, dtype="float64")

    def value(t: int) -> float:
        base = t - SEASON
        if base < 0:
            return float(y[-1]) if n else 0.0
        if christmas[t] or christmas[base]:
            return float(y[base])
        near = [
            i
            for i in (base - 1, base, base + 1)
            if 0 <= i < n and not christmas[i] and weights[i] > 0
        ]
        if not near:
            return float(y[base])
        return float(np.mean(y[near] / weights[near]) * weights[t])

    fitted = np.array([value(t) if t >= SEASON else np.nan for t in range(n)])
    return np.array([value(n + h) for h in range(horizon)]), fitted


METHODS: dict[str, Method] = {
    "seasonal_naive": seasonal_naive,
    "seasonal_naive_smoothed": seasonal_naive_smoothed,
    "seasonal_naive_growth": seasonal_naive_growth,
    "seasonal_naive_trading_days": seasonal_naive_trading_days,
    "fourier_regression": fourier_regression,
}
"""The seasonal-naive family and the regression: intervals from their in-sample errors."""

STATSFORECAST_METHODS: tuple[str, ...] = ("auto_ets", "auto_arima", "auto_theta", "mstl")
"""statsforecast models (season length 52, their own 80 % intervals). Backtested on the
total series only: AutoARIMA alone takes seconds per fit, and none is selected."""

AUTO_ARIMA_SEARCH: dict[str, object] = {"approximation": True, "max_P": 1, "max_Q": 1}
"""AutoARIMA's bounded search: orders chosen on the conditional sum of squares (the chosen
model is then fitted by maximum likelihood, as without it) and at most one seasonal AR and
one seasonal MA term. statsforecast's defaults (exact likelihood for every candidate, up to
two seasonal terms of lag 52) cost 116 CPU s for one fit on TPC-H's 343 weekly totals (a
state of over a hundred lags); bounded, 2 s. Deterministic either way (docs/ml.md)."""


def _statsforecast_model(name: str) -> object:
    # Imported here: statsforecast (numba) takes a second or more to import, and only the
    # backtest needs it.
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta

    if name == "auto_ets":
        return AutoETS(season_length=SEASON)
    if name == "auto_arima":
        return AutoARIMA(season_length=SEASON, **AUTO_ARIMA_SEARCH)
    if name == "auto_theta":
        return AutoTheta(season_length=SEASON)
    if name == "mstl":
        return MSTL(season_length=SEASON, trend_forecaster=AutoETS(model="ZZN"))
    raise ValueError(f"unknown forecast method {name!r}")


def _statsforecast(
    y: np.ndarray, horizon: int, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    level = round(100 * (INTERVAL_QUANTILES[1] - INTERVAL_QUANTILES[0]))
    fitted = _statsforecast_model(name).fit(np.asarray(y, dtype="float64"))
    result = fitted.predict(h=horizon, level=[level])
    return (
        np.asarray(result["mean"], dtype="float64"),
        np.asarray(result[f"lo-{level}"], dtype="float64"),
        np.asarray(result[f"hi-{level}"], dtype="float64"),
    )


def _interval(
    y: np.ndarray, fitted: np.ndarray, forecast: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    floor = max(0.1 * float(np.mean(np.abs(y))) if len(y) else 0.0, 1e-9)
    usable = ~np.isnan(fitted)
    if usable.sum() < 2:
        return forecast.copy(), forecast.copy()
    relative = (y[usable] - fitted[usable]) / np.maximum(fitted[usable], floor)
    low, high = np.quantile(relative, INTERVAL_QUANTILES)
    scale = np.maximum(forecast, floor)
    return forecast + low * scale, forecast + high * scale


def forecast_series(
    y: np.ndarray,
    christmas: np.ndarray,
    horizon: int,
    method: str,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(forecast, lower, upper) for the ``horizon`` weeks after ``y`` by ``method``;
    ``christmas`` flags and ``weights`` (trading weights, optional) cover the weeks of the
    history and of the horizon. The forecast and the lower bound are never below 0 (the
    upper bound never below the forecast)."""
    if method in STATSFORECAST_METHODS:
        forecast, lower, upper = _statsforecast(y, horizon, method)
    else:
        forecast, fitted = METHODS[method](
            np.asarray(y, dtype="float64"), christmas, horizon, weights
        )
        lower, upper = _interval(np.asarray(y, dtype="float64"), fitted, forecast)
    forecast = np.clip(forecast, 0.0, None)
    lower = np.minimum(np.clip(lower, 0.0, None), forecast)
    return forecast, lower, np.maximum(upper, forecast)


def weekday_shares(sales: pd.DataFrame, last_day_seen: int) -> np.ndarray:
    """Monday..Sunday: the mean net revenue of each weekday over the calendar days up to
    ``last_day_seen`` (closing days and Christmas days left out; a day without invoices
    counts as 0), as shares summing to 1 (1/7 each without revenue), from the daily sales
    (:func:`daily_sales`; prepared invoices are summarised first)."""
    sales = _as_sales(sales)
    money = sales[(sales["sales_invoice_count"] > 0) & (sales["day"] <= last_day_seen)]
    first_day = int(sales["day"].min())
    totals, counts = np.zeros(7), np.zeros(7)
    by_day = money.groupby("day")["product_milli"].sum()
    for day in range(first_day, last_day_seen + 1):
        date = from_day_number(day)
        if is_closing_day(date) or _holds_christmas(day, day):
            continue
        counts[date.weekday()] += 1
        totals[date.weekday()] += float(by_day.get(day, 0))
    means = np.divide(totals, counts, out=np.zeros(7), where=counts > 0)
    means = np.clip(means, 0.0, None)
    return means / means.sum() if means.sum() > 0 else np.full(7, 1 / 7)


def trading_weights(week_end_days: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Per 7-day week ending on each of ``week_end_days``: the weekday shares of its days
    that are not closing days (:mod:`retail_warehouse.ml.holidays`); 1 for a normal week."""
    weights = []
    for end in week_end_days:
        days = (from_day_number(int(end) - offset) for offset in range(7))
        weights.append(sum(shares[date.weekday()] for date in days if not is_closing_day(date)))
    return np.array(weights, dtype="float64")


def _future_christmas(last_end_day: int, horizon: int) -> np.ndarray:
    return np.array(
        [
            _holds_christmas(last_end_day + 7 * h + 1, last_end_day + 7 * h + 7)
            for h in range(horizon)
        ]
    )


def sales_forecast(sales: pd.DataFrame, horizon_weeks: int, top_countries: int) -> pd.DataFrame:
    """One row per series x future week: forecast weekly net revenue (GBP) for the
    ``horizon_weeks`` weeks after the last invoice day, with an 80 % interval, for the total
    and the ``top_countries`` largest countries, by :data:`FORECAST_METHOD`, from the daily
    sales (:func:`daily_sales`; prepared invoices are summarised first)."""
    sales = _as_sales(sales)
    weekly = weekly_series(sales, top_countries)
    as_of = last_day(sales)
    shares = weekday_shares(sales, as_of)
    rows = []
    for series, history in weekly.groupby("series", sort=False):
        history = history.sort_values("week_number")
        christmas = np.concatenate(
            [history["is_christmas"].to_numpy(), _future_christmas(as_of, horizon_weeks)]
        )
        end_days = np.concatenate(
            [
                history["week_end_day"].to_numpy(),
                as_of + 7 * np.arange(1, horizon_weeks + 1),
            ]
        )
        forecast, lower, upper = forecast_series(
            history["net_revenue"].to_numpy(),
            christmas,
            horizon_weeks,
            FORECAST_METHOD,
            trading_weights(end_days, shares),
        )
        for h in range(horizon_weeks):
            rows.append(
                {
                    "series": series,
                    "week_ahead": h + 1,
                    "week_start_date": from_day_number(as_of + 7 * h + 1),
                    "week_end_date": from_day_number(as_of + 7 * h + 7),
                    "forecast_net_revenue": round(float(forecast[h]), 2),
                    "lower_80": round(float(lower[h]), 2),
                    "upper_80": round(float(upper[h]), 2),
                    "same_week_last_year": round(
                        float(history["net_revenue"].to_numpy()[len(history) + h - SEASON]), 2
                    )
                    if len(history) + h - SEASON >= 0
                    else None,
                }
            )
    result = pd.DataFrame(rows)
    result["week_ahead"] = result["week_ahead"].astype("int64")
    result["method"] = FORECAST_METHOD
    result["model_version"] = MODEL_VERSION
    result["as_of_date"] = from_day_number(as_of)
    return result[list(FORECAST_COLUMNS)]


FORECAST_FOLDS = 3
"""Origins of the rolling backtest: the last k x horizon weeks held out, k = 1..3."""

BACKTEST_COLUMNS = (
    "model",
    "method",
    "metric",
    "value",
    "is_selected",
    "evaluation_group",
    "observation_count",
    "training_row_count",
    "train_cutoff_date",
    "test_cutoff_date",
    "test_end_date",
)
"""Columns of :func:`forecast_backtest` besides ``fold``."""


WEEKLY_ORIGINS = 26
"""Weekly origins of the second backtest (fold ``weekly_origins``): the test origin and the
weeks before it, one week apart."""
WEEKLY_ORIGINS_FOLD = "weekly_origins"
"""The fold of the mean over :data:`WEEKLY_ORIGINS` weekly origins."""


def _origin_rows(
    sales: pd.DataFrame, weekly: pd.DataFrame, horizon_weeks: int, back: int, statsforecast: bool
) -> list[dict[str, object]]:
    """Every method scored on the ``horizon_weeks`` weeks after the origin ``back`` weeks
    before the last ``horizon_weeks`` (0 = the test origin), each series; none for a series
    with less than a year before the origin."""
    rows = []
    for series, history in weekly.groupby("series", sort=False):
        history = history.sort_values("week_number")
        y = history["net_revenue"].to_numpy(dtype="float64")
        end_days = history["week_end_day"].to_numpy()
        cut = len(y) - horizon_weeks - back
        if cut < SEASON:
            continue
        christmas = history["is_christmas"].to_numpy()[: cut + horizon_weeks]
        weights = trading_weights(
            end_days[: cut + horizon_weeks], weekday_shares(sales, int(end_days[cut - 1]))
        )
        train, test = y[:cut], y[cut : cut + horizon_weeks]
        methods = [*METHODS, *(STATSFORECAST_METHODS if statsforecast and series == TOTAL else ())]
        for method in methods:
            forecast, lower, upper = forecast_series(
                train, christmas, horizon_weeks, method, weights
            )
            for metric, value in forecast_metrics(test, forecast, lower, upper).items():
                rows.append(
                    {
                        "model": "sales_forecast",
                        "method": method,
                        "metric": metric,
                        "value": value,
                        "is_selected": method == FORECAST_METHOD,
                        "evaluation_group": series,
                        "observation_count": len(test),
                        "training_row_count": len(train),
                        "train_cutoff_date": from_day_number(int(end_days[cut - 1])),
                        "test_cutoff_date": from_day_number(int(end_days[cut - 1])),
                        "test_end_date": from_day_number(int(end_days[cut + horizon_weeks - 1])),
                    }
                )
    return rows


def forecast_backtest(
    sales: pd.DataFrame,
    horizon_weeks: int,
    top_countries: int,
    folds: int = FORECAST_FOLDS,
    weekly_origins: int = WEEKLY_ORIGINS,
) -> pd.DataFrame:
    """Rolling origins: for k = 1..``folds`` every method is fitted on the weeks up to the
    last k x ``horizon_weeks`` and scored on the ``horizon_weeks`` after (MAPE, MAE,
    interval coverage); fold ``test`` is k = 1, ``validation_<k - 1>`` the earlier ones,
    plus their ``mean``. statsforecast models on the total series only. Beside them, fold
    ``weekly_origins``: the mean of the same metrics over ``weekly_origins`` origins one
    week apart, the test origin and the weeks before it (the methods of :data:`METHODS`,
    every series; fewer origins when the history is shorter), so a coverage or a MAPE is
    not read from three windows alone. Origins with less than a year of history are left
    out, so a warehouse with under a year before the first origin (a first load of one
    yearly extract) gets no forecast rows rather than a failed build. One row per series x
    fold x method x metric. ``sales``: the daily sales (:func:`daily_sales`; prepared
    invoices are summarised first)."""
    sales = _as_sales(sales)
    weekly = weekly_series(sales, top_countries)
    parts = []
    for index in range(max(1, folds)):
        rows = _origin_rows(sales, weekly, horizon_weeks, index * horizon_weeks, True)
        if rows:
            part = pd.DataFrame(rows)
            part["fold"] = "test" if index == 0 else f"validation_{index}"
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*BACKTEST_COLUMNS, "fold"])
    result = pd.concat(parts, ignore_index=True)
    origins = [
        pd.DataFrame(rows)
        for back in range(max(1, weekly_origins))
        if (rows := _origin_rows(sales, weekly, horizon_weeks, back, False))
    ]
    weekly_mean = mean_over_folds(pd.concat(origins, ignore_index=True))
    weekly_mean["fold"] = WEEKLY_ORIGINS_FOLD
    return pd.concat([result, mean_over_folds(result), weekly_mean], ignore_index=True)
