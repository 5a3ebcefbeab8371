"""What saving a session stores, row by row: the session (version 1), its children in
order, one audit event whose JSON is the full creation diff, and the patient's course
summary (the patient's own version untouched). Saves write plain inserts, not the unit of
work; these pin the stored result so a faster path cannot drift from it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text

from needlelog.domain.codes import Area, Endpoint
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.records import TreatedArea, VancouverScarScale
from needlelog.services import audit, patients, sessions
from needlelog.services.mapping import as_dict
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

NOW = datetime(2026, 6, 1, 12, 0)


def _rows(db: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(text(sql), params)]


def test_every_row_of_a_new_session_is_stored_as_before(db: Database) -> None:
    patient = register_consenting(db, make_patient(), "nurse")
    data = make_session(
        areas=(
            TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), passes=3, endpoint=Endpoint.ERYTHEMA),
            TreatedArea(Area.OTHER, Decimal("0.50"), label="Scar on the wrist"),
        ),
        screening=(
            ScreeningAnswer(Contraindication.PREGNANCY, False),
            ScreeningAnswer(Contraindication.ISOTRETINOIN, True, date(2025, 1, 1)),
        ),
        vss=VancouverScarScale(1, 2, 3, 1),
        gais=2,
        satisfaction=8,
        next_due=None,
        cautions_acknowledged=True,
    )
    saved = sessions.record(db, patient.id, data, "dr", now=NOW)
    assert saved.version == 1
    assert saved.data == replace(data, next_due=date(2026, 3, 30))
    # Read back alone and in the history (plain rows, shared immutable parts): the same.
    assert sessions.get(db, saved.id).data == saved.data
    (listed,) = sessions.history(db, patient.id)
    assert (listed.data, listed.version, listed.id) == (saved.data, 1, saved.id)

    (row,) = _rows(
        db,
        "SELECT patient_id, practitioner, indications, numbing_product, numbing_minutes, "
        "redness, next_due, cautions_acknowledged, version, created_at = updated_at "
        "FROM treatment_sessions WHERE id = :id",
        id=saved.id,
    )
    assert row[:8] == (
        patient.id, "Dr. Amelia Hart", "acne_scars", "Lidocaine 5% cream", 25, 2,
        row[6], True,
    )  # fmt: skip
    assert str(row[6]) == "2026-03-30"
    assert row[8:] == (1, True)
    assert _rows(
        db,
        "SELECT position, area, label, depth_um, passes, endpoint FROM treated_areas "
        "WHERE session_id = :id ORDER BY position",
        id=saved.id,
    ) == [
        (0, "cheek_left", "", 750, 3, "erythema"),
        (1, "other", "Scar on the wrist", 500, None, None),
    ]
    assert _rows(
        db,
        "SELECT position, name, lot FROM session_products WHERE session_id = :id",
        id=saved.id,
    ) == [(0, "Vitamin C serum", "VC2291")]
    assert sorted(
        _rows(db, "SELECT item, present FROM screening_answers WHERE session_id = :id", id=saved.id)
    ) == [("isotretinoin", True), ("pregnancy", False)]
    assert sorted(
        _rows(
            db,
            "SELECT scale, item, scale_version, score FROM assessments WHERE session_id = :id",
            id=saved.id,
        )
    ) == sorted(
        [
            ("goodman_baron_qualitative", "grade", "1996", 3),
            ("gais", "score", "2008", 2),
            ("satisfaction_nrs", "score", "0-10", 8),
            ("vancouver_scar_scale", "vascularity", "1990", 1),
            ("vancouver_scar_scale", "pigmentation", "1990", 2),
            ("vancouver_scar_scale", "pliability", "1990", 3),
            ("vancouver_scar_scale", "height", "1990", 1),
        ]
    )

    with db.read() as s:
        (event,) = audit.events_for(s, "session", saved.id)
    assert (event.actor, event.action) == ("dr", "create")
    stored = replace(data, next_due=date(2026, 3, 30))
    expected = {"patient_id": [None, patient.id], **audit.diff({}, as_dict(stored))}
    assert event.changes == json.dumps(expected, ensure_ascii=False, sort_keys=True)
    assert json.loads(event.changes)["vss"] == [
        None, {"height": 1, "pigmentation": 2, "pliability": 3, "vascularity": 1}
    ]  # fmt: skip

    after = patients.get(db, patient.id)
    assert after.version == patient.version  # a save does not make an open edit stale
    assert (after.sessions_total, after.course_sessions, after.last_session_on) == (
        1, 1, date(2026, 3, 2),
    )  # fmt: skip
    assert after.next_due == date(2026, 3, 30)


def test_version_moves_by_one_on_each_amend(db: Database) -> None:
    patient = register_consenting(db, make_patient(), "nurse")
    saved = sessions.record(db, patient.id, make_session(), "dr", now=NOW)
    once = sessions.amend(db, saved.id, replace(saved.data, pain=5), 1, "dr", now=NOW)
    twice = sessions.amend(db, saved.id, replace(once.data, pain=6), 2, "dr", now=NOW)
    assert (saved.version, once.version, twice.version) == (1, 2, 3)


def test_a_back_dated_session_leaves_the_latest_one_in_the_summary(db: Database) -> None:
    patient = register_consenting(db, make_patient(), "nurse")
    for when, due in (
        (datetime(2026, 3, 2, 10, 30), date(2026, 3, 30)),
        (datetime(2026, 3, 30, 10, 30), date(2026, 4, 27)),
        # Recorded last but performed first, at the same moment as no other.
        (datetime(2026, 2, 2, 10, 30), None),
    ):
        sessions.record(
            db, patient.id, make_session(performed_at=when, next_due=due), "dr", now=NOW
        )
    after = patients.get(db, patient.id)
    assert (after.sessions_total, after.course_sessions, after.last_session_on) == (
        3, 3, date(2026, 3, 30),
    )  # fmt: skip
    assert after.next_due == date(2026, 4, 27)
    # Same values as recomputing the summary from scratch.
    with db.write() as s:
        sessions.refresh_summary(s, patient.id, sessions.protocol_in(s))
    again = patients.get(db, patient.id)
    assert (again.sessions_total, again.course_sessions, again.last_session_on, again.next_due) == (
        after.sessions_total, after.course_sessions, after.last_session_on, after.next_due,
    )  # fmt: skip
    first = sessions.history(db, patient.id, newest_first=False)[0]
    assert first.data.next_due == date(2026, 3, 2)  # first of the course: 4 weeks on
