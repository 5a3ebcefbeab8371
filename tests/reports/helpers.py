"""Patients with histories, and reading a PDF back, for the report tests."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

from needlelog.domain.records import Patient
from needlelog.services import patients, sessions, settings
from needlelog.store.database import Database
from tests.factories import make_patient, make_session

FIRST_VISIT = datetime(2010, 1, 4, 10, 0)


def visit_day(i: int) -> datetime:
    """Session ``i`` (0-based): just over four weeks apart, 200 of them end before 2026."""
    return FIRST_VISIT + timedelta(days=29 * i)


def patient_with_sessions(
    db: Database, count: int, record_no: str = "P-0001", notes: str = "", **changes: object
) -> Patient:
    """A patient with ``count`` sessions, written in one transaction."""
    patient = patients.register(db, make_patient(record_no, **changes), "test")
    protocol = settings.get_protocol(db)
    with db.write() as s:
        for i in range(count):
            data = make_session(
                performed_at=visit_day(i),
                next_due=None,
                scar_grade=max(1, 4 - i // 3),
                gais=1 + i % 5,
                notes=notes.format(i=i),
            )
            sessions.add_in(s, patient.id, data, "test", protocol=protocol, refresh=False)
        sessions.refresh_summary(s, patient.id, protocol)
    return patients.get(db, patient.id)


def shown(day: date) -> str:
    """How the report writes a date (7 Mar 2026), spelled out independently."""
    return f"{day.day} {day:%b %Y}"


def page_texts(pdf: bytes | Path) -> list[str]:
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    reader = PdfReader(io.BytesIO(data))
    # Shaped Arabic extracts as presentation forms; NFKC maps them back to letters.
    return [unicodedata.normalize("NFKC", page.extract_text() or "") for page in reader.pages]
