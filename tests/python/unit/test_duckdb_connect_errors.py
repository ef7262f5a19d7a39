"""Why a DuckDB warehouse file cannot be opened (hostile7): only DuckDB's lock conflict is
"in use by another process" (and a WarehouseBusyError, which the orchestrator waits out);
a corrupt file or a memory limit too small said so too, because their messages hold the word
"block"."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from retail_warehouse.engines.duckdb import DuckDBWarehouse, check_duckdb_free, connect_error
from retail_warehouse.errors import LoadError, WarehouseBusyError
from retail_warehouse.messages import describe_duckdb_connect_error


def _warehouse(path: Path) -> Path:
    connection = duckdb.connect(str(path))
    connection.execute("create table t as select range as x from range(100000)")
    connection.close()
    return path


def _corrupt_warehouse(path: Path) -> Path:
    _warehouse(path)
    size = path.stat().st_size
    with path.open("r+b") as file:
        for offset in range(12288 + 100, size, 4096):  # past the headers: every block
            file.seek(offset)
            file.write(b"\xde\xad\xbe\xef" * 8)
    return path


def test_a_corrupt_file_is_not_a_file_in_use(tmp_path: Path) -> None:
    path = _corrupt_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(LoadError) as refused:
        check_duckdb_free(path)
    assert not isinstance(refused.value, WarehouseBusyError)
    assert "in use" not in str(refused.value)
    assert str(refused.value).startswith(f"cannot open the warehouse file {path}: Corrupt")
    with pytest.raises(LoadError, match="Corrupt database file") as opened:
        DuckDBWarehouse(path)
    assert "in use" not in str(opened.value)


def test_a_memory_limit_too_small_names_its_variable(tmp_path: Path) -> None:
    path = _warehouse(tmp_path / "w.duckdb")
    with pytest.raises(LoadError) as refused:
        DuckDBWarehouse(path, memory_limit="1KB")
    message = str(refused.value)
    assert "in use" not in message
    assert message.endswith("(RW_DUCKDB_MEMORY_LIMIT is '1KB')")


def test_a_lock_conflict_is_still_a_busy_warehouse(tmp_path: Path) -> None:
    held = (
        f'IO Error: Could not set lock on file "{tmp_path}/w.duckdb": Conflicting lock is '
        f"held in /usr/bin/python3 (PID {os.getpid()}) by user me."
    )
    error = connect_error(tmp_path / "w.duckdb", duckdb.IOException(held))
    assert isinstance(error, WarehouseBusyError)
    assert f"in use by another process (PID {os.getpid()}, python3;" in str(error)
    block = "Out of Memory Error: failed to pin block of size 256.0 KiB"
    assert "in use" not in describe_duckdb_connect_error(tmp_path / "w.duckdb", block)
