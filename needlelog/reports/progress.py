"""The progress report: the course at a glance, then every session in detail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.domain.codes import FITZPATRICK_NUMERALS, Grade, Indication
from needlelog.domain.course import CourseState
from needlelog.domain.document_text import (
    AFTERCARE_HEADING,
    PROGRESS_HEADING,
    REPORT_TITLE,
    SESSION_TABLE_COLUMNS,
    SESSIONS_HEADING,
)
from needlelog.domain.records import SessionData, TreatmentSession
from needlelog.reports import charts, content, document, fonts
from needlelog.reports import styles as st
from needlelog.reports.sections import aftercare_list, field_grid
from needlelog.services import access, disclosures
from needlelog.store.database import Database

Progress = Callable[[int, int, str], None]

_STATE_TEXT = {
    CourseState.NOT_STARTED: "Not started",
    CourseState.IN_COURSE: "In course",
    CourseState.DUE: "Next session due now",
    CourseState.OVERDUE: "Overdue",
    CourseState.COMPLETE: "Course complete",
    CourseState.MAINTENANCE_DUE: "Maintenance session due",
    CourseState.INTERRUPTED: "Course interrupted",
}


def _identity(c: content.ReportContent) -> Flowable:
    p = c.patient.data
    skin = f"Fitzpatrick {FITZPATRICK_NUMERALS[p.fitzpatrick]}" if p.fitzpatrick else "Not recorded"
    return field_grid(
        [
            ("Patient", fonts.markup(p.full_name)),
            ("Record number", fonts.markup(p.record_no)),
            ("Date of birth", st.fmt_date(p.date_of_birth)),
            ("Skin type", skin),
        ]
    )


def _dates_list(days: list[str], limit: int = 6) -> str:
    shown = ", ".join(days[:limit])
    return shown if len(days) <= limit else f"{shown} and {len(days) - limit} more"


def _summary(c: content.ReportContent) -> list[Flowable]:
    s = c.status
    if not c.history:
        return [st.para("No treatment sessions have been recorded yet.", st.BODY)]
    too_soon = [st.fmt_date(t.data.performed_at.date()) for t in c.history if "too_soon" in t.flags]
    late = [st.fmt_date(t.data.performed_at.date()) for t in c.history if "late" in t.flags]
    if len(c.history) < 2:
        intervals = "One session so far"
    elif not too_soon and not late:
        intervals = f"All within {c.interval_min_weeks} to {c.interval_max_weeks} weeks"
    else:
        parts = []
        if too_soon:
            parts.append(
                f'<font color="{st.css(st.WARN)}"><b>{len(too_soon)} too soon</b></font> '
                f"({_dates_list(too_soon)})"
            )
        if late:
            parts.append(
                f'<font color="{st.css(st.WARN)}"><b>{len(late)} late</b></font> '
                f"({_dates_list(late)})"
            )
        intervals = "; ".join(parts) + (
            f" (planned {c.interval_min_weeks} to {c.interval_max_weeks} weeks)"
        )
    state = _STATE_TEXT[s.state]
    if s.state is CourseState.OVERDUE:  # counted from the due date, as everywhere
        state = f"{s.days_overdue} days overdue"
    elif s.days_overdue:
        state += f", {s.days_overdue} days overdue"
    if s.state is CourseState.INTERRUPTED:
        state += f" after {s.sessions_in_course} of {s.planned} sessions"
    if s.sessions_in_course <= s.planned:
        done = f"{s.sessions_in_course} of {s.planned} planned"
    else:
        done = f"{s.sessions_in_course} (course of {s.planned} planned, then maintenance)"
    if s.course_number > 1 or len(c.history) > s.sessions_in_course:
        done += f" in the current course ({len(c.history)} in all)"
    treated: list[str] = []
    for t in c.history:
        treated += [i.label for i in t.data.indications if i.label not in treated]
    rows = [
        ("Treated for", ", ".join(treated) or "Not recorded"),
        ("Course status", state),
        ("Sessions done", done),
        (
            "Next due",
            "A new course, when the patient returns"
            if s.state is CourseState.INTERRUPTED
            else f"<b>{st.fmt_date(s.next_due)}</b>",
        ),
        ("First session", st.fmt_date(c.history[0].data.performed_at.date())),
        ("Latest session", st.fmt_date(c.history[-1].data.performed_at.date())),
        ("Intervals", intervals),
    ]
    return [field_grid(rows, columns=2)]


# Indications that the Goodman & Baron scar grade assesses; GAIS fits every indication.
_SCAR_INDICATIONS = frozenset((Indication.ACNE_SCARS, Indication.SCARRING))


def chart_scales(history: list[TreatmentSession]) -> tuple[str, ...]:
    """The outcome scales to plot: those recorded for the patient, else those that fit
    their indications (no empty acne-scar line for a rejuvenation patient)."""
    indications = {i for t in history for i in t.data.indications}
    scales = []
    if _SCAR_INDICATIONS & indications or any(t.data.scar_grade is not None for t in history):
        scales.append("scar_grade")
    scales.append("gais")
    return tuple(scales)


def _points(history: list[TreatmentSession]) -> list[charts.ChartPoint]:
    return [
        charts.ChartPoint(
            number=i,
            scar_grade=t.data.scar_grade,
            gais=t.data.gais,
            deepest_mm=None if t.data.deepest_mm is None else float(t.data.deepest_mm),
            redness=t.data.redness,
            bruising=t.data.bruising,
            swelling=t.data.swelling,
        )
        for i, t in enumerate(history, start=1)
    ]


def _contraindications(c: content.ReportContent) -> list[Flowable]:
    """What was noted at screening, in the patient's plain words: the practitioner's
    classes ("avoid", "caution") and notes ("refer to a doctor first") stay in the
    window and never print on a document the patient reads."""
    if not c.contraindications:
        return [st.para("None recorded.", st.BODY)]
    rows = [
        [st.para("•", st.BODY), st.para(fonts.markup(item.patient_label), st.BODY)]
        for item in c.contraindications
    ]
    table = Table(rows, colWidths=[6 * mm, st.WIDTH - 6 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return [table]


_GRADE_SHORT = {int(g): g.word for g in Grade}

# A table cell: plain text drawn as is, or a Paragraph where the text needs
# markup (bold, colour, the CJK font, Arabic shaping) or a word must be split.
Cell = str | Flowable


def _cell(plain: list[str] | None, markup: str, width: float) -> Cell:
    if plain is not None:
        fitted = st.fit_lines(plain, st.CELL, width)
        if fitted is not None:
            return fitted
    return st.para(markup, st.CELL)


def _reactions(d: SessionData, width: float) -> Cell:
    parts = []
    runs: list[list[st.Run]] = []
    severe = False
    for letter, grade in (("R", d.redness), ("B", d.bruising), ("S", d.swelling)):
        word = "—" if grade is None else _GRADE_SHORT[int(grade)]
        if grade is not None and int(grade) == 3:
            runs.append([(f"{letter} ", fonts.BASE, st.INK), (word, fonts.BOLD, st.AVOID)])
            word = f'<font color="{st.css(st.AVOID)}"><b>{word}</b></font>'
            severe = True
        else:
            runs.append([(f"{letter} {word}", fonts.BASE, st.INK)])
        parts.append(f"{letter} {word}")
    if not severe:
        return _cell(parts, "<br/>".join(parts), width)
    cell = st.fit_runs(runs, st.CELL, width)
    return cell if cell is not None else st.para("<br/>".join(parts), st.CELL)


def _areas(d: SessionData, width: float) -> Cell:
    if not d.areas:
        return "—"
    names = [a.label or a.area.label for a in d.areas]
    depths = [f"{float(a.depth_mm):.2f}" for a in d.areas]
    runs = [
        [(f"{n} ", fonts.BASE, st.INK), (depth, fonts.BOLD, st.INK)]
        for n, depth in zip(names, depths, strict=True)
    ]
    cell = st.fit_runs(runs, st.CELL, width)
    if cell is not None:
        return cell
    markup = [f"{fonts.markup(n)} <b>{depth}</b>" for n, depth in zip(names, depths, strict=True)]
    return st.para("<br/>".join(markup), st.CELL)


def _products(d: SessionData, width: float) -> Cell:
    runs = [
        [(p.name, st.INK), *([(f" lot {p.lot}", st.MUTED)] if p.lot else [])] for p in d.products
    ]
    if d.numbing is not None:
        runs.append([(f"Numbing: {d.numbing.product}, {d.numbing.minutes} min", st.MUTED)])
    if not runs:
        return "—"
    cell = st.wrap_runs(runs, st.CELL, width)
    if cell is not None:
        return cell
    lines = []
    for p in d.products:
        lot = f' <font color="{st.css(st.MUTED)}">lot {fonts.markup(p.lot)}</font>' if p.lot else ""
        lines.append(fonts.markup(p.name) + lot)
    if d.numbing is not None:
        lines.append(
            f'<font color="{st.css(st.MUTED)}">Numbing: {fonts.markup(d.numbing.product)}, '
            f"{d.numbing.minutes} min</font>"
        )
    return st.para("<br/>".join(lines), st.CELL)


def _date_cell(t: TreatmentSession, width: float) -> Cell:
    text = st.fmt_date(t.data.performed_at.date())
    flags = []
    if "too_soon" in t.flags:
        flags.append("too soon")
    if "late" in t.flags:
        flags.append("late")
    if not flags:
        return _cell([text], text, width)
    return st.para(
        f'{text}<br/><font color="{st.css(st.WARN)}" size="6.5"><b>{", ".join(flags)}</b></font>',
        st.CELL,
    )


def _notes(d: SessionData, width: float) -> Cell:
    adverse, notes = d.adverse_events, d.notes.strip().splitlines()
    if not adverse.strip():
        return _cell(notes, fonts.lines_markup(d.notes), width) if notes else ""
    if adverse == adverse.strip():
        runs = [[(adverse, st.AVOID)], *[[(line, st.INK)] for line in notes]]
        cell = st.wrap_runs(runs, st.CELL, width)
        if cell is not None:
            return cell
    parts = [f'<font color="{st.css(st.AVOID)}">{fonts.markup(adverse)}</font>']
    if notes:
        parts.append(fonts.lines_markup(d.notes))
    return st.para("<br/>".join(parts), st.CELL)


def _grades(d: SessionData, width: float) -> Cell:
    scar = "—" if d.scar_grade is None else str(d.scar_grade)
    gais = "—" if d.gais is None else str(d.gais)
    lines = [f"Scar {scar}", f"GAIS {gais}"]
    if d.vss is not None:  # optional: shown only for a session scored on it
        lines.append(f"VSS {d.vss.total}")
    return _cell(lines, "<br/>".join(lines), width)


_COLUMNS = SESSION_TABLE_COLUMNS
_PAD_X = 2.5  # left and right padding of every cell


def _session_table(history: list[TreatmentSession], check: Callable[[], None]) -> Table:
    fixed = sum(w for _n, w in _COLUMNS) * mm
    widths = [w * mm if w else st.WIDTH - fixed for _n, w in _COLUMNS]
    inner = [w - 2 * _PAD_X for w in widths]  # what the text of a cell may fill
    head: list[Cell] = []
    for (name, _w), room in zip(_COLUMNS, inner, strict=True):
        fitted = st.fit_lines([name], st.CELL_HEAD, room)
        head.append(st.para(name, st.CELL_HEAD) if fitted is None else fitted)
    rows: list[list[Cell]] = [head]
    for i, t in enumerate(history, start=1):
        if i % 25 == 0:
            check()
        d = t.data
        who = d.practitioner
        rows.append(
            [
                str(i),
                _date_cell(t, inner[1]),
                _cell([who] if who.strip() else None, fonts.markup(who), inner[2]),
                _areas(d, inner[3]),
                _products(d, inner[4]),
                _reactions(d, inner[5]),
                "—" if d.pain is None else f"{d.pain}/10",
                _grades(d, inner[7]),
                _notes(d, inner[8]),
            ]
        )
    # The header repeats on every page; a row moves whole to the next page
    # rather than being cut in half (split between rows, never inside one).
    table = Table(rows, colWidths=widths, repeatRows=1, splitByRow=1, splitInRow=0)
    table.setStyle(
        TableStyle(
            [
                # Cells given as plain strings are drawn in these fonts (the
                # same as the CELL and CELL_HEAD paragraph styles).
                ("FONT", (0, 0), (-1, 0), fonts.BOLD, st.CELL_HEAD.fontSize, st.CELL_HEAD.leading),
                ("TEXTCOLOR", (0, 0), (-1, 0), st.CELL_HEAD.textColor),
                ("FONT", (0, 1), (-1, -1), fonts.BASE, st.CELL.fontSize, st.CELL.leading),
                ("TEXTCOLOR", (0, 1), (-1, -1), st.CELL.textColor),
                ("BACKGROUND", (0, 0), (-1, 0), st.ACCENT),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, st.TINT]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, st.RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), _PAD_X),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PAD_X),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _story(c: content.ReportContent, check: Callable[[], None]) -> list[Flowable]:
    story: list[Flowable] = [
        st.letterhead(c.clinic),
        Spacer(1, 6 * mm),
        st.para(REPORT_TITLE, st.TITLE),
        Spacer(1, 3 * mm),
        _identity(c),
        st.para("Course summary", st.H2),
        *_summary(c),
    ]
    if len(c.history) > 1:
        story.append(
            KeepTogether(
                [
                    st.para(PROGRESS_HEADING, st.H2),
                    charts.progress_charts(
                        _points(c.history), st.WIDTH, c.status.planned, chart_scales(c.history)
                    ),
                ]
            )
        )
    elif c.history:
        # One session is no progress yet: its details below say all a chart would,
        # and the report stays on one page.
        story += [
            st.para(PROGRESS_HEADING, st.H2),
            st.para(
                "The progress chart starts with the second session; this session's "
                "details are below.",
                st.BODY,
            ),
        ]
    story += [
        KeepTogether([st.para("Noted at screening", st.H2), *_contraindications(c)]),
        KeepTogether([st.para(AFTERCARE_HEADING, st.H2), *aftercare_list(c.aftercare)]),
    ]
    if c.history:
        check()
        story += [
            CondPageBreak(40 * mm),
            st.para(SESSIONS_HEADING, st.H2),
            st.para(
                "Depths in millimetres per area. Reactions: R redness, B bruising, S swelling. "
                "Grades: Goodman &amp; Baron scar grade (1 to 4) and GAIS (1 very much improved "
                "to 5 worse)"
                + (
                    "; VSS: Vancouver Scar Scale total (0 normal skin to 13)"
                    if any(t.data.vss is not None for t in c.history)
                    else ""
                )
                + "; — means not assessed.",
                st.SMALL,
            ),
            Spacer(1, 2 * mm),
            _session_table(c.history, check),
        ]
        story += _signatures(c.history)
    return story


def _signatures(history: list[TreatmentSession]) -> list[Flowable]:
    """Each session's standing as a record (signed by whom, what it means, when; draft;
    recorded before signing existed) and every addendum, beside the original above."""
    out: list[Flowable] = [Spacer(1, 3 * mm), st.para("Signatures and addenda", st.H2)]
    plain_run: list[int] = []  # unsigned sessions with nothing more to say, in a row

    def close_run() -> None:
        if plain_run:
            first, last = plain_run[0], plain_run[-1]
            label = history[first - 1].status.label
            nos = f"No. {first}" if first == last else f"No. {first}–{last}"
            out.append(st.para(f"<b>{nos}:</b> {fonts.markup(label)}", st.SMALL))
            plain_run.clear()

    for i, t in enumerate(history, start=1):
        if t.signature is None and not t.addenda and t.imported is None:
            if plain_run and history[plain_run[-1] - 1].status is not t.status:
                close_run()
            plain_run.append(i)
            continue
        close_run()
        when = st.fmt_date(t.data.performed_at.date())
        standing = t.signature.line if t.signature is not None else t.status.label
        line = f"<b>No. {i}, {when}:</b> {fonts.markup(standing)}"
        if t.imported is not None:
            line += fonts.markup(f" · imported by {t.imported.by} on {t.imported.at:%Y-%m-%d}")
        out.append(st.para(line, st.SMALL))
        for add in t.addenda:
            corrected = "; ".join(
                str(v) if k == "corrected values" else f"{k}: {v}"
                for k, v in add.corrections.items()
            )
            parts = [
                f"<b>{fonts.markup(add.heading)}</b>",
                f"<b>Reason:</b> {fonts.markup(add.reason)}",
                fonts.lines_markup(add.text),
            ]
            if corrected:
                parts.append(f"<b>Corrected values:</b> {fonts.markup(corrected)}")
            out.append(
                Table(
                    [[st.para("<br/>".join(parts), st.SMALL)]],
                    colWidths=[st.WIDTH - 8 * mm],
                    style=TableStyle(
                        [
                            ("LINEBEFORE", (0, 0), (0, 0), 2, st.WARN),
                            ("LEFTPADDING", (0, 0), (-1, -1), 6),
                            ("TOPPADDING", (0, 0), (-1, -1), 2),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                        ]
                    ),
                    hAlign="RIGHT",
                )
            )
    close_run()
    return out


def build_progress_report(
    db: Database,
    patient_id: int,
    out: Path | BinaryIO,
    now: datetime | None = None,
    progress: Progress | None = None,
    check: Callable[[], None] | None = None,
) -> int:
    """Write the progress report of one patient as PDF; return its page count.

    ``progress`` hears about each stage; ``check`` is called between steps and
    may raise to stop (the GUI's cancel button).
    """
    access.require(db, Permission.CLINICAL_READ)
    fonts.register()
    report = progress or (lambda _d, _t, _m: None)
    stop = check or (lambda: None)
    report(0, 3, "Reading the records")
    c = content.load(db, patient_id, now)
    stop()
    report(1, 3, "Laying out the report")
    story = _story(c, stop)
    if c.photos_agreed:
        from needlelog.reports import photo_page  # Pillow and the photo store: only now

        story += photo_page.photographs(db, patient_id, stop)
    report(2, 3, "Writing the PDF")
    name = f"{fonts.markup(c.patient.full_name)} · record {fonts.markup(c.patient.record_no)}"
    pages = document.render(
        story,
        out,
        # Document properties travel with the file (mail previews, file indexes):
        # the record number identifies the report, the name stays on the pages.
        title=f"{REPORT_TITLE} — record {c.patient.record_no}",
        footer_left=fonts.markup(c.clinic.confidentiality),
        footer_note=f"{st.generated_line(c.generated_at)} · {name}",
        header=f"<b>{fonts.markup(c.clinic.name)}</b> · Treatment progress report · {name}",
    )
    report(3, 3, "Done")
    return pages


def write_progress_report(db: Database, patient_id: int, out: Path, **options: object) -> None:
    """Write the report to ``out`` atomically: all of it, or nothing; the access log
    records who wrote it (the preview, the print and a saved copy all come here)."""
    access.require(db, Permission.CLINICAL_READ)  # refused before any file is begun
    document.write_atomically(
        Path(out), lambda handle: build_progress_report(db, patient_id, handle, **options)
    )
    disclosures.log(
        db,
        config.current_user(),
        disclosures.REPORT,
        patient_id,
        f"progress report {Path(out).name}",
    )
