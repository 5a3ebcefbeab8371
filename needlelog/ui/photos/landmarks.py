"""Two landmarks clicked on a photograph, once per photo: the pupils on a face, two
marks on the body. They are kept in the original's upright pixels and give the
comparison its alignment; the photo itself is never changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.ui import formatting as fmt
from needlelog.ui.background import TaskControl, run_task
from needlelog.ui.photos.images import DISPLAY_SIDE, Shown, decode

if TYPE_CHECKING:
    from needlelog.domain.photos import Photo
    from needlelog.services.photos import PhotoStore
    from needlelog.store.database import Database

MARK_COLOURS = (QColor("#00c2ff"), QColor("#ffb000"))
Point = tuple[float, float]


def prompt_for(view: str, points: int) -> str:
    """What to click next, in words (face views name the pupils)."""
    face = not view.endswith(("_front", "_back"))  # body views are AREA_front, AREA_back
    if points >= 2:
        return "Both landmarks set. Click again to start over."
    if face:
        which = ("the patient's right pupil (on your left)", "the patient's left pupil")[points]
        return f"Click {which}."
    return ("Click the first mark on the skin.", "Click the second mark.")[points]


class LandmarkPicker(QWidget):
    """Shows one photo fitted to the widget; the first two clicks are the landmarks."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("landmarkPicker")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._shown: Shown | None = None
        self._pixmap: QPixmap | None = None
        self.points: list[Point] = []  # in the original's upright pixels

    def sizeHint(self) -> QSize:
        return QSize(640, 560)

    def set_photo(self, shown: Shown, points: list[Point] | None = None) -> None:
        self._shown = shown
        self._pixmap = QPixmap.fromImage(shown.image)
        self.points = list(points or [])[:2]
        self.update()
        self.changed.emit()

    def clear(self) -> None:
        self.points = []
        self.update()
        self.changed.emit()

    def _placed(self) -> QRectF:
        """Where the photo is drawn in the widget (fitted, centred)."""
        if self._pixmap is None:
            return QRectF()
        w, h = self._pixmap.width(), self._pixmap.height()
        ratio = min(self.width() / w, self.height() / h)
        return QRectF(
            (self.width() - w * ratio) / 2, (self.height() - h * ratio) / 2, w * ratio, h * ratio
        )

    def widget_point(self, point: Point) -> QPointF:
        """A point in original pixels, where it shows in the widget."""
        assert self._shown is not None
        placed = self._placed()
        factor = placed.width() / self._shown.original_width
        return QPointF(placed.left() + point[0] * factor, placed.top() + point[1] * factor)

    def original_point(self, at: QPointF) -> Point | None:
        """The original's pixel under ``at`` (None outside the photo)."""
        if self._shown is None:
            return None
        placed = self._placed()
        if not placed.contains(at):
            return None
        factor = self._shown.original_width / placed.width()
        return ((at.x() - placed.left()) * factor, (at.y() - placed.top()) * factor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.original_point(event.position())
        if point is None:
            return
        if len(self.points) >= 2:
            self.points = []
        self.points.append(point)
        self.update()
        self.changed.emit()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1f2327"))
        if self._pixmap is None:
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.drawPixmap(self._placed(), self._pixmap, QRectF(self._pixmap.rect()))
        marks = [self.widget_point(p) for p in self.points]
        if len(marks) == 2:
            painter.setPen(QPen(QColor(255, 255, 255, 180), 1, Qt.PenStyle.DashLine))
            painter.drawLine(marks[0], marks[1])
        for number, (mark, colour) in enumerate(zip(marks, MARK_COLOURS, strict=False), 1):
            painter.setPen(QPen(colour, 2))
            painter.drawEllipse(mark, 9, 9)
            painter.drawLine(mark - QPointF(14, 0), mark + QPointF(14, 0))
            painter.drawLine(mark - QPointF(0, 14), mark + QPointF(0, 14))
            painter.drawText(mark + QPointF(11, -11), str(number))
        painter.end()


class LandmarksDialog(QDialog):
    """Click the two landmarks of one photo and save them with it (the photo is kept
    as it is; only the two points are stored)."""

    saved = Signal(object)  # the Photo as stored now

    def __init__(
        self,
        db: Database,
        photo: Photo,
        store: PhotoStore | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.photo = db, photo
        self.setObjectName("landmarksDialog")
        self.setWindowTitle(f"Landmarks: {photo.view_label}, {fmt.day(photo.performed_on)}")
        self.picker = LandmarkPicker()
        self.prompt = QLabel("Opening the photo…")
        self.prompt.setObjectName("landmarkPrompt")
        self.prompt.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet("color:#9B1C1C")
        self.error.setWordWrap(True)
        self.error.hide()
        self.clear_button = QPushButton("Start over")
        self.clear_button.clicked.connect(self.picker.clear)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ResetRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.picker, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.picker.changed.connect(self._update)
        self._update()
        self.resize(720, 680)

        def work(_control: TaskControl) -> Shown:
            from needlelog.services import photos

            return decode(photos.original_path(db, photo, store=store), DISPLAY_SIDE)

        run_task(work, self._loaded, self._load_failed, parent=self)

    def _loaded(self, shown: object) -> None:
        assert isinstance(shown, Shown)
        marks = self.photo.landmarks
        points = [(marks.x1, marks.y1), (marks.x2, marks.y2)] if marks else []
        self.picker.set_photo(shown, points)

    def _load_failed(self, exc: BaseException, _trace: str) -> None:
        if not isinstance(exc, OSError):
            raise exc
        self.prompt.setText(f"The photo cannot be opened: {exc.strerror or exc}")

    @property
    def loaded(self) -> bool:
        return self.picker._shown is not None

    def _update(self) -> None:
        if self.loaded:
            self.prompt.setText(prompt_for(self.photo.view, len(self.picker.points)))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
            len(self.picker.points) == 2
        )

    def save(self) -> None:
        from needlelog.domain.photos import Landmarks

        if len(self.picker.points) != 2:
            return
        (x1, y1), (x2, y2) = self.picker.points
        marks = Landmarks(x1, y1, x2, y2)
        problem = marks.problem(self.photo.width, self.photo.height)
        if problem is not None:
            self.error.setText(problem.message[0].upper() + problem.message[1:] + ".")
            self.error.show()
            return
        db, photo_id, actor = self.db, self.photo.id, config.current_user()
        self.buttons.setEnabled(False)

        def work(_control: TaskControl) -> Photo:
            from needlelog.services import photos

            return photos.set_landmarks(db, photo_id, marks, actor)

        run_task(work, self._saved, self._save_failed, parent=self)

    def _saved(self, photo: object) -> None:
        self.saved.emit(photo)
        self.accept()

    def _save_failed(self, exc: BaseException, trace: str) -> None:
        from needlelog.domain.accounts import AccessRefused
        from needlelog.domain.errors import InvalidRecord

        self.buttons.setEnabled(True)
        if isinstance(exc, InvalidRecord | AccessRefused):
            self.error.setText(str(exc))
            self.error.show()
            return
        from needlelog.ui.failures import show_failure

        show_failure(self, exc, trace, "Saving the landmarks")
