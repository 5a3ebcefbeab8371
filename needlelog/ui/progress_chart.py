"""A small line chart of scar grade and GAIS over a course, painted with QPainter.

Both scales read "lower is better" (Goodman & Baron 1-4, GAIS 1-5 where 1 is
very much improved), so they share one axis from 1 to 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from needlelog.ui import formatting as fmt

if TYPE_CHECKING:
    from needlelog.domain.records import TreatmentSession

SCAR_COLOUR = QColor("#1f5f9e")
GAIS_COLOUR = QColor("#2e8540")
GRID_COLOUR = QColor("#d9dde3")
AXIS_COLOUR = QColor("#5f6670")
Y_MIN, Y_MAX = 1, 5


@dataclass(frozen=True)
class Point:
    on: date
    scar_grade: int | None
    gais: int | None


def points_from(history: list[TreatmentSession]) -> list[Point]:
    """Chart points, oldest first, from a history in any order."""
    ordered = sorted(history, key=lambda s: (s.data.performed_at, s.id))
    return [Point(s.data.performed_at.date(), s.data.scar_grade, s.data.gais) for s in ordered]


class ProgressChart(QWidget):
    """Scar grade and GAIS per session, oldest on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[Point] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Progress chart of scar grade and GAIS")

    @property
    def points(self) -> list[Point]:
        return list(self._points)

    def set_points(self, points: list[Point]) -> None:
        self._points = list(points)
        self.setToolTip(self._describe())
        self.update()

    def _describe(self) -> str:
        scar = [f"{fmt.day(p.on)}: {p.scar_grade}" for p in self._points if p.scar_grade]
        gais = [f"{fmt.day(p.on)}: {p.gais}" for p in self._points if p.gais]
        lines = []
        if scar:
            lines.append("Scar grade (1-4, lower is better): " + ", ".join(scar))
        if gais:
            lines.append("GAIS (1 very much improved - 5 worse): " + ", ".join(gais))
        return "\n".join(lines) or "No scar grade or GAIS recorded yet"

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().lineSpacing()
        return QSize(line * 22, line * 10)

    def minimumSizeHint(self) -> QSize:
        line = self.fontMetrics().lineSpacing()
        return QSize(line * 14, line * 8)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        line = metrics.lineSpacing()
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.85))
        painter.setFont(small)
        small_metrics = painter.fontMetrics()

        legend = self.legend_layout(small_metrics)
        legend_height = max(r.bottom() for _t, r in legend) + line // 2
        left = small_metrics.horizontalAdvance("5") + line
        plot = QRectF(
            left,
            legend_height + line / 2,
            max(1.0, self.width() - left - line),
            max(1.0, self.height() - legend_height - line / 2 - small_metrics.height() * 2),
        )
        self._draw_legend(painter, legend)
        self._draw_axes(painter, plot, small_metrics.height())
        if not any(p.scar_grade or p.gais for p in self._points):
            painter.setPen(AXIS_COLOUR)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No scores recorded yet")
            painter.end()
            return
        self._draw_series(painter, plot, [p.scar_grade for p in self._points], SCAR_COLOUR)
        self._draw_series(painter, plot, [p.gais for p in self._points], GAIS_COLOUR)
        painter.end()

    def _x(self, plot: QRectF, i: int) -> float:
        count = len(self._points)
        if count <= 1:
            return plot.center().x()
        pad = plot.width() * 0.06
        return plot.left() + pad + (plot.width() - 2 * pad) * i / (count - 1)

    @staticmethod
    def _y(plot: QRectF, value: float) -> float:
        # 1 (the best score) at the bottom: an improving course is a falling line.
        return plot.bottom() - plot.height() * (value - Y_MIN) / (Y_MAX - Y_MIN)

    LEGEND = (("Scar grade (1-4)", SCAR_COLOUR), ("GAIS (1-5)", GAIS_COLOUR))
    CAPTION = "lower is better"

    def legend_layout(self, metrics: QFontMetrics | None = None) -> list[tuple[str, QRectF]]:
        """Where each legend text and the caption go: the caption at the right of the
        legend's line when it fits there, else on a line of its own, never over it."""
        if metrics is None:
            small = QFont(self.font())
            small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.85))
            metrics = QFontMetrics(small)
        line = self.fontMetrics().lineSpacing()
        height = metrics.height()
        out: list[tuple[str, QRectF]] = []
        x, top = 0.0, line * 0.9 - metrics.ascent()
        for text, _colour in self.LEGEND:
            wide = metrics.horizontalAdvance(text)
            if x and x + line + 4 + wide > self.width():  # wrap the legend itself if needed
                x, top = 0.0, top + height
            out.append((text, QRectF(x + line + 4, top, wide, height)))
            x += line + 4 + wide + line
        wide = metrics.horizontalAdvance(self.CAPTION)
        if x + wide + 2 > self.width():
            top += height  # no room beside the legend: the line below it
        out.append((self.CAPTION, QRectF(self.width() - wide - 2, top, wide, height)))
        return out

    def _draw_legend(self, painter: QPainter, layout: list[tuple[str, QRectF]]) -> None:
        metrics = painter.fontMetrics()
        line = self.fontMetrics().lineSpacing()
        colours = dict(self.LEGEND)
        for text, rect in layout:
            y = rect.top() + metrics.ascent()
            colour = colours.get(text)
            if colour is not None:
                x = rect.left() - line - 4
                painter.setPen(QPen(colour, 2))
                painter.drawLine(
                    QPointF(x + 2, y - metrics.ascent() / 3),
                    QPointF(x + line, y - metrics.ascent() / 3),
                )
                painter.setBrush(colour)
                painter.drawEllipse(QPointF(x + 2 + (line - 2) / 2, y - metrics.ascent() / 3), 3, 3)
            painter.setPen(AXIS_COLOUR)
            painter.drawText(QPointF(rect.left(), y), text)

    def _draw_axes(self, painter: QPainter, plot: QRectF, text_height: int) -> None:
        metrics = painter.fontMetrics()
        for value in range(Y_MIN, Y_MAX + 1):
            y = self._y(plot, value)
            painter.setPen(QPen(GRID_COLOUR, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(AXIS_COLOUR)
            label = str(value)
            painter.drawText(
                QPointF(
                    plot.left() - metrics.horizontalAdvance(label) - 6, y + metrics.ascent() / 2 - 1
                ),
                label,
            )
        painter.setPen(QPen(AXIS_COLOUR, 1))
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        if not self._points:
            return
        # Date labels below the axis: picked from the newest backwards, so the latest
        # session is always labelled and no two labels overlap.
        baseline = plot.bottom() + text_height + 2
        gap = metrics.averageCharWidth() * 2
        next_left = float(self.width())
        for i in range(len(self._points) - 1, -1, -1):
            text = fmt.day(self._points[i].on)
            w = metrics.horizontalAdvance(text)
            x = min(max(self._x(plot, i) - w / 2, plot.left()), self.width() - w - 1)
            if x + w + gap > next_left:
                continue
            painter.drawText(QPointF(x, baseline), text)
            next_left = x

    def _draw_series(
        self, painter: QPainter, plot: QRectF, values: list[int | None], colour: QColor
    ) -> None:
        path = QPainterPath()
        started = False
        dots: list[QPointF] = []
        for i, value in enumerate(values):
            if value is None:
                continue
            point = QPointF(self._x(plot, i), self._y(plot, value))
            dots.append(point)
            if started:
                path.lineTo(point)
            else:
                path.moveTo(point)
                started = True
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, 2))
        painter.drawPath(path)
        painter.setBrush(colour)
        for dot in dots:
            painter.drawEllipse(dot, 3.5, 3.5)
