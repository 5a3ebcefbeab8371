"""Two photographs drawn for comparison: side by side, as a wipe, or as an overlay.

Both pictures share one zoom and one pan, so a scar looked at closely on one is
the same scar on the other. The second picture is drawn through a transform that
puts it in the first one's pixels (from the landmarks, or fitted when there are
none); nothing here changes a stored picture.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from needlelog.ui.photos.images import Shown

MIN_ZOOM, MAX_ZOOM = 1.0, 12.0
ZOOM_STEP = 1.25
BACKGROUND = QColor("#1f2327")
CAPTION_BACKGROUND = QColor(0, 0, 0, 150)


class Mode(Enum):
    SIDE_BY_SIDE = "Side by side"
    WIPE = "Wipe"
    OVERLAY = "Overlay"


class _Picture:
    """A shown picture ready to paint: its image and where its pixels go in the frame."""

    def __init__(self, shown: Shown, to_frame: QTransform) -> None:
        self.image = shown.image  # painted as it is: no copy when the pair changes
        # shown pixels -> original pixels -> the first picture's original pixels
        self.transform = QTransform.fromScale(shown.scale, shown.scale) * to_frame


class ComparisonCanvas(QWidget):
    """Paints the first and the second picture in one of the three modes."""

    view_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparisonCanvas")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.mode = Mode.SIDE_BY_SIDE
        self.wipe = 0.5  # the share of the width showing the first picture
        self.opacity = 0.5  # of the second picture over the first
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)  # in widget pixels, after the zoom
        self._first: _Picture | None = None
        self._second: _Picture | None = None
        self._frame = QRectF(0, 0, 1, 1)  # the first picture's original pixels
        self._captions = ("", "")
        self._missing = ("", "")
        self._drag_from: QPointF | None = None

    def sizeHint(self) -> QSize:
        return QSize(900, 560)

    # --- what is shown ---------------------------------------------------------
    def set_pictures(
        self,
        first: Shown | None,
        second: Shown | None,
        second_to_first: QTransform | None = None,
    ) -> None:
        """Show two pictures; ``second_to_first`` maps the second's original pixels to the
        first's (None: the second is fitted into the first's frame, centred)."""
        if first is not None:
            self._frame = QRectF(0, 0, first.original_width, first.original_height)
            self._first = _Picture(first, QTransform())
        else:
            self._first = None
        if second is not None:
            if first is None:
                self._frame = QRectF(0, 0, second.original_width, second.original_height)
            mapping = second_to_first or self._fitted(second)
            self._second = _Picture(second, mapping)
        else:
            self._second = None
        self.update()

    def set_captions(self, first: str, second: str) -> None:
        self._captions = (first, second)
        self.update()

    def set_missing(self, first: str, second: str) -> None:
        """What to say in place of a picture that is not there (or still loading)."""
        self._missing = (first, second)
        self.update()

    def _fitted(self, second: Shown) -> QTransform:
        frame = self._frame
        ratio = min(
            frame.width() / max(1, second.original_width),
            frame.height() / max(1, second.original_height),
        )
        dx = (frame.width() - second.original_width * ratio) / 2
        dy = (frame.height() - second.original_height * ratio) / 2
        return QTransform(ratio, 0, 0, ratio, dx, dy)

    # --- how it is shown ---------------------------------------------------------
    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.update()

    def set_wipe(self, fraction: float) -> None:
        self.wipe = min(1.0, max(0.0, fraction))
        self.update()

    def set_opacity(self, fraction: float) -> None:
        self.opacity = min(1.0, max(0.0, fraction))
        self.update()

    def reset_view(self) -> None:
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)
        self.update()
        self.view_changed.emit()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom both pictures, keeping the point under ``anchor`` (widget pixels) still."""
        new = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        if new == self.zoom:
            return
        target = self._targets()[0]
        centre = target.center()
        if anchor is None or self.mode is Mode.SIDE_BY_SIDE:
            anchor = centre
        # The anchor's offset from the zoom centre scales with the zoom; keep it fixed.
        applied = new / self.zoom
        offset = anchor - centre - self.pan
        self.pan = self.pan - offset * (applied - 1)
        self.zoom = new
        if self.zoom == MIN_ZOOM:
            self.pan = QPointF(0.0, 0.0)
        self.update()
        self.view_changed.emit()

    def pan_by(self, dx: float, dy: float) -> None:
        if self.zoom == MIN_ZOOM:
            return  # a fitted picture has nowhere to move
        self.pan = self.pan + QPointF(dx, dy)
        self.update()
        self.view_changed.emit()

    def _targets(self, whole: QRectF | None = None) -> tuple[QRectF, QRectF]:
        whole = QRectF(self.rect()) if whole is None else whole
        if self.mode is Mode.SIDE_BY_SIDE:
            gap = 4
            half = (whole.width() - gap) / 2
            left = QRectF(whole.left(), whole.top(), half, whole.height())
            right = QRectF(whole.left() + half + gap, whole.top(), half, whole.height())
            return left, right
        return whole, whole

    def wipe_x(self, target: QRectF) -> float:
        """Where the wipe divides the pictures: a share of the picture's drawn width (of
        the part in view), so the slider's ends show one picture whole."""
        drawn = self.view_transform(target).mapRect(self._frame).intersected(target)
        if drawn.isEmpty():
            drawn = target
        return drawn.left() + drawn.width() * self.wipe

    def view_transform(self, target: QRectF) -> QTransform:
        """Frame pixels -> widget pixels: fitted into ``target``, then zoomed and panned."""
        frame = self._frame
        fit = min(target.width() / frame.width(), target.height() / frame.height())
        scale = fit * self.zoom
        centre = target.center() + self.pan
        return (
            QTransform().translate(-frame.center().x(), -frame.center().y())
            * QTransform.fromScale(scale, scale)
            * QTransform.fromTranslate(centre.x(), centre.y())
        )

    # --- painting ------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.paint_on(painter, QRectF(self.rect()))
        painter.end()

    def render_image(self, size: QSize) -> QImage:
        """The comparison as shown (mode, wipe, opacity, zoom), drawn at ``size``."""
        image = QImage(size, QImage.Format.Format_RGB32)
        painter = QPainter(image)
        # The zoom's pan is in widget pixels: scale it to the larger picture.
        factor = size.width() / max(1, self.width())
        pan = self.pan
        self.pan = pan * factor
        try:
            self.paint_on(painter, QRectF(0, 0, size.width(), size.height()))
        finally:
            self.pan = pan
            painter.end()
        return image

    def paint_on(self, painter: QPainter, whole: QRectF) -> None:
        painter.fillRect(whole, BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        first_target, second_target = self._targets(whole)
        if self.mode is Mode.SIDE_BY_SIDE:
            self._draw(painter, self._first, first_target, first_target, 1.0, 0)
            self._draw(painter, self._second, second_target, second_target, 1.0, 1)
        elif self.mode is Mode.WIPE:
            split = self.wipe_x(first_target)
            left = QRectF(first_target.topLeft(), QPointF(split, first_target.bottom()))
            right = QRectF(QPointF(split, first_target.top()), first_target.bottomRight())
            self._draw(painter, self._first, first_target, left, 1.0, 0)
            self._draw(painter, self._second, first_target, right, 1.0, 1)
            painter.setPen(QPen(QColor("#ffffff"), 2))
            painter.drawLine(
                QPointF(split, first_target.top()), QPointF(split, first_target.bottom())
            )
        else:
            self._draw(painter, self._first, first_target, first_target, 1.0, 0)
            self._draw(painter, self._second, first_target, first_target, self.opacity, 1)
        if self.mode is Mode.SIDE_BY_SIDE:
            self._draw_captions(painter, first_target, second_target)
        else:  # over the picture's corners, not the window's
            drawn = self.view_transform(first_target).mapRect(self._frame)
            drawn = drawn.intersected(first_target)
            self._draw_captions(painter, drawn, drawn)

    def _draw(
        self,
        painter: QPainter,
        picture: _Picture | None,
        target: QRectF,
        clip: QRectF,
        opacity: float,
        which: int,
    ) -> None:
        if clip.width() <= 0:
            return
        painter.save()
        painter.setClipRect(clip)
        if picture is None:
            if self.mode is not Mode.OVERLAY or which == 0:
                painter.setPen(QColor("#c9d1d9"))
                painter.drawText(
                    clip.adjusted(12, 12, -12, -12),
                    int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                    self._missing[which],
                )
        else:
            painter.setOpacity(opacity)
            painter.setTransform(picture.transform * self.view_transform(target))
            painter.drawImage(0, 0, picture.image)
        painter.restore()

    def _draw_captions(self, painter: QPainter, first: QRectF, second: QRectF) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        pad = 6
        for text, rect, right in (
            (self._captions[0], first, False),
            (self._captions[1], second, True),
        ):
            if not text:
                continue
            width = metrics.horizontalAdvance(text) + 2 * pad
            height = metrics.height() + pad
            x = rect.right() - width - 8 if right else rect.left() + 8
            box = QRectF(x, rect.top() + 8, width, height)
            painter.fillRect(box, CAPTION_BACKGROUND)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)

    # --- mouse and keys: zoom and pan move both pictures ------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            delta = event.position() - self._drag_from
            self._drag_from = event.position()
            self.pan_by(delta.x(), delta.y())
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_from = None
        self.unsetCursor()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.reset_view()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_0:
            self.reset_view()
        else:
            super().keyPressEvent(event)  # arrows step through sessions in the window
            return
        event.accept()
