"""Buy-till-you-die models: BG/NBD for repeat purchases and Gamma-Gamma for spend.

BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): while alive, a
customer buys at a Poisson rate lambda ~ Gamma(r, alpha); after each purchase they drop out
with probability p ~ Beta(a, b). Its sufficient statistics per customer are x (repeat
purchases), t_x (time of the last purchase since the first) and T (time from the first
purchase to the cutoff). Gamma-Gamma (Fader, Hardie and Lee 2005, "RFM and CLV"; Fader and
Hardie 2013 note) models the mean value z of a customer's x repeat purchases with
shape p, q and scale gamma, independent of the purchase process.

Both are fitted by maximum likelihood with scipy (L-BFGS-B on log parameters, fixed start,
so the fit is deterministic). The maintained BTYD libraries were not used: ``lifetimes``
(last release 2020) and ``btyd`` (a 2022 beta) are unmaintained, and ``pymc-marketing``
brings PyMC and PyTensor and fits by MCMC or compiled graphs, far from "seconds". The
unit tests reproduce the published CDNOW parameters of both papers.

Time is in any unit the caller chooses (the warehouse uses weeks, as the papers do); the
horizon must be in the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from retail_warehouse.ml._threads import single_threaded

_START = np.zeros(4)
"""Start of the optimiser: every parameter 1 (log 0)."""
_BOUND = 12.0
"""Log parameters are bounded to [-12, 12] so a degenerate sample cannot overflow."""


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters of the mean purchase value."""

    p: float
    q: float
    gamma: float


def _arrays(*values: object) -> list[np.ndarray]:
    return [np.asarray(value, dtype="float64") for value in values]


def bgnbd_log_likelihood(
    params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """The log likelihood of each customer's (x, t_x, T) under ``params`` (eq. 6 of the
    BG/NBD paper, in logs)."""
    x, t_x, big_t = _arrays(x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    still_alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
    repeat = x > 0
    safe_x = np.where(repeat, x, 1.0)
    dropped = betaln(a + 1, b + safe_x - 1) - betaln(a, b) - (r + safe_x) * np.log(alpha + t_x)
    return common + np.where(repeat, np.logaddexp(still_alive, dropped), still_alive)


def bgnbd_log_likelihood_gradient(
    params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """d log likelihood / d (log r, log alpha, log a, log b) for each customer: an
    (n, 4) array (the analytic gradient the fit uses; a unit test checks it numerically)."""
    x, t_x, big_t = _arrays(x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    safe_x = np.where(repeat, x, 1.0)
    still_alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
    dropped = betaln(a + 1, b + safe_x - 1) - betaln(a, b) - (r + safe_x) * np.log(alpha + t_x)
    # The weights of the two terms of the likelihood (the second only with repeats).
    weight_dropped = np.where(repeat, 1.0 / (1.0 + np.exp(still_alive - dropped)), 0.0)
    weight_alive = 1.0 - weight_dropped
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - weight_alive * np.log(alpha + big_t)
        - weight_dropped * np.log(alpha + t_x)
    )
    d_alpha = (
        r / alpha
        - weight_alive * (r + x) / (alpha + big_t)
        - weight_dropped * (r + x) / (alpha + t_x)
    )
    shared = digamma(a + b) - digamma(a + b + x)
    d_a = weight_alive * shared + weight_dropped * (shared + digamma(a + 1) - digamma(a))
    d_b = weight_alive * (shared + digamma(b + x) - digamma(b)) + weight_dropped * (
        shared + digamma(b + safe_x - 1) - digamma(b)
    )
    return np.column_stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])


def _minimise(objective: object, start: np.ndarray) -> np.ndarray:
    """Minimise ``objective`` (log parameters -> (value, gradient))."""
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_BOUND, _BOUND)] * len(start),
        options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8},
    )
    if not np.all(np.isfinite(result.x)):
        raise ValueError(f"the maximum-likelihood fit failed: {result.message}")
    return np.exp(result.x)


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters from each customer's repeat purchases ``x``,
    time of the last purchase ``t_x`` and time observed ``big_t`` (all since the first
    purchase, one unit of time throughout)."""
    x, t_x, big_t = _arrays(x, t_x, big_t)
    if len(x) == 0:
        raise ValueError("BG/NBD needs at least one customer")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > big_t) or np.any(big_t <= 0):
        raise ValueError("BG/NBD needs x >= 0 and 0 <= t_x <= T, T > 0")
    # Customers with the same (x, t_x, T) have the same likelihood: fit on the distinct
    # triples, weighted by their counts.
    triples, counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
    ux, ut, ubig = triples.T
    total = counts.sum()

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = BgNbdParams(*np.exp(log_params))
        value = -np.sum(counts * bgnbd_log_likelihood(params, ux, ut, ubig)) / total
        gradient = -counts @ bgnbd_log_likelihood_gradient(params, ux, ut, ubig) / total
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return 1e300, np.zeros(4)
        return float(value), gradient

    return BgNbdParams(*(float(value) for value in _minimise(objective, _START)))


def _alive_odds(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray):
    """The odds against being alive: 0 without repeat purchases (eq. 13's denominator - 1)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    safe_x = np.where(repeat, x, 1.0)
    log_odds = (
        np.log(a) - np.log(b + safe_x - 1) + (r + safe_x) * np.log((alpha + big_t) / (alpha + t_x))
    )
    return np.where(repeat, np.exp(np.minimum(log_odds, 700.0)), 0.0)


def bgnbd_p_alive(
    params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """P(the customer is still alive at T | x, t_x, T)."""
    x, t_x, big_t = _arrays(x, t_x, big_t)
    return 1.0 / (1.0 + _alive_odds(params, x, t_x, big_t))


_A_NEAR_ONE = 1e-4
"""How close to 1 the dropout shape ``a`` is taken as 1 by :func:`bgnbd_expected_purchases`."""


def bgnbd_expected_purchases(
    params: BgNbdParams, horizon: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + horizon] | x, t_x, T] (eq. 10 of the BG/NBD paper)."""
    if abs(params.a - 1.0) < _A_NEAR_ONE:
        # (a + b + x - 1) / (a - 1) is 0/0 at a = 1 (a fit on a small history without
        # repeat purchases stays there), where the expectation is continuous: the mean of
        # its values just either side
        sides = [
            bgnbd_expected_purchases(replace(params, a=1.0 + step), horizon, x, t_x, big_t)
            for step in (-2 * _A_NEAR_ONE, 2 * _A_NEAR_ONE)
        ]
        return (sides[0] + sides[1]) / 2
    x, t_x, big_t = _arrays(x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = horizon / (alpha + big_t + horizon)
    hyper = hyp2f1(r + x, b + x, a + b + x - 1, z)
    ratio = np.exp((r + x) * np.log((alpha + big_t) / (alpha + big_t + horizon)))
    numerator = (a + b + x - 1) / (a - 1) * (1.0 - ratio * hyper)
    return np.clip(numerator / (1.0 + _alive_odds(params, x, t_x, big_t)), 0.0, None)


def bgnbd_purchase_probability(
    params: BgNbdParams, horizon: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """P(at least one purchase in (T, T + horizon] | x, t_x, T).

    A customer drops out only right after a purchase, so one alive at T makes the next
    purchase iff it comes within the horizon; given alive, lambda ~ Gamma(r + x, alpha + T),
    so P = P(alive) * (1 - ((alpha + T) / (alpha + T + horizon)) ** (r + x))."""
    x, t_x, big_t = _arrays(x, t_x, big_t)
    r, alpha = params.r, params.alpha
    none_given_alive = np.exp((r + x) * np.log((alpha + big_t) / (alpha + big_t + horizon)))
    return bgnbd_p_alive(params, x, t_x, big_t) * (1.0 - none_given_alive)


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, x: np.ndarray, mean_value: np.ndarray
) -> np.ndarray:
    """The log likelihood of each customer's mean value ``mean_value`` of ``x`` > 0
    purchases (Fader and Hardie 2013, eq. 3, without the constant in z alone)."""
    x, z = _arrays(x, mean_value)
    p, q, gamma = params.p, params.q, params.gamma
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(z)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + x * z)
    )


def fit_gamma_gamma(x: np.ndarray, mean_value: np.ndarray) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from customers with ``x`` > 0 purchases of
    mean value ``mean_value`` > 0 (others are left out, as in the paper), with q > 1."""
    x, z = _arrays(x, mean_value)
    keep = (x > 0) & (z > 0)
    if keep.sum() < 2:
        raise ValueError("Gamma-Gamma needs at least two customers with repeat purchases")
    x, z = x[keep], z[keep]
    scale = float(np.mean(z))

    # q is fitted as 1 + exp(theta): the expected value needs q > 1 (a finite mean), and
    # values are scaled to mean 1 so one start fits every currency.
    scaled = z / scale

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        p, q_minus_one, gamma = np.exp(log_params)
        q = 1.0 + q_minus_one
        value = -np.mean(gamma_gamma_log_likelihood(GammaGammaParams(p, q, gamma), x, scaled))
        both = digamma(p * x + q)
        d_p = x * (both - digamma(p * x) + np.log(scaled) + np.log(x) - np.log(gamma + x * scaled))
        d_q = both - digamma(q) + np.log(gamma) - np.log(gamma + x * scaled)
        d_gamma = q / gamma - (p * x + q) / (gamma + x * scaled)
        gradient = -np.array(
            [np.mean(d_p) * p, np.mean(d_q) * q_minus_one, np.mean(d_gamma) * gamma]
        )
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return 1e300, np.zeros(3)
        return float(value), gradient

    p, q_minus_one, gamma_scaled = _minimise(objective, _START[:3])
    return GammaGammaParams(float(p), float(1.0 + q_minus_one), float(gamma_scaled * scale))


def gamma_gamma_expected_value(
    params: GammaGammaParams, x: np.ndarray, mean_value: np.ndarray
) -> np.ndarray:
    """E[mean purchase value | x, z]: a weighted mean of the population mean
    p * gamma / (q - 1) and the customer's own mean ``z`` (the population mean when
    x = 0). Needs q > 1 (a finite population mean)."""
    x, z = _arrays(x, mean_value)
    p, q, gamma = params.p, params.q, params.gamma
    if q <= 1:
        raise ValueError(f"Gamma-Gamma q = {q:.3f} <= 1: the population mean is not finite")
    z = np.where(x > 0, z, 0.0)
    return p * (gamma + x * z) / (p * x + q - 1)


BTYD_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "repeat_purchases",
    "last_purchase_age",
    "observed_age",
    "mean_repeat_value",
)


def btyd_summary(invoices: pd.DataFrame, cutoff_day: int, unit_days: float) -> pd.DataFrame:
    """One row per customer with a purchase on or before ``cutoff_day``: the BTYD
    sufficient statistics, time in units of ``unit_days`` days.

    A purchase is a purchase day (several orders on one day count once, as in the papers'
    daily data); ``repeat_purchases`` = purchase days - 1, ``last_purchase_age`` = last
    purchase day - first purchase day, ``observed_age`` = cutoff - first purchase day + 1
    (the cutoff day is observed whole, so a first-day buyer has T > 0), and
    ``mean_repeat_value`` the mean product sales (GBP) of the repeat purchase days
    (0 without repeats). ``invoices`` as from
    :func:`retail_warehouse.ml.frames.prepare_invoices`. Sorted by customer_id."""
    seen = invoices[
        invoices["customer_id"].notna() & invoices["is_purchase"] & (invoices["day"] <= cutoff_day)
    ]
    if seen.empty:
        return pd.DataFrame({column: pd.Series(dtype="float64") for column in BTYD_COLUMNS})
    days = (
        pd.DataFrame(
            {
                "customer_id": seen["customer_id"].astype("int64").to_numpy(),
                "day": seen["day"].to_numpy(dtype="int64"),
                "milli": seen["product_milli"].to_numpy(dtype="int64"),
            }
        )
        .groupby(["customer_id", "day"], sort=True)["milli"]
        .sum()
        .reset_index()
    )
    first = days.groupby("customer_id", sort=True)["day"].transform("min")
    days["repeat_milli"] = np.where(days["day"] > first, days["milli"], 0)
    grouped = days.groupby("customer_id", sort=True).agg(
        purchase_days=("day", "size"),
        first_day=("day", "min"),
        last_day=("day", "max"),
        repeat_milli=("repeat_milli", "sum"),
    )
    repeats = grouped["purchase_days"].to_numpy(dtype="float64") - 1.0
    first_day = grouped["first_day"].to_numpy(dtype="float64")
    return pd.DataFrame(
        {
            "customer_id": grouped.index.to_numpy(dtype="int64"),
            "repeat_purchases": repeats,
            "last_purchase_age": (grouped["last_day"].to_numpy() - first_day) / unit_days,
            "observed_age": (cutoff_day - first_day + 1.0) / unit_days,
            "mean_repeat_value": np.where(
                repeats > 0,
                grouped["repeat_milli"].to_numpy(dtype="float64")
                / 1000.0
                / np.maximum(repeats, 1.0),
                0.0,
            ),
        }
    )


GAMMA_GAMMA_MIN_CUSTOMERS = 10
"""Gamma-Gamma is fitted with at least this many repeat buyers (else their mean value)."""
BTYD_UNIT_DAYS = 7.0
"""The warehouse fits the BTYD models in weeks, as the papers do."""


@dataclass(frozen=True)
class BtydFit:
    """BG/NBD and Gamma-Gamma fitted at one cutoff: what scoring a customer needs.
    ``gamma_gamma`` is None with fewer than GAMMA_GAMMA_MIN_CUSTOMERS repeat buyers, and
    ``order_value`` (their plain mean, 0 without any) stands in for its prediction."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams | None
    order_value: float


def _summary_arrays(summary: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(
        summary[column].to_numpy(dtype="float64")
        for column in (
            "repeat_purchases",
            "last_purchase_age",
            "observed_age",
            "mean_repeat_value",
        )
    )


@single_threaded
def fit_btyd(invoices: pd.DataFrame, cutoff_day: int) -> BtydFit:
    """BG/NBD and Gamma-Gamma fitted on every customer's purchases up to ``cutoff_day``
    (nothing later is read), in weeks (:data:`BTYD_UNIT_DAYS`)."""
    return fit_btyd_summary(btyd_summary(invoices, cutoff_day, BTYD_UNIT_DAYS))


@single_threaded
def fit_btyd_summary(summary: pd.DataFrame) -> BtydFit:
    """BG/NBD and Gamma-Gamma fitted on a :func:`btyd_summary` (time in weeks): what
    :func:`fit_btyd` fits, from the statistics alone."""
    if summary.empty:
        raise ValueError("BG/NBD needs at least one customer with a purchase by the cutoff")
    x, t_x, big_t, z = _summary_arrays(summary)
    bgnbd = fit_bgnbd(x, t_x, big_t)
    repeaters = (x > 0) & (z > 0)
    if repeaters.sum() >= GAMMA_GAMMA_MIN_CUSTOMERS:
        return BtydFit(bgnbd, fit_gamma_gamma(x, z), 0.0)
    # Too few repeat buyers to fit the spread of values: their plain mean for everyone.
    return BtydFit(bgnbd, None, float(z[repeaters].mean()) if repeaters.any() else 0.0)


@single_threaded
def btyd_predictions(
    invoices: pd.DataFrame, cutoff_day: int, horizon_days: int, fit: BtydFit | None = None
) -> pd.DataFrame:
    """BTYD predictions for the ``horizon_days`` days after ``cutoff_day`` of every customer
    with a purchase by the cutoff, from ``fit`` or, without it, from :func:`fit_btyd` at the
    cutoff: :func:`btyd_summary_predictions` of the customers' :func:`btyd_summary`."""
    fit = fit_btyd(invoices, cutoff_day) if fit is None else fit
    summary = btyd_summary(invoices, cutoff_day, BTYD_UNIT_DAYS)
    return btyd_summary_predictions(summary, horizon_days, fit)


@single_threaded
def btyd_summary_predictions(
    summary: pd.DataFrame, horizon_days: int, fit: BtydFit | None = None
) -> pd.DataFrame:
    """BTYD predictions for the ``horizon_days`` days after the cutoff of a
    :func:`btyd_summary` (time in weeks), from ``fit`` or, without it, from
    :func:`fit_btyd_summary` on it.

    One row per row of ``summary``, in its order: the summary plus ``p_alive``,
    ``expected_purchases``, ``purchase_probability`` (at least one purchase in the
    horizon), ``expected_order_value`` (Gamma-Gamma; GBP per purchase day) and
    ``expected_spend`` (expected purchases x expected order value, GBP)."""
    fit = fit_btyd_summary(summary) if fit is None else fit
    x, t_x, big_t, z = _summary_arrays(summary)
    horizon = horizon_days / BTYD_UNIT_DAYS
    result = summary.copy()
    result["p_alive"] = bgnbd_p_alive(fit.bgnbd, x, t_x, big_t)
    result["expected_purchases"] = bgnbd_expected_purchases(fit.bgnbd, horizon, x, t_x, big_t)
    result["purchase_probability"] = bgnbd_purchase_probability(fit.bgnbd, horizon, x, t_x, big_t)
    if fit.gamma_gamma is None:
        result["expected_order_value"] = fit.order_value
    else:
        result["expected_order_value"] = gamma_gamma_expected_value(fit.gamma_gamma, x, z)
    result["expected_spend"] = result["expected_purchases"] * result["expected_order_value"]
    return result
