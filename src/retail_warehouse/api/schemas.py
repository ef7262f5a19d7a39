"""Request and response models of the API (they make its OpenAPI document)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

MAX_BATCH_CUSTOMERS = 1000
"""Most customers one POST /score/batch scores."""
MAX_HISTORY_INVOICES = 10_000
"""Most invoices in one customer's history."""
MAX_PAGE = 500
"""Largest page of GET /customers."""


FIRST_INVOICE_DATE = dt.date(1992, 1, 1)
LAST_INVOICE_DATE = dt.date(2099, 12, 31)
"""The invoice dates the API scores. One range for every sales source a warehouse may be built
from: it holds the loaders' plausible dates (the ``online_retail_*_invoice_date`` vars of
dbt_project.yml, 2009-01-01 to 2012-12-31, and TPC-H's orders, 1992-01-01 to 1998-12-31;
a unit test checks the vars against it, as the installed package has no dbt_project.yml to
read). The served build's as-of date bounds the dates more tightly from above: later
invoices are refused by the scoring."""


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: Any) -> Any:
    """Dates come as YYYY-MM-DD text, nothing else: a number, or digits in a string
    ('1323302400', '1.3233024e9', which pydantic reads as a Unix time), is not a date, and
    '20111201' is not read at all."""
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_format", "a date must be text in the form YYYY-MM-DD")


def _date_in_range(value: dt.date) -> dt.date:
    if not FIRST_INVOICE_DATE <= value <= LAST_INVOICE_DATE:
        raise PydanticCustomError(
            "date_out_of_range",
            "{day} is outside the dates the API scores, {first} to {last}",
            {
                "day": value.isoformat(),
                "first": str(FIRST_INVOICE_DATE),
                "last": str(LAST_INVOICE_DATE),
            },
        )
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_date_text), AfterValidator(_date_in_range)]


def _printable(value: str) -> str:
    """Refuse characters that are not printable (NUL, tab, line breaks, escapes; the space is
    printable): an id is shown in answers and messages."""
    if not value.isprintable():
        raise PydanticCustomError(
            "control_character", "the text holds a control character (NUL, a line break...)"
        )
    return value


PrintableText = Annotated[str, AfterValidator(_printable)]


class Error(BaseModel):
    """Every error answer."""

    status: int = Field(description="The HTTP status, repeated.")
    error: str = Field(description="A short code: not_found, invalid_input, unavailable, ...")
    message: str = Field(description="What went wrong and what to do, in plain words.")
    field: str | None = Field(
        default=None, description="The input field at fault, e.g. history[3].invoice_date."
    )


class Health(BaseModel):
    status: Literal["ok"]
    target: str = Field(description="duckdb or postgres, and where.")
    as_of_date: dt.date = Field(description="Last invoice date of the served build.")
    reference_date: dt.date = Field(description="RFM reference date of the served build.")
    model_version: str
    models_loaded: bool = Field(description="False when the registry's models cannot be used.")
    models_message: str | None = Field(default=None, description="Why, when they cannot.")
    models_trained_at: dt.datetime | None = Field(
        default=None,
        description="When the training lane fitted the registry's models (UTC); a refresh "
        "scores with them until the next training (docs/ml.md, Two lanes).",
    )
    models_trained_through_date: dt.date | None = Field(
        default=None, description="The last invoice date of the data the models were fitted on."
    )
    loaded_at: dt.datetime = Field(description="When the API last read the warehouse (UTC).")
    customer_count: int = Field(description="Customers in the served build.")
    reload_error: str | None = Field(
        default=None,
        description="Why the changed warehouse could not be read; the build read before is "
        "still served.",
    )


class Version(BaseModel):
    package_version: str
    model_version: str
    api_version: str


class Invoice(BaseModel):
    """One invoice of a customer's history (the columns of marts.fct_invoices)."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: PrintableText = Field(min_length=1, max_length=64, examples=["581587"])
    invoice_date: IsoDate = Field(
        description=f"YYYY-MM-DD, from {FIRST_INVOICE_DATE} to {LAST_INVOICE_DATE} and at most "
        "the served build's as-of date.",
        examples=["2011-12-09"],
    )
    product_amount: float = Field(
        strict=True,
        allow_inf_nan=False,
        ge=-1e12,
        le=1e12,
        description="GBP of the invoice's product lines; negative for a cancellation.",
        examples=[249.6],
    )
    invoice_kind: Literal["sale", "cancellation", "adjustment"] | None = Field(
        default=None, description="Default: sale, or cancellation when the amount is negative."
    )
    product_line_count: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=100_000,
        description="Product lines on the invoice (default 1).",
    )


class ScoreRequest(BaseModel):
    """One customer's invoices, up to the as-of date of the served build."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int | None = Field(
        default=None, strict=True, ge=0, le=2_147_483_647, description="Echoed back; optional."
    )
    history: list[Invoice] = Field(min_length=1, max_length=MAX_HISTORY_INVOICES)


class BatchCustomer(ScoreRequest):
    customer_id: int = Field(strict=True, ge=0, le=2_147_483_647)


class BatchInvoiceLine(Invoice):
    """One line of a CSV batch: an invoice and its customer."""

    customer_id: int = Field(strict=True, ge=0, le=2_147_483_647)


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customers: list[BatchCustomer] = Field(min_length=1, max_length=MAX_BATCH_CUSTOMERS)


class Rfm(BaseModel):
    recency_days: int
    frequency: int
    monetary: float
    r_score: int = Field(ge=1, le=5)
    f_score: int = Field(ge=1, le=5)
    m_score: int = Field(ge=1, le=5)
    rfm_cell: str
    rfm_score: int
    segment: str | None


class Cluster(BaseModel):
    cluster_id: int
    cluster_label: str


class Prediction(BaseModel):
    purchase_probability: float = Field(ge=0, le=1)
    expected_net_revenue: float = Field(ge=0, description="GBP in the horizon.")
    horizon_days: int


class Score(BaseModel):
    """A customer's segment and predictions as of the served build."""

    customer_id: int | None
    as_of_date: dt.date
    reference_date: dt.date
    rfm: Rfm | None = Field(description="Null without a purchase before the reference date.")
    cluster: Cluster | None
    is_active: bool = Field(description="A purchase in the active window: predictions exist.")
    prediction: Prediction | None
    model_version: str


class BatchScores(BaseModel):
    count: int
    items: list[Score]


class CustomerProfile(BaseModel):
    """A warehouse customer as the marts describe them."""

    customer_id: int
    country_code: str | None
    order_count: int | None
    net_revenue: float | None
    first_purchase_date: dt.date | None
    last_purchase_date: dt.date | None
    rfm: Rfm | None
    cluster: Cluster | None
    prediction: Prediction | None
    probability_rank: int | None
    loyalty_tier: str | None = Field(description="From mart_top_customers, where built.")
    as_of_date: dt.date


class CustomerPage(BaseModel):
    total: int = Field(description="Customers matching the filters.")
    limit: int
    offset: int
    items: list[CustomerProfile]


class SegmentSummary(BaseModel):
    segment: str
    segment_order: int
    customer_count: int
    customer_share: float
    mean_recency_days: float | None
    mean_frequency: float | None
    mean_monetary: float | None
    net_revenue: float | None
    revenue_share: float | None
    description: str | None
    recommended_action: str | None


class ClusterSummary(BaseModel):
    cluster_id: int
    cluster_label: str
    customer_count: int
    customer_share: float
    net_revenue: float
    net_revenue_share: float | None
    mean_recency_days: float
    mean_frequency: float
    mean_monetary: float


class Segments(BaseModel):
    reference_date: dt.date
    as_of_date: dt.date
    rfm_segments: list[SegmentSummary]
    clusters: list[ClusterSummary]


class ForecastWeek(BaseModel):
    week_ahead: int
    week_start_date: dt.date
    week_end_date: dt.date
    forecast_net_revenue: float
    lower_80: float
    upper_80: float
    same_week_last_year: float | None


class ForecastSeries(BaseModel):
    series: str = Field(description="total, or an ISO country code.")
    method: str
    weeks: list[ForecastWeek]


class Forecast(BaseModel):
    as_of_date: dt.date
    series: list[ForecastSeries]
