"""File-level tests of ``retail_warehouse.sources``: workbook conversion, checks, temp files."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from raw_files import ROWS, csv_text, write_csv, write_gzip, write_xlsx, write_zip

from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput
from retail_warehouse.sources import files
from retail_warehouse.sources.csv_checks import check_csv_file
from retail_warehouse.sources.files import (
    CHUNK,
    SourceFormat,
    extract_zip_member,
    fetch,
    sniff_format,
)
from retail_warehouse.sources.online_retail import (
    SOURCE_COLUMNS,
    WORKBOOK,
    check_online_retail_header,
    prepared_csv,
)
from retail_warehouse.sources.scan import MAX_LINE_BYTES
from retail_warehouse.sources.workbook import workbook_to_csv


def test_workbook_becomes_the_same_csv_text(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "online_retail_II.xlsx")
    target = tmp_path / "out.csv"
    assert workbook_to_csv(
        workbook, target, workbook.name, WORKBOOK, check_online_retail_header
    ) == len(ROWS)
    assert target.read_bytes() == csv_text(ROWS).encode("utf-8")


def test_sniff_format_uses_bytes_not_names(tmp_path: Path) -> None:
    gz_named_csv = write_gzip(tmp_path / "looks_plain.csv")
    xlsx_named_zip = write_xlsx(tmp_path / "book.zip")
    assert sniff_format(gz_named_csv) is SourceFormat.CSV_GZ
    assert sniff_format(xlsx_named_zip) is SourceFormat.XLSX
    assert sniff_format(write_zip(tmp_path / "a.zip", xlsx_named_zip)) is SourceFormat.ZIP
    assert sniff_format(write_csv(tmp_path / "a.csv")) is SourceFormat.CSV


def test_prepared_csv_for_each_format_and_cleanup(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "online_retail_II.xlsx")
    sources = {
        "csv": write_csv(tmp_path / "a.csv"),
        "gz": write_gzip(tmp_path / "a.csv.gz"),
        "xlsx": workbook,
        "zip": write_zip(tmp_path / "a.zip", workbook),
    }
    temporary: list[Path] = []
    for kind, path in sources.items():
        with prepared_csv(path) as prepared:
            opener = gzip.open if prepared.gzipped else open
            with opener(prepared.path, "rb") as handle:
                assert handle.read() == csv_text(ROWS).encode("utf-8"), kind
            if kind in ("xlsx", "zip"):
                temporary.append(prepared.path)
    assert temporary and not any(path.exists() for path in temporary)


def test_prepared_csv_names_the_inner_file(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "book.xlsx")
    with prepared_csv(write_zip(tmp_path / "outer.zip", workbook)) as prepared:
        assert prepared.display_name == "online_retail_II.xlsx in outer.zip"


def test_check_csv_file_tolerates_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(ROWS).encode())
    check_csv_file(CsvInput(path, False, "bom.csv"), SOURCE_COLUMNS)


def test_check_csv_file_header_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"Invoice\xe9\n1\n")
    with pytest.raises(LoadError, match=r"latin\.csv: line 1: the header is not valid UTF-8"):
        check_csv_file(CsvInput(path, False, "latin.csv"), SOURCE_COLUMNS)


def test_check_csv_file_empty_gzip(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(LoadError, match=r"empty\.csv\.gz: the file is empty"):
        check_csv_file(CsvInput(path, True, "empty.csv.gz"), SOURCE_COLUMNS)


def test_fetch_local_path_is_used_in_place(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv")
    assert fetch(str(path), tmp_path / "cache", io.StringIO()) == path
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("break_at", [None, 5])
def test_a_zip_member_with_a_line_too_long_stops_extracting_at_it(
    tmp_path: Path, break_at: int | None
) -> None:
    """Hostile round, item 9: a zip holding a header then gigabytes without a line break was
    extracted in full before the scan refused its line 2. The extraction now stops at the
    line limit, with the scan's words, having written little more than the limit."""
    header = ",".join(SOURCE_COLUMNS) + "\n"
    archive = tmp_path / "big.zip"
    with (
        zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
        out.open("data.csv", "w") as member,
    ):
        member.write(header.encode())
        if break_at is not None:  # short lines first: the long one is further down
            member.write(b"x\n" * (break_at - 2))
        block = b"A" * CHUNK
        for _ in range(3 * MAX_LINE_BYTES // CHUNK):
            member.write(block)
    folder = tmp_path / "out"
    folder.mkdir()
    line = 2 if break_at is None else break_at
    with pytest.raises(LoadError) as raised:
        extract_zip_member(archive, folder, "big.zip", lambda names: names[0], "a .csv")
    assert str(raised.value).startswith(
        f"data.csv in big.zip: line {line}: the line is longer than {MAX_LINE_BYTES:,} bytes"
    )
    assert (folder / "data.csv").stat().st_size <= MAX_LINE_BYTES + 2 * CHUNK


def test_a_zip_member_larger_than_the_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Round 2, item 4: a member of many short lines was extracted whole, however large.
    Beyond MAX_ZIP_MEMBER_BYTES (by the size the zip declares) it is refused in one line
    naming the zip and the member, before anything is written."""
    text = csv_text(ROWS * 40).encode("utf-8")
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("data.csv", text)
    monkeypatch.setattr(files, "MAX_ZIP_MEMBER_BYTES", len(text) - 1)
    with pytest.raises(LoadError) as raised, prepared_csv(archive):
        pass
    assert str(raised.value) == (
        f"data.csv in many.zip: {len(text):,} bytes uncompressed, more than the "
        f"{len(text) - 1:,} taken from a zip; unzip it and load the file itself (a .csv or "
        ".csv.gz is read without a copy)"
    )
    monkeypatch.setattr(files, "MAX_ZIP_MEMBER_BYTES", len(text))
    with prepared_csv(archive) as prepared:
        assert prepared.path.read_bytes() == text


def test_a_zip_member_name_is_shown_escaped(tmp_path: Path) -> None:
    """Hostile round 3: a member named 'evil<newline>name<ESC>[31m.csv' reached messages
    raw (two lines, a terminal colour code); it is escaped as file names are."""
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("evil\nname\x1b[31m.csv", csv_text(ROWS))
    with prepared_csv(archive) as prepared:
        assert prepared.display_name == "evil\\nname\\x1b[31m.csv in names.zip"
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr("other\n.csv", "")
    with pytest.raises(LoadError, match=r"found evil\\nname\\x1b\[31m.csv, other\\n.csv$"):
        extract_zip_member(archive, tmp_path, "names.zip", lambda names: None, "one .csv")


def test_a_zip_member_of_ordinary_lines_is_extracted_whole(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "online_retail_II.xlsx")
    for inner in (write_csv(tmp_path / "a.csv"), workbook):
        archive = write_zip(tmp_path / f"{inner.name}.zip", inner)
        with prepared_csv(archive) as prepared:
            assert prepared.path.read_bytes() == csv_text(ROWS).encode("utf-8")
