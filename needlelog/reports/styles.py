"""The look shared by every document: colours, paragraph styles, page frame and footer."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, Table, TableStyle

from needlelog.reports import fonts
from needlelog.services.settings import ClinicInfo

PAGE = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 16 * mm
MARGIN_BOTTOM = 22 * mm  # room for the footer
WIDTH = PAGE[0] - 2 * MARGIN_X

INK = colors.HexColor("#1F2A30")
MUTED = colors.HexColor("#5B6B73")
ACCENT = colors.HexColor("#1F5F6B")
TINT = colors.HexColor("#EAF2F3")
RULE = colors.HexColor("#C4D3D6")
WARN = colors.HexColor("#A4481C")
AVOID = colors.HexColor("#9B1C1C")


def css(colour: colors.Color) -> str:
    """A colour for Paragraph markup (``<font color=...>``) as "rgb(r,g,b)".

    ReportLab's colour parser reads this form first; "#rrggbb" or the "0x..."
    of ``Color.hexval()`` fall through to its slower fallbacks on every tag.
    """
    r, g, b = (round(v * 255) for v in colour.rgb())
    return f"rgb({r},{g},{b})"


def style(name: str, **kw: Any) -> ParagraphStyle:
    base: dict[str, Any] = {
        "fontName": fonts.BASE,
        "fontSize": 9,
        "leading": 12,
        "textColor": INK,
    }
    base.update(kw)
    return ParagraphStyle(name, **base)


BODY = style("body")
SMALL = style("small", fontSize=8, leading=10.5, textColor=MUTED)
TITLE = style("title", fontName=fonts.BOLD, fontSize=15, leading=19, textColor=ACCENT)
H2 = style(
    "h2",
    fontName=fonts.BOLD,
    fontSize=11,
    leading=14,
    textColor=ACCENT,
    spaceBefore=9,
    spaceAfter=4,
)
LABEL = style("label", fontSize=7.5, leading=9.5, textColor=MUTED)
VALUE = style("value", fontName=fonts.BOLD, fontSize=9.5, leading=12)
CELL = style("cell", fontSize=7.5, leading=9.5)
CELL_HEAD = style(
    "cellhead", fontName=fonts.BOLD, fontSize=7.5, leading=9.5, textColor=colors.white
)
CLINIC = style("clinic", fontName=fonts.BOLD, fontSize=16, leading=20, textColor=ACCENT)
CONTACT = style("contact", fontSize=8, leading=10.5, textColor=MUTED, alignment=TA_RIGHT)
FOOT_LEFT = style("footl", fontSize=7, leading=9, textColor=MUTED, alignment=TA_LEFT)
FOOT_RIGHT = style("footr", fontSize=7, leading=9, textColor=MUTED, alignment=TA_RIGHT)


_shaped: dict[str, ParagraphStyle] = {}


class _Paragraph(Paragraph):
    """A Paragraph that breaks its lines once per width.

    A table measures every cell while it looks for a page break, again in the
    part that goes on the next page, and again when it draws it; the lines of a
    paragraph depend only on the width it is given, so the answer is kept.
    """

    _wrapped: tuple[float, dict[str, Any]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped is not None and self._wrapped[0] == availWidth:
            self.__dict__.update(self._wrapped[1])
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        if availWidth >= rl_config._FUZZ:  # a real layout, not "does not fit at all"
            keep = ("width", "height", "blPara", "_wrapWidths")
            self._wrapped = (availWidth, {k: self.__dict__[k] for k in keep})
        return size


def para(text: str, st: ParagraphStyle, **kw: Any) -> Paragraph:
    """A Paragraph of markup; text holding Arabic is shaped (joined, right to left)."""
    if fonts.has_arabic(text):
        if st.name not in _shaped:
            _shaped[st.name] = ParagraphStyle(f"{st.name}-shaped", parent=st, shaping=1)
        st = _shaped[st.name]
    return _Paragraph(text, st, **kw)


_ODD_SPACE = re.compile(r"[^\S ]|\xad")  # no-break or other spaces, soft hyphens


def fit_lines(lines: list[str], style: ParagraphStyle, width: float) -> str | None:
    """``lines`` of plain text broken at spaces to fit ``width`` exactly as a
    Paragraph in ``style`` would break them, as one string for a table cell.

    A string cell is drawn directly, without the markup parser and line
    breaker a Paragraph runs. Returns None when only a Paragraph can set the
    text: a word wider than the cell (a Paragraph splits it), a blank line, no-break
    spaces or soft hyphens, or a script that needs another font or shaping.
    """
    return _fit_lines(tuple(lines), style.fontName, style.fontSize, style.spaceShrinkage, width)


@functools.lru_cache(maxsize=4096)
def _fit_lines(
    lines: tuple[str, ...], font: str, size: float, shrinkage: float, width: float
) -> str | None:
    # Cached: names, reactions, grades and notes repeat from session to session.
    space = stringWidth(" ", font, size)
    shrink = shrinkage * space  # a line may squeeze each of its spaces this much
    out: list[str] = []
    for line in lines:
        words = line.split(" ")
        if not line.strip() or _ODD_SPACE.search(line) or not fonts.is_plain(line):
            return None
        current: list[str] = []
        used = -space
        for word in filter(None, words):
            wide = stringWidth(word, font, size)
            if wide > width:
                return None
            if current and used + space + wide > width + shrink * len(current):
                out.append(" ".join(current))
                current, used = [], -space
            current.append(word)
            used += space + wide
        out.append(" ".join(current))
    return "\n".join(out)


Run = tuple[str, str, colors.Color]  # text, font, colour


class _Runs(Flowable):
    """Lines of plain text runs, each in its own font and colour, already broken.

    What a Paragraph draws for short markup such as "Cheek <b>0.75</b>", at the
    same places, without its markup parser and line breaker.
    """

    def __init__(self, lines: list[list[Run]], style: ParagraphStyle) -> None:
        super().__init__()
        self._lines = lines
        self._style = style

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = len(self._lines) * self._style.leading
        return self.width, self.height

    def draw(self) -> None:
        size, leading = self._style.fontSize, self._style.leading
        text = self.canv.beginText()  # one text object for the cell, as a Paragraph uses
        font = colour = None
        y = self.height - size  # a Paragraph's first baseline
        for runs in self._lines:
            text.setTextOrigin(0, y)
            for chunk, run_font, run_colour in runs:
                if run_font != font:
                    text.setFont(run_font, size, leading)
                    font = run_font
                if run_colour is not colour:
                    text.setFillColor(run_colour)
                    colour = run_colour
                text.textOut(chunk)
            y -= leading
        self.canv.drawText(text)


def _plain_line(line: str) -> bool:
    # Spaces a Paragraph would drop or merge, other scripts, soft hyphens: not plain.
    return (
        bool(line.strip())
        and line == line.strip()
        and "  " not in line
        and not _ODD_SPACE.search(line)
        and fonts.is_plain(line)
    )


def fit_runs(lines: list[list[Run]], style: ParagraphStyle, width: float) -> Flowable | None:
    """Lines of runs as one cell when every line fits ``width`` as it is (runs
    may differ in font); None when a Paragraph must set them."""
    for runs in lines:
        if not _plain_line("".join(text for text, _f, _c in runs)):
            return None
        if sum(stringWidth(text, font, style.fontSize) for text, font, _c in runs) > width:
            return None
    return _Runs(lines, style)


def wrap_runs(
    lines: list[list[tuple[str, colors.Color]]], style: ParagraphStyle, width: float
) -> Flowable | None:
    """Lines of runs in the style's font that differ only in colour, broken at
    spaces where a Paragraph breaks them (``fit_lines``); None when a Paragraph
    must set them (see ``fit_lines``, or a word that changes colour inside)."""
    out: list[list[Run]] = []
    for runs in lines:
        text = "".join(t for t, _c in runs)
        if not _plain_line(text):
            return None
        broken = fit_lines([text], style, width)
        if broken is None:
            return None
        shades = [c for t, c in runs for _ch in t]
        words = []
        for m in re.finditer(r"[^ ]+", text):
            if len(set(map(id, shades[m.start() : m.end()]))) > 1:
                return None
            words.append((m.group(), shades[m.start()]))
        at = 0
        for line in broken.split("\n"):
            count = line.count(" ") + 1
            group = words[at : at + count]
            at += count
            merged: list[Run] = []
            for i, (word, colour) in enumerate(group):
                gap = " " if i < len(group) - 1 else ""
                if merged and merged[-1][2] is colour:
                    merged[-1] = (merged[-1][0] + word + gap, style.fontName, colour)
                else:
                    merged.append((word + gap, style.fontName, colour))
            out.append(merged)
    return _Runs(out, style)


def fmt_date(day: date | None) -> str:
    """A date no reader can misread (7 Mar 2026), whatever their country's order."""
    return "—" if day is None else f"{day.day} {day:%b %Y}"


def fmt_depth(mm_value: object) -> str:
    return f"{float(mm_value):.2f} mm"  # type: ignore[arg-type]


def _logo(path: str, height: float) -> Flowable | None:
    if not path or not Path(path).is_file():
        return None
    try:
        img = Image(path)
        ratio = img.imageWidth / img.imageHeight
        return Image(path, width=min(height * ratio, 50 * mm), height=height)
    except Exception:  # a broken logo must never stop the report
        return None


def letterhead(clinic: ClinicInfo) -> Table:
    """Clinic name (and logo) at left, contact details at right, a rule beneath."""
    name = para(fonts.markup(clinic.name or "Your clinic"), CLINIC)
    logo = _logo(clinic.logo_path, 16 * mm)
    left: Flowable | list[Flowable] = name
    if logo is not None:
        inner = Table([[logo, name]], colWidths=[logo.drawWidth + 4 * mm, None])
        inner.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        left = inner
    contact = [fonts.lines_markup(clinic.address)] if clinic.address.strip() else []
    contact += [fonts.markup(v) for v in (clinic.phone, clinic.email) if v.strip()]
    right = para("<br/>".join(contact), CONTACT)
    table = Table([[left, right]], colWidths=[WIDTH * 0.58, WIDTH * 0.42])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
            ]
        )
    )
    return table


def numbered_canvas(footer_left: str, footer_note: str, header: str = "") -> Callable[..., Canvas]:
    """A canvas class that draws the footer ("Page X of Y") once the page count is known.

    ``header`` (markup) is drawn at the top of every page after the first,
    so a loose page still says whose report it is.
    """

    left = para(f"{footer_left}<br/>{footer_note}", FOOT_LEFT)
    line = para(header, FOOT_LEFT)

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            number = self.getPageNumber()
            width, _height = PAGE
            y = MARGIN_BOTTOM - 9 * mm
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.6)
            self.line(MARGIN_X, y + 10 * mm, width - MARGIN_X, y + 10 * mm)
            # The same on every page: laid out once, drawn on each.
            _w, h = left.wrapOn(self, WIDTH * 0.78, 20 * mm)
            left.drawOn(self, MARGIN_X, y + 8 * mm - h)
            # One line of plain text, set where the right-aligned paragraph style puts it.
            self.setFont(fonts.BOLD, FOOT_RIGHT.fontSize)
            self.setFillColor(FOOT_RIGHT.textColor)
            top = y + 8 * mm - FOOT_RIGHT.fontSize
            self.drawRightString(width - MARGIN_X, top, f"Page {number} of {total}")
            if header and number > 1:
                top = PAGE[1] - MARGIN_TOP + 6 * mm
                line.wrapOn(self, WIDTH, 10 * mm)
                line.drawOn(self, MARGIN_X, top)
                self.line(MARGIN_X, top - 1.5 * mm, width - MARGIN_X, top - 1.5 * mm)
            self.restoreState()

    return NumberedCanvas


def generated_line(now: datetime) -> str:
    return f"Generated {now.day} {now:%b %Y, %H:%M}"
