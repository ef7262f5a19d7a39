"""The FastAPI application: customer profiles, segments, scoring and the sales forecast.

Every answer comes from the in-memory snapshot of :mod:`retail_warehouse.api.snapshot`
(reloaded when a build changes the warehouse) or from :mod:`retail_warehouse.scoring` with
the models the build registered, so the API never writes to the warehouse and never keeps
it open. Errors are JSON (:class:`~retail_warehouse.api.schemas.Error`): 401 without the
API key (when ``RW_API_KEY`` is set), 404 for an unknown customer, series or path, 413 for a
body over ``RW_API_MAX_BODY_BYTES`` (:class:`BodyLimit`), 422 for invalid input with the
field, 503 while the warehouse is not built, being rebuilt or its models are of another
version.

Longer than 400 lines on purpose: it holds the HTTP side of the API and nothing else. Every
route is declared in ``create_app``, the one place FastAPI builds the OpenAPI document from,
with its response models and error answers; beside it, what turns a request into those
answers: a batch's CSV body read line by line into the records a JSON batch holds (so both
are checked by one request model, and a 422 names the CSV line and column) and the body
limit. What the routes compute lives in ``snapshot`` and ``scoring``.
"""

import csv
import hmac
import importlib.metadata
import io
import json
import math
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BeforeValidator, TypeAdapter, ValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retail_warehouse.api import MAX_BODY_BYTES_ENV, configured_max_body_bytes
from retail_warehouse.api.schemas import (
    MAX_BATCH_CUSTOMERS,
    MAX_PAGE,
    BatchInvoiceLine,
    BatchRequest,
    BatchScores,
    Cluster,
    ClusterSummary,
    CustomerPage,
    CustomerProfile,
    Error,
    Forecast,
    ForecastSeries,
    ForecastWeek,
    Health,
    Prediction,
    Rfm,
    Score,
    ScoreRequest,
    Segments,
    SegmentSummary,
    Version,
)
from retail_warehouse.api.snapshot import Snapshot, WarehouseSource, WarehouseUnavailable
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.invoice_history import MAX_INVOICES, HistoryError
from retail_warehouse.messages import column_count_problem
from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.scoring import ScoringModels, score_customers
from retail_warehouse.sources.online_retail import (
    BLANK_VALUE,
    DECIMAL_NUMBER,
    DIGITS_ONLY,
    sql_trim,
)
from retail_warehouse.sources.scan import first_line_problem

API_VERSION = "1.0"
"""Version of the HTTP interface (the OpenAPI document's ``info.version``)."""
CSV_COLUMNS: tuple[str, ...] = ("customer_id", "invoice_id", "invoice_date", "product_amount")
"""Columns a CSV batch must have."""
CSV_OPTIONAL_COLUMNS: tuple[str, ...] = ("invoice_kind", "product_line_count")
"""Columns a CSV batch may have; no other is accepted (as JSON takes no other field)."""
_DIGITS = re.compile(r"[0-9]{1,19}")
_JSON_SUFFIX = re.compile(r"application/[^/]+\+json")
RETRY_AFTER_SECONDS = 5
BODY_TOO_LARGE = "body_too_large"

DESCRIPTION = f"""
Segment and predict customers of the retail warehouse, and read its sales forecast.

* Profiles, segments and the forecast are read from the built warehouse (DuckDB
  read-only, or PostgreSQL as the read-only BI role) and reloaded when a build
  changes it.
* `POST /score` and `POST /score/batch` segment and predict customers from their
  invoices with the models the last build fitted (`ml.ml_model_registry`); a
  customer who is in the warehouse gets what the marts say.
* A batch holds at most {MAX_BATCH_CUSTOMERS:,} customers and {MAX_INVOICES:,}
  invoices, as JSON or as CSV (`Content-Type: text/csv`, one invoice per line,
  columns `{",".join(CSV_COLUMNS)}` and optionally `invoice_kind`,
  `product_line_count`).
* Errors are JSON: 401 without the API key (only when the server sets
  `RW_API_KEY`), 404 unknown customer or series, 413 a body over the server's
  limit (`RW_API_MAX_BODY_BYTES`, default 20 MiB), 422 invalid input (with the
  field), 503 while the warehouse is not built, being rebuilt, or its models
  are of another version (with `Retry-After`).
"""


class ApiError(Exception):
    """An error answer."""

    def __init__(self, status: int, error: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field


def _error_response(
    status: int, error: str, message: str, field: str | None = None
) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    body = Error(status=status, error=error, message=message, field=field)
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        401: "The API key is missing or wrong (only when the server sets RW_API_KEY).",
        404: "Not found.",
        409: "The warehouse's settings do not allow this (frequency scored by rank).",
        413: "The body is over the server's limit (RW_API_MAX_BODY_BYTES).",
        415: "The body is neither JSON nor CSV.",
        422: "Invalid input; `field` names it.",
        503: "The warehouse is not built, is being rebuilt, or its models cannot be used.",
    }
    return {status: {"model": Error, "description": meaning[status]} for status in statuses}


def field_path(location: Sequence[int | str]) -> str:
    """A pydantic error location as a field path: ('body', 'history', 3, 'invoice_date') ->
    'history[3].invoice_date'."""
    parts = list(location)
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def _validation_error(errors: Sequence[Any]) -> ApiError:
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid input"}
    field = field_path(first.get("loc", ("body",)))
    return ApiError(422, "invalid_input", f"{field}: {first.get('msg', 'invalid')}", field)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _rfm(row: dict[str, Any]) -> Rfm | None:
    if row.get("r_score") is None or pd.isna(row["r_score"]):
        return None
    return Rfm(
        recency_days=int(row["recency_days"]),
        frequency=int(row["frequency"]),
        monetary=float(row["monetary"]),
        r_score=int(row["r_score"]),
        f_score=int(row["f_score"]),
        m_score=int(row["m_score"]),
        rfm_cell=str(row["rfm_cell"]),
        rfm_score=int(row["rfm_score"]),
        segment=None if row["segment"] is None or pd.isna(row["segment"]) else str(row["segment"]),
    )


def _cluster(row: dict[str, Any]) -> Cluster | None:
    if row.get("cluster_id") is None or pd.isna(row["cluster_id"]):
        return None
    return Cluster(cluster_id=int(row["cluster_id"]), cluster_label=str(row["cluster_label"]))


def _prediction(row: dict[str, Any], horizon_days: int) -> Prediction | None:
    probability = _number(row.get("purchase_probability"))
    if probability is None:
        return None
    return Prediction(
        purchase_probability=probability,
        expected_net_revenue=float(row["expected_net_revenue"]),
        horizon_days=horizon_days,
    )


def _profile(row: dict[str, Any], snapshot: Snapshot) -> CustomerProfile:
    horizon = snapshot.models.horizon_days if snapshot.models is not None else 0
    rank = row.get("probability_rank")
    return CustomerProfile(
        customer_id=int(row["customer_id"]),
        country_code=row["country_code"],
        order_count=None if row["order_count"] is None else int(row["order_count"]),
        net_revenue=_number(row["net_revenue"]),
        first_purchase_date=row["first_purchase_date"],
        last_purchase_date=row["last_purchase_date"],
        rfm=_rfm(row),
        cluster=_cluster(row),
        prediction=_prediction(row, horizon),
        probability_rank=None if rank is None or pd.isna(rank) else int(rank),
        loyalty_tier=row.get("loyalty_tier"),
        as_of_date=snapshot.as_of_date,
    )


def _score(row: dict[str, Any], customer_id: int | None) -> Score:
    return Score(
        customer_id=customer_id,
        as_of_date=row["as_of_date"],
        reference_date=row["reference_date"],
        rfm=_rfm(row),
        cluster=_cluster(row),
        is_active=bool(row["is_active"]),
        prediction=_prediction(row, int(row["horizon_days"])),
        model_version=str(row["model_version"]),
    )


def _models(snapshot: Snapshot) -> ScoringModels:
    if snapshot.models is None:
        raise ApiError(503, "models_unavailable", snapshot.models_error or "no models")
    return snapshot.models


def _scored(
    records: list[dict[str, Any]], models: ScoringModels, where: Callable[[int, str], str]
) -> pd.DataFrame:
    """score_customers with its errors as API errors; ``where(index, name)`` names field
    ``name`` of record ``index`` as the client sent it."""
    try:
        return score_customers(records, models)
    except HistoryError as error:
        if error.field.startswith("["):
            index_text, _, rest = error.field[1:].partition("]")
            field = where(int(index_text), rest.lstrip("."))
        else:
            field = "history"
        raise ApiError(422, "invalid_input", f"{field}: {error.message}", field) from error
    except RetailWarehouseError as error:
        raise ApiError(409, "not_supported", str(error)) from error


def _shown(text: str, limit: int = 40) -> str:
    """A value of the client's for a message: quoted, at most ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _csv_header(fields: list[str]) -> list[str]:
    """The column names of a CSV batch's header, checked: each once, each known, the
    required ones present."""
    header = [sql_trim(field) for field in fields]
    known = CSV_COLUMNS + CSV_OPTIONAL_COLUMNS
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problem = f"column {name} appears twice"
            raise ApiError(422, "invalid_input", f"header: {problem}", "header")
        seen.add(name)
        if name not in known:
            problem = f"column {_shown(name)} is not one of {', '.join(known)}"
            raise ApiError(422, "invalid_input", f"header: {problem}", "header")
    missing = [column for column in CSV_COLUMNS if column not in seen]
    if missing:
        lacks = f"the column {missing[0]} is" if len(missing) == 1 else "the columns {} are"
        raise ApiError(
            422,
            "invalid_input",
            f"header: {lacks.format(', '.join(missing))} missing (header: "
            f"{','.join(CSV_COLUMNS)}[,invoice_kind][,product_line_count])",
            "header",
        )
    return header


_CSV_DIGITS = re.compile(DIGITS_ONLY)
_CSV_DECIMAL = re.compile(DECIMAL_NUMBER)


def _csv_value(column: str, text: str) -> Any:
    """A CSV field as the JSON value it stands for (numbers as numbers, written as the loader
    takes them: ``online_retail.DIGITS_ONLY`` and ``DECIMAL_NUMBER``, so no "+1", "1_000",
    "1e3" or ".5"); what is not one is left as text, for the request model to refuse."""
    if column in {"customer_id", "product_line_count"} and _CSV_DIGITS.fullmatch(text):
        return int(text)
    if column == "product_amount" and _CSV_DECIMAL.fullmatch(text):
        return float(text)
    return text


def _column_at(body: bytes, offset: int) -> str:
    """``, column <name>`` of the field that byte ``offset`` of a CSV body is in (the text
    before it is UTF-8), or ``, header`` when it is in the header; empty when the header does
    not name that field."""
    before = body[:offset].decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(before + "x", newline="")))  # x: the field at fault
    if len(rows) <= 1:
        return ", header"
    header = [sql_trim(name) for name in rows[0]]
    index = len(rows[-1]) - 1
    return f", column {header[index]}" if index < len(header) else ""


def _check_lines(body: bytes, text: str) -> None:
    """Refuse, at its line (and column), what a load refuses in a CSV file's lines, by the
    loader's own rules (``scan.first_line_problem``): a lone CR, a blank line between lines,
    a NUL byte, broken quotes, mixed line endings, a line over the loader's length limit.
    ``text`` is the body decoded; its header, checked first (line 1 comes first), names the
    columns."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if text and not sql_trim(first):  # a load reads no header there either
        raise ApiError(422, "invalid_input", "line 1: the header line is empty", "line 1")
    try:
        fields: list[str] | None = next(csv.reader([first]), [])
    except csv.Error:  # a CR in it: first_line_problem says so
        fields = None
    problem = first_line_problem(body, [sql_trim(name) for name in fields or []])
    if fields is not None and text and (problem is None or problem[0] > 1):
        _csv_header(fields)
    if problem is None:
        return
    line, column, why = problem
    where = f"line {line}" + (f", column {column}" if column else "")
    raise ApiError(422, "invalid_input", f"{where}: {why}", where)


def _csv_lines(body: bytes) -> tuple[list[dict[str, Any]], list[int]]:
    """The invoice lines of a CSV batch as JSON-like records, and the line of the file each
    starts on (blank lines at the end are skipped; a quoted field may span lines)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = body.count(b"\n", 0, error.start) + 1
        where = f"line {line}{_column_at(body, error.start)}"
        message = f"{where}: the CSV is not UTF-8 (byte {error.start + 1:,} of the body)"
        raise ApiError(422, "invalid_input", message, where) from None
    _check_lines(body, text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    line = 1
    try:
        for fields in reader:
            first_line, line = line, reader.line_num + 1
            if not fields:
                continue
            if header is None:
                header = _csv_header(fields)
                continue
            where = f"line {first_line}"
            if len(fields) != len(header):
                message = f"{where}: {column_count_problem(len(header), len(fields))}"
                raise ApiError(422, "invalid_input", message, where)
            record: dict[str, Any] = {}
            for column, field in zip(header, fields, strict=True):
                value = sql_trim(field)  # the loader's trim: spaces only
                if value:
                    record[column] = _csv_value(column, value)
                elif column in CSV_COLUMNS:
                    field_name = f"{where}, column {column}"
                    problem = "the value is empty" if not field else BLANK_VALUE
                    raise ApiError(422, "invalid_input", f"{field_name}: {problem}", field_name)
            records.append(record)
            lines.append(first_line)
            if len(records) > MAX_INVOICES:
                raise ApiError(
                    422, "invalid_input", f"at most {MAX_INVOICES:,} invoice lines", "body"
                )
    except csv.Error as error:
        message = f"line {reader.line_num}: the CSV cannot be read: {error}"
        raise ApiError(422, "invalid_input", message, f"line {reader.line_num}") from None
    if header is None:
        raise ApiError(422, "invalid_input", "the CSV is empty (no header)", "body")
    if not records:
        raise ApiError(422, "invalid_input", "the CSV has no invoice lines", "body")
    return records, lines


_CSV_LINES = TypeAdapter(list[BatchInvoiceLine])


def _csv_records(body: bytes) -> tuple[list[dict[str, Any]], list[int]]:
    """The invoices of a CSV batch, checked by the request model of a JSON invoice (so a
    CSV line is scored exactly as the same invoice in JSON), and the line of each."""
    records, lines = _csv_lines(body)
    try:
        checked = _CSV_LINES.validate_python(records)
    except ValidationError as error:
        first = error.errors()[0]
        index, *rest = first["loc"]
        field = f"line {lines[int(index)]}, column {'.'.join(str(part) for part in rest)}"
        raise ApiError(422, "invalid_input", f"{field}: {first['msg']}", field) from None
    return [line.model_dump() for line in checked], lines


GZIP_MAGIC = b"\x1f\x8b"


class UnreadableBody(StarletteHTTPException):
    """A JSON body that cannot be read as one JSON value: 422 with the cause and the field
    ``body``. An HTTP exception, so that FastAPI passes it on from its own reading of a
    body (it answers any other error there with 400 "There was an error parsing the
    body", without the cause)."""

    def __init__(self, cause: str) -> None:
        super().__init__(422, f"body: {cause}")


def _body_text(body: bytes) -> str:
    """A JSON body as text: UTF-8, else ``UnreadableBody`` naming the first byte that is not
    (a gzip body, sent without a Content-Encoding, is named as such)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        if body.startswith(GZIP_MAGIC):
            cause = "gzip-compressed; send it uncompressed (no Content-Encoding is supported)"
        else:
            cause = f"not UTF-8 (byte {error.start + 1:,})"
        raise UnreadableBody(cause) from None


def _no_repeated_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One JSON object; ``UnreadableBody`` when it has a key twice (a parser keeps the last
    value and the client may have meant the first)."""
    record = dict(pairs)
    if len(record) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise UnreadableBody(f"the key {_shown(key)} appears twice in one object")
            seen.add(key)
    return record


def read_json(body: bytes) -> Any:
    """The JSON value of a request body, read strictly, or ``UnreadableBody`` with the
    cause: not UTF-8 (at its byte), gzip, not JSON at byte N (counted from 1), nested too
    deep, a key twice in one object."""
    text = _body_text(body)
    try:
        return json.loads(text, object_pairs_hook=_no_repeated_key)
    except json.JSONDecodeError as error:
        byte = len(text[: error.pos].encode()) + 1
        raise UnreadableBody(f"not JSON at byte {byte:,}: {error.msg}") from None
    except RecursionError:
        raise UnreadableBody("nested too deep (arrays or objects within each other)") from None
    except ValueError:  # Python's limit on the digits of an integer (4,300)
        raise UnreadableBody("a number has too many digits to be read") from None


def _json_batch(body: bytes) -> BatchRequest:
    """A JSON batch: read by ``read_json`` (so a key twice in one object is refused), then
    checked by its request model. Read by pydantic straight from the bytes, a repeated key
    kept its last value; reading into Python objects first costs about as much, as checking
    the invoices, not parsing them, takes most of the time (docs/api.md, Performance)."""
    try:
        return BatchRequest.model_validate(read_json(body))
    except ValidationError as error:
        raise _validation_error(error.errors()) from None


class _JsonBodyRequest(Request):
    """A request whose JSON body FastAPI reads with ``read_json`` (Starlette's ``json()``
    keeps the last of a repeated key, and FastAPI answers its other errors without their
    cause)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = read_json(await self.body())
        return self._json


class JsonBodyRoute(APIRoute):
    """The API's routes: their JSON bodies are read by ``read_json`` (routes without a
    body, the profile lookups among them, are left as FastAPI makes them)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def read_strictly(request: Request) -> Response:
            return await handler(_JsonBodyRequest(request.scope, request.receive))

        return read_strictly


def _digits(value: object) -> object:
    """An id in a path as the client wrote it: digits only. Pydantic's integer (like
    ``int(float(...))``) took "12353.0" as customer 12353; ids are whole numbers."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        if value.isascii() and value.isdigit():  # digits only, but too many of them
            raise ValueError(f"a whole number of at most 19 digits is required, not {len(value)}")
        raise ValueError("a whole number is required (digits only)")
    return value


REPEATABLE_QUERY_PARAMETERS = frozenset({"series"})
"""The query parameters that take several values (``/forecast?series=total&series=GB``)."""


async def _query_checked(request: Request) -> None:
    """Refuse a query parameter the endpoint does not take, and one that takes one value
    given twice: a typo such as ``min_probabilty=0.9`` was ignored and every customer
    returned unfiltered, and ``limit=1&limit=500`` used the last (hostile round 6). Async:
    the profile lookup's hot path stays on the event loop."""
    route = request.scope.get("route")
    taken = {field.alias for field in route.dependant.query_params} if route else set()
    counts: dict[str, int] = {}
    for name, _ in request.query_params.multi_items():
        counts[name] = counts.get(name, 0) + 1
    for name, count in counts.items():
        if name not in taken:
            known = f"one of {', '.join(sorted(taken))}" if taken else "none here"
            message = f"{_shown(name)}: no such query parameter ({known})"
            raise ApiError(422, "invalid_input", message, name[:40])
        if count > 1 and name not in REPEATABLE_QUERY_PARAMETERS:
            message = f"{name}: given {count} times; give it once"
            raise ApiError(422, "invalid_input", message, name)


def _json_body(request: Request) -> None:
    """415 for a body that is not JSON (``application/json`` or ``application/*+json``, what
    FastAPI reads as JSON; without a Content-Type it reads none): a dependency, so it answers
    before FastAPI validates the body, which said 422 "Input should be a valid dictionary"."""
    media_type = _media_type(request)
    if not (media_type == "application/json" or _JSON_SUFFIX.fullmatch(media_type)):
        raise ApiError(415, "unsupported_media_type", "send application/json")


def _media_type(request: Request) -> str:
    """The request's media type, lower case, without parameters ('' when none is given)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class BodyTooLarge(StarletteHTTPException):
    """A request body over the limit: raised by the read that passes it (FastAPI passes
    HTTP exceptions on from its body parsing, so every route answers it alike)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413, f"the body is over {max_bytes:,} bytes (the server's {MAX_BODY_BYTES_ENV})"
        )


class BodyLimit:
    """ASGI middleware around the whole app: a request whose Content-Length is over
    ``max_bytes`` is answered 413 before the app runs (not a byte of the body is read), one
    with a Content-Encoding (gzip, ...) 415, as no encoding is decoded; a
    body without Content-Length (chunked) is counted as the app reads it, and the read that
    passes the limit ends the request with 413, so at most the limit plus one chunk is ever
    in memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding not in {"", "identity"}:
            message = f"Content-Encoding {_shown(encoding)} is not supported: send the body as is"
            await _answer(send, 415, "unsupported_media_type", message)
            return
        declared = headers.get("content-length")
        if declared is not None and not declared.strip().isdigit():
            await _answer(send, 400, "bad_request", "the Content-Length is not a number")
            return
        if declared is not None and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        read = 0
        started = cut_off = False

        async def counted() -> Message:
            nonlocal read, cut_off
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes:
                    cut_off = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and cut_off:
                # the rest of the body is never read: the connection cannot carry another
                # request, so the answer closes it (the server honours the header)
                message = {**message, "headers": [*message["headers"], (b"connection", b"close")]}
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:  # the app's handler answers it; this is for what it does not
            if started:
                raise
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        await _answer(send, 413, BODY_TOO_LARGE, str(BodyTooLarge(self.max_bytes).detail))


async def _answer(
    send: Send, status: int, error: str, message: str, field: str | None = "body"
) -> None:
    """Send an error answer straight to the server, closing the connection (the rest of
    the body is not read)."""
    response = _error_response(status, error, message, field)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*response.raw_headers, (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": response.body})


UNAUTHORISED = "send the API key in the X-API-Key header"
"""The message of a 401."""

PROTECTED_PATHS: frozenset[str] = frozenset(
    {"/customers", "/segments", "/score", "/score/batch", "/forecast"}
)
"""The endpoints that need the API key (with ``/customers/{id}``); health, version and the
documentation stay open."""


def _is_protected(path: str) -> bool:
    return path in PROTECTED_PATHS or path.startswith("/customers/")


def _key_matches(sent_header: str | None, api_key: str) -> bool:
    """Whether the ``X-API-Key`` header as the server decoded it is ``api_key``. The server
    decodes a header as Latin-1: encoded back, it is the bytes sent, which a client sends as
    UTF-8 for a key such as "ключ" (``key.encode()`` never matched it). Spaces and tabs
    around it are not part of it (RFC 9110, 5.5; the parser drops the leading ones only)."""
    sent_header = sent_header.strip(" \t") if sent_header else sent_header
    sent = sent_header.encode("latin-1", errors="replace") if sent_header else b""
    return bool(sent) and hmac.compare_digest(sent, api_key.encode())


class KeyCheck:
    """ASGI middleware: a request to a protected endpoint without the key is answered 401
    before the app runs. FastAPI reads and decodes a JSON body before it runs a route's
    dependencies, so a body that is not JSON was answered 422 (or 400) to a client without
    the key; 401 comes first of all, before the body is read."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app, self.api_key = app, api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and _is_protected(scope["path"])
            and not _key_matches(Headers(scope=scope).get("x-api-key"), self.api_key)
        ):
            await _answer(send, 401, "unauthorised", UNAUTHORISED, field=None)
            return
        await self.app(scope, receive, send)


def create_app(
    source: WarehouseSource, api_key: str | None = None, max_body_bytes: int | None = None
) -> FastAPI:
    """The application serving ``source``; ``api_key`` (if any) is required in ``X-API-Key``
    by every endpoint except health, version and the documentation. A request body over
    ``max_body_bytes`` (default: ``RW_API_MAX_BODY_BYTES``, else 20 MiB) is refused with
    413 (:class:`BodyLimit`)."""
    limit = _body_limit(max_body_bytes)
    app = FastAPI(
        title="retail_warehouse scoring API",
        version=API_VERSION,
        description=DESCRIPTION,
    )
    app.router.route_class = JsonBodyRoute
    app.add_middleware(BodyLimit, max_bytes=limit)
    if api_key:
        app.add_middleware(KeyCheck, api_key=api_key)  # added last: runs first
    key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Only when set.")

    async def authorised(key: Annotated[str | None, Depends(key_header)]) -> None:
        # KeyCheck answers first; this keeps the key in the OpenAPI document, and checks it
        # again for an app mounted without the middleware
        if api_key and not _key_matches(key, api_key):
            raise ApiError(401, "unauthorised", UNAUTHORISED)

    # The snapshot is taken in each endpoint's body, never as a dependency: FastAPI runs
    # dependencies before it validates parameters and bodies, and bad input must be 422
    # (with its field) whether or not a warehouse is there to answer 503.
    protected = [Depends(authorised), Depends(_query_checked)]

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return _error_response(error.status, error.error, error.message, error.field)

    @app.exception_handler(WarehouseUnavailable)
    async def unavailable(request: Request, error: WarehouseUnavailable) -> JSONResponse:
        return _error_response(503, "unavailable", str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problem = _validation_error(error.errors())
        return _error_response(422, problem.error, problem.message, problem.field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: BODY_TOO_LARGE}
        codes[422] = "invalid_input"  # UnreadableBody
        response = _error_response(
            error.status_code,
            codes.get(error.status_code, "error"),
            str(error.detail),
            "body" if error.status_code in {413, 422} else None,
        )
        response.headers.update(error.headers or {})
        return response

    # HEAD too (monitors probe with it): the same answer, whose body the server leaves out;
    # not in the OpenAPI document, which lists GET
    @app.head("/health", include_in_schema=False)
    @app.get("/health", response_model=Health, responses=_responses(503), tags=["service"])
    def health() -> Health:
        """Whether the warehouse is built and served, and which build."""
        current = source.current()
        return Health(
            status="ok",
            target=current.description,
            as_of_date=current.as_of_date,
            reference_date=current.reference_date,
            model_version=MODEL_VERSION,
            models_loaded=current.models is not None,
            models_message=current.models_error,
            models_trained_at=current.models_trained_at,
            models_trained_through_date=current.models_trained_through,
            loaded_at=current.loaded_at,
            customer_count=len(current.profiles),
            reload_error=source.reload_error(),
        )

    @app.get("/version", response_model=Version, tags=["service"])
    def version() -> Version:
        """Versions of the package, the models it scores with and this interface."""
        return Version(
            package_version=importlib.metadata.version("retail-warehouse"),
            model_version=MODEL_VERSION,
            api_version=API_VERSION,
        )

    @app.get(
        "/customers/{customer_id}",
        response_model=CustomerProfile,
        responses=_responses(401, 404, 422, 503),
        dependencies=protected,
        tags=["customers"],
    )
    async def customer(
        customer_id: Annotated[int, Path(ge=0, le=2_147_483_647), BeforeValidator(_digits)],
    ) -> Response:
        """A warehouse customer's profile: RFM scores and segment, cluster, purchase
        probability and expected spend, loyalty tier."""
        # The hot path: on the event loop (no thread hand-off), each profile serialised once
        # per snapshot; a changed warehouse is read in a thread of its own (api.reload).
        current = source.current()
        body = current.profile_json.get(customer_id)
        if body is None:
            row = current.profile(customer_id)
            if row is None:
                raise ApiError(404, "not_found", f"customer {customer_id} is not in the warehouse")
            body = _profile(row, current).model_dump_json().encode()
            current.profile_json[customer_id] = body
        return Response(content=body, media_type="application/json")

    @app.get(
        "/customers",
        response_model=CustomerPage,
        responses=_responses(401, 422, 503),
        dependencies=protected,
        tags=["customers"],
    )
    def customers(
        segment: Annotated[str | None, Query(max_length=100)] = None,
        cluster_id: Annotated[int | None, Query(ge=0, le=1000)] = None,
        country_code: Annotated[str | None, Query(max_length=10)] = None,
        loyalty_tier: Annotated[str | None, Query(max_length=20)] = None,
        min_probability: Annotated[float | None, Query(ge=0, le=1)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> CustomerPage:
        """Customer profiles by customer_id, filtered, one page at a time."""
        current = source.current()
        frame = current.profiles
        mask = pd.Series(True, index=frame.index)
        for column, value in (
            ("segment", segment),
            ("cluster_id", cluster_id),
            ("country_code", country_code),
            ("loyalty_tier", loyalty_tier),
        ):
            if value is not None:
                mask &= frame[column] == value
        if min_probability is not None:
            probability = pd.to_numeric(frame["purchase_probability"]).fillna(-1.0)
            mask &= probability >= min_probability
        selected = frame[mask]
        page = selected.iloc[offset : offset + limit]
        return CustomerPage(
            total=len(selected),
            limit=limit,
            offset=offset,
            items=[
                _profile(current.profile_rows[int(customer_id)], current)
                for customer_id in page["customer_id"]
            ],
        )

    @app.get(
        "/segments",
        response_model=Segments,
        responses=_responses(401, 422, 503),
        dependencies=protected,
        tags=["segments"],
    )
    def segments() -> Segments:
        """The RFM segments (customers, revenue, recommended action) and the clusters."""
        current = source.current()
        return Segments(
            reference_date=current.reference_date,
            as_of_date=current.as_of_date,
            rfm_segments=[
                SegmentSummary(**_plain_row(row)) for row in current.segments.to_dict("records")
            ],
            clusters=[
                ClusterSummary(**_plain_row(row)) for row in current.clusters.to_dict("records")
            ],
        )

    @app.post(
        "/score",
        response_model=Score,
        responses=_responses(401, 409, 413, 415, 422, 503),
        dependencies=[*protected, Depends(_json_body)],
        tags=["scoring"],
    )
    def score(request: ScoreRequest) -> Score:
        """Segment and predict one customer from their invoices (up to the build's as-of
        date): RFM against the current edges, cluster, purchase probability and expected
        net revenue in the horizon."""
        models = _models(source.current())
        records = [
            {**invoice.model_dump(), "customer_id": request.customer_id or 0}
            for invoice in request.history
        ]
        scored = _scored(records, models, lambda index, name: f"history[{index}].{name}")
        return _score(scored.iloc[0].to_dict(), request.customer_id)

    @app.post(
        "/score/batch",
        response_model=BatchScores,
        responses=_responses(401, 409, 413, 415, 422, 503),
        dependencies=protected,
        tags=["scoring"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}},
                    "text/csv": {
                        "schema": {"type": "string", "minLength": 1},
                        "example": "customer_id,invoice_id,invoice_date,product_amount\n"
                        "12347,537626,2010-12-07,711.79\n",
                    },
                },
            }
        },
    )
    async def score_batch(request: Request) -> BatchScores:
        """Segment and predict up to 1,000 customers: JSON (`customers`, each with
        `customer_id` and `history`) or CSV (one invoice per line)."""
        body = await request.body()  # at most the body limit (create_app)
        content_type = _media_type(request)
        if content_type == "text/csv":
            records, lines = _csv_records(body)
            count = len({record["customer_id"] for record in records})
            if count > MAX_BATCH_CUSTOMERS:
                raise ApiError(
                    422,
                    "invalid_input",
                    f"the CSV holds {count:,} customers; at most {MAX_BATCH_CUSTOMERS:,}",
                    "customer_id",
                )

            def field(index: int, name: str) -> str:
                return f"line {lines[index]}, column {name}"

        elif content_type in {"application/json", ""}:
            batch = _json_batch(body)
            records, owners = [], []
            seen: dict[int, int] = {}
            for position, entry in enumerate(batch.customers):
                if entry.customer_id in seen:
                    raise ApiError(
                        422,
                        "invalid_input",
                        f"customer {entry.customer_id} appears twice (also customers"
                        f"[{seen[entry.customer_id]}])",
                        f"customers[{position}].customer_id",
                    )
                seen[entry.customer_id] = position
                for number, invoice in enumerate(entry.history):
                    records.append({**invoice.model_dump(), "customer_id": entry.customer_id})
                    owners.append((position, number))
            if len(records) > MAX_INVOICES:
                raise ApiError(
                    422, "invalid_input", f"at most {MAX_INVOICES:,} invoices in all", "customers"
                )

            def field(index: int, name: str) -> str:
                return f"customers[{owners[index][0]}].history[{owners[index][1]}].{name}"

        else:
            raise ApiError(415, "unsupported_media_type", "send application/json or text/csv")
        scored = _scored(records, _models(source.current()), field)
        items = [_score(row, int(row["customer_id"])) for row in scored.to_dict("records")]
        return BatchScores(count=len(items), items=items)

    @app.get(
        "/forecast",
        response_model=Forecast,
        responses=_responses(401, 404, 422, 503),
        dependencies=protected,
        tags=["forecast"],
    )
    def forecast(
        series: Annotated[
            list[str] | None, Query(description="total or country codes; default all")
        ] = None,
        weeks: Annotated[int | None, Query(ge=1, le=520, description="first N weeks")] = None,
    ) -> Forecast:
        """The weekly net revenue forecast with 80 % intervals, by series."""
        current = source.current()
        frame = current.forecast
        available = list(dict.fromkeys(frame["series"]))
        wanted = available if not series else list(dict.fromkeys(series))
        unknown = [name for name in wanted if name not in available]
        if unknown:  # the client's names quoted, cut and escaped: one short line
            named = ", ".join(_shown(name) for name in unknown[:3])
            more = f" and {len(unknown) - 3:,} more" if len(unknown) > 3 else ""
            raise ApiError(
                404,
                "not_found",
                f"no forecast series {named}{more}; there are: {', '.join(available)}",
                "series",
            )
        result = []
        for name in wanted:
            rows = frame[frame["series"] == name]
            if weeks is not None:
                rows = rows[rows["week_ahead"] <= weeks]
            records = rows.to_dict("records")
            result.append(
                ForecastSeries(
                    series=name,
                    method=str(records[0]["method"]) if records else "",
                    weeks=[ForecastWeek(**_plain_row(row)) for row in records],
                )
            )
        return Forecast(as_of_date=current.as_of_date, series=result)

    def openapi() -> dict[str, Any]:
        """FastAPI's document, plus BatchRequest, which the batch endpoint reads itself (it
        takes CSV too) and so no parameter declares."""
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            batch = BatchRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in batch.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas["BatchRequest"] = batch
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _body_limit(max_body_bytes: int | None) -> int:
    if max_body_bytes is None:
        return configured_max_body_bytes()
    if max_body_bytes < 0:
        raise ValueError("max_body_bytes must be 0 or more")
    return max_body_bytes


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    """NaN to None, for the response models."""
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in row.items()
    }


def openapi_document(app: FastAPI) -> str:
    """The OpenAPI document as committed in docs/openapi.json (sorted keys, 2 spaces)."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
