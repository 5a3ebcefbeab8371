"""Revision 0003 (name words indexed with their patient): upgrade, downgrade, and the
models and the migrations describing the same schema."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.store.migrate import (
    HEAD,
    alembic_config,
    current_revision,
    head_revision,
    open_database,
    upgrade,
)
from needlelog.store.models import Base
from tests.factories import make_patient


def _indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'patient_name_tokens' AND sql IS NOT NULL"
            )
        }
    finally:
        conn.close()


def test_models_match_the_migrations(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_from_0002_keeps_search_working_and_downgrade_restores(db_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0002")
    db.dispose()
    # A patient saved by the 0002 schema (its name words already indexed).
    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD
        assert _indexes(db_path) == {"ix_patient_name_tokens_token_patient"}
        patients.register(db, make_patient("P-1", family_name="Núñez"), "test")
        assert [p.record_no for p in patients.search(db, "nun")] == ["P-1"]
        with db.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert _indexes(db_path) == {"ix_patient_name_tokens_token"}
        # The 0002 schema's search (this version's reader needs the later columns).
        with db.engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT p.record_no FROM patients p JOIN patient_name_tokens t "
                "ON t.patient_id = p.id WHERE t.token LIKE 'nun%'"
            ).scalars()
            assert list(found) == ["P-1"]
    finally:
        db.dispose()
    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD
        assert list((db_path.parent / "backups").glob("*before-upgrade-from-0002*"))
    finally:
        db.dispose()


def test_the_known_head_is_alembics_head() -> None:
    assert head_revision() == HEAD


def test_opening_an_up_to_date_database_does_not_load_alembic(db_path: Path) -> None:
    open_database(f"sqlite:///{db_path}").dispose()
    probe = (
        "import sys\n"
        "from needlelog.store.migrate import open_database\n"
        f"open_database({f'sqlite:///{db_path}'!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
