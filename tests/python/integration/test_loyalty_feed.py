"""The loyalty feed end to end: `retail-warehouse load --source-system loyalty` loads a fixture
feed with known answers (sources/loyalty_fixture.py) into a temporary DuckDB file and a fresh
PostgreSQL database, `dbt build` builds the feed's models, and the warehouse must give the
fixture's answers (blanks filled, file values kept, every disagreement reported, points
reconciled), the same rows on both targets, a no-op for a repeated load, and nothing at all
for a feed with a bad value (one transaction for both files)."""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from warehouse_helpers import BIN, REPO, pg_params, query_rows, run_command, throwaway_pg_database

from retail_warehouse import load_feed
from retail_warehouse.errors import LoadError
from retail_warehouse.settings import from_env
from retail_warehouse.sources.loyalty import feed_files
from retail_warehouse.sources.loyalty_fixture import Fixture, make_fixture
from retail_warehouse.sources.scan import MAX_LINE_BYTES

TARGETS = ("duckdb", "postgres")
FEED_MARTS = (
    "mart_loyalty_feed_balances",
    "mart_loyalty_feed_programme_monthly",
    "mart_loyalty_feed_discrepancies",
)


def _env(target: str, folder: Path, database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(folder / "feed.duckdb"),
        PGDATABASE=database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        DBT_TARGET=target,
        RW_SCHEMA_PREFIX="",
    )
    return env


def _load(env: dict[str, str], target: str, feed: Path, ok: tuple[int, ...] = (0,)) -> Any:
    return run_command(
        [
            str(BIN / "retail-warehouse"),
            "load",
            "--target",
            target,
            "--source-system",
            "loyalty",
            "--source",
            str(feed),
        ],
        env,
        ok,
    )


def _connect(target: str, env: dict[str, str]) -> Any:
    if target == "duckdb":
        return duckdb.connect(env["DUCKDB_PATH"], read_only=True)
    connection = psycopg2.connect(**pg_params(env["PGDATABASE"]))
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def _database(target: str, prefix: str) -> Iterator[str]:
    if target == "duckdb":
        yield "unused"
        return
    with throwaway_pg_database(prefix) as name:
        yield name


@pytest.fixture(scope="module")
def fixture() -> Fixture:
    return make_fixture(random_customers=20, seed=14)


@pytest.fixture(scope="module")
def built(
    fixture: Fixture, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, dict[str, Any]]]:
    """The fixture feed loaded (twice) and built on both targets."""
    feed = fixture.write(tmp_path_factory.mktemp("feed"))
    with contextlib.ExitStack() as stack:
        warehouses: dict[str, dict[str, Any]] = {}
        for target in TARGETS:
            database = stack.enter_context(_database(target, "rw_loyalty"))
            env = _env(target, tmp_path_factory.mktemp(target), database)
            first = _load(env, target, feed).stdout
            second = _load(env, target, feed).stdout
            work = Path(env["DUCKDB_PATH"]).parent  # not target/: another worker may use it
            paths = ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
            run_command([str(BIN / "dbt"), "build", "--select", "staging.loyalty+", *paths], env)
            connection = _connect(target, env)
            stack.callback(connection.close)
            warehouses[target] = {"connection": connection, "first": first, "second": second}
        yield warehouses


@pytest.mark.parametrize("target", TARGETS)
def test_load_reports_both_files_and_a_repeat_is_a_no_op(
    built: dict[str, dict[str, Any]], fixture: Fixture, target: str
) -> None:
    first, second = built[target]["first"], built[target]["second"]
    assert f"loaded {len(fixture.customers)} rows from customers.csv" in first
    assert f"loaded {len(fixture.transactions)} rows from transactions.csv" in first
    assert "raw.loyalty_customers" in first and "raw.loyalty_transactions" in first
    assert second.count("already loaded") == 2


@pytest.mark.parametrize("target", TARGETS)
def test_blanks_filled_and_file_values_kept(
    built: dict[str, dict[str, Any]], fixture: Fixture, target: str
) -> None:
    rows = query_rows(
        built[target]["connection"],
        "select customer_id, number_of_purchases, value_of_purchases, total_standard_points, "
        "total_points_redeemed, computed_total_standard_points "
        "from intermediate.int_loyalty_customers_filled",
    )
    got = {int(row[0]): tuple(row[1:]) for row in rows}
    expected = {
        customer_id: (
            answer.number_of_purchases,
            answer.value_of_purchases,
            answer.total_standard_points,
            answer.total_points_redeemed,
            answer.computed_total_standard_points,
        )
        for customer_id, answer in fixture.expected.items()
    }
    assert got == expected
    # the case of a blank filled, of a wrong file value kept, of no transactions at all
    assert got[102] == (1, Decimal("9.99"), 99, 0, 99)
    assert got[103][2] == 500 and got[103][4] == 300
    assert got[104] == (0, Decimal("0.00"), 0, 0, 0)


@pytest.mark.parametrize("target", TARGETS)
def test_every_disagreement_reported_with_its_file_line(
    built: dict[str, dict[str, Any]], fixture: Fixture, target: str
) -> None:
    rows = query_rows(
        built[target]["connection"],
        "select check_name, customer_id, source_file, source_row_number "
        "from marts.mart_loyalty_feed_discrepancies",
    )
    assert {(row[0], int(row[1])) for row in rows} == fixture.discrepancies
    lines = {row[0]: (row[2], int(row[3])) for row in rows}
    customer_103 = 1 + [line.customer_id for line in fixture.customers].index(103)
    assert lines["total_standard_points"] == ("customers.csv", customer_103)
    assert lines["unknown_customer"][0] == "transactions.csv"


@pytest.mark.parametrize("target", TARGETS)
def test_points_reconcile_per_customer_and_in_total(
    built: dict[str, dict[str, Any]], fixture: Fixture, target: str
) -> None:
    connection = built[target]["connection"]
    balances = {
        int(row[0]): (int(row[1]), int(row[2]), int(row[3]), int(row[4]))
        for row in query_rows(
            connection,
            "select customer_id, points_balance, lifetime_points_earned, points_reversed, "
            "points_redeemed from marts.mart_loyalty_feed_balances",
        )
    }
    assert set(balances) == set(fixture.expected)
    for customer_id, (balance, earned, reversed_, redeemed) in balances.items():
        assert balance == fixture.expected[customer_id].computed_total_standard_points
        assert earned - reversed_ - redeemed == balance
    known = fixture.known_transactions
    assert sum(balance for balance, *_ in balances.values()) == sum(
        item.point_differential for item in known
    )
    (issued, reversed_, redeemed, last_outstanding, revenue) = query_rows(
        connection,
        "select sum(points_issued), sum(points_reversed), sum(points_redeemed), "
        "max(case when month_start_date = (select max(month_start_date) "
        "from marts.mart_loyalty_feed_programme_monthly) then points_outstanding end), "
        "sum(net_revenue) from marts.mart_loyalty_feed_programme_monthly",
    )[0]
    assert (
        issued - reversed_ - redeemed
        == last_outstanding
        == sum(balance for balance, *_ in balances.values())
    )
    assert revenue == Decimal(sum(item.value_cents for item in known)) / 100


def test_feed_marts_identical_on_both_targets(built: dict[str, dict[str, Any]]) -> None:
    for table in FEED_MARTS:
        rows = {
            target: sorted(
                tuple(str(value) for value in row)
                for row in query_rows(built[target]["connection"], f"select * from marts.{table}")
            )
            for target in TARGETS
        }
        assert rows["duckdb"], f"marts.{table} is empty"
        assert rows["duckdb"] == rows["postgres"], f"marts.{table} differs between targets"


@pytest.mark.parametrize("target", TARGETS)
def test_bad_value_fails_with_file_line_column_and_loads_neither_file(
    fixture: Fixture, tmp_path: Path, target: str
) -> None:
    good = fixture.write(tmp_path / "good")
    bad = fixture.write(tmp_path / "bad")
    # a changed customers.csv (one more customer) and a transactions.csv with a decimal value
    with (bad / "customers.csv").open("a", encoding="utf-8") as handle:
        handle.write("777,2021-03-03,,,,\n")
    lines = (bad / "transactions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[3].split(",")
    fields[2] = "12.50"
    lines[3] = ",".join(fields)
    (bad / "transactions.csv").write_text("".join(lines), encoding="utf-8")
    with _database(target, "rw_loyalty_bad") as database:
        env = _env(target, tmp_path, database)
        _load(env, target, good)
        result = _load(env, target, bad, ok=(2,))
        assert (
            "error: transactions.csv: line 4, column value: '12.50' is not a whole number"
            in result.stderr
        )
        connection = _connect(target, env)
        try:
            counts = query_rows(
                connection,
                "select (select count(*) from raw.loyalty_customers), "
                "(select count(*) from raw.loyalty_transactions)",
            )[0]
            statuses = query_rows(
                connection, "select source_file, status from raw.load_log order by load_id"
            )
        finally:
            connection.close()
    assert tuple(counts) == (len(fixture.customers), len(fixture.transactions))
    assert [tuple(row) for row in statuses] == [
        ("customers.csv", "succeeded"),
        ("transactions.csv", "succeeded"),
        ("customers.csv", "failed"),  # started, then not loaded with the feed
        ("transactions.csv", "failed"),
    ]


@pytest.mark.parametrize("target", TARGETS)
def test_a_killed_feed_load_stays_visible_as_started(
    fixture: Fixture, tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed writes its 'started' row before reading a file, as a single load does
    (issue 10): a load stopped while reading is visible in ``load_log``."""
    feed = fixture.write(tmp_path / "feed")

    def stopped(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt  # the process stops while reading, as a kill would stop it

    monkeypatch.setattr(load_feed, "stage_file", stopped)
    with _database(target, "rw_loyalty_killed") as database:
        env = _env(target, tmp_path, database)
        with pytest.raises(KeyboardInterrupt):
            load_feed.load_feed(feed_files(feed), target, settings=from_env(env))
        connection = _connect(target, env)
        try:
            statuses = query_rows(
                connection, "select source_file, status from raw.load_log order by load_id"
            )
        finally:
            connection.close()
    assert [tuple(row) for row in statuses] == [("customers.csv", "started")]


def test_the_monthly_mart_covers_a_feed_of_a_hundred_years(tmp_path: Path) -> None:
    """A feed spanning the whole accepted range (vars loyalty_feed_first_date and
    loyalty_feed_last_date: 1,200 months) gets a row for every month: the month spine had a
    hidden limit of 1,000 rows (issue 27), and the singular test of its coverage passes."""
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "customers.csv").write_text(
        "id,signup_date,number_of_purchases,value_of_purchases,total_standard_points,"
        "total_points_redeemed\n1,2000-01-01,,,,\n",
        encoding="utf-8",
    )
    (feed / "transactions.csv").write_text(
        "user_id,date,value,point_differential\n1,2000-01-15,1000,10\n1,2099-12-15,2000,20\n",
        encoding="utf-8",
    )
    env = _env("duckdb", tmp_path, "unused")
    _load(env, "duckdb", feed)
    paths = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    selection = ["mart_loyalty_feed_programme_monthly", "assert_loyalty_feed_months_cover_the_feed"]
    run_command(
        [str(BIN / "dbt"), "build", "--select", "+mart_loyalty_feed_programme_monthly", *paths],
        env,
    )
    run_command([str(BIN / "dbt"), "test", "--select", selection[1], *paths], env)
    connection = _connect("duckdb", env)
    try:
        rows = query_rows(
            connection,
            "select count(*), min(month_start_date), max(month_start_date), sum(net_revenue) "
            f"from marts.{selection[0]}",
        )[0]
    finally:
        connection.close()
    assert tuple(map(str, rows)) == ("1200", "2000-01-01", "2099-12-01", "30.00")


def test_a_re_sent_earlier_export_says_the_models_read_a_later_one(
    fixture: Fixture, tmp_path: Path
) -> None:
    """Issue 27: export A, then export B, then A again printed "already loaded ... nothing to
    do", exit 0, as a repeat of the newest export does; but the models read only the newest
    load of each file, so A is not what they show. Still exit 0 and nothing loaded (as a
    re-sent invoice file), with one line per file saying so; a repeat of the newest export
    reads as before."""
    first = fixture.write(tmp_path / "a")
    second = fixture.write(tmp_path / "b")
    with (second / "customers.csv").open("a", encoding="utf-8") as customers:
        customers.write("777,2021-03-03,,,,\n")
    env = _env("duckdb", tmp_path, "unused")
    _load(env, "duckdb", first)
    _load(env, "duckdb", second)
    again = _load(env, "duckdb", first).stdout.splitlines()
    assert again[0].startswith("already loaded: customers.csv (sha256 ")
    assert again[0].endswith(
        ", load 1), an earlier export than load 3, which the models read; nothing loaded "
        "(--replace loads it as the current export)"
    )
    assert again[1].endswith(", load 2); nothing to do"), "transactions.csv is the newest"
    assert _load(env, "duckdb", second).stdout.count("); nothing to do") == 2


def test_a_second_customers_file_or_a_link_out_of_the_folder_is_refused(
    fixture: Fixture, tmp_path: Path
) -> None:
    """Issue 27: a changed customers.csv.gz beside the loaded customers.csv was ignored
    ("already loaded ... nothing to do"), and a customers.csv linking to /etc/passwd had its
    first line quoted in the message and load_log. Both are refused, each with one 'failed'
    row in load_log naming the problem and quoting nothing of the file."""
    feed = fixture.write(tmp_path / "feed")
    env = _env("duckdb", tmp_path, "unused")
    _load(env, "duckdb", feed)
    changed = fixture.customers_csv() + "777,2021-03-03,,,,\n"
    (feed / "customers.csv.gz").write_bytes(gzip.compress(changed.encode("utf-8")))
    result = _load(env, "duckdb", feed, ok=(2,))
    assert "customers has 2 files (customers.csv, customers.csv.gz); keep one" in result.stderr
    (feed / "customers.csv.gz").unlink()
    (feed / "customers.csv").unlink()
    (feed / "customers.csv").symlink_to("/etc/passwd")
    result = _load(env, "duckdb", feed, ok=(2,))
    assert "customers.csv: a link to a file outside the folder" in result.stderr
    assert ":0:0:" not in result.stderr
    connection = _connect("duckdb", env)
    try:
        log = query_rows(connection, "select status, coalesce(message, '') from raw.load_log")
    finally:
        connection.close()
    assert [row[0] for row in log] == ["succeeded", "succeeded", "failed", "failed"]
    assert "customers has 2 files" in log[2][1]
    assert "a link to a file outside the folder" in log[3][1] and ":0:0:" not in log[3][1]


def test_a_line_too_long_is_refused_at_its_line(fixture: Fixture, tmp_path: Path) -> None:
    """Issue 27: a customers.csv line of 400 MB said "CSV Error on Line: 3" after a 1.66 GB
    peak. Past DuckDB's own limit (64 MiB), the scan names the line and the limit."""
    feed = fixture.write(tmp_path / "feed")
    lines = fixture.customers_csv().splitlines(keepends=True)
    with (feed / "customers.csv").open("wb") as out:
        out.write("".join(lines[:2]).encode("utf-8"))
        out.write(b"9")
        for _ in range(65):
            out.write(b"9" * (1 << 20))
        out.write(b",2021-01-01,,,,\n")
        out.write("".join(lines[2:]).encode("utf-8"))
    env = _env("duckdb", tmp_path, "unused")
    result = _load(env, "duckdb", feed, ok=(2,))
    assert f"customers.csv: line 3: the line is longer than {MAX_LINE_BYTES:,} bytes" in (
        result.stderr
    )


@pytest.mark.parametrize("target", TARGETS)
def test_an_end_of_data_line_in_transactions_is_refused_on_both_engines(
    fixture: Fixture, tmp_path: Path, target: str
) -> None:
    """Hostile round: a line holding only '\\.' in transactions.csv made PostgreSQL's COPY stop
    there and load the lines before it, exit 0; DuckDB refused the line. Both refuse it now."""
    feed = fixture.write(tmp_path / "feed")
    lines = (feed / "transactions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "\\.\n")  # line 4
    (feed / "transactions.csv").write_text("".join(lines), encoding="utf-8")
    with _database(target, "rw_loyalty_eod") as database:
        env = _env(target, tmp_path, database)
        with pytest.raises(
            LoadError, match=r"transactions.csv: line 4: expected 4 columns, found 1"
        ):
            load_feed.load_feed(feed_files(feed), target, settings=from_env(env))


@pytest.mark.parametrize("target", TARGETS)
def test_a_field_too_many_is_counted_alike_on_both_engines(
    fixture: Fixture, tmp_path: Path, target: str
) -> None:
    """Round 2, item 1: PostgreSQL said "expected 4 columns, found more" where DuckDB said
    "found 5"; both give the count now."""
    feed = fixture.write(tmp_path / "feed")
    lines = (feed / "transactions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",7\n"  # line 4
    (feed / "transactions.csv").write_text("".join(lines), encoding="utf-8")
    with _database(target, "rw_loyalty_count") as database:
        env = _env(target, tmp_path, database)
        with pytest.raises(
            LoadError, match=r"^transactions.csv: line 4: expected 4 columns, found 5$"
        ):
            load_feed.load_feed(feed_files(feed), target, settings=from_env(env))


def test_numbers_at_their_bounds_build_and_beyond_them_are_refused_at_load(
    tmp_path: Path,
) -> None:
    """Hostile round, item 3: a value of 18 digits (999999999999999999 cents) loaded and then
    failed the build ("Overflow in multiplication of DECIMAL(18)" in the earn rule of
    int_loyalty_transactions_classified). Money and points now have load-time bounds (vars
    loyalty_feed_max_abs_*), and values at the bounds build through the feed's marts."""
    feed = tmp_path / "feed"
    feed.mkdir()
    most = 1_000_000_000
    (feed / "customers.csv").write_text(
        "id,signup_date,number_of_purchases,value_of_purchases,total_standard_points,"
        f"total_points_redeemed\n1,2020-01-01,2147483647,{most},-{most},{most}\n2,2020-01-01,,,,\n",
        encoding="utf-8",
    )
    transactions = (
        "user_id,date,value,point_differential\n"
        f"1,2020-01-15,{most},{most}\n1,2020-02-15,-{most},-{most}\n2,2020-03-01,{most},-{most}\n"
    )
    (feed / "transactions.csv").write_text(transactions, encoding="utf-8")
    env = _env("duckdb", tmp_path, "unused")
    _load(env, "duckdb", feed)
    paths = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    selection = [f"+{mart}" for mart in FEED_MARTS]
    run_command([str(BIN / "dbt"), "build", "--select", *selection, *paths], env)

    (feed / "transactions.csv").write_text(
        transactions + "2,2020-03-02,999999999999999999,1\n", encoding="utf-8"
    )
    refused = _load(env, "duckdb", feed, ok=(2,))
    assert (
        "transactions.csv: line 5, column value: '999999999999999999' is out of range "
        "(at most 1,000,000,000 either way; see var loyalty_feed_max_abs_cents"
    ) in refused.stderr
