"""The report scenario's limit must print what needlelog's report prints: the
same sessions with the same values, in embedded TrueType fonts, with a
"Page X of Y" footer, or its ratio would flatter or wrong needlelog."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from benchmarks import generate
from benchmarks.harness import raw_connect as _raw_connect
from benchmarks.plain_report import plain_report
from needlelog.reports.progress import build_progress_report
from needlelog.services import sessions
from needlelog.store.migrate import open_database
from tests.reports.helpers import page_texts, shown

NOW = datetime(2026, 11, 20, 9, 30)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clinic") / "clinic.sqlite3"
    generate.build(path, 20, 200, seed=4, workers=1)
    return path


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def test_the_plain_report_prints_every_session_value_ours_prints(clinic: Path) -> None:
    pid = 1  # a long history (generate pins one to the first patient)
    db = open_database(f"sqlite:///{clinic}")
    try:
        history = sessions.history(db, pid, newest_first=False)
        ours = io.BytesIO()
        our_pages = build_progress_report(db, pid, ours, now=NOW)
    finally:
        db.dispose()
    plain = io.BytesIO()
    plain_pages = plain_report(_raw_connect(str(clinic)), pid, plain, now=NOW)
    assert len(history) == generate.LONG_HISTORY
    assert abs(plain_pages - our_pages) <= 1
    both = [" ".join(_words(" ".join(page_texts(pdf.getvalue())))) for pdf in (ours, plain)]
    for text in both:
        for t in history:
            d = t.data
            expected = [shown(d.performed_at.date())]
            expected += [f"{float(a.depth_mm):.2f}" for a in d.areas]
            expected += [p.lot for p in d.products if p.lot]
            expected.append("—" if d.pain is None else f"{d.pain}/10")
            expected += ["Scar " + ("—" if d.scar_grade is None else str(d.scar_grade))]
            expected += ["GAIS " + ("—" if d.gais is None else str(d.gais))]
            for value in expected:
                assert value in text, (value, d.performed_at)
        # Every page numbered out of the total, as ours does.
        assert "Page 1 of" in text
    # The same late / too soon marks under the dates (ours also names them in its summary).
    for flag, word in (("late", "late"), ("too_soon", "too soon")):
        flagged = sum(flag in t.flags for t in history)
        assert both[1].count(f" {word} ") == flagged
        assert both[0].count(f" {word} ") >= flagged


def test_the_plain_report_embeds_the_same_truetype_fonts(clinic: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain.pdf"
    plain_report(_raw_connect(str(clinic)), 1, out, now=NOW)
    fonts = set()
    for page in PdfReader(out).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    # Subsets of DejaVu Sans and its bold, embedded (Helvetica is only
    # ReportLab's initial font of each page, used for no text, in ours too).
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= fonts, fonts
