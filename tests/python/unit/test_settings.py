"""Unit tests for ``retail_warehouse.settings``."""

from __future__ import annotations

from pathlib import Path

import pytest

from retail_warehouse.errors import ConfigError
from retail_warehouse.settings import PostgresSettings, Settings, from_env, schema_name


def test_defaults_match_profiles() -> None:
    settings = from_env({})
    assert settings.duckdb_path == Path("warehouse.duckdb")
    assert settings.postgres == PostgresSettings(
        host="localhost", port=5432, user="postgres", password="", dbname="retail_warehouse"
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
        }
    )
    assert settings.duckdb_path == Path("/tmp/w.duckdb")
    assert settings.postgres.connect_kwargs()["port"] == 54329
    assert settings.postgres.describe() == "127.0.0.1:54329/rw"
    assert "secret" not in settings.postgres.describe()
    assert settings.raw_schema == "dev_alice_raw"


def test_with_prefix() -> None:
    settings = Settings()
    assert settings.with_prefix(None) is settings
    assert settings.with_prefix("t1_").raw_schema == "t1_raw"


@pytest.mark.parametrize("prefix", ["Dev_", "dev-", "1dev_", "dev; drop", "dév_"])
def test_bad_prefix_rejected(prefix: str) -> None:
    with pytest.raises(ConfigError, match="schema prefix"):
        Settings(schema_prefix=prefix)


def test_bad_port_rejected() -> None:
    with pytest.raises(ConfigError, match="PGPORT"):
        from_env({"PGPORT": "abc"})


def test_schema_name() -> None:
    assert schema_name("", "raw") == "raw"
    assert schema_name("x_", "intermediate") == "x_intermediate"
