"""Exceptions that the command line turns into a one-line message and exit status 2."""

from __future__ import annotations


class RetailWarehouseError(Exception):
    """A problem the user can fix; its message is shown as is, without a traceback."""


def escape_unprintable(text: str) -> str:
    """``text`` with every character that is not printable written as its Python escape
    (a newline as ``\\n``, ESC as ``\\x1b``), so a file name or value can neither split a
    message into lines nor reach a terminal as a control sequence."""
    if text.isprintable():
        return text
    return "".join(
        character if character.isprintable() else repr(character)[1:-1] for character in text
    )


class LoadError(RetailWarehouseError):
    """The raw load could not be done; the warehouse is left as it was. The message is one
    line: anything not printable in it (from a file's name) is escaped."""

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(escape_unprintable(str(message)), *args)


class NotBuiltError(RetailWarehouseError):
    """A report needs tables that ``dbt build`` has not created yet."""


class ConfigError(RetailWarehouseError):
    """A setting (environment variable or option) has a value that cannot be used."""


class WarehouseBusyError(RetailWarehouseError):
    """The DuckDB file is held by another process."""
