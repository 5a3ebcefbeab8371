"""The patient record's consent lines: whether a treatment consent covers today (and
until when, or for this course), which photo uses the patient agreed to and where
that answer comes from, and the consent actions (sign on screen, record a paper
consent, withdraw, save a consent's PDF). Read off the GUI thread with the record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape as _escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QWidget,
)

from needlelog.domain.accounts import Permission
from needlelog.domain.consent import Consent, ConsentKind, ConsentPolicy, ConsentStatus
from needlelog.domain.course import months_later
from needlelog.domain.photos import PhotoUse, PhotoUses
from needlelog.services import clock
from needlelog.ui import formatting as fmt
from needlelog.ui.background import LatestOnly, TaskControl, run_task
from needlelog.ui.consent.refusals import refusal_words
from needlelog.ui.consent.signing_flow import open_signing
from needlelog.ui.consent.withdraw_dialog import consent_line

if TYPE_CHECKING:
    from needlelog.domain.records import Patient
    from needlelog.store.database import Database

VALID_STYLE = "color:#1d4f2a;"
MISSING_STYLE = "color:#8c1d18;"
PDF_FILTER = "PDF documents (*.pdf)"


def escape(text: str) -> str:
    """Text inside the rich-text lines (apostrophes stay as typed)."""
    return _escape(text, quote=False)


def build_consent_pdf(db: Database, consent_id: int, out_path: Path) -> Any:
    """The consent document (ReportLab is loaded on first use, not at start)."""
    from needlelog.reports.consent_document import build_consent_pdf as build

    return build(db, consent_id, out_path)


@dataclass(frozen=True)
class ConsentView:
    """A patient's consents as the record shows them."""

    patient_id: int
    consents: list[Consent]
    status: ConsentStatus
    uses: PhotoUses
    policy: ConsentPolicy
    today: date


def read_consent_view(db: Database, patient_id: int, today: date) -> ConsentView:
    """Runs on a worker thread."""
    from needlelog.services import consents, photos

    return ConsentView(
        patient_id,
        consents.for_patient(db, patient_id),
        consents.treatment_status(db, patient_id, today),
        photos.uses(db, patient_id),
        consents.policy(db),
        today,
    )


def treatment_line(view: ConsentView) -> tuple[str, bool]:
    """The treatment consent's line (HTML) and whether it covers today."""
    consent = view.status.consent
    if consent is not None:
        how = "on paper" if consent.signature is None else "on screen"
        if view.policy.valid_months is not None:
            until = months_later(consent.signed_on, view.policy.valid_months)
            span = f"valid until {fmt.day(until)}"
        else:
            span = "valid for this course"
        return (
            f"<b>Treatment consent:</b> signed {how} on {fmt.day(consent.signed_at)}, "
            f"{span} (version {consent.template.version}, witness {escape(consent.witness)}).",
            True,
        )
    if not view.policy.required:
        return (
            "<b>Treatment consent:</b> none valid today; the clinic's setting does not "
            "require one before a session.",
            True,
        )
    why = view.status.why_not or "No treatment consent is valid today."
    return f"<b>Treatment consent:</b> {escape(why)}", False


def photo_line(uses: PhotoUses) -> str:
    """The photo uses agreed and not agreed, and where the answer comes from (HTML)."""
    yes = [u.label.lower() for u in PhotoUse if uses.allows(u)]
    no = [u.label.lower() for u in PhotoUse if not uses.allows(u)]
    parts = []
    if yes:
        parts.append("agreed: " + ", ".join(yes))
    if no:
        parts.append("not agreed: " + ", ".join(no))
    return f"<b>Photo uses</b> {escape('; '.join(parts))}. {escape(uses.summary)}"


class ConsentPanel(QFrame):
    """Consent at a glance on the patient record, with its actions."""

    consents_changed = Signal()  # a consent was signed, recorded or withdrawn
    read_failed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consentPanel")
        self.setStyleSheet(
            "#consentPanel { background:#f6f8fa; border:1px solid #dde3ea; border-radius:3px; }"
        )
        self.db: Database | None = None
        self.patient: Patient | None = None
        self.view: ConsentView | None = None
        self._reads = LatestOnly(self)
        self._reads.answered.connect(self._show)
        self._reads.failed.connect(lambda exc, _t: self.read_failed.emit(exc))

        self.treatment = QLabel()
        self.treatment.setObjectName("treatmentConsent")
        self.treatment.setWordWrap(True)
        self.treatment.setTextFormat(Qt.TextFormat.RichText)
        self.treatment.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.photo = QLabel()
        self.photo.setObjectName("photoConsent")
        self.photo.setWordWrap(True)
        self.photo.setTextFormat(Qt.TextFormat.RichText)
        self.photo.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.photo.setStyleSheet("color:#3c4043;")

        self.sign_treatment_button = QPushButton("Sign treatment consent…")
        self.sign_treatment_button.setObjectName("signTreatmentConsent")
        self.sign_treatment_button.setToolTip("The patient reads and signs on this screen")
        self.sign_treatment_button.clicked.connect(lambda: self.sign(ConsentKind.TREATMENT))
        self.sign_photo_button = QPushButton("Sign photo consent…")
        self.sign_photo_button.setObjectName("signPhotoConsent")
        self.sign_photo_button.setToolTip(
            "The patient answers each use of their photographs and signs on this screen"
        )
        self.sign_photo_button.clicked.connect(lambda: self.sign(ConsentKind.PHOTO))
        self.more_button = QToolButton()
        self.more_button.setObjectName("moreConsent")
        self.more_button.setText("More")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.more_button)
        self.paper_action = menu.addAction("Record a paper consent…")
        self.paper_action.triggered.connect(self.record_paper)
        self.withdraw_action = menu.addAction("Withdraw…")
        self.withdraw_action.triggered.connect(lambda: self.withdraw(None))
        self.pdf_action = menu.addAction("Save consent PDF…")
        self.pdf_action.triggered.connect(lambda: self.save_pdf(None))
        self.more_button.setMenu(menu)

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.sign_treatment_button)
        buttons.addWidget(self.sign_photo_button)
        buttons.addWidget(self.more_button)
        # The buttons beside the treatment line; the photo line has the whole width.
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setVerticalSpacing(2)
        layout.addWidget(self.treatment, 0, 0)
        layout.addLayout(buttons, 0, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.photo, 1, 0, 1, 2)
        layout.setColumnStretch(0, 1)
        self._enable()

    # --- reading -----------------------------------------------------------------------
    def show_patient(self, db: Database | None, patient: Patient | None) -> None:
        changed = patient is None or self.patient is None or patient.id != self.patient.id
        self.db, self.patient = db, patient
        if changed:
            self.view = None
            self.treatment.setText("<b>Treatment consent:</b> reading…")
            self.treatment.setStyleSheet("")
            self.photo.setText("")
        self._enable()
        if db is None or patient is None:
            self._reads.supersede()
            return
        self.reload()

    def reload(self) -> None:
        db, patient = self.db, self.patient
        if db is None or patient is None:
            return
        today = clock.today()
        self._reads.request(lambda: read_consent_view(db, patient.id, today))

    @property
    def pending(self) -> bool:
        return self._reads.pending

    def _show(self, view: ConsentView) -> None:
        if self.patient is None or view.patient_id != self.patient.id:
            return
        self.view = view
        text, ok = treatment_line(view)
        self.treatment.setText(text)
        self.treatment.setStyleSheet(VALID_STYLE if ok else MISSING_STYLE)
        self.photo.setText(photo_line(view.uses))
        self._enable()

    def _may_record(self) -> bool:
        """Whether the one working now may sign or withdraw consents (read from the
        process, not the database; the services refuse anyway)."""
        from needlelog.services import access

        account = access.current()
        return account is None or account.may(Permission.CLINICAL_WRITE)

    def _enable(self) -> None:
        ready = self.view is not None and self.patient is not None
        archived = self.patient is not None and self.patient.archived
        record = ready and self._may_record() and not archived
        for button in (self.sign_treatment_button, self.sign_photo_button):
            button.setEnabled(record)
        self.paper_action.setEnabled(record)
        open_ones = bool(self.view and any(c.withdrawal is None for c in self.view.consents))
        self.withdraw_action.setEnabled(record and open_ones)
        self.pdf_action.setEnabled(bool(ready and self.view and self.view.consents))
        self.more_button.setEnabled(ready)

    # --- actions -----------------------------------------------------------------------
    def _changed(self, _consent: object = None) -> None:
        self.reload()
        self.consents_changed.emit()

    def sign(self, kind: ConsentKind) -> None:
        if self.db is None or self.patient is None:
            return
        open_signing(
            self.window(),
            self.db,
            self.patient.id,
            self.patient.data.full_name,
            kind,
            self._changed,
        )

    def sign_photo(self) -> None:
        self.sign(ConsentKind.PHOTO)

    def record_paper(self) -> None:
        from needlelog.ui.consent.paper_dialog import PaperConsentDialog
        from needlelog.ui.consent.signing_flow import read_signing_context
        from needlelog.ui.consent.signing_view import Witness

        db, patient = self.db, self.patient
        if db is None or patient is None:
            return

        def work(_control: TaskControl) -> tuple[list[Any], str]:
            treatment = read_signing_context(db, patient.id, ConsentKind.TREATMENT)
            photo = read_signing_context(db, patient.id, ConsentKind.PHOTO)
            return treatment.versions + photo.versions, treatment.practitioner

        def show(answer: tuple[list[Any], str]) -> None:
            versions, practitioner = answer
            dialog = PaperConsentDialog(
                db, patient.id, versions, Witness.current(practitioner), clock.today(), self
            )
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.recorded.connect(self._changed)
            dialog.open()

        run_task(work, show, self._failed("Reading the consent forms"), self)

    def withdraw(self, consent_id: int | None) -> None:
        from needlelog.ui.consent.withdraw_dialog import WithdrawDialog

        if self.db is None or self.view is None:
            return
        dialog = WithdrawDialog(self.db, self.view.consents, clock.today(), self, consent_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.withdrawn.connect(self._changed)
        dialog.open()

    def pdf_choice(self) -> Consent | None:
        """The consent whose PDF is saved: the one valid today, else the latest."""
        if self.view is None or not self.view.consents:
            return None
        return self.view.status.consent or self.view.consents[0]

    def save_pdf(self, consent: Consent | None) -> None:
        from PySide6.QtWidgets import QInputDialog

        if self.db is None or self.patient is None or self.view is None:
            return
        if consent is None and len(self.view.consents) > 1:
            lines = [consent_line(c) for c in self.view.consents]
            default = self.pdf_choice()
            start = self.view.consents.index(default) if default in self.view.consents else 0
            chosen, ok = QInputDialog.getItem(
                self, "Save consent PDF", "Which consent?", lines, start, False
            )
            if not ok or chosen not in lines:
                return
            consent = self.view.consents[lines.index(chosen)]
        consent = consent or self.pdf_choice()
        if consent is None:
            return
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in self.patient.record_no)
        suggestion = f"consent-{consent.kind.value}-{safe}-{consent.signed_on.isoformat()}.pdf"
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save consent PDF", suggestion, PDF_FILTER
        )
        if not path:
            return
        out = Path(path)
        if out.suffix.lower() != ".pdf":
            out = out.with_name(out.name + ".pdf")
        db, consent_id = self.db, consent.id

        def work(_control: TaskControl) -> Path:
            build_consent_pdf(db, consent_id, out)
            return out

        def saved(where: Path) -> None:
            self.saved_pdf = where
            self._status(f"Consent PDF saved: {where.name}")

        run_task(work, saved, self._failed("Saving the consent PDF"), self)

    def _status(self, text: str) -> None:
        widget = self.parentWidget()
        while widget is not None:
            show = getattr(widget, "show_status", None)
            if callable(show):
                show(text)
                return
            widget = widget.parentWidget()

    def _failed(self, action: str) -> Callable[[BaseException, str], None]:
        def failed(exc: BaseException, trace: str) -> None:
            words = refusal_words(exc)
            if words is None and isinstance(exc, OSError):
                words = f"The file could not be written ({exc.strerror or exc})."
            if words is None:
                from needlelog.ui.failures import show_failure

                show_failure(self, exc, trace, action)
                return
            QMessageBox.warning(self, action, words)

        return failed
