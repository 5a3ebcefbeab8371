"""The limit of the "progress report" scenario: the same document as
``reports.progress.build_progress_report``, hand-written with bare ReportLab
and read with ``sqlite3``.

What makes it the same outcome:

- the same text: the patient's name, record number, date of birth and skin
  type; the sessions done, first, latest and next due; the aftercare advice;
  and the session table with the same nine columns and values (number; date
  with "too soon" / "late"; practitioner; each area with its depth; each
  serum with its lot, and the numbing cream; redness, bruising and swelling;
  pain; scar grade and GAIS; adverse events and notes), on A4 with the same
  margins and column widths, so the page count is the same or close;
- the same embedded TrueType fonts: DejaVu Sans and DejaVu Sans Bold from
  resources/fonts, subset into the file (a name in Greek, Cyrillic or Arabic
  letters prints; the built-in Helvetica cannot print them);
- the same charts, drawn straight on the canvas: scar grade and GAIS lines
  with markers over a 1-5 grid, deepest needle depth as bars, the graded
  redness / bruising / swelling strip, a shared session axis and the legends;
- a footer on every page with the confidentiality line, the generated line
  and "Page X of Y" (known only at the end: every page is kept until then, the
  usual ReportLab recipe), and the running header from page 2 on.

What it leaves out, and why that is fair:

- checks and layers: the services' reads through SQLAlchemy, validation,
  cancel and progress callbacks, the atomic write (the scenario writes to a
  path in both variants);
- per-script fonts: the Chinese fallback font and Arabic shaping are only used
  for text that holds such characters, and the benchmark patient's name (at
  the default seed) and the generated values are Latin;
- wording the domain computes from the rows already read, small sums next to
  the layout: the course status sentence, the interval summary, the section of
  contraindications (recorded, and screened at the latest session);
- the letterhead's logo, address, phone and e-mail (none in the generated
  clinic: ours prints the name alone there too);
- look inside the session table: every cell, the header too, is a plain
  string broken to its column with ReportLab's own ``simpleSplit``, the
  cheapest way bare ReportLab sets wrapped text; so depths are not bold,
  lots and numbing not grey, flags, adverse events and severe reactions not
  coloured. The text is the same; only the font switches are saved.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from needlelog import resource_files
from needlelog.domain.codes import Area, Grade, Indication
from needlelog.domain.document_text import (
    AFTERCARE_HEADING,
    DEFAULT_AFTERCARE,
    DEFAULT_CLINIC_NAME,
    DEFAULT_CONFIDENTIALITY,
    PROGRESS_HEADING,
    REPORT_TITLE,
    SESSION_TABLE_COLUMNS,
    SESSIONS_HEADING,
)
from needlelog.reports import charts
from needlelog.reports.charts import DEPTH_COLOUR, GAIS_COLOUR, GRADE_COLOURS, SCAR_COLOUR

REGULAR, BOLD = "PlainDejaVuSans", "PlainDejaVuSans-Bold"
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 16 * mm, 16 * mm, 22 * mm
WIDTH = A4[0] - 2 * MARGIN_X
INK, MUTED, ACCENT = (colors.HexColor(c) for c in ("#1F2A30", "#5B6B73", "#1F5F6B"))
TINT, RULE = (colors.HexColor(c) for c in ("#EAF2F3", "#C4D3D6"))
# The chart's colours are the app's own (reports.charts loads no store).
SCAR, GAIS, DEPTH, GRID = SCAR_COLOUR, GAIS_COLOUR, DEPTH_COLOUR, charts.GRID
GRADES = [GRADE_COLOURS[g] for g in Grade]
GRADE_WORDS = tuple(g.word for g in Grade)
COLUMNS = SESSION_TABLE_COLUMNS
AFTERCARE = DEFAULT_AFTERCARE
CONFIDENTIAL = DEFAULT_CONFIDENTIALITY


def _style(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(name, **{"fontName": REGULAR, "fontSize": size, "leading": leading, **kw})


_registered = False


def _register() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(
            TTFont(REGULAR, str(resource_files.path("fonts", "DejaVuSans.ttf")))
        )
        pdfmetrics.registerFont(
            TTFont(BOLD, str(resource_files.path("fonts", "DejaVuSans-Bold.ttf")))
        )
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
        _registered = True


def _day(text: str | None) -> str:
    if not text:
        return "—"
    d = date.fromisoformat(text[:10])
    return f"{d.day} {d:%b %Y}"


def _read(conn: sqlite3.Connection, patient_id: int) -> dict[str, Any]:
    patient = conn.execute(
        "SELECT given_name || ' ' || family_name, record_no, date_of_birth, fitzpatrick, "
        "planned_sessions, next_due FROM patients WHERE id = ?",
        (patient_id,),
    ).fetchone()
    settings = dict(conn.execute("SELECT key, value FROM settings").fetchall())
    sessions = conn.execute(
        "SELECT id, performed_at, practitioner, indications, numbing_product, numbing_minutes, "
        "redness, bruising, swelling, pain, adverse_events, notes FROM treatment_sessions "
        "WHERE patient_id = ? ORDER BY performed_at, id",
        (patient_id,),
    ).fetchall()
    ids = "SELECT id FROM treatment_sessions WHERE patient_id = ?"
    areas: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for sid, area, label, depth in conn.execute(
        f"SELECT session_id, area, label, depth_um FROM treated_areas "
        f"WHERE session_id IN ({ids}) ORDER BY session_id, position",
        (patient_id,),
    ):
        areas[sid].append((area, label, depth))
    products: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for sid, name, lot in conn.execute(
        f"SELECT session_id, name, lot FROM session_products "
        f"WHERE session_id IN ({ids}) ORDER BY session_id, position",
        (patient_id,),
    ):
        products[sid].append((name, lot))
    scores: dict[tuple[int, str], int] = {}
    for sid, scale, score in conn.execute(
        f"SELECT session_id, scale, score FROM assessments WHERE session_id IN ({ids}) "
        "AND scale IN ('goodman_baron_qualitative', 'gais')",
        (patient_id,),
    ):
        scores[(sid, scale)] = score
    return {
        "patient": patient,
        "settings": settings,
        "sessions": sessions,
        "areas": areas,
        "products": products,
        "scores": scores,
    }


class _Charts(Flowable):
    """Outcome scores, deepest depth and the reaction strip on one session axis
    (the geometry of ``reports.charts``: the same marks in the same places)."""

    def __init__(self, rows: list[tuple[Any, ...]], count: int) -> None:
        super().__init__()
        self.rows = rows  # (scar, gais, deepest_mm, redness, bruising, swelling) per session
        self.count = max(count, 1)
        self.width, self.height = WIDTH, 91.8 * mm

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        x0, x1 = 21 * mm, self.width - 3 * mm
        slot = (x1 - x0) / self.count
        n = len(self.rows)

        def x(i: int) -> float:
            return x0 + (i + 0.5) * slot

        def text(px: float, py: float, s: str, anchor: str = "start", fill: Any = MUTED) -> None:
            c.setFillColor(fill)
            draw = {"start": c.drawString, "end": c.drawRightString, "middle": c.drawCentredString}
            draw[anchor](px, py, s)

        def title(y_mid: float, s: str) -> None:
            c.saveState()
            c.translate(6 * mm, y_mid)
            c.rotate(90)
            text(0, 0, s, "middle")
            c.restoreState()

        c.setFont(REGULAR, 6.5)
        # Outcomes: grid 1-5, two lines with square markers, legend above.
        bottom, h = 51.8 * mm, 36 * mm
        c.setLineWidth(0.5)
        c.setStrokeColor(GRID)
        for score in range(1, 6):
            y = bottom + (score - 0.5) / 5 * h
            c.line(x0, y, x1, y)
            text(x0 - 2, y - 2.2, str(score), "end")
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.6)
        c.line(x0, bottom, x0, bottom + h)
        title(bottom + h / 2, "Score (1 = best)")
        marker = 2.0 if n <= 20 else 1.4 if n <= 60 else 0.9
        for k, colour, offset in ((0, SCAR, -0.08), (1, GAIS, 0.08)):
            points = [
                (x(i), bottom + (r[k] + offset - 0.5) / 5 * h)
                for i, r in enumerate(self.rows)
                if r[k] is not None
            ]
            c.setStrokeColor(colour)
            c.setFillColor(colour)
            c.setLineWidth(1.2)
            if len(points) > 1:
                path = c.beginPath()
                path.moveTo(*points[0])
                for p in points[1:]:
                    path.lineTo(*p)
                c.drawPath(path, stroke=1, fill=0)
            for px, py in points:
                c.rect(px - marker, py - marker, 2 * marker, 2 * marker, stroke=0, fill=1)
        lx = x0
        for colour, label in (
            (SCAR, "Scar grade (Goodman & Baron, 1 macular to 4 severe)"),
            (GAIS, "GAIS (1 very much improved to 5 worse)"),
        ):
            c.setStrokeColor(colour)
            c.setFillColor(colour)
            c.setLineWidth(1.4)
            c.line(lx, bottom + h + 4.2, lx + 10, bottom + h + 4.2)
            c.rect(lx + 3.4, bottom + h + 2.6, 3.2, 3.2, stroke=0, fill=1)
            text(lx + 13, bottom + h + 2, label, fill=INK)
            lx += 13 + len(label) * 3.3 + 12
        # Deepest needle depth as bars.
        bottom, h = 22.8 * mm, 22 * mm
        deepest = max((r[2] or 0.0 for r in self.rows), default=0.0)
        ceiling = max(1.0, math.ceil(deepest * 4) / 4)
        step = 0.25 if ceiling <= 1.5 else 0.5
        c.setStrokeColor(GRID)
        c.setLineWidth(0.5)
        tick = 0.0
        while tick <= ceiling + 1e-9:
            y = bottom + tick / ceiling * h
            c.line(x0, y, x1, y)
            text(x0 - 2, y - 2.2, f"{tick:.2f}", "end")
            tick += step
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.6)
        c.line(x0, bottom, x0, bottom + h)
        title(bottom + h / 2, "Depth (mm)")
        c.setFillColor(DEPTH)
        bar = min(slot * 0.7, 9 * mm)
        for i, r in enumerate(self.rows):
            if r[2]:
                c.rect(x(i) - bar / 2, bottom, bar, r[2] / ceiling * h, stroke=0, fill=1)
        text(x0, bottom + h + 2, "Deepest needle depth used in the session", fill=INK)
        # The reaction strip: one coloured cell per session and reaction.
        gap = 0.35 if slot > 2 else 0.0
        c.setLineWidth(0.4)
        for row, label in enumerate(("Redness", "Bruising", "Swelling")):
            y = 9 * mm + (2 - row) * 3.6 * mm
            text(x0 - 2, y + 1.1, label, "end")
            c.setFillColor(colors.white)
            c.setStrokeColor(GRID)
            c.rect(x0, y, n * slot, 3.6 * mm - 0.6, stroke=1, fill=1)
            for i, r in enumerate(self.rows):
                if r[3 + row] is not None:
                    c.setFillColor(GRADES[r[3 + row]])
                    c.rect(x0 + i * slot + gap, y, slot - 2 * gap, 3.6 * mm - 0.6, stroke=0, fill=1)
        # Session axis and the reactions legend.
        every = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if self.count / s <= 20), 200)
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.5)
        for i in range(self.count):
            if i == 0 or (i + 1) % every == 0:
                c.line(x(i), 5 * mm + 7.5, x(i), 5 * mm + 10)
                text(x(i), 5 * mm, str(i + 1), "middle")
        text(x0 - 5, 5 * mm, "Session", "end")
        lx = x0 + 36
        text(x0, 0, "Reactions:")
        c.setStrokeColor(GRID)
        c.setLineWidth(0.4)
        for fill, word in (*zip(GRADES, GRADE_WORDS, strict=True), (colors.white, "not recorded")):
            c.setFillColor(fill)
            c.rect(lx, -0.5, 9, 6, stroke=1, fill=1)
            text(lx + 12, 0, word, fill=INK)
            lx += 12 + len(word) * 3.4 + 10


def _numbered(footer: str, header: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                number = self._pageNumber
                self.setFont(REGULAR, 7)
                self.setFillColor(MUTED)
                self.setStrokeColor(RULE)
                self.line(
                    MARGIN_X, MARGIN_BOTTOM + 1 * mm, A4[0] - MARGIN_X, MARGIN_BOTTOM + 1 * mm
                )
                self.drawString(MARGIN_X, MARGIN_BOTTOM - 4 * mm, CONFIDENTIAL)
                self.drawString(MARGIN_X, MARGIN_BOTTOM - 7.2 * mm, footer)
                self.setFont(BOLD, 7)
                self.drawRightString(
                    A4[0] - MARGIN_X, MARGIN_BOTTOM - 4 * mm, f"Page {number} of {total}"
                )
                if number > 1:
                    self.setFont(REGULAR, 7)
                    self.drawString(MARGIN_X, A4[1] - MARGIN_TOP + 6 * mm, header)
                super().showPage()
            super().save()

    return NumberedCanvas


def plain_report(
    conn: sqlite3.Connection, patient_id: int, out: Path | BinaryIO, now: datetime | None = None
) -> int:
    """Write the progress report of ``patient_id`` as PDF to ``out``; return its page count."""
    _register()
    now = now or datetime.now()
    data = _read(conn, patient_id)
    name, record_no, born, skin, planned, next_due = data["patient"]
    settings = data["settings"]
    clinic = json.loads(settings.get("clinic", "{}")).get("name") or DEFAULT_CLINIC_NAME
    aftercare = json.loads(settings["aftercare"]) if "aftercare" in settings else AFTERCARE
    protocol = json.loads(settings.get("protocol", "{}"))
    short, long = protocol.get("interval_min_weeks", 4), protocol.get("interval_max_weeks", 6)
    planned = planned or protocol.get("planned_sessions", 3)

    body = _style("body", 9, 12, textColor=INK)
    h2 = _style("h2", 11, 14, textColor=ACCENT, fontName=BOLD, spaceBefore=9, spaceAfter=4)
    widths = [w * mm for _n, w in COLUMNS]
    widths[-1] = WIDTH - sum(widths)
    inner = [w - 5 for w in widths]  # less the cell padding

    def lines(text: str, column: int, font: str = REGULAR) -> str:
        return "\n".join(simpleSplit(text, font, 7.5, inner[column]))

    rows: list[list[Any]] = [[lines(n, i, BOLD) for i, (n, _w) in enumerate(COLUMNS)]]
    chart: list[tuple[Any, ...]] = []
    treated: list[str] = []
    previous: date | None = None
    position = 0  # of the previous session in its course: after a full course, no "late"
    for i, s in enumerate(data["sessions"], start=1):
        sid, at, who, indications, numbing, minutes, red, bruise, swell, pain, adverse, notes = s
        day = date.fromisoformat(at[:10])
        when = f"{day.day} {day:%b %Y}"
        if previous is not None:
            gap = day - previous
            if gap < timedelta(weeks=short):
                when += "\ntoo soon"
            elif timedelta(weeks=long) < gap <= timedelta(weeks=26) and position < planned:
                when += "\nlate"
        new_course = previous is None or day - previous > timedelta(weeks=26)
        position = 1 if new_course else position + 1
        previous = day
        for code in filter(None, indications.split(",")):
            if Indication(code).label not in treated:
                treated.append(Indication(code).label)
        areas = data["areas"][sid]
        area_lines = [
            f"{label or Area(area).label} {depth / 1000:.2f}" for area, label, depth in areas
        ]
        serums = [n + (f" lot {lot}" if lot else "") for n, lot in data["products"][sid]]
        if numbing:
            serums.append(f"Numbing: {numbing}, {minutes} min")
        scar = data["scores"].get((sid, "goodman_baron_qualitative"))
        gais = data["scores"].get((sid, "gais"))
        text = "\n".join(t for t in (adverse.strip(), *notes.strip().splitlines()) if t)
        reactions = "\n".join(
            f"{k} {'—' if g is None else GRADE_WORDS[g]}"
            for k, g in (("R", red), ("B", bruise), ("S", swell))
        )
        rows.append(
            [
                str(i),
                when,
                lines(who, 2),
                lines("\n".join(area_lines) or "—", 3),
                lines("\n".join(serums) or "—", 4),
                reactions,
                "—" if pain is None else f"{pain}/10",
                f"Scar {'—' if scar is None else scar}\nGAIS {'—' if gais is None else gais}",
                lines(text, 8),
            ]
        )
        deepest = max((d for _a, _l, d in areas), default=None)
        chart.append((scar, gais, deepest and deepest / 1000, red, bruise, swell))
    table = Table(rows, colWidths=widths, repeatRows=1, splitByRow=1, splitInRow=0)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 7.5, 9.5),
                ("FONT", (0, 0), (-1, 0), BOLD, 7.5, 9.5),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, TINT]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    sessions = data["sessions"]
    fitz = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}
    facts = [
        ("Patient", name), ("Record number", record_no), ("Date of birth", _day(born)),
        ("Skin type", f"Fitzpatrick {fitz[skin]}" if skin else "Not recorded"),
        ("Treated for", ", ".join(treated) or "Not recorded"),
        ("Sessions done", f"{len(sessions)} ({planned} planned)"),
        ("First session", _day(sessions[0][1]) if sessions else "—"),
        ("Latest session", _day(sessions[-1][1]) if sessions else "—"),
        ("Next due", _day(next_due)),
    ]  # fmt: skip
    label = _style("label", 7.5, 9.5, textColor=MUTED)
    value = _style("value", 9.5, 12, textColor=INK, fontName=BOLD)
    cells: list[Any] = [
        [Paragraph(k.upper(), label), Paragraph(escape(v), value)] for k, v in facts
    ]
    cells += [""] * (-len(cells) % 4)
    summary = Table([cells[i : i + 4] for i in range(0, len(cells), 4)], colWidths=[WIDTH / 4] * 4)
    summary.setStyle(
        TableStyle([("BACKGROUND", (0, 0), (-1, -1), TINT), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story: list[Flowable] = [
        Paragraph(escape(clinic), _style("clinic", 16, 20, textColor=ACCENT, fontName=BOLD)),
        Spacer(1, 6 * mm),
        Paragraph(REPORT_TITLE, _style("t", 15, 19, textColor=ACCENT, fontName=BOLD)),
        summary,
        Paragraph(PROGRESS_HEADING, h2),
        _Charts(chart, max(len(chart), planned)),
        Paragraph(AFTERCARE_HEADING, h2),
        *[
            Paragraph(escape(line.strip()), body, bulletText="•")
            for line in aftercare.splitlines()
            if line.strip()
        ],
        Paragraph(SESSIONS_HEADING, h2),
        table,
    ]
    generated = f"Generated {now.day} {now:%b %Y, %H:%M} · {name} · record {record_no}"
    header = f"{clinic} · {REPORT_TITLE} · {name} · record {record_no}"
    doc = SimpleDocTemplate(
        out if not isinstance(out, Path) else str(out),
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{REPORT_TITLE} — {name}",
    )
    doc.build(story, canvasmaker=_numbered(generated, header))
    return int(doc.page)


def main(argv: list[str] | None = None) -> int:
    """``python benchmarks/plain_report.py DB RECORD_NO OUT.pdf``: the bare script as a
    whole process, the limit of a whole ``needlelog report`` process."""
    import sys

    db, record_no, out = argv if argv is not None else sys.argv[1:]
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT id FROM patients WHERE record_no = ?", (record_no,)).fetchone()
        if row is None:
            print(f"no patient with record number {record_no}", file=sys.stderr)
            return 2
        plain_report(conn, row[0], Path(out))
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
