"""The API phase of the benchmark: `retail-warehouse serve` on 127.0.0.1 over a built
warehouse, then

- profile lookups (GET /customers/{id}, random warehouse customers) at a fixed rate
  (default 100 requests/s for 30 s), open loop: each request has a scheduled start time
  and its latency counts from then, so a slow answer also delays the ones queued behind it;
- batch scoring of 1,000 warehouse customers (POST /score/batch with their fct_invoices
  rows, JSON and CSV), a few rounds.

Every request goes to the local server only and the run is bounded in count and time.

Usage: python scripts/bench_api.py [--target duckdb|postgres] (the warehouse of DUCKDB_PATH
or the PG* variables, built); scripts/bench.py runs it after its build phases.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx

BIN = Path(sys.executable).parent
RATE = 100.0
"""Profile lookups per second."""
SECONDS = 30.0
"""Length of the profile-lookup run."""
WORKERS = 16
"""Client threads (each with its own keep-alive connection)."""
BATCH_CUSTOMERS = 1000
BATCH_ROUNDS = 5
SEED = 42


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(target: str, env: dict[str, str]) -> Iterator[str]:
    """`retail-warehouse serve` on a free local port until the block ends; yields its URL."""
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "retail-warehouse"), "serve", "--target", target, "--port", str(port)],
        env={key: value for key, value in env.items() if key != "RW_API_KEY"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"bench: the API did not start: {server.communicate()[1]}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def fixed_rate(url: str, paths: list[str], rate: float, seconds: float) -> dict[str, float]:
    """GET each path of ``paths`` (cycled) at ``rate`` per second for ``seconds``; latency
    from each request's scheduled start, in ms."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(total))
    start = time.perf_counter() + 0.5

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                scheduled = start + index / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                try:
                    ok = client.get(paths[index % len(paths)]).status_code == 200
                except httpx.HTTPError:
                    ok = False
                finished = time.perf_counter()
                with lock:
                    latencies.append((finished - scheduled) * 1000)
                    errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {
        "requests": float(total),
        "errors": float(errors[0]),
        "throughput": total / elapsed,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
    }


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


def batch_timings(url: str, payload: dict[str, object], csv: str) -> dict[str, list[float]]:
    """Seconds of each round of the JSON and the CSV batch."""
    timings: dict[str, list[float]] = {"json": [], "csv": []}
    with httpx.Client(base_url=url, timeout=120) as client:
        client.post("/score/batch", json=payload).raise_for_status()  # warm-up
        for _ in range(BATCH_ROUNDS):
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


def run(target: str, env: dict[str, str], duckdb_path: Path) -> list[str]:
    """Serve ``target`` and measure; Markdown table rows. Batches are read from the DuckDB
    file (both targets hold the same data)."""
    payload, csv = batch_payloads(duckdb_path, BATCH_CUSTOMERS)
    invoices = sum(len(entry["history"]) for entry in payload["customers"])
    with serving(target, env) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            ids = []
            offset = 0
            while True:
                page = client.get("/customers", params={"limit": 500, "offset": offset}).json()
                ids += [item["customer_id"] for item in page["items"]]
                offset += 500
                if offset >= page["total"]:
                    break
            for customer_id in ids[:50]:  # warm-up
                client.get(f"/customers/{customer_id}")
        paths = [f"/customers/{i}" for i in random.Random(SEED).choices(ids, k=1000)]
        lookups = fixed_rate(url, paths, RATE, SECONDS)
        batches = batch_timings(url, payload, csv)
    rows = [
        f"| {target} | GET /customers/{{id}} at {RATE:.0f}/s for {SECONDS:.0f} s | "
        f"{lookups['throughput']:.1f}/s, {lookups['errors']:.0f} errors of "
        f"{lookups['requests']:.0f} | {lookups['p50']:.1f} | {lookups['p95']:.1f} | "
        f"{lookups['p99']:.1f} | {lookups['max']:.1f} |"
    ]
    for kind, seconds in batches.items():
        milliseconds = [value * 1000 for value in seconds]
        rows.append(
            f"| {target} | POST /score/batch {kind}, {len(payload['customers']):,} customers "
            f"({invoices:,} invoices), {BATCH_ROUNDS} rounds | "
            f"{len(payload['customers']) / statistics.median(seconds):,.0f} customers/s | "
            f"{statistics.median(milliseconds):.0f} | | | {max(milliseconds):.0f} |"
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
    args = parser.parse_args()
    env = dict(os.environ)
    duckdb_path = Path(env.get("DUCKDB_PATH") or "warehouse.duckdb")
    print("\n".join(HEADER + run(args.target, env, duckdb_path)))
    print(f"\n{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
