"""The progress charts: outcome scores, deepest needle depth, and a graded reaction strip.

All three panels share one horizontal scale (session number), so a column
of the strip sits exactly under its session's points and bar.

The marks are drawn straight on the PDF canvas by a small flowable: a
reportlab.graphics Drawing would build, check and walk a tree of several
thousand shape objects for the same few lines, squares and labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from needlelog.domain.codes import Grade
from needlelog.reports import fonts

SCAR_COLOUR = colors.HexColor("#1F5F6B")
GAIS_COLOUR = colors.HexColor("#C0702A")
DEPTH_COLOUR = colors.HexColor("#7C9FB0")
GRID = colors.HexColor("#DCE4E6")
AXIS = colors.HexColor("#5B6B73")
TEXT = colors.HexColor("#1F2A30")
# None, mild, moderate, severe: one hue, rising intensity.
GRADE_COLOURS = {
    Grade.NONE: colors.HexColor("#F3EEEE"),
    Grade.MILD: colors.HexColor("#F2B8A8"),
    Grade.MODERATE: colors.HexColor("#DE6A4E"),
    Grade.SEVERE: colors.HexColor("#9E1F14"),
}

GUTTER = 21 * mm
RIGHT_PAD = 3 * mm
OUTCOME_H = 36 * mm
DEPTH_H = 22 * mm
ROW_H = 3.6 * mm
GAP = 7 * mm


@dataclass(frozen=True)
class ChartPoint:
    """One session as the charts see it."""

    number: int
    scar_grade: int | None
    gais: int | None
    deepest_mm: float | None
    redness: Grade | None
    bruising: Grade | None
    swelling: Grade | None


Op = Callable[[Canvas], None]


class Drawing(Flowable):
    """A fixed-size picture: drawing operations replayed on the canvas in order."""

    def __init__(self, width: float, height: float) -> None:
        super().__init__()
        self.width, self.height = width, height
        self._ops: list[Op] = []

    def add(self, op: Op) -> None:
        self._ops.append(op)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        for op in self._ops:
            op(self.canv)


def Line(x1: float, y1: float, x2: float, y2: float, strokeColor: Any, strokeWidth: float) -> Op:
    def op(c: Canvas) -> None:
        c.setStrokeColor(strokeColor)
        c.setLineWidth(strokeWidth)
        c.line(x1, y1, x2, y2)

    return op


def PolyLine(points: list[float], strokeColor: Any, strokeWidth: float) -> Op:
    def op(c: Canvas) -> None:
        c.setStrokeColor(strokeColor)
        c.setLineWidth(strokeWidth)
        path = c.beginPath()
        path.moveTo(points[0], points[1])
        for i in range(2, len(points), 2):
            path.lineTo(points[i], points[i + 1])
        c.drawPath(path, stroke=1, fill=0)

    return op


def Rect(
    x: float,
    y: float,
    width: float,
    height: float,
    fillColor: Any,
    strokeColor: Any = None,
    strokeWidth: float = 1,
) -> Op:
    def op(c: Canvas) -> None:
        c.setFillColor(fillColor)
        if strokeColor is not None:
            c.setStrokeColor(strokeColor)
            c.setLineWidth(strokeWidth)
        c.rect(x, y, width, height, stroke=int(strokeColor is not None), fill=1)

    return op


def _text(
    x: float, y: float, text: str, size: float = 6.5, anchor: str = "start", fill: Any = TEXT
) -> Op:
    def op(c: Canvas) -> None:
        left = x
        if anchor != "start":
            wide = stringWidth(text, fonts.BASE, size)
            left -= wide if anchor == "end" else wide / 2
        c.setFont(fonts.BASE, size)
        c.setFillColor(fill)
        c.drawString(left, y, text)

    return op


def _vertical_title(x: float, y_mid: float, text: str) -> Op:
    label = _text(0, 0, text, size=6.5, anchor="middle", fill=AXIS)

    def op(c: Canvas) -> None:
        c.saveState()
        c.translate(x, y_mid)
        c.rotate(90)
        label(c)
        c.restoreState()

    return op


def _label_step(count: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if count / step <= 20:
            return step
    return 200


class _Frame:
    """Maps session numbers to x positions shared by every panel."""

    def __init__(self, width: float, count: int) -> None:
        self.x0 = GUTTER
        self.x1 = width - RIGHT_PAD
        self.count = max(count, 1)
        self.slot = (self.x1 - self.x0) / self.count

    def x(self, number: int) -> float:
        return self.x0 + (number - 0.5) * self.slot


def _segments(pairs: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive assessed values: a missing score breaks the line."""
    out: list[list[tuple[float, float]]] = [[]]
    for x, y in pairs:
        if y is None:
            if out[-1]:
                out.append([])
        else:
            out[-1].append((x, y))
    return [seg for seg in out if seg]


# The outcome scales the top panel can plot: attribute, colour, legend, short name.
SCALES = {
    "scar_grade": (
        SCAR_COLOUR,
        "Scar grade (Goodman & Baron, 1 macular to 4 severe)",
        "scar grade",
    ),
    "gais": (GAIS_COLOUR, "GAIS (1 very much improved to 5 worse)", "GAIS"),
}


def _outcomes(
    d: Drawing,
    f: _Frame,
    points: Sequence[ChartPoint],
    bottom: float,
    scales: Sequence[str] = tuple(SCALES),
) -> None:
    top = bottom + OUTCOME_H

    def y(score: float) -> float:
        return bottom + (score - 0.5) / 5 * OUTCOME_H

    for score in range(1, 6):
        d.add(Line(f.x0, y(score), f.x1, y(score), strokeColor=GRID, strokeWidth=0.5))
        d.add(_text(f.x0 - 2, y(score) - 2.2, str(score), anchor="end", fill=AXIS))
    d.add(Line(f.x0, bottom, f.x0, top, strokeColor=AXIS, strokeWidth=0.6))
    d.add(_vertical_title(6 * mm, (bottom + top) / 2, "Score (1 = best)"))
    if all(getattr(p, attr) is None for p in points for attr in scales):
        names = " or ".join(SCALES[a][2] for a in scales) or "outcome score"
        d.add(
            _text(
                (f.x0 + f.x1) / 2,
                (bottom + top) / 2,
                f"No {names} assessed yet",
                size=8,
                anchor="middle",
                fill=AXIS,
            )
        )
    marker = 2.0 if len(points) <= 20 else 1.4 if len(points) <= 60 else 0.9
    offsets = {"scar_grade": -0.08, "gais": 0.08} if len(scales) > 1 else {}
    for attr in scales:
        colour, offset = SCALES[attr][0], offsets.get(attr, 0.0)
        pairs = [
            (f.x(p.number), None if getattr(p, attr) is None else y(getattr(p, attr) + offset))
            for p in points
        ]
        for seg in _segments(pairs):
            if len(seg) > 1:
                flat = [c for xy in seg for c in xy]
                d.add(PolyLine(flat, strokeColor=colour, strokeWidth=1.2))
            for px, py in seg:
                d.add(
                    Rect(
                        px - marker,
                        py - marker,
                        2 * marker,
                        2 * marker,
                        fillColor=colour,
                        strokeColor=None,
                    )
                )
    # legend above the panel
    lx = f.x0
    for colour, label in (SCALES[a][:2] for a in scales):
        d.add(Line(lx, top + 4.2, lx + 10, top + 4.2, strokeColor=colour, strokeWidth=1.4))
        d.add(Rect(lx + 3.4, top + 2.6, 3.2, 3.2, fillColor=colour, strokeColor=None))
        d.add(_text(lx + 13, top + 2, label))
        lx += 13 + len(label) * 3.3 + 12


def _depth(d: Drawing, f: _Frame, points: Sequence[ChartPoint], bottom: float) -> None:
    top = bottom + DEPTH_H
    deepest = max((p.deepest_mm or 0.0 for p in points), default=0.0)
    ceiling = max(1.0, math.ceil(deepest * 4) / 4)
    step = 0.25 if ceiling <= 1.5 else 0.5

    def y(value: float) -> float:
        return bottom + value / ceiling * DEPTH_H

    tick = 0.0
    while tick <= ceiling + 1e-9:
        d.add(Line(f.x0, y(tick), f.x1, y(tick), strokeColor=GRID, strokeWidth=0.5))
        d.add(_text(f.x0 - 2, y(tick) - 2.2, f"{tick:.2f}", anchor="end", fill=AXIS))
        tick += step
    d.add(Line(f.x0, bottom, f.x0, top, strokeColor=AXIS, strokeWidth=0.6))
    d.add(_vertical_title(6 * mm, (bottom + top) / 2, "Depth (mm)"))
    bar = min(f.slot * 0.7, 9 * mm)
    for p in points:
        if p.deepest_mm:
            d.add(
                Rect(
                    f.x(p.number) - bar / 2,
                    bottom,
                    bar,
                    y(p.deepest_mm) - bottom,
                    fillColor=DEPTH_COLOUR,
                    strokeColor=None,
                )
            )
    # Clear of the top gridline (which sits at ``top``), below the panel above.
    d.add(_text(f.x0, top + 5, "Deepest needle depth used in the session"))


def _strip(d: Drawing, f: _Frame, points: Sequence[ChartPoint], bottom: float) -> None:
    rows = (("Redness", "redness"), ("Bruising", "bruising"), ("Swelling", "swelling"))
    gap = 0.35 if f.slot > 2 else 0.0
    for i, (label, attr) in enumerate(rows):
        y = bottom + (len(rows) - 1 - i) * ROW_H
        d.add(_text(f.x0 - 2, y + 1.1, label, anchor="end", fill=AXIS))
        d.add(
            Rect(
                f.x0,
                y,
                len(points) * f.slot,
                ROW_H - 0.6,
                fillColor=colors.white,
                strokeColor=GRID,
                strokeWidth=0.4,
            )
        )
        for p in points:
            grade = getattr(p, attr)
            if grade is None:
                continue
            d.add(
                Rect(
                    f.x0 + (p.number - 1) * f.slot + gap,
                    y,
                    f.slot - 2 * gap,
                    ROW_H - 0.6,
                    fillColor=GRADE_COLOURS[grade],
                    strokeColor=None,
                )
            )


def _session_axis(d: Drawing, f: _Frame, count: int, y: float) -> None:
    step = _label_step(count)
    numbers = [n for n in range(1, count + 1) if n == 1 or n % step == 0]
    for n in numbers:
        d.add(Line(f.x(n), y + 7.5, f.x(n), y + 10, strokeColor=AXIS, strokeWidth=0.5))
        d.add(_text(f.x(n), y, str(n), anchor="middle", fill=AXIS))
    d.add(_text(f.x0 - 5, y, "Session", anchor="end", fill=AXIS))


def _legend(d: Drawing, f: _Frame, y: float) -> None:
    x = f.x0
    d.add(_text(x, y, "Reactions:", fill=AXIS))
    x += 36
    for grade in Grade:
        d.add(
            Rect(
                x, y - 0.5, 9, 6, fillColor=GRADE_COLOURS[grade], strokeColor=GRID, strokeWidth=0.4
            )
        )
        d.add(_text(x + 12, y, grade.word))
        x += 12 + len(grade.word) * 3.4 + 10
    d.add(Rect(x, y - 0.5, 9, 6, fillColor=colors.white, strokeColor=GRID, strokeWidth=0.4))
    d.add(_text(x + 12, y, "not recorded"))


def progress_charts(
    points: Sequence[ChartPoint],
    width: float,
    planned: int = 0,
    scales: Sequence[str] = tuple(SCALES),
) -> Drawing:
    """One drawing: outcomes on top, depth below, the reaction strip, a shared session axis.

    The axis spans at least the ``planned`` sessions of the course, so a short
    history shows how far through the course the patient is. ``scales`` are the
    outcome scales plotted (those that fit the patient's indications).
    """
    count = max(len(points), planned)
    f = _Frame(width, count)
    legend_y = 0.0
    axis_y = legend_y + 5 * mm
    strip_bottom = axis_y + 4 * mm
    depth_bottom = strip_bottom + 3 * ROW_H + 3 * mm
    outcome_bottom = depth_bottom + DEPTH_H + GAP
    height = outcome_bottom + OUTCOME_H + 4 * mm
    d = Drawing(width, height)
    _outcomes(d, f, points, outcome_bottom, scales)
    _depth(d, f, points, depth_bottom)
    _strip(d, f, points, strip_bottom)
    _session_axis(d, f, count, axis_y)
    _legend(d, f, legend_y)
    return d
