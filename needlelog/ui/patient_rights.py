"""The window's actions for a patient's rights: export the complete record (subject
access request), see and export the access log (an administrator), and anonymise
once the retention period has run. Every step runs off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.records import Patient
from needlelog.services import disclosures, rights
from needlelog.services.disclosures import Access
from needlelog.services.errors import Refused
from needlelog.store.database import Database
from needlelog.ui.background import run_task
from needlelog.ui.failures import show_failure


def _refused_or_failed(parent: QWidget, what: str) -> Callable[[BaseException, str], None]:
    def failed(exc: BaseException, trace: str) -> None:
        if isinstance(exc, Refused | PermissionError):
            QMessageBox.warning(parent, what, f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        else:
            show_failure(parent, exc, trace, what)

    return failed


def export_complete_record(parent: QWidget, db: Database, patient: Patient) -> None:
    from needlelog.subject_access import export_complete_record as export

    folder = QFileDialog.getExistingDirectory(parent, "Export the complete record into folder")
    if not folder:
        return
    out = Path(folder) / f"{patient.record_no} complete record"
    run_task(
        lambda _c: export(db, patient.record_no, out),
        lambda made: QMessageBox.information(
            parent, "Complete record written",
            f"The report and the record of {patient.record_no} are in {made.folder}.",
        ),
        _refused_or_failed(parent, "Exporting the complete record"),
        parent,
    )  # fmt: skip


class AccessLogDialog(QDialog):
    def __init__(self, db: Database, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._patient = db, patient
        self.setObjectName("accessLogDialog")
        self.setWindowTitle(f"Access log — {patient.record_no}")
        layout = QVBoxLayout(self)
        self.summary = QLabel("Reading the access log…")
        layout.addWidget(self.summary)
        self.list = QListWidget()
        layout.addWidget(self.list, 1)
        self.export_button = QPushButton("Export as CSV…")
        self.export_button.clicked.connect(self._export)
        layout.addWidget(self.export_button)
        self.resize(720, 420)
        self.loaded = False
        run_task(
            lambda _c: disclosures.patient_log(db, patient.id),
            self._show,
            _refused_or_failed(self, "Reading the access log"),
            self,
        )

    def _show(self, entries: list[Access]) -> None:
        self.loaded = True
        self.summary.setText(f"{len(entries)} access(es) of this record, oldest first.")
        self.list.addItems(
            [
                f"{e.at:%Y-%m-%d %H:%M} UTC · {e.actor} · {e.described}"
                + (f" · {e.what}" if e.what else "")
                for e in entries
            ]
        )

    def _export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export the access log", f"{self._patient.record_no}-access-log.csv",
            "CSV files (*.csv)",
        )  # fmt: skip
        if not name:
            return
        db, pid = self._db, self._patient.id
        run_task(
            lambda _c: disclosures.export_patient_log(db, pid, Path(name)),
            lambda n: self.summary.setText(f"Wrote {n} access(es) to {name}."),
            _refused_or_failed(self, "Exporting the access log"),
            self,
        )


def anonymise(parent: QWidget, db: Database, patient: Patient, done: Callable[[], None]) -> None:
    answer = QMessageBox.question(
        parent,
        "Anonymise the patient",
        f"Remove the names, contact details, notes and photos of {patient.record_no} and "
        "keep only the birth year? The sessions stay as anonymous clinical history. "
        "This cannot be undone.",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return
    actor = config.current_user()
    run_task(
        lambda _c: rights.anonymise(db, patient.id, actor),
        lambda _n: done(),
        _refused_or_failed(parent, "Anonymising the patient"),
        parent,
    )
