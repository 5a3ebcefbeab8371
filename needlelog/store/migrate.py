"""Open a database and bring its schema to this version, with a backup first.

The schema is only ever created or changed by the Alembic revisions in
``migrations/``; a user's database never sees ``create_all``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect
from sqlalchemy.exc import OperationalError, ProgrammingError

from needlelog.store.database import Database
from needlelog.store.errors import DatabaseDamaged, DatabaseTooNew
from needlelog.store.snapshot import copy_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

# The newest schema revision of this version (a test keeps it equal to Alembic's
# head). Opening a database already at this revision reads one row and never
# imports Alembic, a fifth of a second of every start.
HEAD = "0003"


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
        raise DatabaseTooNew(
            f"{db.display_name} was written by a newer version of needlelog "
            f"(schema {current}). Install that version or newer to open it; "
            "this version will not change it."
        )
    if current == revision or (revision == "head" and current == head_revision()):
        return None
    backup: Path | None = None
    path = db.sqlite_path
    if current is not None and path is not None and path.exists():
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


def open_database(url: str, backup_dir: Path | None = None) -> Database:
    """Open (creating if needed) and upgrade a clinic database."""
    db = Database(url)
    try:
        stored = _stored_revision(db)
        if stored != HEAD:
            upgrade(db, backup_dir=backup_dir)
        if "patients" not in inspect(db.engine).get_table_names():
            raise DatabaseDamaged(f"{db.display_name} has no needlelog tables.")
    except BaseException:
        db.dispose()
        raise
    return db
