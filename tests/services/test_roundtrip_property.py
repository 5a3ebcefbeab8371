"""Any valid session goes into the store and comes back unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needlelog.domain.codes import Area, Endpoint, Grade, Indication
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer, Severity
from needlelog.domain.records import (
    Numbing,
    Product,
    SessionData,
    TreatedArea,
    VancouverScarScale,
)
from needlelog.domain.validation import BIDI_CONTROLS
from needlelog.services import consents, patients, sessions
from needlelog.store.database import Database
from tests.consenting import register_consenting, sign_consent
from tests.factories import make_patient

NOW = datetime(2026, 6, 1, 12, 0)
DEPTHS = [Decimal("0.50") + Decimal("0.05") * i for i in range(11)]

# Any text a person can store: no controls, no direction overrides (both refused on entry).
text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=BIDI_CONTROLS),
    min_size=0,
    max_size=40,
)
required = text.filter(lambda s: s.strip() != "")
optional_grade = st.none() | st.sampled_from(list(Grade))


def optional_int(low: int, high: int) -> st.SearchStrategy[int | None]:
    return st.none() | st.integers(low, high)


@st.composite
def treated_areas(draw: st.DrawFn) -> tuple[TreatedArea, ...]:
    chosen = draw(
        st.lists(
            st.sampled_from([a for a in Area if a is not Area.OTHER]),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    areas = [
        TreatedArea(
            a,
            draw(st.sampled_from(DEPTHS)),
            draw(optional_int(1, 20)),
            draw(st.none() | st.sampled_from(list(Endpoint))),
        )
        for a in chosen
    ]
    if draw(st.booleans()):
        areas.append(TreatedArea(Area.OTHER, draw(st.sampled_from(DEPTHS)), label=draw(required)))
    return tuple(areas)


@st.composite
def valid_sessions(draw: st.DrawFn) -> SessionData:
    performed = draw(st.datetimes(datetime(2000, 1, 1), datetime(2026, 5, 31)))
    performed = performed.replace(microsecond=0)
    day = performed.date()
    products = tuple(
        Product(draw(required), draw(text), draw(st.none() | st.dates(day, date(2030, 12, 31))))
        for _ in range(draw(st.integers(0, 3)))
    )
    screening = tuple(
        ScreeningAnswer(item, draw(st.booleans()))
        for item in Contraindication
        if draw(st.booleans())
    )
    present = {a.item.severity for a in screening if a.present}
    data = SessionData(
        performed_at=performed,
        practitioner=draw(required),
        areas=draw(treated_areas()),
        indications=tuple(
            draw(st.lists(st.sampled_from(list(Indication)), unique=True, max_size=3))
        ),
        device=draw(text),
        cartridge_needles=draw(optional_int(1, 100)),
        cartridge_lot=draw(text),
        pen_speed=draw(optional_int(1, 20)),
        numbing=draw(st.none() | st.builds(Numbing, required, st.integers(1, 120))),
        products=products,
        redness=draw(optional_grade),
        bruising=draw(optional_grade),
        swelling=draw(optional_grade),
        pinpoint_bleeding=draw(st.booleans()),
        acne_flare=draw(st.booleans()),
        adverse_events=draw(text),
        pain=draw(optional_int(0, 10)),
        scar_grade=draw(optional_int(1, 4)),
        gais=draw(optional_int(1, 5)),
        satisfaction=draw(optional_int(0, 10)),
        vss=draw(
            st.none()
            | st.builds(
                VancouverScarScale,
                st.integers(0, 3),
                st.integers(0, 2),
                st.integers(0, 5),
                st.integers(0, 3),
            )
        ),
        notes=draw(text),
        aftercare_given=draw(st.booleans()),
        next_due=day + timedelta(days=draw(st.integers(1, 400))),
        screening=screening,
        cautions_acknowledged=Severity.CAUTION in present or draw(st.booleans()),
        override_reason=draw(required) if Severity.AVOID in present else draw(text),
    )
    return data


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=valid_sessions())
def test_valid_sessions_round_trip_unchanged(db: Database, data: SessionData) -> None:
    patient = (
        patients.find_by_record_no(db, "RT-1")
        if patients.count(db, "RT-1")
        else (register_consenting(db, make_patient("RT-1", date_of_birth=date(1950, 1, 1)), "t"))
    )
    if consents.treatment_status(db, patient.id, data.performed_at.date()).consent is None:
        sign_consent(db, patient.id, data.performed_at.date())  # a new course: signed again
    saved = sessions.record(db, patient.id, data, actor="t", now=NOW)
    assert saved.data == data
    assert sessions.get(db, saved.id).data == data
    amended = replace(data, notes=data.notes + " (amended)")
    sessions.amend(db, saved.id, amended, saved.version, actor="t", now=NOW)
    assert sessions.get(db, saved.id).data == amended
