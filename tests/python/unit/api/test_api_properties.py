"""Property-based tests (Hypothesis) of the API's request models and CSV batch reader:
generated bodies are either scored, and then exactly as the same invoices in JSON, or
refused with a 4xx naming the line or field; never a server error (the test client raises
one).

The invoices are drawn from values both valid and not (dates around the accepted range and
the build's as-of date, amounts past the limits, unknown kinds, negative counts, odd
customer numbers, ids with commas, quotes and line breaks) and written as JSON and as CSV
(columns in any order, optional ones left out, padded fields, CRLF, blank lines)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_warehouse.api.app import create_app
from retail_warehouse.api.snapshot import WarehouseSource

CSV = {"content-type": "text/csv"}
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)
"""Each example scores once or twice (about 0.1 s each); a few seconds per test."""
CSV_FIELD = re.compile(r"^(header|body|line [0-9]+(, column [a-z_]+)?)$")
JSON_FIELD = re.compile(
    r"^customers(\[[0-9]+\](\.customer_id|\.history(\[[0-9]+\](\.[a-z_]+)?)?)?)?$"
)
SCORE_FIELD = re.compile(r"^(body|customer_id|history(\[[0-9]+\](\.[a-z_]+)?)?)$")
OPTIONAL = ("invoice_kind", "product_line_count")


@pytest.fixture(scope="module")
def api(warehouse_file: Path) -> Iterator[TestClient]:
    source = WarehouseSource(target="duckdb", duckdb_path=warehouse_file, check_seconds=3600)
    with TestClient(create_app(source)) as client:
        yield client


ids = st.text(
    alphabet=st.sampled_from("0123456789ABCxyz-/ ,\"'\n\t\r;é"), min_size=1, max_size=12
).map(str.strip)
dates = st.one_of(
    st.dates(dt.date(2010, 1, 1), dt.date(2012, 1, 3)),  # the synthetic build's history
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.sampled_from([dt.date(1991, 12, 31), dt.date(1992, 1, 1), dt.date(2012, 1, 4)]),
)
amounts = st.one_of(
    st.floats(-1e4, 1e4, allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**13), 10**13),
)
hostile_invoices = st.fixed_dictionaries(
    {
        "customer_id": st.one_of(st.integers(0, 6), st.sampled_from([-1, 2**31 - 1, 2**31])),
        "invoice_id": ids,
        "invoice_date": dates,
        "product_amount": amounts,
        "invoice_kind": st.sampled_from([None, "sale", "cancellation", "adjustment", "refund"]),
        "product_line_count": st.one_of(st.none(), st.integers(-2, 100_001)),
    }
)
plain_invoices = st.fixed_dictionaries(
    {
        "customer_id": st.integers(0, 6),
        "invoice_id": ids.filter(bool),
        "invoice_date": st.dates(dt.date(2010, 1, 1), dt.date(2012, 1, 3)),
        "product_amount": st.floats(-1e4, 1e4, allow_nan=False),
        "invoice_kind": st.sampled_from([None, "sale", "cancellation", "adjustment"]),
        "product_line_count": st.one_of(st.none(), st.integers(0, 100)),
    }
)
invoices = st.one_of(plain_invoices, hostile_invoices)


def _with_one(rows: list[dict[str, Any]], extra: dict[str, Any] | None, at: int) -> list[Any]:
    return rows if extra is None else [*rows[:at], extra, *rows[at:]]


batches = st.builds(
    _with_one,
    st.lists(plain_invoices, min_size=1, max_size=5),
    st.one_of(st.none(), hostile_invoices),
    st.integers(0, 5),
)
"""A few plausible invoices and at most one hostile one, so that about half the batches
are scored."""


def json_batch(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows as a JSON batch: one entry per customer (in order of first appearance)."""
    histories: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        invoice = {
            "invoice_id": row["invoice_id"],
            "invoice_date": row["invoice_date"].isoformat(),
            "product_amount": row["product_amount"],
        }
        invoice.update({name: row[name] for name in OPTIONAL if row[name] is not None})
        histories.setdefault(row["customer_id"], []).append(invoice)
    return {
        "customers": [{"customer_id": key, "history": value} for key, value in histories.items()]
    }


def csv_text(rows: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    """The rows as CSV, laid out as ``layout`` says."""
    columns = ["customer_id", "invoice_id", "invoice_date", "product_amount"]
    columns += [name for name in OPTIONAL if layout[name] or any(row[name] for row in rows)]
    columns = [columns[index] for index in layout["order"](len(columns))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=layout["newline"])
    writer.writerow(columns)
    for number, row in enumerate(rows):
        values = []
        for name in columns:
            value = row[name]
            if value is None:
                text = ""
            elif isinstance(value, dt.date):
                text = value.isoformat()
            else:
                # as a source file writes numbers: no exponent (the loader refuses one)
                text = positional(value) if isinstance(value, float) else str(value)
            values.append(f" {text} " if layout["padded"] and name != "invoice_id" else text)
        writer.writerow(values)
        if number in layout["blank_after"]:
            out.write(layout["newline"])
    return out.getvalue()


def positional(value: float) -> str:
    """A float in the fewest digits that read back as it, without an exponent."""
    return str(np.format_float_positional(value, trim="-"))


def blank_line_between(rows: list[dict[str, Any]], layout: dict[str, Any]) -> bool:
    """Whether ``csv_text`` writes a blank line between two lines (refused, as the loader
    refuses it; blank lines at the end are not)."""
    return any(number < len(rows) - 1 for number in layout["blank_after"])


def orders(draw: st.DrawFn) -> Any:
    permutation = draw(st.permutations(range(6)))
    return lambda count: [index for index in permutation if index < count]


layouts = st.fixed_dictionaries(
    {
        "order": st.composite(orders)(),
        "newline": st.sampled_from(["\n", "\r\n"]),
        "padded": st.booleans(),
        "blank_after": st.sets(st.integers(0, 5), max_size=2),
        "invoice_kind": st.booleans(),
        "product_line_count": st.booleans(),
    }
)


def assert_refused(response: Any, pattern: re.Pattern[str]) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["field"] is not None and pattern.match(body["field"]), body
    assert body["message"].startswith(body["field"]) or body["field"] == "body", body


@SETTINGS
@given(rows=batches, layout=layouts)
def test_csv_is_scored_as_the_same_json_or_refused(
    api: TestClient, rows: list[dict[str, Any]], layout: dict[str, Any]
) -> None:
    as_json = api.post("/score/batch", json=json_batch(rows))
    as_csv = api.post("/score/batch", content=csv_text(rows, layout).encode(), headers=CSV)
    if blank_line_between(rows, layout):
        assert_refused(as_csv, CSV_FIELD)
    elif as_json.status_code == 200:
        assert as_csv.status_code == 200, (as_csv.text, rows)
        assert as_csv.json() == as_json.json()
    else:
        assert_refused(as_json, JSON_FIELD)
        assert_refused(as_csv, CSV_FIELD)


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(),
    st.text(max_size=12),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.lists(st.integers(), max_size=2),
)
raw_invoices = st.dictionaries(
    st.sampled_from(
        [
            *("invoice_id", "invoice_date", "product_amount", "invoice_kind"),
            *("product_line_count", "customer_id", "colour"),
        ]
    ),
    json_values,
    max_size=6,
)


@SETTINGS
@given(
    invoice_list=st.lists(
        st.one_of(invoices.map(lambda row: json_batch([row])), raw_invoices), max_size=4
    ),
    customer_id=st.one_of(st.none(), st.integers(-1, 2**31), st.text(max_size=3)),
)
def test_score_requests_are_scored_as_a_batch_or_refused(
    api: TestClient, invoice_list: list[dict[str, Any]], customer_id: Any
) -> None:
    """/score with any history: scored as the same history in a batch, or refused naming
    the field."""
    history = [
        entry["customers"][0]["history"][0] if "customers" in entry else entry
        for entry in invoice_list
    ]
    body: dict[str, Any] = {"history": history}
    if customer_id is not None:
        body["customer_id"] = customer_id
    text = json.dumps(body)  # NaN and Infinity as JavaScript writes them
    single = api.post("/score", content=text, headers={"content-type": "application/json"})
    if single.status_code != 200:
        assert_refused(single, SCORE_FIELD)
        return
    batch = {"customers": [{"customer_id": customer_id or 0, "history": history}]}
    scored = api.post("/score/batch", content=json.dumps(batch))
    assert scored.status_code == 200, scored.text
    assert scored.json()["items"] == [{**single.json(), "customer_id": customer_id or 0}]


HEADERS = [
    "",
    "customer_id,invoice_id,invoice_date,product_amount\n",
    "customer_id,customer_id,invoice_id,invoice_date,product_amount\n",
    "customer_id,invoice_id,invoice_date,product_amount,colour\n",
    "\ufeffcustomer_id,invoice_id,invoice_date,product_amount,invoice_kind\r\n",
]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    header=st.sampled_from(HEADERS),
    text=st.text(alphabet=st.sampled_from('ab1,"\n\r \t.-e\x00é'), max_size=80),
)
def test_any_csv_text_is_scored_or_refused_with_its_line(
    api: TestClient, header: str, text: str
) -> None:
    response = api.post("/score/batch", content=(header + text).encode(), headers=CSV)
    if response.status_code != 200:
        assert_refused(response, CSV_FIELD)
