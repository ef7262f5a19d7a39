"""Query strings (hostile round 6): a parameter an endpoint does not take, and a
single-valued one given twice, are 422 naming it; they were ignored or the last one used."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from test_api import assert_error

SCORE = {"history": [{"invoice_id": "1", "invoice_date": "2011-12-01", "product_amount": 5}]}


@pytest.mark.parametrize(
    ("url", "field", "text"),
    [
        # a typo: every customer came back unfiltered
        ("/customers?min_probabilty=0.99", "min_probabilty", "no such query parameter"),
        ("/customers?segment=Champions&segmnt=x", "segmnt", "one of cluster_id, country_code"),
        ("/customers/1?limit=1", "limit", "(none here)"),
        ("/segments?a", "a", "no such query parameter"),
        ("/forecast?week=1", "week", "no such query parameter"),
        # the last value was used: limit 500, 2 weeks
        ("/customers?limit=1&limit=500", "limit", "limit: given 2 times; give it once"),
        ("/forecast?weeks=1&weeks=2", "weeks", "weeks: given 2 times"),
    ],
)
def test_an_unknown_or_repeated_query_parameter_is_422(
    client: TestClient, url: str, field: str, text: str
) -> None:
    assert_error(client.get(url), 422, field, text)


def test_query_parameters_on_posts_are_refused_too(client: TestClient) -> None:
    assert_error(client.post("/score?customer_id=5", json=SCORE), 422, "customer_id")


def test_what_the_endpoints_take_still_works(client: TestClient) -> None:
    assert client.get("/forecast?series=total&series=GB&weeks=1").status_code == 200
    page = client.get("/customers?limit=2&offset=1&min_probability=0")
    assert page.status_code == 200 and page.json()["limit"] == 2
    assert client.get("/health?ts=1").status_code == 200  # monitors' cache busters
