"""Measure expected values and scores for the KPI alerts that the mart's vars cannot express
(docs/benchmark.md, "KPI alerts: can a better expected value meet the goal?").

``scripts/bench_kpi_alerts.py`` measures ``mart_kpi_anomalies`` itself; this script re-implements
the mart's rule for the total series by day in Python (numpy), so that other expectations can
be tried without writing them in SQL first. It reads ``marts.fct_invoices``, ``marts.dim_dates``
and ``raw.closing_days`` of a built DuckDB warehouse, injects the same drops and spikes as the
bench script (the same seeds draw the same days, sizes and invoices) and prints one Markdown row
per variant: drop recall and precision counting new flags only per seed, precision counting
every flag (mean), and the mean and lowest recall and precision over the other seeds. For the
mart's defaults it gives the bench script's figures to the day (seeds 7, 11, 3 and 5).

Usage: python scripts/kpi_alert_variants.py WAREHOUSE.duckdb [--seed 7 11 3 5]
    [--other-seed 101 102 103 104 105 106] [--by-size SEED ...]
Not a test: a measurement, run by hand (reads the warehouse, writes nothing).
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

MIN_ORDERS = 20
MIN_BASELINE_PERIODS = 3
Expectation = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""(values, closing) -> (expected value, baseline periods) per day."""
Rule = Callable[[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], np.ndarray], np.ndarray]
"""({kpi: (actual, expected, periods)}, closing) -> the days flagged as a drop."""


@dataclass(frozen=True)
class Days:
    """The days of the data: closing days, orders and net revenue of the total series, and
    each day's purchase amounts in the order the bench script picks its invoices."""

    closing: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray
    purchases: dict[int, np.ndarray]


def read_days(path: Path) -> Days:
    """The days of a built warehouse."""
    with duckdb.connect(str(path), read_only=True) as connection:
        calendar = connection.execute(
            "select dim_dates.date_day, closing_days.closing_date is not null "
            "from marts.dim_dates left join raw.closing_days "
            "on dim_dates.date_day = closing_days.closing_date "
            "where dim_dates.is_in_data_range order by 1"
        ).fetchall()
        invoices = connection.execute(
            "select invoice_id, invoice_date, is_purchase, cast(product_amount as double) "
            "from marts.fct_invoices"
        ).fetchall()
    index = {day: number for number, (day, _) in enumerate(calendar)}
    orders = np.zeros(len(calendar))
    revenue = np.zeros(len(calendar))
    picked: dict[int, list[tuple[str, float]]] = {}
    for invoice_id, day, is_purchase, amount in invoices:
        number = index[day]
        revenue[number] += amount
        if is_purchase:
            orders[number] += 1
            key = hashlib.md5(invoice_id.encode()).hexdigest()  # the bench's md5 order
            picked.setdefault(number, []).append((key, amount))
    purchases = {day: np.array([a for _, a in sorted(rows)]) for day, rows in picked.items()}
    closing = np.array([is_closing for _, is_closing in calendar])
    return Days(closing, orders, revenue, purchases)


def same_weekday_median(weeks: int = 6) -> Expectation:
    """The mart's expectation: the median of the same weekday of the last ``weeks`` weeks,
    closing days left out."""

    def expect(values: np.ndarray, closing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        expected = np.full(len(values), np.nan)
        periods = np.zeros(len(values), dtype=int)
        for day in range(len(values)):
            earlier = [day - 7 * week for week in range(1, weeks + 1) if day - 7 * week >= 0]
            kept = [values[other] for other in earlier if not closing[other]]
            periods[day] = len(kept)
            if len(kept) >= MIN_BASELINE_PERIODS:
                expected[day] = np.median(kept)
        return expected, periods

    return expect


def level_adjusted(weeks: int = 6, window: int = 7, min_days: int = 3) -> Expectation:
    """The same-weekday median times the median actual / expected of the ``window`` days
    before (at least ``min_days`` of them with an expectation, else 1)."""
    base = same_weekday_median(weeks)

    def expect(values: np.ndarray, closing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        expected, periods = base(values, closing)
        usable = ~closing & (expected > 0)
        ratios = np.where(usable, values / np.where(usable, expected, 1), np.nan)
        factor = np.ones(len(values))
        for day in range(len(values)):
            recent = ratios[max(0, day - window) : day]
            recent = recent[~np.isnan(recent)]
            if len(recent) >= min_days:
                factor[day] = np.median(recent)
        return expected * factor, periods

    return expect


def trailing_share(weeks: int = 6, window: int = 7) -> Expectation:
    """The median of the same weekday's share of its trailing ``window`` days, times today's
    trailing ``window`` days; the same-weekday median where a closing day falls in them."""
    base = same_weekday_median(weeks)

    def expect(values: np.ndarray, closing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fallback, fallback_periods = base(values, closing)
        count = len(values)
        trailing = np.array([values[max(0, day - window) : day].sum() for day in range(count)])
        whole = np.array(
            [day >= window and not closing[day - window : day].any() for day in range(count)]
        )
        usable = whole & (trailing > 0)
        shares = np.where(usable, values / np.where(usable, trailing, 1), np.nan)
        expected = fallback.copy()
        periods = fallback_periods.copy()
        for day in range(count):
            earlier = [day - 7 * week for week in range(1, weeks + 1) if day - 7 * week >= 0]
            kept = [shares[other] for other in earlier if not closing[other]]
            kept = [share for share in kept if not np.isnan(share)]
            if len(kept) >= MIN_BASELINE_PERIODS and whole[day]:
                expected[day] = np.median(kept) * trailing[day]
                periods[day] = len(kept)
        return expected, periods

    return expect


def judged(kpis: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], closing: np.ndarray):
    """The mart's ``is_judged`` of the order count (the volume rule) for every KPI."""
    orders, expected, periods = kpis["order_count"]
    safe = np.nan_to_num(expected)
    return (
        ~closing
        & (periods >= MIN_BASELINE_PERIODS)
        & (safe > 0)
        & (np.maximum(orders, safe) >= MIN_ORDERS)
    )


def _times(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    safe = np.nan_to_num(expected)
    return np.where(safe > 0, actual / np.where(safe > 0, safe, 1), np.nan)


def ratio_rule(drop_rate: float) -> Rule:
    """The mart's flag: order count or net revenue at ``1 - drop_rate`` times expected or less."""

    def rule(kpis, closing):
        weighed = judged(kpis, closing)
        flagged = np.zeros(len(closing), dtype=bool)
        for actual, expected, _ in kpis.values():
            times = np.round(_times(actual, expected), 4)
            flagged |= weighed & (np.nan_to_num(times, nan=np.inf) <= 1 - drop_rate)
        return flagged

    return rule


def _noise_scores(actual, expected, closing, weeks) -> np.ndarray:
    """log(actual / expected) over 1.4826 x the median absolute deviation of the same
    weekday's log ratios of the last ``weeks`` weeks (at least 6 of them)."""
    times = _times(actual, expected)
    logs = np.where(times > 0, np.log(np.where(times > 0, times, 1)), np.nan)
    scores = np.full(len(actual), np.nan)
    for day in range(len(actual)):
        earlier = [logs[day - 7 * week] for week in range(1, weeks + 1) if day - 7 * week >= 0]
        earlier = np.array([value for value in earlier if not np.isnan(value)])
        if len(earlier) >= 6:
            spread = 1.4826 * np.median(np.abs(earlier - np.median(earlier)))
            scores[day] = (logs[day] if times[day] > 0 else -np.inf) / spread
    return scores


def noise_rule(threshold: float, weeks: int = 12, combined: bool = False) -> Rule:
    """A drop when the noise-scaled score is ``-threshold`` or less: of the order count or
    of net revenue, or (``combined``) of their mean."""

    def rule(kpis, closing):
        weighed = judged(kpis, closing)
        scores = [_noise_scores(a, e, closing, weeks) for a, e, _ in kpis.values()]
        if combined:
            scores = [(scores[0] + scores[1]) / 2]
        flagged = np.zeros(len(closing), dtype=bool)
        for score in scores:
            flagged |= weighed & (np.nan_to_num(score, nan=np.inf) <= -threshold)
        return flagged

    return rule


def drops(days: Days, orders, revenue, expectation: Expectation, rule: Rule) -> np.ndarray:
    """The days flagged as a drop, and (for the clean data) the population."""
    kpis = {}
    for name, values in (("order_count", orders), ("net_revenue", revenue)):
        expected, periods = expectation(values, days.closing)
        kpis[name] = (values, expected, periods)
    return rule(kpis, days.closing), judged(kpis, days.closing)


def evaluate(days: Days, expectation: Expectation, rule: Rule, seed: int, count: int = 40):
    """Recall, precision (every flag) and precision (new flags only) of injected drops, the
    injections of ``bench_kpi_alerts.py`` with ``seed``."""
    clean, weighed = drops(days, days.orders, days.revenue, expectation, rule)
    population = [day for day in range(len(days.orders)) if weighed[day]]
    population = [day for day in population if days.orders[day] >= MIN_ORDERS]
    rng = random.Random(seed)
    picked = rng.sample(population, 2 * count)
    shares = [round(rng.uniform(0.3, 0.6), 3) for _ in picked]
    orders, revenue = days.orders.copy(), days.revenue.copy()
    for number, (day, share) in enumerate(zip(picked, shares, strict=True)):
        amounts = days.purchases[day]
        changed = round(share * len(amounts))
        sign = -1 if number < count else 1
        orders[day] += sign * changed
        revenue[day] += sign * amounts[:changed].sum()
    flagged, _ = drops(days, orders, revenue, expectation, rule)
    positives, spikes = set(picked[:count]), set(picked[count:])
    hits = sum(1 for day in positives if flagged[day])
    alarms = [day for day in population if day not in positives | spikes and flagged[day]]
    new = [day for day in alarms if not clean[day]]
    return hits / count, hits / max(1, hits + len(alarms)), hits / max(1, hits + len(new))


def recall_by_size(
    days: Days, expectation: Expectation, rule: Rule, seeds: Sequence[int], count: int = 40
) -> dict[float, tuple[int, int]]:
    """Drops only, of 30 % to 70 %: per 5 % of size (its lower end), (found, injected)."""
    _, weighed = drops(days, days.orders, days.revenue, expectation, rule)
    population = [day for day in range(len(days.orders)) if weighed[day]]
    population = [day for day in population if days.orders[day] >= MIN_ORDERS]
    found: dict[float, tuple[int, int]] = {}
    for seed in seeds:
        rng = random.Random(seed)
        orders, revenue = days.orders.copy(), days.revenue.copy()
        injected = []
        for day in rng.sample(population, count):
            share = round(rng.uniform(0.3, 0.7), 3)
            amounts = days.purchases[day]
            changed = round(share * len(amounts))
            orders[day] -= changed
            revenue[day] -= amounts[:changed].sum()
            injected.append((day, share))
        flagged, _ = drops(days, orders, revenue, expectation, rule)
        for day, share in injected:
            size = int(share * 20) / 20
            hits, total = found.get(size, (0, 0))
            found[size] = (hits + int(flagged[day]), total + 1)
    return dict(sorted(found.items()))


VARIANTS: list[tuple[str, Expectation, Rule]] = [
    ("today: median of 6 same weekdays, drop at 25 %", same_weekday_median(6), ratio_rule(0.25)),
    ("drop at 20 %", same_weekday_median(6), ratio_rule(0.20)),
    ("median of 10 same weekdays, drop at 25 %", same_weekday_median(10), ratio_rule(0.25)),
    ("median of 10, drop at 20 %", same_weekday_median(10), ratio_rule(0.20)),
    ("median of 10, drop at 17.5 %", same_weekday_median(10), ratio_rule(0.175)),
    ("level-adjusted, last 7 days", level_adjusted(6, 7), ratio_rule(0.25)),
    ("level-adjusted, 8 weeks, last 21 days", level_adjusted(8, 21), ratio_rule(0.25)),
    ("share of the trailing 7 days", trailing_share(6, 7), ratio_rule(0.25)),
    ("noise-scaled, <= -1.0", same_weekday_median(6), noise_rule(1.0)),
    (
        "orders and revenue noise-scaled together, <= -0.75",
        same_weekday_median(6),
        noise_rule(0.75, combined=True),
    ),
]


def main(argv: Sequence[str] | None = None) -> None:
    """Print one Markdown row per variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--seed", type=int, nargs="+", default=[7, 11, 3, 5])
    parser.add_argument("--other-seed", type=int, nargs="+", default=list(range(101, 107)))
    parser.add_argument(
        "--by-size",
        type=int,
        nargs="+",
        metavar="SEED",
        help="instead: the recall of today's rule by size of drop, drops only, these seeds",
    )
    args = parser.parse_args(argv)
    days = read_days(args.warehouse)
    if args.by_size:
        _, expectation, rule = VARIANTS[0]
        for size, (hits, total) in recall_by_size(days, expectation, rule, args.by_size).items():
            print(f"drops of {size:.0%} to {size + 0.05:.0%}: recall {hits / total:.2f} ({total})")
        return
    for label, expectation, rule in VARIANTS:
        seeds = np.array([evaluate(days, expectation, rule, seed) for seed in args.seed])
        others = np.array([evaluate(days, expectation, rule, seed) for seed in args.other_seed])
        print(
            f"| {label} | {' / '.join(f'{value:.2f}' for value in seeds[:, 0])} | "
            f"{' / '.join(f'{value:.2f}' for value in seeds[:, 2])} | {seeds[:, 1].mean():.2f} | "
            f"{others[:, 0].mean():.2f} ({others[:, 0].min():.2f}) | "
            f"{others[:, 2].mean():.2f} ({others[:, 2].min():.2f}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
