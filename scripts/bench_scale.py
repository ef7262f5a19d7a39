"""Time the warehouse at ten times the data and more, on one machine (`make bench-scale`).

Cases (each in its own folder under data/bench_scale/, git-ignored): TPC-H at SF 1 and SF 10
on DuckDB, SF 1 on PostgreSQL, and Online Retail II x10 on DuckDB (ten shifted copies of the
real file, retail_warehouse.sources.replica). Each case: generate the data, load all but its
last month into a fresh warehouse, then the dbt phases of scripts/bench.py (seeds, the SQL
models, the ML models, all tests) and, on DuckDB, the hand-written floor
(scripts/bench_floor.py): the same core marts as plain SQL in one connection, whose time the
warehouse's SQL build is set against; then load the last month and time the incremental
`dbt build` of it against the full build with its tests (issue 13's goal: at most 20 %).
Every phase runs in its own process; a sampler reads /proc twice a second and records the
peak memory (PSS, so shared pages count once) of the phase's whole process tree, plus the
PostgreSQL server's processes on that target, and the 1-minute load average.

The figures of each case are kept in data/bench_scale/results.json and the table of all
cases is written into docs/benchmark.md between the markers below, so cases can be run one at
a time (`--case tpch-sf10-duckdb`) and the table still shows every case.

Usage: python scripts/bench_scale.py [--case NAME ...] [--keep-loaded] [--table-only]
  --keep-loaded  reuse the case's loaded warehouse: skip generate and load (their last
                 figures stay in the table) and time the build phases again.
  --load-only    only generate and load (then --keep-loaded builds).
  --resume-from PHASE  keep the case's warehouse and the figures of the phases before PHASE
                 (e.g. "dbt run ml"), and run PHASE and those after it.
Needs ONLINE_RETAIL_SOURCE for the replica, the PG* variables for PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import BIN, REPO, SQL_RUN, build_phases, tpch_phases
from bench_incremental import DEFAULT_CUTS, GOAL_RATIO, slowest_nodes

from retail_warehouse.build import DATA_BUILD_OPTIONS, TESTED_THROUGH_ENV, newest_published_load
from retail_warehouse.engines import open_warehouse
from retail_warehouse.settings import from_env

DATA = REPO / "data" / "bench_scale"
RESULTS = DATA / "results.json"
DOC = REPO / "docs" / "benchmark.md"
START_MARK = "<!-- bench-scale:start (scripts/bench_scale.py writes this part) -->"
END_MARK = "<!-- bench-scale:end -->"
SAMPLE_SECONDS = 0.5
REPLICA_COPIES = 10
SQL_BUILD = ("dbt seed", SQL_RUN)
"""The phases that make the SQL warehouse, set against the floor."""
FULL_BUILD = (*SQL_BUILD, "dbt run ml")
TESTS = "dbt test (all)"
FULL_TESTED = (*FULL_BUILD, TESTS)
"""A full build with its tests: what the incremental build (a `dbt build`) is set against."""
LOAD = "load raw data"
LAST_LOAD = "load the last month"
INCREMENTAL = "incremental build (the last month)"
FLOOR = "floor (plain SQL, one connection)"
GOAL_FLOOR_RATIO = 2.0
FLOOR_MARTS = ("fct_invoices", "mart_sales_monthly", "dim_customers", "mart_customer_rfm")
"""The warehouse's models the floor makes (scripts/bench_floor.py FLOOR_TABLES)."""
GOAL_PEAK_GIB = 4.0


@dataclass(frozen=True)
class Case:
    """One size of one source on one target."""

    name: str
    title: str
    source: str
    target: str
    scale: float
    dbt_threads: int | None = None
    """Models dbt builds at once (RW_DBT_THREADS) when not the profile's default."""


CASES = (
    Case("tpch-sf1-duckdb", "TPC-H SF 1, DuckDB", "tpch", "duckdb", 1),
    Case("tpch-sf1-postgres", "TPC-H SF 1, PostgreSQL", "tpch", "postgres", 1),
    Case("online-retail-x10-duckdb", "Online Retail II x10, DuckDB", "online_retail", "duckdb", 10),
    # One model at a time: two big ones at once share DuckDB's memory limit and spill
    # three times what each does alone (docs/benchmark.md).
    Case("tpch-sf10-duckdb", "TPC-H SF 10, DuckDB", "tpch", "duckdb", 10, dbt_threads=1),
)


# --- memory of a process tree ------------------------------------------------------------


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def tree(roots: list[int], parents: dict[int, int]) -> set[int]:
    """The processes in ``roots`` and all their descendants."""
    found = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def memory_kib(pid: int) -> int:
    """A process's proportional set size in KiB (its resident size when PSS is unreadable)."""
    for name, field in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class Sampler:
    """Samples the memory of a process tree (and of extra roots) until stopped."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.peak_kib = 0
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = tree(self.roots, _parents())
            self.peak_kib = max(self.peak_kib, sum(memory_kib(pid) for pid in pids))
            self.loads.append(os.getloadavg()[0])
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def run_sampled(
    args: list[str], env: dict[str, str], server_pid: int | None = None
) -> tuple[float, float, float, str]:
    """Run one phase; return (seconds, peak MiB of its process tree and the server's, mean
    load average, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    roots = [process.pid] + ([server_pid] if server_pid else [])
    with Sampler(roots) as sampler:
        output, _ = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"bench-scale: {' '.join(args)} failed:\n{output[-4000:]}")
    load = sum(sampler.loads) / len(sampler.loads) if sampler.loads else os.getloadavg()[0]
    return seconds, sampler.peak_kib / 1024, load, output


# --- the cases ---------------------------------------------------------------------------


def case_phases(case: Case, work: Path) -> list[tuple[str, list[str]]]:
    """The commands timed for a case, in order (names without the source label). The load
    leaves out the last month (bench_incremental.DEFAULT_CUTS), so after the full build and
    its tests the case loads that month and times the incremental `dbt build` of it as
    `retail-warehouse build` runs it in the shadow copy (no unit tests; the row tests of the
    line-level relations on the new loads only)."""
    python = str(BIN / "python")
    cut = DEFAULT_CUTS[case.source].isoformat()
    if case.source == "tpch":
        steps = [
            (name.removeprefix("tpch "), args)
            for name, args in tpch_phases(work, case.scale, case.target)
        ]
        load = dict(steps)[LOAD]
        steps = [
            (name, [*args, "--orders-before", cut] if name == LOAD else args)
            for name, args in steps
        ]
        last_load = [*load, "--orders-from", cut]
    else:
        replica = DATA / f"online_retail_II_x{case.scale:g}.csv"
        generate = [
            python,
            "-c",
            "import sys, datetime; from pathlib import Path; "
            "from retail_warehouse.sources.replica import write_replica; "
            "from retail_warehouse.sources.online_retail_slices import split_by_invoice_date; "
            "replica = Path(sys.argv[2]); "
            "print(write_replica(Path(sys.argv[1]), replica, int(sys.argv[3]))); "
            "print(split_by_invoice_date(replica, datetime.date.fromisoformat(sys.argv[4]), "
            "Path(sys.argv[5]))); replica.unlink()",
            os.environ["ONLINE_RETAIL_SOURCE"],
            str(replica),
            f"{case.scale:g}",
            cut,
            str(work),
        ]
        load = [str(BIN / "retail-warehouse"), "load", "--target", case.target, "--source"]
        common = ["--target", case.target, "--target-path", str(work / "target")]
        steps = [
            ("generate", generate),
            (LOAD, [*load, str(work / f"before_{cut}.csv")]),
            *build_phases(common),
        ]
        last_load = [*load, str(work / f"from_{cut}.csv")]
    steps = [("generate" if name.startswith("generate") else name, args) for name, args in steps]
    if case.target == "duckdb":
        floor = [
            python,
            str(REPO / "scripts" / "bench_floor.py"),
            str(work / "warehouse.duckdb"),
            str(work / "floor.duckdb"),
            case.source,
            prefix(case),
        ]
        # Before the tests, which read the warehouse as long as the build.
        steps.insert(len(steps) - 1, (FLOOR, floor))
    common = dict(steps)["dbt seed"][2:]
    build = [str(BIN / "dbt"), "build", *DATA_BUILD_OPTIONS, *common]
    return [*steps, (LAST_LOAD, last_load), (INCREMENTAL, build)]


def as_published_build(case: Case, env: dict[str, str]) -> dict[str, str]:
    """The incremental build's environment with the variable `retail-warehouse build` sets:
    the newest load the built warehouse holds, so the row tests of the line-level relations
    read only the last month (read once the last month is loaded, before it is built)."""
    warehouse = open_warehouse(case.target, from_env(env), read_only=True)
    try:
        newest = newest_published_load(lambda sql: ([], warehouse.query(sql)), prefix(case))
    finally:
        warehouse.close()
    return {**env, TESTED_THROUGH_ENV: "" if newest is None else str(newest)}


def prefix(case: Case) -> str:
    """The schema prefix of a case's warehouse."""
    return "tpch_" if case.source == "tpch" else ""


@contextmanager
def case_environment(case: Case, work: Path) -> Iterator[tuple[dict[str, str], int | None]]:
    """The environment of a case's commands and the PostgreSQL server's process id."""
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SALES_SOURCE=case.source,
        RW_SCHEMA_PREFIX=prefix(case),
    )
    env[TESTED_THROUGH_ENV] = ""  # as retail-warehouse build before a first publish
    if case.dbt_threads:
        env["RW_DBT_THREADS"] = str(case.dbt_threads)
    if case.target != "postgres":
        yield env, None
        return
    import psycopg2

    from retail_warehouse.engines import throwaway_database
    from retail_warehouse.settings import from_env

    with throwaway_database(from_env().postgres, "rw_bench_scale") as database:
        env["PGDATABASE"] = database
        with psycopg2.connect(dbname=database) as connection, connection.cursor() as cursor:
            cursor.execute("select current_setting('data_directory')")
            data_directory = cursor.fetchone()[0]
        server = int(Path(data_directory, "postmaster.pid").read_text().split()[0])
        yield env, server


LOAD_PHASES = ("generate", LOAD)


def run_case(
    case: Case, resume_from: str | None, results: dict[str, dict], load_only: bool = False
) -> None:
    """Run a case's phases; store its figures in ``results`` (and on disk after each phase).
    With ``resume_from`` the phases before it are not run again and keep their figures."""
    work = DATA / case.name
    previous = results.get(case.name, {}).get("phases", {})
    names = [name for name, _ in case_phases(case, work)]
    skipped = names[: names.index(resume_from)] if resume_from else []
    if not resume_from:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    phases: dict[str, list[float]] = {}
    models: dict[str, float] = dict(results.get(case.name, {}).get("models", {}))
    elapsed: dict[str, float | None] = dict(results.get(case.name, {}).get("dbt_elapsed", {}))
    results[case.name] = {"phases": phases, "models": models, "dbt_elapsed": elapsed}
    with case_environment(case, work) as (env, server):
        for name, args in case_phases(case, work):
            if name in skipped:
                if name in previous:
                    phases[name] = previous[name]
                continue
            if load_only and name not in LOAD_PHASES:
                continue
            print(f"bench-scale: {case.name}: {name} ...", file=sys.stderr, flush=True)
            phase_env = as_published_build(case, env) if name == INCREMENTAL else env
            seconds, peak, load, _ = run_sampled(args, phase_env, server)
            phases[name] = [round(seconds, 1), round(peak), round(load, 1)]
            models.update(model_seconds(args))
            if name == SQL_RUN:
                results[case.name]["floor_path"] = floor_path(args)
            if name == INCREMENTAL:
                run_results = Path(args[args.index("--target-path") + 1]) / "run_results.json"
                results[case.name]["incremental_nodes"] = [
                    [node.split(".")[2], round(seconds, 1)]
                    for node, seconds in slowest_nodes(run_results)
                ]
            elapsed[name] = dbt_elapsed(args)
            print(f"  {seconds:.1f} s, {peak:,.0f} MiB, load {load:.1f}", file=sys.stderr)
            save(case.name, results[case.name])
    results[case.name]["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results[case.name]["lines"] = line_count(case, work)
    save(case.name, results[case.name])


def _run_results(args: list[str]) -> dict | None:
    """The run_results.json a dbt phase left in its target path (None for other phases)."""
    if "--target-path" not in args:
        return None
    path = Path(args[args.index("--target-path") + 1]) / "run_results.json"
    return json.loads(path.read_text()) if path.is_file() else None


def dbt_elapsed(args: list[str]) -> float | None:
    """dbt's own elapsed seconds of a phase: the phase without dbt's start-up (parsing)."""
    results = _run_results(args)
    return None if results is None else round(results["elapsed_time"], 1)


def model_seconds(args: list[str]) -> dict[str, float]:
    """Each model's seconds in the run_results.json a dbt run phase left (none for others)."""
    results = _run_results(args) if "run" in args else None
    if results is None:
        return {}
    return {
        result["unique_id"].rsplit(".", 1)[-1]: round(result["execution_time"], 1)
        for result in results["results"]
    }


def floor_path(args: list[str]) -> list[str]:
    """The models the floor's marts are made from in the warehouse: FLOOR_MARTS and every
    model upstream of them, from the manifest the SQL run left."""
    path = Path(args[args.index("--target-path") + 1]) / "manifest.json"
    parents = json.loads(path.read_text())["parent_map"]
    prefix_ = "model.retail_warehouse."
    found: set[str] = set()
    stack = [prefix_ + name for name in FLOOR_MARTS]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack += [parent for parent in parents.get(node, []) if parent.startswith("model.")]
    return sorted(node.removeprefix(prefix_) for node in found)


def heaviest(results: dict[str, dict], count: int = 8) -> list[str]:
    """The slowest models of each case, as one line per case."""
    lines = []
    for case in CASES:
        models = results.get(case.name, {}).get("models", {})
        if models:
            top = sorted(models.items(), key=lambda item: -item[1])[:count]
            total = sum(models.values())
            named = ", ".join(f"{name} {seconds:,.0f} s" for name, seconds in top)
            lines.append(f"- {case.title} (models {total:,.0f} s in all): {named}.")
        nodes = results.get(case.name, {}).get("incremental_nodes")
        if nodes:
            named = ", ".join(f"{name} {seconds:,.0f} s" for name, seconds in nodes)
            lines.append(f"- {case.title}, incremental build of the last month: {named}.")
    return lines


def line_count(case: Case, work: Path) -> int | None:
    """The raw sales lines of a DuckDB case's warehouse."""
    if case.target != "duckdb":
        return None
    import duckdb

    table = "tpch_raw.tpch_lineitem" if case.source == "tpch" else "raw.invoice_lines"
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(f"select count(*) from {table}").fetchone()[0]


# --- the report --------------------------------------------------------------------------


def load_results() -> dict[str, dict]:
    """The figures of earlier runs."""
    return json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}


def save(name: str, figures: dict) -> None:
    """Keep a case's figures on disk (other runs may be writing other cases)."""
    results = load_results()
    results[name] = figures
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    partial = RESULTS.with_suffix(f".{os.getpid()}")
    partial.write_text(json.dumps(results, indent=1))
    partial.replace(RESULTS)


def machine() -> str:
    """One line describing the machine."""
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{os.cpu_count()} cores ({model}), {memory_kib / 2**20:.0f} GiB RAM, {platform.system()}"
    )


def sum_of(phases: dict[str, list[float]], names: tuple[str, ...]) -> float | None:
    """Total seconds of ``names``, or None when one is missing."""
    if not all(name in phases for name in names):
        return None
    return sum(phases[name][0] for name in names)


def work_seconds(figures: dict, names: tuple[str, ...]) -> float | None:
    """Total of dbt's own elapsed seconds of ``names`` (start-up left out), when all known."""
    elapsed = figures.get("dbt_elapsed", {})
    values = [elapsed.get(name) for name in names]
    return None if any(value is None for value in values) else sum(values)


def peak_of(phases: dict[str, list[float]], names: tuple[str, ...]) -> float | None:
    """Largest peak MiB of ``names``, or None when one of them has not run (a case stopped
    half-way has no peak of its build)."""
    if not all(name in phases for name in names):
        return None
    return max(phases[name][1] for name in names)


def table(results: dict[str, dict]) -> list[str]:
    """The Markdown table of every case run so far, then the goals."""
    cases = [case for case in CASES if case.name in results]
    names: list[str] = []
    for case in cases:
        names += [name for name in results[case.name]["phases"] if name not in names]
    lines = [
        "| phase | " + " | ".join(case.title for case in cases) + " |",
        "|---|" + "---:|" * len(cases),
    ]
    for name in names:
        cells = []
        for case in cases:
            figures = results[case.name]["phases"].get(name)
            cells.append(
                ""
                if figures is None
                else f"{figures[0]:,.1f} s, {figures[1] / 1024:.2f} GiB, load {figures[2]:.1f}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    summary = {
        "SQL build (seed + SQL models)": [],
        "full build (SQL + ML)": [],
        "SQL build without dbt start-up": [],
        "SQL build / floor": [],
        "SQL build without start-up / floor": [],
        "full build / floor": [],
        "the floor's marts in the warehouse (their models' seconds) / floor": [],
        "incremental build of the last month / full build with its tests": [],
        "peak of the build phases": [],
        "raw sales lines": [],
    }
    for case in cases:
        phases = results[case.name]["phases"]
        sql, full, floor = (
            sum_of(phases, SQL_BUILD),
            sum_of(phases, FULL_BUILD),
            sum_of(phases, (FLOOR,)),
        )
        summary["SQL build (seed + SQL models)"].append("" if sql is None else f"{sql:,.1f} s")
        summary["full build (SQL + ML)"].append("" if full is None else f"{full:,.1f} s")
        own = work_seconds(results[case.name], SQL_BUILD)
        summary["SQL build without dbt start-up"].append("" if own is None else f"{own:,.1f} s")
        summary["SQL build / floor"].append(
            "" if sql is None or not floor else f"{sql / floor:.1f}x"
        )
        summary["SQL build without start-up / floor"].append(
            "" if own is None or not floor else f"{own / floor:.1f}x"
        )
        summary["full build / floor"].append(
            "" if full is None or not floor else f"{full / floor:.1f}x"
        )
        path = results[case.name].get("floor_path")
        models = results[case.name].get("models", {})
        own_path = sum(models.get(name, 0.0) for name in path) if path else None
        summary["the floor's marts in the warehouse (their models' seconds) / floor"].append(
            ""
            if own_path is None or not floor
            else f"{own_path:,.1f} s / {floor:,.1f} s = {own_path / floor:.1f}x"
        )
        summary["incremental build of the last month / full build with its tests"].append(
            incremental_cell(phases)
        )
        peak = peak_of(phases, FULL_BUILD)
        summary["peak of the build phases"].append("" if peak is None else f"{peak / 1024:.2f} GiB")
        rows = results[case.name].get("lines")
        summary["raw sales lines"].append("" if rows is None else f"{rows:,}")
    for name, cells in summary.items():
        lines.append(f"| **{name}** | " + " | ".join(cells) + " |")
    lines += [
        "",
        *goals(results),
        "",
        "Slowest models (dbt's own timing of each model, within the run phases):",
        "",
        *heaviest(results),
        "",
        f"Machine: {machine()}; runs finished: "
        + ", ".join(
            f"{case.name} {results[case.name].get('finished', 'unfinished')}" for case in cases
        )
        + ".",
    ]
    return lines


def incremental_ratio(phases: dict[str, list[float]]) -> tuple[float, float, float] | None:
    """(incremental seconds, full build with tests seconds, their ratio), when both ran."""
    incremental, full = sum_of(phases, (INCREMENTAL,)), sum_of(phases, FULL_TESTED)
    if incremental is None or not full:
        return None
    return incremental, full, incremental / full


def incremental_cell(phases: dict[str, list[float]]) -> str:
    """The incremental ratio as a table cell."""
    found = incremental_ratio(phases)
    if found is None:
        return ""
    incremental, full, ratio = found
    return f"{incremental:,.1f} s / {full:,.1f} s = {ratio:.2f}"


def goals(results: dict[str, dict]) -> list[str]:
    """The goals at SF 10 on DuckDB, and the growth from SF 1, as sentences."""
    small, large = results.get("tpch-sf1-duckdb"), results.get("tpch-sf10-duckdb")
    if large is None:
        return ["Goals at SF 10: not measured yet (run `--case tpch-sf10-duckdb`)."]
    phases = large["phases"]
    full, floor, peak = (
        sum_of(phases, FULL_BUILD),
        sum_of(phases, (FLOOR,)),
        peak_of(phases, FULL_BUILD),
    )
    out = []
    missing = [name for name in (*FULL_TESTED, FLOOR, INCREMENTAL) if name not in phases]
    if missing:
        out.append(f"- SF 10: not measured end to end (no figure for {', '.join(missing)}).")
    if full is not None and floor:
        verdict = "met" if full <= GOAL_FLOOR_RATIO * floor else "NOT met"
        out.append(
            f"- SF 10 full build {full:,.0f} s = {full / floor:.1f}x the floor {floor:,.0f} s: "
            f"goal <= {GOAL_FLOOR_RATIO:g}x {verdict}."
        )
    if peak is not None:
        verdict = "met" if peak / 1024 < GOAL_PEAK_GIB else "NOT met"
        out.append(
            f"- SF 10 peak memory of the build phases {peak / 1024:.2f} GiB: "
            f"goal < {GOAL_PEAK_GIB:g} GiB {verdict}."
        )
    found = incremental_ratio(phases)
    if found is not None:
        incremental, full_tested, ratio = found
        verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
        out.append(
            f"- SF 10 incremental build of the last month {incremental:,.0f} s = {ratio:.2f} of "
            f"the full build with its tests {full_tested:,.0f} s: goal <= {GOAL_RATIO:.2f} "
            f"{verdict}."
        )
    if small is not None:
        before, after = sum_of(small["phases"], FULL_BUILD), full
        if before and after:
            growth = after / before
            verdict = "met" if growth <= 10 else "NOT met"
            out.append(
                f"- SF 1 -> SF 10 full build grew {growth:.1f}x for 10x the data: "
                f"goal at most linear (<= 10x) {verdict}."
            )
    return out


def write_doc(lines: list[str]) -> None:
    """Put the table between the markers in docs/benchmark.md."""
    text = DOC.read_text()
    if START_MARK not in text or END_MARK not in text:
        raise SystemExit(f"bench-scale: {DOC} has no {START_MARK} ... {END_MARK} markers")
    head, rest = text.split(START_MARK, 1)
    tail = rest.split(END_MARK, 1)[1]
    DOC.write_text(head + START_MARK + "\n" + "\n".join(lines) + "\n" + END_MARK + tail)


def main() -> int:
    """Run the chosen cases and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=[case.name for case in CASES])
    parser.add_argument("--keep-loaded", action="store_true")
    parser.add_argument("--resume-from", metavar="PHASE")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--table-only", action="store_true")
    options = parser.parse_args()
    results = load_results()
    if not options.table_only:
        for case in CASES:
            if options.case and case.name not in options.case:
                continue
            if case.source == "online_retail" and not os.environ.get("ONLINE_RETAIL_SOURCE"):
                raise SystemExit("bench-scale: set ONLINE_RETAIL_SOURCE for the replica")
            resume = options.resume_from or ("dbt seed" if options.keep_loaded else None)
            run_case(case, resume, results, options.load_only)
    lines = table(load_results())
    write_doc(lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
