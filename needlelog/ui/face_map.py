"""The face and body map: treated areas chosen by clicking their zone.

Zones are the elements of ``resources/maps/face_body.svg`` whose ids are
area codes. Clicks are tested against each zone's real painted shape (a
mask rendered once per widget size), because the bounding boxes of the
arms, thighs and jawline overlap other zones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QEnterEvent,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTransform,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from needlelog import resource_files
from needlelog.domain.codes import Area

SELECTED_TINT = QColor(14, 116, 144, 150)  # teal, the form's accent colour
HOVER_TINT = QColor(14, 116, 144, 60)
SELECTED_OUTLINE = QColor(8, 80, 100)


def map_path() -> Path:
    return resource_files.path("maps", "face_body.svg")


def zones_path() -> Path:
    return resource_files.path("maps", "zones.json")


@dataclass
class _ZoneMask:
    """A zone painted alone at the current size: its alpha is the zone's shape."""

    origin: QPoint  # top-left in device pixels
    shape: QImage  # the zone as painted (alpha = coverage)
    selected: QImage  # the same shape in the selection tint
    hover: QImage  # the same shape in the hover tint


def _tinted(shape: QImage, colour: QColor) -> QImage:
    out = QImage(shape)
    painter = QPainter(out)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(out.rect(), colour)
    painter.end()
    return out


class FaceMapWidget(QWidget):
    """Clickable face and body map; emits ``areasChanged(list[Area])``."""

    areasChanged = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer = QSvgRenderer(str(map_path()), self)
        if not self._renderer.isValid():
            raise resource_files.damaged(("maps", "face_body.svg"), "not a drawing Qt can show")
        self._view = self._renderer.viewBoxF()
        try:
            centres = json.loads(zones_path().read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise resource_files.damaged(("maps", "zones.json"), exc) from exc
        # Document order is paint order, so the last zone is the one on top.
        self._zones: list[Area] = [
            Area(code) for code in centres if self._renderer.elementExists(code)
        ]
        self._centres = {Area(code): QPointF(v["cx"], v["cy"]) for code, v in centres.items()}
        self._selected: set[Area] = set()
        self._hover: Area | None = None
        self._masks: dict[Area, _ZoneMask] = {}
        self._mask_key: tuple[int, int, float] | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the area list is the keyboard path
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(300, 260)
        self.setAccessibleName("Face and body map")

    # ---- public API -------------------------------------------------------

    def zones(self) -> list[Area]:
        """The areas that have a zone on the map (every area except "other")."""
        return list(self._zones)

    def selected_areas(self) -> list[Area]:
        return [a for a in Area if a in self._selected]

    def set_selected(self, areas: list[Area] | tuple[Area, ...] | set[Area]) -> None:
        """Select exactly these areas (areas without a zone are ignored); no signal."""
        self._selected = {a for a in areas if a in self._zones}
        self.update()

    def zone_center(self, area: Area) -> QPointF:
        """A point inside the zone of ``area``, in widget coordinates."""
        return self._to_widget().map(self._centres[area])

    def zone_at(self, pos: QPointF) -> Area | None:
        """The zone painted at a widget position, if any (topmost wins)."""
        self._ensure_masks()
        dpr = self.devicePixelRatioF()
        px = QPoint(int(pos.x() * dpr), int(pos.y() * dpr))
        for area in reversed(self._zones):
            mask = self._masks[area]
            local = px - mask.origin
            if mask.shape.valid(local) and mask.shape.pixelColor(local).alpha() >= 128:
                return area
        return None

    # ---- geometry ---------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(460, 400)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return round(width * self._view.height() / self._view.width())

    def _target(self) -> QRectF:
        """Where the map is drawn: the widget, keeping the map's aspect ratio, centred."""
        scale = min(self.width() / self._view.width(), self.height() / self._view.height())
        w, h = self._view.width() * scale, self._view.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _to_widget(self) -> QTransform:
        target = self._target()
        sx = target.width() / self._view.width()
        sy = target.height() / self._view.height()
        return QTransform(
            sx,
            0,
            0,
            sy,
            target.x() - self._view.x() * sx,
            target.y() - self._view.y() * sy,
        )

    def _ensure_masks(self) -> None:
        dpr = self.devicePixelRatioF()
        key = (self.width(), self.height(), dpr)
        if key == self._mask_key:
            return
        to_device = self._to_widget() * QTransform.fromScale(dpr, dpr)
        self._masks = {}
        for area in self._zones:
            code = area.value
            bounds = self._renderer.transformForElement(code).mapRect(
                self._renderer.boundsOnElement(code)
            )
            rect = to_device.mapRect(bounds)
            origin = QPoint(int(rect.x()), int(rect.y()))
            size = QSize(int(rect.right()) - origin.x() + 2, int(rect.bottom()) - origin.y() + 2)
            shape = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
            shape.fill(Qt.GlobalColor.transparent)
            painter = QPainter(shape)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            # Render the element at exactly the place it takes in the whole map.
            self._renderer.render(painter, code, rect.translated(-origin.x(), -origin.y()))
            painter.end()
            self._masks[area] = _ZoneMask(
                origin, shape, _tinted(shape, SELECTED_TINT), _tinted(shape, HOVER_TINT)
            )
        self._mask_key = key

    # ---- events -----------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        self._ensure_masks()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self._renderer.render(painter, self._target())
        dpr = self.devicePixelRatioF()
        painter.save()
        painter.scale(1 / dpr, 1 / dpr)
        tinted = False
        for area in self._zones:
            mask = self._masks[area]
            if area in self._selected:
                painter.drawImage(mask.origin, mask.selected)
                tinted = True
            elif area is self._hover:
                painter.drawImage(mask.origin, mask.hover)
                tinted = True
            elif tinted:
                # A zone drawn above a tinted one (the glabella on the forehead) keeps its look.
                painter.drawImage(mask.origin, mask.shape)
        painter.restore()
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._mask_key = None
        super().resizeEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        area = self.zone_at(event.position())
        if area is not self._hover:
            self._hover = area
            self.setCursor(
                Qt.CursorShape.PointingHandCursor if area else Qt.CursorShape.ArrowCursor
            )
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if self._hover is not None:
            self._hover = None
            self.update()
        super().leaveEvent(event)

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hover = self.zone_at(event.position())
        self.update()
        super().enterEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        area = self.zone_at(event.position())
        if area is None:
            return
        if area in self._selected:
            self._selected.discard(area)
        else:
            self._selected.add(area)
        self.update()
        self.areasChanged.emit(self.selected_areas())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            area = self.zone_at(QPointF(event.pos()))
            if area is None:
                QToolTip.hideText()
                event.ignore()
            else:
                state = "selected" if area in self._selected else "click to select"
                QToolTip.showText(event.globalPos(), f"{area.label} ({state})", self)
            return True
        return super().event(event)
