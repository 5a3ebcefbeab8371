"""Patients written as one batch (as an import writes them) are written as a single
registration writes each: the same rows, name words and audit events, and the same
refusals of a record number used twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from needlelog.domain.errors import InvalidRecord
from needlelog.services import audit, patients
from needlelog.store.database import Database
from tests.factories import make_patient
from tests.snapshots import dump

TODAY = date(2026, 3, 2)


def _events(db: Database, pid: int) -> list[tuple[object, ...]]:
    with db.transaction() as conn:
        return [(e.action, e.changes, e.patient_id) for e in audit.events_for(conn, "patient", pid)]


def test_a_batch_writes_what_registering_one_by_one_writes(db: Database, tmp_path: Path) -> None:
    from needlelog.store.migrate import open_database

    one_by_one = open_database(f"sqlite:///{tmp_path / 'single.sqlite3'}")
    people = [make_patient(f"P-{n:04d}", family_name=f"Müller-{n}") for n in range(3)]
    for data in people:
        patients.register(one_by_one, data, "nurse", TODAY)
    with db.write() as s:
        batch = patients.NewPatients(s.connection(), "nurse", TODAY)
        for data in people:
            batch.add(data)
        assert len(batch) == 3
        ids = batch.flush()
    assert [patients.get(db, pid).data for pid in ids] == people
    assert [patients.get(one_by_one, pid).data for pid in ids] == people
    for pid in ids:
        assert _events(db, pid) == _events(one_by_one, pid)
        assert len(_events(db, pid)) == 1
    assert [p.record_no for p in patients.search(db, "müller")] == [
        "P-0000",
        "P-0001",
        "P-0002",
    ]
    one_by_one.dispose()


def test_a_record_number_twice_in_a_batch_is_refused_as_it_is_added(db: Database) -> None:
    with db.write() as s:
        batch = patients.NewPatients(s.connection(), "nurse", TODAY)
        batch.add(make_patient("P-0001"))
        with pytest.raises(InvalidRecord, match="P-0001 is already used"):
            batch.add(make_patient("P-0001", family_name="Other"))
        assert len(batch) == 1


def test_a_stored_record_number_refuses_the_whole_batch(db: Database) -> None:
    patients.register(db, make_patient("P-0002"), "nurse", TODAY)
    before = dump(db)
    with pytest.raises(InvalidRecord, match="P-0002 is already used"), db.write() as s:
        batch = patients.NewPatients(s.connection(), "nurse", TODAY)
        batch.add(make_patient("P-0001"))
        batch.add(make_patient("P-0002"))
        batch.flush()
    assert dump(db) == before
