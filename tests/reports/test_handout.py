from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from needlelog.domain.codes import Area
from needlelog.domain.records import Product, TreatedArea
from needlelog.reports.handout import build_session_handout, write_session_handout
from needlelog.services import sessions, settings
from needlelog.services.errors import NotFound
from needlelog.services.settings import ClinicInfo
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts


def test_the_handout_is_one_page_with_todays_work_aftercare_and_next_visit(
    db: Database,
) -> None:
    settings.set_clinic(db, ClinicInfo(name="Aurora Skin Clinic", phone="+44 113 000 0000"), "t")
    settings.set_aftercare(db, "No make-up until tomorrow.\nSunscreen every day.", "t")
    patient = register_consenting(db, make_patient(given_name="静", family_name="王"), "t")
    visit = sessions.record(
        db,
        patient.id,
        make_session(
            performed_at=datetime(2026, 3, 2, 10, 30),
            areas=(
                TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), passes=3),
                TreatedArea(Area.NECK, Decimal("0.50"), passes=2),
            ),
            products=(
                Product("Vitamin C serum", "VC2291", date(2027, 3, 31)),
                Product("Hyaluronic acid", "HA4479"),
            ),
            next_due=date(2026, 3, 30),
        ),
        "t",
    )
    buffer = io.BytesIO()
    pages = build_session_handout(db, visit.id, buffer, now=datetime(2026, 3, 2, 11, 0))
    texts = page_texts(buffer.getvalue())
    assert pages == len(texts) == 1
    text = re.sub(r"\s+", " ", texts[0])
    for expected in (
        "Aurora Skin Clinic",
        "静 王",
        "2 Mar 2026",
        "Cheek (left)",
        "0.75 mm",
        "Neck",
        "0.50 mm",
        "Vitamin C serum",
        "VC2291",
        "31 Mar 2027",
        "HA4479",
        "Lidocaine 5% cream",
        "No make-up until tomorrow.",
        "Sunscreen every day.",
        "Your next session is due on 30 Mar 2026",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_an_unknown_session_writes_no_file(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "handout.pdf"
    with pytest.raises(NotFound):
        write_session_handout(db, 12345, out)
    assert not out.exists()
    assert not list(tmp_path.glob(".handout.pdf*"))
