"""The one-page handout a patient takes home right after a session."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from needlelog.domain.accounts import Permission
from needlelog.domain.document_text import AFTERCARE_HEADING
from needlelog.domain.records import SessionData
from needlelog.reports import document, fonts
from needlelog.reports import styles as st
from needlelog.reports.sections import aftercare_list, field_grid
from needlelog.services import access, clock, patients, sessions, settings
from needlelog.store.database import Database


def _areas_table(d: SessionData) -> Table:
    head = [st.para(h, st.CELL_HEAD) for h in ("Area treated", "Needle depth", "Passes")]
    rows = [head]
    for a in d.areas:
        name = fonts.markup(a.label) if a.label else a.area.label
        rows.append(
            [
                st.para(name, st.BODY),
                st.para(st.fmt_depth(a.depth_mm), st.BODY),
                st.para("—" if a.passes is None else str(a.passes), st.BODY),
            ]
        )
    return _grid(rows, [st.WIDTH * 0.5, st.WIDTH * 0.25, st.WIDTH * 0.25])


def _products_table(d: SessionData) -> Table | None:
    if not d.products:
        return None
    head = [st.para(h, st.CELL_HEAD) for h in ("Product applied", "Lot", "Expiry")]
    rows = [head]
    for p in d.products:
        rows.append(
            [
                st.para(fonts.markup(p.name), st.BODY),
                st.para(fonts.markup(p.lot) or "—", st.BODY),
                st.para(st.fmt_date(p.expiry), st.BODY),
            ]
        )
    return _grid(rows, [st.WIDTH * 0.5, st.WIDTH * 0.25, st.WIDTH * 0.25])


def _grid(rows: list[list[Flowable]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), st.ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, st.RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _next_due_box(text: str) -> Table:
    box = Table([[st.para(text, st.style("due", fontSize=11, leading=15))]], colWidths=[st.WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), st.TINT),
                ("LINEBEFORE", (0, 0), (0, -1), 3, st.ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    return box


def build_session_handout(
    db: Database, session_id: int, out: Path | BinaryIO, now: datetime | None = None
) -> int:
    """Write the handout of one session as PDF; return its page count."""
    access.require(db, Permission.CLINICAL_READ)
    fonts.register()
    now = now or clock.local_now()
    visit = sessions.get(db, session_id)
    patient = patients.get(db, visit.patient_id)
    clinic = settings.get_clinic(db)
    d = visit.data
    name = fonts.markup(patient.full_name)
    story: list[Flowable] = [
        st.letterhead(clinic),
        Spacer(1, 6 * mm),
        st.para("After your treatment today", st.TITLE),
        Spacer(1, 3 * mm),
        field_grid(
            [
                ("Patient", name),
                ("Record number", fonts.markup(patient.record_no)),
                ("Treatment date", st.fmt_date(d.performed_at.date())),
                ("Practitioner", fonts.markup(d.practitioner)),
            ]
        ),
        st.para("What was done today", st.H2),
        _areas_table(d),
    ]
    products = _products_table(d)
    if products is not None:
        story += [Spacer(1, 3 * mm), products]
    if d.numbing is not None:
        story += [
            Spacer(1, 2 * mm),
            st.para(
                f"Numbing cream: {fonts.markup(d.numbing.product)}, "
                f"{d.numbing.minutes} minutes before treatment.",
                st.BODY,
            ),
        ]
    due = (
        f"Your next session is due on <b>{st.fmt_date(d.next_due)}</b>."
        if d.next_due
        else "Your practitioner will tell you when to come back."
    )
    if clinic.phone.strip():
        phone = fonts.markup(clinic.phone.strip()).replace(" ", "&nbsp;")  # keep it on one line
        due += f" To book or ask a question, call {phone}."
    story += [
        KeepTogether(
            [st.para(AFTERCARE_HEADING, st.H2), *aftercare_list(settings.get_aftercare(db))]
        ),
        Spacer(1, 5 * mm),
        _next_due_box(due),
    ]
    return document.render(
        story,
        out,
        title=f"Aftercare — record {patient.record_no}",  # no name in the file's properties
        footer_left=fonts.markup(clinic.confidentiality),
        footer_note=f"{st.generated_line(now)} · {name} · record {fonts.markup(patient.record_no)}",
    )


def write_session_handout(db: Database, session_id: int, out: Path, **options: object) -> None:
    """Write the handout to ``out`` atomically: all of it, or nothing."""
    access.require(db, Permission.CLINICAL_READ)  # refused before any file is begun
    document.write_atomically(
        Path(out), lambda handle: build_session_handout(db, session_id, handle, **options)
    )
