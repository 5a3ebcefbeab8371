"""The session form's sections: between them they give every field of a session exactly
once, and each gives back what it was loaded with."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from needlelog.domain.codes import Area, Grade, Indication
from needlelog.domain.contraindications import (
    SCREENING_LIST_CURRENT,
    Contraindication,
    ScreeningAnswer,
)
from needlelog.domain.records import (
    Numbing,
    Patient,
    Product,
    SessionData,
    TreatedArea,
    VancouverScarScale,
)
from needlelog.services import sessions
from needlelog.store.database import Database
from needlelog.ui.session_form import SessionForm
from tests.factories import make_session

pytest_plugins = ["tests.ui.form_fixtures"]


def test_every_field_of_a_session_comes_from_exactly_one_section(
    register_patient: Callable[..., Patient], open_form: Callable[..., SessionForm]
) -> None:
    form = open_form(register_patient())
    given = [name for part in form.parts for name in part.values()]
    assert len(given) == len(set(given))
    # The form's parts: its sections and the consent line (which gives the reason to go
    # ahead without a treatment consent, asked when a save is refused).
    assert sorted(given) == sorted(f.name for f in dataclasses.fields(SessionData))


def test_each_section_gives_back_the_stored_session_it_shows(
    db: Database,
    register_patient: Callable[..., Patient],
    open_form: Callable[..., SessionForm],
) -> None:
    from needlelog.services import patients
    from tests.factories import make_patient

    # Without a consent, so the override reason is kept as written.
    patient = patients.register(db, make_patient("P-0900"), "test")
    # Every field away from its default, so a section that drops one is caught.
    full = make_session(
        performed_at=datetime(2026, 3, 2, 10, 30),
        areas=(
            TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), passes=3),
            TreatedArea(Area.OTHER, Decimal("0.60"), passes=1, label="Scar on left temple"),
        ),
        indications=(Indication.ACNE_SCARS, Indication.PIGMENTATION),
        device="Dermapen 4",
        cartridge_needles=12,
        cartridge_lot="C-2291",
        pen_speed=6,
        numbing=Numbing("Lidocaine 5% cream", 25),
        products=(Product("Vitamin C serum", "VC2291", date(2027, 3, 31)),),
        redness=Grade.MODERATE,
        bruising=Grade.MILD,
        swelling=Grade.SEVERE,
        pinpoint_bleeding=True,
        acne_flare=True,
        adverse_events="Small bruise on the chin",
        pain=4,
        scar_grade=3,
        gais=2,
        satisfaction=8,
        vss=VancouverScarScale(vascularity=2, pigmentation=1, pliability=3, height=1),
        notes="Good response",
        aftercare_given=True,
        next_due=date(2026, 3, 30),
        screening=tuple(
            ScreeningAnswer(i, i is Contraindication.ANTICOAGULANTS) for i in Contraindication
        ),
        screening_list=SCREENING_LIST_CURRENT,
        cautions_acknowledged=True,
        consent_override_reason="Signed on paper at the front desk; the scan follows",
    )
    stored = sessions.record(db, patient.id, full, "test")
    assert stored.data.consent_override_reason, "the patient has no consent: the reason stays"
    form = open_form(patient, stored)
    for part in form.parts:
        shown = part.values()
        kept = {name: getattr(stored.data, name) for name in shown}
        assert shown == kept, getattr(part, "title", "consent")


def test_pinpoint_bleeding_is_an_area_endpoint_not_a_reaction(
    register_patient: Callable[..., Patient], open_form: Callable[..., SessionForm]
) -> None:
    from PySide6.QtWidgets import QCheckBox

    from needlelog.domain.codes import Endpoint

    form = open_form(register_patient())
    boxes = [b.text() for b in form.reactions.findChildren(QCheckBox)]
    assert "Pinpoint bleeding" not in boxes and "Acne flare" in boxes
    form.treatment.area_rows.set_areas([Area.CHEEK_LEFT, Area.FOREHEAD], {})
    rows = form.treatment.area_rows.rows
    assert form.treatment.values()["pinpoint_bleeding"] is False
    rows[Area.FOREHEAD].endpoint.setCurrentIndex(
        rows[Area.FOREHEAD].endpoint.findData(Endpoint.ERYTHEMA.value)
    )
    assert form.treatment.values()["pinpoint_bleeding"] is False
    rows[Area.CHEEK_LEFT].endpoint.setCurrentIndex(
        rows[Area.CHEEK_LEFT].endpoint.findData(Endpoint.PINPOINT_BLEEDING.value)
    )
    assert form.treatment.values()["pinpoint_bleeding"] is True
