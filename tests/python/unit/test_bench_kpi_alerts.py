"""scripts/bench_kpi_alerts.py and scripts/kpi_alert_variants.py, the measurements of the KPI
alerts (docs/benchmark.md): the scoring of injected days, what the bench says of the clean
data's own noise, and the variants' expectations, on invented flags and series."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "bench_kpi_alerts.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_kpi_alerts", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_recall_and_both_precisions(bench: ModuleType) -> None:
    # days 1-3 dropped on purpose, day 4 a spike; the clean data already flags day 5
    injections = [bench.Injection(day, "drop", 0.4) for day in (1, 2, 3)]
    injections.append(bench.Injection(4, "spike", 0.4))
    population = list(range(1, 11))
    clean = {("order_count", 5): {"drop"}}
    injected = {
        ("order_count", 1): {"drop"},
        ("net_revenue", 2): {"drop"},
        ("order_count", 4): {"drop"},  # the other direction's day: left out
        ("order_count", 5): {"drop"},  # the data's own drop
        ("net_revenue", 6): {"drop"},  # caused by the injections
    }
    result = bench.score(injections, population, clean, injected, "drop", bench.KPIS)
    assert result["recall"] == pytest.approx(2 / 3)
    assert (result["false_alarms"], result["new_false_alarms"]) == (2, 1)
    assert result["precision"] == pytest.approx(2 / 4)
    assert result["precision_new"] == pytest.approx(2 / 3)


def test_the_clean_data_noise_is_its_own_drops_and_the_spread_of_the_order_count(
    bench: ModuleType,
) -> None:
    population = ["a", "b", "c", "d"]
    clean = {
        ("order_count", "a"): {"drop"},
        ("net_revenue", "b"): {"drop"},
        ("net_revenue", "c"): {"spike"},
        ("order_count", "z"): {"drop"},  # not a judged day of the population
    }
    own = bench.noise(population, clean, [0.7, 1.1, 1.2, 0.95, 1.0])
    assert (own["days"], own["drop_days"]) == (4, 2)
    assert own["drop_share"] == pytest.approx(0.5)
    assert own["order_count_mad"] == pytest.approx(0.1)  # |ratio - 1|: 0.3 0.1 0.2 0.05 0
    assert bench.noise([], {}, [])["order_count_mad"] == 0.0


@pytest.fixture(scope="module")
def variants() -> ModuleType:
    path = SCRIPT.with_name("kpi_alert_variants.py")
    spec = importlib.util.spec_from_file_location("kpi_alert_variants", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_variants_expect_like_the_mart_and_scale_by_the_recent_level(
    variants: ModuleType,
) -> None:
    # five weeks of 10 orders a day, the second Monday a closing day, then a week of 20
    values = np.array([10.0] * 35 + [20.0] * 7)
    closing = np.zeros(42, dtype=bool)
    closing[7] = True
    expected, periods = variants.same_weekday_median(6)(values, closing)
    assert np.isnan(expected[20]) and periods[20] == 2  # two Sundays before: no expectation
    assert (expected[35], periods[35]) == (10.0, 4)  # Mondays: the closing one left out
    assert expected[41] == 10.0  # the median lags the new level
    level, _ = variants.level_adjusted(6, 7)(values, closing)
    assert level[41] == 20.0  # the last 7 days ran at twice their expectation
    assert level[35] == 10.0


def test_on_a_flat_series_every_drop_of_30_percent_is_found(variants: ModuleType) -> None:
    # eight weeks of 40 orders of 10.00 a day: nothing varies, so every drop is flagged
    count = 56
    days = variants.Days(
        closing=np.zeros(count, dtype=bool),
        orders=np.full(count, 40.0),
        revenue=np.full(count, 400.0),
        purchases={day: np.full(40, 10.0) for day in range(count)},
    )
    expectation, rule = variants.same_weekday_median(6), variants.ratio_rule(0.25)
    found = variants.recall_by_size(days, expectation, rule, [1, 2], count=3)
    assert sum(total for _, total in found.values()) == 6
    assert all(hits == total for hits, total in found.values())
    assert all(0.3 <= size < 0.7 for size in found)
    recall, precision, precision_new = variants.evaluate(days, expectation, rule, 1, count=3)
    assert (recall, precision, precision_new) == (1.0, 1.0, 1.0)
