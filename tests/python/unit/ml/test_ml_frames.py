"""Unit tests for retail_warehouse.ml.frames."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from ml_invoices import invoice

from retail_warehouse.ml.frames import (
    INVOICE_COLUMNS,
    day_number,
    from_day_number,
    last_day,
    parse_int,
    prepare_invoices,
    relation_to_pandas,
)


class _DuckRelation:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def df(self) -> pd.DataFrame:
        return self.frame


class _PybridgeFrame:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def as_dataframe(self) -> pd.DataFrame:
        return self.frame


class _SparkFrame:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def toPandas(self) -> pd.DataFrame:
        return self.frame


def test_relation_to_pandas_on_each_adapter() -> None:
    frame = pd.DataFrame({"a": [1]})
    assert relation_to_pandas(frame) is frame
    assert relation_to_pandas(_DuckRelation(frame)) is frame
    assert relation_to_pandas(_PybridgeFrame(frame)) is frame
    assert relation_to_pandas(_SparkFrame(frame)) is frame
    with pytest.raises(TypeError):
        relation_to_pandas([1, 2])


def test_decimal_and_float_money_give_identical_frames() -> None:
    rows = [invoice("2", 1, 3, 10.125), invoice("1", 1, 0, 0.001), invoice("C3", 1, 4, -2.5)]
    from_decimal = prepare_invoices(pd.DataFrame(rows))
    as_float = pd.DataFrame(rows)
    as_float["product_amount"] = [float(value) for value in as_float["product_amount"]]
    as_float["invoice_date"] = pd.to_datetime(as_float["invoice_date"])
    pd.testing.assert_frame_equal(from_decimal, prepare_invoices(as_float))
    assert from_decimal["product_milli"].tolist() == [1, 10125, -2500]
    assert from_decimal["invoice_id"].tolist() == ["1", "2", "C3"]


def test_row_order_of_the_engine_does_not_matter() -> None:
    rows = [invoice(str(i), i % 3 + 1, i, 10.0 + i) for i in range(10)]
    forward = prepare_invoices(pd.DataFrame(rows))
    backward = prepare_invoices(pd.DataFrame(rows[::-1]))
    pd.testing.assert_frame_equal(forward, backward)


def test_missing_column_is_reported() -> None:
    frame = pd.DataFrame([invoice("1", 1, 0, 1.0)]).drop(columns=["is_purchase"])
    with pytest.raises(ValueError, match="is_purchase"):
        prepare_invoices(frame)


def test_day_numbers_round_trip() -> None:
    date = dt.date(2011, 12, 9)
    assert from_day_number(day_number(date)) == date
    frame = prepare_invoices(pd.DataFrame([invoice("1", 1, 5, Decimal("1"))]))
    assert last_day(frame) == day_number(dt.date(2010, 1, 9))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("90", 90), (90, 90), ("4.0", 4), ("None", None), ("", None), (None, None), ("null", None)],
)
def test_parse_int(value: object, expected: int | None) -> None:
    assert parse_int(value, "x") == expected


def test_parse_int_default_and_errors() -> None:
    assert parse_int("none", "x", 3) == 3
    with pytest.raises(ValueError, match="x: expected an integer"):
        parse_int("ninety", "x")


class _Projecting:
    """An adapter relation that records the projection it is asked for."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.asked: object = None

    def _keep(self, columns: list[str]) -> pd.DataFrame:
        self.asked = columns
        return self.frame.loc[:, columns]


class _ProjectingDuck(_Projecting):
    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def dtypes(self) -> list[str]:
        return ["DECIMAL(18,3)" if name == "product_amount" else "OTHER" for name in self.columns]

    def project(self, projection: str) -> _DuckRelation:
        names = [item.split(" as ")[-1] for item in projection.split(", ")]
        return _DuckRelation(self._keep(names))

    def df(self) -> pd.DataFrame:
        return self.frame


class _WholePybridge(_Projecting):
    """dbt-pybridge: a projection's as_dataframe fails (its size check wants a table name)."""

    def select(self, projection: str) -> _PybridgeFrame:
        raise AssertionError("dbt-pybridge cannot load a projection")

    def as_dataframe(self) -> pd.DataFrame:
        return self.frame


class _ProjectingSpark(_Projecting):
    def select(self, *columns: str) -> _SparkFrame:
        return _SparkFrame(self._keep(list(columns)))

    def toPandas(self) -> pd.DataFrame:
        return self.frame


@pytest.mark.parametrize("adapter", [_ProjectingDuck, _ProjectingSpark])
def test_only_the_invoice_columns_are_read(adapter: type[_Projecting]) -> None:
    rows = [dict(invoice("1", 1, 0, 1.0), total_amount=1.0, last_load_id=7)]
    relation = adapter(pd.DataFrame(rows))
    invoices = prepare_invoices(relation_to_pandas(relation, INVOICE_COLUMNS))
    assert relation.asked == list(INVOICE_COLUMNS)
    pd.testing.assert_frame_equal(invoices, prepare_invoices(pd.DataFrame(rows)))


def test_days_are_day_numbers_from_dates_timestamps_and_zones() -> None:
    rows = [invoice("1", 1, 0, 1.0), invoice("2", 1, 400, 1.0)]
    expected = [day_number(row["invoice_date"]) for row in rows]
    frame = pd.DataFrame(rows)
    assert prepare_invoices(frame)["day"].tolist() == expected
    frame["invoice_date"] = pd.to_datetime(frame["invoice_date"]).dt.tz_localize("UTC")
    assert prepare_invoices(frame)["day"].tolist() == expected


def test_pybridge_tables_are_loaded_whole_and_cut_in_pandas() -> None:
    rows = [dict(invoice("1", 1, 0, 1.0), total_amount=1.0, last_load_id=7)]
    invoices = prepare_invoices(
        relation_to_pandas(_WholePybridge(pd.DataFrame(rows)), INVOICE_COLUMNS)
    )
    pd.testing.assert_frame_equal(invoices, prepare_invoices(pd.DataFrame(rows)))


def test_duckdb_invoices_through_arrow_equal_those_through_df() -> None:
    """DuckDB projections come through Arrow (strings in Arrow buffers, decimals cast to
    double in DuckDB): the prepared frame is the one ``.df()`` gives, value for value, sorted
    by invoice_id as text."""
    duckdb = pytest.importorskip("duckdb")
    connection = duckdb.connect()
    connection.execute(
        "create table fct_invoices as select * from (values "
        "('10', 7, 'GB', 'sale', 2, 10.125::decimal(18, 3), true, false, date '2011-01-02', 1),"
        "('C11', null, 'FR', 'cancellation', 1, -0.001::decimal(18, 3), false, true,"
        " date '2011-03-04', 2),"
        "('9', 8, 'GB', 'adjustment', 0, 0.300::decimal(18, 3), false, false,"
        " date '2010-12-31', 3)"
        ") as t(invoice_id, customer_id, country_code, invoice_kind, product_line_count,"
        " product_amount, is_purchase, is_cancellation, invoice_date, last_load_id)"
    )
    through_arrow = prepare_invoices(
        relation_to_pandas(connection.table("fct_invoices"), INVOICE_COLUMNS)
    )
    through_df = prepare_invoices(connection.table("fct_invoices").df())
    pd.testing.assert_frame_equal(through_arrow, through_df)
    assert through_arrow["product_milli"].tolist() == [10125, 300, -1]
    assert through_arrow["customer_id"].isna().tolist() == [False, False, True]
