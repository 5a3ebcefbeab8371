"""The consent document as a patient and a clinic read it: the text signed, the
answers, the signature from its strokes, the paper scan, the withdrawal, the record
details, page numbers, and the fonts it carries."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from pypdf import PdfReader

from needlelog.domain.consent import DEFAULT_TREATMENT_TEXT, Signature, Stroke, StrokePoint
from needlelog.reports.consent_document import consent_pdf_bytes, consent_text, render, when
from tests.consent_pdf import samples
from tests.reports.helpers import page_texts


def _pdf(d: samples.ConsentDocument) -> bytes:
    buffer = io.BytesIO()
    render(d, buffer)
    return buffer.getvalue()


def _flat(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page_texts(pdf)))


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This PC's clock in Berlin (winter: UTC+1)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_on_screen_consent_shows_the_whole_signed_text_and_the_record(berlin: None) -> None:
    pdf = _pdf(samples.doc())
    texts = page_texts(pdf)
    flat = _flat(pdf)
    # Every line of the text signed is on the pages, word for word.
    for line in DEFAULT_TREATMENT_TEXT.splitlines():
        words = _words(line.lstrip("- "))
        assert words in flat, words
    for expected in (
        "Aurora Skin Clinic",
        "Consent to microneedling treatment",
        "Anna Schmidt",
        "P-0042",
        "17 May 1988",
        # Stored 09:41 UTC; this PC is in Berlin: its wall clock, with the offset.
        "2 Mar 2026, 10:41 (UTC+01:00)",
        "Dr Maria Keller (account mkeller)",
        "Signed on screen by Anna Schmidt",
        "saved 12 Jan 2026",
        samples.version().sha256,
    ):
        assert expected in flat, expected
    assert "Signed on paper" not in flat
    assert "withdrawn" not in flat.lower()
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
    # The file's properties name the record, never the patient.
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None and info.title == "Consent — record P-0042"
    assert "Schmidt" not in str(dict(info))


def _signature_ops(pdf: bytes) -> list[tuple[float, int]]:
    """(line width, segments drawn at that width) for each width set while drawing in
    the signature's ink."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[tuple[float, int]] = []
    for page in reader.pages:
        ops = page.get_contents().operations  # type: ignore[union-attr]
        inked = False
        for operands, op in ops:
            if op == b"RG":
                inked = [round(float(v), 3) for v in operands] == [0.086, 0.192, 0.361]
            elif op == b"w" and inked:
                found.append((float(operands[0]), 0))
            elif op == b"l" and inked and found:
                found[-1] = (found[-1][0], found[-1][1] + 1)
    return found


def test_the_signature_is_drawn_from_its_strokes_thicker_where_the_pen_pressed() -> None:
    signature = samples.pen_signature()
    pdf = _pdf(samples.doc())
    ops = _signature_ops(pdf)
    segments = sum(len(s.points) - 1 for s in signature.strokes if len(s.points) > 1)
    assert sum(count for _w, count in ops) == segments
    widths = sorted({w for w, _c in ops})
    # Light pressure draws thin, full pressure thick: a range of widths, not one pen.
    assert len(widths) > 20
    assert widths[-1] > 1.8 * widths[0]


def test_a_signature_pressed_evenly_draws_one_width() -> None:
    flat_pen = Signature(
        300,
        100,
        (Stroke(tuple(StrokePoint(10 + i * 5, 50, 1.0) for i in range(50))),),
    )
    pdf = _pdf(samples.doc(samples.consent(signature=flat_pen)))
    ops = _signature_ops(pdf)
    assert {w for w, _c in ops} == {ops[0][0]}
    assert sum(c for _w, c in ops) == 49


def test_photo_answers_are_written_as_words_for_each_use() -> None:
    flat = _flat(_pdf(samples.doc(samples.photo_consent())))
    assert "Consent to clinical photographs" in flat
    assert "Kept in the clinical record Yes, I agree" in flat
    assert "Shown in the patient's own report Yes, I agree" in flat
    assert "Used for teaching No, I do not agree" in flat
    assert "Published No, I do not agree" in flat


def test_a_treatment_consent_has_no_answers_table() -> None:
    flat = _flat(_pdf(samples.doc()))
    assert "Use of the photographs" not in flat


def test_a_paper_consent_says_so_and_shows_its_scanned_image() -> None:
    d = samples.doc(samples.paper_consent(), scan=samples.scan_jpeg())
    pdf = _pdf(d)
    flat = _flat(pdf)
    assert "Signed on paper: scan kept in the record" in flat
    assert "Signed on paper by Anna Schmidt" in flat
    assert "The signed paper form" in flat
    assert "ab" * 32 in flat  # the scan's checksum
    assert "Signed on screen" not in flat
    assert _signature_ops(pdf) == []  # no strokes to draw
    images = [img for page in PdfReader(io.BytesIO(pdf)).pages for img in page.images]
    assert len(images) == 1
    # Placed downscaled (about 200 dpi of its placed size), not at the scan's size.
    assert images[0].image is not None and max(images[0].image.size) <= 1600
    # Kept with its heading: the heading is on the page of the image.
    last = page_texts(pdf)[-1]
    assert "The signed paper form" in last


def test_a_paper_consent_scanned_as_pdf_is_named_not_placed() -> None:
    d = samples.doc(samples.paper_consent(scan_media_type="application/pdf"))
    pdf = _pdf(d)
    flat = _flat(pdf)
    assert "Signed on paper: scan kept in the record" in flat
    assert "The scan is a PDF document, kept unchanged in the patient's record" in flat
    assert not [img for page in PdfReader(io.BytesIO(pdf)).pages for img in page.images]


def test_a_damaged_scan_image_is_said_not_placed() -> None:
    d = samples.doc(samples.paper_consent(), scan=b"\xff\xd8 not really a jpeg")
    flat = _flat(_pdf(d))
    assert "it could not be shown here" in flat


def test_a_withdrawn_consent_says_when_why_and_by_whom(berlin: None) -> None:
    pdf = _pdf(samples.doc(samples.consent(withdrawal=samples.withdrawal())))
    first = re.sub(r"\s+", " ", page_texts(pdf)[0])
    assert "Consent withdrawn on 3 Nov 2026." in first
    assert "Reason given: moving abroad, no further treatment." in first
    assert "Recorded by Dr Maria Keller on 3 Nov 2026, 11:12 (UTC+01:00)" in first
    assert "from the day it was withdrawn it no longer holds" in first


def test_a_long_text_runs_onto_more_pages_with_every_word_and_page_numbers() -> None:
    paragraphs = [
        f"Paragraph {n}: " + " ".join(f"word{n}x{i}" for i in range(120)) for n in range(1, 13)
    ]
    text = "\n\n".join(paragraphs)
    pdf = _pdf(samples.doc(samples.consent(template=samples.version(text))))
    texts = page_texts(pdf)
    assert len(texts) >= 3
    flat = _flat(pdf)
    for n in range(1, 13):
        assert f"word{n}x0" in flat and f"word{n}x119" in flat
    for number, page in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in page
        if number > 1:  # a loose page still says whose consent it is
            assert "Aurora Skin Clinic · Consent to microneedling treatment · Anna Schmidt" in page


def _fonts(pdf: bytes) -> set[str]:
    """The fonts embedded (subset "ABCDEF+Name"); ReportLab's canvas also names
    Helvetica, which is never embedded and never set."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():  # type: ignore[index]
            base = str(font.get_object()["/BaseFont"])
            if "+" in base:
                names.add(base.split("+")[-1])
    return names


def test_a_latin_document_embeds_only_the_two_faces_it_sets() -> None:
    assert _fonts(_pdf(samples.doc())) == {"DejaVuSans", "DejaVuSans-Bold"}


def test_a_non_latin_name_is_set_in_the_fonts_that_have_its_letters() -> None:
    name = "王静 Ελένη Παπαδοπούλου"
    pdf = _pdf(samples.doc(samples.photo_consent(), patient_name=name))
    flat = _flat(pdf)
    assert "王静" in flat
    assert "Ελένη Παπαδοπούλου" in flat
    assert "DroidSansFallback" in _fonts(pdf)


def test_the_text_is_kept_line_for_line_markers_and_all() -> None:
    text = "Title line\n\nThe treatment\nIt works.\n- one risk;\n• another\n\nLast line."
    flowables = consent_text(text)
    got = [f.getPlainText() for f in flowables if hasattr(f, "getPlainText")]  # type: ignore[attr-defined]
    assert got == ["Title line", "The treatment", "It works.", "one risk;", "another", "Last line."]
    bullets = [getattr(f, "bulletText", None) for f in flowables if hasattr(f, "getPlainText")]
    assert bullets == [None, None, None, "-", "•", None]


def test_markup_in_the_text_is_printed_as_written_not_obeyed() -> None:
    text = "I agree to <b>everything</b> & more <font size=40>big</font>"
    flat = _flat(_pdf(samples.doc(samples.consent(template=samples.version(text)))))
    assert "I agree to <b>everything</b> & more <font size=40>big</font>" in flat


def test_when_writes_the_apps_date_with_the_local_time_and_offset(berlin: None) -> None:
    assert when(datetime(2026, 7, 1, 22, 30)) == "2 Jul 2026, 00:30 (UTC+02:00)"


def test_without_a_certificate_the_document_is_simply_not_signed() -> None:
    pdf = consent_pdf_bytes(samples.doc())
    assert b"/ByteRange" not in pdf
    assert b"/Sig" not in pdf
    assert len(page_texts(pdf)) == 2
