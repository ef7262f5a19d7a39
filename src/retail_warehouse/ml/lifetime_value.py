"""Customer lifetime value over a planning horizon (12 months by default), discounted, with
an 80 % interval per customer, from the BG/NBD and Gamma-Gamma fit of the BTYD models.

Why the BTYD models and not a quantile regression on the SQL features: a 12-month value
needs 12-month labels to be learned, and two years of data hold no 12-month label that
ends before a 12-month test window starts (a test window (c, c + 1 year] with c >= T - 1
year would need training labels ending by c, i.e. cutoffs before the data starts). BG/NBD
and Gamma-Gamma learn from the history up to the cutoff alone (no label), so the same
model is fitted at each backtest cutoff on what was known then, and its intervals can be
backtested on three 12-month windows (:func:`lifetime_value_backtest_rows`).

The value of a customer is the sum of the value of their purchases in (T, T + horizon],
each discounted at the annual ``discount_rate`` from the middle of the period it falls in
(the horizon is cut into :data:`PERIODS` periods: quarters of a year). Its mean is exact:
the expected purchases of each period (BG/NBD, eq. 10 of the paper, differenced) times
the Gamma-Gamma expected value of a purchase, discounted. Its interval comes from the
predictive distribution, simulated: each customer's posterior given (x, t_x, T) is alive
with P(alive), then a purchase rate lambda ~ Gamma(r + x, alpha + T), a dropout
probability p ~ Beta(a, b + x) and the rate nu ~ Gamma(q + p_gg x, gamma + x z) of their
purchase values ~ Gamma(p_gg, nu); the purchases of each period are Poisson, the customer
drops out after each one with probability p. The draws are seeded (one generator over the
customers in the order given, sorted by customer_id by the callers), so a build gives the
same intervals on every engine.

The simulated distribution is wider than what customers do: its central 80 % held 0.86 to
0.88 of the customers on every backtest window. So the share of it the interval spans is
fitted in the training lane (:func:`fit_interval_level`): the share whose interval holds
80 % of the customers on the validation windows, stored with the customer models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retail_warehouse.ml import RANDOM_STATE
from retail_warehouse.ml.btyd import (
    BTYD_UNIT_DAYS,
    BtydFit,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    fit_btyd_summary,
    gamma_gamma_expected_value,
)
from retail_warehouse.ml.feature_table import btyd_summary_of
from retail_warehouse.ml.frames import from_day_number
from retail_warehouse.ml.training_table import TrainingData

LIFETIME_VALUE_DAYS = 365
"""The planning horizon of the lifetime value (var ``ml_lifetime_value_days``)."""
DISCOUNT_RATE = 0.10
"""The annual discount rate of the lifetime value (var ``ml_discount_rate``)."""
PERIODS = 4
"""Periods the horizon is cut into; each period's value is discounted from its middle."""
INTERVAL_LEVEL = 0.80
"""The share of customers the interval should hold (the backtest's goal: 0.75 to 0.85)."""
SIMULATIONS = 500
"""Draws of the predictive distribution per customer."""
CHUNK_CUSTOMERS = 2000
"""Customers simulated at a time (memory: customers x :data:`SIMULATIONS` doubles)."""
LIFETIME_VALUE_MODEL = "lifetime_value"
"""The model name of the backtest rows in ``ml_model_evaluation``."""
LIFETIME_VALUE_METHOD = "bgnbd_gamma_gamma_simulated"
"""The method of the backtest rows: the only one (see the module docstring)."""
LIFETIME_VALUE_COLUMNS: tuple[str, ...] = (
    "lifetime_value",
    "lifetime_value_lower",
    "lifetime_value_upper",
)
"""The columns :func:`lifetime_values` adds."""
_DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class LifetimeValueSettings:
    """How the lifetime value is computed: horizon, periods, the central share of the
    simulated distribution the interval spans (:func:`fit_interval_level`) and the draws
    (stored with the customer models in the registry; the discount rate is a var read when
    scoring)."""

    horizon_days: int = LIFETIME_VALUE_DAYS
    periods: int = PERIODS
    interval_level: float = INTERVAL_LEVEL
    simulations: int = SIMULATIONS


def period_discounts(horizon_days: float, periods: int, discount_rate: float) -> np.ndarray:
    """The discount factor of each period: (1 + rate) ** -(years to the period's middle)."""
    if discount_rate <= -1:
        raise ValueError(f"the discount rate must be above -1, got {discount_rate}")
    middles = (np.arange(periods) + 0.5) * horizon_days / periods / _DAYS_PER_YEAR
    return (1.0 + discount_rate) ** -middles


def _statistics(summary: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(
        summary[column].to_numpy(dtype="float64")
        for column in ("repeat_purchases", "last_purchase_age", "observed_age", "mean_repeat_value")
    )


def expected_lifetime_value(
    summary: pd.DataFrame,
    fit: BtydFit,
    discount_rate: float = DISCOUNT_RATE,
    settings: LifetimeValueSettings = LifetimeValueSettings(),
) -> np.ndarray:
    """The expected discounted value of each customer of ``summary`` (a
    :func:`~retail_warehouse.ml.btyd.btyd_summary`, time in weeks) in the horizon: the
    expected purchases of each period times the Gamma-Gamma expected purchase value,
    discounted from the period's middle."""
    x, t_x, big_t, z = _statistics(summary)
    period_weeks = settings.horizon_days / settings.periods / BTYD_UNIT_DAYS
    cumulative = [np.zeros(len(x))] + [
        bgnbd_expected_purchases(fit.bgnbd, period_weeks * (k + 1), x, t_x, big_t)
        for k in range(settings.periods)
    ]
    purchases = np.column_stack(
        [np.clip(cumulative[k + 1] - cumulative[k], 0.0, None) for k in range(settings.periods)]
    )
    discounts = period_discounts(settings.horizon_days, settings.periods, discount_rate)
    return (purchases @ discounts) * _purchase_value(fit, x, z)


def _purchase_value(fit: BtydFit, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    if fit.gamma_gamma is None:
        return np.full(len(x), fit.order_value)
    return gamma_gamma_expected_value(fit.gamma_gamma, x, z)


def simulated_lifetime_values(
    summary: pd.DataFrame,
    fit: BtydFit,
    discount_rate: float = DISCOUNT_RATE,
    settings: LifetimeValueSettings = LifetimeValueSettings(),
    seed: int = RANDOM_STATE,
) -> np.ndarray:
    """Draws of each customer's discounted value in the horizon from their predictive
    distribution (module docstring): an array customers x ``settings.simulations``."""
    x, t_x, big_t, z = _statistics(summary)
    rng = np.random.default_rng(seed)
    draws = np.zeros((len(x), settings.simulations))
    discounts = period_discounts(settings.horizon_days, settings.periods, discount_rate)
    period_weeks = settings.horizon_days / settings.periods / BTYD_UNIT_DAYS
    bgnbd, gamma_gamma = fit.bgnbd, fit.gamma_gamma
    for start in range(0, len(x), CHUNK_CUSTOMERS):
        part = slice(start, start + CHUNK_CUSTOMERS)
        xs, ts, bigs, zs = x[part, None], t_x[part], big_t[part, None], z[part, None]
        shape = (len(xs), settings.simulations)
        alive = rng.random(shape) < bgnbd_p_alive(bgnbd, xs[:, 0], ts, bigs[:, 0])[:, None]
        rate = rng.gamma(bgnbd.r + xs, 1.0 / (bgnbd.alpha + bigs), shape)
        dropout = np.clip(rng.beta(bgnbd.a, bgnbd.b + xs, shape), 1e-12, 1.0)
        # Purchases until the customer drops out, the last one included.
        remaining = np.where(alive, rng.geometric(dropout), 0)
        if gamma_gamma is None:
            value_rate = None
        else:
            value_rate = rng.gamma(
                gamma_gamma.q + gamma_gamma.p * xs,
                1.0 / (gamma_gamma.gamma + xs * np.where(xs > 0, zs, 0.0)),
                shape,
            )
        total = np.zeros(shape)
        for period in range(settings.periods):
            bought = np.minimum(rng.poisson(rate * period_weeks), remaining)
            remaining = remaining - bought
            if value_rate is None:
                value = bought * fit.order_value
            else:
                # The sum of n purchase values ~ Gamma(n p, nu): 0 without a purchase.
                value = rng.gamma(bought * gamma_gamma.p, 1.0) / value_rate
            total += value * discounts[period]
        draws[part] = total
    return draws


def interval_bounds(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``level`` interval of each row of ``draws`` sorted along axis 1: the
    quantiles (1 - level) / 2 and (1 + level) / 2, interpolated linearly between draws."""
    tail = (1.0 - level) / 2
    return _sorted_quantile(draws, tail), _sorted_quantile(draws, 1.0 - tail)


def _sorted_quantile(draws: np.ndarray, share: float) -> np.ndarray:
    if draws.shape[0] == 0:
        return np.zeros(0)
    position = share * (draws.shape[1] - 1)
    below = int(np.floor(position))
    above = min(below + 1, draws.shape[1] - 1)
    weight = position - below
    return draws[:, below] * (1.0 - weight) + draws[:, above] * weight


def lifetime_values(
    summary: pd.DataFrame,
    fit: BtydFit,
    discount_rate: float = DISCOUNT_RATE,
    settings: LifetimeValueSettings = LifetimeValueSettings(),
) -> pd.DataFrame:
    """One row per row of ``summary`` (a :func:`~retail_warehouse.ml.btyd.btyd_summary`,
    time in weeks, in its order): customer_id, the expected discounted value in the horizon
    (``lifetime_value``, GBP) and its interval (``lifetime_value_lower``,
    ``lifetime_value_upper``: the central ``settings.interval_level`` of the simulated
    predictive distribution, :func:`interval_bounds`). The interval is of the value, not of
    its mean: for a customer unlikely to buy it can be 0 to 0 while the mean is above 0."""
    draws = np.sort(simulated_lifetime_values(summary, fit, discount_rate, settings), axis=1)
    lower, upper = interval_bounds(draws, settings.interval_level)
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(dtype="int64"),
            "lifetime_value": expected_lifetime_value(summary, fit, discount_rate, settings),
            "lifetime_value_lower": lower,
            "lifetime_value_upper": upper,
        }
    )


INTERVAL_LEVELS: tuple[float, ...] = tuple(round(0.5 + 0.01 * step, 2) for step in range(50))
"""The central shares of the predictive distribution :func:`fit_interval_level` chooses
from (0.50 to 0.99)."""
BACKTEST_FOLDS = 3
"""Backtest windows of the lifetime value (test, validation_1, validation_2)."""


@dataclass(frozen=True)
class _Window:
    """One backtest window: its index (0 = test), start, the customers' expected values,
    their sorted draws and actual values, and how many customers the BTYD models were fitted
    on."""

    index: int
    start: int
    expected: np.ndarray
    draws: np.ndarray
    actual: np.ndarray
    fitted_customers: int


def _windows(
    data: TrainingData,
    horizon_days: int,
    active_window_days: int,
    discount_rate: float,
    folds: int,
    indexes: range | None = None,
) -> list[_Window]:
    """The backtest windows of :func:`lifetime_value_backtest_rows` (those of ``indexes``,
    by default all ``folds``), simulated at the nominal settings over ``periods`` label
    horizons."""
    window = LifetimeValueSettings(horizon_days=PERIODS * horizon_days)
    discounts = period_discounts(window.horizon_days, window.periods, discount_rate)
    result = []
    for index in range(max(1, folds)) if indexes is None else indexes:
        start = data.as_of_day - (index + window.periods) * horizon_days
        steps = [start + k * horizon_days for k in range(window.periods)]
        if any(step not in data.cutoffs for step in steps) or start < data.first_day:
            break
        rows = data.rows_at(start)
        summary = btyd_summary_of(rows)
        if summary.empty:
            break
        active = (rows["frequency"] > 0) & (rows["recency_days"] < active_window_days)
        scored = summary[summary["customer_id"].isin(rows.loc[active, "customer_id"])]
        scored = scored.reset_index(drop=True)
        fit = fit_btyd_summary(summary)
        actual = np.zeros(len(scored))
        for step, discount in zip(steps, discounts, strict=True):
            labels = data.labels_at(step, scored["customer_id"])
            actual += labels["future_net_revenue"].to_numpy() * discount
        result.append(
            _Window(
                index=index,
                start=start,
                expected=expected_lifetime_value(scored, fit, discount_rate, window),
                draws=np.sort(
                    simulated_lifetime_values(scored, fit, discount_rate, window), axis=1
                ),
                actual=np.clip(actual, 0.0, None),
                fitted_customers=len(summary),
            )
        )
    return result


def _coverage(window: _Window, level: float) -> float:
    lower, upper = interval_bounds(window.draws, level)
    return float(np.mean((window.actual >= lower) & (window.actual <= upper)))


def _chosen_level(windows: list[_Window]) -> float:
    """The level of :data:`INTERVAL_LEVELS` whose mean coverage over the validation windows
    (index >= 1) is nearest :data:`INTERVAL_LEVEL` (the lower level on a tie); the nominal
    level without a validation window."""
    validation = [window for window in windows if window.index >= 1 and len(window.actual)]
    if not validation:
        return INTERVAL_LEVEL
    gaps = [
        abs(np.mean([_coverage(window, level) for window in validation]) - INTERVAL_LEVEL)
        for level in INTERVAL_LEVELS
    ]
    return INTERVAL_LEVELS[int(np.argmin(gaps))]


def fit_interval_level(
    data: TrainingData,
    horizon_days: int,
    active_window_days: int,
    discount_rate: float = DISCOUNT_RATE,
    folds: int = BACKTEST_FOLDS,
) -> float:
    """The share of the predictive distribution the interval spans, chosen so that
    :data:`INTERVAL_LEVEL` of the customers fall inside it on the validation windows of the
    backtest (:func:`lifetime_value_backtest_rows`; never the test window): the simulated
    distribution is wider than the customers' outcomes (every window held 0.86 to 0.88 of
    them in its 80 % interval on Online Retail II, docs/ml.md). Fitted in the training lane,
    stored with the customer models."""
    windows = _windows(
        data, horizon_days, active_window_days, discount_rate, folds, range(1, max(1, folds))
    )
    return _chosen_level(windows)


def lifetime_value_backtest_rows(
    data: TrainingData,
    horizon_days: int,
    active_window_days: int,
    discount_rate: float = DISCOUNT_RATE,
    folds: int = BACKTEST_FOLDS,
) -> pd.DataFrame:
    """The backtest of the lifetime value and its interval on windows of :data:`PERIODS`
    label horizons (``horizon_days`` each: 4 x 90 = 360 days for the 365 days scored, as
    the labels are measured per horizon): fold k (test = 0) ends k horizons before the last
    invoice day. At the window's start c the BTYD models are fitted on every training
    customer's history up to c, and the customers active then (a purchase in the last
    ``active_window_days`` days) are scored; their actual value is the net revenue of each
    horizon after c, discounted from its middle, the total counted as 0 when negative
    (cancellations exceed purchases; the predicted value is never negative).

    Two methods: :data:`LIFETIME_VALUE_METHOD` (selected), the interval at the level
    :func:`fit_interval_level` chooses on the validation windows, and
    :data:`NOMINAL_METHOD`, the nominal 80 % of the simulated distribution. One row per
    fold x method x metric (interval coverage, the shares below and above the interval,
    its mean width, MAE, the total predicted over the total actual and, for the selected
    method, the level used), with the columns of the customer backtest rows; folds whose
    window starts before the first cutoff are left out."""
    windows = _windows(data, horizon_days, active_window_days, discount_rate, folds)
    level = _chosen_level(windows)
    parts = []
    for window in windows:
        for method, used in ((LIFETIME_VALUE_METHOD, level), (NOMINAL_METHOD, INTERVAL_LEVEL)):
            metrics = _metrics(window, used)
            if metrics and method == LIFETIME_VALUE_METHOD:
                metrics["interval_level"] = used
            parts.append(_fold_rows(window, method, metrics, horizon_days * PERIODS))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


NOMINAL_METHOD = "bgnbd_gamma_gamma_simulated_nominal_80"
"""The backtest method of the nominal interval (the central 80 % of the simulated
distribution), beside the selected one."""


def _metrics(window: _Window, level: float) -> dict[str, float]:
    actual = window.actual
    if not len(actual):
        return {}
    lower, upper = interval_bounds(window.draws, level)
    metrics = {
        "interval_coverage": float(np.mean((actual >= lower) & (actual <= upper))),
        "interval_below_share": float(np.mean(actual < lower)),
        "interval_above_share": float(np.mean(actual > upper)),
        "interval_mean_width": float(np.mean(upper - lower)),
        "mae": float(np.mean(np.abs(window.expected - actual))),
    }
    if actual.sum() > 0:
        metrics["total_predicted_over_actual"] = float(window.expected.sum() / actual.sum())
    return metrics


def _fold_rows(
    window: _Window, method: str, metrics: dict[str, float], window_days: int
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "model": LIFETIME_VALUE_MODEL,
            "method": method,
            "metric": list(metrics),
            "value": list(metrics.values()),
            "is_selected": method == LIFETIME_VALUE_METHOD,
        }
    )
    frame["fold"] = "test" if window.index == 0 else f"validation_{window.index}"
    frame["train_cutoff_date"] = from_day_number(window.start)
    frame["test_cutoff_date"] = from_day_number(window.start)
    frame["test_end_date"] = from_day_number(window.start + window_days)
    frame["observation_count"] = len(window.actual)
    frame["training_row_count"] = window.fitted_customers
    return frame
