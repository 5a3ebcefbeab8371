"""Each rule refuses what it must, with a message naming the field, value and what is allowed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from needlelog.domain.codes import Area
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.protocol import DEFAULT_PROTOCOL, Protocol
from needlelog.domain.records import Numbing, Product, TreatedArea, VancouverScarScale
from needlelog.domain.validation import (
    check_patient,
    check_session,
    patient_violations,
    session_violations,
)
from tests.factories import make_patient, make_session

TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 0)


def session_messages(**changes: object) -> dict[str, str]:
    data = make_session(**changes)
    found = session_violations(data, DEFAULT_PROTOCOL, TODAY, date(1988, 4, 12), NOW)
    return {v.field: v.message for v in found}


def test_valid_records_pass() -> None:
    check_patient(make_patient(), TODAY)
    check_session(make_session(), DEFAULT_PROTOCOL, TODAY, date(1988, 4, 12), NOW)


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        ("0.45", "needle depth for Cheek (left) is 0.45 mm; allowed: 0.50 to 1.00 mm in steps of 0.05 mm"),
        ("1.05", "needle depth for Cheek (left) is 1.05 mm; allowed: 0.50 to 1.00 mm in steps of 0.05 mm"),
        ("0.72", "needle depth for Cheek (left) is 0.72 mm, not on a 0.05 mm step; allowed: 0.50 to 1.00 mm in steps of 0.05 mm"),
    ],
)  # fmt: skip
def test_depth_outside_protocol_is_refused(depth: str, expected: str) -> None:
    areas = (TreatedArea(Area.CHEEK_LEFT, Decimal(depth)),)
    assert session_messages(areas=areas) == {"areas.0.depth_mm": expected}


@pytest.mark.parametrize("depth", ["0.50", "0.55", "0.75", "1.00", "1.0", "0.5"])
def test_depths_on_the_protocol_grid_pass(depth: str) -> None:
    assert session_messages(areas=(TreatedArea(Area.NOSE, Decimal(depth)),)) == {}


def test_depth_range_is_a_setting() -> None:
    wide = Protocol(depth_min_mm=Decimal("0.25"), depth_max_mm=Decimal("2.00"))
    data = make_session(areas=(TreatedArea(Area.BACK, Decimal("1.50")),))
    assert session_violations(data, wide, TODAY, None, NOW) == []
    (violation,) = session_violations(data, DEFAULT_PROTOCOL, TODAY, None, NOW)
    assert violation.value == Decimal("1.50")
    assert "0.50 to 1.00 mm" in violation.allowed


def test_fitzpatrick_seven_is_refused() -> None:
    found = patient_violations(make_patient(fitzpatrick=7), TODAY)
    assert [(v.field, v.message) for v in found] == [
        ("fitzpatrick", "Fitzpatrick skin type is 7; allowed: 1 to 6 (I to VI)")
    ]


def test_pain_eleven_is_refused() -> None:
    assert session_messages(pain=11) == {"pain": "pain is 11; allowed: a whole number from 0 to 10"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("scar_grade", 5, "Goodman & Baron scar grade is 5; allowed: a whole number from 1 to 4"),
        ("scar_grade", 0, "Goodman & Baron scar grade is 0; allowed: a whole number from 1 to 4"),
        ("gais", 6, "GAIS score is 6; allowed: a whole number from 1 to 5"),
        ("satisfaction", -1, "patient satisfaction is -1; allowed: a whole number from 0 to 10"),
        ("pain", -1, "pain is -1; allowed: a whole number from 0 to 10"),
    ],
)
def test_score_ranges(field: str, value: int, message: str) -> None:
    assert session_messages(**{field: value}) == {field: message}


def test_vancouver_scar_scale_items_have_their_ranges() -> None:
    found = session_messages(vss=VancouverScarScale(4, 3, 6, 4))
    assert set(found) == {"vss.vascularity", "vss.pigmentation", "vss.pliability", "vss.height"}
    assert found["vss.pliability"] == "VSS pliability is 6; allowed: a whole number from 0 to 5"


def test_date_of_birth_in_the_future_is_refused() -> None:
    found = patient_violations(make_patient(date_of_birth=date(2026, 6, 2)), TODAY)
    assert [(v.field, v.message) for v in found] == [
        ("date_of_birth",
         "date of birth 2026-06-02 is in the future; allowed: on or before 2026-06-01")
    ]  # fmt: skip


def test_session_before_birth_is_refused() -> None:
    found = session_violations(
        make_session(performed_at=datetime(2008, 5, 1, 9, 0), next_due=None),
        DEFAULT_PROTOCOL,
        TODAY,
        date(2009, 4, 12),
        NOW,
    )
    assert [v.message for v in found] == [
        "session date 2008-05-01 is before the patient's date of birth 2009-04-12"
    ]


def test_session_in_the_future_is_refused() -> None:
    found = session_messages(performed_at=datetime(2026, 6, 3, 9, 0), next_due=None)
    assert found == {
        "performed_at": "session date 2026-06-03 09:00:00 is in the future; allowed: today or earlier"
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"record_no": ""}, "record_no"),
        ({"record_no": "has space"}, "record_no"),
        ({"family_name": "  "}, "family_name"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"planned_sessions": 0}, "planned_sessions"),
        ({"date_of_birth": date(1850, 1, 1)}, "date_of_birth"),
        (
            {"contraindications": (Contraindication.ECZEMA, Contraindication.ECZEMA)},
            "contraindications",
        ),
    ],
)
def test_patient_field_rules(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        check_patient(make_patient(**changes), TODAY)
    assert caught.value.fields == {field}
    assert str(caught.value)


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = session_messages(pain=11, gais=0, practitioner="", areas=())
    assert set(found) == {"pain", "gais", "practitioner", "areas"}


def test_area_rules() -> None:
    twice = (TreatedArea(Area.CHIN, Decimal("0.75")), TreatedArea(Area.CHIN, Decimal("0.75")))
    assert session_messages(areas=twice) == {
        "areas.1": "Chin is listed twice; allowed: each area once"
    }
    other = (TreatedArea(Area.OTHER, Decimal("0.75")),)
    assert session_messages(areas=other) == {
        "areas.0.label": "an area marked “Other” needs a description of where it is"
    }
    two_others = (
        TreatedArea(Area.OTHER, Decimal("0.75"), label="Left shoulder"),
        TreatedArea(Area.OTHER, Decimal("0.75"), label="Right shoulder"),
    )
    assert session_messages(areas=two_others) == {}
    passes = (TreatedArea(Area.CHIN, Decimal("0.75"), passes=0),)
    assert session_messages(areas=passes) == {
        "areas.0.passes": "passes for Chin is 0; allowed: a whole number from 1 to 20"
    }


def test_expired_product_is_refused() -> None:
    expired = (Product("Vitamin C serum", "VC2291", date(2026, 3, 1)),)
    assert session_messages(products=expired) == {
        "products.0.expiry": "Vitamin C serum lot VC2291 expired on 2026-03-01, before the "
        "session on 2026-03-02"
    }


def test_numbing_and_next_due_rules() -> None:
    assert session_messages(numbing=Numbing("Lidocaine 5% cream", 0)) == {
        "numbing.minutes": "numbing minutes is 0; allowed: a whole number from 1 to 120"
    }
    assert session_messages(next_due=date(2026, 3, 2)) == {
        "next_due": "next session due 2026-03-02 is not after the session date 2026-03-02"
    }


def test_avoid_item_blocks_until_a_reason_is_written() -> None:
    screening = (ScreeningAnswer(Contraindication.PREGNANCY, True),)
    found = session_messages(screening=screening)
    assert list(found) == ["override_reason"]
    assert "pregnancy or breastfeeding" in found["override_reason"]
    assert "override reason" in found["override_reason"]
    assert (
        session_messages(screening=screening, override_reason="Doctor approved, see letter") == {}
    )


def test_caution_item_must_be_acknowledged() -> None:
    screening = (ScreeningAnswer(Contraindication.ECZEMA, True),)
    assert list(session_messages(screening=screening)) == ["cautions_acknowledged"]
    assert session_messages(screening=screening, cautions_acknowledged=True) == {}


def test_answered_no_does_not_block() -> None:
    screening = tuple(ScreeningAnswer(c, False) for c in Contraindication)
    assert session_messages(screening=screening) == {}


def test_time_bound_items_lapse_after_their_window() -> None:
    recent = (ScreeningAnswer(Contraindication.RADIATION_THERAPY, True, date(2025, 9, 1)),)
    assert list(session_messages(screening=recent)) == ["override_reason"]
    long_ago = (ScreeningAnswer(Contraindication.RADIATION_THERAPY, True, date(2024, 9, 1)),)
    assert session_messages(screening=long_ago) == {}
    fillers = (ScreeningAnswer(Contraindication.RECENT_FILLERS_OR_TOXIN, True, date(2026, 2, 1)),)
    assert session_messages(screening=fillers) == {}  # 4 weeks ago, window is 2 weeks
    isotretinoin = (ScreeningAnswer(Contraindication.ISOTRETINOIN, True, date(2025, 12, 1)),)
    assert list(session_messages(screening=isotretinoin)) == ["cautions_acknowledged"]


def test_invalid_record_needs_a_violation() -> None:
    with pytest.raises(ValueError):
        InvalidRecord([])
    record = InvalidRecord(
        session_violations(
            replace(make_session(), pain=11, areas=(TreatedArea(Area.CHIN, Decimal("2")),)),
            DEFAULT_PROTOCOL,
            TODAY,
            None,
            NOW,
        )
    )
    assert [v.field for v in record.for_field("areas")] == ["areas.0.depth_mm"]
