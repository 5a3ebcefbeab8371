"""Builders of valid records for tests; each test changes only what it is about."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from needlelog.domain.codes import Area, Grade, Indication, Sex
from needlelog.domain.records import Numbing, PatientData, Product, SessionData, TreatedArea


def make_patient(record_no: str = "P-0001", **changes: object) -> PatientData:
    values: dict[str, object] = {
        "record_no": record_no,
        "family_name": "Lefèvre",
        "given_name": "Zoë",
        "date_of_birth": date(1988, 4, 12),
        "sex": Sex.FEMALE,
        "phone": "+44 20 7946 0001",
        "email": "zoe@example.org",
        "fitzpatrick": 3,
        "notes": "Rolling scars, both cheeks.",
    }
    values.update(changes)
    return PatientData(**values)  # type: ignore[arg-type]


def make_session(**changes: object) -> SessionData:
    values: dict[str, object] = {
        "performed_at": datetime(2026, 3, 2, 10, 30),
        "practitioner": "Dr. Amelia Hart",
        "areas": (
            TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), passes=3),
            TreatedArea(Area.FOREHEAD, Decimal("0.50"), passes=2),
        ),
        "indications": (Indication.ACNE_SCARS,),
        "numbing": Numbing("Lidocaine 5% cream", 25),
        "products": (Product("Vitamin C serum", "VC2291", date(2027, 3, 31)),),
        "redness": Grade.MODERATE,
        "bruising": Grade.NONE,
        "swelling": Grade.MILD,
        "pain": 4,
        "scar_grade": 3,
        "next_due": date(2026, 3, 30),
    }
    values.update(changes)
    return SessionData(**values)  # type: ignore[arg-type]
