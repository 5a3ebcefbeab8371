"""The comparison window: the same view from two sessions, side by side, as a wipe
or as an overlay; first and latest by default, the arrow keys step through the
sessions. With landmarks on both photos the later one is drawn aligned onto the
earlier one (display only). Differences in flash or camera settings are said
above the pictures, and a comparison is saved as an image only for a use the
patient agreed to.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTransform
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.ui import formatting as fmt
from needlelog.ui.background import TaskControl, run_task
from needlelog.ui.photos.canvas import ComparisonCanvas, Mode
from needlelog.ui.photos.images import DISPLAY_SIDE
from needlelog.ui.photos.loading import PictureLoader

if TYPE_CHECKING:
    from needlelog.domain.photos import Photo, PhotoProtocol, PhotoUse, PhotoUses
    from needlelog.domain.records import Patient
    from needlelog.services.photos import PhotoStore
    from needlelog.store.database import Database

SAVED_SIZE = QSize(2000, 1125)
WARNING_STYLE = (
    "background:#fff1d6; color:#6b4100; border:1px solid #e8c98a; border-radius:3px; padding:4px;"
)
LEFT_OUT_STYLE = "color:#8c1d18;"


def display_key(photo: Photo) -> tuple[str, str]:
    return ("display", photo.sha256)


def aligning(first: Photo, second: Photo) -> QTransform | None:
    """The second photo's pixels -> the first's, from their landmarks (None: not both set)."""
    from needlelog.domain.photos import similarity

    if first.landmarks is None or second.landmarks is None:
        return None
    a, b, c, d, e, f = similarity(second.landmarks, first.landmarks).matrix()
    return QTransform(a, b, c, d, e, f)


class ComparisonWindow(QDialog):
    """Two photos of one view compared; the patient's photos are given, read once."""

    photos_changed = Signal()

    def __init__(
        self,
        db: Database,
        patient: Patient,
        photos: list[Photo],
        uses: PhotoUses,
        store: PhotoStore | None,
        start: Photo | None = None,
        parent: QWidget | None = None,
        protocol: PhotoProtocol | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("comparisonWindow")
        self.protocol = protocol
        self.setWindowTitle(f"Compare photographs: {patient.data.full_name}")
        self.db, self.patient, self.uses, self.store = db, patient, uses, store
        self.all_photos = [p for p in photos if not p.withdrawn]
        self.sequence: list[Photo] = []  # the chosen view's photos, oldest first
        self.first_index = 0
        self.second_index = 0
        self._dialogs: list[QWidget] = []
        self.saved_to: Path | None = None
        self.loader = PictureLoader(self)
        self.loader.loaded.connect(self._picture_loaded)
        self.loader.failed.connect(lambda _k, _m: self._show_pair())

        self.view_box = QComboBox()
        self.view_box.setObjectName("compareView")
        self.view_box.setAccessibleName("View")
        self.first_box = QComboBox()
        self.first_box.setObjectName("compareFirst")
        self.first_box.setAccessibleName("Earlier photo")
        self.second_box = QComboBox()
        self.second_box.setObjectName("compareSecond")
        self.second_box.setAccessibleName("Later photo")
        self.with_after = QCheckBox("Include after-treatment photos")
        self.modes = QButtonGroup(self)
        mode_row = QHBoxLayout()
        mode_row.setSpacing(0)
        for mode in Mode:
            button = QToolButton()
            button.setText(mode.value)
            button.setCheckable(True)
            button.setObjectName(f"mode_{mode.name.lower()}")
            self.modes.addButton(button)
            button.setProperty("mode", mode.name)
            mode_row.addWidget(button)
        self.modes.buttons()[0].setChecked(True)
        self.slider_label = QLabel()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("compareSlider")
        self.slider.setRange(0, 100)
        self.slider.setFixedWidth(180)
        self.aligned = QCheckBox("Aligned")
        self.aligned.setObjectName("compareAligned")
        self.aligned.setToolTip("Line up the landmarks of both photos (display only)")
        self.aligned.setChecked(True)
        self.landmarks_button = QPushButton("Landmarks…")
        self.landmarks_button.setObjectName("compareLandmarks")
        marks_menu = QMenu(self)
        marks_menu.addAction("On the earlier photo…", lambda: self.open_landmarks(0))
        marks_menu.addAction("On the later photo…", lambda: self.open_landmarks(1))
        self.landmarks_button.setMenu(marks_menu)
        self.use_box = QComboBox()
        self.use_box.setObjectName("saveUse")
        self.use_box.setAccessibleName("Saved for")
        self.save_button = QPushButton("Save as image…")
        self.save_button.setObjectName("saveComparison")
        self.save_button.clicked.connect(self.choose_save)
        self.warning = QLabel()
        self.warning.setObjectName("captureWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.hide()
        self.notes = QLabel()
        self.notes.setObjectName("compareNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color:#5f6670;")
        self.left_out = QLabel()
        self.left_out.setObjectName("compareLeftOut")
        self.left_out.setWordWrap(True)
        self.left_out.setStyleSheet(LEFT_OUT_STYLE)
        self.canvas = ComparisonCanvas()

        pick = QHBoxLayout()
        pick.addWidget(QLabel("View"))
        pick.addWidget(self.view_box)
        pick.addSpacing(8)
        pick.addWidget(QLabel("Earlier"))
        pick.addWidget(self.first_box)
        pick.addWidget(QLabel("Later"))
        pick.addWidget(self.second_box)
        pick.addWidget(self.with_after)
        pick.addStretch(1)
        show = QHBoxLayout()
        show.addLayout(mode_row)
        show.addSpacing(8)
        show.addWidget(self.slider_label)
        show.addWidget(self.slider)
        show.addSpacing(8)
        show.addWidget(self.aligned)
        show.addWidget(self.landmarks_button)
        show.addStretch(1)
        show.addWidget(QLabel("For"))
        show.addWidget(self.use_box)
        show.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addLayout(show)
        layout.addWidget(self.warning)
        layout.addWidget(self.left_out)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.notes)

        self._fill_uses()
        self._fill_views(start)
        self.view_box.currentIndexChanged.connect(lambda _i: self._choose_view(None))
        self.with_after.toggled.connect(lambda _on: self._choose_view(None))
        self.first_box.currentIndexChanged.connect(lambda i: self.set_indexes(i, None))
        self.second_box.currentIndexChanged.connect(lambda i: self.set_indexes(None, i))
        self.modes.buttonToggled.connect(lambda _b, on: on and self._mode_changed())
        self.slider.valueChanged.connect(self._slider_moved)
        self.aligned.toggled.connect(lambda _on: self._show_pair())
        self.use_box.currentIndexChanged.connect(lambda _i: self._update_save())
        self.canvas.view_changed.connect(self._update_notes)
        self._mode_changed()
        self._choose_view(start)
        self.resize(1180, 760)
        self.canvas.setFocus()

    # --- what is compared ---------------------------------------------------------------
    def _fill_uses(self) -> None:
        from needlelog.domain.photos import PhotoUse

        for use in (
            PhotoUse.OWN_REPORT,
            PhotoUse.CLINICAL_RECORD,
            PhotoUse.TEACHING,
            PhotoUse.PUBLICATION,
        ):
            self.use_box.addItem(use.label, use)
        why = self.uses.why_not(PhotoUse.OWN_REPORT)
        self.left_out.setText(why.replace("Photographs left out", "Not in the patient's report"))
        self.left_out.setVisible(bool(why))

    def _fill_views(self, start: Photo | None) -> None:
        from needlelog.domain.photos import PhotoProtocol

        protocol = self.protocol or PhotoProtocol()
        views = sorted({p.view for p in self.all_photos}, key=protocol.order_key)
        if start is not None and start.view in views:
            views.remove(start.view)
            views.insert(0, start.view)
        self.view_box.blockSignals(True)
        for view in views:
            self.view_box.addItem(_view_label(view), view)
        self.view_box.blockSignals(False)
        if start is not None and start.after:
            self.with_after.blockSignals(True)
            self.with_after.setChecked(True)
            self.with_after.blockSignals(False)

    @property
    def view(self) -> str:
        return str(self.view_box.currentData() or "")

    def _choose_view(self, start: Photo | None) -> None:
        view = self.view
        shots = [
            p
            for p in self.all_photos
            if p.view == view and (self.with_after.isChecked() or not p.after)
        ]
        if not shots:  # a view photographed only after treatment
            shots = [p for p in self.all_photos if p.view == view]
        self.sequence = sorted(shots, key=lambda p: (p.performed_on, p.after, p.id))
        labels = [f"{fmt.day(p.performed_on)} · {p.timing}" for p in self.sequence]
        for box in (self.first_box, self.second_box):
            box.blockSignals(True)
            box.clear()
            box.addItems(labels)
            box.blockSignals(False)
        last = len(self.sequence) - 1
        second = last
        if start is not None and start in self.sequence:
            second = self.sequence.index(start)
        first = 0 if second > 0 else min(1, last)
        self.set_indexes(first, second)

    def set_indexes(self, first: int | None, second: int | None) -> None:
        """Compare the photos at these places of the view's sequence (None: unchanged)."""
        last = len(self.sequence) - 1
        if first is not None:
            self.first_index = max(0, min(last, first))
        if second is not None:
            self.second_index = max(0, min(last, second))
        for box, index in (
            (self.first_box, self.first_index),
            (self.second_box, self.second_index),
        ):
            if box.currentIndex() != index:
                box.blockSignals(True)
                box.setCurrentIndex(index)
                box.blockSignals(False)
        self._show_pair()
        self._prefetch()

    def pair(self) -> tuple[Photo | None, Photo | None]:
        if not self.sequence:
            return None, None
        return self.sequence[self.first_index], self.sequence[self.second_index]

    def _request(self, photo: Photo) -> None:
        db, store = self.db, self.store

        def where() -> Path:
            from needlelog.services import photos

            return photos.original_path(db, photo, store=store)

        self.loader.request(display_key(photo), where, DISPLAY_SIDE)

    def _prefetch(self) -> None:
        """Read the neighbours of the later photo, so a step of the arrow keys is instant."""
        for index in (self.second_index - 1, self.second_index + 1, self.first_index + 1):
            if 0 <= index < len(self.sequence):
                self._request(self.sequence[index])

    def _picture_loaded(self, key: object) -> None:
        first, second = self.pair()
        if any(p is not None and display_key(p) == key for p in (first, second)):
            self._show_pair()

    @property
    def both_loaded(self) -> bool:
        first, second = self.pair()
        return all(
            p is not None and self.loader.get(display_key(p)) is not None for p in (first, second)
        )

    def _show_pair(self) -> None:
        first, second = self.pair()
        shown = []
        for photo in (first, second):
            if photo is None:
                shown.append(None)
                continue
            picture = self.loader.get(display_key(photo))
            if picture is None:
                self._request(photo)
            shown.append(picture)
        mapping = None
        can_align = first is not None and second is not None and aligning(first, second) is not None
        self.aligned.setVisible(can_align)
        if can_align and self.aligned.isChecked():
            assert first is not None and second is not None
            mapping = aligning(first, second)
        self.canvas.set_pictures(shown[0], shown[1], mapping)
        self.canvas.set_captions(*(self._caption(p) for p in (first, second)))
        self.canvas.set_missing(*(self._missing(p) for p in (first, second)))
        warnings = first.capture.differences(second.capture) if first and second else []
        if first is not None and first is second:
            warnings = []
        self.warning.setText("Compare with care: " + "; ".join(warnings) + "." if warnings else "")
        self.warning.setVisible(bool(warnings))
        self._update_notes()
        self._update_save()

    def _caption(self, photo: Photo | None) -> str:
        if photo is None:
            return ""
        return f"{fmt.day(photo.performed_on)} · {photo.timing}"

    def _missing(self, photo: Photo | None) -> str:
        if photo is None:
            return "No photo of this view."
        failure = self.loader.failure(display_key(photo))
        if failure:
            return f"The photo file cannot be read: {failure}"
        return "Opening the photo…"

    def _update_notes(self) -> None:
        first, second = self.pair()
        parts = []
        if first is not None and second is not None:
            if self.aligned.isVisibleTo(self):
                parts.append(
                    "Aligned on the landmarks." if self.aligned.isChecked() else "Not aligned."
                )
            else:
                missing = [
                    name
                    for name, p in (("earlier", first), ("later", second))
                    if p.landmarks is None
                ]
                parts.append(
                    "Not aligned: set the landmarks on the "
                    + " and ".join(missing)
                    + " photo (Landmarks…)."
                )
        parts.append(
            f"Zoom {self.canvas.zoom:.1f}× · wheel to zoom, drag to pan, "
            "← → step through sessions (Shift: the earlier photo)"
        )
        self.notes.setText("  ".join(parts))

    # --- how it is shown ------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        checked = self.modes.checkedButton()
        return Mode[checked.property("mode")] if checked else Mode.SIDE_BY_SIDE

    def set_mode(self, mode: Mode) -> None:
        for button in self.modes.buttons():
            if button.property("mode") == mode.name:
                button.setChecked(True)

    def _mode_changed(self) -> None:
        mode = self.mode
        self.canvas.set_mode(mode)
        self.slider.blockSignals(True)
        if mode is Mode.WIPE:
            self.slider_label.setText("Wipe")
            self.slider.setValue(round(self.canvas.wipe * 100))
        elif mode is Mode.OVERLAY:
            self.slider_label.setText("Later photo's opacity")
            self.slider.setValue(round(self.canvas.opacity * 100))
        self.slider.blockSignals(False)
        visible = mode is not Mode.SIDE_BY_SIDE
        self.slider.setVisible(visible)
        self.slider_label.setVisible(visible)

    def _slider_moved(self, value: int) -> None:
        if self.mode is Mode.WIPE:
            self.canvas.set_wipe(value / 100)
        elif self.mode is Mode.OVERLAY:
            self.canvas.set_opacity(value / 100)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(key))
        if step is None:
            super().keyPressEvent(event)
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.set_indexes(self.first_index + step, None)
        else:
            self.set_indexes(None, self.second_index + step)
        event.accept()

    # --- landmarks ---------------------------------------------------------------------
    def open_landmarks(self, which: int) -> None:
        from needlelog.ui.photos.landmarks import LandmarksDialog

        photo = self.pair()[which]
        if photo is None:
            return
        dialog = LandmarksDialog(self.db, photo, self.store, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._landmarks_saved)
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda _o=None, d=dialog: self._dialogs.remove(d))
        dialog.show()

    def _landmarks_saved(self, photo: object) -> None:
        from needlelog.domain.photos import Photo

        assert isinstance(photo, Photo)
        self.all_photos = [photo if p.id == photo.id else p for p in self.all_photos]
        self.sequence = [photo if p.id == photo.id else p for p in self.sequence]
        self._show_pair()
        self.photos_changed.emit()

    def open_dialogs(self) -> list[QWidget]:
        return list(self._dialogs)

    # --- saving -----------------------------------------------------------------------
    @property
    def save_use(self) -> PhotoUse:
        from needlelog.domain.photos import PhotoUse

        return PhotoUse(self.use_box.currentData())

    def save_refusal(self) -> str:
        """Why the comparison cannot be saved for the chosen use (empty: it can)."""
        first, second = self.pair()
        if first is None or second is None or not self.both_loaded:
            return "Both photos must be open to save the comparison."
        why = self.uses.why_not(self.save_use)
        if why:
            return why.replace("Photographs left out", "Not saved")
        return ""

    def _update_save(self) -> None:
        why = self.save_refusal()
        self.save_button.setEnabled(not why)
        self.save_button.setToolTip(why or "Save the comparison as shown, as a PNG or JPEG image")
        if why and self.uses.why_not(self.save_use):
            self.left_out.setText(why)
            self.left_out.show()
        else:
            self._fill_left_out()

    def _fill_left_out(self) -> None:
        from needlelog.domain.photos import PhotoUse

        why = self.uses.why_not(PhotoUse.OWN_REPORT)
        self.left_out.setText(why.replace("Photographs left out", "Not in the patient's report"))
        self.left_out.setVisible(bool(why))

    def choose_save(self) -> None:
        if self.save_refusal():
            return
        first, second = self.pair()
        assert first is not None and second is not None
        name = (
            f"{self.patient.data.record_no}_{first.view}_{first.performed_on.isoformat()}"
            f"_{second.performed_on.isoformat()}.png"
        )
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save comparison", name, "PNG image (*.png);;JPEG image (*.jpg *.jpeg)"
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Draw the comparison as shown at print size and write it (worker thread)."""
        if self.save_refusal():
            return
        image = self.canvas.render_image(SAVED_SIZE)
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            path = path.with_suffix(".png")
        self.notes.setText(f"Saving {path.name}…")
        self._write(image, path)

    def _write(self, image: object, path: Path) -> None:
        from PySide6.QtGui import QImage

        assert isinstance(image, QImage)

        def work(_control: TaskControl) -> Path:
            temporary = path.with_name(f".{path.name}.part")
            quality = 92 if path.suffix.lower() in (".jpg", ".jpeg") else -1
            fmt_name = "JPEG" if quality > 0 else "PNG"
            try:
                if not image.save(str(temporary), fmt_name, quality):
                    raise OSError(f"{path} cannot be written")
                if os.name == "posix":
                    os.chmod(temporary, 0o600)  # a patient's photos: for this user only
                temporary.replace(path)
            finally:
                temporary.unlink(missing_ok=True)
            return path

        def done(saved: object) -> None:
            self.notes.setText(f"Saved {Path(str(saved)).name}.")
            self.saved_to = Path(str(saved))

        def failed(exc: BaseException, trace: str) -> None:
            if isinstance(exc, OSError):
                self.notes.setText(f"Not saved: {exc.strerror or exc}")
                return
            from needlelog.ui.failures import show_failure

            show_failure(self, exc, trace, "Saving the comparison")

        run_task(work, done, failed, parent=self)


def _view_label(view: str) -> str:
    from needlelog.domain.photos import view_label

    return view_label(view)
