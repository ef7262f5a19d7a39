"""Incremental refresh at scale: what appending one month costs against a full build.

At a TPC-H scale factor (``--scale-factor``, default 1) or on Online Retail II (``--source
online_retail``, ONLINE_RETAIL_SOURCE), on DuckDB (default) or PostgreSQL (``--target
postgres``, a throwaway database from the PG* variables), each phase in a fresh process:

1. load all but the last month: TPC-H ``retail-warehouse load --orders-before CUT`` (the
   orders dated before CUT and their lines, docs/sources.md); Online Retail II the file's
   lines dated before CUT, as one extract;
2. ``retail-warehouse build``: the first (full) build;
3. load the last month (``--orders-from CUT``; the lines dated from CUT on);
4. ``retail-warehouse build``: the incremental build (a refresh: it scores with the stored
   models, and trains in the same dbt run when the new month takes the data
   ``ml_retrain_after_days`` past them; the table says which, docs/ml.md "Two lanes");
5. ``retail-warehouse build`` again: a refresh with no new data;
6. ``retail-warehouse build -- --full-refresh``: a full build of the same data (it trains),
   the figure the refreshes are compared with.

Prints the phases' wall times, the shadow copy / dbt / publish split of each build, the ratio
incremental / full (goal: at most 0.20 at SF 10, issue 13), dbt's fixed start-up (a ``dbt
parse`` without and with the saved partial-parse state) and the slowest nodes of the
incremental and the full build (from run_results.json). The last month: TPC-H from
1998-07-01 (33 days of orders, 1.4 % of them), Online Retail II from 2011-11-09 (its last 31
days); ``--cut YYYY-MM-DD`` sets another. Method: docs/operations.md; results:
docs/benchmark.md.

Usage: python scripts/bench_incremental.py [--source tpch|online_retail] [--scale-factor N]
[--target duckdb|postgres] [--cut DATE] [--keep-work]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from retail_warehouse.engines import throwaway_database
from retail_warehouse.publish.duckdb import DuckdbLayout
from retail_warehouse.publish.postgres import SHADOW_SUFFIX
from retail_warehouse.settings import from_env
from retail_warehouse.sources.online_retail_slices import split_by_invoice_date

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_CUTS = {"tpch": dt.date(1998, 7, 1), "online_retail": dt.date(2011, 11, 9)}
GOAL_RATIO = 0.20
STEP_TIMES = re.compile(r"shadow copy ([0-9.]+) s, dbt build ([0-9.]+) s, publish ([0-9.]+) s")
SLOWEST_NODES = 8
NOTHING_TO_BUILD = "nothing to build:"


def run_phase(name: str, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run one phase in a child process; return (wall seconds, its output)."""
    print(f"bench_incremental: {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"bench_incremental: {name} failed:\n{result.stdout[-4000:]}{result.stderr[-3000:]}"
        )
    return seconds, result.stdout


def build_seconds(output: str) -> dict[str, float]:
    """The shadow copy, dbt and publish seconds a published build printed."""
    found = STEP_TIMES.search(output)
    if found is None:
        raise SystemExit(f"bench_incremental: no step times in the build output:\n{output[-2000:]}")
    return {"shadow": float(found[1]), "dbt": float(found[2]), "publish": float(found[3])}


def slowest_nodes(run_results: Path, count: int = SLOWEST_NODES) -> list[tuple[str, float]]:
    """The ``count`` nodes of a dbt run that took longest, with their seconds."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    timed = sorted(
        ((str(node["unique_id"]), float(node["execution_time"] or 0.0)) for node in results),
        key=lambda item: -item[1],
    )
    return timed[:count]


@contextmanager
def warehouse_env(target: str, work: Path, source: str) -> Iterator[dict[str, str]]:
    """The environment of a fresh warehouse: a DuckDB file in ``work`` or a throwaway
    PostgreSQL database."""
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "bench.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        DBT_TARGET_PATH=str(work / "target"),
        RW_SCHEMA_PREFIX="",
        RW_SALES_SOURCE=source,
    )
    if target == "duckdb":
        yield env
        return
    with throwaway_database(from_env().postgres, "rw_bench_incr") as database:
        env["PGDATABASE"] = database
        yield env


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=sorted(DEFAULT_CUTS), default="tpch")
    parser.add_argument("--scale-factor", type=float, default=1.0)
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--cut", type=dt.date.fromisoformat)
    parser.add_argument("--keep-work", action="store_true", help="keep the warehouse and logs")
    parser.add_argument(
        "--no-full-refresh",
        action="store_true",
        help="compare with the first build (all but the last month: a little less data, so a "
        "ratio no better than against a full build of everything) instead of running a "
        "--full-refresh build at the end",
    )
    args = parser.parse_args(argv)
    cut = args.cut or DEFAULT_CUTS[args.source]
    work = Path(tempfile.mkdtemp(prefix="rw_bench_incr_"))
    tool = str(BIN / "retail-warehouse")
    common = ["--target", args.target]
    if args.source == "tpch":
        sliced = [*common, "--source-system", "tpch", "--scale-factor", f"{args.scale_factor:g}"]
        first_load = [tool, "load", *sliced, "--orders-before", cut.isoformat()]
        last_load = [tool, "load", *sliced, "--orders-from", cut.isoformat()]
        label = f"TPC-H SF {args.scale_factor:g}"
    else:
        source = Path(os.environ.get("ONLINE_RETAIL_SOURCE", ""))
        if not source.is_file():
            print("bench_incremental: set ONLINE_RETAIL_SOURCE", file=sys.stderr)
            return 2
        before, after = split_by_invoice_date(source, cut, work)
        first_load = [tool, "load", *common, "--source", str(before)]
        last_load = [tool, "load", *common, "--source", str(after)]
        label = "Online Retail II"
    build = [tool, "build", *common, "--"]
    dbt = [str(BIN / "dbt")]
    rows: list[tuple[str, float]] = []
    splits: dict[str, dict[str, float]] = {}
    nodes: dict[str, list[tuple[str, float]]] = {}
    try:
        with warehouse_env(args.target, work, args.source) as env:
            run_results = work / "target" / "run_results.json"
            # dbt parse with the settings `retail-warehouse build` gives dbt (the shadow), so
            # the partial-parse state it leaves is the one the next build reuses.
            parse_env = {**env, "DUCKDB_PATH": str(DuckdbLayout(Path(env["DUCKDB_PATH"])).shadow)}
            if args.target == "postgres":
                parse_env["RW_BUILD_SCHEMA_SUFFIX"] = SHADOW_SUFFIX
            for name, command in (
                ("load all but the last month", first_load),
                ("first build (full)", build),
                ("dbt parse, no saved state", [*dbt, "parse", "--no-partial-parse", *common]),
                ("dbt parse, partial parse", [*dbt, "parse", *common]),
                ("load the last month", last_load),
                ("incremental build", build),
                ("build with no new data", build),
                ("full build (--full-refresh)", [*build, "--full-refresh"]),
            ):
                if args.no_full_refresh and "--full-refresh" in command:
                    continue
                parsing = command[1:2] == ["parse"]
                seconds, output = run_phase(name, command, parse_env if parsing else env)
                rows.append((name, seconds))
                if command[:2] == [tool, "build"] and NOTHING_TO_BUILD in output:
                    # the up-to-date check (docs/operations.md): no shadow, dbt or publish
                    splits[name] = {"shadow": 0.0, "dbt": 0.0, "publish": 0.0, "trained": 0.0}
                elif command[:2] == [tool, "build"]:
                    splits[name] = build_seconds(output)
                    splits[name]["trained"] = float("models trained:" in output)
                    nodes[name] = slowest_nodes(run_results)
    finally:
        if args.keep_work:
            print(f"bench_incremental: work kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(report(label, args.target, cut, rows, splits, nodes))
    return 0


def report(
    label: str,
    target: str,
    cut: dt.date,
    rows: list[tuple[str, float]],
    splits: dict[str, dict[str, float]],
    nodes: dict[str, list[tuple[str, float]]],
) -> str:
    """The Markdown tables of one run."""
    seconds = dict(rows)
    lines = [
        f"{label} on {target}, last month from {cut}; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end, {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        "| phase | wall s | shadow copy s | dbt s | publish s | trained |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, wall in rows:
        split = splits.get(name)
        cells = (
            ["", "", "", ""]
            if split is None
            else [
                f"{split['shadow']:.1f}",
                f"{split['dbt']:.1f}",
                f"{split['publish']:.2f}",
                "yes" if split["trained"] else "no",
            ]
        )
        lines.append(f"| {name} | {wall:.1f} | " + " | ".join(cells) + " |")
    incremental, full = "incremental build", "full build (--full-refresh)"
    if full not in seconds:
        full = "first build (full)"
    ratio = seconds[incremental] / seconds[full]
    dbt_ratio = splits[incremental]["dbt"] / splits[full]["dbt"]
    verdict = "met" if ratio <= GOAL_RATIO else "not met"
    lines += [
        "",
        f"incremental / full: {ratio:.2f} of the wall time ({dbt_ratio:.2f} of the dbt time); "
        f"goal {GOAL_RATIO:.2f}: {verdict}",
    ]
    if "build with no new data" in seconds:
        lines.append(
            f"no new data / full: {seconds['build with no new data'] / seconds[full]:.2f} "
            "of the wall time"
        )
    for name in (incremental, full):
        lines += ["", f"slowest nodes of the {name}:", ""]
        lines += [f"- {node}: {node_seconds:.1f} s" for node, node_seconds in nodes[name]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
