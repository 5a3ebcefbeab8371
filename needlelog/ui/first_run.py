"""The first start of a new install: where records live, the clinic's name, demo data.

Shown before the database exists. It says where the records will be kept
and that they are health data to protect, lets the clinic put its name on
the letterhead, and offers made-up patients to try things out. Demo
patients carry ``DEMO-`` record numbers and leave again in one step
(File › Remove demo patients…).

The services and the store are loaded only when the choices are applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.ui.about import show_about
from needlelog.ui.background import LatestOnly, Task, run_task
from needlelog.ui.failures import show_failure, told_in_words
from needlelog.ui.identity import app_icon

if TYPE_CHECKING:
    from needlelog.store.database import Database
    from needlelog.ui.features import FeatureHost

DEMO_PATIENTS = 25
# services.demo_data.DEMO_PREFIX, repeated so the welcome needs no services (a test
# keeps the two equal).
DEMO_PREFIX = "DEMO-"
DEMO_SEED = 1
HEALTH_DATA_NOTE = (
    "These are health records. Protect them: keep regular backups on a second drive, "
    "turn on disk encryption on this computer, and give access only to the people "
    "who treat your patients."
)


@dataclass(frozen=True)
class FirstRunChoices:
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    add_demo: bool = False
    # Only me on this computer: nobody signs in (the window says so). Otherwise the
    # first account, an administrator, is added as the window opens.
    without_accounts: bool = True


def apply_first_run(db: Database, choices: FirstRunChoices) -> None:
    """Store the clinic's letterhead and add demo patients, as chosen.

    Runs on a worker thread (demo data takes a few seconds); touches no widgets.
    """
    from needlelog.services import demo
    from needlelog.services.settings import get_clinic, set_clinic

    name = choices.clinic_name.strip()
    if name:
        info = replace(
            get_clinic(db),
            name=name,
            address=choices.clinic_address.strip(),
            phone=choices.clinic_phone.strip(),
        )
        set_clinic(db, info, config.current_user())
    if choices.add_demo:
        demo.fill(db, DEMO_PATIENTS, DEMO_SEED)
    if choices.without_accounts:
        from needlelog.services import accounts

        accounts.choose_without_accounts(db)


def _section(title: str) -> QLabel:
    label = QLabel(title)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.15)
    label.setFont(font)
    return label


class FirstRunDialog(QDialog):
    """Welcome to a new install; ``choices()`` holds what the user asked for."""

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to needlelog")
        self.setObjectName("firstRunDialog")
        self.setWindowIcon(app_icon())

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(56, 56))
        heading = QLabel(
            "<span style='font-size:17pt; font-weight:600'>Welcome to needlelog</span><br>"
            "Treatment records for your microneedling clinic. A few details to get started."
        )
        heading.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        header.addSpacing(10)
        header.addWidget(heading, 1)

        # Where the records live, and what they are.
        where = QLabel("The clinic's records will be kept in this file on this computer:")
        where.setWordWrap(True)
        self.path_label = QLabel(str(db_path))
        self.path_label.setObjectName("dbPath")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setWordWrap(True)
        self.path_label.setStyleSheet(
            "font-family: monospace; padding: 6px 8px; border: 1px solid palette(mid);"
            "border-radius: 4px; background: palette(base);"
        )
        first, rest = HEALTH_DATA_NOTE.split(". ", 1)
        self.health_note = QLabel(f"<b>{first}.</b> {rest}")
        self.health_note.setObjectName("healthNote")
        self.health_note.setWordWrap(True)
        self.health_note.setStyleSheet(
            "padding: 8px 10px; border-left: 4px solid #c0392b; background: #fbeeee;color: #3b1a17;"
        )

        # The letterhead.
        self.clinic_name = QLineEdit()
        self.clinic_name.setPlaceholderText("for example: Riverside Skin Clinic")
        self.clinic_address = QLineEdit()
        self.clinic_address.setPlaceholderText("street, town (optional)")
        self.clinic_phone = QLineEdit()
        self.clinic_phone.setPlaceholderText("optional")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)
        form.setHorizontalSpacing(14)
        form.addRow("Clinic name", self.clinic_name)
        form.addRow("Address", self.clinic_address)
        form.addRow("Phone", self.clinic_phone)
        letterhead = QLabel("Printed at the top of progress reports. You can change it later.")
        letterhead.setStyleSheet("color: palette(placeholder-text);")
        letterhead.setWordWrap(True)

        # Demo data.
        self.add_demo = QCheckBox(f"Add {DEMO_PATIENTS} demo patients to try things out")
        demo_note = QLabel(
            f"Made-up people with record numbers {DEMO_PREFIX}000001 and up, each with a few "
            "sessions. Remove them all in one step with File › Remove demo patients… "
            "before you enter real patients."
        )
        demo_note.setWordWrap(True)
        demo_note.setStyleSheet("color: palette(placeholder-text); margin-left: 24px;")

        # Who works here.
        self.alone = QRadioButton("Only me, on this computer: work without accounts")
        self.alone.setObjectName("withoutAccounts")
        self.alone.setChecked(True)
        self.shared = QRadioButton(
            "Several people: each signs in (you add the first account, an administrator, next)"
        )
        self.shared.setObjectName("withAccounts")

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)

        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton(
            "Start using needlelog", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.start_button.setDefault(True)
        quit_button = buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addSpacing(10)
        layout.addWidget(_section("Where your records are kept"))
        layout.addWidget(where)
        layout.addWidget(self.path_label)
        layout.addWidget(self.health_note)
        layout.addSpacing(8)
        layout.addWidget(_section("Your clinic"))
        layout.addLayout(form)
        layout.addWidget(letterhead)
        layout.addSpacing(8)
        layout.addWidget(_section("Try it out"))
        layout.addWidget(self.add_demo)
        layout.addWidget(demo_note)
        layout.addSpacing(8)
        layout.addWidget(_section("Who works here"))
        layout.addWidget(self.alone)
        layout.addWidget(self.shared)
        layout.addSpacing(6)
        layout.addWidget(line)
        layout.addWidget(buttons)
        # Wrapped labels need the height for the width actually used, or Qt
        # squeezes the input fields to fit a height guessed for a narrower box.
        width = 600
        self.setMinimumWidth(width)
        self.resize(width, layout.totalHeightForWidth(width))
        self.clinic_name.setFocus()

    def choices(self) -> FirstRunChoices:
        return FirstRunChoices(
            clinic_name=self.clinic_name.text(),
            clinic_address=self.clinic_address.text(),
            clinic_phone=self.clinic_phone.text(),
            add_demo=self.add_demo.isChecked(),
            without_accounts=self.alone.isChecked(),
        )


def apply_in_background(
    parent: QWidget,
    db: Database,
    choices: FirstRunChoices,
    on_done: Callable[[], None] | None = None,
) -> Task:
    """Apply ``choices`` off the GUI thread with a progress dialog; the window stays live."""
    progress = QProgressDialog("Setting up needlelog…", "", 0, 0, parent)
    progress.setWindowTitle("needlelog")
    progress.setCancelButton(None)  # a half-made demo course is worse than waiting
    progress.setMinimumDuration(300)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    if choices.add_demo:
        progress.setLabelText(f"Adding {DEMO_PATIENTS} demo patients…")

    def finished(_result: object) -> None:
        progress.close()
        progress.deleteLater()
        if on_done is not None:
            on_done()

    def failed(exc: BaseException, trace: str) -> None:
        progress.close()
        progress.deleteLater()
        if told_in_words(exc):
            QMessageBox.warning(parent, "needlelog", f"Setting up did not finish: {exc}")
        else:
            show_failure(parent, exc, trace, "Setting up")
        if on_done is not None:
            on_done()

    return run_task(lambda _control: apply_first_run(db, choices), finished, failed, parent)


def remove_demo_data(parent: QWidget | None, db: Database, on_done: Callable[[int], None]) -> None:
    """Ask, then remove every demo patient (and only those); ``on_done`` hears how many
    went. Counting and removing run off the GUI thread."""
    from needlelog.services import demo
    from needlelog.store.errors import StoreError

    def failed(exc: BaseException, trace: str) -> None:
        if not isinstance(exc, StoreError):
            show_failure(parent, exc, trace, "Removing the demo patients")
        else:
            QMessageBox.warning(parent, "Remove demo patients", str(exc))
        on_done(0)

    def counted(count: int) -> None:
        if count == 0:
            QMessageBox.information(parent, "Remove demo patients", "There are no demo patients.")
            on_done(0)
            return
        answer = QMessageBox.question(
            parent,
            "Remove demo patients",
            f"Remove the {count} demo patients ({DEMO_PREFIX}…) and their sessions?\n\n"
            "Patients you entered yourself are not touched.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            on_done(0)
            return
        run_task(lambda _c: demo.remove(db), on_done, failed, parent)

    run_task(lambda _c: demo.count_demo(db), counted, failed, parent)


@dataclass
class InstalledActions:
    remove_demo: QAction
    about: QAction


def install(host: FeatureHost) -> InstalledActions:
    """Add "Remove demo patients…" (shown while there are some) and "About needlelog"."""
    from needlelog.services import demo

    window = host.window()
    remove = QAction("Remove demo patients…", window)
    remove.setObjectName("removeDemoAction")

    remove.setVisible(False)  # until the count says there are some
    counts = LatestOnly(window)
    counts.answered.connect(lambda count: remove.setVisible(count > 0))

    def not_counted(exc: BaseException, trace: str) -> None:
        from needlelog.store.errors import StoreError

        if not isinstance(exc, StoreError):
            show_failure(window, exc, trace, "Counting the demo patients")
            return
        host.show_status(str(exc))

    counts.failed.connect(not_counted)

    def refresh_visibility() -> None:
        db = host.db
        counts.request(lambda: demo.count_demo(db))

    def removed(count: int) -> None:
        if count:
            host.reload()
            host.show_status(f"Removed {count} demo patients.")
        refresh_visibility()

    remove.triggered.connect(lambda: remove_demo_data(window, host.db, removed))
    host.file_menu.addAction(remove)
    host.file_menu.aboutToShow.connect(refresh_visibility)
    refresh_visibility()

    about = QAction("About needlelog", window)
    about.setObjectName("aboutAction")
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: show_about(window))
    host.help_menu.addAction(about)
    return InstalledActions(remove, about)
