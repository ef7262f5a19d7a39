"""scripts/postgres_start.sh on a cluster of its own: the BI role's password never appears
on a command line (hostile7, part 1). Needs PostgreSQL's server binaries and psql; starts a
throwaway cluster on a free port (a few seconds) and stops it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

REPO = Path(__file__).resolve().parents[3]
SERVER_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))

pytestmark = pytest.mark.skipif(
    not SERVER_BINARIES or shutil.which("psql") is None,
    reason="PostgreSQL's server binaries or psql are not installed",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scram_matches(verifier: str, password: str) -> bool:
    """Whether a ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` verifier
    (pg_authid.rolpassword) was made from ``password`` (RFC 5802)."""
    method, salted, keys = verifier.split("$")
    iterations, salt = salted.split(":")
    stored_key, _server_key = keys.split(":")
    salted_password = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted_password, b"Client Key", hashlib.sha256).digest()
    return method == "SCRAM-SHA-256" and hashlib.sha256(client_key).digest() == base64.b64decode(
        stored_key
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The script's environment: a free port, a data folder in /tmp (the server's user must
    reach it), a psql on PATH that writes its arguments to a file before running psql."""
    data = Path(tempfile.mkdtemp(prefix="rw_pg_start_")) / "data"
    data.parent.chmod(0o755)
    arguments = tmp_path / "psql_arguments"
    wrapper = tmp_path / "bin" / "psql"
    wrapper.parent.mkdir()
    psql = shutil.which("psql")
    wrapper.write_text(
        f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" >> {arguments}\nexec {psql} "$@"\n'
    )
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{wrapper.parent}:{os.environ['PATH']}",
        "RW_PG_PORT": str(_free_port()),
        "RW_PG_DATA": str(data),
        "ARGUMENTS": str(arguments),
    }
    try:
        yield env
    finally:
        subprocess.run([REPO / "scripts" / "postgres_stop.sh", "--purge"], env=env, check=False)
        shutil.rmtree(data.parent, ignore_errors=True)


def test_the_bi_password_is_never_a_psql_argument(cluster: dict[str, str]) -> None:
    """The role was made with `psql -v password=<RW_BI_PASSWORD>`: the password sat in
    /proc/<pid>/cmdline, readable by every local user. It now reaches psql on stdin; a
    password and a role name with quotes and a backslash are set exactly."""
    role, password = 'bi "h7" o\'role', "it's a \\ S3cret-h7"
    env = {**cluster, "RW_BI_ROLE": role, "RW_BI_PASSWORD": password}
    result = subprocess.run(
        [REPO / "scripts" / "postgres_start.sh"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    arguments = Path(env["ARGUMENTS"]).read_text()
    assert "-qtA" in arguments  # the wrapper saw psql's runs
    assert "S3cret-h7" not in arguments
    connection = psycopg2.connect(
        host="127.0.0.1", port=int(env["RW_PG_PORT"]), user="postgres", dbname="postgres"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select rolcanlogin, rolpassword from pg_authid where rolname = %s", (role,)
            )
            [(can_login, verifier)] = cursor.fetchall()
    finally:
        connection.close()
    assert can_login and _scram_matches(verifier, password)
