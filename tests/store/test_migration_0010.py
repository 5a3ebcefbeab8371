"""Revision 0010 (the name-order index also holds what a search tests on each patient
it walks past): upgrade, search, downgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, alembic_config, current_revision, open_database, upgrade
from tests.factories import make_patient

NAME_ORDER = ["family_name", "given_name", "id"]
COVERING = [*NAME_ORDER, "archived", "record_no", "date_of_birth"]


def _columns(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[2] for r in conn.execute("PRAGMA index_info('ix_patients_sort_name')")]
    finally:
        conn.close()


def test_upgrade_from_0009_widens_the_index_and_downgrade_restores_it(db_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0009")
    db.dispose()
    assert _columns(db_path) == NAME_ORDER
    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD == "0010"
        assert list((db_path.parent / "backups").glob("*before-upgrade-from-0009*"))
        assert _columns(db_path) == COVERING
        patients.register(db, make_patient("P-1", family_name="Moreau"), "test")
        patients.register(db, make_patient("M-2", family_name="Adams"), "test")
        found = patients.search(db, "M")
        assert [p.record_no for p in found] == ["M-2", "P-1"]  # record number, name word
        with db.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0009")
        assert _columns(db_path) == NAME_ORDER
    finally:
        db.dispose()
