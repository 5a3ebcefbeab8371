"""The screening, lot and protocol rules as the services apply them: each refusal says
what a user reads, and nothing is saved."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from needlelog.domain import course
from needlelog.domain.codes import Area
from needlelog.domain.contraindications import (
    FIRST_LIST,
    SCREENING_LIST_CURRENT,
    Contraindication,
    ScreeningAnswer,
)
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Product, TreatedArea
from needlelog.services import audit, sessions, settings
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

NOW = datetime(2026, 6, 1, 12, 0)
ALL_NO = tuple(ScreeningAnswer(i, False) for i in Contraindication)


@pytest.fixture
def patient_id(db: Database) -> int:
    return register_consenting(db, make_patient(), "nurse").id


def _audit_count(db: Database) -> int:
    with db.read() as s:
        return len(audit.events_for(s, "setting", 0))


def test_an_unanswered_screening_is_refused_and_nothing_is_saved(
    db: Database, patient_id: int
) -> None:
    half = ALL_NO[:10]
    data = make_session(screening=half, screening_list=SCREENING_LIST_CURRENT)
    with pytest.raises(InvalidRecord) as refused:
        sessions.record(db, patient_id, data, "dr", now=NOW)
    assert str(refused.value) == (
        "screening is not finished: 8 unanswered (isotretinoin recently, topical retinoids or "
        "acids recently, chemical peel, laser or other resurfacing recently and 5 more); "
        "answer each item present or not present, or attest “None of these apply”"
    )
    assert sessions.history(db, patient_id) == []


def test_every_item_answered_or_the_attestation_saves(db: Database, patient_id: int) -> None:
    answered = make_session(screening=ALL_NO, screening_list=SCREENING_LIST_CURRENT)
    saved = sessions.record(db, patient_id, answered, "dr", now=NOW)
    assert sessions.get(db, saved.id).data.screening == ALL_NO
    attested = make_session(
        performed_at=datetime(2026, 4, 2, 10),
        next_due=None,
        screening_list=SCREENING_LIST_CURRENT,
        screening_attested_by="dr.hart",
        screening_attested_at=datetime(2026, 4, 2, 9, 55),
    )
    stored = sessions.get(db, sessions.record(db, patient_id, attested, "dr", now=NOW).id)
    assert stored.data.screening == ()
    assert (stored.data.screening_attested_by, stored.data.screening_attested_at) == (
        "dr.hart",
        datetime(2026, 4, 2, 9, 55),
    )


def test_an_attestation_that_contradicts_an_answer_is_refused(
    db: Database, patient_id: int
) -> None:
    data = make_session(
        screening=(ScreeningAnswer(Contraindication.ECZEMA, True),),
        screening_list=SCREENING_LIST_CURRENT,
        screening_attested_by="dr.hart",
        cautions_acknowledged=True,
    )
    with pytest.raises(InvalidRecord, match="“None of these apply” was attested, but eczema"):
        sessions.record(db, patient_id, data, "dr", now=NOW)
    assert sessions.history(db, patient_id) == []


def test_an_allergy_must_be_named_and_is_kept(db: Database, patient_id: int) -> None:
    unnamed = tuple(ScreeningAnswer(a.item, a.item is Contraindication.ALLERGY) for a in ALL_NO)
    data = make_session(
        screening=unnamed, screening_list=SCREENING_LIST_CURRENT, cautions_acknowledged=True
    )
    with pytest.raises(InvalidRecord, match="an allergy is answered present: name it"):
        sessions.record(db, patient_id, data, "dr", now=NOW)
    assert sessions.history(db, patient_id) == []
    named = tuple(
        replace(a, detail="Lidocaine") if a.item is Contraindication.ALLERGY else a for a in unnamed
    )
    saved = sessions.record(db, patient_id, replace(data, screening=named), "dr", now=NOW)
    allergy = sessions.get(db, saved.id).data.screening_for(Contraindication.ALLERGY)
    assert allergy == ScreeningAnswer(Contraindication.ALLERGY, True, None, "Lidocaine")


def test_a_session_of_the_first_list_is_complete_with_its_ten_answers(
    db: Database, patient_id: int
) -> None:
    """What was stored before the longer list stays answered as it was then."""
    old = make_session(screening=tuple(ScreeningAnswer(i, False) for i in FIRST_LIST))
    saved = sessions.record(db, patient_id, replace(old, screening_list=1), "dr", now=NOW)
    again = sessions.amend(
        db, saved.id, replace(saved.data, notes="corrected"), saved.version, "dr", reason="typo"
    )
    assert again.data.screening_list == 1
    assert len(again.data.screening) == 10


def test_a_depth_outside_its_areas_range_is_refused_naming_area_value_and_range(
    db: Database, patient_id: int
) -> None:
    body = Protocol().with_area_range(Area.THIGHS, Decimal("1.50"), Decimal("2.00"))
    settings.set_protocol(db, body, "admin")
    thighs = make_session(areas=(TreatedArea(Area.THIGHS, Decimal("1.75")),))
    assert sessions.record(db, patient_id, thighs, "dr", now=NOW).data.areas[0].depth_mm == (
        Decimal("1.75")
    )
    for area, depth, allowed in (
        (Area.THIGHS, "2.50", "1.50 to 2.00 mm"),
        (Area.THIGHS, "1.00", "1.50 to 2.00 mm"),
        (Area.FOREHEAD, "1.75", "0.50 to 1.00 mm"),
    ):
        wrong = make_session(
            performed_at=datetime(2026, 5, 1, 10),
            next_due=None,
            areas=(TreatedArea(area, Decimal(depth)),),
        )
        with pytest.raises(InvalidRecord) as refused:
            sessions.record(db, patient_id, wrong, "dr", now=NOW)
        assert str(refused.value) == (
            f"needle depth for {area.label} is {depth} mm; allowed: {allowed} in steps of 0.05 mm"
        )
    assert len(sessions.history(db, patient_id)) == 1


def test_protocol_changes_are_audited_and_bad_ones_refused_with_nothing_saved(
    db: Database,
) -> None:
    before = _audit_count(db)
    changed = replace(
        Protocol().with_area_range(Area.ABDOMEN, Decimal("1.50"), Decimal("2.00")),
        course_gap_weeks=30,
        retinoids_window_days=7,
    )
    settings.set_protocol(db, changed, "admin")
    assert settings.get_protocol(db) == changed
    with db.read() as s:
        event = audit.events_for(s, "setting", 0)[-1]
    old, new = json.loads(event.changes)["protocol"]
    assert old is None and new["area_ranges"] == {"abdomen": ["1.50", "2.00"]}
    assert new["course_gap_weeks"] == 30 and event.actor == "admin"
    assert _audit_count(db) == before + 1

    for bad, message in (
        (
            Protocol(area_ranges=(("thighs", Decimal("2.0"), Decimal("1.5")),)),
            "depth range for Thighs 2.0 to 1.5 mm is not valid",
        ),
        (Protocol(course_gap_weeks=5), "course gap 5 weeks is not longer than the longest"),
        (Protocol(retinoids_window_days=0), "topical retinoids or acids window is 0 days"),
        (Protocol(depth_step_mm=Decimal("0")), "depth step 0 mm is not valid"),
    ):
        with pytest.raises(InvalidRecord) as refused:
            settings.set_protocol(db, bad, "admin")
        assert message in str(refused.value)
    assert settings.get_protocol(db) == changed
    assert _audit_count(db) == before + 1


def test_the_course_gap_is_the_clinics_setting() -> None:
    days = [date(2026, 1, 1), date(2026, 6, 1)]  # 21 weeks apart
    assert course.course_sizes(days) == [2]
    short = Protocol(course_gap_weeks=20)
    assert course.course_sizes(days, short.course_gap) == [1, 1]
    status = course.status(days[:1], date(2026, 6, 1), short, planned=3)
    assert status.state is course.CourseState.INTERRUPTED


def test_recent_lots_of_a_product_newest_first(db: Database, patient_id: int) -> None:
    for month, lot in ((1, "VC-1"), (2, "VC-2"), (3, "VC-1"), (4, "VC-3")):
        data = make_session(
            performed_at=datetime(2026, month, 2, 10),
            next_due=None,
            products=(Product("Vitamin C serum", lot, date(2027, month, 1)),),
        )
        sessions.record(db, patient_id, data, "dr", now=NOW)
    lots = sessions.recent_lots(db, "Vitamin C serum")
    assert [(p.lot, p.expiry) for p in lots] == [
        ("VC-3", date(2027, 4, 1)),
        ("VC-1", date(2027, 3, 1)),
        ("VC-2", date(2027, 2, 1)),
        ("VC-1", date(2027, 1, 1)),
    ]
    assert sessions.recent_lots(db, "Hyaluronic acid") == []
