"""Database failures a user can understand, apart from bugs.

SQLite's known error conditions (busy, read-only, full, damaged) become
these typed errors with a message for a person; anything else is a bug and
is left to propagate.
"""

from __future__ import annotations

import sqlite3


class StoreError(RuntimeError):
    """A known, user-facing database problem."""


class DatabaseBusy(StoreError):
    pass


class DatabaseReadOnly(StoreError):
    pass


class DiskFull(StoreError):
    pass


class DatabaseDamaged(StoreError):
    pass


class DatabaseTooNew(StoreError):
    pass


class DatabaseUnavailable(StoreError):
    pass


class DatabaseReplaced(StoreError):
    """The file was replaced by a restore elsewhere: this copy must stop saving."""


class DatabaseInUse(StoreError):
    """Another needlelog (process or PC) has the database open."""


class NoDatabase(StoreError):
    """There is no needlelog database where the user pointed (a read-only command)."""


class ForeignDatabase(StoreError):
    """The file is a database of another program: needlelog does not change it."""


class OutputError(OSError):
    """A file could not be written; ``str()`` is one sentence for a person.

    ``usage`` is True when the path itself is wrong (exit 2), False when the
    writing failed (a full or failing disk: exit 1).
    """

    def __init__(self, message: str, usage: bool = True, code: int = 0) -> None:
        super().__init__(code, message)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        return self.message


class OutputRefused(OutputError):
    """The target must not be written (the database, a kept copy, a link, a device...)."""


class BadDatabaseUrl(StoreError):
    """The database URL names an unknown kind of database or a driver not installed."""


# How drivers say the server is not there (psycopg 2 and 3, pg8000).
_UNREACHABLE = (
    "could not connect",
    "connection failed",
    "connection refused",
    "could not translate host name",
    "name or service not known",
    "timeout expired",
    "server closed the connection",
    "can't create a connection",
)


def translate(exc: BaseException, where: str = "the database") -> StoreError | None:
    """Map a driver error to a known, user-facing error, or None if it is a bug."""
    # Imported here: the app's start path catches StoreError before SQLAlchemy is loaded.
    from sqlalchemy.exc import DBAPIError, OperationalError

    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(orig).lower()
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(orig, sqlite3.Error) or isinstance(exc, OperationalError):
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text:
            return DatabaseBusy(
                f"{where} is busy: another needlelog is saving. Try again in a moment."
            )
        if code == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
            return DatabaseReadOnly(
                f"{where} is read-only: nothing was saved. Check that the disk or folder "
                "allows writing."
            )
        if (
            code == sqlite3.SQLITE_FULL
            or "disk is full" in text
            or "database or disk is full" in text
        ):
            return DiskFull(
                f"The disk holding {where} is full: nothing was saved. Free some space."
            )
        if (
            code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
            or "malformed" in text
            or ("not a database" in text)
        ):
            return DatabaseDamaged(
                f"{where} is damaged. Restore it from a backup (needlelog restore FILE)."
            )
        if code == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
            return DiskFull(f"The disk holding {where} failed to write: nothing was saved.")
        if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
            return DatabaseUnavailable(f"{where} cannot be opened: check that the folder exists.")
    if isinstance(exc, OperationalError) and any(sign in text for sign in _UNREACHABLE):
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
        return DatabaseUnavailable(
            f"the server of {where} cannot be reached ({first[:200]}); check that it "
            "is running and the address is right"
        )
    return None
