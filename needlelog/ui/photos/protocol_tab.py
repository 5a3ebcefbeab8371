"""The Photographs page of Clinic settings: the photo protocol (the face views and their
order, the body areas and the sides each is taken from) and the photo store folder.

The page saves with its own buttons, each change on its own: the protocol at once,
the folder only after every stored photo was copied into the new folder and each copy
checked against its checksum (the old folder is left exactly as it was). Everything
that touches the database or the folders runs off the GUI thread (``ui.background``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.accounts import AccessRefused
from needlelog.domain.codes import Area
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.photos import (
    BODY_SIDES,
    FACE_VIEWS,
    PhotoProtocol,
    protocol_problems,
    view_label,
)
from needlelog.store.errors import StoreError
from needlelog.ui.background import OneAtATime, TaskControl, run_task
from needlelog.ui.form_widgets import sentence

if TYPE_CHECKING:
    from needlelog.services.photos import FolderChange
    from needlelog.store.database import Database

CODE = Qt.ItemDataRole.UserRole
SIDE_LABELS = {"front": "From the front", "back": "From the back"}

FOLDER_TEXT = (
    "Where the original photographs are kept. With several PCs, choose one shared folder "
    "on the server that every PC reaches under the same path. The folder must exist, be "
    "writable and be closed to other accounts (photographs are health data).\n"
    "Photos already stored are copied into the new folder and each copy is checked "
    "against its checksum before needlelog switches to it; if any photo cannot be "
    "copied, nothing changes. The old folder is left exactly as it was: delete it "
    "yourself once Check reports every photo present."
)
PROTOCOL_TEXT = (
    "The views offered for each session, in this order. Photos already filed under a "
    "view you take out stay in the record; new ones can no longer be filed under it. "
    "This page saves with its own buttons, not with Save below."
)
UNSAVED_TEXT = "The protocol shown is not saved yet: press Save the photo protocol."


@dataclass(frozen=True)
class PhotoSettings:
    """What the page shows: the protocol, where the photos are now and how many."""

    protocol: PhotoProtocol
    folder: Path
    count: int


def read_photo_settings(db: Database) -> PhotoSettings:
    from needlelog.services import photos

    return PhotoSettings(photos.photo_protocol(db), photos.photo_store(db).root, photos.count(db))


def _body_areas() -> tuple[str, ...]:
    return PhotoProtocol().body_areas


def _area_label(code: str) -> str:
    try:
        return Area(code).label
    except ValueError:
        return code


def _message(exc: BaseException) -> str:
    if isinstance(exc, InvalidRecord):
        return " ".join(sentence(v.message) for v in exc.violations)
    return sentence(str(exc))


class _OrderedChecks(QWidget):
    """A list of codes to tick and put in order (Move up / Move down)."""

    def __init__(
        self, name: str, label: Callable[[str], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._label = label
        self.list = QListWidget()
        self.list.setAccessibleName(name)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setMinimumHeight(110)
        self.list.setMinimumWidth(180)
        self.up = QPushButton("Move &up")
        self.down = QPushButton("Move do&wn")
        self.up.clicked.connect(lambda: self.move(-1))
        self.down.clicked.connect(lambda: self.move(1))
        buttons = QVBoxLayout()
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def set_codes(self, chosen: tuple[str, ...], offered: tuple[str, ...]) -> None:
        """``chosen`` ticked in their order, then the rest of ``offered`` unticked."""
        self.list.clear()
        for code in list(chosen) + [c for c in offered if c not in chosen]:
            self.add(code, code in chosen)

    def add(self, code: str, ticked: bool) -> QListWidgetItem:
        item = QListWidgetItem(f"{self._label(code)}  ({code})")
        item.setData(CODE, code)
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemIsDragEnabled
        )
        item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        self.list.addItem(item)
        return item

    def codes(self) -> list[str]:
        return [self.list.item(i).data(CODE) for i in range(self.list.count())]

    def chosen(self) -> tuple[str, ...]:
        return tuple(
            self.list.item(i).data(CODE)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        )

    def item_of(self, code: str) -> QListWidgetItem:
        return self.list.item(self.codes().index(code))

    def move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)


class PhotoSettingsTab(QWidget):
    """Edit the photo protocol and the photo store folder (administrators: the services
    refuse anyone else, and the page shows their sentence)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoSettingsTab")
        self._db = db
        self._saves = OneAtATime(self)
        self._saved_protocol = PhotoProtocol()
        self.current: PhotoSettings | None = None
        self._showing = False

        # -- the protocol ------------------------------------------------------------
        self.face = _OrderedChecks("Face views", view_label)
        self.new_view = QLineEdit()
        self.new_view.setPlaceholderText("Another face view, e.g. chin_up")
        self.new_view.setAccessibleName("New face view")
        self.add_view_button = QPushButton("&Add view")
        self.add_view_button.clicked.connect(self.add_view)
        self.new_view.returnPressed.connect(self.add_view)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_view, 1)
        add_row.addWidget(self.add_view_button)
        self.areas = _OrderedChecks("Body areas", _area_label)
        self.sides = {side: QCheckBox(SIDE_LABELS[side]) for side in BODY_SIDES}
        sides_row = QHBoxLayout()
        sides_row.addWidget(QLabel("Each body area:"))
        for box in self.sides.values():
            sides_row.addWidget(box)
        sides_row.addStretch(1)
        self.defaults_button = QPushButton("Restore the &standard protocol")
        self.defaults_button.clicked.connect(self.restore_defaults)
        self.save_protocol_button = QPushButton("Save the photo &protocol")
        self.save_protocol_button.clicked.connect(self.save_protocol)
        protocol_buttons = QHBoxLayout()
        protocol_buttons.addWidget(self.defaults_button)
        protocol_buttons.addStretch(1)
        protocol_buttons.addWidget(self.save_protocol_button)

        protocol_hint = QLabel(PROTOCOL_TEXT)
        protocol_hint.setWordWrap(True)
        protocol_hint.setStyleSheet("color: #555555")
        protocol_box = QGroupBox("Photo protocol")
        pbox = QVBoxLayout(protocol_box)
        pbox.addWidget(protocol_hint)
        lists = QHBoxLayout()
        face_col = QVBoxLayout()
        face_col.addWidget(QLabel("Face views (any face area), ticked ones in this order:"))
        face_col.addWidget(self.face, 1)
        face_col.addLayout(add_row)
        body_col = QVBoxLayout()
        body_col.addWidget(QLabel("Body areas, ticked ones in this order:"))
        body_col.addWidget(self.areas, 1)
        body_col.addLayout(sides_row)
        for col in (face_col, body_col):
            for i in range(col.count()):
                widget = col.itemAt(i).widget()
                if isinstance(widget, QLabel):
                    widget.setWordWrap(True)
        lists.addLayout(face_col, 1)
        lists.addLayout(body_col, 1)
        pbox.addLayout(lists, 1)
        pbox.addLayout(protocol_buttons)

        # -- the folder --------------------------------------------------------------
        self.folder_now = QLabel("Reading…")
        self.folder_now.setWordWrap(True)
        self.folder_now.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder_hint = QLabel(FOLDER_TEXT)
        folder_hint.setWordWrap(True)
        folder_hint.setStyleSheet("color: #555555")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("A full path, e.g. \\\\server\\needlelog\\photos")
        self.folder.setAccessibleName("New photo folder")
        self.choose_button = QPushButton("&Choose…")
        self.choose_button.clicked.connect(self.choose_folder)
        self.move_button = QPushButton("&Move the photos to this folder")
        self.move_button.clicked.connect(self.change_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose_button)
        folder_row.addWidget(self.move_button)
        folder_box = QGroupBox("Photo store folder")
        fbox = QVBoxLayout(folder_box)
        fbox.addWidget(self.folder_now)
        fbox.addWidget(folder_hint)
        fbox.addLayout(folder_row)

        self.error = QLabel()
        self.error.setObjectName("photoSettingsError")
        self.error.setStyleSheet("color: #9B1C1C")
        self.error.setWordWrap(True)
        self.error.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.hide()

        for checks in (self.face, self.areas):
            checks.list.itemChanged.connect(self._edited)
            checks.list.model().rowsMoved.connect(self._edited)
        for box in self.sides.values():
            box.toggled.connect(self._edited)

        layout = QVBoxLayout(self)
        layout.addWidget(protocol_box, 1)
        layout.addWidget(folder_box)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        self._set_busy(True)
        run_task(
            lambda _control: read_photo_settings(db), self._loaded, self._load_failed, parent=self
        )

    # -- loading -----------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.current is not None

    @property
    def busy(self) -> bool:
        """Whether a read or a save is on its way."""
        return self._saves.running or self.current is None

    def _loaded(self, current: PhotoSettings) -> None:
        self.current = current
        self._saved_protocol = current.protocol
        self.show_protocol(current.protocol)
        self._show_folder(current)
        self._set_busy(False)

    def _load_failed(self, exc: BaseException, trace: str) -> None:
        if isinstance(exc, AccessRefused | StoreError | OSError):
            self.folder_now.setText("")
            self._say_error(f"The photo settings cannot be read: {_message(exc)}")
            return
        from needlelog.ui.failures import show_failure

        show_failure(self, exc, trace, "Reading the photo settings")

    def _show_folder(self, current: PhotoSettings) -> None:
        self.folder_now.setText(
            f"Now: {current.folder} ({current.count} photo record(s) in this clinic)"
        )

    def _set_busy(self, busy: bool) -> None:
        for widget in (
            self.face,
            self.areas,
            self.new_view,
            self.add_view_button,
            *self.sides.values(),
            self.defaults_button,
            self.save_protocol_button,
            self.folder,
            self.choose_button,
            self.move_button,
        ):
            widget.setEnabled(not busy)

    # -- the protocol ------------------------------------------------------------------

    @property
    def unsaved(self) -> bool:
        """Whether the protocol shown differs from the one saved."""
        return self.loaded and self.protocol() != self._saved_protocol

    def _edited(self, *_args: object) -> None:
        if self._showing or not self.loaded:
            return
        if self.unsaved:
            self._say(UNSAVED_TEXT)
        elif self.status.text() == UNSAVED_TEXT:
            self.status.hide()

    def show_protocol(self, protocol: PhotoProtocol) -> None:
        self._showing = True
        try:
            self._fill(protocol)
        finally:
            self._showing = False

    def _fill(self, protocol: PhotoProtocol) -> None:
        self.face.set_codes(protocol.face_views, FACE_VIEWS)
        self.areas.set_codes(protocol.body_areas, _body_areas())
        for side, box in self.sides.items():
            box.setChecked(side in protocol.body_sides)

    def protocol(self) -> PhotoProtocol:
        """The protocol the page shows."""
        return PhotoProtocol(
            face_views=self.face.chosen(),
            body_sides=tuple(s for s in BODY_SIDES if self.sides[s].isChecked()),
            body_areas=self.areas.chosen(),
        )

    def restore_defaults(self) -> None:
        """Show the standard protocol (saved only with Save the photo protocol)."""
        self.show_protocol(PhotoProtocol())
        self._say(
            "The standard protocol is shown; save it to use it."
            if self.unsaved
            else "The standard protocol is the one in use."
        )

    def add_view(self) -> None:
        """Add a face view of the clinic's own (a code: lower-case letters, digits, _)."""
        code = self.new_view.text().strip().lower().replace(" ", "_")
        if not code:
            self._say_error("Type the code of the view to add (for example chin_up).")
            return
        if code in self.face.codes():
            self._say_error(f"The view {code} is already in the list; tick it to use it.")
            return
        problems = protocol_problems(PhotoProtocol(face_views=(code,)))
        if problems:
            self._say_error(" ".join(sentence(v.message) for v in problems))
            return
        item = self.face.add(code, True)
        self.face.list.setCurrentItem(item)
        self.new_view.clear()
        self._say(f"{code} added at the end. {UNSAVED_TEXT}")

    def save_protocol(self) -> None:
        if self._saves.running:
            return
        protocol = self.protocol()
        problems = protocol_problems(protocol)
        if problems:
            self._say_error(" ".join(sentence(v.message) for v in problems) + " Nothing saved.")
            return
        db, actor = self._db, config.current_user()

        def work(_control: TaskControl) -> PhotoProtocol:
            from needlelog.services import photos

            photos.set_photo_protocol(db, protocol, actor)
            return photos.photo_protocol(db)

        self._set_busy(True)
        self._saves.start(work, self._protocol_saved, self._failed)

    def _protocol_saved(self, saved: PhotoProtocol) -> None:
        self._set_busy(False)
        self._saved_protocol = saved
        self.show_protocol(saved)
        self._say("The photo protocol is saved.")

    # -- the folder --------------------------------------------------------------------

    def choose_folder(self) -> None:
        start = self.folder.text() or (str(self.current.folder) if self.current else "")
        chosen = QFileDialog.getExistingDirectory(self, "Choose the photo store folder", start)
        if chosen:
            self.folder.setText(chosen)

    def change_folder(self) -> None:
        """Check the folder (off the GUI thread: it may be on a server), ask, then copy
        and switch; a refused folder leaves everything as it was."""
        if self._saves.running:
            return
        folder = self.folder.text().strip()

        def check(_control: TaskControl) -> str | None:
            from needlelog.services import photos

            return photos.folder_change_problem(folder)

        self._set_busy(True)
        self._saves.start(check, lambda problem: self._checked(folder, problem), self._failed)

    def _checked(self, folder: str, problem: str | None) -> None:
        self._set_busy(False)
        if problem is not None:
            self._say_error(f"{sentence(problem)} The photo folder was not changed.")
            return
        count = self.current.count if self.current else 0
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Move the photos")
        box.setText(f"Use {folder} for the clinic's photos?")
        box.setInformativeText(
            f"The {count} stored photo record(s) are copied there and each copy is checked "
            "against its checksum first. The old folder is left as it is. Every PC of the "
            "clinic uses the new folder from then on."
        )
        go = box.addButton("Copy and switch", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go)
        box.exec()
        if box.clickedButton() is not go:
            self._say("The photo folder was not changed.")
            return
        db, actor = self._db, config.current_user()

        def work(control: TaskControl) -> tuple[FolderChange, PhotoSettings]:
            from needlelog.services import photos

            change = photos.change_photo_folder(
                db, folder, actor, lambda done, total: control.progress(done, total)
            )
            return change, read_photo_settings(db)

        self._set_busy(True)
        self._say("Copying the photos…")
        self._saves.start(work, self._folder_changed, self._failed)

    def _folder_changed(self, outcome: tuple[FolderChange, PhotoSettings]) -> None:
        change, current = outcome
        self._set_busy(False)
        self.current = current
        self._show_folder(current)
        self.folder.clear()
        self._say(
            f"The photos are now kept in {change.new_root}: {change.copied} copied and "
            f"{change.already_there} already there, every one checked. {change.old_root} "
            "was left as it was."
        )

    # -- outcomes ----------------------------------------------------------------------

    def _failed(self, exc: BaseException, trace: str) -> None:
        self._set_busy(False)
        if isinstance(exc, InvalidRecord | AccessRefused | StoreError | OSError):
            self._say_error(f"{_message(exc)} Nothing was changed.")
            return
        from needlelog.ui.failures import show_failure

        show_failure(self, exc, trace, "Saving the photo settings")

    def _say(self, text: str) -> None:
        self.error.hide()
        self.status.setText(text)
        self.status.show()

    def _say_error(self, text: str) -> None:
        self.status.hide()
        self.error.setText(text)
        self.error.show()
