"""Clinic settings: the certificate consent documents are signed with (PKCS#12), so
that a PDF reader shows whether a consent has been altered since it was printed.
The certificate is kept by ``services.consent_certificate`` (which says how and why);
this box loads, shows and removes it. Loading runs off the GUI thread (opening and
re-wrapping a PKCS#12 file takes a moment)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.accounts import AccessRefused, Permission
from needlelog.services import access, clock, consent_certificate
from needlelog.services.consent_certificate import CertificateInfo, CertificateProblem
from needlelog.store.database import Database
from needlelog.store.errors import StoreError
from needlelog.ui import formatting
from needlelog.ui.background import OneAtATime

FILE_FILTER = "Certificates (*.p12 *.pfx);;All files (*)"
ERROR_STYLE = "color: #9B1C1C;"


def describe(info: CertificateInfo | None) -> str:
    """What the box says about the certificate loaded on this PC."""
    if info is None:
        return (
            "No certificate on this PC: consent documents are saved unsigned. Load the "
            "clinic's certificate (.p12 or .pfx) to sign them, so that any PDF reader shows "
            "whether a consent has been altered since."
        )
    issuer = "self-signed" if info.self_signed else f"issued by {info.issuer}"
    text = (
        f"Consent documents are signed as {info.subject} ({issuer}), valid until "
        f"{formatting.day(info.not_after)}. Fingerprint (SHA-256): "
        f"{info.fingerprint[:16]}…"
    )
    if info.self_signed:
        text += (
            " A PDF reader shows whether a document was altered, but names the signer as "
            "unknown until the clinic's certificate is trusted on that computer."
        )
    return text


class CertificateBox(QGroupBox):
    """Load, show and remove this PC's consent-signing certificate."""

    changed = Signal()  # a certificate was loaded or removed

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__("Signing consent documents", parent)
        self._db = db
        self._loads = OneAtATime(self)
        self._loads.ended.connect(self._load_ended)
        self.status = QLabel()
        self.status.setObjectName("certificateStatus")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("certificateError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.load_button = QPushButton("Load certificate…")
        self.load_button.setToolTip("Choose the clinic's .p12 or .pfx file and type its password")
        self.load_button.clicked.connect(self.choose_and_load)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Save consent documents unsigned from now on")
        self.remove_button.clicked.connect(self.remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.refresh()

    @property
    def loading(self) -> bool:
        return self._loads.running

    def _allowed(self) -> bool:
        return access.may(self._db, Permission.CLINIC_SETTINGS)

    def refresh(self) -> None:
        """Show the certificate as it stands (reads two small files)."""
        try:
            info = consent_certificate.current()
        except CertificateProblem as exc:
            self.status.setText(str(exc))
            self.status.setStyleSheet(ERROR_STYLE)
            info, damaged = None, True
        else:
            problem = "" if info is None else info.problem_on(clock.utc_now())
            self.status.setText(problem or describe(info))
            self.status.setStyleSheet(ERROR_STYLE if problem else "")
            damaged = False
        allowed = self._allowed()
        self.load_button.setEnabled(allowed and not self.loading)
        self.remove_button.setEnabled(allowed and (info is not None or damaged))
        if not allowed:
            self.setToolTip("Only an administrator changes the clinic's certificate.")

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def choose_and_load(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose the clinic's certificate", "", FILE_FILTER
        )
        if not path:
            return
        password, ok = QInputDialog.getText(
            self,
            "Certificate password",
            f"The password of {Path(path).name}\n(used once to open it; never stored):",
            QLineEdit.EchoMode.Password,
        )
        if ok:
            self.load_from(Path(path), password)

    def load_from(self, path: Path, password: str) -> None:
        """Load ``path`` with ``password`` off the GUI thread; the outcome shows in the box."""
        if self._loads.running:
            return
        self.error.hide()
        self.load_button.setEnabled(False)
        db, actor = self._db, config.current_user()
        self._loads.start(
            lambda _control: consent_certificate.load(db, path, password, actor),
            self._loaded,
            self._refused,
        )

    def _load_ended(self) -> None:
        self.refresh()

    def _loaded(self, _info: object) -> None:
        self.refresh()
        self.changed.emit()

    def _refused(self, exc: BaseException, _trace: str) -> None:
        if not isinstance(exc, CertificateProblem | AccessRefused | StoreError):
            raise exc
        self._show_error(str(exc))

    def remove(self) -> None:
        self.error.hide()
        try:
            consent_certificate.remove(self._db, config.current_user())
        except (AccessRefused, StoreError, OSError) as exc:
            self._show_error(str(exc))
            return
        self.refresh()
        self.changed.emit()
