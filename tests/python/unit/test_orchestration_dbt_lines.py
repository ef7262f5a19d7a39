"""dbt's JSON log lines with text printed in front of them (dbt-pybridge's ``print`` from
another thread) are split, so dagster-dbt reads every event."""

import json
import subprocess
import sys

from retail_warehouse.orchestration.dbt_lines import SplitPrintedText, split_printed_text

EVENT = {
    "data": {"node_info": {"unique_id": "test.x.not_empty_y"}},
    "info": {"name": "NodeFinished"},
}
LINE = json.dumps(EVENT, sort_keys=True).encode() + b"\n"


def test_text_in_front_of_a_json_line_becomes_its_own_line() -> None:
    printed = b'[pybridge] Writing 5,939 rows to "ml"."scores" (table) {not json'
    assert split_printed_text(printed + LINE) == [printed + b"\n", LINE]


def test_json_lines_and_plain_text_are_kept_whole() -> None:
    assert split_printed_text(LINE) == [LINE]
    assert split_printed_text(b"\n") == [b"\n"]
    assert split_printed_text(b"a {b} c\n") == [b"a {b} c\n"]
    assert split_printed_text(b'[x] {"a": [1, 2]\n') == [b'[x] {"a": [1, 2]\n']


def test_a_process_whose_print_lands_in_front_of_a_dbt_line_yields_every_event() -> None:
    # what two dbt threads write: print's text, another thread's whole line, print's newline
    script = (
        "import sys; w = sys.stdout.write; "
        f"w('[pybridge] Writing 3 rows'); w({LINE.decode()!r}); w('\\n'); w({LINE.decode()!r})"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert process.stdout is not None
    with SplitPrintedText(process.stdout) as lines:
        read = list(lines)
    assert process.wait() == 0
    events = [json.loads(line) for line in read if line.startswith(b"{")]
    assert events == [EVENT, EVENT]
    assert read[0] == b"[pybridge] Writing 3 rows\n"
    assert lines.closed
