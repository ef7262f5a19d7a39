"""``retail-warehouse superset`` from any shell (retail_warehouse.superset.provision): dbt
finds the project's profiles without DBT_PROFILES_DIR, and the command says where the admin's
password comes from."""

from __future__ import annotations

import json
import stat
import zipfile
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


@pytest.mark.parametrize("home", ["sup'x", 'sup"x', "sup?x#y", "sup%41", "sup\nx", "sup\\x"])
def test_a_home_its_configuration_cannot_hold_is_refused(tmp_path: Path, home: str) -> None:
    """hostile6: RW_SUPERSET_HOME with a quote wrote a superset_config.py that did not compile
    (or ran what followed the quote), and with ? or # SQLAlchemy put the metadata database at
    the path before it: refused before anything is installed, in one line."""
    postgres = PostgresSettings(host="db", port=5433, dbname="warehouse")
    with pytest.raises(provision.ConfigError, match="cannot be Superset's home") as refused:
        provision.superset_settings(postgres, {"RW_SUPERSET_HOME": str(tmp_path / home)})
    assert "\n" not in str(refused.value)


def test_the_configuration_compiles_and_names_the_home(tmp_path: Path) -> None:
    postgres = PostgresSettings(host="db", port=5433, dbname="warehouse")
    home = tmp_path / "a home (1)"
    settings = provision.superset_settings(postgres, {"RW_SUPERSET_HOME": str(home)})
    provision.write_config(settings)
    names: dict[str, Any] = {}
    exec(compile(settings.config_path.read_text(encoding="utf-8"), "config", "exec"), names)
    assert names["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{home / 'superset.db'}?check_same_thread=false"
    )


def test_a_socket_folder_host_is_a_uri_sqlalchemy_reads() -> None:
    """hostile6: PGHOST=/var/run/postgresql (a socket folder, as libpq takes it) gave
    `postgresql+psycopg2://u:p@/var/run/postgresql:5432/d`, which SQLAlchemy cannot read."""
    from sqlalchemy.engine import make_url

    postgres = PostgresSettings(host="/var/run/postgresql", port=5433, dbname="ware house")
    settings = provision.superset_settings(postgres, {"RW_BI_PASSWORD": "p@ss/word"})
    url = make_url(settings.sqlalchemy_uri())
    assert url.query == {"host": "/var/run/postgresql", "port": "5433"}
    assert (url.host, url.database, url.password) == (None, "ware house", "p@ss/word")
    tcp = PostgresSettings(host="db", port=5433, dbname="warehouse")
    url = make_url(provision.superset_settings(tcp, {}).sqlalchemy_uri())
    assert (url.host, url.port, url.database, dict(url.query)) == ("db", 5433, "warehouse", {})


def test_no_command_of_the_provisioning_holds_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hostile6 #7: `superset fab create-admin --password <RW_SUPERSET_ADMIN_PASSWORD>` put
    the admin's password in /proc/<pid>/cmdline, readable by every local user. Every
    process the provisioning starts (venv, install, db upgrade, admin, init, dbt parse, the
    imports, the web server) is recorded: no argument holds either password, and the admin's
    reaches its step on stdin."""
    admin_password, bi_password = "adm1n-S3cret!", "b1-S3cret!"
    started: list[dict[str, Any]] = []

    class Done:
        returncode = 0
        stdout = stderr = ""

    def fake_subprocess_run(command: list[str], **kwargs: Any) -> Done:
        started.append({"argv": list(command), **kwargs})
        if "parse" in command:
            target = Path(command[command.index("--target-path") + 1])
            (target / "manifest.json").write_text(json.dumps({"nodes": {}}))
        return Done()

    monkeypatch.setattr(provision.subprocess, "run", fake_subprocess_run)
    postgres = PostgresSettings(host="db", port=5433, dbname="warehouse", password="pg-S3cret")
    environ = {
        "RW_SUPERSET_HOME": str(tmp_path / "home"),
        "RW_SUPERSET_VENV": str(tmp_path / "venv"),
        "RW_SUPERSET_ADMIN_PASSWORD": admin_password,
        "RW_BI_PASSWORD": bi_password,
    }
    settings = provision.superset_settings(postgres, environ)
    settings.venv.mkdir()  # the fake venv creation makes nothing
    provision.install(settings)
    provision.write_config(settings)
    provision.initialise(settings)
    provision.parse_manifest(tmp_path, environ)
    provision.import_bundles(settings, tmp_path / "d.zip", tmp_path / "c.zip", tmp_path / "b.zip")
    started.append({"argv": provision.serve_command(settings)})
    assert len(started) >= 8
    for process in started:
        for argument in process["argv"]:
            for secret in (admin_password, bi_password, "pg-S3cret"):
                assert secret not in str(argument), process["argv"][:3]
    admin = [process for process in started if process.get("input") == admin_password]
    assert len(admin) == 1 and "add_user" in admin[0]["argv"][2]


def test_the_bundles_holding_the_bi_password_are_the_owners_only(tmp_path: Path) -> None:
    """hostile7: the dataset, chart and dashboard zips hold the database's URI with the BI
    role's password and were written readable by every local user (0644); a zip an
    earlier run left that way is closed too."""
    postgres = PostgresSettings(host="db", port=5433, dbname="warehouse")
    settings = provision.superset_settings(postgres, {"RW_BI_PASSWORD": "b1-S3cret!"})
    files = {"databases/warehouse.yaml": f"sqlalchemy_uri: {settings.sqlalchemy_uri()}\n"}
    earlier = tmp_path / "earlier.zip"
    earlier.write_bytes(b"")
    earlier.chmod(0o644)
    for path in (tmp_path / "new.zip", earlier):
        provision.write_bundle(files, "SqlaTable", path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with zipfile.ZipFile(path) as archive:
            assert sorted(archive.namelist()) == [
                f"{path.stem}/databases/warehouse.yaml",
                f"{path.stem}/metadata.yaml",
            ]
