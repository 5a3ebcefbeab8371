"""Clinic settings: the letterhead and aftercare advice printed on reports and handouts,
the clinic's backup key (the age public key that backups are encrypted to), the
clinic's protocol (depth ranges per area, course timing, screening windows) and its
consent forms and consent setting (``ui.consent.templates_tab``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QImageReader
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.protocol import DEFAULT_PROTOCOL, Protocol
from needlelog.exchange import encryption as age
from needlelog.services import settings
from needlelog.services.errors import InvalidConsent
from needlelog.services.settings import DEFAULT_AFTERCARE, ClinicInfo
from needlelog.store.database import Database
from needlelog.store.errors import StoreError
from needlelog.ui.background import WAITING_TEXT, OneAtATime
from needlelog.ui.consent.templates_tab import TemplatesTab
from needlelog.ui.form_widgets import sentence
from needlelog.ui.photos.protocol_tab import PhotoSettingsTab
from needlelog.ui.protocol_editor import ProtocolEditor

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg)"


@dataclass(frozen=True)
class ClinicSettings:
    clinic: ClinicInfo
    aftercare: str
    backup_keys: tuple[str, ...] = ()
    protocol: Protocol = DEFAULT_PROTOCOL


def read_clinic_settings(db: Database) -> ClinicSettings:
    """What the dialog opens with (read off the GUI thread before it opens)."""
    return ClinicSettings(
        settings.get_clinic(db),
        settings.get_aftercare(db),
        tuple(age.clinic_recipients(db)),
        settings.get_protocol(db),
    )


class ClinicSettingsDialog(QDialog):
    """Edit the letterhead (name, address, phone, email, logo, confidentiality line)
    and the aftercare advice; saved with the clinic's data, so every PC prints the same."""

    def __init__(
        self, db: Database, current: ClinicSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinic settings")
        self.resize(860, 640)
        self._db = db
        self._saves = OneAtATime(self)
        self._saves.ended.connect(self._save_ended)
        clinic = current.clinic

        self.name = QLineEdit(clinic.name)
        self.address = QPlainTextEdit(clinic.address)
        self.address.setFixedHeight(64)
        self.phone = QLineEdit(clinic.phone)
        self.email = QLineEdit(clinic.email)
        self.logo = QLineEdit(clinic.logo_path)
        self.logo.setPlaceholderText("No logo: the clinic name stands alone")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_logo)
        clear = QPushButton("Remove")
        clear.clicked.connect(self.logo.clear)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo, 1)
        logo_row.addWidget(choose)
        logo_row.addWidget(clear)
        self.confidentiality = QLineEdit(clinic.confidentiality)
        self._saved_keys = list(current.backup_keys)
        self.backup_key = QLineEdit(" ".join(self._saved_keys))
        self.backup_key.setPlaceholderText("age1… (none: daily backups are not encrypted)")
        self.backup_key.setToolTip(
            "The public key printed by age-keygen. Backups are encrypted to it; its secret key "
            "opens them and belongs off this PC (a USB stick in a safe, the owner's laptop). "
            "Several keys: separate them with spaces."
        )
        self.aftercare = QPlainTextEdit(current.aftercare)
        default = QPushButton("Use the standard advice")
        default.clicked.connect(lambda: self.aftercare.setPlainText(DEFAULT_AFTERCARE))

        form = QFormLayout()
        form.addRow("Clinic name", self.name)
        form.addRow("Address", self.address)
        form.addRow("Phone", self.phone)
        form.addRow("Email", self.email)
        form.addRow("Logo", logo_row)
        form.addRow("Confidentiality line", self.confidentiality)
        self.backup_key.setCursorPosition(0)
        form.addRow("Backup key", self.backup_key)
        key_hint = QLabel(
            "The public key from age-keygen. Backups are encrypted to it, the daily one too; "
            "its secret key opens them and belongs off this PC. Without a key, daily backups "
            "are not encrypted."
        )
        key_hint.setWordWrap(True)
        key_hint.setStyleSheet("color: #555555")
        form.addRow("", key_hint)
        hint = QLabel("Aftercare advice, one point per line (printed on reports and handouts):")
        hint.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #9B1C1C")
        self.error.setWordWrap(True)
        self.error.hide()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        letterhead = QWidget()
        page = QVBoxLayout(letterhead)
        page.addLayout(form)
        page.addWidget(hint)
        page.addWidget(self.aftercare, 1)
        default_row = QHBoxLayout()
        default_row.addStretch(1)
        default_row.addWidget(default)
        page.addLayout(default_row)
        self.protocol_editor = ProtocolEditor(current.protocol)
        self.tabs = QTabWidget()
        self.tabs.addTab(letterhead, "&Letterhead and aftercare")
        self.tabs.addTab(self.protocol_editor, "&Protocol")
        self.tabs.addTab(PhotoSettingsTab(db), "P&hotographs")
        self.consent_tab = TemplatesTab(db)
        self.tabs.addTab(self.consent_tab, "&Consent forms")

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        self.waiting_note = QLabel(WAITING_TEXT)
        self.waiting_note.hide()
        self._saves.waiting.connect(self.waiting_note.show)
        layout.addWidget(self.waiting_note)
        layout.addWidget(buttons)

    def _choose_logo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose the clinic logo", self.logo.text(), IMAGE_FILTER
        )
        if path:
            self.logo.setText(path)

    def info(self) -> ClinicInfo:
        return ClinicInfo(
            name=self.name.text().strip(),
            address=self.address.toPlainText().strip(),
            phone=self.phone.text().strip(),
            email=self.email.text().strip(),
            logo_path=self.logo.text().strip(),
            confidentiality=self.confidentiality.text().strip(),
        )

    def problem(self) -> str | None:
        """What stops saving, in words for the user; None when all is well."""
        info = self.info()
        if not info.name:
            return "Clinic name is required: it heads every report."
        if info.logo_path:
            logo = Path(info.logo_path)
            if not logo.is_file():
                return f"The logo file {logo.name} was not found; choose it again or remove it."
            if QImageReader(str(logo)).format().data().decode() not in ("png", "jpeg", "jpg"):
                return f"{logo.name} is not a PNG or JPEG image."
        if not info.confidentiality:
            return "The confidentiality line is required: it is printed on every page."
        if not self.aftercare.toPlainText().strip():
            return "Aftercare advice is empty; write it or use the standard advice."
        try:
            age.parse_recipients(age.split_keys(self.backup_key.text()))
        except age.KeyProblem as exc:
            return f"Backup key: {exc}."
        consent = self.consent_tab.problem()
        if consent is not None:
            self.tabs.setCurrentWidget(self.consent_tab)
        return consent

    @property
    def saving(self) -> bool:
        """Whether a save is on its way to the database."""
        return self._saves.running

    def accept(self) -> None:
        """Save off the GUI thread; the dialog closes once the settings are stored."""
        if self._saves.running:
            return
        problem = self.problem()
        if problem is not None:
            self.error.setText(problem)
            self.error.show()
            return
        db, info, aftercare = self._db, self.info(), self.aftercare.toPlainText()
        protocol = self.protocol_editor.protocol()
        actor = config.current_user()
        keys = age.split_keys(self.backup_key.text())
        new_keys = keys if keys != self._saved_keys else None
        consent_work = self.consent_tab.save_work()

        def save(_control: object) -> None:
            settings.set_clinic_and_aftercare(db, info, aftercare, actor, protocol)
            if new_keys is not None:
                age.set_clinic_recipients(db, new_keys, actor)
            if consent_work is not None:
                consent_work()

        self.save_button.setEnabled(False)
        self._saves.start(save, self._saved, self._refused)

    def _save_ended(self) -> None:
        self.waiting_note.hide()
        self.save_button.setEnabled(True)

    def _saved(self, _result: object) -> None:
        super().accept()

    def _refused(self, exc: BaseException, _trace: str) -> None:
        if isinstance(exc, InvalidRecord):
            # A protocol (or a consent form or setting) the domain refuses: every reason,
            # under the tabs, on the page concerned; nothing saved.
            consent = isinstance(exc, InvalidConsent) or any(
                v.field.startswith("consent") for v in exc.violations
            )
            self.tabs.setCurrentWidget(self.consent_tab if consent else self.protocol_editor)
            self.error.setText(" ".join(sentence(v.message) for v in exc.violations))
            self.error.show()
            return
        if not isinstance(exc, StoreError):
            raise exc
        QMessageBox.warning(self, "Settings not saved", str(exc))

    def reject(self) -> None:
        if not self._saves.running:  # while saving, the outcome decides
            super().reject()
