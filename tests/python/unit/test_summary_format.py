"""Unit tests for the reconciliation table of ``retail-warehouse summary``."""

from __future__ import annotations

from retail_warehouse.summary import Summary, format_summary, format_table, summary_rows


def _summary(included: int = 90) -> Summary:
    return Summary(
        target="duckdb",
        raw_table="raw.invoice_lines",
        cleaned_table="intermediate.int_invoice_lines_cleaned",
        rows_loaded=1_100,
        rows_included=included,
        excluded=(("duplicate_line", 1_000), ("zero_price", 10)),
    )


def test_totals() -> None:
    summary = _summary()
    assert summary.rows_excluded == 1_010
    assert summary.total == 1_100
    assert summary.reconciles


def test_rows_end_with_total() -> None:
    rows = summary_rows(_summary())
    assert rows[0] == ("rows loaded", "raw.invoice_lines", 1_100)
    assert rows[2] == ("rows excluded", "duplicate_line", 1_000)
    assert rows[-1] == ("total", "included + excluded", 1_100)


def test_format_table_aligns_columns() -> None:
    lines = format_table([("a", "bbb", 5), ("cccc", "d", 12_345)])
    assert lines == ["a     bbb       5", "cccc  d    12,345"]


def test_format_summary_reconciled() -> None:
    text = format_summary(_summary())
    assert text.splitlines()[0] == "duckdb:"
    assert "MISMATCH" not in text
    widths = {len(line) for line in text.splitlines()[1:]}
    assert len(widths) == 1


def test_format_summary_mismatch() -> None:
    summary = _summary(included=80)
    assert not summary.reconciles
    assert text_ends_with_mismatch(format_summary(summary))


def text_ends_with_mismatch(text: str) -> bool:
    return text.splitlines()[-1] == (
        "MISMATCH: included + excluded = 1,090 but 1,100 rows were loaded"
    )
