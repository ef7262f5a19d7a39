"""The loyalty rule vars are checked when the rules compile (macros/loyalty/
loyalty_default_rules.sql), naming the var: hostile round 6 found `.nan` and `.inf`
passing the checks (NaN passes every comparison) and rendered as the SQL identifiers `nan`
and `inf`, so the build failed in the model with an engine error instead."""

from __future__ import annotations

import os

import pytest
from warehouse_helpers import BIN, REPO, run_command


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            "{loyalty_reward_value: .nan, loyalty_points_per_currency_unit: 10}",
            "var loyalty_reward_value must be a number from 0 to below 10^16, got nan",
        ),
        (
            "{loyalty_points_per_currency_unit: .inf}",
            "var loyalty_points_per_currency_unit must be a number from 0 to 999999.999, got inf",
        ),
    ],
    ids=["nan-reward", "inf-rate"],
)
def test_a_loyalty_rule_var_that_is_not_finite_is_named(tmp_path, bad: str, message: str) -> None:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "DUCKDB_PATH": str(tmp_path / "w.duckdb"),
    }
    result = run_command(
        [
            str(BIN / "dbt"),
            "compile",
            "--quiet",
            "--target-path",
            str(tmp_path / "target"),
            "--inline",
            "{{ loyalty_default_rules() }}",
            "--vars",
            bad,
        ],
        env,
        ok=(0, 1, 2),
    )
    assert result.returncode != 0, result.stdout[-2000:]
    assert message in result.stdout + result.stderr, (result.stdout + result.stderr)[-2000:]
