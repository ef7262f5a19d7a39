"""A reader that goes away (`retail-warehouse build | head -2`, a log pipe that closes) ends
the output, never the work (hostile7): the build stopped at dbt's next line with a
BrokenPipeError traceback, exit 1; `summary | head -3` printed a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

SRC = Path(__file__).resolve().parents[3] / "src"


def _run_with_a_closed_reader(code: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``code`` with its stdout a pipe whose reader has gone; (exit status, stderr)."""
    reader, writer = os.pipe()
    os.close(reader)  # the reader went away: every write is EPIPE
    try:
        process = subprocess.run(
            [sys.executable, "-c", code],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})},
            check=False,
            timeout=120,
        )
    finally:
        os.close(writer)
    return process.returncode, process.stderr


def test_dbt_output_to_a_reader_gone_does_not_stop_the_build() -> None:
    code = (
        "import sys\n"
        "from retail_warehouse.dbt_process import _write_through, relay_dbt_output\n"
        "relay_dbt_output(iter([f'line {n}\\n' for n in range(1000)]), _write_through)\n"
        "print('the rest of the build ran', file=sys.stderr)\n"
        "print('and its report is not a traceback')\n"
    )
    status, errors = _run_with_a_closed_reader(code)
    assert "the rest of the build ran" in errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors
    assert status == 0


def test_a_command_whose_reader_went_away_ends_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    code = "import sys\nfrom retail_warehouse.cli import main\nsys.exit(main(['generations']))\n"
    status, errors = _run_with_a_closed_reader(code, {"DUCKDB_PATH": str(path)})
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors[-500:]
    assert status == 141
