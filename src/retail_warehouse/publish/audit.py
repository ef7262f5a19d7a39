"""Audit: read dbt's ``run_results.json`` of a build and say what failed.

A build may be published only when dbt exited 0 and no node ended in ``error`` or ``fail``
(tests at warn severity end in ``warn`` and do not stop it). For a failed data test, the rows
its query returns are the offending values (``relationships`` returns the child values that
have no parent, ``accepted_values`` the values not accepted, ``unique`` the duplicated keys):
``failing_rows`` reads the first few from the shadow copy, where they still are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail_warehouse.publish import QueryFunction

PROBLEM_STATUSES = frozenset({"error", "fail", "runtime error"})
"""Node statuses that stop a publish (dbt's ``fail`` is a test that found rows)."""

SAMPLE_ROWS = 5
"""Failing rows shown per test."""

MAX_CELL_CHARACTERS = 60
"""Longer values are cut in the report, so a wide row stays readable."""


@dataclass(frozen=True)
class NodeProblem:
    """One node of the build that failed."""

    unique_id: str
    status: str
    message: str
    failures: int | None = None
    compiled_code: str | None = None

    @property
    def resource_type(self) -> str:
        """``test``, ``model``, ``seed``, ``unit_test``, ``operation`` (a hook)..."""
        return self.unique_id.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The node's name without the project and dbt's hash suffix of generic tests."""
        parts = self.unique_id.split(".")
        if self.resource_type == "test" and len(parts) >= 4:
            return parts[-2]
        return parts[-1]

    @property
    def is_data_test(self) -> bool:
        """A data test that ran and found rows: its query can show them."""
        return self.resource_type == "test" and self.status == "fail" and bool(self.compiled_code)


@dataclass(frozen=True)
class FailingRows:
    """The first rows a failed test's query returned, or why they could not be read."""

    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Audit:
    """The verdict on one build."""

    problems: tuple[NodeProblem, ...]
    skipped: int
    """Nodes dbt skipped because something they depend on failed."""
    node_count: int
    found_results: bool
    """False when dbt stopped before writing ``run_results.json`` (a parse error, say)."""
    unbuilt: tuple[str, ...] = ()
    """Models of the project that this build did not build (a selection, e.g. by an
    orchestrator): a published warehouse must be whole."""

    def passed(self, exit_code: int) -> bool:
        """True when the build may be published."""
        return exit_code == 0 and self.found_results and not self.problems and not self.unbuilt


def read_run_results(path: Path) -> Mapping[str, Any] | None:
    """The parsed ``run_results.json``, or ``None`` when dbt did not write it."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        loaded: Mapping[str, Any] = json.load(handle)
    return loaded


def audit_results(run_results: Mapping[str, Any] | None, models: Iterable[str] = ()) -> Audit:
    """The problems, skips and node count of a build's run results; ``models`` are the
    unique ids of every model of the project (from the manifest), each of which must have
    been built."""
    if run_results is None:
        return Audit(problems=(), skipped=0, node_count=0, found_results=False)
    results: Sequence[Mapping[str, Any]] = run_results.get("results", [])
    problems = tuple(
        NodeProblem(
            unique_id=str(result["unique_id"]),
            status=str(result["status"]),
            message=str(result.get("message") or ""),
            failures=result.get("failures"),
            compiled_code=result.get("compiled_code"),
        )
        for result in results
        if str(result.get("status")) in PROBLEM_STATUSES
    )
    skipped = sum(1 for result in results if result.get("status") == "skipped")
    built = {str(result["unique_id"]) for result in results if result.get("status") == "success"}
    unbuilt = tuple(sorted(model for model in models if model not in built))
    if problems or skipped:
        unbuilt = ()  # the failures say why; the skipped models are their consequence
    return Audit(
        problems=problems,
        skipped=skipped,
        node_count=len(results),
        found_results=True,
        unbuilt=unbuilt,
    )


def failing_rows_query(compiled_code: str, limit: int = SAMPLE_ROWS) -> str:
    """A query for the first ``limit`` rows of a test's compiled SQL."""
    body = compiled_code.strip().rstrip(";")
    return f"select * from (\n{body}\n) as failing_rows limit {limit}"


def failing_rows(query: QueryFunction, problem: NodeProblem) -> FailingRows:
    """The first rows that ``problem``'s test query returns on the shadow copy."""
    if not problem.is_data_test or problem.compiled_code is None:
        return FailingRows()
    try:
        columns, rows = query(failing_rows_query(problem.compiled_code))
    except Exception as error:  # any engine error is reported, not raised
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return FailingRows(error=first_line)
    return FailingRows(columns=tuple(columns), rows=tuple(tuple(row) for row in rows))


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    if len(text) > MAX_CELL_CHARACTERS:
        return text[: MAX_CELL_CHARACTERS - 3] + "..."
    return text


def format_rows(rows: FailingRows, indent: str = "      ") -> list[str]:
    """The rows as ``column=value, ...`` lines."""
    if rows.error:
        return [f"{indent}(could not read the failing rows: {rows.error})"]
    return [
        indent
        + ", ".join(
            f"{column}={_cell(value)}" for column, value in zip(rows.columns, row, strict=True)
        )
        for row in rows.rows
    ]


def format_failure(
    audit: Audit,
    exit_code: int,
    samples: Mapping[str, FailingRows],
    shadow_location: str,
) -> str:
    """The report of a build that was not published."""
    lines = ["build failed: nothing was published; BI tools still read the previous warehouse."]
    if not audit.found_results:
        lines.append(
            f"dbt exited {exit_code} before it ran any node (see its output above); "
            "no run_results.json was written."
        )
    tests = [problem for problem in audit.problems if problem.resource_type == "test"]
    others = [problem for problem in audit.problems if problem.resource_type != "test"]
    if tests:
        lines.append(f"failed tests ({len(tests)}):")
        for problem in tests:
            found = "" if problem.failures is None else f": {problem.failures:,} failing rows"
            lines.append(f"  {problem.name}{found}")
            sample = samples.get(problem.unique_id)
            if sample is not None:
                lines += format_rows(sample)
            elif problem.message:
                lines.append(f"      {_first_line(problem.message)}")
    if others:
        lines.append(f"failed nodes ({len(others)}):")
        for problem in others:
            lines.append(
                f"  {problem.resource_type} {problem.name}: {_first_line(problem.message)}"
            )
    if audit.skipped:
        lines.append(f"skipped: {audit.skipped} nodes that depend on them")
    if audit.unbuilt:
        names = ", ".join(model.rsplit(".", 1)[-1] for model in audit.unbuilt[:5])
        more = ", ..." if len(audit.unbuilt) > 5 else ""
        lines.append(
            f"not built: {len(audit.unbuilt)} models ({names}{more}); "
            "a published build must build every model (no --select)"
        )
    if audit.found_results and not audit.problems and exit_code != 0:
        lines.append(f"dbt exited {exit_code} (see its output above)")
    lines.append(f"shadow copy kept for inspection: {shadow_location}")
    lines.append(
        "fix the cause and run the build again; the next build starts from the published state."
    )
    return "\n".join(lines)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def problems_with_rows(problems: Iterable[NodeProblem]) -> list[NodeProblem]:
    """The problems whose failing rows can be shown."""
    return [problem for problem in problems if problem.is_data_test]
