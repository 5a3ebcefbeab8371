"""Open a database and bring its schema to this version, with a backup first.

The schema is only ever created or changed by the Alembic revisions in
``migrations/``; a user's database never sees ``create_all``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import DBAPIError

from needlelog.store.database import Database
from needlelog.store.errors import DatabaseDamaged, DatabaseTooNew, translate
from needlelog.store.snapshot import copy_sqlite


def migrations_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:  # frozen desktop bundle
        return Path(bundle) / "needlelog" / "store" / "migrations"
    return Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _is_known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def upgrade(db: Database, revision: str = "head", backup_dir: Path | None = None) -> Path | None:
    """Upgrade to ``revision``; returns the backup taken first, if any."""
    try:
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
        with db.engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
        return backup
    except DBAPIError as exc:
        known = translate(exc, db.display_name)
        if known is not None:
            raise known from exc
        raise


def open_database(url: str, backup_dir: Path | None = None) -> Database:
    """Open (creating if needed) and upgrade a clinic database."""
    db = Database(url)
    try:
        upgrade(db, backup_dir=backup_dir)
        if "patients" not in inspect(db.engine).get_table_names():
            raise DatabaseDamaged(f"{db.display_name} has no needlelog tables.")
    except BaseException:
        db.dispose()
        raise
    return db
