"""Time each phase of a full build on the full data, on DuckDB and PostgreSQL.

Phases: load (retail-warehouse load), dbt parse (no partial parse), seeds,
the SQL models (one dbt run --full-refresh), the ML Python models and the
mart that reads them (--select path:python_models+), all tests (unit and data), a published build
(`retail-warehouse build`: shadow copy, dbt build, tests, atomic publish) with
its two extra steps broken out, and a second load of the same file (the no-op
check), then the API on each built target (scripts/bench_api.py: profile
lookups at a fixed rate, batch scoring). Each phase runs in a fresh process;
the table shows wall seconds and the peak RSS of the phase's processes (for
PostgreSQL that is the client side; the server's memory is not counted). A
second table times the copy of a DuckDB file, the step of a published build
that grows with the warehouse, at the bench file's size and at larger sizes
(BENCH_COPY_GIB, default "1,4"; plain files of that size).

Usage: python scripts/bench.py  (needs ONLINE_RETAIL_SOURCE and the PG*
variables, e.g. from scripts/postgres_start.sh). `make bench` does both.
The ML phase is checked against its goal (ML_GOAL_SECONDS, issue 16).

python scripts/bench.py --ml-only (`make bench-ml`) times only the ML phase
on the warehouse already built at DUCKDB_PATH (default warehouse.duckdb),
three runs, for iterating on the models without a full load.

After the two targets, the same phases run for TPC-H at scale factor
TPCH_BENCH_SCALE_FACTOR (1: 6,001,215 order lines) on DuckDB, with its
generation by tpchgen-cli timed as a phase of its own (reused from data/tpch/
when already there) and TPC-H Q1's A|F quantity checked against the
reference answer (37,734,107 at SF 1). python scripts/bench.py --tpch-only
runs only that part.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_api

from retail_warehouse.engines import throwaway_database
from retail_warehouse.publish.duckdb import copy_database
from retail_warehouse.settings import from_env

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SQL_RUN = "dbt run (SQL models)"
ML_MODELS = ("--select", "path:python_models+", "--full-refresh")
"""The ML phase: the Python models and what reads them (mart_customer_360)."""
SQL_MODELS = ("--exclude", "path:python_models+", "--full-refresh")
"""The SQL phase: every other model, in full (a rerun on a kept warehouse is a full build too)."""
"""One run of every SQL model: by layer would fail on a fresh warehouse, as an intermediate
model (int_invoice_values_summarized) reads a mart (fct_invoices)."""
ML_PHASE = "dbt run ml"
TPCH_BENCH_SCALE_FACTOR = 1.0
TPCH_Q1_AF_QUANTITY = {1.0: 37_734_107, 0.01: 380_456}
"""TPC-H Q1's sum_qty of the A|F group in the reference answers, by scale factor."""
ML_GOAL_SECONDS = 20.0
"""Every ML model on the full data within this many seconds (the phase's wall time)."""
PUBLISHED_BUILD = "retail-warehouse build (published)"
# The step times `retail-warehouse build` prints after a publish.
STEP_TIMES = re.compile(r"shadow copy ([0-9.]+) s, dbt build ([0-9.]+) s, publish ([0-9.]+) s")


def run_phase(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run one phase in a child process; return (seconds, peak RSS in MiB, its stdout)."""
    probe = (
        "import resource, subprocess, sys\n"
        "code = subprocess.run(sys.argv[1:]).returncode\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(peak, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"bench: {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024, result.stdout


def phases(target: str, work: Path) -> list[tuple[str, list[str]]]:
    """The commands timed for one target, in order."""
    dbt = [str(BIN / "dbt")]
    common = ["--target", target, "--target-path", str(work / f"target_{target}")]
    load = [str(BIN / "retail-warehouse"), "load", "--target", target]
    steps = [
        ("load raw data", load),
        ("dbt parse", [*dbt, "parse", "--no-partial-parse", *common]),
        ("dbt seed", [*dbt, "seed", *common]),
    ]
    steps.append((SQL_RUN, [*dbt, "run", *SQL_MODELS, *common]))
    steps.append((ML_PHASE, [*dbt, "run", *ML_MODELS, *common]))
    published = [str(BIN / "retail-warehouse"), "build", "--target", target, "--", *common[2:]]
    steps += [
        ("dbt test (all)", [*dbt, "test", *common]),
        (PUBLISHED_BUILD, published),
        ("load again (no-op)", load),
    ]
    return steps


def build_phases(common: list[str], label: str = "") -> list[tuple[str, list[str]]]:
    """The dbt commands of a full build after a load: seeds, the SQL models, the ML
    Python models, all tests; ``common`` holds the target arguments, ``label`` prefixes
    each phase's name."""
    dbt = [str(BIN / "dbt")]
    steps = [(f"{label}dbt seed", [*dbt, "seed", *common])]
    steps.append((f"{label}{SQL_RUN}", [*dbt, "run", *SQL_MODELS, *common]))
    steps.append((f"{label}dbt run ml", [*dbt, "run", *ML_MODELS, *common]))
    steps.append((f"{label}dbt test (all)", [*dbt, "test", *common]))
    return steps


def tpch_phases(
    work: Path, scale_factor: float, target: str = "duckdb"
) -> list[tuple[str, list[str]]]:
    """The commands timed for TPC-H on ``target`` (run with RW_SALES_SOURCE=tpch)."""
    common = ["--target", target, "--target-path", str(work / f"target_tpch_{target}")]
    generate = [
        str(BIN / "python"),
        "-c",
        f"from retail_warehouse.sources import tpch; tpch.generate({scale_factor})",
    ]
    load = [
        str(BIN / "retail-warehouse"),
        *("load", "--target", target, "--source-system", "tpch"),
        *("--scale-factor", str(scale_factor)),
    ]
    steps = [
        ("tpch generate (tpchgen-cli)", generate),
        ("tpch load raw data", load),
    ]
    return steps + build_phases(common, "tpch ")


def tpch_bench(work: Path, scale_factor: float = TPCH_BENCH_SCALE_FACTOR) -> list[str]:
    """Time the TPC-H phases on DuckDB; the Markdown lines of their table and the Q1 check."""
    import duckdb

    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "tpch.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SALES_SOURCE="tpch",
        RW_SCHEMA_PREFIX="tpch_",
    )
    lines = [
        f"| TPC-H SF {scale_factor:g} phase (DuckDB) | seconds | peak MiB |",
        "|---|---:|---:|",
    ]
    total = 0.0
    for name, args in tpch_phases(work, scale_factor):
        print(f"bench: tpch: {name} ...", file=sys.stderr)
        seconds, peak, _ = run_phase(args, env)
        total += seconds
        lines.append(f"| {name} | {seconds:.1f} | {peak:.0f} |")
    lines.append(f"| total | {total:.1f} | |")
    with duckdb.connect(str(work / "tpch.duckdb"), read_only=True) as connection:
        lines_count, q1 = connection.execute(
            "select count(*), sum(case when l_returnflag = 'A' and l_linestatus = 'F' "
            "and cast(l_shipdate as date) <= date '1998-09-02' "
            "then cast(l_quantity as numeric(15, 2)) end) from tpch_raw.tpch_lineitem"
        ).fetchall()[0]
    expected = TPCH_Q1_AF_QUANTITY.get(scale_factor)
    verdict = "" if expected is None else (" = reference" if q1 == expected else " != reference")
    lines.append(
        f"\n{lines_count:,} order lines; TPC-H Q1 A|F sum_qty {q1:,.0f}"
        f"{verdict}{'' if expected is None else f' {expected:,}'}"
    )
    return lines


def ml_goal(seconds: dict[str, float]) -> str:
    """One line: the ML phase's seconds per target against :data:`ML_GOAL_SECONDS`."""
    parts = [f"{target} {value:.1f} s" for target, value in seconds.items()]
    verdict = "met" if max(seconds.values()) <= ML_GOAL_SECONDS else "NOT met"
    return f"ML models ({ML_PHASE}): {', '.join(parts)}; goal <= {ML_GOAL_SECONDS:.0f} s {verdict}"


def ml_only(runs: int = 3) -> int:
    """Time the ML phase ``runs`` times on the DuckDB warehouse at DUCKDB_PATH."""
    work = Path(tempfile.mkdtemp(prefix="rw_bench_ml_"))
    env = dict(os.environ)
    env.setdefault("DUCKDB_PATH", str(REPO / "warehouse.duckdb"))
    env["DBT_PROFILES_DIR"] = str(REPO / "profiles")
    args = dict(phases("duckdb", work))[ML_PHASE]
    timings = []
    for run in range(runs):
        print(f"bench: duckdb: {ML_PHASE} ({run + 1} of {runs}) ...", file=sys.stderr)
        timings.append(run_phase(args, env)[:2])
    for seconds, peak in timings:
        print(f"| {ML_PHASE} | {seconds:.1f} s | {peak:.0f} MiB |")
    print(ml_goal({"duckdb": min(seconds for seconds, _ in timings)}) + " (best of runs)")
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    return 0


def publish_steps(output: str) -> dict[str, float]:
    """The shadow copy and publish seconds a published build printed."""
    found = STEP_TIMES.search(output)
    if found is None:
        raise SystemExit(f"bench: no step times in the build output:\n{output[-2000:]}")
    return {
        "  of which: shadow copy": float(found.group(1)),
        "  of which: publish": float(found.group(3)),
    }


def copy_costs(warehouse: Path, work: Path, sizes_gib: list[float]) -> list[str]:
    """Seconds to copy the bench's DuckDB file and plain files of ``sizes_gib``, as the
    shadow copy of a DuckDB build does (``copy_database``)."""
    lines = ["| file | size MiB | copy s |", "|---|---:|---:|"]
    files = [("bench warehouse.duckdb", warehouse)]
    block = os.urandom(1 << 20)
    for size in sizes_gib:
        path = work / f"copy_{size:g}gib.bin"
        with path.open("wb") as handle:
            for _ in range(int(size * 1024)):
                handle.write(block)
        files.append((f"{size:g} GiB file", path))
    for name, path in files:
        started = time.perf_counter()
        copy_database(path, work / "copy_target" / path.name)
        seconds = time.perf_counter() - started
        lines.append(f"| {name} | {path.stat().st_size / 2**20:,.0f} | {seconds:.2f} |")
        (work / "copy_target" / path.name).unlink()
        if path != warehouse:
            path.unlink()
    return lines


def main() -> int:
    """Run the benchmark and print a Markdown table."""
    if "--ml-only" in sys.argv[1:]:
        return ml_only()
    if "--tpch-only" in sys.argv[1:]:
        print("\n".join(tpch_bench(Path(tempfile.mkdtemp(prefix="rw_bench_tpch_")))))
        print(f"\n{os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
        return 0
    source = os.environ.get("ONLINE_RETAIL_SOURCE")
    if not source:
        print("bench: set ONLINE_RETAIL_SOURCE to the Online Retail II file", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="rw_bench_"))
    results: dict[str, dict[str, tuple[float, float | None]]] = {}
    with throwaway_database(from_env().postgres, "rw_bench") as database:
        env = dict(os.environ)
        env.update(
            DUCKDB_PATH=str(work / "bench.duckdb"),
            PGDATABASE=database,
            DBT_PROFILES_DIR=str(REPO / "profiles"),
        )
        for target in ("duckdb", "postgres"):
            for name, args in phases(target, work):
                print(f"bench: {target}: {name} ...", file=sys.stderr)
                seconds, peak, output = run_phase(args, env)
                results.setdefault(name, {})[target] = (seconds, peak)
                if name == PUBLISHED_BUILD:
                    for step, step_seconds in publish_steps(output).items():
                        results.setdefault(step, {})[target] = (step_seconds, None)
        api_rows = []
        for target in ("duckdb", "postgres"):
            print(f"bench: {target}: API (scripts/bench_api.py) ...", file=sys.stderr)
            api_rows += bench_api.run(target, env, work / "bench.duckdb")
    sizes = [float(size) for size in os.environ.get("BENCH_COPY_GIB", "1,4").split(",") if size]
    copies = copy_costs(work / "bench.duckdb", work, sizes)

    lines = [
        "| phase | DuckDB s | DuckDB peak MiB | PostgreSQL s | PostgreSQL client peak MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    totals = {"duckdb": 0.0, "postgres": 0.0}
    for name, by_target in results.items():
        cells = []
        for target in ("duckdb", "postgres"):
            seconds, peak = by_target[target]
            if peak is None:  # a part of the phase above, not a phase of its own
                cells += [f"{seconds:.2f}", ""]
                continue
            totals[target] += seconds
            cells += [f"{seconds:.1f}", f"{peak:.0f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(f"| total | {totals['duckdb']:.1f} | | {totals['postgres']:.1f} | |")
    print("\n".join(lines))
    print(ml_goal({target: results[ML_PHASE][target][0] for target in ("duckdb", "postgres")}))
    print()
    print("\n".join(bench_api.HEADER + api_rows))
    print("\nDuckDB shadow copy (copy_database) by file size:\n")
    print("\n".join(copies))
    print()
    print("\n".join(tpch_bench(work)))
    print(
        f"\n{os.cpu_count()} cores; source {Path(source).name}; "
        f"{time.strftime('%Y-%m-%d')}; peak RSS from getrusage of each phase's processes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
