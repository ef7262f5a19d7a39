"""Measure the KPI alerts of ``mart_kpi_anomalies``: inject known drops and spikes into a copy
of a built DuckDB warehouse and report precision and recall (docs/benchmark.md, "KPI alerts").

The warehouse must hold ``marts.fct_invoices`` and ``marts.mart_kpi_anomalies`` (e.g. a
``retail-warehouse build`` of Online Retail II). The script:

1. builds the mart on a copy of the clean data (with ``--vars``) and reads the days of the
   total series that are judged (enough history, not a closing day) with at least
   ``--min-orders`` orders;
2. picks ``--days`` of them for drops and as many others for spikes (a fixed random seed) and a
   size for each, uniform between ``--smallest`` and ``--largest`` (0.3 to 0.6: 30 % to 60 %);
3. copies the file, and in the copy deletes that share of a drop day's purchase invoices (or
   adds copies of that share of a spike day's, under new ids) from ``marts.fct_invoices``;
4. rebuilds ``mart_kpi_anomalies`` on the copy (``dbt run --select mart_kpi_anomalies``);
5. reports, per KPI (and for order count or net revenue), recall (injected days flagged in the
   injected direction) and precision, twice: counting every other flagged day as a false
   alarm, and counting only the days the clean data did not flag already (the data's own
   anomalies: Christmas closures, the royal wedding, January's slump);
6. says how many of the judged days the clean data flags as a drop already, and how far a
   day's order count lies from its expected value on its own (the median absolute deviation of
   ``times_expected``): the noise that bounds recall and precision.

With several seeds (``--seed 7 11 3 5``) the clean mart is built once and steps 2 to 5 run per
seed.

Usage: python scripts/bench_kpi_alerts.py WAREHOUSE.duckdb [--days 40] [--seed 7 [11 ...]]
Not a test: a measurement, run by hand (a dbt run on a copy of the warehouse).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
KPIS = ("order_count", "net_revenue")
"""The KPIs an injected change of orders moves (the average order value barely moves)."""


@dataclass(frozen=True)
class Injection:
    """One day changed on purpose: ``drop`` removes, ``spike`` adds ``share`` of its orders."""

    day: object
    direction: str
    share: float


def judged_days(connection: duckdb.DuckDBPyConnection, min_orders: int) -> list[object]:
    """The days of the total series the mart judges, with at least ``min_orders`` orders."""
    rows = connection.execute(
        "select period_start_date from marts.mart_kpi_anomalies "
        "where period_grain = 'day' and series = 'total' and kpi = 'order_count' "
        "and is_judged and order_count >= ? order by 1",
        [min_orders],
    ).fetchall()
    return [row[0] for row in rows]


def flags(connection: duckdb.DuckDBPyConnection) -> dict[tuple[str, object], set[str]]:
    """(kpi, day) -> the directions flagged on the total series."""
    rows = connection.execute(
        "select kpi, period_start_date, is_drop, is_spike from marts.mart_kpi_anomalies "
        "where period_grain = 'day' and series = 'total' and is_anomaly"
    ).fetchall()
    found: dict[tuple[str, object], set[str]] = {}
    for kpi, day, is_drop, is_spike in rows:
        found[(kpi, day)] = {name for name, on in (("drop", is_drop), ("spike", is_spike)) if on}
    return found


def order_count_ratios(connection: duckdb.DuckDBPyConnection, min_orders: int) -> list[float]:
    """``times_expected`` of the order count on the judged days of the total series with at
    least ``min_orders`` orders (the population the injections are drawn from)."""
    rows = connection.execute(
        "select cast(times_expected as double) from marts.mart_kpi_anomalies "
        "where period_grain = 'day' and series = 'total' and kpi = 'order_count' "
        "and is_judged and order_count >= ? order by period_start_date",
        [min_orders],
    ).fetchall()
    return [row[0] for row in rows]


def noise(
    population: Sequence[object],
    clean: dict[tuple[str, object], set[str]],
    ratios: Sequence[float],
    kpis: Sequence[str] = KPIS,
) -> dict[str, float]:
    """What the clean data does on its own: the days of ``population`` it flags as a drop by
    any of ``kpis`` (``drop_days``, ``drop_share``) and the median absolute deviation of the
    order count's ``ratios`` from 1 (``order_count_mad``: 0.25 = a quarter off as usual)."""
    drop_days = sum(
        1 for day in population if any("drop" in clean.get((kpi, day), set()) for kpi in kpis)
    )
    mad = statistics.median(abs(ratio - 1) for ratio in ratios) if ratios else 0.0
    return {
        "days": len(population),
        "drop_days": drop_days,
        "drop_share": drop_days / len(population) if population else 0.0,
        "order_count_mad": mad,
    }


def choose(days: Sequence[object], count: int, seed: int, sizes: tuple[float, float]) -> list:
    """``count`` drop days and ``count`` other spike days, each with its share."""
    rng = random.Random(seed)
    picked = rng.sample(list(days), 2 * count)
    return [
        Injection(day, "drop" if index < count else "spike", round(rng.uniform(*sizes), 3))
        for index, day in enumerate(picked)
    ]


def inject(connection: duckdb.DuckDBPyConnection, injections: Sequence[Injection]) -> None:
    """Change ``marts.fct_invoices`` of the copy: drop or add a share of each day's orders,
    the invoices chosen by a hash of their id (so the same ones every run)."""
    for injection in injections:
        orders = connection.execute(
            "select count(*) from marts.fct_invoices where invoice_date = ? and is_purchase",
            [injection.day],
        ).fetchone()[0]
        count = round(injection.share * orders)
        chosen = (
            "select invoice_id from marts.fct_invoices where invoice_date = ? and is_purchase "
            "order by md5(invoice_id) limit ?"
        )
        if injection.direction == "drop":
            connection.execute(
                f"delete from marts.fct_invoices where invoice_id in ({chosen})",
                [injection.day, count],
            )
        else:
            connection.execute(
                "insert into marts.fct_invoices select * replace "
                "(invoice_id || '-injected' as invoice_id) from marts.fct_invoices "
                f"where invoice_id in ({chosen})",
                [injection.day, count],
            )


def rebuild_mart(path: Path, dbt_vars: str = "") -> None:
    """``dbt run --select mart_kpi_anomalies`` on the copy (with ``--vars`` when given)."""
    env = {
        **os.environ,
        "DUCKDB_PATH": str(path),
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
    }
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [
            *(str(dbt), "run", "--quiet", "--target", "duckdb"),
            *("--select", "mart_kpi_anomalies"),
            *(("--vars", dbt_vars) if dbt_vars else ()),
        ],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )


def score(
    injections: Sequence[Injection],
    population: Sequence[object],
    clean: dict[tuple[str, object], set[str]],
    injected: dict[tuple[str, object], set[str]],
    direction: str,
    kpis: Sequence[str],
) -> dict[str, float]:
    """Recall and the two precisions of one direction, a day flagged when any of ``kpis``
    flags it in that direction. The other direction's injected days are left out."""
    positives = {one.day for one in injections if one.direction == direction}
    others = {one.day for one in injections if one.direction != direction}

    def flagged(found: dict[tuple[str, object], set[str]], day: object) -> bool:
        return any(direction in found.get((kpi, day), set()) for kpi in kpis)

    days = [day for day in population if day not in others]
    hits = sum(1 for day in positives if flagged(injected, day))
    alarms = [day for day in days if day not in positives and flagged(injected, day)]
    new_alarms = [day for day in alarms if not flagged(clean, day)]
    return {
        "injected": len(positives),
        "found": hits,
        "recall": hits / len(positives) if positives else 0.0,
        "false_alarms": len(alarms),
        "precision": hits / (hits + len(alarms)) if hits + len(alarms) else 0.0,
        "new_false_alarms": len(new_alarms),
        "precision_new": hits / (hits + len(new_alarms)) if hits + len(new_alarms) else 0.0,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Inject, rebuild, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--days", type=int, default=40, help="days of each direction")
    parser.add_argument(
        "--seed", type=int, nargs="+", default=[7], help="one or more seeds, one run each"
    )
    parser.add_argument("--min-orders", type=int, default=20)
    parser.add_argument("--smallest", type=float, default=0.3)
    parser.add_argument("--largest", type=float, default=0.6)
    parser.add_argument(
        "--vars", default="", help="dbt --vars for both runs of the mart (the clean one too)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        clean_copy = Path(folder) / "clean.duckdb"
        shutil.copyfile(args.warehouse, clean_copy)
        rebuild_mart(clean_copy, args.vars)  # the mart of these vars, on the clean data
        with duckdb.connect(str(clean_copy), read_only=True) as connection:
            population = judged_days(connection, args.min_orders)
            clean = flags(connection)
            ratios = order_count_ratios(connection, args.min_orders)
        own = noise(population, clean, ratios)
        print(
            f"{len(population)} judged days with >= {args.min_orders} orders"
            f"{'; vars ' + args.vars if args.vars else ''}; the clean data flags "
            f"{own['drop_days']} of them ({own['drop_share']:.0%}) as a drop of orders or "
            f"revenue; a day's order count lies {own['order_count_mad']:.0%} from its expected "
            "value (median absolute deviation)"
        )
        for seed in args.seed:
            injections = choose(population, args.days, seed, (args.smallest, args.largest))
            copy = Path(folder) / "injected.duckdb"
            shutil.copyfile(args.warehouse, copy)
            with duckdb.connect(str(copy)) as connection:
                inject(connection, injections)
            rebuild_mart(copy, args.vars)
            with duckdb.connect(str(copy), read_only=True) as connection:
                injected = flags(connection)
            report(args, seed, injections, population, clean, injected)


def report(
    args: argparse.Namespace,
    seed: int,
    injections: Sequence[Injection],
    population: Sequence[object],
    clean: dict[tuple[str, object], set[str]],
    injected: dict[tuple[str, object], set[str]],
) -> None:
    """Print one seed's recall and precisions, per direction and KPI."""
    print(
        f"seed {seed}: {args.days} drops and {args.days} spikes of {args.smallest:.0%} to "
        f"{args.largest:.0%}"
    )
    header = "direction  kpi                     recall  precision  precision (new flags only)"
    print(header)
    for direction in ("drop", "spike"):
        for label, kpis in [*((kpi, (kpi,)) for kpi in KPIS), ("orders or revenue", KPIS)]:
            result = score(injections, population, clean, injected, direction, kpis)
            print(
                f"{direction:<9}  {label:<22}  {result['recall']:6.2f}  "
                f"{result['precision']:9.2f}  {result['precision_new']:9.2f}   "
                f"({result['found']}/{result['injected']} found, "
                f"{result['false_alarms']} other flags, {result['new_false_alarms']} new)"
            )


if __name__ == "__main__":
    main()
