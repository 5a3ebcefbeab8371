"""Record a consent signed on paper: the form and version the patient signed, the
day, the photo answers (photo consent), the witness and the scan (PDF, JPEG or PNG),
kept with the consent and marked as signed on paper."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.consent import ConsentKind, TemplateVersion
from needlelog.domain.signing import PRACTITIONER, Signer
from needlelog.ui.background import TaskControl
from needlelog.ui.consent.refusals import refusal_words
from needlelog.ui.consent.signing_view import PhotoAnswers, Witness, language_name
from needlelog.ui.consent.storing_dialog import StoringDialog
from needlelog.ui.form_widgets import OptionalDateEdit

if TYPE_CHECKING:
    from needlelog.domain.consent import Consent
    from needlelog.store.database import Database

SCAN_FILTER = "Scanned consent (*.pdf *.jpg *.jpeg *.png)"
SCAN_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png"}


class PaperConsentDialog(StoringDialog):
    """Attach the scan of a paper consent; stored off the GUI thread."""

    recorded = Signal(object)  # Consent
    ACTION = "Recording the paper consent"
    NOT_STORED = "The paper consent was not recorded."
    REFUSED = "Not recorded: {words} Nothing you entered is lost."

    def __init__(
        self,
        db: Database,
        patient_id: int,
        versions: Sequence[TemplateVersion],
        witness: Witness,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("paperConsent")
        self.setWindowTitle("Record a paper consent")
        self.db, self.patient_id, self.today = db, patient_id, today
        self.versions = list(versions)
        self.witness = witness
        self.form = QComboBox()
        self.form.setObjectName("paperForm")
        for v in self.versions:
            self.form.addItem(
                f"{v.kind.label}: {v.title} · {language_name(v.language)} · version {v.version}",
                v.id,
            )
        self.form.currentIndexChanged.connect(self._form_changed)
        self.day = OptionalDateEdit(start=today)
        self.day.setObjectName("paperSignedOn")
        self.day.set_value(today)
        self.scan = QLineEdit()
        self.scan.setObjectName("paperScan")
        self.scan.setPlaceholderText("The scanned, signed form: PDF, JPEG or PNG")
        choose = QPushButton("Choose…")
        choose.setAutoDefault(False)
        choose.clicked.connect(self._choose)
        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan, 1)
        scan_row.addWidget(choose)
        self.witness_name = QLineEdit(witness.signer.name)
        self.witness_name.setObjectName("paperWitness")
        self.witness_name.setReadOnly(witness.fixed)
        self.answers = PhotoAnswers()
        self.answers_label = QLabel("Answers on the form")
        form = QFormLayout()
        form.addRow("Form signed", self.form)
        form.addRow("Signed on", self.day)
        form.addRow("Scan", scan_row)
        form.addRow("Witness", self.witness_name)
        form.addRow(self.answers_label, self.answers)
        intro = QLabel(
            "Choose the form and version printed on the paper the patient signed; the "
            "scan is kept with the consent, which is marked as signed on paper."
        )
        intro.setWordWrap(True)
        self.save_button = self._error_and_buttons(
            "paperError", QDialogButtonBox.StandardButton.Save
        )
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._form_changed(self.form.currentIndex())
        self.resize(720, self.sizeHint().height())

    @property
    def version(self) -> TemplateVersion | None:
        index = self.form.currentIndex()
        return self.versions[index] if 0 <= index < len(self.versions) else None

    def _form_changed(self, _index: int) -> None:
        v = self.version
        photo = v is not None and v.kind is ConsentKind.PHOTO
        self.answers.setVisible(photo)
        self.answers_label.setVisible(photo)

    def _choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose the scanned consent", self.scan.text(), SCAN_FILTER
        )
        if path:
            self.scan.setText(path)

    def problem(self) -> str | None:
        v = self.version
        if v is None:
            return "The clinic has no consent form yet: add one in Clinic settings."
        day = self.day.value()
        if day is None:
            return "Choose the day the patient signed the paper form."
        if day > self.today:
            return "The day signed is in the future; choose the day the patient signed."
        text = self.scan.text().strip()
        if not text:
            return "Choose the scan of the signed form (PDF, JPEG or PNG)."
        scan = Path(text)
        if not scan.is_file():
            return f"The scan {scan.name} was not found; choose it again."
        if scan.suffix.lower() not in SCAN_SUFFIXES:
            return f"{scan.name} is not a PDF, JPEG or PNG file."
        if v.kind is ConsentKind.PHOTO and self.answers.unanswered():
            return "Answer yes or no for each use of the photographs, as on the form."
        if not self.witness_name.text().strip():
            return "Name the practitioner who witnessed the signature."
        return None

    def accept(self) -> None:
        if self._saving:
            return
        problem = self.problem()
        if problem is not None:
            self._say(problem)
            return
        version = self.version
        assert version is not None
        db, patient_id = self.db, self.patient_id
        answers = self.answers.answers() if version.kind is ConsentKind.PHOTO else ()
        scan = Path(self.scan.text().strip())
        day = self.day.value()
        witness = self.witness.signer
        if not self.witness.fixed:
            witness = Signer(self.witness_name.text().strip(), PRACTITIONER)

        def work(_control: TaskControl) -> Consent:
            from needlelog.services import consents

            return consents.record_paper(db, patient_id, version.id, answers, scan, day, witness)  # type: ignore[arg-type]

        self._store(work, self.save_button)

    def _hand_on(self, consent: Consent) -> None:
        self.recorded.emit(consent)

    def _refusal(self, exc: BaseException) -> str | None:
        words = refusal_words(exc)
        if words is None and isinstance(exc, OSError):
            words = f"The scan could not be read ({exc.strerror or exc})."
        return words
