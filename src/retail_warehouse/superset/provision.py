"""``retail-warehouse superset``: Apache Superset with the dashboards, on the PostgreSQL
warehouse, read as the BI role (docs/bi.md).

Steps, each safe to repeat: install Superset into its own virtualenv (pinned by
``bi/superset/constraints.txt``, reinstalled only when that file changes); write its config
and keep its metadata database in the Superset home (``data/superset/``, git-ignored);
``superset db upgrade``, the admin user, ``superset init``; parse the dbt project and read
the catalogue as the BI role, generate the database and datasets (bundle.py) beside the
charts and dashboards of ``bi/superset/``, and ``superset import-dashboards`` the zip.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import psycopg2

from retail_warehouse.errors import ConfigError
from retail_warehouse.messages import excerpt
from retail_warehouse.project import project_dir
from retail_warehouse.settings import PORT, PostgresSettings, integer_setting
from retail_warehouse.superset.bundle import (
    Bundle,
    Column,
    build_bundle,
    metadata_yaml,
    static_files,
    virtual_dataset_specs,
)
from retail_warehouse.superset.formats import source_currency

SUPERSET_VERSION = "6.1.0"
"""The Superset release the bundle and the constraints are made for."""

# What the venv installs: Superset 6.1 from PyPI misses rich and cachetools and breaks with
# flask-caching 2.5; psycopg2 is the PostgreSQL driver. Exact versions: constraints.txt.
REQUIREMENTS: tuple[str, ...] = (
    f"apache-superset=={SUPERSET_VERSION}",
    "rich",
    "cachetools",
    "flask-caching<2.5",
    "psycopg2-binary",
)

DEFAULT_PORT = 8088
DEFAULT_ADMIN = ("admin", "admin")


@dataclass(frozen=True)
class SupersetSettings:
    """Where Superset lives and how it reaches the warehouse (all from the environment)."""

    venv: Path
    home: Path
    port: int
    admin_user: str
    admin_password: str
    postgres: PostgresSettings
    bi_role: str
    bi_password: str

    @property
    def bin(self) -> Path:
        """The venv's scripts folder."""
        return self.venv / "bin"

    @property
    def config_path(self) -> Path:
        """``superset_config.py``, written into the home."""
        return self.home / "superset_config.py"

    @property
    def url(self) -> str:
        """Where the web server answers."""
        return f"http://127.0.0.1:{self.port}"

    def sqlalchemy_uri(self) -> str:
        """The warehouse as the BI role, for Superset's database connection. A ``PGHOST``
        that is a socket folder (``/var/run/postgresql``, as libpq takes it) goes in the
        query: written as the URI's host it made a URI SQLAlchemy cannot read."""
        user = f"{quote(self.bi_role, safe='')}:{quote(self.bi_password, safe='')}"
        database = quote(self.postgres.dbname, safe="")
        host, port = self.postgres.host, self.postgres.port
        if host.startswith("/"):
            return (
                f"postgresql+psycopg2://{user}@/{database}?host={quote(host, safe='/')}&port={port}"
            )
        return f"postgresql+psycopg2://{user}@{host}:{port}/{database}"


def superset_settings(postgres: PostgresSettings, environ: Mapping[str, str]) -> SupersetSettings:
    """Read ``RW_SUPERSET_VENV`` (default ``.venv-superset``), ``RW_SUPERSET_HOME`` (default
    ``data/superset``; both relative to the project folder), ``RW_SUPERSET_PORT`` (8088),
    ``RW_SUPERSET_ADMIN_USER``/``RW_SUPERSET_ADMIN_PASSWORD`` (admin/admin) and the BI role
    ``RW_BI_ROLE``/``RW_BI_PASSWORD`` (bi_reader/bi_reader)."""
    root = project_dir()
    port = integer_setting(environ, "RW_SUPERSET_PORT", DEFAULT_PORT, **PORT)
    home = root / (environ.get("RW_SUPERSET_HOME") or "data/superset")
    check_home(home)
    return SupersetSettings(
        venv=root / (environ.get("RW_SUPERSET_VENV") or ".venv-superset"),
        home=home,
        port=port,
        admin_user=environ.get("RW_SUPERSET_ADMIN_USER") or DEFAULT_ADMIN[0],
        admin_password=environ.get("RW_SUPERSET_ADMIN_PASSWORD") or DEFAULT_ADMIN[1],
        postgres=postgres,
        bi_role=environ.get("RW_BI_ROLE") or "bi_reader",
        bi_password=environ.get("RW_BI_PASSWORD") or "bi_reader",
    )


_NOT_IN_A_URI = frozenset("'\"\\?#%")
"""Characters of a Superset home that its configuration cannot hold: the metadata database's
SQLAlchemy URI is written into ``superset_config.py`` as a string, and SQLAlchemy 1.4 (what
Superset runs on) reads ``?`` and ``#`` in it as the start of the query and ``%`` as an
escape, without unquoting the path."""


def check_home(home: Path) -> None:
    """``ConfigError`` when the Superset home's path cannot be written into its
    configuration: a quote ended the string (a SyntaxError when Superset started, or code
    run from the variable), and ``?`` or ``#`` moved the metadata database elsewhere."""
    text = str(home)
    if any(character in _NOT_IN_A_URI or not character.isprintable() for character in text):
        raise ConfigError(
            f"RW_SUPERSET_HOME {excerpt(text)} cannot be Superset's home: its configuration "
            "cannot hold a path with a quote, a backslash, ?, #, % or a control character; "
            "choose another folder"
        )


def bundle_folder() -> Path:
    """The charts, dashboards and constraints kept in the repository."""
    return project_dir() / "bi" / "superset"


def _run(
    command: Sequence[str | Path], env: Mapping[str, str], what: str, stdin: str | None = None
) -> str:
    """Run ``command``; ``stdin`` is what it reads (a secret goes there, never in the
    command: the arguments of a process are in /proc/<pid>/cmdline for every local user)."""
    result = subprocess.run(
        [str(part) for part in command],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise ConfigError(f"{what} failed (exit {result.returncode}):\n{tail}")
    return result.stdout + result.stderr


def _installer(python: Path) -> list[str | Path]:
    """uv's pip (the dev extra's, beside this interpreter, else on PATH) installing into
    ``python``'s venv; pip itself when there is no uv."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv:
        return [uv, "pip", "install", "--quiet", "--python", python]
    return [python, "-m", "pip", "install", "--quiet"]


def install(settings: SupersetSettings) -> bool:
    """Create the venv and install the pinned Superset; False when already up to date."""
    constraints = bundle_folder() / "constraints.txt"
    digest = hashlib.sha256(constraints.read_bytes() + "\n".join(REQUIREMENTS).encode()).hexdigest()
    stamp = settings.venv / ".installed"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return False
    python = settings.bin / "python"
    if not python.is_file():
        _run([sys.executable, "-m", "venv", settings.venv], os.environ, "creating the venv")
    _run(
        [*_installer(python), "-c", constraints, *REQUIREMENTS],
        os.environ,
        "installing Superset",
    )
    stamp.write_text(digest, encoding="utf-8")
    return True


def write_config(settings: SupersetSettings) -> None:
    """``superset_config.py`` in the home: the metadata database beside it, a secret key made
    once and kept, charts rendered all at once (no lazy loading), no example data."""
    settings.home.mkdir(parents=True, exist_ok=True)
    key_file = settings.home / "secret_key"
    if not key_file.is_file():
        key_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        key_file.chmod(0o600)
    metadata = settings.home / "superset.db"
    settings.config_path.write_text(
        "# Written by `retail-warehouse superset`; edits are overwritten.\n"
        "from pathlib import Path\n\n"
        f"SECRET_KEY = Path({str(key_file)!r}).read_text().strip()\n"
        f"SQLALCHEMY_DATABASE_URI = {f'sqlite:///{metadata}?check_same_thread=false'!r}\n"
        "SQLALCHEMY_EXAMPLES_URI = SQLALCHEMY_DATABASE_URI\n"
        'FEATURE_FLAGS = {"DASHBOARD_VIRTUALIZATION": False}\n'
        "SUPERSET_WEBSERVER_TIMEOUT = 120\n"
        "RATELIMIT_STORAGE_URI = 'memory://'\n",
        encoding="utf-8",
    )


def superset_env(settings: SupersetSettings) -> dict[str, str]:
    """The environment the ``superset`` commands run with."""
    env = dict(os.environ)
    env.update(
        SUPERSET_CONFIG_PATH=str(settings.config_path),
        SUPERSET_HOME=str(settings.home),
        FLASK_APP="superset",
        PYTHONWARNINGS="ignore",
    )
    return env


# The admin, made as `superset fab create-admin` makes it (an admin role, kept when the user
# name or the e-mail exists), but with the password read from stdin: create-admin takes it
# as --password, in the process's arguments for every local user to read (`ps -ef`), or
# prompts for it on the terminal.
_CREATE_ADMIN = """
import sys

from superset.app import create_app

username, email = sys.argv[1], sys.argv[2]
password = sys.stdin.read()
app = create_app()
with app.app_context():
    from superset import security_manager

    if security_manager.find_user(username=username) or security_manager.find_user(email=email):
        print(f"User already exists {username}")
    else:
        role = security_manager.find_role(security_manager.auth_role_admin)
        if not security_manager.add_user(username, "Admin", "User", email, role, password):
            sys.exit(f"no user created for {username}")
        print(f"Admin User {username} created.")
"""


def initialise(settings: SupersetSettings) -> None:
    """Migrate the metadata database, make sure the admin exists, create roles. The admin's
    password reaches Superset on stdin, never on a command line."""
    env = superset_env(settings)
    superset = settings.bin / "superset"
    _run([superset, "db", "upgrade"], env, "superset db upgrade")
    _run(
        [
            settings.bin / "python",
            "-c",
            _CREATE_ADMIN,
            settings.admin_user,
            f"{settings.admin_user}@localhost",
        ],
        env,
        "creating the Superset admin",
        stdin=settings.admin_password,
    )
    _run([superset, "init"], env, "superset init")


def parse_manifest(target_path: Path, env: Mapping[str, str]) -> dict:
    """``dbt parse --target postgres`` into ``target_path``; the manifest it writes."""
    dbt = Path(sys.executable).parent / "dbt"
    env = dict(env)
    # the project's profiles/, from any shell (as `retail-warehouse build` finds them)
    env.setdefault("DBT_PROFILES_DIR", str(project_dir() / "profiles"))
    _run(
        [
            dbt,
            "parse",
            "--target",
            "postgres",
            "--project-dir",
            project_dir(),
            "--target-path",
            target_path,
            "--log-path",
            target_path / "logs",
            "--quiet",
        ],
        env,
        "dbt parse",
    )
    return json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))


def read_catalogue(settings: SupersetSettings, schemas: Sequence[str]) -> dict:
    """(schema, table) -> columns of every table in ``schemas`` that the BI role can read."""
    connection = psycopg2.connect(
        **{
            **settings.postgres.connect_kwargs(),
            "user": settings.bi_role,
            "password": settings.bi_password,
        }
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                # information_schema lists only the columns the role may use
                "select table_schema, table_name, column_name, data_type"
                " from information_schema.columns"
                " where table_schema = any(%s)"
                " order by table_schema, table_name, ordinal_position",
                (list(schemas),),
            )
            rows = cursor.fetchall()
    finally:
        connection.close()
    catalogue: dict[tuple[str, str], list[Column]] = defaultdict(list)
    for schema, table, column, data_type in rows:
        catalogue[(schema, table)].append(Column(column, data_type))
    return dict(catalogue)


def write_bundle(files: Mapping[str, str], kind: str, path: Path) -> None:
    """A zip Superset's importer reads: one root folder, metadata.yaml saying ``kind``.
    Readable by its owner only: the database's file holds the BI role's password."""
    root = path.stem
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a zip an earlier run left readable by everyone
    with os.fdopen(descriptor, "wb") as file, zipfile.ZipFile(file, "w") as archive:
        archive.writestr(f"{root}/metadata.yaml", metadata_yaml(kind, timestamp))
        for name, text in files.items():
            archive.writestr(f"{root}/{name}", text)


# Superset 6.1's dashboard importer keeps a chart that exists (it imports charts with
# overwrite=False whatever the command says), and its CLI has no chart import: this runs the
# chart importer with overwrite, as the admin, in Superset's own venv.
_IMPORT_CHARTS = """
import sys
from zipfile import ZipFile

from superset.app import create_app

app = create_app()
with app.app_context():
    from superset import security_manager
    from superset.commands.chart.importers.dispatcher import ImportChartsCommand
    from superset.commands.importers.v1.utils import get_contents_from_bundle
    from superset.utils.core import override_user

    with ZipFile(sys.argv[1]) as bundle:
        contents = get_contents_from_bundle(bundle)
    with override_user(security_manager.find_user(username=sys.argv[2])):
        ImportChartsCommand(contents, overwrite=True).run()
    print("charts imported")
"""


def import_bundles(
    settings: SupersetSettings, datasets: Path, charts: Path, dashboards: Path
) -> None:
    """``superset import-datasources`` (every dataset: the dashboard importer takes only the
    datasets its charts use), the charts, then ``superset import-dashboards``, as the admin,
    who owns what is imported. Each overwrites what an earlier run imported, so a changed
    chart or dashboard file reaches an existing Superset home."""
    env = superset_env(settings)
    superset = settings.bin / "superset"
    steps: list[tuple[str, list[str | Path]]] = [
        ("superset import-datasources", [superset, "import-datasources", "--path", datasets]),
        (
            "importing the charts",
            [settings.bin / "python", "-c", _IMPORT_CHARTS, charts, settings.admin_user],
        ),
        (
            "superset import-dashboards",
            [
                superset,
                "import-dashboards",
                "--path",
                dashboards,
                "--username",
                settings.admin_user,
            ],
        ),
    ]
    for what, command in steps:
        output = _run(command, env, what)
        if "There was an error when importing" in output or "Error when importing" in output:
            raise ConfigError(f"{what} failed:\n" + output[-3000:])


def login_hint(settings: SupersetSettings, environ: Mapping[str, str]) -> str:
    """How to log in, naming where the admin's password comes from (never the password
    itself, unless it is the well-known default). The admin is created on the home's first
    run only, so its password is the one of that run."""
    if environ.get("RW_SUPERSET_ADMIN_PASSWORD"):
        source = "the password RW_SUPERSET_ADMIN_PASSWORD held"
    else:
        source = f"the default password {DEFAULT_ADMIN[1]!r} (RW_SUPERSET_ADMIN_PASSWORD unset)"
    return (
        f"log in as {settings.admin_user} with {source} when {settings.home} was first provisioned"
    )


@dataclass(frozen=True)
class Provisioned:
    """What ``provision`` did."""

    url: str
    installed: bool
    bundle: Bundle
    bundle_path: Path


def provision(settings: SupersetSettings, dbt_env: Mapping[str, str]) -> Provisioned:
    """Install, configure, initialise Superset and import the dashboards."""
    installed = install(settings)
    write_config(settings)
    initialise(settings)
    manifest = parse_manifest(settings.home / "dbt_target", dbt_env)
    schemas = sorted({node["schema"] for node in manifest["nodes"].values() if node.get("schema")})
    catalogue = read_catalogue(settings, schemas)
    currency = source_currency(project_dir(), dbt_env)
    bundle = build_bundle(
        manifest,
        catalogue,
        settings.sqlalchemy_uri(),
        currency=currency,
        virtual=virtual_dataset_specs(bundle_folder()),
    )
    if bundle.missing_relations:
        raise ConfigError(
            "the BI role cannot read these relations (build the warehouse on PostgreSQL "
            "first): " + ", ".join(bundle.missing_relations)
        )
    datasets_path = settings.home / "retail_warehouse_datasets.zip"
    write_bundle(bundle.files, "SqlaTable", datasets_path)
    bundle_path = settings.home / "retail_warehouse_dashboards.zip"
    charts_and_dashboards = static_files(bundle_folder(), currency)
    charts = {
        name: text for name, text in charts_and_dashboards.items() if name.startswith("charts/")
    }
    charts_path = settings.home / "retail_warehouse_charts.zip"
    write_bundle({**bundle.files, **charts}, "Slice", charts_path)
    write_bundle({**bundle.files, **charts_and_dashboards}, "Dashboard", bundle_path)
    import_bundles(settings, datasets_path, charts_path, bundle_path)
    return Provisioned(settings.url, installed, bundle, bundle_path)


def serve_command(settings: SupersetSettings) -> list[str]:
    """The command that runs Superset's web server on the settings' port."""
    return [
        str(settings.bin / "superset"),
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        str(settings.port),
        "--with-threads",
    ]
