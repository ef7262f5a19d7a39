"""``retail-warehouse superset`` from any shell (retail_warehouse.superset.provision): dbt
finds the project's profiles without DBT_PROFILES_DIR, and the command says where the admin's
password comes from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retail_warehouse.settings import PostgresSettings
from retail_warehouse.superset import provision

REPO = Path(__file__).resolve().parents[3]


def test_dbt_parse_finds_the_profiles_without_dbt_profiles_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the Makefile exported DBT_PROFILES_DIR: `superset --no-serve` from a plain shell
    ran dbt parse without it and failed."""
    seen: dict[str, Any] = {}

    def fake_run(command: list[Any], env: dict[str, str], what: str) -> str:
        seen.update(env)
        (tmp_path / "manifest.json").write_text(json.dumps({"nodes": {}}))
        return ""

    monkeypatch.setattr(provision, "_run", fake_run)
    provision.parse_manifest(tmp_path, {"PATH": "/usr/bin"})
    assert seen["DBT_PROFILES_DIR"] == str(REPO / "profiles")
    provision.parse_manifest(tmp_path, {"DBT_PROFILES_DIR": "/elsewhere"})
    assert seen["DBT_PROFILES_DIR"] == "/elsewhere"


def test_the_login_hint_names_where_the_password_comes_from() -> None:
    """The default password is named; a password set in the environment is not printed."""
    postgres = PostgresSettings(host="db", port=5433, dbname="warehouse")
    default = provision.superset_settings(postgres, {})
    assert "default password 'admin'" in provision.login_hint(default, {})
    secret = {"RW_SUPERSET_ADMIN_PASSWORD": "s3cret"}
    hint = provision.login_hint(provision.superset_settings(postgres, secret), secret)
    assert "RW_SUPERSET_ADMIN_PASSWORD" in hint and "s3cret" not in hint
    assert hint.startswith("log in as admin with ")


def test_the_charts_are_imported_with_overwrite_before_the_dashboards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Superset 6.1's dashboard import keeps a chart that already exists, so a changed chart
    file never reached an existing home: the charts get an import of their own, with
    overwrite, between the datasets and the dashboards."""
    commands: list[list[str]] = []

    def fake_run(command: list[Any], env: dict[str, str], what: str) -> str:
        commands.append([str(part) for part in command])
        return ""

    monkeypatch.setattr(provision, "_run", fake_run)
    postgres = PostgresSettings(host="db", port=5433, dbname="warehouse")
    settings = provision.superset_settings(postgres, {"RW_SUPERSET_HOME": str(tmp_path)})
    provision.import_bundles(settings, tmp_path / "d.zip", tmp_path / "c.zip", tmp_path / "b.zip")
    assert [command[1] for command in commands] == ["import-datasources", "-c", "import-dashboards"]
    assert "ImportChartsCommand(contents, overwrite=True)" in commands[1][2]
    assert commands[1][3:] == [str(tmp_path / "c.zip"), "admin"]
