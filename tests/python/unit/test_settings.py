"""Unit tests for ``retail_warehouse.settings``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from retail_warehouse.api import configured_max_body_bytes
from retail_warehouse.cli import port_number
from retail_warehouse.dbt_process import dbt_environment
from retail_warehouse.errors import ConfigError
from retail_warehouse.orchestration.settings import orchestration_from_env
from retail_warehouse.settings import (
    PostgresSettings,
    Settings,
    from_env,
    parse_integer,
    schema_name,
)
from retail_warehouse.superset.provision import superset_settings


def _profile_defaults() -> dict[str, str]:
    """The defaults that ``profiles/profiles.yml`` gives its ``env_var(NAME, default)`` calls."""
    text = (Path(__file__).resolve().parents[3] / "profiles" / "profiles.yml").read_text()
    outputs = yaml.safe_load(text)["retail_warehouse"]["outputs"]
    found = {}
    for output in outputs.values():
        for value in output.values():
            for name, default in ENV_VAR_CALL.findall(str(value)):
                found[name] = default
    return found


ENV_VAR_CALL = re.compile(r"env_var\('(\w+)', '([^']*)'\)")


def test_defaults_match_profiles() -> None:
    defaults = _profile_defaults()
    assert set(defaults) >= {"DUCKDB_PATH", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE"}
    settings = from_env({})
    assert settings.duckdb_path == Path(defaults["DUCKDB_PATH"])
    assert settings.spark_dir == Path(defaults["RW_SPARK_DIR"])
    # The loader's DuckDB stays within the memory bound dbt's does.
    assert settings.duckdb_memory_limit == defaults["RW_DUCKDB_MEMORY_LIMIT"]
    assert settings.postgres == PostgresSettings(
        host=defaults["PGHOST"],
        port=int(defaults["PGPORT"]),
        user=defaults["PGUSER"],
        password=defaults["PGPASSWORD"],
        dbname=defaults["PGDATABASE"],
    )
    assert settings.schema_prefix == ""
    assert settings.raw_schema == "raw"
    assert settings.intermediate_schema == "intermediate"


def test_environment_overrides() -> None:
    settings = from_env(
        {
            "DUCKDB_PATH": "/tmp/w.duckdb",
            "PGHOST": "127.0.0.1",
            "PGPORT": "54329",
            "PGUSER": "me",
            "PGPASSWORD": "secret",
            "PGDATABASE": "rw",
            "RW_SCHEMA_PREFIX": "dev_alice_",
            "RW_DUCKDB_MEMORY_LIMIT": "1GB",
        }
    )
    assert settings.duckdb_path == Path("/tmp/w.duckdb")
    assert settings.duckdb_memory_limit == "1GB"
    assert settings.postgres.connect_kwargs()["port"] == 54329
    assert settings.postgres.describe() == "127.0.0.1:54329/rw"
    assert "secret" not in settings.postgres.describe()
    assert settings.raw_schema == "dev_alice_raw"


def test_with_prefix() -> None:
    settings = Settings()
    assert settings.with_prefix(None) is settings
    assert settings.with_prefix("t1_").raw_schema == "t1_raw"


# "dev_\n": a final line feed passed the pattern (re.match's $ matches before it) and the
# load failed with DuckDB's "Parser Error: syntax error at or near raw" instead.
@pytest.mark.parametrize("prefix", ["Dev_", "dev-", "1dev_", "dev; drop", "dév_", "dev_\n"])
def test_bad_prefix_rejected(prefix: str) -> None:
    with pytest.raises(ConfigError, match="schema prefix"):
        Settings(schema_prefix=prefix)


def test_bad_port_rejected() -> None:
    with pytest.raises(ConfigError, match="PGPORT"):
        from_env({"PGPORT": "abc"})


def test_schema_name() -> None:
    assert schema_name("", "raw") == "raw"
    assert schema_name("x_", "intermediate") == "x_intermediate"


def test_dbt_refuses_the_prefixes_the_loader_refuses() -> None:
    """The schema_prefix macro checks --vars with the loader's pattern (one rule, two
    languages: this keeps them equal)."""
    from retail_warehouse.settings import _PREFIX_PATTERN

    macro = (Path(__file__).resolve().parents[3] / "macros/schema/schema_prefix.sql").read_text()
    assert f"modules.re.match('{_PREFIX_PATTERN.pattern}', prefix)" in macro


def test_scratch_connection_takes_the_memory_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-memory connections that convert and slice input files are held to
    RW_DUCKDB_MEMORY_LIMIT (without it DuckDB may take 80 % of the machine)."""
    import duckdb

    from retail_warehouse.engines.duckdb import scratch_connection

    query = "select current_setting('memory_limit')"
    monkeypatch.setenv("RW_DUCKDB_MEMORY_LIMIT", "123MB")
    expected = duckdb.connect(config={"memory_limit": "123MB"}).execute(query).fetchone()
    assert expected != duckdb.connect().execute(query).fetchone()
    assert scratch_connection().execute(query).fetchone() == expected


@pytest.mark.parametrize("name", [":memory:", ":memory:other", "md:warehouse"])
def test_a_duckdb_path_that_is_no_file_is_refused(name: str) -> None:
    """Hostile round 27, item 6: DUCKDB_PATH=:memory: loaded into an in-memory database
    ("loaded 1 rows", exit 0, the rows gone) and created ':memory:.generations'."""
    with pytest.raises(ConfigError, match="DUCKDB_PATH"):
        from_env({"DUCKDB_PATH": name})


@pytest.mark.parametrize("name", ["/tmp/a\nb.duckdb", "w.duckdb\r", "a\tb.duckdb", "a\x1b[2Jb"])
def test_a_duckdb_path_with_a_control_character_is_refused(name: str) -> None:
    """hostile6: `DUCKDB_PATH=$'/tmp/a\nb.duckdb' retail-warehouse summary` printed its
    error on two lines (the path's line break), as would every message naming the file."""
    with pytest.raises(ConfigError, match="holds a control character") as refused:
        from_env({"DUCKDB_PATH": name})
    assert str(refused.value).isprintable()


def test_a_file_that_is_not_a_duckdb_database_is_refused(tmp_path: Path) -> None:
    """Hostile round 27, item 6: DuckDB opened a CSV file as an in-memory database, so a load
    into it said "loaded 1 rows" and kept nothing, and a build would have replaced it."""
    from retail_warehouse.engines import open_warehouse
    from retail_warehouse.engines.duckdb import check_duckdb_free

    csv_file = tmp_path / "data.csv"
    csv_file.write_text("a,b\n1,2\n")
    settings = Settings(duckdb_path=csv_file)
    for read_only in (False, True):
        with pytest.raises(ConfigError, match="is not a DuckDB database file"):
            open_warehouse("duckdb", settings, read_only=read_only)
    with pytest.raises(ConfigError, match="is not a regular file"):
        open_warehouse("duckdb", Settings(duckdb_path=tmp_path))
    with pytest.raises(ConfigError, match="is not a DuckDB database file"):
        check_duckdb_free(csv_file)
    assert csv_file.read_text() == "a,b\n1,2\n"
    open_warehouse("duckdb", Settings(duckdb_path=tmp_path / "new.duckdb")).close()
    open_warehouse("duckdb", Settings(duckdb_path=tmp_path / "new.duckdb")).close()


def test_a_prefix_too_long_for_postgres_names_is_refused() -> None:
    """Hostile round 27, item 11: a prefix of 70 'a' + '_' made every schema name longer than
    PostgreSQL's 63 bytes; cut there, raw, staging and marts collapsed into one schema."""
    from retail_warehouse.settings import MAX_SCHEMA_PREFIX_LENGTH, POSTGRES_MAX_NAME_BYTES

    longest = "a" * (MAX_SCHEMA_PREFIX_LENGTH - 1) + "_"
    Settings(schema_prefix=longest)
    assert len(f"{longest}intermediate__previous_{999 + 1}") <= POSTGRES_MAX_NAME_BYTES
    for prefix in ("a" * MAX_SCHEMA_PREFIX_LENGTH + "_", "a" * 70 + "_"):
        with pytest.raises(ConfigError, match="too long"):
            Settings(schema_prefix=prefix)
        with pytest.raises(ConfigError, match="too long"):
            from_env({"RW_SCHEMA_PREFIX": prefix})
    with pytest.raises(ConfigError, match="generations to keep"):
        Settings(keep_generations=1000)


def test_dbt_refuses_the_prefix_lengths_the_loader_refuses() -> None:
    from retail_warehouse.settings import MAX_SCHEMA_PREFIX_LENGTH

    macro = (Path(__file__).resolve().parents[3] / "macros/schema/schema_prefix.sql").read_text()
    assert f"prefix | length > {MAX_SCHEMA_PREFIX_LENGTH}" in macro


def test_generations_to_keep_are_digits_only() -> None:
    """Issue 27: RW_KEEP_GENERATIONS=1_0 kept 10 generations (Python's int() takes
    underscores, signs and spaces); --keep took it too. Only digits are a number here."""
    from retail_warehouse.cli import build_parser

    assert from_env({"RW_KEEP_GENERATIONS": "10"}).keep_generations == 10
    assert build_parser().parse_args(["build", "--keep", "10"]).keep == 10
    for text in ("1_0", "+1", " 1", "1.0", "٣"):
        with pytest.raises(ConfigError, match="RW_KEEP_GENERATIONS must be a whole number"):
            from_env({"RW_KEEP_GENERATIONS": text})
        with pytest.raises(SystemExit):
            build_parser().parse_args(["build", "--keep", text])


_NOT_ASCII_DIGITS = ("5_432", "+5432", " 5432", "5432 ", "٥٤٣٢", "²", "5e3", "0x10", "-1", "1.0")


_INTEGER_SETTINGS: dict[str, Callable[[dict[str, str]], object]] = {
    "PGPORT": from_env,
    "RW_KEEP_GENERATIONS": from_env,
    "RW_DBT_THREADS": dbt_environment,
    "RW_API_MAX_BODY_BYTES": configured_max_body_bytes,
    "RW_INBOX_BUSY_RETRIES": orchestration_from_env,
    "RW_SUPERSET_PORT": lambda env: superset_settings(PostgresSettings(), env),
}


@pytest.mark.parametrize("text", _NOT_ASCII_DIGITS)
@pytest.mark.parametrize("name", sorted(_INTEGER_SETTINGS))
def test_integer_settings_are_ascii_digits_only(name: str, text: str) -> None:
    """Issue 27: PGPORT=5_432 connected to port 5432 (Python's int() takes underscores, signs,
    spaces and other scripts' digits; str.isdigit() takes "²", which int() then refused with
    a traceback). Every integer setting goes through one parser, whose message names the
    variable."""
    with pytest.raises(ConfigError, match=rf"^{name} must be a [a-z ]+ \(digits 0-9 only\)"):
        _INTEGER_SETTINGS[name]({name: text})


def test_integer_settings_take_digits_and_check_their_range() -> None:
    assert parse_integer("0042", "X") == 42
    assert from_env({"PGPORT": "54329"}).postgres.port == 54329
    assert dbt_environment({"RW_DBT_THREADS": "4"})["RW_DBT_THREADS"] == "4"
    for name, wrong in (("PGPORT", "0"), ("PGPORT", "65536"), ("RW_DBT_THREADS", "0")):
        with pytest.raises(ConfigError, match=f"^{name} must be "):
            (dbt_environment if name == "RW_DBT_THREADS" else from_env)({name: wrong})
    assert port_number("8080", "RW_API_PORT") == 8080
    with pytest.raises(ConfigError, match=r"^RW_API_PORT must be a port number \(digits"):
        port_number("٨٠٨٠", "RW_API_PORT")
