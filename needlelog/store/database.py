"""Engine, connection settings and units of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from needlelog.store.errors import (
    BadDatabaseUrl,
    DatabaseReplaced,
    DatabaseUnavailable,
    translate,
)
from needlelog.store.files import remember_database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writes can take
    # the write lock up front (BEGIN IMMEDIATE) and never fail half-way
    # with "database is locked" when another PC or window is saving.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    # FULL: a session the practitioner saw saved must survive a power cut;
    # one fsync per save costs nothing at the pace people type.
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        shown = url if len(url) <= 60 else url[:57] + "..."
        raise BadDatabaseUrl(
            f"{shown!r} is not a database address; allowed: a file path, "
            "sqlite:///PATH or postgresql://USER@HOST/NAME"
        ) from None


def sqlite_file_of(url: str) -> Path | None:
    """The SQLite file a URL names; None for a server or an in-memory database."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_db_engine(url: str) -> Engine:
    parsed = _parse(url)
    where = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            # No pre-ping: a file has no server that could have gone away meanwhile.
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        # Idle connections are checked as they leave the pool: after a server restart
        # the next statement runs on a fresh connection instead of failing.
        return create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError:
        raise BadDatabaseUrl(
            f"{where}: {parsed.drivername!r} is not a kind of database needlelog knows; "
            "allowed: sqlite or postgresql"
        ) from None
    except ImportError as exc:
        raise BadDatabaseUrl(
            f"{where}: the database driver {exc.name or parsed.drivername!r} is not installed "
            "(for PostgreSQL: pip install 'needlelog[server]')"
        ) from None
    except ArgumentError as exc:
        raise BadDatabaseUrl(f"{where} is not a usable database address: {exc}") from None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class Database:
    """One clinic database: hands out short units of work, one per user action."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        # The file this object writes to (device, inode): a restore run elsewhere
        # replaces it, and then nothing more may be saved into the old one.
        self._identity: tuple[int, int] | None = None
        path = self.sqlite_path
        if path is not None:
            remember_database(path)
            self._identity = _file_identity(path)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        database = self.engine.url.database
        if not (self.is_sqlite and database and database != ":memory:"):
            return None
        if database.startswith("file:"):  # URI form, e.g. file:clinic.sqlite3?mode=ro&uri=true
            database = database[len("file:") :].split("?", 1)[0]
            if database.startswith("//"):  # file://host/path: the path after the host
                database = "/" + database[2:].split("/", 1)[-1]
        return Path(database)

    @property
    def display_name(self) -> str:
        path = self.sqlite_path
        return str(path) if path else self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self, write: bool = False, *, where: str = "") -> Iterator[Connection]:
        """The one way statements run: a connection taken from the engine's pool (checked
        first, so after a server restart the next try simply reconnects) in a transaction
        that commits on success and writes nothing on any error. ``write`` takes the
        write lock up front (BEGIN IMMEDIATE on SQLite). Known database failures leave as
        the ``StoreError`` a user can read, naming ``where`` (default: "the database
        PATH"). Before a write, the file is checked to be still the one opened
        (``DatabaseReplaced`` otherwise)."""
        if write:
            self.ensure_same_file()
        try:
            with (self._writer if write else self.engine).begin() as conn:
                yield conn
        except DBAPIError as exc:
            where = where or f"the database {self.display_name}"
            if exc.connection_invalidated:
                raise DatabaseUnavailable(
                    f"the database server of {self.display_name} cannot be reached: "
                    f"{exc.orig}. Try again."
                ) from exc
            known = translate(exc, where)
            if known is not None:
                raise known from exc
            raise

    @contextmanager
    def _unit(self, write: bool) -> Iterator[Session]:
        # The ORM is loaded by the first unit of work that needs mapped rows, not by
        # every command: reads go through Core on ``transaction()``. Importing the
        # mapped classes also registers the guard that keeps audit events unchanged.
        from sqlalchemy.orm import Session

        import needlelog.store.models  # noqa: F401

        with (
            self.transaction(write) as conn,
            Session(conn, expire_on_commit=False, join_transaction_mode="rollback_only") as s,
        ):
            yield s
            s.flush()

    def ensure_same_file(self) -> None:
        """Raise ``DatabaseReplaced`` if the database file was replaced since it was opened.

        A restore run by another needlelog moves a new file into place; a save
        into the old one would land in a file no one reads again.
        """
        path = self.sqlite_path
        if path is None:
            return
        current = _file_identity(path)
        if self._identity is None:
            self._identity = current
        elif current != self._identity:
            raise DatabaseReplaced(
                f"{self.display_name} was replaced (restored from a backup) while this "
                "window had it open: nothing more is saved. Close needlelog and open it "
                "again to work on the restored records."
            )

    def adopt_file(self) -> None:
        """Accept the file now at the path as this database's own (after its own restore)."""
        path = self.sqlite_path
        self._identity = None if path is None else _file_identity(path)

    def write(self) -> AbstractContextManager[Session]:
        """Mapped rows in a ``transaction(write=True)``: for the writers of patients and
        settings, which keep related rows in step."""
        return self._unit(write=True)

    def read(self) -> AbstractContextManager[Session]:
        """Mapped rows in a read ``transaction()``."""
        return self._unit(write=False)

    def dispose(self) -> None:
        self.engine.dispose()
