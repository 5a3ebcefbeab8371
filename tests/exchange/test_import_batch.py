"""An import writes its sessions in batches through the one writer: each stored
exactly as a save of the same session one by one would store it (default due dates,
course summary, audit events), and a refused row still writes nothing."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from datetime import datetime

import pytest

from needlelog.exchange import loader
from needlelog.exchange.loader import ImportRefused, PatientIn, SessionIn
from needlelog.services import audit, patients, sessions
from needlelog.store.database import Database
from tests.consenting import register_consenting, signed_for
from tests.factories import make_patient, make_session

NOW = datetime(2026, 6, 1, 12, 0)
DAYS = [
    datetime(2025, 1, 6, 10),
    datetime(2025, 2, 10, 10),
    datetime(2025, 3, 17, 10),
    datetime(2025, 4, 14, 10),  # after a course of three: maintenance next
    datetime(2026, 1, 5, 10),  # past the course break: a new course
]


def _events(db: Database, ids: list[int]) -> list[dict[str, object]]:
    """The sessions' audit events, the patient's id left out (it differs by patient)."""
    with db.read() as s:
        events = [json.loads(e.changes) for sid in ids for e in audit.events_for(s, "session", sid)]
    for changes in events:
        del changes["patient_id"]
    return events


def _stored(db: Database, record_no: str) -> tuple[object, list[object], list[str]]:
    patient = patients.find_by_record_no(db, record_no)
    history = sessions.history(db, patient.id, newest_first=False)
    summary = (patient.last_session_on, patient.course_sessions, patient.next_due)
    return summary, [(s.data, s.flags) for s in history], _events(db, [s.id for s in history])


@pytest.mark.parametrize("write_every", [1, 2, 1000])
def test_an_import_stores_what_saving_one_by_one_stores(
    db: Database, monkeypatch: pytest.MonkeyPatch, write_every: int
) -> None:
    monkeypatch.setattr(loader, "_WRITE_EVERY", write_every)
    monkeypatch.setattr(loader.clock, "local_now", lambda: NOW)
    # One by one, as the window saves them.
    one_by_one = register_consenting(db, make_patient("P-0001"), "t")
    for at in DAYS:
        signed_for(db, one_by_one.id, at.date())
        sessions.record(db, one_by_one.id, make_session(performed_at=at, next_due=None), "t", NOW)
    # The same sessions imported for a new patient and for a stored one (with one of
    # its sessions stored already), interleaved.
    stored = register_consenting(db, make_patient("P-0003"), "t")
    sessions.record(db, stored.id, make_session(performed_at=DAYS[0], next_due=None), "t", NOW)
    rows = []
    for i, at in enumerate(DAYS):
        rows.append(SessionIn(2 * i + 1, "P-0002", make_session(performed_at=at, next_due=None)))
        if i:
            rows.append(
                SessionIn(2 * i + 2, "P-0003", make_session(performed_at=at, next_due=None))
            )
    result = loader.load(
        db, [PatientIn(1, "P-0002", make_patient("P-0002"))], rows, "t", commit=True
    )
    assert (result.sessions_added, result.patients_added) == (9, 1)
    expected = _stored(db, "P-0001")
    assert _stored(db, "P-0002") == expected
    assert _stored(db, "P-0003")[:2] == expected[:2]
    assert expected[0][2] is not None


def test_a_refused_row_leaves_the_batch_unwritten(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "_WRITE_EVERY", 2)  # some sessions written before the refusal
    rows = [SessionIn(i + 1, "P-0002", make_session(performed_at=at)) for i, at in enumerate(DAYS)]
    rows.append(SessionIn(9, "P-0002", make_session(performed_at=datetime(2099, 1, 1, 10))))
    with pytest.raises(ImportRefused) as refused:
        loader.load(db, [PatientIn(1, "P-0002", make_patient("P-0002"))], rows, "t", True)
    assert {p.row_number for p in refused.value.problems} == {9}
    assert patients.search(db, "P-0002") == []
    with db.read() as s:
        assert audit.events_for(s, "session", 1) == []


def test_the_cycle_collector_runs_again_after_an_import_written_or_refused(
    db: Database,
) -> None:
    seen: list[bool] = []
    rows = [SessionIn(1, "P-0003", make_session(performed_at=DAYS[0]))]

    def watched() -> Iterator[SessionIn]:
        seen.append(gc.isenabled())  # paused while the import runs
        yield from rows

    loader.load(db, [PatientIn(1, "P-0003", make_patient("P-0003"))], watched(), "t", True)
    assert seen == [False] and gc.isenabled()
    rows = [SessionIn(1, "P-0004", make_session(performed_at=datetime(2099, 1, 1, 10)))]
    with pytest.raises(ImportRefused):
        loader.load(db, [PatientIn(1, "P-0004", make_patient("P-0004"))], watched(), "t", True)
    assert seen == [False, False] and gc.isenabled()
