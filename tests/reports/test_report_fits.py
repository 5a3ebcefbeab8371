"""The report fits the patient: one page for one session, the scales of their
indications, the depth chart's caption clear of its gridline."""

from __future__ import annotations

import io
from datetime import datetime

from pypdf import PdfReader

from needlelog.domain.codes import Indication
from needlelog.reports.progress import build_progress_report, chart_scales
from needlelog.services import sessions
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts

NOW = datetime(2026, 6, 1, 9, 0)


def _patient(db: Database, count: int, **changes: object) -> int:
    pid = register_consenting(db, make_patient("F-1"), "t").id
    for i in range(count):
        when = datetime(2026, 1 + i * 2, 5, 10)
        sessions.record(
            db, pid, make_session(performed_at=when, next_due=None, **changes), "t", now=NOW
        )
    return pid


def test_a_one_session_report_is_one_page(db: Database) -> None:
    pid = _patient(db, 1, notes="Tolerated well.")
    buffer = io.BytesIO()
    assert build_progress_report(db, pid, buffer, now=NOW) == 1
    (text,) = page_texts(buffer.getvalue())
    assert "Session details" in text and "Tolerated well." in text
    assert "The progress chart starts with the second session" in text


def test_the_chart_plots_the_scales_of_the_patients_indications(db: Database) -> None:
    pid = _patient(db, 2, indications=(Indication.REJUVENATION,), scar_grade=None, gais=3)
    history = sessions.history(db, pid, newest_first=False)
    assert chart_scales(history) == ("gais",)
    buffer = io.BytesIO()
    build_progress_report(db, pid, buffer, now=NOW)
    first = page_texts(buffer.getvalue())[0]
    assert "GAIS (1 very much improved to 5 worse)" in first
    assert "Goodman & Baron, 1 macular" not in first  # no empty acne-scar line


def test_acne_scars_or_a_recorded_scar_grade_keep_the_scar_line(db: Database) -> None:
    pid = _patient(db, 2, indications=(Indication.ACNE_SCARS,), scar_grade=None)
    assert chart_scales(sessions.history(db, pid)) == ("scar_grade", "gais")
    other = register_consenting(db, make_patient("F-2"), "t").id
    sessions.record(
        db,
        other,
        make_session(indications=(Indication.WRINKLES,), scar_grade=2, next_due=None),
        "t",
        now=NOW,
    )
    assert chart_scales(sessions.history(db, other)) == ("scar_grade", "gais")


def test_the_depth_caption_sits_clear_of_its_top_gridline(db: Database) -> None:
    pid = _patient(db, 2)
    buffer = io.BytesIO()
    build_progress_report(db, pid, buffer, now=NOW)
    found: dict[str, float] = {}

    def visit(text: str, _cm: object, tm: list[float], _font: object, size: float) -> None:
        if text.strip() in ("Deepest needle depth used in the session", "1.00"):
            found.setdefault(text.strip(), tm[5])

    PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text(visitor_text=visit)
    caption, top_label = found["Deepest needle depth used in the session"], found["1.00"]
    # The "1.00" label is centred on the top gridline; the caption's baseline stands
    # well above it, so its letters do not touch the line.
    assert caption - top_label >= 6
