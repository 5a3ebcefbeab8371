"""The history reads plain rows for speed; it must give exactly what reading each
session on its own gives."""

from __future__ import annotations

from needlelog.services import demo, patients, sessions
from needlelog.store.database import Database


def test_history_matches_each_session_read_alone(db: Database) -> None:
    demo.fill(db, 25, seed=5)
    checked = 0
    for patient in patients.search(db, "", limit=100):
        history = sessions.history(db, patient.id, newest_first=False)
        assert [h.data for h in history] == [sessions.get(db, h.id).data for h in history]
        assert [h.version for h in history] == [sessions.get(db, h.id).version for h in history]
        assert all(h.patient_id == patient.id for h in history)
        dates = [h.data.performed_at for h in history]
        assert dates == sorted(dates)
        assert sessions.history(db, patient.id) == history[::-1]
        checked += len(history)
    assert checked > 25
