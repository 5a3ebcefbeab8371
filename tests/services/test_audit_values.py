"""What the audit trail keeps of a new session: every value, nested records flattened."""

from __future__ import annotations

import json

from needlelog.services import audit, sessions
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


def test_creation_event_holds_every_value_of_the_session(db: Database) -> None:
    patient = register_consenting(db, make_patient(), "nurse")
    saved = sessions.record(db, patient.id, make_session(), "nurse")
    with db.read() as s:
        (event,) = audit.events_for(s, "session", saved.id)
        changes = json.loads(event.changes)
    assert changes["patient_id"] == [None, patient.id]
    assert changes["areas"][1][0] == {
        "area": "cheek_left", "depth_mm": "0.75", "endpoint": None, "label": "", "passes": 3,
    }  # fmt: skip
    assert changes["numbing"] == [None, {"minutes": 25, "product": "Lidocaine 5% cream"}]
    assert changes["products"][1] == [
        {"expiry": "2027-03-31", "lot": "VC2291", "name": "Vitamin C serum"}
    ]
    assert changes["performed_at"] == [None, "2026-03-02T10:30:00"]
    assert "vss" not in changes  # not assessed: nothing to record
