"""CSV batches (POST /score/batch, text/csv) are read as a table with one header: a repeated
or unknown column, a line with too many or too few fields, an empty required value are
refused with the line and the cause, and each line is checked by the model of a JSON
invoice."""

from __future__ import annotations

import pytest
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
    short = f"{HEADER}\n3,a,2011-01-03,10\n3,b,2011-01-04\n"
    assert_error(post_csv(client, short), 422, "line 3", "line 3: expected 4 columns, found 3")


def test_lines_are_counted_as_in_the_file(client: TestClient) -> None:
    """After a quoted value over two lines the error names the line of the file; a line
    break inside a value is refused as the loader's trim keeps it (spaces only), and a blank
    line between lines as the loader refuses it (issue 27: both were accepted)."""
    text = f'{HEADER}\n3,"a\nb",2011-01-03,10\n3,c,2011-01-04,x\n'
    body = assert_error(post_csv(client, text), 422, "line 2, column invoice_id")
    text = f"{HEADER}\n3,a,2011-01-03,10\n3,c,2011-01-04,x\n"
    body = assert_error(post_csv(client, text), 422, "line 3, column product_amount")
    assert body["message"].startswith("line 3, column product_amount: ")
    text = f'{HEADER}\n3,"a\nb",2011-01-03,10\n\n3,c,2011-01-04,x\n'
    assert_error(post_csv(client, text), 422, "line 4", "line 4: the line is empty")


def test_unknown_columns_and_empty_values_are_refused(client: TestClient) -> None:
    colour = f"{HEADER},colour\n3,a,2011-01-03,10,red\n"
    assert_error(post_csv(client, colour), 422, "header", "header: column 'colour' is not one of")
    empty = f"{HEADER}\n3,a,2011-01-03,10\n3,,2011-01-04,10\n"
    assert_error(post_csv(client, empty), 422, "line 3, column invoice_id", "the value is empty")
    blank = f"{HEADER}\n3,a,2011-01-03,10\n3, ,2011-01-04,10\n"
    assert_error(post_csv(client, blank), 422, "line 3, column invoice_id", "blank (only spaces)")
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
    """Hostile round 27, item 16: a NUL byte in invoice_id was accepted (in a CSV it is
    refused as a load refuses it, by the loader's rule)."""
    for text, problem in (("a\x00b", "NUL byte"), ("a\x1b[31mb", "control character")):
        body = f"{HEADER}\n3,{text},2011-01-03,10\n"
        assert_error(post_csv(client, body), 422, "line 2, column invoice_id", problem)
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


ROW = "3,a,2011-01-03,10"
"""A good line of a batch (customer 3, invoice a)."""
L2 = "line 2, column "
REFUSED_AS_THE_LOADER_REFUSES = [
    # (case, body, field, words of the message)
    ("tab before a number", f"{HEADER}\n\t3,a,2011-01-03,10\n", f"{L2}customer_id", ""),
    ("no-break space after", f"{HEADER}\n3,a,2011-01-03,10\u00a0\n", f"{L2}product_amount", ""),
    ("tab after a date", f"{HEADER}\n3,a,2011-01-03\t,10\n", "line 2, column invoice_date", ""),
    ("only spaces", f"{HEADER}\n3,a,   ,10\n", f"{L2}invoice_date", "blank (only spaces)"),
    ("exponent", f"{HEADER}\n3,a,2011-01-03,1e3\n", f"{L2}product_amount", ""),
    ("underscore", f"{HEADER}\n3,a,2011-01-03,1_000\n", f"{L2}product_amount", ""),
    ("plus sign", f"{HEADER}\n3,a,2011-01-03,+10\n", f"{L2}product_amount", ""),
    ("leading point", f"{HEADER}\n3,a,2011-01-03,.5\n", f"{L2}product_amount", ""),
    ("trailing point", f"{HEADER}\n3,a,2011-01-03,10.\n", f"{L2}product_amount", ""),
    ("signed id", f"{HEADER}\n+3,a,2011-01-03,10\n", f"{L2}customer_id", ""),
    ("id with underscore", f"{HEADER}\n3_0,a,2011-01-03,10\n", f"{L2}customer_id", ""),
    ("count exponent", f"{HEADER},product_line_count\n{ROW},1e1\n", f"{L2}product_line_count", ""),
    ("date without zeros", f"{HEADER}\n3,a,2011-1-3,10\n", "line 2, column invoice_date", ""),
    ("NUL byte", f"{HEADER}\n3,a\x00,2011-01-03,10\n", "line 2, column invoice_id", "NUL byte"),
    ("lone CR line ends", f"{HEADER}\r{ROW}\r", "line 1", "carriage return (CR)"),
    ("lone CR in a line", f"{HEADER}\n3,a\rb,2011-01-03,10\n", "line 2", "carriage return (CR)"),
    ("blank middle line", f"{HEADER}\n{ROW}\n\n{ROW}\n", "line 3", "a blank line between"),
    ("blank first line", f"\n{HEADER}\n{ROW}\n", "line 1", "the header line is empty"),
    ("mixed line ends", f"{HEADER}\r\n{ROW}\r\n{ROW}\n", "line 3", "mixed line endings"),
    ("stray quote", f'{HEADER}\n3,a"b,2011-01-03,10\n', "line 2, column invoice_id", "'\"' inside"),
    ("after a quote", f'{HEADER}\n3,"a"b,2011-01-03,10\n', f"{L2}invoice_id", "after the closing"),
    ("end-of-data line", f"{HEADER}\n{ROW}\n\\.\n{ROW}\n", "line 3", "expected 4 columns, found 1"),
    ("empty extra field", f"{HEADER}\n{ROW},\n", "line 2", "expected 4 columns, found 5"),
    ("missing field", f"{HEADER}\n3,a,2011-01-03\n", "line 2", "expected 4 columns, found 3"),
    ("repeated column", f"{HEADER},customer_id\n{ROW},4\n", "header", "appears twice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        pytest.param(body, field, words, id=case)
        for case, body, field, words in REFUSED_AS_THE_LOADER_REFUSES
    ],
)
def test_a_batch_refuses_what_the_loader_refuses(
    client: TestClient, body: str, field: str, words: str
) -> None:
    """Issue 27: the CSV batch was looser than the loader: it trimmed tabs and no-break
    spaces (``str.strip``; staging's ``trim()`` takes spaces only), took "+10", "1e3", ".5"
    and "10." as numbers, read lone-CR line ends, blank lines between lines, mixed line ends
    and stray quotes. It now applies the loader's rules themselves (``scan.
    first_line_problem``, ``online_retail.sql_trim``, ``DIGITS_ONLY``, ``DECIMAL_NUMBER``):
    each is refused with its line (and column) and the loader's words."""
    answer = assert_error(post_csv(client, body.encode()), 422, field, words)
    assert answer["message"].startswith(f"{field}: ")


def test_spaces_around_values_a_bom_and_trailing_blank_lines_are_read(client: TestClient) -> None:
    """What the loader reads, the batch reads: spaces around a value (trimmed as staging
    does), a byte order mark, blank lines at the end."""
    header = " customer_id ,invoice_id,invoice_date,product_amount"
    body = f"\ufeff{header}\n 3 , a ,2011-01-03, 10.5 \n\n\n"
    response = post_csv(client, body.encode())
    assert response.status_code == 200, response.text
