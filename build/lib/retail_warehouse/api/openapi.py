"""Print the API's OpenAPI document (``python -m retail_warehouse.api.openapi >
docs/openapi.json``); a test checks that the committed file is current."""

import sys

from retail_warehouse.api.app import create_app, openapi_document
from retail_warehouse.api.snapshot import WarehouseSource

if __name__ == "__main__":
    sys.stdout.write(openapi_document(create_app(WarehouseSource(target="duckdb"))))
