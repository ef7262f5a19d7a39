"""Which nodes the Spark cluster build leaves to the Spark session build: those that run the
same statement on the same rows whichever source system is built.

The two Spark modules build the whole project, each on one source system: TPC-H over Spark
Connect (test_spark_cluster.py), Online Retail II on a local session (test_spark_build.py).
Two kinds of node do not read the loaded data, so where they are written alike under both
sources the two builds run the same statement on the same engine, and once is enough: the
cluster build leaves them to the session build (`--exclude`), the rest of it unchanged
(docs/testing.md, "What CI spends its time on").

- A dbt unit test runs its model's SQL on the rows written in its YAML, cast to the column
  types of the model's inputs. It stays in both builds when, under either source, it or its
  model exists under one source only or is written differently (the model's raw SQL, its
  inputs, the test's rows, overrides or expectations, either's config); or the model's
  SQL switches on the source system (its text or a macro it calls, directly or not, names
  the var sales_source or a using_* var: SOURCE_SWITCH); or one of its inputs may have
  other column types under the other source (a source system's raw tables, or a model that
  switches on the source or reads such an input without a contract fixing its types; seeds
  and the sources both systems share, the loyalty feed, the load log and the monitoring
  tables, do not change).
- A data test whose every input is a seed reads the same CSV file under both sources; it
  stays in both builds when it is written differently (its SQL, its generic test's
  arguments, its config, its inputs) or a seed it reads differs.

UNIT_TESTS_ALIKE and SEED_TESTS_ALIKE are what the rules give today, written down so the
cluster build needs no `dbt parse` of its own; tests/python/unit/test_spark_shared_nodes.py
parses both sources and fails, naming the nodes, when the rules and the lists part.
"""

from __future__ import annotations

import json
import re
from typing import Any

Manifest = dict[str, Any]

SOURCE_SWITCH = re.compile(
    r"sales_source|RW_SALES_SOURCE|using_product_costs|using_suppliers|using_employees"
)
"""What a model or macro that depends on the chosen source system names."""

UNIT_TESTS_ALIKE = frozenset(
    {
        "test_customer_360_reasons_for_missing_scores",
        "test_customer_orders_every_customer_past_the_share",
        "test_customer_orders_numbered_with_same_day_ties",
        "test_data_quality_daily_outcomes",
        "test_dim_products_description_and_prices",
        "test_fct_invoices_incremental_rebuilds_split_invoice",
        "test_fct_invoices_splits_money_by_group",
        "test_int_customer_features_measured_windows",
        "test_int_customer_outcomes_measured_horizon",
        "test_int_customer_snapshots_measured_incremental_run",
        "test_int_customer_snapshots_measured_month_ends",
        "test_int_ml_cutoffs_listed_back_to_the_first_invoice",
        "test_int_sales_days_summarized_sales_kinds",
        "test_ladder_by_cohort_with_same_day_ties",
        "test_loyalty_cents_convert_exactly",
        "test_loyalty_cost_share_of_a_month_its_cancellations_empty",
        "test_loyalty_earn_and_redemption",
        "test_loyalty_earn_on_the_largest_invoice_the_loader_accepts",
        "test_loyalty_eligibility_by_tier",
        "test_loyalty_expiry",
        "test_loyalty_feed_blanks_filled_values_kept",
        "test_loyalty_feed_differential_split",
        "test_loyalty_incremental_recomputes_the_customers_that_change",
        "test_loyalty_ledger_is_the_default_rule_set",
        "test_loyalty_reversal",
        "test_loyalty_scenarios_blanks_from_default",
        "test_mart_customer_segment_history_incremental_run",
        "test_mart_customer_segment_history_month_ends",
        "test_mart_product_affinity_baskets",
        "test_mart_product_attach_rates_ranking",
        "test_mart_rfm_segments_summary",
        "test_mart_segment_migration_between_quarter_ends",
        "test_monthly_growth_with_a_missing_month",
        "test_monthly_partial_month_flag",
    }
)
"""The unit tests the cluster build (TPC-H) leaves to the session build (Online Retail II)."""

SEED_TESTS_ALIKE = frozenset(
    {
        "accepted_range_loyalty_scenarios_expiry_months__1",
        "accepted_range_loyalty_scenarios_points_per_currency_unit__0",
        "accepted_range_loyalty_scenarios_points_per_reward__1",
        "accepted_range_loyalty_scenarios_reward_value__0",
        "accepted_range_loyalty_scenarios_scenario_order__2",
        "accepted_range_rfm_segments_f_score__5__1",
        "accepted_range_rfm_segments_r_score__5__1",
        "accepted_values_closing_days_closing_reason__good_friday__easter_sunday__easter_monday__early_may_bank_holiday__spring_bank_holiday__summer_bank_holiday__christmas",
        "accepted_values_non_product_stock_codes_match_type__exact__prefix",
        "accepted_values_non_product_stock_codes_revenue_group__shipping__fee__adjustment__other",
        "assert_rfm_segment_grid_is_complete",
        "expression_is_true_loyalty_scenarios_scenario_id___default_",
        "not_null_closing_days_closing_date",
        "not_null_country_codes_country",
        "not_null_country_codes_country_code",
        "not_null_country_codes_country_name",
        "not_null_country_codes_is_iso_country",
        "not_null_country_codes_region",
        "not_null_exclusion_reasons_exclusion_reason",
        "not_null_exclusion_reasons_rule_order",
        "not_null_loyalty_scenarios_description",
        "not_null_loyalty_scenarios_scenario_id",
        "not_null_loyalty_scenarios_scenario_order",
        "not_null_non_product_stock_codes_line_category",
        "not_null_non_product_stock_codes_stock_code",
        "not_null_rfm_segment_definitions_description",
        "not_null_rfm_segment_definitions_recommended_action",
        "not_null_rfm_segment_definitions_segment",
        "not_null_rfm_segment_definitions_segment_order",
        "not_null_rfm_segments_f_score",
        "not_null_rfm_segments_r_score",
        "not_null_rfm_segments_segment",
        "not_null_tpch_exclusion_reasons_exclusion_reason",
        "not_null_tpch_exclusion_reasons_rule_order",
        "not_null_tpch_nation_codes_country_code",
        "not_null_tpch_nation_codes_country_name",
        "not_null_tpch_nation_codes_nation_name",
        "relationships_rfm_segments_segment__segment__ref_rfm_segment_definitions_",
        "unique_closing_days_closing_date",
        "unique_combination_of_columns_rfm_segments_r_score__f_score",
        "unique_country_codes_country",
        "unique_country_codes_country_code",
        "unique_exclusion_reasons_exclusion_reason",
        "unique_exclusion_reasons_rule_order",
        "unique_loyalty_scenarios_scenario_id",
        "unique_non_product_stock_codes_stock_code",
        "unique_rfm_segment_definitions_segment",
        "unique_rfm_segment_definitions_segment_order",
        "unique_tpch_exclusion_reasons_exclusion_reason",
        "unique_tpch_exclusion_reasons_rule_order",
        "unique_tpch_nation_codes_country_code",
        "unique_tpch_nation_codes_nation_name",
    }
)
"""The data tests on seeds the cluster build leaves to the session build."""


class _Source:
    """What one manifest says about source switching, memoised per node."""

    def __init__(self, manifest: Manifest, shared_sources: set[str]) -> None:
        self.manifest = manifest
        self.shared_sources = shared_sources
        self._switched_macros: dict[str, bool] = {}
        self._stable: dict[str, bool] = {}

    def macro_switches(self, unique_id: str) -> bool:
        if unique_id not in self._switched_macros:
            self._switched_macros[unique_id] = False  # a macro calling itself is not a switch
            macro = self.manifest["macros"].get(unique_id, {})
            self._switched_macros[unique_id] = bool(
                SOURCE_SWITCH.search(macro.get("macro_sql", ""))
            ) or any(map(self.macro_switches, macro.get("depends_on", {}).get("macros", [])))
        return self._switched_macros[unique_id]

    def switches(self, node: dict[str, Any]) -> bool:
        """The node's SQL depends on the source system."""
        return bool(SOURCE_SWITCH.search(node.get("raw_code", ""))) or any(
            map(self.macro_switches, node["depends_on"]["macros"])
        )

    def stable(self, unique_id: str) -> bool:
        """The relation has the same column types whichever source is built."""
        if unique_id not in self._stable:
            if unique_id.startswith("source."):
                result = unique_id in self.shared_sources
            else:
                node = self.manifest["nodes"][unique_id]
                if node["resource_type"] == "seed":
                    result = True
                elif self.switches(node):
                    result = False
                else:
                    contracted = node["config"].get("contract", {}).get("enforced", False)
                    result = contracted or all(map(self.stable, node["depends_on"]["nodes"]))
            self._stable[unique_id] = result
        return self._stable[unique_id]


def _written(manifest: Manifest, unit_test: dict[str, Any]) -> str:
    """The unit test and its model as written: rows, overrides, configs, model SQL and
    inputs."""
    model = manifest["nodes"][unit_test["depends_on"]["nodes"][0]]
    keys = ("model", "given", "expect", "overrides", "config")
    return json.dumps(
        [
            {key: unit_test.get(key) for key in keys},
            model["raw_code"],
            model["config"],
            sorted(model["depends_on"]["nodes"]),
        ],
        sort_keys=True,
    )


def alike_unit_tests(first: Manifest, second: Manifest) -> set[str]:
    """Names of the unit tests that run the same SQL on the same rows under the source systems
    of both manifests (the module's docstring gives the rule)."""
    shared_sources = set(first["sources"]) & set(second["sources"])
    readers = [_Source(first, shared_sources), _Source(second, shared_sources)]
    names = set()
    for unique_id in set(first["unit_tests"]) & set(second["unit_tests"]):
        tests = [first["unit_tests"][unique_id], second["unit_tests"][unique_id]]
        if _written(first, tests[0]) != _written(second, tests[1]):
            continue
        model_id = tests[0]["depends_on"]["nodes"][0]
        if all(
            not reader.switches(model := reader.manifest["nodes"][model_id])
            and all(map(reader.stable, model["depends_on"]["nodes"]))
            for reader in readers
        ):
            names.add(str(tests[0]["name"]))
    return names


def alike_seed_tests(first: Manifest, second: Manifest) -> set[str]:
    """Names of the data tests that read only seeds and are written alike, on the same seed
    files, under the source systems of both manifests."""
    names = set()
    for unique_id in set(first["nodes"]) & set(second["nodes"]):
        tests = [first["nodes"][unique_id], second["nodes"][unique_id]]
        if tests[0]["resource_type"] != "test":
            continue
        inputs = [test["depends_on"]["nodes"] for test in tests]
        if not inputs[0] or not all(node.startswith("seed.") for node in inputs[0]):
            continue
        written = [
            json.dumps(
                [
                    test["raw_code"],
                    test.get("test_metadata"),
                    test["config"],
                    sorted(test["depends_on"]["nodes"]),
                ],
                sort_keys=True,
            )
            for test in tests
        ]
        seeds_alike = all(
            first["nodes"][seed]["checksum"] == second["nodes"].get(seed, {}).get("checksum")
            and first["nodes"][seed]["config"].get("column_types")
            == second["nodes"][seed]["config"].get("column_types")
            for seed in inputs[0]
        )
        switched = any(
            reader.switches(test)
            for reader, test in zip(
                [_Source(first, set()), _Source(second, set())], tests, strict=True
            )
        )
        if written[0] == written[1] and seeds_alike and not switched:
            names.add(str(tests[0]["name"]))
    return names


def cluster_exclusions() -> list[str]:
    """dbt's `--exclude` arguments that leave UNIT_TESTS_ALIKE and SEED_TESTS_ALIKE to the
    session build."""
    return [f"unit_test:{name}" for name in sorted(UNIT_TESTS_ALIKE)] + [
        f"fqn:{name}" for name in sorted(SEED_TESTS_ALIKE)
    ]
