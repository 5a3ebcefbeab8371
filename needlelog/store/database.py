"""Engine, connection settings and units of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from needlelog.store.errors import DatabaseUnavailable, translate
from needlelog.store.models import AuditEventRow

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


def _guard_audit(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEventRow):
            raise RuntimeError("audit events are append-only: they are never changed or removed")


event.listen(Session, "before_flush", _guard_audit)


def create_db_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No pre-ping: a file has no server that could have gone away meanwhile.
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Idle connections are checked as they leave the pool: after a server restart
    # the next statement runs on a fresh connection instead of failing.
    return create_engine(url, pool_pre_ping=True)


class Database:
    """One clinic database: hands out short units of work, one per user action."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")

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
        PATH")."""
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
        with (
            self.transaction(write) as conn,
            Session(conn, expire_on_commit=False, join_transaction_mode="rollback_only") as s,
        ):
            yield s
            s.flush()

    def write(self) -> AbstractContextManager[Session]:
        """Mapped rows in a ``transaction(write=True)``: for the writers of patients and
        settings, which keep related rows in step."""
        return self._unit(write=True)

    def read(self) -> AbstractContextManager[Session]:
        """Mapped rows in a read ``transaction()``."""
        return self._unit(write=False)

    def dispose(self) -> None:
        self.engine.dispose()
