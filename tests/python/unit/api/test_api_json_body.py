"""JSON bodies that are not one readable JSON value, and objects with a key twice (hostile
round 5, findings 7 and 8): 422 with field ``body`` and the cause, on both POST endpoints;
a Content-Encoding is 415."""

from __future__ import annotations

import gzip
import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from test_api import assert_error, history

from retail_warehouse.api.app import UnreadableBody, _json_batch

JSON = {"content-type": "application/json"}
INVOICE = '{"invoice_id": "1", "invoice_date": "2011-12-01", "product_amount": 1.5}'


def _score_body(invoice: str) -> str:
    return '{"history": [' + invoice + "]}"


def _batch_body(invoice: str) -> str:
    return '{"customers": [{"customer_id": 1, "history": [' + invoice + "]}]}"


BODIES = {"/score": _score_body, "/score/batch": _batch_body}


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize(
    "invoice",
    [
        # the last value won: 99,999 was scored
        INVOICE[:-1] + ', "product_amount": 99999}',
        INVOICE[:-1] + ', "invoice_id": "1"}',  # the same value twice is refused too
        # the second spelled with an escape: the same key once read
        INVOICE[:-1] + ', "product\\u005famount": 99999}',
    ],
)
def test_a_key_twice_in_one_object_is_refused(client: TestClient, path: str, invoice: str) -> None:
    body = BODIES[path](invoice)
    error = assert_error(client.post(path, content=body, headers=JSON), 422, "body")
    assert error["error"] == "invalid_input"
    assert "appears twice in one object" in error["message"]
    assert "'product_amount'" in error["message"] or "'invoice_id'" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        '{"customers": [{"customer_id": 1, "customer_id": 2, "history": [' + INVOICE + "]}]}",
        '{"customers": [], "customers": [{"customer_id": 1, "history": [' + INVOICE + "]}]}",
    ],
)
def test_a_batch_key_twice_is_refused_at_every_level(client: TestClient, body: str) -> None:
    error = assert_error(client.post("/score/batch", content=body, headers=JSON), 422, "body")
    assert "appears twice" in error["message"]


def test_key_names_as_values_are_not_repeated_keys(client: TestClient) -> None:
    """The batch's cheap check counts the keys' names in the text: a value spelled like a
    key (and a value with an escape) sends it to the exact check, which finds nothing."""
    invoices = history(17)
    invoices[0]["invoice_id"] = "product_amount"
    invoices[1]["invoice_id"] = "caf\u00e9"
    body = json.dumps({"customers": [{"customer_id": 17, "history": invoices}]})
    assert "\\u00e9" in body
    response = client.post("/score/batch", content=body, headers=JSON)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"\xff", "body: not UTF-8 (byte 1)"),
        (b'{"history": "\xe9"}', "body: not UTF-8 (byte 14)"),
        (gzip.compress(b'{"history": []}'), "body: gzip-compressed; send it uncompressed"),
        (b"hello", "body: not JSON at byte 1: Expecting value"),
        ('{"history": ["é", }'.encode(), "body: not JSON at byte 20: Expecting value"),
        (b"[" * 5000, "body: nested too deep"),
        (b'{"history": []} x', "body: not JSON at byte 17: Extra data"),
    ],
    ids=["ff", "latin1", "gzip", "hello", "byte-after-e-acute", "deep", "extra"],
)
def test_an_unreadable_body_says_why(
    client: TestClient, path: str, body: bytes, cause: str
) -> None:
    """hostile5, finding 8: these answered 400 "error" ("There was an error parsing the
    body") or 422 with field ``[0]``, without their cause."""
    error = assert_error(client.post(path, content=body, headers=JSON), 422, "body")
    assert error["error"] == "invalid_input"
    assert error["message"].startswith(cause), error["message"]


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize("encoding", ["gzip", "deflate", " GZIP "])
def test_a_content_encoding_is_415(client: TestClient, path: str, encoding: str) -> None:
    body = gzip.compress(BODIES[path](INVOICE).encode())
    headers = {**JSON, "content-encoding": encoding}
    error = assert_error(client.post(path, content=body, headers=headers), 415)
    assert "Content-Encoding 'gzip'" in error["message"] or "'deflate'" in error["message"]
    identity = {**JSON, "content-encoding": "identity"}
    response = client.post(path, content=BODIES[path](INVOICE), headers=identity)
    assert response.status_code in {200, 422}, response.text
    assert "Content-Encoding" not in response.text


KEYS = ("invoice_id", "invoice_date", "product_amount", "invoice_kind", "product_line_count")
VALUES: dict[str, str] = {
    "invoice_id": '"7"',
    "invoice_date": '"2011-12-01"',
    "product_amount": "2.5",
    "invoice_kind": '"sale"',
    "product_line_count": "3",
}


def _spelled(key: str, escaped: bool) -> str:
    """A key as JSON text, its first underscore maybe written as an escape."""
    return json.dumps(key) if not escaped else '"' + key.replace("_", "\\u005f", 1) + '"'


@st.composite
def objects(draw: st.DrawFn, fields: dict[str, str]) -> tuple[str, str | None]:
    """A JSON object of ``fields`` (name: JSON text) in any order, maybe with one key given
    twice (maybe spelled with an escape); and the repeated key, if any."""
    keys = draw(st.permutations(list(fields)))
    pairs = [(_spelled(key, draw(st.booleans())), fields[key]) for key in keys]
    repeated = None
    if draw(st.integers(0, 7)) == 0:
        repeated = draw(st.sampled_from(keys))
        pair = (_spelled(repeated, draw(st.booleans())), fields[repeated])
        pairs.insert(draw(st.integers(0, len(pairs))), pair)
    return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}", repeated


@st.composite
def batches(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A valid batch as JSON text, some of its objects with a key twice (invoice ids maybe
    spelled like keys), and the repeated keys."""
    repeated: list[str] = []
    customers = []
    for number in range(draw(st.integers(1, 3))):
        history = []
        for _ in range(draw(st.integers(1, 3))):
            fields = {key: VALUES[key] for key in KEYS[:3]}
            fields |= {key: VALUES[key] for key in KEYS[3:] if draw(st.booleans())}
            if draw(st.booleans()):
                fields["invoice_id"] = json.dumps(draw(st.sampled_from([*KEYS, "customers"])))
            invoice, key = draw(objects(fields))
            history.append(invoice)
            repeated += [key] if key else []
        customer, key = draw(
            objects({"customer_id": str(number), "history": "[" + ", ".join(history) + "]"})
        )
        customers.append(customer)
        repeated += [key] if key else []
    body, key = draw(objects({"customers": "[" + ", ".join(customers) + "]"}))
    repeated += [key] if key else []
    return body.encode(), repeated


@settings(max_examples=150, deadline=None, derandomize=True)
@given(batches())
def test_a_batch_with_a_key_twice_anywhere_is_refused(batch: tuple[bytes, list[str]]) -> None:
    """Any object of a batch (the batch, a customer, an invoice) with a key twice, however
    spelled, is refused naming a repeated key; a batch without one is read."""
    body, repeated = batch
    if not repeated:
        assert len(_json_batch(body).customers) >= 1
        return
    with pytest.raises(UnreadableBody) as refused:
        _json_batch(body)
    assert refused.value.status_code == 422
    assert any(f"the key '{key}' appears twice" in refused.value.detail for key in repeated)
