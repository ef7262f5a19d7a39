"""Exceptions that the command line turns into a one-line message and exit status 2."""

from __future__ import annotations


class RetailWarehouseError(Exception):
    """A problem the user can fix; its message is shown as is, without a traceback."""


class LoadError(RetailWarehouseError):
    """The raw load could not be done; the warehouse is left as it was."""


class NotBuiltError(RetailWarehouseError):
    """A report needs tables that ``dbt build`` has not created yet."""


class ConfigError(RetailWarehouseError):
    """A setting (environment variable or option) has a value that cannot be used."""


class WarehouseBusyError(RetailWarehouseError):
    """The DuckDB file is held by another process."""
