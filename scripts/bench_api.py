"""The API's load benchmark: `retail-warehouse serve` on 127.0.0.1 over a built warehouse,
then

- profile lookups (GET /customers/{id}, random warehouse customers) at a fixed rate
  (default 1,000 requests/s for 60 s, the goal of issue 27), open loop: each request has a
  scheduled start time and its latency counts from then, so a slow answer also delays the
  ones queued behind it; errors are every answer but 200 and every failed request;
- on DuckDB, a publish half-way through the lookups (--publish-at): the server is given a
  copy of the warehouse in a temporary folder, and a second copy is published over it with
  the build's own publish step (retail_warehouse.publish.duckdb.publish_file), so the run
  shows whether the server moves to the new generation without a failed request;
- batch scoring of 1,000 warehouse customers (POST /score/batch with their fct_invoices
  rows, JSON and CSV), a few rounds (--batch-rounds 0 skips them).

It reports throughput and the latency percentiles; it is a benchmark, not a test (no pass or
fail), to be run on a quiet machine. Every request goes to the local server only and the
run is bounded in count and time.

Usage: python scripts/bench_api.py [--target duckdb|postgres] [--rate 1000] [--seconds 60]
[--publish-at SECONDS] [--batch-rounds 5] (the warehouse of DUCKDB_PATH or the PG*
variables, built); scripts/bench.py runs it after its build phases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx

from retail_warehouse.api.server import serve_in_background
from retail_warehouse.publish.duckdb import DuckdbLayout, copy_database, publish_file

BIN = Path(sys.executable).parent
RATE = 1000.0
"""Profile lookups per second (the goal: 1,000/s with no error and p99 <= 10 ms)."""
SECONDS = 60.0
"""Length of the profile-lookup run."""
WORKERS = 32
"""Client threads (each with its own keep-alive connection)."""
BATCH_CUSTOMERS = 1000
BATCH_ROUNDS = 5
SEED = 42


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Lookups:
    """What a fixed-rate run measured: latencies in ms from each request's scheduled start,
    and the errors by kind (an HTTP status or an exception's name)."""

    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def row(self) -> dict[str, float]:
        return {
            "throughput": len(self.latencies) / self.seconds,
            "p50": percentile(self.latencies, 0.50),
            "p95": percentile(self.latencies, 0.95),
            "p99": percentile(self.latencies, 0.99),
            "max": max(self.latencies),
        }


def fixed_rate(
    url: str,
    paths: list[str],
    rate: float,
    seconds: float,
    at: tuple[float, Callable[[], None]] | None = None,
) -> Lookups:
    """GET each path of ``paths`` (cycled) at ``rate`` per second for ``seconds``, open loop;
    ``at`` = (second, action) runs ``action`` in its own thread that many seconds in."""
    total = int(rate * seconds)
    result = Lookups(requests=total, seconds=seconds)
    lock = threading.Lock()
    counter = iter(range(total))
    host, port = url.removeprefix("http://").split(":")
    start = time.perf_counter() + 0.5

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                scheduled = start + index / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                error = None
                try:
                    connection.request("GET", paths[index % len(paths)])
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        error = str(response.status)
                except (OSError, http.client.HTTPException) as failure:
                    error = type(failure).__name__
                    connection.close()
                finished = time.perf_counter()
                with lock:
                    result.latencies.append((finished - scheduled) * 1000)
                    if error is not None:
                        result.errors[error] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    if at is not None:
        second, action = at
        threads.append(threading.Timer(max(start + second - time.perf_counter(), 0), action))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - start
    return result


def batch_payloads(duckdb_path: Path, customers: int) -> tuple[dict[str, object], str]:
    """The JSON and CSV batch of the first ``customers`` (by a seeded shuffle) customers of
    the warehouse, with all their fct_invoices rows."""
    connection = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        ids = [
            row[0]
            for row in connection.execute(
                "select customer_id from marts.dim_customers order by customer_id"
            ).fetchall()
        ]
        chosen = sorted(random.Random(SEED).sample(ids, min(customers, len(ids))))
        rows = connection.execute(
            "select customer_id, invoice_id, cast(invoice_date as varchar), "
            "cast(product_amount as double), invoice_kind, product_line_count "
            "from marts.fct_invoices where customer_id in (select unnest(?)) "
            "order by customer_id, invoice_id",
            [chosen],
        ).fetchall()
    finally:
        connection.close()
    histories: dict[int, list[dict[str, object]]] = {}
    csv = io.StringIO()
    csv.write(
        "customer_id,invoice_id,invoice_date,product_amount,invoice_kind,product_line_count\n"
    )
    for customer, invoice, date, amount, kind, lines in rows:
        histories.setdefault(customer, []).append(
            {
                "invoice_id": invoice,
                "invoice_date": date,
                "product_amount": amount,
                "invoice_kind": kind,
                "product_line_count": lines,
            }
        )
        csv.write(f"{customer},{invoice},{date},{amount},{kind},{lines}\n")
    payload = {
        "customers": [{"customer_id": key, "history": value} for key, value in histories.items()]
    }
    return payload, csv.getvalue()


def batch_timings(
    url: str, payload: dict[str, object], csv: str, rounds: int
) -> dict[str, list[float]]:
    """Seconds of each round of the JSON and the CSV batch."""
    timings: dict[str, list[float]] = {"json": [], "csv": []}
    with httpx.Client(base_url=url, timeout=120) as client:
        client.post("/score/batch", json=payload).raise_for_status()  # warm-up
        for _ in range(rounds):
            for kind in ("json", "csv"):
                started = time.perf_counter()
                if kind == "json":
                    response = client.post("/score/batch", json=payload)
                else:
                    response = client.post(
                        "/score/batch", content=csv, headers={"content-type": "text/csv"}
                    )
                response.raise_for_status()
                timings[kind].append(time.perf_counter() - started)
    return timings


def warehouse_ids(url: str) -> list[int]:
    """Every customer the server serves, page by page."""
    ids: list[int] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        offset = 0
        while True:
            page = client.get("/customers", params={"limit": 500, "offset": offset}).json()
            ids += [item["customer_id"] for item in page["items"]]
            offset += 500
            if offset >= page["total"]:
                break
        for customer_id in ids[:50]:  # warm-up
            client.get(f"/customers/{customer_id}")
    return ids


@dataclass
class Publish:
    """A publish of a copy of the warehouse over the served file, at a given second."""

    layout: DuckdbLayout
    at_seconds: float
    published_at: dt.datetime | None = None
    seconds: float = 0.0

    def __call__(self) -> None:
        started = time.perf_counter()
        publish_file(self.layout, keep=1)
        self.seconds = time.perf_counter() - started
        self.published_at = dt.datetime.now(dt.UTC)


def run(
    target: str,
    env: dict[str, str],
    duckdb_path: Path,
    rate: float = RATE,
    seconds: float = SECONDS,
    publish_at: float | None = None,
    batch_rounds: int = BATCH_ROUNDS,
) -> list[str]:
    """Serve ``target`` and measure; Markdown table rows (then a line on the publish, if
    any). Batches are read from the DuckDB file (both targets hold the same data). On
    DuckDB the server reads a copy of ``duckdb_path``, and ``publish_at`` (default half-way;
    negative for none) publishes another copy over it that many seconds into the lookups."""
    payload, csv = batch_payloads(duckdb_path, BATCH_CUSTOMERS) if batch_rounds else ({}, "")
    invoices = sum(len(entry["history"]) for entry in payload.get("customers", []))
    env = {key: value for key, value in env.items() if key != "RW_API_KEY"}
    publish = None
    with ExitStack() as stack:
        if target == "duckdb":
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_api_")))
            served = folder / duckdb_path.name  # the same stem: dbt-duckdb's catalog name
            copy_database(duckdb_path, served)
            env["DUCKDB_PATH"] = str(served)
            at = seconds / 2 if publish_at is None else publish_at
            if 0 <= at < seconds:
                publish = Publish(DuckdbLayout(served), at)
                copy_database(duckdb_path, publish.layout.shadow)  # before the clock starts
        url = stack.enter_context(
            serve_in_background(BIN / "retail-warehouse", env, args=["--target", target])
        )
        ids = warehouse_ids(url)
        before = httpx.get(f"{url}/health", timeout=30).json()
        paths = [f"/customers/{i}" for i in random.Random(SEED).choices(ids, k=1000)]
        action = None if publish is None else (publish.at_seconds, publish)
        lookups = fixed_rate(url, paths, rate, seconds, action)
        health = httpx.get(f"{url}/health", timeout=30).json()
        batches = batch_timings(url, payload, csv, batch_rounds) if batch_rounds else {}
    stats = lookups.row()
    errors = sum(lookups.errors.values())
    kinds = ", ".join(f"{count} {kind}" for kind, count in lookups.errors.most_common())
    rows = [
        f"| {target} | GET /customers/{{id}} at {rate:,.0f}/s for {seconds:.0f} s"
        f"{' across a publish' if publish else ''} | {stats['throughput']:,.1f}/s, "
        f"{errors:,} errors{f' ({kinds})' if kinds else ''} of {lookups.requests:,} | "
        f"{stats['p50']:.1f} | {stats['p95']:.1f} | {stats['p99']:.1f} | {stats['max']:.1f} |"
    ]
    for kind, timings in batches.items():
        milliseconds = [value * 1000 for value in timings]
        rows.append(
            f"| {target} | POST /score/batch {kind}, {len(payload['customers']):,} customers "
            f"({invoices:,} invoices), {batch_rounds} rounds | "
            f"{len(payload['customers']) / statistics.median(timings):,.0f} customers/s | "
            f"{statistics.median(milliseconds):.0f} | | | {max(milliseconds):.0f} |"
        )
    if publish is not None:
        # loaded_at is to the second: the server read the warehouse again, and not before
        # the second of the publish.
        loaded_at = dt.datetime.fromisoformat(health["loaded_at"])
        moved = (
            publish.published_at is not None
            and health["loaded_at"] != before["loaded_at"]
            and loaded_at >= publish.published_at.replace(microsecond=0)
        )
        rows.append(
            f"\n{target}: published a new generation {publish.at_seconds:.0f} s into the "
            f"lookups ({publish.seconds * 1000:.0f} ms); the server "
            + (
                f"moved to it (read at {loaded_at:%H:%M:%S}) with {errors:,} failed requests"
                if moved
                else "did NOT move to it"
            )
        )
    return rows


HEADER = [
    "| target | API phase | throughput | p50 ms | p95 ms | p99 ms | max ms |",
    "|---|---|---|---:|---:|---:|---:|",
]


def main() -> int:
    """Measure the API over the warehouse of the environment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--rate", type=float, default=RATE, help="lookups per second")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="length of the lookups")
    parser.add_argument(
        "--publish-at",
        type=float,
        default=None,
        help="DuckDB: publish a new generation this many seconds into the lookups "
        "(default half-way; -1 for none)",
    )
    parser.add_argument("--batch-rounds", type=int, default=BATCH_ROUNDS)
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.batch_rounds < 0:
        parser.error("--rate and --seconds must be positive, --batch-rounds 0 or more")
    env = dict(os.environ)
    duckdb_path = Path(env.get("DUCKDB_PATH") or "warehouse.duckdb")
    rows = run(
        args.target, env, duckdb_path, args.rate, args.seconds, args.publish_at, args.batch_rounds
    )
    print("\n".join(HEADER + rows))
    print(f"\n{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
