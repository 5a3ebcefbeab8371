"""Revision 0004 (the recall log): every record kept through the upgrade; the downgrade
removes only the new table."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from alembic import command

from needlelog.domain.recall import ContactOutcome
from needlelog.services import patients, recall
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, alembic_config, current_revision, open_database, upgrade
from tests.factories import make_patient


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_upgrade_from_0003_keeps_patients_and_adds_the_recall_log(db_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0003")
    db.dispose()
    db = open_database(f"sqlite:///{db_path}")  # brings it to the head, as a start does
    try:
        patients.register(db, make_patient("P-1"), "t")
    finally:
        db.dispose()
    db = Database(f"sqlite:///{db_path}")
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    assert "contact_attempts" not in _tables(db_path)
    db.dispose()
    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD
        assert list((db_path.parent / "backups").glob("*before-upgrade-from-0003*"))
        pid = patients.find_by_record_no(db, "P-1").id
        recall.log_contact(db, pid, ContactOutcome.BOOKED, "t", today=date(2026, 6, 1))
        assert [a.outcome for a in recall.attempts(db, pid)] == [ContactOutcome.BOOKED]
    finally:
        db.dispose()
