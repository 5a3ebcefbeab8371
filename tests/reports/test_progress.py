from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from needlelog.domain.contraindications import Contraindication
from needlelog.reports import progress
from needlelog.reports.progress import build_progress_report, write_progress_report
from needlelog.services import sessions, settings
from needlelog.services.errors import NotFound
from needlelog.services.settings import ClinicInfo
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts, patient_with_sessions, shown, visit_day

NOW = datetime(2026, 11, 20, 9, 15)


def report(db: Database, patient_id: int) -> tuple[int, list[str]]:
    buffer = io.BytesIO()
    pages = build_progress_report(db, patient_id, buffer, now=NOW)
    return pages, page_texts(buffer.getvalue())


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Zoë", "Lefèvre"),
        ("Νίκος", "Αλεξίου"),
        ("Ольга", "Смирнова"),
        ("فاطمة", "الخطيب"),
        ("静", "王"),
    ],
    ids=["latin", "greek", "cyrillic", "arabic", "chinese"],
)
def test_the_patients_name_comes_back_out_in_every_script(
    db: Database, given: str, family: str
) -> None:
    patient = patient_with_sessions(db, 2, given_name=given, family_name=family)
    _pages, texts = report(db, patient.id)
    first = texts[0]
    # Each word of the name is there as text (not boxes, not dropped glyphs).
    # Arabic is drawn right to left, so its words extract in visual order:
    # check the words, not their order.
    assert given in first and family in first
    if not any("\u0600" <= ch <= "\u06ff" for ch in given):
        assert f"{given} {family}" in first
    # ... and in the running header/footer of later pages too.
    assert all(family in text for text in texts)


def test_arabic_is_shaped_into_joined_forms(db: Database) -> None:
    """Shaping is what turns Arabic letters into their joined forms; the raw
    extraction (before NFKC) must hold presentation forms, not isolated letters."""
    from pypdf import PdfReader

    patient = patient_with_sessions(db, 1, given_name="فاطمة", family_name="الخطيب")
    buffer = io.BytesIO()
    build_progress_report(db, patient.id, buffer, now=NOW)
    raw = PdfReader(buffer).pages[0].extract_text()
    assert any("\ufb50" <= ch <= "\ufeff" for ch in raw)


def test_every_session_date_is_listed_and_every_page_is_numbered(db: Database) -> None:
    patient = patient_with_sessions(db, 40)
    pages, texts = report(db, patient.id)
    assert pages == len(texts) > 1
    everything = "\n".join(texts)
    for i in range(40):
        assert shown(visit_day(i).date()) in everything
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        assert "Confidential health information" in text
        assert "Generated 20 Nov 2026, 09:15" in text


def test_page_count_grows_with_the_history(db: Database) -> None:
    one = patient_with_sessions(db, 1, "P-0001")
    many = patient_with_sessions(db, 200, "P-0002")
    pages_one, _ = report(db, one.id)
    pages_many, texts = report(db, many.id)
    assert pages_one <= 2
    assert pages_many >= pages_one + 8
    everything = "\n".join(texts)
    assert all(shown(visit_day(i).date()) in everything for i in range(200))
    assert all(f"Page {n} of {pages_many}" in t for n, t in enumerate(texts, start=1))


def test_table_header_repeats_and_no_row_is_cut_in_half(db: Database) -> None:
    # Long notes make tall rows; the end marker of each row's note must be on
    # the same page as that row's date.
    notes = "Row {i}. " + "Skin settled well, patient pleased with the texture. " * 6 + "END{i}."
    patient = patient_with_sessions(db, 30, notes=notes)
    _pages, texts = report(db, patient.id)
    table_pages = [n for n, t in enumerate(texts) if "Session details" in t]
    first_table_page = table_pages[0]
    for text in texts[first_table_page:]:
        assert "Practitioner" in text and "Areas, depth (mm)" in text
    for i in range(30):
        date_pages = {n for n, t in enumerate(texts) if shown(visit_day(i).date()) in t}
        end_pages = {n for n, t in enumerate(texts) if re.search(rf"END{i}\.", t)}
        assert end_pages and end_pages <= date_pages


def test_a_patient_without_sessions_gets_a_report_that_says_so(db: Database) -> None:
    patient = register_consenting(db, make_patient(), "test")
    pages, texts = report(db, patient.id)
    assert pages == 1
    assert "No treatment sessions have been recorded yet." in texts[0]
    assert "Session details" not in texts[0]
    assert "Page 1 of 1" in texts[0]


def test_identity_summary_contraindications_and_aftercare(db: Database) -> None:
    settings.set_clinic(
        db,
        ClinicInfo(
            name="Aurora Skin Clinic",
            address="12 High Street\nLeeds LS1 4AB",
            phone="+44 113 000 0000",
            email="hello@aurora.example",
            confidentiality="Private & confidential: for Zoë and her doctors.",
        ),
        "test",
    )
    settings.set_aftercare(db, "Keep the skin clean for 24 hours.\nSPF 50 every morning.", "test")
    patient = patient_with_sessions(
        db,
        3,
        contraindications=(Contraindication.PREGNANCY, Contraindication.ANTICOAGULANTS),
    )
    _pages, texts = report(db, patient.id)
    first = texts[0]
    for expected in (
        "Aurora Skin Clinic",
        "Leeds LS1 4AB",
        "hello@aurora.example",
        "Zoë Lefèvre",
        "P-0001",
        "12 Apr 1988",
        "Fitzpatrick III",
        "3 of 3 planned",
        shown(visit_day(0).date()),
        shown(visit_day(2).date()),
        "Noted at screening",
        "Pregnancy or breastfeeding",
        "Blood-thinning medicine or a bleeding condition",
    ):
        assert expected in first, expected
    # The practitioner's classes and notes are not the patient's words.
    for practitioner_only in (
        "Avoid Pregnancy",
        "Caution",
        "Expect more bruising",
        "Anticoagulants",
    ):
        assert practitioner_only not in first, practitioner_only
    everything = "\n".join(texts)
    assert "Keep the skin clean for 24 hours." in everything
    assert "SPF 50 every morning." in everything
    assert all("Private & confidential: for Zoë and her doctors." in t for t in texts)


def test_intervals_out_of_protocol_are_marked(db: Database) -> None:
    patient = register_consenting(db, make_patient(), "test")
    for day in (datetime(2026, 1, 5, 10), datetime(2026, 1, 19, 10), datetime(2026, 4, 6, 10)):
        sessions.record(db, patient.id, make_session(performed_at=day, next_due=None), "test")
    _pages, texts = report(db, patient.id)
    everything = "\n".join(texts)
    assert "1 too soon" in everything and "1 late" in everything
    assert shown(date(2026, 1, 19)) in everything


def test_markup_in_user_text_is_printed_literally(db: Database) -> None:
    patient = patient_with_sessions(db, 1, notes="Used <b>less</b> pressure & 2 < 3")
    _pages, texts = report(db, patient.id)
    assert "Used <b>less</b> pressure & 2 < 3" in re.sub(r"\s+", " ", "\n".join(texts))


def test_an_unknown_patient_is_refused_and_nothing_is_written(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    with pytest.raises(NotFound):
        write_progress_report(db, 999, out)
    assert not out.exists()
    assert not list(tmp_path.glob("*.part"))


def test_a_failure_half_way_leaves_no_partial_file_and_keeps_an_old_one(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = patient_with_sessions(db, 2)
    out = tmp_path / "report.pdf"
    out.write_bytes(b"the previous report")

    def broken(*_args: object) -> list[object]:
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(progress, "_story", broken)
    with pytest.raises(RuntimeError):
        write_progress_report(db, patient.id, out)
    assert out.read_bytes() == b"the previous report"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.pdf")]


def test_write_progress_report_writes_a_whole_pdf(db: Database, tmp_path: Path) -> None:
    patient = patient_with_sessions(db, 2)
    out = tmp_path / "out.pdf"
    write_progress_report(db, patient.id, out)
    texts = page_texts(out)
    assert "Zoë Lefèvre" in texts[0]
    assert out.read_bytes().startswith(b"%PDF")


def test_a_cancelled_report_writes_nothing(db: Database, tmp_path: Path) -> None:
    patient = patient_with_sessions(db, 60)
    out = tmp_path / "report.pdf"
    calls: list[int] = []

    class Cancelled(Exception):
        pass

    def check() -> None:
        calls.append(1)
        if len(calls) > 2:  # the user pressed Cancel while the table was being laid out
            raise Cancelled

    with pytest.raises(Cancelled):
        write_progress_report(db, patient.id, out, check=check)
    assert not out.exists()
    assert not list(tmp_path.glob(".report.pdf*"))


def test_the_summary_names_what_is_treated(db: Database) -> None:
    patient = patient_with_sessions(db, 2)
    _pages, texts = report(db, patient.id)
    assert "Acne scars" in texts[0]


def test_a_session_scored_on_the_vss_shows_its_total_in_the_table(db: Database) -> None:
    from needlelog.domain.records import VancouverScarScale

    patient = register_consenting(db, make_patient(), "test")
    scored = VancouverScarScale(vascularity=2, pigmentation=1, pliability=3, height=1)
    for day, vss in ((datetime(2026, 1, 5, 10), None), (datetime(2026, 2, 9, 10), scored)):
        data = make_session(performed_at=day, next_due=None, gais=3, vss=vss)
        sessions.record(db, patient.id, data, "test")
    _pages, texts = report(db, patient.id)
    everything = re.sub(r"\s+", " ", "\n".join(texts))
    assert everything.count("VSS 7") == 1  # the scored session only; the other has none
    assert "Scar 3 GAIS 3 VSS 7" in everything
    assert "VSS: Vancouver Scar Scale total (0 normal skin to 13)" in everything


def test_without_a_vss_the_report_does_not_mention_it(db: Database) -> None:
    patient = patient_with_sessions(db, 2)
    _pages, texts = report(db, patient.id)
    assert "VSS" not in "\n".join(texts)


def test_practitioner_notes_never_print_on_the_patients_report(db: Database) -> None:
    everything = tuple(Contraindication)
    patient = patient_with_sessions(db, 1, contraindications=everything)
    _pages, texts = report(db, patient.id)
    printed = re.sub(r"\s+", " ", "\n".join(texts))
    for item in everything:
        assert item.patient_label in printed, item
        if item.note:
            assert item.note not in printed, item.note
    for word in ("refer to a doctor", "refer for diagnosis", "caution"):
        assert word not in printed.lower(), word
    # "Avoid" is the aftercare's word (avoid direct sun), never a tag on an item.
    assert not any(f"Avoid {item.patient_label}" in printed for item in everything)
