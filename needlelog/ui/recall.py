"""The due list as a recall list: how to reach the chosen patient, a log of contact
attempts (called, message left, booked, declined) and the list as CSV."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.recall import NOTE_MAX, ContactOutcome
from needlelog.services import clock
from needlelog.services.errors import NotFound
from needlelog.store.errors import StoreError
from needlelog.ui import formatting as fmt
from needlelog.ui.background import WAITING_TEXT, OneAtATime, TaskControl
from needlelog.ui.failures import show_failure
from needlelog.ui.form_widgets import DATE_FORMAT, DATE_LOCALE

if TYPE_CHECKING:
    from needlelog.domain.recall import ContactAttempt
    from needlelog.services.schedule import DueEntry
    from needlelog.store.database import Database

CSV_FILTER = "CSV files (*.csv)"
ERROR_STYLE = "color:#8c1d18;"
WAITING_STYLE = "color:#5f6670;"  # a save waiting for another PC: grey, not an error


class ContactDialog(QDialog):
    """Log one attempt to reach a patient: what came of it, when, and a short note."""

    def __init__(self, db: Database, entry: DueEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.entry = entry
        self.saved: ContactAttempt | None = None
        self.setObjectName("contactDialog")
        patient = entry.patient
        self.setWindowTitle(f"Log contact — {patient.full_name}")
        self.outcome = QComboBox()
        self.outcome.setObjectName("contactOutcome")
        for item in ContactOutcome:
            self.outcome.addItem(item.label, item)
        self.on = QDateEdit()
        self.on.setObjectName("contactDate")
        self.on.setCalendarPopup(True)
        self.on.setLocale(DATE_LOCALE)
        self.on.setDisplayFormat(DATE_FORMAT)  # the house style of every date shown
        today = clock.today()
        self.on.setDate(QDate(today.year, today.month, today.day))
        self.note = QLineEdit()
        self.note.setObjectName("contactNote")
        self.note.setMaxLength(NOTE_MAX)
        self.note.setPlaceholderText("e.g. prefers mornings; call back next week")
        self.error = QLabel()
        self.error.setObjectName("contactError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        reach = " · ".join(x for x in (patient.data.phone, patient.data.email) if x)
        form = QFormLayout()
        form.addRow("Patient:", QLabel(f"{patient.full_name} ({patient.record_no})"))
        form.addRow("Reach at:", QLabel(reach or "No phone or email on the record"))
        form.addRow("&Outcome:", self.outcome)
        form.addRow("&Date:", self.on)
        form.addRow("&Note:", self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        self._saves = OneAtATime(self)  # the log is written off the GUI thread
        self._saves.waiting.connect(lambda: self._say(WAITING_TEXT, WAITING_STYLE))
        self._saves.ended.connect(lambda: self.save_button.setEnabled(True))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    @property
    def saving(self) -> bool:
        """Whether the contact is on its way to the database."""
        return self._saves.running

    def save(self) -> None:
        """Write the contact off the GUI thread; the dialog closes once it has landed."""
        if self._saves.running:
            return
        db, patient_id = self.db, self.entry.patient.id
        outcome, actor = self.outcome.currentData(), config.current_user()
        day, note = self.on.date().toPython(), self.note.text()

        def work(_control: TaskControl) -> ContactAttempt:
            from needlelog.services import recall

            return recall.log_contact(
                db,
                patient_id,
                outcome,
                actor,
                contacted_on=day,
                note=note,  # type: ignore[arg-type]
            )

        self.save_button.setEnabled(False)
        self.error.hide()
        self._saves.start(work, self._saved, self._refused)

    def _saved(self, attempt: ContactAttempt) -> None:
        self.saved = attempt
        self.accept()

    def _refused(self, exc: BaseException, trace: str) -> None:
        if isinstance(exc, InvalidRecord | NotFound | StoreError):
            self._say(f"Not saved: {exc}", ERROR_STYLE)
        else:
            self.error.hide()
            show_failure(self, exc, trace, "Logging the contact")

    def _say(self, text: str, style: str) -> None:
        self.error.setStyleSheet(style)
        self.error.setText(text)
        self.error.show()


class RecallPanel(QFrame):
    """Below the due list: the chosen patient's phone and email, their contact log, and
    the actions of reception."""

    contact_logged = Signal(object)  # the ContactAttempt
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recallPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.db: Database | None = None
        self.entry: DueEntry | None = None
        self.reach = QLabel("Choose a patient in the list to see how to reach them.")
        self.reach.setObjectName("recallReach")
        self.reach.setWordWrap(True)
        self.reach.setTextFormat(Qt.TextFormat.RichText)
        self.reach.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reach.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute)
        self.log_button = QPushButton("&Log contact…")
        self.log_button.setObjectName("logContact")
        self.log_button.setToolTip("Called, message left, booked or declined, with a note")
        self.log_button.setEnabled(False)
        self.log_button.clicked.connect(self.log_contact)
        self.export_button = QPushButton("E&xport list…")
        self.export_button.setObjectName("exportRecall")
        self.export_button.setToolTip("The due list as CSV, for a text-message service")
        self.export_button.clicked.connect(self.export_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.log_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.reach)
        layout.addLayout(buttons)

    def show_entry(self, entry: DueEntry | None) -> None:
        self.entry = entry
        self.log_button.setEnabled(entry is not None and self.db is not None)
        if entry is None:
            self.reach.setText("Choose a patient in the list to see how to reach them.")
            return
        data = entry.patient.data
        # The name isolated, so a right-to-left name does not turn the line around.
        parts = [f"\u200e<b>\u2068{escape(entry.patient.full_name)}\u2069</b>"]
        parts.append(escape(data.phone) if data.phone else "<i>no phone</i>")
        parts.append(escape(data.email) if data.email else "<i>no email</i>")
        text = " · ".join(parts)
        contact = entry.last_contact
        if contact is not None:
            last = (
                f"Last contact: {contact.outcome.label.lower()} on {fmt.day(contact.contacted_on)}"
            )
            if contact.note:
                last += f" — {contact.note}"
            text += "<br/>" + escape(last)
        self.reach.setText(text)

    def log_contact(self) -> ContactDialog | None:
        """Open the log dialog (window-modal, not blocking the event loop)."""
        if self.entry is None or self.db is None:
            return None
        dialog = ContactDialog(self.db, self.entry, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done() -> None:
            if dialog.saved is not None:
                self.contact_logged.emit(dialog.saved)

        dialog.accepted.connect(done)
        dialog.open()
        return dialog


def export_due_list(parent: QWidget | None, entries: list[DueEntry]) -> Path | None:
    """Ask where, then write the due list as CSV (all of it, or nothing)."""
    from needlelog.exchange.recall_list import write_csv

    if not entries:
        QMessageBox.information(parent, "Nothing to export", "Nobody is due at the moment.")
        return None
    suggestion = f"due-list-{clock.today().isoformat()}.csv"
    path, _filter = QFileDialog.getSaveFileName(parent, "Export due list", suggestion, CSV_FILTER)
    if not path:
        return None
    out = Path(path)
    if out.suffix.lower() != ".csv":
        out = out.with_name(out.name + ".csv")
    try:
        write_csv(entries, out)
    except OSError as exc:
        QMessageBox.warning(parent, "The list could not be saved", str(exc))
        return None
    return out
