"""The loyalty feed's file rules (sources/loyalty.py) and its fixture generator."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from retail_warehouse.cli import main
from retail_warehouse.errors import LoadError
from retail_warehouse.sources.loyalty import (
    CUSTOMERS,
    TRANSACTIONS,
    feed_files,
    is_real_date,
    value_problem,
)
from retail_warehouse.sources.loyalty_fixture import (
    UNKNOWN_CUSTOMER_ID,
    earned_points,
    make_fixture,
)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("value", "1234", None),
        ("value", "-50", None),
        ("value", "12.50", "'12.50' is not a whole number (cents and points have no decimals)"),
        ("point_differential", "1e3", "'1e3' is not a whole number (cents and points have no"),
        ("user_id", "-3", "'-3' is not a whole number of at most 18 digits"),
        ("user_id", "1" * 19, "is not a whole number of at most 18 digits"),
        # hostile7: a negative count was "not a whole number", which it is
        (
            "total_points_redeemed",
            "-5",
            "'-5' is not a whole number of at most 18 digits, without a sign",
        ),
        ("date", "2021-02-29", "'2021-02-29' is not a real date"),
        ("date", "2021-02-28 13:05", None),
        ("date", "28/02/2021", "'28/02/2021' is not a date of the form YYYY-MM-DD [HH:MM[:SS]]"),
        ("signup_date", "2021-02-28 13:05", "is not a date of the form YYYY-MM-DD"),
        ("number_of_purchases", "", None),
        ("user_id", "", "the value is empty"),
        # issue 27: a date of year 1 loaded and cut the monthly mart to 1,000 wrong months
        ("date", "0001-01-01", "'0001-01-01' is outside the plausible dates 2000-01-01 to"),
        ("date", "2100-01-01 00:00", "is outside the plausible dates"),
        ("signup_date", "1999-12-31", "is outside the plausible dates"),
        ("date", "2000-01-01", None),
        ("date", "2099-12-31 23:59:59", None),
        # hostile round: 18 digits loaded, then the earn rule overflowed DECIMAL(18) in dbt
        ("value", "999999999999999999", "is out of range (at most 1,000,000,000 either way"),
        ("value", "-1000000001", "see var loyalty_feed_max_abs_cents in dbt_project.yml"),
        ("value", "1000000000", None),
        ("value", "-1000000000", None),
        ("value_of_purchases", "1000000001", "is out of range (at most 1,000,000,000"),
        ("point_differential", "-1000000001", "see var loyalty_feed_max_abs_points"),
        ("total_standard_points", "999999999999999999", "is out of range"),
        ("total_points_redeemed", "1000000000", None),
        ("number_of_purchases", "2147483648", "at most 2,147,483,647, the integer of staging"),
        ("number_of_purchases", "2147483647", None),
    ],
)
def test_value_rules(column: str, value: str, problem: str | None) -> None:
    required = CUSTOMERS.required + TRANSACTIONS.required
    found = value_problem(column, value, required)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_row_problem_names_the_first_bad_column_in_file_order() -> None:
    row = {"user_id": "7", "date": "2021-13-01", "value": "x", "point_differential": "1"}
    assert TRANSACTIONS.row_problem(row) == ("date", "'2021-13-01' is not a real date")
    blank_summary = {"id": "1", "signup_date": "2021-01-01", "value_of_purchases": None}
    assert CUSTOMERS.row_problem(blank_summary) is None


def test_every_number_beyond_its_bound_is_sent_to_the_recheck() -> None:
    """The loader checks a bound only on the distinct values matching the recheck pattern
    (stage.py): every out-of-range number must match it."""
    for system in (CUSTOMERS, TRANSACTIONS):
        for column, pattern in system.recheck_patterns.items():
            assert column in system.rechecked_columns
            for value in ("1000000001", "-1000000001", "2147483648", "9" * 18, "-" + "9" * 18):
                if value_problem(column, value, ()) is not None:
                    assert re.match(pattern, value), (column, value)
    assert set(TRANSACTIONS.recheck_patterns) == {"value", "point_differential"}


def test_real_dates() -> None:
    assert is_real_date("2020-02-29") and not is_real_date("2021-02-29")
    assert is_real_date("2021-01-01 23:59:59") and not is_real_date("2021-01-01 24:00")


def test_raw_tables_keep_text_and_rename_date_and_value() -> None:
    assert TRANSACTIONS.columns == {
        "user_id": "user_id",
        "date": "transaction_date",
        "value": "value_cents",
        "point_differential": "point_differential",
    }
    names = [name for name, _ in TRANSACTIONS.raw_table.columns]
    assert names[-4:] == ["source_file", "source_row_number", "load_id", "loaded_at"]


def test_feed_files_finds_both_files_or_says_which_is_missing(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="needs --source DIR"):
        feed_files("")
    with pytest.raises(LoadError, match="not a folder"):
        feed_files(tmp_path / "nowhere")
    (tmp_path / "customers.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"transactions\.csv not found"):
        feed_files(tmp_path)
    (tmp_path / "transactions.csv.gz").write_bytes(b"")
    assert [(system.name, path.name) for system, path in feed_files(tmp_path)] == [
        ("loyalty_customers", "customers.csv"),
        ("loyalty_transactions", "transactions.csv.gz"),
    ]


def test_feed_files_refuses_two_files_of_one_name(tmp_path: Path) -> None:
    """Issue 27: customers.csv beside a different customers.csv.gz was loaded as the .csv
    (the .gz ignored); as for a TPC-H table, one file each: which one is meant?"""
    (tmp_path / "customers.csv").write_text("id\n", encoding="utf-8")
    (tmp_path / "customers.csv.gz").write_bytes(b"")
    (tmp_path / "transactions.csv").write_text("user_id\n", encoding="utf-8")
    with pytest.raises(
        LoadError, match=r"customers has 2 files \(customers\.csv, customers\.csv\.gz\); keep one"
    ):
        feed_files(tmp_path)


def test_feed_files_refuses_links_out_of_the_folder_and_non_regular_files(
    tmp_path: Path,
) -> None:
    """Issue 27: a customers.csv linking to /etc/passwd is refused unread (its lines were
    quoted in the header message); a link to a file inside the folder is fine."""
    (tmp_path / "customers.csv").symlink_to("/etc/passwd")
    (tmp_path / "transactions.csv").write_text("user_id\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"customers\.csv: a link to a file outside") as raised:
        feed_files(tmp_path)
    assert ":0:0:" not in str(raised.value)
    (tmp_path / "customers.csv").unlink()
    (tmp_path / "real.csv").write_text("id\n", encoding="utf-8")
    (tmp_path / "customers.csv").symlink_to(tmp_path / "real.csv")
    assert feed_files(tmp_path)[0][1] == tmp_path / "customers.csv"
    (tmp_path / "transactions.csv").unlink()
    os.mkfifo(tmp_path / "transactions.csv")
    with pytest.raises(LoadError, match=r"transactions\.csv: not a regular file"):
        feed_files(tmp_path)


def test_cli_refuses_quarantine_for_the_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["load", "--source-system", "loyalty", "--source", str(tmp_path), "--quarantine"])
    assert code == 2
    assert "--quarantine is not available for the loyalty feed" in capsys.readouterr().err


def test_earn_rule_of_the_fixture() -> None:
    assert earned_points(12345) == 1234  # 123.45 x 10, rounded down
    assert earned_points(9) == 0 and earned_points(-500) == 0


def test_fixture_is_deterministic_and_covers_the_cases(tmp_path: Path) -> None:
    first, second = make_fixture(20, 14), make_fixture(20, 14)
    assert first.customers_csv() == second.customers_csv()
    assert first.transactions_csv() == second.transactions_csv()
    assert first.customers_csv() != make_fixture(20, 15).customers_csv()
    checks = {name for name, _ in first.discrepancies}
    assert checks == {
        "total_standard_points",
        "negative_balance",
        "unknown_customer",
        "differential_above_earn_rule",
    }
    assert ("unknown_customer", UNKNOWN_CUSTOMER_ID) in first.discrepancies
    assert first.expected[104].number_of_purchases == 0  # no transactions
    assert first.expected[102].value_of_purchases == Decimal("9.99")  # all blank, filled
    blank_lines = [line for line in first.customers if line.total_standard_points is None]
    assert len(blank_lines) >= 3
    folder = first.write(tmp_path / "feed")
    header = (folder / "transactions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "user_id,date,value,point_differential"
