"""The loyalty ledger is incremental-safe: loading the sales in two steps with a build after
each gives the same mart_loyalty_ledger rows as a full refresh of everything. The facts under
it are incremental; the ledger is recomputed from them on every build. Small hand-made files
(a redemption, a reversal, an expiry that only the second load makes happen), DuckDB."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from raw_files import write_csv
from warehouse_helpers import BIN, REPO, run_command

FIRST_LOAD = [
    ("200001", "20001", "MUG", "100", "2010-01-04 10:00:00", "4.00", "13001", "United Kingdom"),
    ("200002", "20002", "PLATE", "10", "2010-01-05 11:00:00", "2.50", "13002", "France"),
    ("200003", "20001", "MUG", "30", "2010-02-01 09:00:00", "4.00", "13001", "United Kingdom"),
]  # fmt: skip
SECOND_LOAD = [
    # 13001 passes 5,000 points (a reward), then cancels part of it (a reversal)
    ("200004", "20003", "BOWL", "50", "2010-03-01 09:00:00", "2.00", "13001", "United Kingdom"),
    ("C200005", "20001", "MUG", "-5", "2010-03-02 09:00:00", "4.00", "13001", "United Kingdom"),
    # data now runs past 13002's expiry date (2010-01-05 + 3 months)
    ("200006", "20002", "PLATE", "4", "2010-06-01 12:00:00", "2.50", "13003", "Germany"),
]  # fmt: skip

LEDGER_SQL = (
    "select customer_id, entry_sequence, entry_type, invoice_id, entry_date, points_earned, "
    "points_reversed, points_redeemed, points_expired, points_balance "
    "from marts.mart_loyalty_ledger order by customer_id, entry_sequence"
)


def _ledger(path: Path) -> list[tuple[object, ...]]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(LEDGER_SQL).fetchall()
    finally:
        connection.close()


def test_two_step_load_gives_the_ledger_of_a_full_refresh(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(tmp_path / "ledger.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        DBT_TARGET="duckdb",
        RW_SCHEMA_PREFIX="",
    )
    # its own target path: the project's target/ may be in use by a test on another worker
    paths = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    dbt = [str(BIN / "dbt")]
    build = ["run", "--select", "+mart_loyalty_ledger", "--vars", "{loyalty_expiry_months: 3}"]
    run_command([*dbt, "seed", *paths], env)
    for rows, name in ((FIRST_LOAD, "first.csv"), (SECOND_LOAD, "second.csv")):
        source = write_csv(tmp_path / name, rows)
        run_command([str(BIN / "retail-warehouse"), "load", "--source", str(source)], env)
        run_command([*dbt, *build, *paths], env)
    stepwise = _ledger(tmp_path / "ledger.duckdb")
    run_command([*dbt, *build, "--full-refresh", *paths], env)
    assert _ledger(tmp_path / "ledger.duckdb") == stepwise
    kinds = {(row[0], row[2]) for row in stepwise}
    assert {(13001, "redemption"), (13001, "reversal"), (13002, "expiry")} <= kinds
