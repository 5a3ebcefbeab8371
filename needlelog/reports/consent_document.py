"""The consent document: one signed consent as a PDF to hand to the patient and keep.

It shows the clinic's letterhead, the exact text of the version the patient signed
(never the template as it reads today), the photo-use answers, the signature drawn
from its strokes (or, for a consent signed on paper, the scan), when it was signed
and who witnessed it, the form's title, version, language and the text's SHA-256,
and a withdrawal when there is one. With a clinic certificate loaded
(``services.consent_certificate``) the file is digitally signed, so a PDF reader
shows whether it has been altered since.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle
from reportlab.platypus import Image as PdfImage

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.domain.consent import Consent, ConsentKind, ConsentMethod, Signature
from needlelog.reports import document, fonts
from needlelog.reports import styles as st
from needlelog.reports.sections import field_grid
from needlelog.services import (
    access,
    clock,
    consent_certificate,
    consents,
    disclosures,
    patients,
    settings,
)
from needlelog.services.settings import ClinicInfo
from needlelog.store.database import Database

SIGNATURE_INK = colors.HexColor("#16315C")  # a dark blue, as a pen signs
SIGNATURE_BOX = (84 * mm, 34 * mm)
PEN_PIXELS = 3.6  # the pad's pen width in its own pixels, at full pressure
SCAN_DPI = 200  # a scanned form stays readable; the file stays small
SCAN_MAX_HEIGHT = 190 * mm
JPEG_QUALITY = 85


@dataclass(frozen=True)
class ConsentDocument:
    """Everything the document shows, gathered before any layout (the pure builder's input)."""

    consent: Consent
    clinic: ClinicInfo
    patient_name: str
    record_no: str
    date_of_birth: date | None = None
    scan: bytes = b""  # the paper consent's scan, when it is an image (JPEG or PNG)
    sealed_by: str = ""  # the clinic certificate's name when the PDF will be signed
    generated_at: datetime | None = None  # local time; now when None


def _local(moment: datetime) -> datetime:
    """A stored naive-UTC time as this PC's wall clock reads it."""
    return moment.replace(tzinfo=UTC).astimezone()


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def when(moment_utc: datetime) -> str:
    """ "7 Mar 2026, 14:05 (UTC+01:00)": the date as every document writes it, with the
    time in this PC's zone and the offset, so the moment is unambiguous years later."""
    local = _local(moment_utc)
    return f"{st.fmt_date(local.date())}, {local:%H:%M} ({_offset(local)})"


class SignatureDrawing(Flowable):
    """The strokes of an on-screen signature as vector lines, scaled to fit a box;
    each segment's width follows the pen pressure at its ends."""

    def __init__(self, signature: Signature, width: float, height: float) -> None:
        super().__init__()
        self.signature = signature
        self.width = width
        self.height = height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        sig = self.signature
        canvas = self.canv
        scale = min(self.width / max(sig.width, 1), self.height / max(sig.height, 1))
        left = (self.width - sig.width * scale) / 2
        bottom = (self.height - sig.height * scale) / 2
        pen = max(PEN_PIXELS * scale, 0.5)

        def point(x: float, y: float) -> tuple[float, float]:
            return left + x * scale, bottom + (sig.height - y) * scale  # the pad's y runs down

        def width(pressure: float) -> float:
            return pen * (0.35 + 0.65 * min(max(pressure, 0.0), 1.0))

        canvas.saveState()
        canvas.setStrokeColor(SIGNATURE_INK)
        canvas.setFillColor(SIGNATURE_INK)
        canvas.setLineCap(1)  # round: segments join without gaps
        canvas.setLineJoin(1)
        for stroke in sig.strokes:
            points = stroke.points
            if len(points) == 1:  # a dot (the i's, a full stop)
                x, y = point(points[0].x, points[0].y)
                canvas.circle(x, y, width(points[0].pressure) * 0.75, stroke=0, fill=1)
                continue
            for a, b in itertools.pairwise(points):
                canvas.setLineWidth(width((a.pressure + b.pressure) / 2))
                canvas.line(*point(a.x, a.y), *point(b.x, b.y))
        canvas.restoreState()


def _signature_box(content: Flowable | str) -> Table:
    inner = content if not isinstance(content, str) else st.para(content, st.BODY)
    box = Table([[inner]], colWidths=[SIGNATURE_BOX[0]], rowHeights=[SIGNATURE_BOX[1]])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, st.RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
            ]
        )
    )
    return box


# Headings never end a page: each stays with the text that follows it.
_HEADING = st.style(
    "consent-heading", fontName=fonts.BOLD, fontSize=9.5, leading=12.5, keepWithNext=1
)
_H2 = ParagraphStyle("consent-h2", parent=st.H2, keepWithNext=1)
_TEXT = st.style("consent-text", fontSize=9.5, leading=13, spaceAfter=0)
_ITEM = ParagraphStyle("consent-item", parent=_TEXT, leftIndent=5 * mm, bulletIndent=1 * mm)
_BULLETS = ("- ", "• ", "* ", "– ")


def _looks_like_heading(line: str, before: str, after: str) -> bool:
    """A short line of its own after a blank line, followed by text, that does not end
    a sentence: set in bold. The words stay exactly as written."""
    return (
        not before.strip()
        and bool(after.strip())
        and len(line) <= 60
        and not line.rstrip().endswith((".", ",", ";", ":", "!", "?"))
        and not line.startswith(_BULLETS)
    )


def consent_text(text: str) -> list[Flowable]:
    """The signed text, line by line as written: blank lines part paragraphs, list
    lines ("- ", "• ") hang from their marker, short lines alone read as headings.
    Nothing is added, dropped or reworded."""
    lines = text.splitlines()
    out: list[Flowable] = []
    gap = False
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if not line.strip():
            gap = True
            continue
        if gap and out:
            out.append(Spacer(1, 2.6 * mm))
        gap = False
        before = lines[i - 1] if i else ""
        after = lines[i + 1] if i + 1 < len(lines) else ""
        stripped = line.lstrip()
        marker = next((b for b in _BULLETS if stripped.startswith(b)), None)
        if marker is not None:
            body = stripped[len(marker) :]
            out.append(st.para(fonts.markup(body), _ITEM, bulletText=marker.strip()))
        elif _looks_like_heading(line, before, after):
            out.append(st.para(fonts.markup(line.strip()), _HEADING))
        else:
            out.append(st.para(fonts.markup(line.strip()), _TEXT))
    return out


def _answers(consent: Consent) -> Table:
    head = [st.para(h, st.CELL_HEAD) for h in ("Use of the photographs", "The patient's answer")]
    rows: list[list[Flowable]] = [head]
    for use, yes in consent.answers:
        colour = st.ACCENT if yes else st.WARN
        word = "Yes, I agree" if yes else "No, I do not agree"
        rows.append(
            [
                st.para(use.label, st.BODY),
                st.para(f'<font color="{st.css(colour)}"><b>{word}</b></font>', st.BODY),
            ]
        )
    table = Table(rows, colWidths=[st.WIDTH * 0.6, st.WIDTH * 0.4])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), st.ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, st.RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _withdrawal(consent: Consent) -> list[Flowable]:
    w = consent.withdrawal
    if w is None:
        return []
    reason = f" Reason given: {fonts.markup(w.reason.strip())}." if w.reason.strip() else ""
    text = (
        f'<font color="{st.css(st.AVOID)}"><b>Consent withdrawn on '
        f"{st.fmt_date(w.withdrawn_on)}.</b></font>{reason} "
        f"Recorded by {fonts.markup(w.recorded_by)} on {when(w.recorded_at)}. "
        "This document shows the consent as it was signed; from the day it was "
        "withdrawn it no longer holds."
    )
    box = Table([[st.para(text, st.BODY)]], colWidths=[st.WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FBEDEA")),
                ("LINEBEFORE", (0, 0), (0, -1), 3, st.AVOID),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    return [box, Spacer(1, 4 * mm)]


def _scan_image(data: bytes, max_width: float, max_height: float) -> Flowable | None:
    """The scanned page upright and downscaled to about SCAN_DPI of its placed size;
    None when the image cannot be read (the record keeps it all the same)."""
    try:
        im = Image.open(io.BytesIO(data))
        im = ImageOps.exif_transpose(im)
        im = im.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    ratio = im.height / im.width
    width = max_width
    height = width * ratio
    if height > max_height:
        height = max_height
        width = height / ratio
    longest = round(max(width, height) / 72 * SCAN_DPI)
    im.thumbnail((longest, longest))
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    buffer.seek(0)
    return PdfImage(buffer, width=width, height=height)


def _signature_part(d: ConsentDocument) -> list[Flowable]:
    c = d.consent
    name = fonts.markup(d.patient_name)
    witness = fonts.markup(c.witness) if c.witness.strip() else "—"
    if c.witness_account.strip() and c.witness_account.strip() != c.witness.strip():
        witness += f" (account {fonts.markup(c.witness_account)})"
    if c.method is ConsentMethod.ON_SCREEN and c.signature is not None:
        drawing: Flowable | str = SignatureDrawing(
            c.signature, SIGNATURE_BOX[0] - 4 * mm, SIGNATURE_BOX[1] - 4 * mm
        )
        under = f"Signed on screen by {name}"
        signed = when(c.signed_at)
    else:
        drawing = (
            f'<font color="{st.css(st.ACCENT)}"><b>Signed on paper:</b></font> '
            "scan kept in the record"
        )
        under = f"Signed on paper by {name}"
        signed = st.fmt_date(c.signed_at.date())
    left = [_signature_box(drawing), Spacer(1, 1.2 * mm), st.para(under, st.SMALL)]
    right = [
        st.para("SIGNED", st.LABEL),
        st.para(signed, st.VALUE),
        Spacer(1, 2.5 * mm),
        st.para("WITNESS", st.LABEL),
        st.para(witness, st.VALUE),
    ]
    row = Table([[left, right]], colWidths=[SIGNATURE_BOX[0] + 8 * mm, None])
    row.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [KeepTogether([st.para("Signature", st.H2), row])]


def _record_part(d: ConsentDocument) -> list[Flowable]:
    c = d.consent
    t = c.template
    fields = [
        ("Form", fonts.markup(t.title)),
        ("Version", f"{t.version} (saved {st.fmt_date(t.created_at.date())})"),
        ("Language", fonts.markup(t.language)),
    ]
    mono = st.style("sha", fontSize=8.5, leading=11)
    lines = [
        st.para("TEXT CHECKSUM (SHA-256)", st.LABEL),
        st.para(t.sha256, mono),
        st.para(
            "The checksum identifies the exact text above: any change to the text, "
            "even of one character, gives a different checksum.",
            st.SMALL,
        ),
    ]
    if c.method is ConsentMethod.PAPER and c.scan_sha256:
        lines += [
            Spacer(1, 1.5 * mm),
            st.para("SCAN CHECKSUM (SHA-256)", st.LABEL),
            st.para(c.scan_sha256, mono),
        ]
    checksum = Table([[lines]], colWidths=[st.WIDTH])
    checksum.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), st.TINT),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2 * mm),
            ]
        )
    )
    out: list[Flowable] = [
        KeepTogether([st.para("About this record", st.H2), field_grid(fields, columns=3), checksum])
    ]
    if d.sealed_by:
        out += [
            Spacer(1, 2 * mm),
            st.para(
                f"This document is digitally signed by {fonts.markup(d.sealed_by)}: a PDF "
                "reader shows whether it has been altered since it was made.",
                st.SMALL,
            ),
        ]
    return out


def _scan_part(d: ConsentDocument) -> list[Flowable]:
    c = d.consent
    if c.method is not ConsentMethod.PAPER:
        return []
    heading = st.para("The signed paper form", st.H2)
    if c.scan_media_type == "application/pdf":
        return [
            heading,
            st.para(
                "The scan is a PDF document, kept unchanged in the patient's record "
                "(its checksum is given above).",
                st.BODY,
            ),
        ]
    image = _scan_image(d.scan, st.WIDTH, SCAN_MAX_HEIGHT) if d.scan else None
    if image is None:
        return [
            heading,
            st.para(
                "The scan is kept unchanged in the patient's record (its checksum is "
                "given above); it could not be shown here.",
                st.BODY,
            ),
        ]
    return [KeepTogether([heading, Spacer(1, 1 * mm), image])]


def story(d: ConsentDocument) -> list[Flowable]:
    """The document's flowables, in reading order."""
    c = d.consent
    kind = "Treatment consent" if c.kind is ConsentKind.TREATMENT else "Photo consent"
    method = "signed on screen" if c.method is ConsentMethod.ON_SCREEN else "signed on paper"
    identity = [
        ("Patient", fonts.markup(d.patient_name)),
        ("Record number", fonts.markup(d.record_no)),
        ("Date of birth", st.fmt_date(d.date_of_birth)),
        (
            "Signed",
            when(c.signed_at)
            if c.method is ConsentMethod.ON_SCREEN
            else st.fmt_date(c.signed_at.date()),
        ),
    ]
    out: list[Flowable] = [
        st.letterhead(d.clinic),
        Spacer(1, 6 * mm),
        st.para(fonts.markup(c.template.title), st.TITLE),
        st.para(f"{kind}, {method}", st.SMALL),
        Spacer(1, 3 * mm),
        *_withdrawal(c),
        field_grid(identity),
        st.para("The text the patient read and signed", _H2),
        *consent_text(c.template.text),
    ]
    if c.kind is ConsentKind.PHOTO or c.answers:
        out += [
            KeepTogether(
                [
                    st.para("The patient's answers for each use of the photographs", st.H2),
                    _answers(c),
                ]
            )
        ]
    out += [Spacer(1, 2 * mm), *_signature_part(d), *_record_part(d), *_scan_part(d)]
    return out


def render(d: ConsentDocument, out: Path | BinaryIO) -> int:
    """Lay out the consent document as PDF (unsigned); return its page count."""
    fonts.register()
    now = d.generated_at or clock.local_now()
    name = fonts.markup(d.patient_name)
    record = fonts.markup(d.record_no)
    return document.render(
        story(d),
        out,
        # The file's properties travel with it (mail previews, indexes): no name there.
        title=f"Consent — record {d.record_no}",
        footer_left=fonts.markup(d.clinic.confidentiality),
        footer_note=(
            f"{st.generated_line(now)} · {name} · record {record} · "
            f"consent form version&nbsp;{d.consent.template.version}"
        ),
        header=f"<b>{fonts.markup(d.clinic.name)}</b> · {fonts.markup(d.consent.template.title)}"
        f" · {name}",
    )


def consent_pdf_bytes(d: ConsentDocument) -> bytes:
    """The document as PDF bytes, signed with the clinic's certificate when one is
    loaded (``consent_certificate.CertificateProblem`` when it cannot sign)."""
    buffer = io.BytesIO()
    render(d, buffer)
    clinic = d.clinic.name.strip()
    return consent_certificate.sign(
        buffer.getvalue(),
        reason=f"Signed consent of record {d.record_no}, issued by {clinic or 'the clinic'}",
        location=clinic,
    )


def gather(db: Database, consent_id: int, now: datetime | None = None) -> ConsentDocument:
    """What the document of one stored consent shows, read through the services."""
    consent = consents.one(db, consent_id)
    patient = patients.get(db, consent.patient_id)
    scan = b""
    if consent.method is ConsentMethod.PAPER and consent.scan_media_type.startswith("image/"):
        try:
            scan = consents.scan_path(db, consent).read_bytes()
        except OSError:
            scan = b""  # said on the page: the scan is kept in the record, not shown here
        if hashlib.sha256(scan).hexdigest() != consent.scan_sha256:
            scan = b""  # never place an image other than the one recorded ("check" reports it)
    certificate = consent_certificate.current()
    return ConsentDocument(
        consent=consent,
        clinic=settings.get_clinic(db),
        patient_name=patient.full_name,
        record_no=patient.record_no,
        date_of_birth=patient.data.date_of_birth,
        scan=scan,
        sealed_by="" if certificate is None else certificate.subject,
        generated_at=now,
    )


def build_consent_pdf(
    db: Database, consent_id: int, out: Path, now: datetime | None = None
) -> Path:
    """Write the document of one consent to ``out``: all of it or nothing, private to
    its owner, never over the database or a link (``store.files``); signed when the
    clinic has loaded a certificate. The access log records who wrote it."""
    access.require(db, Permission.CLINICAL_READ)  # refused before any file is begun
    out = Path(out)
    d = gather(db, consent_id, now)
    data = consent_pdf_bytes(d)  # laid out and signed before the file is begun
    document.write_atomically(out, lambda handle: handle.write(data))
    disclosures.log(
        db,
        config.current_user(),
        disclosures.REPORT,
        d.consent.patient_id,
        f"consent document {out.name}",
    )
    return out
