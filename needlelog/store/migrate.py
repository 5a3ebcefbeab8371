"""Open a database and bring its schema to this version, with a backup first.

The schema is only ever created or changed by the Alembic revisions in
``migrations/``; a user's database never sees ``create_all``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect
from sqlalchemy.exc import OperationalError, ProgrammingError

from needlelog.store.database import Database, sqlite_file_of
from needlelog.store.errors import (
    DatabaseDamaged,
    DatabaseTooNew,
    ForeignDatabase,
    NoDatabase,
    translate,
)
from needlelog.store.files import (
    PRIVATE_FILE,
    clean_leftovers,
    private_dir,
    sqlite_readonly_uri,
)
from needlelog.store.snapshot import copy_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

# The newest schema revision of this version (a test keeps it equal to Alembic's
# head). Opening a database already at this revision reads one row and never
# imports Alembic, a fifth of a second of every start.
HEAD = "0010"


def migrations_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:  # frozen desktop bundle
        return Path(bundle) / "needlelog" / "store" / "migrations"
    return Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.transaction(where=db.display_name) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _is_known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def upgrade(db: Database, revision: str = "head", backup_dir: Path | None = None) -> Path | None:
    """Upgrade to ``revision``; returns the backup taken first, if any."""
    current = current_revision(db)
    if current is not None and not _is_known(current):
        raise _too_new(db.display_name, current)
    if current == revision or (revision == "head" and current == head_revision()):
        return None
    backup: Path | None = None
    path = db.sqlite_path
    if current is not None and path is not None and path.exists():
        # A plain file copy, not an encrypted backup: it exists to undo a failed
        # upgrade on this PC at once, stays in the private backups folder beside
        # the (equally plain) database, and must not need a key kept off the PC.
        folder = backup_dir or path.parent / "backups"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = folder / f"{path.stem}-before-upgrade-from-{current}-{stamp}.sqlite3"
        copy_sqlite(path, backup)
    from alembic import command

    with db.transaction(write=True, where=db.display_name) as conn:
        command.upgrade(alembic_config(conn), revision)
    return backup


def _stored_revision(db: Database) -> str | None:
    """The schema revision recorded in the database, read with plain SQL."""
    try:
        with db.transaction(where=db.display_name) as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except (OperationalError, ProgrammingError) as exc:
        if "alembic_version" in str(exc.orig):  # no such table: a new, empty database
            return None
        raise


def _too_new(where: str, revision: str) -> DatabaseTooNew:
    return DatabaseTooNew(
        f"{where} was written by a newer version of needlelog "
        f"(schema {revision}). Install that version or newer to open it; "
        "this version will not change it."
    )


def _foreign(where: str) -> ForeignDatabase:
    return ForeignDatabase(
        f"{where} is not a needlelog database (it holds another program's tables); "
        "needlelog did not change it. Give the path of a needlelog database."
    )


def inspect_sqlite_file(path: Path, create: bool) -> None:
    """Look at a SQLite file read-only before anything may write to it.

    A missing or empty file is a new database (refused with ``NoDatabase``
    unless ``create``); another program's database (``ForeignDatabase``) or
    one from a newer needlelog (``DatabaseTooNew``) is refused with its bytes
    unchanged: not even the journal mode is switched.
    """
    where = str(path)
    if not path.exists():
        if not create:
            raise NoDatabase(f"no needlelog database at {where}")
        return
    if not path.is_file():
        raise ForeignDatabase(f"{where} is not a database file (it is a folder or a device)")
    if path.stat().st_size == 0:
        if not create:
            raise NoDatabase(f"no needlelog database at {where} (the file is empty)")
        return
    try:
        conn = sqlite3.connect(sqlite_readonly_uri(path, untouched=True), uri=True, timeout=10)
        try:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            row = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        known = translate(exc, where)
        if known is not None:
            raise known from None
        raise DatabaseDamaged(f"{where} cannot be read as a database ({exc}).") from None
    if not tables:
        if not create:
            raise NoDatabase(f"no needlelog database at {where} (the database is empty)")
        return
    if "alembic_version" not in tables or "patients" not in tables:
        raise _foreign(where)
    revision = row[0] if row else None
    if revision is not None and revision != HEAD and not _is_known(revision):
        raise _too_new(where, revision)


def open_database(url: str, backup_dir: Path | None = None, create: bool = True) -> Database:
    """Open and upgrade a clinic database; ``create``: make a new one where there is none.

    Without ``create`` (commands that only read) a missing database is
    ``NoDatabase`` and no folder is created. Another program's database is
    never changed (``ForeignDatabase``).
    """
    path = sqlite_file_of(url)
    if path is not None:
        inspect_sqlite_file(path, create)
        clean_leftovers(path.parent, *([backup_dir] if backup_dir else []))
        if not path.exists():
            try:
                private_dir(path.parent)
                # SQLite gives its -wal and -shm files the database file's mode.
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
            except FileExistsError:
                pass
            except OSError as exc:
                raise NoDatabase(
                    f"the folder for the database {path} cannot be created: {exc.strerror or exc}"
                ) from None
    db = Database(url)
    try:
        stored = _stored_revision(db)
        if stored is None and path is None:  # a server (or a SQLite URI): ask it
            if inspect(db.engine).get_table_names():
                raise _foreign(db.display_name)
            if not create:
                raise NoDatabase(f"no needlelog database at {db.display_name}")
        if stored != HEAD:
            upgrade(db, backup_dir=backup_dir)
        if "patients" not in inspect(db.engine).get_table_names():
            raise DatabaseDamaged(f"{db.display_name} has no needlelog tables.")
    except BaseException:
        db.dispose()
        raise
    return db
