"""The ``retail-warehouse`` command line: ``load`` raw data, ``build`` with dbt (write, audit,
publish; scoring with the stored models), ``train`` (a build that fits them again),
``rollback`` a publish, list the kept ``generations``, ``summary`` and ``report`` (the HTML
dashboard) after a build, ``serve`` the scoring API, ``orchestrate`` the Dagster UI, inbox
sensor and schedules (extra ``orchestration``), and ``superset``: Apache Superset with the
dashboards on the PostgreSQL warehouse (its own virtualenv; docs/bi.md).

Exit status: 0 on success, 1 when the summary does not reconcile or a build is not published
(a test or model failed), 2 on a usage or load error (the message is printed as
``error: ...`` on stderr, without a traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from retail_warehouse.build import format_generations, list_generations, run_build, run_rollback
from retail_warehouse.dbt_process import discard_stdout
from retail_warehouse.errors import ConfigError, LoadError, RetailWarehouseError
from retail_warehouse.interrupts import Terminated, exit_status, terminate_as_interrupt
from retail_warehouse.load import load
from retail_warehouse.load_feed import load_feed, record_refused_feed
from retail_warehouse.messages import LoadResult, excerpt
from retail_warehouse.report.build import DEFAULT_OUTPUT, output_path, write_report
from retail_warehouse.settings import (
    PORT,
    SERVING_TARGETS,
    TARGETS,
    Settings,
    from_env,
    generations_to_keep,
    parse_integer,
)
from retail_warehouse.sources import SourceSystem, loyalty, tpch
from retail_warehouse.sources.online_retail import DEFAULT_SOURCE_URL, SOURCE_ENV_VAR
from retail_warehouse.sources.tpch_slices import order_slice, slice_name
from retail_warehouse.summary import format_summary, read_summary

SOURCE_SYSTEMS: tuple[str, ...] = ("online_retail", "loyalty", "tpch")
"""The systems ``load --source-system`` knows."""

DEFAULT_SCALE_FACTOR = 0.01
"""TPC-H scale factor generated when no --source folder is given (60,175 order lines)."""


def _keep_option(text: str) -> int:
    """``--keep N``: digits only, as RW_KEEP_GENERATIONS (argparse's ``int`` takes "1_0")."""
    try:
        return generations_to_keep(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(
            str(error).replace("RW_KEEP_GENERATIONS", "--keep", 1)
        ) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="retail-warehouse",
        description="Load Online Retail II into the warehouse and check the build.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    load_parser = commands.add_parser("load", help="load a raw file into <prefix>raw")
    load_parser.add_argument(
        "--source-system",
        choices=SOURCE_SYSTEMS,
        default="online_retail",
        help="which system's files: online_retail (default), loyalty (a folder with a "
        "loyalty programme's customers.csv and transactions.csv, docs/loyalty.md) or tpch "
        "(TPC-H's eight tables, docs/sources.md)",
    )
    load_parser.add_argument(
        "--source",
        help=f"online_retail: path or http(s) URL of a .csv, .csv.gz, .xlsx or .zip file "
        f"(default: ${SOURCE_ENV_VAR}, else {DEFAULT_SOURCE_URL}); loyalty: the feed's folder "
        f"(default: ${loyalty.SOURCE_ENV_VAR}); tpch: a folder with one <table>.tbl, .csv or "
        ".parquet file per table (default: generate with --scale-factor)",
    )
    load_parser.add_argument(
        "--scale-factor",
        metavar="SF",
        help="tpch without --source: generate this TPC-H scale factor (0.01 to 1000, at most "
        "2 decimals) with tpchgen-cli into "
        f"data/tpch/ (once) and load it (default: {DEFAULT_SCALE_FACTOR:g})",
    )
    load_parser.add_argument(
        "--orders-from",
        type=_date,
        metavar="YYYY-MM-DD",
        help="tpch: load only the orders dated on or after this day and their lines (with "
        "--orders-before, a range): a month at a time as an ERP delivers it; the other tables "
        "are loaded once (docs/sources.md)",
    )
    load_parser.add_argument(
        "--orders-before",
        type=_date,
        metavar="YYYY-MM-DD",
        help="tpch: load only the orders dated before this day and their lines",
    )
    load_parser.add_argument(
        "--replace", action="store_true", help="delete all raw rows first (same transaction)"
    )
    load_parser.add_argument(
        "--quarantine",
        action="store_true",
        help="load the good rows and set bad rows aside in <prefix>raw.quarantine_lines "
        "with their line and reason, instead of failing on the first bad row",
    )
    summary_parser = commands.add_parser(
        "summary", help="rows loaded, included and excluded by reason, after dbt build"
    )
    build_parser_ = commands.add_parser(
        "build",
        help="dbt build into a shadow copy, run every test there, and publish it in one "
        "atomic step only if nothing failed (docs/publishing.md); scores with the stored "
        "models, and trains them when due",
    )
    train_parser = commands.add_parser(
        "train",
        help="a published build that also runs the training lane: fit the models, backtest "
        'them and write the registry (docs/ml.md, "Two lanes")',
    )
    for sub in (build_parser_, train_parser):
        sub.add_argument(
            "--keep",
            type=_keep_option,
            metavar="N",
            help="previous generations to keep for rollback (default: $RW_KEEP_GENERATIONS, "
            "else 1)",
        )
        sub.add_argument(
            "dbt_args",
            nargs=argparse.REMAINDER,
            help="more dbt build arguments, after -- (e.g. -- --full-refresh); the whole "
            "project is always built",
        )
    rollback_parser = commands.add_parser(
        "rollback", help="publish the previous generation again (one atomic step)"
    )
    generations_parser = commands.add_parser(
        "generations", help="list the published, previous and shadow copies of the warehouse"
    )
    report_parser = commands.add_parser(
        "report", help="write the dashboard: one self-contained HTML file from the marts"
    )
    report_parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help=f"the HTML file to write, its folder created if missing; not a folder "
        f"(default: {DEFAULT_OUTPUT})",
    )
    serve_parser = commands.add_parser(
        "serve",
        help="serve the scoring API (FastAPI on uvicorn; the warehouse read-only)",
        description="Serve the scoring API. PostgreSQL is read as the BI role "
        "($RW_BI_ROLE/$RW_BI_PASSWORD, default bi_reader); $RW_API_KEY, when set, "
        "is required in the X-API-Key header.",
    )
    serve_parser.add_argument(
        "--host",
        default=os.environ.get("RW_API_HOST") or "127.0.0.1",
        help="address to listen on (default: $RW_API_HOST, else 127.0.0.1)",
    )
    serve_parser.add_argument(
        "--port",
        type=_port_argument,
        default=None,
        help="port, 1 to 65535 (default: $RW_API_PORT, else 8000)",
    )
    for sub in (load_parser, build_parser_, train_parser):
        _add_common_options(sub, TARGETS)
    for sub in (summary_parser, rollback_parser, generations_parser, report_parser, serve_parser):
        _add_common_options(sub, SERVING_TARGETS)
    orchestrate_parser = commands.add_parser(
        "orchestrate",
        help="start the Dagster UI with the inbox sensor and the daily full build "
        "(settings: docs/orchestration.md)",
    )
    orchestrate_parser.add_argument(
        "--host", default="127.0.0.1", help="address of the UI (default: 127.0.0.1)"
    )
    orchestrate_parser.add_argument(
        "--port",
        type=_port_argument,
        default=3000,
        help="port of the UI, 1 to 65535 (default: 3000)",
    )
    superset_parser = commands.add_parser(
        "superset",
        help="install Apache Superset in its own venv, import the dashboards (PostgreSQL, "
        "as the BI role) and serve them (docs/bi.md)",
    )
    superset_parser.add_argument(
        "--schema-prefix",
        help="prefix of every schema, e.g. dev_alice_ (default: $RW_SCHEMA_PREFIX, else none)",
    )
    superset_parser.add_argument(
        "--no-serve",
        action="store_true",
        help="provision only; do not start the web server",
    )
    return parser


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(text: str) -> dt.date:
    """A YYYY-MM-DD option value, strictly (``date.fromisoformat`` also takes 19950101 and
    week dates such as 1995-W01-1)."""
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{excerpt(text)} is not a date of the form YYYY-MM-DD"
        ) from None


def port_number(text: str, what: str) -> int:
    """A TCP port, 1 to 65535, from ``text`` (``what`` names it in the message)."""
    return parse_integer(text, what, **PORT)


def _port_argument(text: str) -> int:
    try:
        return port_number(text, "--port")
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def check_listen_address(host: str, port: int) -> None:
    """Refuse, in one line, an address the server could not listen on (a host that does
    not resolve, a port in use or not allowed), before the server starts: uvicorn logs the
    error and exits with status 3 and the noise of a half-started process."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, protocol, _, address = found[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None


def _add_common_options(parser: argparse.ArgumentParser, targets: Sequence[str]) -> None:
    """--target (one of ``targets``) and --schema-prefix, shared by every subcommand."""
    parser.add_argument(
        "--target",
        choices=targets,
        default=os.environ.get("DBT_TARGET") or "duckdb",
        help="warehouse engine (default: $DBT_TARGET, else duckdb)",
    )
    parser.add_argument(
        "--schema-prefix",
        help="prefix of every schema, e.g. dev_alice_ (default: $RW_SCHEMA_PREFIX, else none)",
    )


def run_load(args: argparse.Namespace) -> int:
    """``load``: print the one-line summary (one per file of a feed)."""
    if args.source is not None and not args.source.strip():
        # An empty --source (an unset shell variable) is a mistake, not "the default source":
        # it used to download the whole file from UCI.
        raise ConfigError("--source is empty: give a file, folder or URL, or leave it out")
    settings = from_env().with_prefix(args.schema_prefix)
    if args.source_system == "tpch":
        if args.quarantine:
            raise LoadError("--quarantine is not available for TPC-H")
        # Every argument is checked before anything is generated or sliced (issue 27).
        if args.source and args.scale_factor is not None:
            raise LoadError(
                "--scale-factor generates TPC-H data and --source names a folder of it: "
                "give one of them"
            )
        scale_factor = tpch.parse_scale_factor(
            f"{DEFAULT_SCALE_FACTOR:g}" if args.scale_factor is None else args.scale_factor
        )
        if args.orders_from is not None or args.orders_before is not None:
            slice_name(args.orders_from, args.orders_before)
        folder = (
            Path(args.source) if args.source else tpch.generate(scale_factor, progress=sys.stdout)
        )
        if args.orders_from is not None or args.orders_before is not None:
            folder = order_slice(folder, args.orders_from, args.orders_before)
        files = _feed_files(
            str(folder), args.target, settings, lambda: tpch.load_order(tpch.table_files(folder))
        )
        _print_loads(load_feed(files, args.target, replace=args.replace, settings=settings))
        return 0
    if args.orders_from is not None or args.orders_before is not None:
        raise LoadError("--orders-from and --orders-before are for --source-system tpch")
    if args.scale_factor is not None:
        raise LoadError("--scale-factor is for --source-system tpch")
    if args.source_system == "loyalty":
        if args.quarantine:
            raise LoadError("--quarantine is not available for the loyalty feed")
        files = _feed_files(
            str(args.source or os.environ.get(loyalty.SOURCE_ENV_VAR, "")),
            args.target,
            settings,
            lambda: loyalty.feed_files(args.source),
        )
        _print_loads(load_feed(files, args.target, replace=args.replace, settings=settings))
        return 0
    result = load(
        args.source,
        args.target,
        replace=args.replace,
        quarantine=args.quarantine,
        settings=settings,
    )
    _print_loads([result])
    return 0


def _print_loads(results: Sequence[LoadResult]) -> None:
    """The one-line summary of each file, and whether Ctrl-C came after the commit (the
    load is complete: the command finished it)."""
    for result in results:
        print(result.summary())
    if any(result.interrupted_after_commit for result in results):
        print("interrupt received after the load committed: the load is complete", file=sys.stderr)


FeedFiles = Sequence[tuple[SourceSystem, Path]]
"""The files of a feed, each with its source system, in load order."""


def _feed_files(
    source: str, target: str, settings: Settings, find: Callable[[], FeedFiles]
) -> FeedFiles:
    """The files of a feed's folder (``find``); a folder refused as a whole (two files for
    one name, a link out of it, a file that is not regular) leaves a 'failed' row in
    ``load_log`` naming the folder, as every refused load does."""
    try:
        return find()
    except LoadError as error:
        if source:  # no folder given is a usage error, not a refused load
            record_refused_feed(source, target, settings, str(error))
        raise


def run_summary(args: argparse.Namespace) -> int:
    """``summary``: print the reconciliation table; 1 if it does not add up."""
    settings = from_env().with_prefix(args.schema_prefix)
    summary = read_summary(args.target, settings)
    print(format_summary(summary))
    return 0 if summary.reconciles else 1


def run_build_command(args: argparse.Namespace) -> int:
    """``build`` and ``train``: write, audit, publish; 0 when published, else 1 (dbt's
    status). ``train`` runs the training lane whatever the training status says."""
    settings = from_env().with_prefix(args.schema_prefix)
    extra = [arg for arg in args.dbt_args if arg != "--"]
    with terminate_as_interrupt():
        try:
            result = run_build(
                args.target,
                settings,
                extra,
                keep_generations=args.keep,
                train=args.command == "train",
            )
        except KeyboardInterrupt as interrupt:
            name = interrupt.args[0] if isinstance(interrupt, Terminated) else "Ctrl-C (SIGINT)"
            print(
                f"error: {args.command} interrupted by {name}: dbt was stopped and the shadow "
                "copy discarded; nothing was published",
                file=sys.stderr,
            )
            return exit_status(interrupt)
    return result.exit_code


def run_rollback_command(args: argparse.Namespace) -> int:
    """``rollback``: publish the previous generation again and say what is kept."""
    settings = from_env().with_prefix(args.schema_prefix)
    outcome = run_rollback(args.target, settings)
    print(f"rolled back: BI now reads {outcome.published.location}", end="")
    print(
        f" (published {outcome.published.published_at})" if outcome.published.published_at else ""
    )
    if outcome.kept:
        print("still kept:")
        print("\n".join(format_generations(outcome.kept)))
    for note in outcome.notes:
        print(f"note: {note}")
    return 0


def run_generations_command(args: argparse.Namespace) -> int:
    """``generations``: one line per kept copy of the warehouse."""
    settings = from_env().with_prefix(args.schema_prefix)
    generations = list_generations(args.target, settings)
    print("\n".join(format_generations(generations)) or "nothing published yet")
    return 0


def run_report(args: argparse.Namespace) -> int:
    """``report``: write the dashboard and say where, with its charts and missing sections."""
    output = output_path(args.output)
    settings = from_env().with_prefix(args.schema_prefix)
    report = write_report(args.target, settings, output)
    print(
        f"wrote {output}: {report.chart_count} charts in {len(report.sections)} sections "
        f"({report.target}, data as of {report.as_of})"
    )
    for title in report.missing_sections:
        print(f"not built yet: {title}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """``serve``: run the API until interrupted."""
    try:
        import uvicorn

        from retail_warehouse.api import configured_api_key, read_only_settings
        from retail_warehouse.api.app import create_app
        from retail_warehouse.api.http import http_protocol
        from retail_warehouse.api.snapshot import WarehouseSource
    except ImportError as error:
        raise ConfigError(
            f"serve needs the api extra ({error.name} is missing): "
            "pip install 'retail-warehouse[api]'"
        ) from None
    api_key = configured_api_key()
    port = args.port or port_number(os.environ.get("RW_API_PORT") or "8000", "RW_API_PORT")
    check_listen_address(args.host, port)
    settings = read_only_settings(from_env().with_prefix(args.schema_prefix))
    if args.target == "duckdb":
        # as load and build do: a CSV or a folder is refused now, not served as 503 forever
        # (a missing file is fine: the server answers 503 until a build creates it)
        from retail_warehouse.engines.duckdb import check_duckdb_file

        check_duckdb_file(settings.duckdb_path)
    source = WarehouseSource(
        target=args.target,
        duckdb_path=settings.duckdb_path,
        postgres=settings.postgres,
        schema_prefix=settings.schema_prefix,
    )
    app = create_app(source, api_key=api_key)
    # What exists now (modules, the app) lives as long as the server: frozen out of the cyclic
    # collector's sight, a full collection set off by a reload's allocations scans only the
    # snapshots instead of stopping every request for about 100 ms (docs/api.md).
    gc.freeze()
    print(f"serving {source.describe()} on http://{args.host}:{port} (docs: /docs)")
    uvicorn.run(app, host=args.host, port=port, log_level="warning", http=http_protocol())
    return 0


def run_orchestrate(args: argparse.Namespace) -> int:
    """``orchestrate``: ``dagster dev`` on the code location until stopped."""
    from retail_warehouse.orchestration.serve import serve
    from retail_warehouse.orchestration.settings import orchestration_from_env

    # as serve does: an address Dagster cannot listen on is refused in one line before the
    # dbt project is parsed, not by a traceback of dagster dev's web server afterwards
    check_listen_address(args.host, args.port)
    return serve(orchestration_from_env(), args.host, args.port)


def run_superset(args: argparse.Namespace) -> int:
    """``superset``: provision Superset, print the URL, then serve until interrupted."""
    from retail_warehouse.superset.provision import (
        SUPERSET_VERSION,
        login_hint,
        provision,
        serve_command,
        superset_env,
        superset_settings,
    )

    settings = from_env().with_prefix(args.schema_prefix)
    superset = superset_settings(settings.postgres, os.environ)
    dbt_env = {**os.environ, "RW_SCHEMA_PREFIX": settings.schema_prefix}
    print(f"provisioning Superset in {superset.home} (venv {superset.venv}) ...", flush=True)
    done = provision(superset, dbt_env)
    if done.installed:
        print(f"installed Apache Superset {SUPERSET_VERSION} into {superset.venv}")
    for note in done.bundle.skipped_metrics:
        print(f"metric not in Superset: {note}")
    print(
        f"imported {len(done.bundle.datasets)} datasets and the dashboards of "
        f"{done.bundle_path.parent.name}/{done.bundle_path.name}; "
        + login_hint(superset, os.environ)
    )
    print(f"Superset: {done.url}", flush=True)
    if args.no_serve:
        return 0
    return subprocess.run(
        serve_command(superset), env=superset_env(superset), check=False
    ).returncode


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_request:  # --help, or a usage error already printed
        return exit_request.code if isinstance(exit_request.code, int) else 2
    handlers = {
        "load": run_load,
        "summary": run_summary,
        "build": run_build_command,
        "train": run_build_command,
        "rollback": run_rollback_command,
        "generations": run_generations_command,
        "report": run_report,
        "serve": run_serve,
        "orchestrate": run_orchestrate,
        "superset": run_superset,
    }
    try:
        status = handlers[args.command](args)
        sys.stdout.flush()  # here, not at exit: a reader gone away is the case below
        return status
    except BrokenPipeError:  # `summary | head -3`: the reader has what it wanted
        discard_stdout()
        return 141  # as a shell reports a command stopped by SIGPIPE
    except RetailWarehouseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
