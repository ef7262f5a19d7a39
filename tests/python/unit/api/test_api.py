"""Every endpoint and error of the API, with FastAPI's test client over a synthetic DuckDB
warehouse (conftest.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
from api_warehouse import customer_rows, write_warehouse
from fastapi.testclient import TestClient

from retail_warehouse.api.app import create_app, openapi_document
from retail_warehouse.api.schemas import MAX_BATCH_CUSTOMERS
from retail_warehouse.api.snapshot import WarehouseSource
from retail_warehouse.settings import PostgresSettings

REPO = Path(__file__).resolve().parents[4]
OPENAPI = REPO / "docs" / "openapi.json"


def history(customer_id: int) -> list[dict[str, object]]:
    """A customer's invoices as JSON records."""
    return [
        {
            "invoice_id": row["invoice_id"],
            "invoice_date": row["invoice_date"].isoformat(),
            "product_amount": float(row["product_amount"]),
            "invoice_kind": row["invoice_kind"],
            "product_line_count": row["product_line_count"],
        }
        for row in customer_rows()
        if row["customer_id"] == customer_id
    ]


def assert_error(response, status: int, field: str | None = None, text: str = "") -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "error", "message", "field"}
    assert body["status"] == status
    assert text in body["message"]
    if field is not None:
        assert body["field"] == field
    return body


def test_health_and_version(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["models_loaded"] is True
    assert health["customer_count"] == 58 and health["target"].startswith("duckdb ")
    # when and on what the models were trained: the registry's fit, through the last day
    assert health["models_trained_at"] and health["models_trained_through_date"]
    assert health["models_trained_through_date"] <= health["as_of_date"]
    version = client.get("/version").json()
    assert version["model_version"] == health["model_version"]
    assert version["package_version"] and version["api_version"]


def test_customer_profile(client: TestClient) -> None:
    profile = client.get("/customers/3").json()
    assert profile["customer_id"] == 3
    assert set(profile["rfm"]) >= {"r_score", "f_score", "m_score", "segment"}
    assert profile["cluster"]["cluster_id"] >= 1
    assert profile["loyalty_tier"] == "standard"
    assert_error(client.get("/customers/99999"), 404, text="customer 99999 is not")
    assert_error(client.get("/customers/abc"), 422, field="customer_id")
    assert_error(client.get("/customers/-1"), 422, field="customer_id")


def test_customer_list_pages_and_filters(client: TestClient) -> None:
    first = client.get("/customers", params={"limit": 10}).json()
    second = client.get("/customers", params={"limit": 10, "offset": 10}).json()
    assert first["total"] == 58 and len(first["items"]) == 10
    ids = [item["customer_id"] for item in first["items"] + second["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 20
    segment = first["items"][0]["rfm"]["segment"]
    filtered = client.get("/customers", params={"segment": segment, "limit": 500}).json()
    assert filtered["total"] >= 1
    assert {item["rfm"]["segment"] for item in filtered["items"]} == {segment}
    likely = client.get("/customers", params={"min_probability": 0.5, "limit": 500}).json()
    assert all(item["prediction"]["purchase_probability"] >= 0.5 for item in likely["items"])
    assert client.get("/customers", params={"segment": "nobody"}).json()["total"] == 0
    assert_error(client.get("/customers", params={"limit": 501}), 422, field="limit")
    assert_error(client.get("/customers", params={"min_probability": 2}), 422, "min_probability")


def test_segments(client: TestClient) -> None:
    body = client.get("/segments").json()
    assert [row["segment"] for row in body["rfm_segments"]] == ["Champions", "Hibernating"]
    assert body["rfm_segments"][1]["mean_recency_days"] is None
    assert [row["cluster_id"] for row in body["clusters"]] == list(
        range(1, len(body["clusters"]) + 1)
    )


def test_forecast(client: TestClient) -> None:
    body = client.get("/forecast").json()
    assert [series["series"] for series in body["series"]] == ["total", "GB"]
    assert all(len(series["weeks"]) == 4 for series in body["series"])
    two = client.get("/forecast", params={"series": "GB", "weeks": 2}).json()
    assert [week["week_ahead"] for week in two["series"][0]["weeks"]] == [1, 2]
    assert_error(client.get("/forecast", params={"series": "XX"}), 404, "series", "total, GB")
    assert_error(client.get("/forecast", params={"weeks": 0}), 422, field="weeks")
    # hostile round 3: unknown names were echoed whole (5,000 characters, line breaks)
    names = ["x" * 5000, "a\nb", "c", "d"]
    body = assert_error(client.get("/forecast", params={"series": names}), 404, "series")
    assert body["message"] == (
        f"no forecast series '{'x' * 40}...', 'a\\nb', 'c' and 1 more; there are: total, GB"
    )


def test_score_a_customer_as_the_profile_says(client: TestClient) -> None:
    for customer_id in (3, 17, 42):
        profile = client.get(f"/customers/{customer_id}").json()
        score = client.post(
            "/score", json={"customer_id": customer_id, "history": history(customer_id)}
        ).json()
        assert score["customer_id"] == customer_id
        assert score["rfm"] == profile["rfm"]
        assert score["cluster"] == profile["cluster"]
        assert score["prediction"] == profile["prediction"]


def test_score_rejects_bad_histories(client: TestClient) -> None:
    good = {"invoice_id": "1", "invoice_date": "2011-01-03", "product_amount": 10.0}
    assert_error(client.post("/score", json={"history": []}), 422, field="history")
    missing = {"history": [good, {"invoice_id": "2", "product_amount": 1}]}
    assert_error(client.post("/score", json=missing), 422, field="history[1].invoice_date")
    extra = {"history": [{**good, "colour": "red"}]}
    assert_error(client.post("/score", json=extra), 422, field="history[0].colour")
    late = {"history": [{**good, "invoice_date": "2030-01-01"}]}
    assert_error(client.post("/score", json=late), 422, "history[0].invoice_date", "as-of date")
    twice = {"history": [good, good]}
    assert_error(client.post("/score", json=twice), 422, "history[1].invoice_id", "twice")
    kind = {"history": [{**good, "invoice_kind": "refund"}]}
    assert_error(client.post("/score", json=kind), 422, field="history[0].invoice_kind")
    assert_error(
        client.post("/score", content=b"{", headers={"content-type": "application/json"}), 422
    )


def test_batch_scoring_json_and_csv_agree(client: TestClient) -> None:
    ids = [3, 17, 42]
    payload = {"customers": [{"customer_id": i, "history": history(i)} for i in ids]}
    scored = client.post("/score/batch", json=payload).json()
    assert scored["count"] == 3 and [item["customer_id"] for item in scored["items"]] == ids
    lines = ["customer_id,invoice_id,invoice_date,product_amount,invoice_kind,product_line_count"]
    for i in ids:
        for row in history(i):
            lines.append(
                f"{i},{row['invoice_id']},{row['invoice_date']},{row['product_amount']},"
                f"{row['invoice_kind']},{row['product_line_count']}"
            )
    csv_scored = client.post(
        "/score/batch", content="\n".join(lines) + "\n", headers={"content-type": "text/csv"}
    ).json()
    assert csv_scored == scored
    single = client.post("/score", json={"customer_id": 17, "history": history(17)}).json()
    assert scored["items"][1] == single


def test_batch_errors(client: TestClient) -> None:
    one = {"customer_id": 1, "history": [{"invoice_id": "a", "invoice_date": "2011-01-03"}]}
    assert_error(
        client.post("/score/batch", json={"customers": [one]}),
        422,
        field="customers[0].history[0].product_amount",
    )
    entry = {"customer_id": 1, "history": history(3)}
    assert_error(
        client.post("/score/batch", json={"customers": [entry, entry]}),
        422,
        field="customers[1].customer_id",
    )
    many = {"customers": [{**entry, "customer_id": i} for i in range(MAX_BATCH_CUSTOMERS + 1)]}
    assert_error(client.post("/score/batch", json=many), 422, field="customers")
    csv = (
        "customer_id,invoice_id,invoice_date,product_amount\n1,a,2011-01-03,10\n2,b,2011-01-04,x\n"
    )
    headers = {"content-type": "text/csv"}
    assert_error(
        client.post("/score/batch", content=csv, headers=headers),
        422,
        field="line 3, column product_amount",
    )
    no_amount = "customer_id,invoice_id,invoice_date\n1,a,2011-01-03\n"
    assert_error(
        client.post("/score/batch", content=no_amount, headers=headers),
        422,
        "header",
        "the column product_amount is missing",
    )
    assert_error(client.post("/score/batch", content="", headers=headers), 422)
    assert_error(
        client.post("/score/batch", content="x", headers={"content-type": "text/plain"}), 415
    )


def test_unknown_paths_and_methods_are_json(client: TestClient) -> None:
    assert_error(client.get("/nowhere"), 404)
    assert_error(client.delete("/customers/3"), 405)


def test_a_key_beyond_ascii_is_accepted_as_utf8(
    warehouse_file: Path, make_client: Callable[..., TestClient]
) -> None:
    # RW_API_KEY="ключ-k" refused every request, the right key (sent as UTF-8) included.
    client = make_client(warehouse_file, api_key="ключ-k")
    assert client.get("/customers/3", headers={"X-API-Key": "ключ-k".encode()}).status_code == 200
    assert_error(client.get("/customers/3", headers={"X-API-Key": "ключ-x".encode()}), 401)
    assert_error(client.get("/customers/3", headers={"X-API-Key": b"\xff"}), 401)


def test_api_key_when_set(warehouse_file: Path, make_client: Callable[..., TestClient]) -> None:
    client = make_client(warehouse_file, api_key="s3cret")
    assert_error(client.get("/customers/3"), 401, text="X-API-Key")
    assert_error(client.get("/customers/3", headers={"X-API-Key": "wrong"}), 401)
    assert client.get("/customers/3", headers={"X-API-Key": "s3cret"}).status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/version").status_code == 200


def test_an_id_of_too_many_digits_says_so(
    warehouse_file: Path, make_client: Callable[..., TestClient]
) -> None:
    """hostile7: `/customers/<26 digits>` said "a whole number is required (digits only)"
    of an id that is digits only."""
    client = make_client(warehouse_file)
    answer = client.get("/customers/" + "0" * 20 + "12353")
    assert_error(answer, 422, text="at most 19 digits is required, not 25")
    assert_error(client.get("/customers/12353.0"), 422, text="(digits only)")


def test_spaces_around_the_sent_key_are_not_part_of_it(
    warehouse_file: Path, make_client: Callable[..., TestClient]
) -> None:
    """hostile7: HTTP says the spaces around a header's value are not part of it, and
    uvicorn's parser drops the leading ones only: `X-API-Key: s3cret ` was 401. (A key
    with such spaces is refused at start, so none is lost.)"""
    client = make_client(warehouse_file, api_key="s3cret")
    for sent in (b"s3cret ", b"s3cret\t", b" s3cret \t "):
        assert client.get("/customers/3", headers={"X-API-Key": sent}).status_code == 200
    assert_error(client.get("/customers/3", headers={"X-API-Key": b"s3 cret"}), 401)


def test_the_key_is_checked_before_the_body_is_read(
    warehouse_file: Path, make_client: Callable[..., TestClient]
) -> None:
    """hostile5: a body that is not JSON (or not UTF-8) was parsed before the key was
    checked, so a client without the key got 422 or 400; 401 comes first of all."""
    client = make_client(warehouse_file, api_key="s3cret")
    json_type = {"content-type": "application/json"}
    for body in (b"[[[[", b"hello", b"\xff", b'{"history": []}'):
        for path in ("/score", "/score/batch"):
            response = client.post(path, content=body, headers=json_type)
            assert_error(response, 401, text="X-API-Key")
    assert_error(
        client.post("/score/batch", content=b"x", headers={"content-type": "text/csv"}), 401
    )
    assert_error(client.get("/customers/x"), 401)
    assert_error(client.get("/customers?limit=-1"), 401)
    assert_error(client.get("/no/such/path"), 404)
    keyed = {**json_type, "X-API-Key": "s3cret"}
    assert_error(client.post("/score", content=b"[[[[", headers=keyed), 422)


def test_not_built_is_503(tmp_path: Path, make_client: Callable[..., TestClient]) -> None:
    client = make_client(tmp_path / "missing.duckdb")
    body = assert_error(client.get("/customers/3"), 503, text="not built")
    assert body["error"] == "unavailable"
    response = client.get("/health")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert client.get("/version").status_code == 200
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert_error(make_client(empty).get("/segments"), 503, text="ml.ml_model_registry")


def test_bad_input_is_422_even_when_not_built(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    """Round 2, item 3: the request is validated first (422 with its field, 415 for another
    media type), then 503 when there is no warehouse to answer it."""
    client = make_client(tmp_path / "missing.duckdb")
    assert_error(client.get("/customers/x"), 422)
    assert_error(client.get("/customers?limit=0"), 422)
    assert_error(client.get("/forecast?weeks=0"), 422)
    assert_error(client.post("/score", json={"history": "x"}), 422)
    assert_error(client.post("/score/batch", json={"customers": "x"}), 422)
    csv_body = {"content": b"customer_id,invoice_id\n1,2,3\n", "headers": CSV_TYPE}
    assert_error(client.post("/score/batch", **csv_body), 422)
    assert_error(client.post("/score/batch", content=b"x", headers=TEXT_TYPE), 415)
    assert_error(client.get("/customers?limit=5"), 503, text="not built")
    assert_error(client.get("/forecast?weeks=2"), 503, text="not built")
    assert_error(client.post("/score", json={"history": history(2)}), 503, text="not built")
    batch = {"customers": [{"customer_id": 1, "history": history(2)}]}
    assert_error(client.post("/score/batch", json=batch), 503, text="not built")


CSV_TYPE = {"content-type": "text/csv"}
TEXT_TYPE = {"content-type": "text/plain"}


def test_score_takes_json_only(client: TestClient) -> None:
    """Issue 27: POST /score with another media type answered 422 (FastAPI left the body
    unread and said "Input should be a valid dictionary"); it is 415, as /score/batch
    answers. Without a Content-Type FastAPI reads no JSON either: 415 too."""
    body = json.dumps({"history": history(2)}).encode()
    for media_type in ("text/plain", "text/csv", "application/x-www-form-urlencoded", None):
        headers = {"content-type": media_type} if media_type else {}
        error = assert_error(client.post("/score", content=body, headers=headers), 415)
        assert error["error"] == "unsupported_media_type"
    for media_type in ("application/json; charset=utf-8", "application/vnd.api+json"):
        response = client.post("/score", content=body, headers={"content-type": media_type})
        assert response.status_code == 200, response.text
    assert_error(client.post("/score", json={"history": "x"}), 422)  # JSON, judged on it


def test_head_health_is_200_without_a_body(client: TestClient) -> None:
    """Issue 27: HEAD /health answered 405; monitors probe with HEAD."""
    response = client.head("/health")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"] == "application/json"


def test_a_customer_id_is_a_whole_number(client: TestClient) -> None:
    """Issue 27: /customers/12353.0 answered 200 with customer 12353. Customer ids are whole
    numbers in the sources ("13085" in Online Retail II, TPC-H's keys) and integers in the
    warehouse: anything but digits is 422."""
    customer_id = client.get("/customers?limit=1").json()["items"][0]["customer_id"]
    assert client.get(f"/customers/{customer_id}").status_code == 200
    for text in (
        f"{customer_id}.0",
        f"{customer_id}.5",
        f"+{customer_id}",
        f"{customer_id}e0",
        " 1",
    ):
        assert_error(client.get(f"/customers/{text}"), 422, field="customer_id")


def test_an_unreachable_postgres_is_503_not_a_hang() -> None:
    postgres = PostgresSettings(host="127.0.0.1", port=_closed_port(), user="bi_reader")
    client = TestClient(create_app(WarehouseSource(target="postgres", postgres=postgres)))
    started = time.monotonic()
    body = assert_error(client.get("/customers/3"), 503, text="not reachable as bi_reader")
    assert body["error"] == "unavailable" and time.monotonic() - started < 15
    assert client.get("/version").status_code == 200


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_build_holding_the_file_keeps_the_served_build_not_a_hang(
    warehouse_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse_file, path)
    source = WarehouseSource(target="duckdb", duckdb_path=path, check_seconds=0)
    client = TestClient(create_app(source))
    assert client.get("/health").json()["reload_error"] is None
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "c.execute('create table marts.building (x integer)'); print('held', flush=True); "
            "time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        assert client.get("/customers/3").status_code == 200
        assert source.wait_for_reload(5) and time.monotonic() - started < 5
        assert client.get("/customers/3").status_code == 200
        assert "being rebuilt" in client.get("/health").json()["reload_error"]
    finally:
        holder.kill()
        holder.wait()
    client.get("/health")
    assert source.wait_for_reload(5)
    assert client.get("/customers/3").status_code == 200
    assert client.get("/health").json()["reload_error"] is None
    client.close()


def test_a_swapped_in_build_is_served(warehouse_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse_file, path)
    source = WarehouseSource(target="duckdb", duckdb_path=path, check_seconds=0)
    client = TestClient(create_app(source))
    assert client.get("/customers/3").status_code == 200
    new = tmp_path / "warehouse.duckdb.new"
    shutil.copy(warehouse_file, new)
    connection = duckdb.connect(str(new))
    connection.execute("delete from marts.dim_customers where customer_id = 3")
    connection.close()
    os.replace(new, path)
    assert source.refresh_if_changed() is True
    assert_error(client.get("/customers/3"), 404)
    assert client.get("/health").json()["customer_count"] == 57
    client.close()


def test_models_of_another_version_are_refused_with_503(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    path = tmp_path / "old.duckdb"
    write_warehouse(path, model_version="ml-0.0.1")
    client = make_client(path)
    health = client.get("/health").json()
    assert health["models_loaded"] is False and "ml-0.0.1" in health["models_message"]
    assert_error(client.post("/score", json={"history": history(3)}), 503, text="ml-0.0.1")
    assert client.get("/customers/3").status_code == 200


def test_the_api_never_writes_the_warehouse(warehouse_file: Path, client: TestClient) -> None:
    before = hashlib.sha256(warehouse_file.read_bytes()).hexdigest()
    client.get("/customers/3")
    client.post("/score", json={"history": history(3)})
    client.get("/segments")
    assert hashlib.sha256(warehouse_file.read_bytes()).hexdigest() == before


def test_openapi_document_is_current() -> None:
    """docs/openapi.json is the served document; regenerate it with
    `python -m retail_warehouse.api.openapi > docs/openapi.json`."""
    app = create_app(WarehouseSource(target="duckdb"))
    assert OPENAPI.read_text() == openapi_document(app), "docs/openapi.json is out of date"
