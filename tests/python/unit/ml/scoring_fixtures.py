"""Hand-made RFM edges for the scoring and API tests (imported by tests)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd

from retail_warehouse.scoring import GRID_COLUMNS

SEGMENTS = Path(__file__).resolve().parents[4] / "seeds" / "rfm_segments.csv"
EDGES = {
    "recency": (10, 30, 90, 200),
    "frequency": (1, 2, 4, 8),
    "monetary": (100, 500, 1000, 5000),
}


def grid_frame(reference_date: dt.date, **changes: object) -> pd.DataFrame:
    """mart_rfm_scoring_grid rows with the hand-made EDGES."""
    with SEGMENTS.open() as file:
        cells = list(csv.DictReader(file))
    rows = []
    for cell in cells:
        row: dict[str, object] = {
            "r_score": int(cell["r_score"]),
            "f_score": int(cell["f_score"]),
            "segment": cell["segment"],
            "reference_date": reference_date,
            "window_start_date": None,
            "rfm_definition": "warehouse",
            "frequency_binning": "quantile",
        }
        for measure, edges in EDGES.items():
            for percent, edge in zip((20, 40, 60, 80), edges, strict=True):
                row[f"{measure}_p{percent}"] = edge
        row.update(changes)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(GRID_COLUMNS))
