"""The scoring API (``retail-warehouse serve``): FastAPI on uvicorn, reading the built
warehouse read-only. Needs the ``api`` extra: ``pip install 'retail-warehouse[api]'``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from retail_warehouse.errors import ConfigError
from retail_warehouse.settings import Settings, integer_setting

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
BI_ROLE_ENV, BI_PASSWORD_ENV = "RW_BI_ROLE", "RW_BI_PASSWORD"
API_KEY_ENV = "RW_API_KEY"
MAX_BODY_BYTES_ENV = "RW_API_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
"""Largest request body by default (20 MiB: a batch of 100,000 invoices as CSV is about
5 MB, as JSON about 10 MB)."""


def configured_max_body_bytes(env: Mapping[str, str] | None = None) -> int:
    """The largest request body the API reads: ``RW_API_MAX_BODY_BYTES`` (bytes), else
    DEFAULT_MAX_BODY_BYTES."""
    env = os.environ if env is None else env
    return integer_setting(env, MAX_BODY_BYTES_ENV, DEFAULT_MAX_BODY_BYTES)


def configured_api_key(env: Mapping[str, str] | None = None) -> str | None:
    """``RW_API_KEY`` (``None`` when unset or empty). ``ConfigError`` for a key no request
    could send: HTTP strips the spaces around a header's value and carries no control
    characters, so a key read with a trailing newline or space (a secret file) answered 401
    to every request (hostile round 6). The key is never quoted."""
    env = os.environ if env is None else env
    key = env.get(API_KEY_ENV) or None
    if key is not None and (key != key.strip(" \t\r\n") or not key.isprintable()):
        raise ConfigError(
            f"{API_KEY_ENV} begins or ends with a space or a line break, or holds a control "
            "character: no X-API-Key header can carry it (remove them)"
        )
    return key


def read_only_settings(settings: Settings, env: Mapping[str, str] | None = None) -> Settings:
    """``settings`` with the PostgreSQL user replaced by the read-only BI role
    (``RW_BI_ROLE``/``RW_BI_PASSWORD``, default bi_reader/bi_reader, as
    scripts/postgres_start.sh creates it)."""
    env = os.environ if env is None else env
    postgres = replace(
        settings.postgres,
        user=env.get(BI_ROLE_ENV) or "bi_reader",
        password=env.get(BI_PASSWORD_ENV, "bi_reader"),
    )
    return replace(settings, postgres=postgres)
