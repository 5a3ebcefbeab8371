"""A session's photographs: one slot per view of the clinic's protocol, before and
after, filled with "Add photos…", by dropping files from the file manager, or by
dragging pictures from the import-folder inbox beside the slots.

Every file is read, checked and stripped of private metadata on a worker thread
with progress (a 24-megapixel file never freezes the window); a file that is no
usable picture refuses the lot it came with, says which file and why, and
nothing of that lot is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QFont,
    QMouseEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.ui import formatting as fmt
from needlelog.ui.background import TaskCancelled, TaskControl, run_task
from needlelog.ui.photos.images import THUMBNAIL_SIDE
from needlelog.ui.photos.inbox import IMAGE_SUFFIXES, ImportInbox, saved_folder
from needlelog.ui.photos.loading import PictureLoader

if TYPE_CHECKING:
    from needlelog.domain.photos import Photo, PhotoProtocol
    from needlelog.domain.records import Patient, TreatmentSession
    from needlelog.services.photos import PhotoStore
    from needlelog.store.database import Database

FILE_FILTER = "Photographs (*.jpg *.jpeg *.png *.tif *.tiff *.heic *.heif);;All files (*)"
SLOT_THUMB = 120
EMPTY_SLOT = "#f6f8fa"
DROP_HIGHLIGHT = "#dff0ff"


def dropped_files(mime: QMimeData) -> list[Path]:
    """The local picture files a drag carries (from the file manager or the inbox)."""
    if not mime.hasUrls():
        return []
    out = []
    for url in mime.urls():
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.suffix.lower() in IMAGE_SUFFIXES:
            out.append(path)
    return out


@dataclass(frozen=True)
class SlotKey:
    view: str
    after: bool


class ViewSlot(QFrame):
    """One view, before or after: its photo (the latest if several) or a place to drop one."""

    files_dropped = Signal(object, list)  # SlotKey, paths
    chosen = Signal(object)  # SlotKey
    landmarks_requested = Signal(object)  # Photo
    withdraw_requested = Signal(object)  # Photo

    def __init__(self, key: SlotKey, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"slot_{key.view}_{'after' if key.after else 'before'}")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumSize(QSize(SLOT_THUMB + 24, SLOT_THUMB + 40))
        self.photos: list[Photo] = []
        self.selected = False
        self._hover = False
        self.title = QLabel(label)
        bold = QFont(self.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.picture = QLabel("Drop a photo here")
        self.picture.setObjectName("slotPicture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(SLOT_THUMB, SLOT_THUMB)
        self.picture.setWordWrap(True)
        self.picture.setStyleSheet("color:#5f6670;")
        self.note = QLabel()
        self.note.setStyleSheet("color:#5f6670;")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title.hide()  # the row and the column say it; kept for screen readers
        self.setAccessibleName(label)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.note)
        self._restyle()

    def set_photos(self, photos: list[Photo]) -> None:
        self.photos = photos
        if not photos:
            self.picture.setPixmap(QPixmap())
            self.picture.setText("Drop a photo here")
            self.note.setText("")
        else:
            latest = photos[-1]
            more = f" · {len(photos)} photos" if len(photos) > 1 else ""
            marks = "landmarks set" if latest.landmarks else "no landmarks yet"
            self.note.setText(f"{latest.original_name}{more}\n{marks}")
            self.picture.setToolTip(latest.original_name)
        self._restyle()

    def show_thumbnail(self, pixmap: QPixmap) -> None:
        self.picture.setText("")
        self.picture.setPixmap(
            pixmap.scaled(
                SLOT_THUMB,
                SLOT_THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self._restyle()

    def _restyle(self) -> None:
        if self._hover:
            background, border = DROP_HIGHLIGHT, "2px dashed #1a73e8"
        elif self.selected:
            background, border = "#ffffff", "2px solid #1a73e8"
        else:
            background = "#ffffff" if self.photos else EMPTY_SLOT
            border = "1px solid #c5ccd3"
        self.setStyleSheet(
            f"ViewSlot {{ background:{background}; border:{border}; border-radius:4px; }}"
        )

    # --- drag and drop from the file manager or the inbox ---------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
            self._hover = True
            self._restyle()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # type: ignore[override]
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._hover = False
        self._restyle()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._hover = False
        self._restyle()
        files = dropped_files(event.mimeData())
        if not files:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.files_dropped.emit(self.key, files)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.chosen.emit(self.key)
        if event.button() == Qt.MouseButton.RightButton and self.photos:
            self.menu().popup(event.globalPosition().toPoint())
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.photos:
            self.landmarks_requested.emit(self.photos[-1])
        super().mouseDoubleClickEvent(event)

    def menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        latest = self.photos[-1]
        marks = menu.addAction("Set landmarks for alignment…")
        marks.triggered.connect(lambda: self.landmarks_requested.emit(latest))
        withdraw = menu.addAction("Withdraw this photo…")
        withdraw.triggered.connect(lambda: self.withdraw_requested.emit(latest))
        return menu


@dataclass
class _Import:
    key: SlotKey
    files: list[Path]


class SessionPhotosWindow(QDialog):
    """The open session's view slots and the import-folder inbox, side by side."""

    photos_changed = Signal()

    def __init__(
        self,
        db: Database,
        patient: Patient,
        session: TreatmentSession,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.patient, self.session = db, patient, session
        self.setWindowTitle(
            f"Photos: {patient.data.full_name}, session of {fmt.day(session.data.performed_at)}"
        )
        self.setObjectName("sessionPhotos")
        self.store: PhotoStore | None = None
        self.slots: dict[SlotKey, ViewSlot] = {}
        self.selected: SlotKey | None = None
        self._queue: list[_Import] = []
        self._first_read = True
        self._importing: _Import | None = None
        self._task = None
        self._dialogs: list[QWidget] = []
        self.loader = PictureLoader(self)
        self.loader.loaded.connect(self._thumbnail_loaded)

        from html import escape

        heading = QLabel(
            f"<b>{escape(patient.data.full_name)}</b>, session of "
            f"<b>{fmt.day(session.data.performed_at)}</b>. Take the <b>before</b> photos "
            "before needling: same light, distance and background each time, no flash on "
            "one and not the other."
        )
        heading.setObjectName("sessionPhotosHeading")
        heading.setWordWrap(True)
        self.add_button = QPushButton("Add photos…")
        self.add_button.setObjectName("addPhotos")
        self.add_button.setToolTip("Choose picture files for the selected view")
        self.add_button.clicked.connect(self.choose_files)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(8)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)

        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.add_button)
        left_box.addLayout(top)
        left_box.addWidget(scroll, 1)

        self.inbox = ImportInbox()
        self.inbox.assign_requested.connect(
            lambda paths: self.selected is not None and self.import_files(self.selected, paths)
        )
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.inbox)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        self.status = QLabel("Opening the session's photos…")
        self.status.setObjectName("photoStatus")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.hide()
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self._cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.resize(1100, 680)
        self.inbox.set_folder(saved_folder())
        self.reload()

    # --- reading --------------------------------------------------------------------
    def reload(self) -> None:
        db, session_id = self.db, self.session.id

        def work(_control: TaskControl) -> tuple[PhotoProtocol, list[Photo], PhotoStore]:
            from needlelog.services import photos

            return (
                photos.photo_protocol(db),
                photos.for_session(db, session_id),
                photos.photo_store(db),
            )

        run_task(work, self._show, self._read_failed, parent=self)

    def _read_failed(self, exc: BaseException, trace: str) -> None:
        from needlelog.ui.failures import show_failure

        self.status.setText("The session's photos could not be read.")
        show_failure(self, exc, trace, "Opening the session's photos")

    def _show(self, result: object) -> None:
        protocol, shown, store = result  # type: ignore[misc]
        self.store = store
        areas = [a.area.value for a in self.session.data.areas]
        views = list(protocol.views_for_areas(areas)) or list(protocol.face_views)
        for photo in shown:  # a view filed earlier that the protocol no longer lists
            if photo.view not in views:
                views.append(photo.view)
        self._build_slots(views)
        by_slot: dict[SlotKey, list[Photo]] = {}
        for photo in shown:
            by_slot.setdefault(SlotKey(photo.view, photo.after), []).append(photo)
        for key, slot in self.slots.items():
            photos_here = by_slot.get(key, [])
            slot.set_photos(photos_here)
            if photos_here:
                self._request_thumbnail(photos_here[-1])
        if self.selected is None:
            empty = [k for k, s in self.slots.items() if not s.photos and not k.after]
            self.choose_slot(empty[0] if empty else next(iter(self.slots)))
        if self._first_read:  # later reads follow an import, whose outcome stays said
            self._first_read = False
            count = len(shown)
            self.status.setText(
                f"{count} photo{'s' if count != 1 else ''} in this session."
                if count
                else "No photos in this session yet."
            )

    def _build_slots(self, views: list[str]) -> None:
        from needlelog.domain.photos import view_label

        wanted = [SlotKey(v, after) for v in views for after in (False, True)]
        if list(self.slots) == wanted:
            return
        for slot in self.slots.values():
            slot.setParent(None)
            slot.deleteLater()
        self.slots.clear()
        self.grid.setColumnStretch(0, 0)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        self.grid.addWidget(_header("Before treatment"), 0, 1)
        self.grid.addWidget(_header("After (optional)"), 0, 2)
        for row, view in enumerate(views, 1):
            name = QLabel(view_label(view))
            name.setStyleSheet("font-weight:600;")
            self.grid.addWidget(name, row, 0)
            for column, after in ((1, False), (2, True)):
                key = SlotKey(view, after)
                slot = ViewSlot(key, f"{view_label(view)} · {'after' if after else 'before'}")
                slot.files_dropped.connect(self.import_files)
                slot.chosen.connect(self.choose_slot)
                slot.landmarks_requested.connect(self.open_landmarks)
                slot.withdraw_requested.connect(self.withdraw)
                self.grid.addWidget(slot, row, column)
                self.slots[key] = slot

    def _request_thumbnail(self, photo: Photo) -> None:
        db, store = self.db, self.store

        def where() -> Path:
            from needlelog.services import photos

            return photos.thumbnail(db, photo, store=store)

        key = ("thumb", photo.sha256)
        shown = self.loader.request(key, where, THUMBNAIL_SIDE)
        if shown is not None:
            self._thumbnail_loaded(key)

    def _thumbnail_loaded(self, key: object) -> None:
        shown = self.loader.get(key)
        if shown is None:
            return
        for slot in self.slots.values():
            if slot.photos and ("thumb", slot.photos[-1].sha256) == key:
                slot.show_thumbnail(QPixmap.fromImage(shown.image))

    def choose_slot(self, key: SlotKey) -> None:
        self.selected = key
        for k, slot in self.slots.items():
            slot.set_selected(k == key)
        from needlelog.domain.photos import view_label

        timing = "after" if key.after else "before"
        self.add_button.setToolTip(f"Choose picture files for {view_label(key.view)}, {timing}")

    # --- adding ---------------------------------------------------------------------
    def choose_files(self) -> None:
        if self.selected is None:
            return
        start = str(self.inbox.folder) if self.inbox.folder else ""
        files, _filter = QFileDialog.getOpenFileNames(self, "Add photos", start, FILE_FILTER)
        if files:
            self.import_files(self.selected, [Path(f) for f in files])

    def import_files(self, key: SlotKey, files: list[Path]) -> None:
        """Store ``files`` as the photos of the view ``key`` (queued behind a running import)."""
        self.choose_slot(key)
        self._queue.append(_Import(key, list(files)))
        if self._importing is None:
            self._next_import()

    @property
    def importing(self) -> bool:
        return self._importing is not None or bool(self._queue)

    def _next_import(self) -> None:
        if not self._queue:
            self._importing = None
            self.progress.hide()
            self.cancel_button.hide()
            return
        job = self._importing = self._queue.pop(0)
        db, session_id, actor = self.db, self.session.id, config.current_user()
        total = len(job.files)
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.status.setText(f"Reading {_count(total)}…")

        def work(control: TaskControl) -> list[Photo]:
            from needlelog.services import photos

            def step(done: int, all_: int) -> None:
                control.check()
                control.progress(done, all_, "")

            prepared = photos.prepare_all(job.files, step)
            control.check()
            return photos.add(db, session_id, job.key.view, job.key.after, prepared, actor)

        task = run_task(work, self._imported, self._import_failed, parent=self)
        task.progress.connect(self._progress)
        self._task = task

    def _progress(self, done: int, total: int, _message: str) -> None:
        self.progress.setValue(done)
        self.status.setText(f"Reading {done} of {_count(total)}…")

    def _cancel(self) -> None:
        self._queue.clear()
        if self._task is not None:
            self._task.cancel()

    def _imported(self, added: object) -> None:
        job = self._importing
        assert job is not None and isinstance(added, list)
        self._task = None
        from needlelog.domain.photos import view_label

        timing = "after" if job.key.after else "before"
        self.status.setText(f"Stored {_count(len(added))} as {view_label(job.key.view)}, {timing}.")
        self.inbox.mark_imported(job.files)
        self.photos_changed.emit()
        self.reload()
        self._next_import()

    def _import_failed(self, exc: BaseException, trace: str) -> None:
        self._task = None
        self._importing = None
        if isinstance(exc, TaskCancelled):
            self.status.setText("Stopped: nothing of that lot was stored.")
        elif _is_refusal(exc):
            self._queue.clear()
            self.status.setText(f"Nothing stored: {exc}")
        else:
            self._queue.clear()
            self.status.setText("Nothing stored: the photos could not be saved.")
            from needlelog.ui.failures import show_failure

            show_failure(self, exc, trace, "Adding the photos")
        self._next_import()

    # --- landmarks and withdrawal -------------------------------------------------------
    def open_landmarks(self, photo: Photo) -> None:
        from needlelog.ui.photos.landmarks import LandmarksDialog

        assert self.store is not None
        dialog = LandmarksDialog(self.db, photo, self.store, self)
        dialog.saved.connect(lambda _p: (self.photos_changed.emit(), self.reload()))
        self._keep(dialog)
        dialog.show()

    def withdraw(self, photo: Photo) -> None:
        from PySide6.QtWidgets import QInputDialog

        reason, ok = QInputDialog.getText(
            self,
            "Withdraw photo",
            f"Why is this photo ({photo.view_label}, {photo.timing}) withdrawn? It stays "
            "in the audit trail and the photo store, out of the record and reports.",
        )
        if not ok:
            return
        if not reason.strip():
            self.status.setText("Not withdrawn: a reason is needed.")
            return
        db, actor = self.db, config.current_user()

        def work(_control: TaskControl) -> Photo:
            from needlelog.services import photos

            return photos.withdraw(db, photo.id, reason.strip(), actor)

        def done(_photo: object) -> None:
            self.status.setText(f"Withdrawn: {photo.view_label}, {photo.timing}.")
            self.photos_changed.emit()
            self.reload()

        def failed(exc: BaseException, trace: str) -> None:
            if _is_refusal(exc):
                self.status.setText(f"Not withdrawn: {exc}")
                return
            from needlelog.ui.failures import show_failure

            show_failure(self, exc, trace, "Withdrawing the photo")

        run_task(work, done, failed, parent=self)

    def _keep(self, dialog: QWidget) -> None:
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda _o=None, d=dialog: self._dialogs.remove(d))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def _is_refusal(exc: BaseException) -> bool:
    """An error that is the input's, said in one sentence (no failure box needed)."""
    from needlelog.domain.accounts import AccessRefused
    from needlelog.domain.errors import InvalidRecord
    from needlelog.services.errors import NotFound
    from needlelog.services.photos import UnreadableImage

    # AccessRefused: the signed-in role may not (an administrator adding photos)
    return isinstance(exc, UnreadableImage | InvalidRecord | NotFound | AccessRefused)


def _header(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight:600; color:#2b3440;")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def _count(n: int) -> str:
    return f"{n} photo{'s' if n != 1 else ''}"
