"""The signature pad: the patient signs with a mouse, a finger or a pen.

Each stroke is kept as points in the pad's pixels with the pressure the device gave
(a pen's ``QTabletEvent``; 1.0 for a mouse or a finger without pressure), so the
signature is stored as vectors and drawn again at any size. A pen's line is thinner
where it pressed lightly, as on paper.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QInputDevice,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPointingDevice,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from needlelog.domain.consent import Signature

# The line's width in pad pixels: thin where a pen barely touched, full where it
# pressed (or for a device without pressure, drawn at 1.0).
THINNEST = 0.8
THICKEST = 3.4
PAD_HEIGHT = 180
PAD_MIN_WIDTH = 420
INK = QColor("#10233f")
GUIDE = QColor("#9aa6b2")
HINT = "Sign here with the mouse, a finger or a pen"

Point = tuple[float, float, float]  # x, y in pad pixels; pressure 0..1


def line_width(pressure: float) -> float:
    """How wide a stroke is drawn where the device pressed this hard (0..1)."""
    pressure = min(max(pressure, 0.0), 1.0)
    return THINNEST + (THICKEST - THINNEST) * pressure


def _pressure_of(device: QPointingDevice | None, given: float) -> float:
    """The pressure a device reported, or 1.0 when it reports none."""
    if device is None or not (device.capabilities() & QInputDevice.Capability.Pressure):
        return 1.0
    return min(max(float(given), 0.0), 1.0)


class SignaturePad(QWidget):
    """Draws as the patient signs; ``signature()`` gives the strokes, ``clear()`` starts again."""

    changed = Signal()  # a stroke was added or the pad was cleared

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setAccessibleName("Signature pad")
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumSize(PAD_MIN_WIDTH, PAD_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.strokes: list[list[Point]] = []
        self._drawing: str | None = None  # "mouse", "pen", "touch" while a stroke is drawn
        self._size: QSize | None = None  # the pad's size when the first stroke began

    def sizeHint(self) -> QSize:
        return QSize(640, PAD_HEIGHT)

    # --- what it gives ---------------------------------------------------------------
    def is_empty(self) -> bool:
        return not any(len(s) for s in self.strokes)

    def signature(self) -> Signature:
        """The strokes drawn, in pad pixels, with the pad's size when they were drawn."""
        from needlelog.domain.consent import Signature, Stroke, StrokePoint

        size = self._size or self.size()
        xs = [p[0] for s in self.strokes for p in s] or [0.0]
        ys = [p[1] for s in self.strokes for p in s] or [0.0]
        width = max(size.width(), int(max(xs)) + 1)
        height = max(size.height(), int(max(ys)) + 1)
        return Signature(
            width=width,
            height=height,
            strokes=tuple(
                Stroke(tuple(StrokePoint(x, y, p) for x, y, p in s)) for s in self.strokes if s
            ),
        )

    def clear(self) -> None:
        self.strokes = []
        self._drawing = None
        self._size = None
        self.update()
        self.changed.emit()

    # --- drawing -----------------------------------------------------------------------
    def _begin(self, how: str, at: QPointF, pressure: float) -> None:
        if self._size is None:
            self._size = QSize(self.size())
        self._drawing = how
        self.strokes.append([self._point(at, pressure)])
        self.update()

    def _extend(self, how: str, at: QPointF, pressure: float) -> None:
        if self._drawing != how:
            return
        point = self._point(at, pressure)
        stroke = self.strokes[-1]
        if stroke and stroke[-1][:2] == point[:2]:
            return
        stroke.append(point)
        self.update()

    def _end(self, how: str) -> None:
        if self._drawing != how:
            return
        self._drawing = None
        self.changed.emit()

    def _point(self, at: QPointF, pressure: float) -> Point:
        x = min(max(at.x(), 0.0), float(self.width() - 1))
        y = min(max(at.y(), 0.0), float(self.height() - 1))
        return (round(x, 1), round(y, 1), round(pressure, 3))

    # A pen: pressure where the device gives it. Accepted, so Qt makes no mouse event of it.
    def tabletEvent(self, event: QTabletEvent) -> None:
        pressure = _pressure_of(event.pointingDevice(), event.pressure())
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin("pen", event.position(), pressure)
        elif kind == QEvent.Type.TabletMove:
            if self._drawing == "pen" and event.buttons() == Qt.MouseButton.NoButton:
                self._end("pen")  # the pen left the surface without a release
            else:
                self._extend("pen", event.position(), pressure)
        elif kind == QEvent.Type.TabletRelease:
            self._extend("pen", event.position(), pressure)
            self._end("pen")
        event.accept()

    # A finger: the first touch point draws; accepted, so no mouse event follows.
    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
            QEvent.Type.TouchCancel,
        ):
            assert isinstance(event, QTouchEvent)
            points = event.points()
            if points:
                point = points[0]
                pressure = _pressure_of(event.pointingDevice(), point.pressure())
                if kind == QEvent.Type.TouchBegin:
                    self._begin("touch", point.position(), pressure)
                elif kind == QEvent.Type.TouchUpdate:
                    self._extend("touch", point.position(), pressure)
                else:
                    self._extend("touch", point.position(), pressure)
                    self._end("touch")
            event.accept()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drawing is None:
            self._begin("mouse", event.position(), 1.0)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend("mouse", event.position(), 1.0)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._extend("mouse", event.position(), 1.0)
            self._end("mouse")
        event.accept()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QPen(QColor("#c4ccd4"), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        # The line to sign on, a quarter up from the bottom.
        base = self.height() - self.height() // 4
        painter.setPen(QPen(GUIDE, 1, Qt.PenStyle.DashLine))
        painter.drawLine(24, base, self.width() - 24, base)
        painter.drawText(24, base + 18, "×")
        if self.is_empty():
            painter.setPen(GUIDE)
            painter.drawText(
                self.rect().adjusted(0, 0, 0, -self.height() // 3),
                Qt.AlignmentFlag.AlignCenter,
                HINT,
            )
        for stroke in self.strokes:
            draw_stroke(painter, stroke)
        painter.end()


def draw_stroke(painter: QPainter, stroke: list[Point]) -> None:
    """One stroke, each segment as wide as the pressure at its ends."""
    pen = QPen(INK)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if len(stroke) == 1:  # a dot
        x, y, p = stroke[0]
        pen.setWidthF(line_width(p))
        painter.setPen(pen)
        painter.drawPoint(QPointF(x, y))
        return
    for (x1, y1, p1), (x2, y2, p2) in pairwise(stroke):
        pen.setWidthF(line_width((p1 + p2) / 2))
        painter.setPen(pen)
        painter.drawLine(QPointF(x1, y1), QPointF(x2, y2))
