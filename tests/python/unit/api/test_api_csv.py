"""CSV batches (POST /score/batch, text/csv) are read as a table with one header: a repeated
or unknown column, a line with too many or too few fields, an empty required value are
refused with the line and the cause, and each line is checked by the model of a JSON
invoice."""

from __future__ import annotations

from fastapi.testclient import TestClient
from test_api import assert_error, history

HEADER = "customer_id,invoice_id,invoice_date,product_amount"
CSV = {"content-type": "text/csv"}


def post_csv(client: TestClient, text: str | bytes):
    return client.post("/score/batch", content=text, headers=CSV)


def test_a_repeated_column_is_refused(client: TestClient) -> None:
    text = "customer_id,customer_id,invoice_id,invoice_date,product_amount\n3,4,a,2011-01-03,10\n"
    assert_error(post_csv(client, text), 422, "header", "header: column customer_id appears twice")


def test_a_line_with_extra_or_missing_fields_is_refused(client: TestClient) -> None:
    extra = f"{HEADER},invoice_kind\n3,a,2011-01-03,10,sale\n3,b,2011-01-04,10,sale,extra,more\n"
    assert_error(post_csv(client, extra), 422, "line 3", "line 3: expected 5 columns, found 7")
    first = f"{HEADER}\n3,a,2011-01-03,10,extra,more\n"
    assert_error(post_csv(client, first), 422, "line 2", "line 2: expected 4 columns, found 6")
    short = f"{HEADER}\n3,a,2011-01-03,10\n\n3,b,2011-01-04\n"
    assert_error(post_csv(client, short), 422, "line 4", "line 4: expected 4 columns, found 3")


def test_lines_are_counted_as_in_the_file(client: TestClient) -> None:
    """A quoted amount over two lines (the line break is trimmed, as spaces are; a line break
    inside an invoice id is refused) and a blank line: the error names the line of the
    file."""
    text = f'{HEADER}\n3,a,2011-01-03,"10\n"\n\n3,c,2011-01-04,x\n'
    body = assert_error(post_csv(client, text), 422, "line 5, column product_amount")
    assert body["message"].startswith("line 5, column product_amount: ")


def test_unknown_columns_and_empty_values_are_refused(client: TestClient) -> None:
    colour = f"{HEADER},colour\n3,a,2011-01-03,10,red\n"
    assert_error(post_csv(client, colour), 422, "header", "header: column 'colour' is not one of")
    empty = f"{HEADER}\n3,a,2011-01-03,10\n3, ,2011-01-04,10\n"
    assert_error(post_csv(client, empty), 422, "line 3, column invoice_id", "the value is empty")
    kind = f"{HEADER},invoice_kind\n3,a,2011-01-03,10,refund\n"
    assert_error(post_csv(client, kind), 422, "line 2, column invoice_kind")
    customer = f"{HEADER}\n-3,a,2011-01-03,10\n"
    assert_error(post_csv(client, customer), 422, "line 2, column customer_id")


def test_text_that_is_not_utf8_is_refused_with_its_column(client: TestClient) -> None:
    """Hostile round 27, item 16: the error named the line but not the column."""
    body = f"{HEADER}\n3,a,2011-01-03,10\n3,\xe9,2011-01-04,10\n".encode("latin-1")
    assert_error(post_csv(client, body), 422, "line 3, column invoice_id", "not UTF-8")
    quoted = f'{HEADER}\n3,"a,\nb",2011-01-03,10\n3,b,2011-01-04,1\xe90\n'.encode("latin-1")
    assert_error(post_csv(client, quoted), 422, "line 4, column product_amount", "not UTF-8")
    header = "customer_id,invoice_id,invoice_d\xe9te\n".encode("latin-1")
    assert_error(post_csv(client, header), 422, "line 1, header", "not UTF-8")


def test_nul_and_control_characters_in_an_invoice_id_are_refused(client: TestClient) -> None:
    """Hostile round 27, item 16: a NUL byte in invoice_id was accepted."""
    for text in ("a\x00b", "a\x1b[31mb"):
        body = f"{HEADER}\n3,{text},2011-01-03,10\n"
        assert_error(post_csv(client, body), 422, "line 2, column invoice_id", "control character")
        invoice = {"invoice_id": text, "invoice_date": "2011-01-03", "product_amount": 10.0}
        assert_error(
            client.post("/score", json={"history": [invoice]}),
            422,
            "history[0].invoice_id",
            "control character",
        )


def test_a_nan_or_infinite_amount_is_not_a_number(client: TestClient) -> None:
    """Hostile round 27, item 16: NaN was reported as "should be <= 1000000000000"."""
    for amount in ("NaN", "Infinity", "-Infinity"):
        body = (
            '{"history": [{"invoice_id": "1", "invoice_date": "2011-01-03", '
            f'"product_amount": {amount}}}]}}'
        )
        response = client.post("/score", content=body, headers={"content-type": "application/json"})
        assert_error(response, 422, "history[0].product_amount", "finite number")


def test_a_byte_order_mark_and_crlf_are_read(client: TestClient) -> None:
    rows = [f"{HEADER},invoice_kind,product_line_count"] + [
        f"3,{row['invoice_id']},{row['invoice_date']},{row['product_amount']},"
        f"{row['invoice_kind']},{row['product_line_count']}"
        for row in history(3)
    ]
    response = post_csv(client, ("\ufeff" + "\r\n".join(rows) + "\r\n").encode())
    assert response.status_code == 200, response.text
    single = client.post("/score", json={"customer_id": 3, "history": history(3)}).json()
    assert response.json()["items"] == [single]
