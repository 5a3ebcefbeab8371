"""The import-folder inbox: pictures a phone sync, a tethered camera or a card reader
put in a folder appear here with thumbnails, to be dragged onto a session's views.

The folder is a setting of this PC (each PC has its own sync folder or card
reader). It is watched (``QFileSystemWatcher``) and scanned again every few
seconds as well, since a watcher misses changes on network shares and cards. A
file still being written (its size changing) waits for the next scan. Once a
picture is stored with a session, its file is moved into the folder's
``Imported`` subfolder, so the inbox holds only what is still to be filed and
nothing the camera made is deleted.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QMimeData, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.ui.background import run_task
from needlelog.ui.photos.images import THUMBNAIL_SIDE
from needlelog.ui.photos.loading import PictureLoader

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif"})
IMPORTED_FOLDER = "Imported"
RESCAN_MS = 3000
SETTLE_S = 1.0  # a file untouched this long is no longer being written
SETTING_KEY = "photos/import_folder"
PathRole = Qt.ItemDataRole.UserRole + 1
KeyRole = Qt.ItemDataRole.UserRole + 2  # the thumbnail's key in the picture cache


@dataclass(frozen=True)
class InboxFile:
    path: Path
    size: int
    modified: float


def scan(folder: Path) -> list[InboxFile]:
    """The pictures directly in ``folder``, newest first (worker thread)."""
    found: list[InboxFile] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file():
                continue
            if Path(entry.name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            info = entry.stat()
            found.append(InboxFile(Path(entry.path), info.st_size, info.st_mtime))
    found.sort(key=lambda f: (-f.modified, f.path.name))
    return found


def move_to_imported(paths: list[Path]) -> list[Path]:
    """Move stored pictures into the ``Imported`` subfolder beside them (worker thread);
    a name already there gets a number, so nothing is overwritten."""
    moved: list[Path] = []
    for path in paths:
        if not path.exists():
            continue
        target_dir = path.parent / IMPORTED_FOLDER
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        number = 1
        while target.exists():
            target = target_dir / f"{path.stem} ({number}){path.suffix}"
            number += 1
        shutil.move(str(path), str(target))
        moved.append(target)
    return moved


def saved_folder() -> Path | None:
    """The import folder this PC was pointed at (None: not set)."""
    from needlelog.ui.main_window import app_settings

    value = app_settings().value(SETTING_KEY, "")
    return Path(str(value)) if value else None


def save_folder(folder: Path | None) -> None:
    from needlelog.ui.main_window import app_settings

    store = app_settings()
    store.setValue(SETTING_KEY, "" if folder is None else str(folder))
    store.sync()


def _placeholder() -> QIcon:
    pixmap = QPixmap(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    pixmap.fill(QColor("#e6eaee"))
    return QIcon(pixmap)


class InboxList(QListWidget):
    """The inbox's pictures; dragging one carries its file as a file manager would."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoInbox")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(96, 96))
        self.setGridSize(QSize(116, 132))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setUniformItemSizes(True)

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # type: ignore[override]
        return self.mime_for([Path(item.data(PathRole)) for item in items])

    @staticmethod
    def mime_for(paths: list[Path]) -> QMimeData:
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        return data


class ImportInbox(QWidget):
    """The inbox panel: the folder, what is in it, and how to point it elsewhere."""

    files_changed = Signal()
    assign_requested = Signal(list)  # paths chosen to go to the selected view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self._known: dict[Path, InboxFile] = {}  # what the last scan saw (size, time)
        self._shown: dict[Path, QListWidgetItem] = {}
        self._scanning = False
        self._again = False
        self.loader = PictureLoader(self)
        self.loader.loaded.connect(self._thumbnail_loaded)
        self.loader.failed.connect(self._thumbnail_failed)
        self._placeholder = _placeholder()

        self.title = QLabel("Import folder")
        self.title.setStyleSheet("font-weight:600;")
        self.where = QLabel()
        self.where.setObjectName("inboxFolder")
        self.where.setWordWrap(True)
        self.where.setStyleSheet("color:#5f6670;")
        self.choose = QPushButton("Choose folder…")
        self.choose.setToolTip(
            "The folder a phone sync, a tethered camera or a card reader puts new pictures in"
        )
        self.choose.clicked.connect(self._choose)
        self.list = InboxList()
        self.hint = QLabel("New pictures in the import folder appear here.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#5f6670;")

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.choose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.where)
        layout.addWidget(self.list, 1)
        # Without a mouse: choose pictures, then file them into the selected view.
        self.assign_button = QPushButton("Add to the selected view")
        self.assign_button.setObjectName("assignFromInbox")
        self.assign_button.setEnabled(False)
        self.assign_button.clicked.connect(self._assign)
        self.list.itemSelectionChanged.connect(
            lambda: self.assign_button.setEnabled(bool(self.list.selectedItems()))
        )
        self.list.itemActivated.connect(lambda _item: self._assign())
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.assign_button)
        layout.addLayout(bottom)

        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _p: self.rescan())
        self.timer = QTimer(self)
        self.timer.setInterval(RESCAN_MS)
        self.timer.timeout.connect(self.rescan)
        self._show_where(None)

    # --- the folder -------------------------------------------------------------
    def set_folder(self, folder: Path | None) -> None:
        if self.watcher.directories():
            self.watcher.removePaths(self.watcher.directories())
        self.folder = folder
        self._known.clear()
        self.list.clear()
        self._shown.clear()
        self.loader.forget_waiting()
        self._show_where(None)
        if folder is None:
            self.timer.stop()
            return
        self.timer.start()
        self.rescan()  # whether the folder is there is asked on a worker (a share may hang)

    def _show_where(self, present: bool | None) -> None:
        """Say which folder is watched; ``present`` None while that is not known yet."""
        if self.folder is None:
            self.where.setText(
                "No import folder yet. Choose the folder your phone, camera or card reader "
                "saves pictures to."
            )
        elif present is False:
            self.where.setText(f"{self.folder} cannot be found (is the drive connected?).")
        else:
            self.where.setText(str(self.folder))

    def _choose(self) -> None:
        start = str(self.folder) if self.folder else ""
        chosen = QFileDialog.getExistingDirectory(self, "Choose the import folder", start)
        if chosen:
            folder = Path(chosen)
            save_folder(folder)
            self.set_folder(folder)

    # --- scanning ---------------------------------------------------------------
    def rescan(self) -> None:
        if self.folder is None:
            return
        if self._scanning:
            self._again = True
            return
        folder = self.folder
        self._scanning = True

        def work(_control: object) -> tuple[bool, list[InboxFile]]:
            present = folder.is_dir()
            return present, scan(folder) if present else []

        run_task(
            work,
            lambda answer, folder=folder: self._scanned(folder, answer),
            lambda exc, _t, folder=folder: self._scan_failed(folder, exc),
            parent=self,
        )

    def _scan_failed(self, folder: Path, exc: BaseException) -> None:
        self._scanning = False
        if not isinstance(exc, OSError):
            raise exc
        if folder == self.folder:
            self.where.setText(f"{folder} cannot be read: {exc.strerror or exc}")

    def _scanned(self, folder: Path, answer: object) -> None:
        self._scanning = False
        if folder != self.folder:
            return
        present, found = answer  # type: ignore[misc]
        if present and str(folder) not in self.watcher.directories():
            self.watcher.addPath(str(folder))  # first seen, or the drive came back
        self._show_where(present)
        now = time.time()
        before = self._known
        self._known = {f.path: f for f in found}
        ready = [
            f
            for f in found
            if now - f.modified >= SETTLE_S or (f.path in before and before[f.path].size == f.size)
        ]
        changed = self._show(ready)
        if len(ready) < len(found):
            QTimer.singleShot(int(SETTLE_S * 1000), self, self.rescan)  # still being written
        if changed:
            self.files_changed.emit()
        if self._again:
            self._again = False
            self.rescan()

    def _show(self, ready: list[InboxFile]) -> bool:
        wanted = {f.path for f in ready}
        changed = False
        for path in [p for p in self._shown if p not in wanted]:
            item = self._shown.pop(path)
            self.list.takeItem(self.list.row(item))
            changed = True
        for position, entry in enumerate(ready):
            if entry.path in self._shown:
                continue
            item = QListWidgetItem(self._placeholder, entry.path.name)
            item.setData(PathRole, str(entry.path))
            item.setToolTip(str(entry.path))
            self.list.insertItem(position, item)
            self._shown[entry.path] = item
            key = ("inbox", entry.path, entry.size, entry.modified)
            item.setData(KeyRole, key)
            shown = self.loader.request(key, entry.path, THUMBNAIL_SIDE)
            if shown is not None:
                item.setIcon(QIcon(QPixmap.fromImage(_square(shown.image))))
            changed = True
        self.hint.setText(
            "Drag a picture onto a view on the left, or select it and add it to the selected view."
            if self._shown
            else "New pictures in the import folder appear here."
        )
        return changed

    def _assign(self) -> None:
        chosen = [Path(item.data(PathRole)) for item in self.list.selectedItems()]
        if chosen:
            self.assign_requested.emit(chosen)

    def files(self) -> list[Path]:
        return [Path(self.list.item(i).data(PathRole)) for i in range(self.list.count())]

    def item_for(self, path: Path) -> QListWidgetItem | None:
        return self._shown.get(path)

    def has_thumbnail(self, path: Path) -> bool:
        item = self._shown.get(path)
        return item is not None and self.loader.get(item.data(KeyRole)) is not None

    def _thumbnail_loaded(self, key: object) -> None:
        for item in self._shown.values():
            if item.data(KeyRole) == key:
                shown = self.loader.get(key)
                if shown is not None:
                    item.setIcon(QIcon(QPixmap.fromImage(_square(shown.image))))

    def _thumbnail_failed(self, key: object, message: str) -> None:
        for item in self._shown.values():
            if item.data(KeyRole) == key:
                item.setToolTip(f"{item.toolTip()}\nCannot be read: {message}")
                item.setForeground(QColor("#8c1d18"))

    # --- after a picture is stored ---------------------------------------------
    def mark_imported(self, paths: list[Path]) -> None:
        """Move pictures that were stored out of the inbox (into ``Imported``)."""
        inside = [p for p in paths if self.folder is not None and p.parent == self.folder]
        if not inside:
            return
        for path in inside:
            item = self._shown.pop(path, None)
            if item is not None:
                self.list.takeItem(self.list.row(item))
        run_task(
            lambda _control: move_to_imported(inside),
            lambda _moved: self.rescan(),
            lambda exc, _t: self._move_failed(exc),
            parent=self,
        )

    def _move_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, OSError):
            raise exc
        self.hint.setText(
            f"Stored, but could not be moved to {IMPORTED_FOLDER}: {exc.strerror or exc}"
        )
        self.rescan()


def _square(image: QImage) -> QImage:
    """A thumbnail centred on a square, so the grid lines up whatever the orientation."""
    side = max(image.width(), image.height())
    square = QImage(side, side, QImage.Format.Format_RGB32)
    square.fill(QColor("#e6eaee"))
    painter = QPainter(square)
    painter.drawImage((side - image.width()) // 2, (side - image.height()) // 2, image)
    painter.end()
    return square
