"""Records that use every field and every awkward character, for round-trip tests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.records import (
    Numbing,
    PatientData,
    Product,
    SessionData,
    TreatedArea,
    VancouverScarScale,
)
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

AWKWARD_NOTES = 'Scars, both cheeks; "rolling" type\nsecond line, with a comma\r\nthird'
FORMULAS = ("=SUM(A1)", "+44 20 7946 0000", "-x", "@x", "\tleading tab", "'quoted already")


def rich_patients() -> list[PatientData]:
    return [
        make_patient(
            "P-0001",
            contraindications=(Contraindication.ECZEMA, Contraindication.ANTICOAGULANTS),
            notes=AWKWARD_NOTES,
            planned_sessions=4,
        ),
        make_patient(
            "P-0002",
            family_name="山田",
            given_name="花子",
            sex=Sex.OTHER,
            phone="",
            email="",
            fitzpatrick=None,
            date_of_birth=None,
            notes="=SUM(A1)",
        ),
        make_patient(
            "P-0003",
            family_name="Ødegård-Ñúñez",
            given_name="Ελένη Андреевна",
            sex=None,
            phone="+44 20 7946 0000",
            fitzpatrick=6,
            notes="-x",
        ),
        # A tab is no character of a name: the tab-led cell is a note.
        make_patient("P-0004", family_name="@x", given_name="'quoted already", notes="\tTab"),
    ]


def rich_session() -> SessionData:
    return make_session(
        performed_at=datetime(2026, 3, 2, 10, 30, 15),
        areas=(
            TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), passes=3, endpoint=Endpoint.ERYTHEMA),
            TreatedArea(Area.FOREHEAD, Decimal("0.50"), passes=2),
            TreatedArea(
                Area.OTHER,
                Decimal("1.00"),
                passes=None,
                endpoint=Endpoint.PINPOINT_BLEEDING,
                label="Left shoulder (upper); scar: a|b \\ c",
            ),
        ),
        indications=(Indication.ACNE_SCARS, Indication.PIGMENTATION),
        device="Dermapen 4",
        cartridge_needles=16,
        cartridge_lot="=C2026",
        pen_speed=9,
        numbing=Numbing("Lidocaine: 5%; cream", 25),
        products=(
            Product("Vitamin C serum", "VC2291", date(2027, 3, 31)),
            Product("Hyaluronic acid | HA;x", "", None),
            Product("Peptides", "+LOT", None),
        ),
        redness=Grade.SEVERE,
        bruising=Grade.NONE,
        swelling=None,
        pinpoint_bleeding=True,
        acne_flare=True,
        adverse_events='Small bruise, left cheek, "faded" in 3 days',
        pain=0,
        scar_grade=4,
        gais=2,
        satisfaction=10,
        vss=VancouverScarScale(1, 2, 3, 0),
        notes=AWKWARD_NOTES,
        aftercare_given=True,
        next_due=date(2026, 4, 1),
        screening=(
            ScreeningAnswer(Contraindication.OPEN_LESIONS, True),
            ScreeningAnswer(Contraindication.ECZEMA, True),
            ScreeningAnswer(Contraindication.ISOTRETINOIN, False, date(2025, 1, 5)),
        ),
        cautions_acknowledged=True,
        override_reason="-lesion is far from the treated areas",
    )


def fill_rich(db: Database) -> None:
    """Patients above, with sessions that use every field (and some left empty)."""
    ids = [register_consenting(db, p, "tester").id for p in rich_patients()]
    sessions.record(db, ids[0], rich_session(), "tester")
    sessions.record(
        db,
        ids[0],
        make_session(performed_at=datetime(2026, 4, 1), next_due=date(2026, 5, 1)),
        "tester",
    )
    sessions.record(
        db,
        ids[1],
        make_session(
            performed_at=datetime(2026, 2, 1, 9, 0),
            practitioner="+Nurse Ørsted",
            numbing=None,
            products=(),
            redness=None,
            bruising=None,
            swelling=None,
            pain=None,
            scar_grade=None,
            indications=(),
            notes="@mention, =1+1",
        ),
        "tester",
    )
    patients.set_archived(db, ids[3], True, "tester")


def snapshot(db: Database) -> dict[str, object]:
    """Every stored field of every record, keyed by record number (ids differ between databases)."""
    out: dict[str, object] = {}
    for p in patients.search(db, limit=1000, include_archived=True):
        history = sessions.history(db, p.id, newest_first=False)
        out[p.record_no] = (
            p.data,
            p.archived,
            p.sessions_total,
            p.last_session_on,
            p.next_due,
            [s.data for s in history],
        )
    return out
