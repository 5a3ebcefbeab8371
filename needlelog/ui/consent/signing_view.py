"""The signing view: the patient reads the consent text, answers each photo use and
signs; the witness is the one signed in (or, without accounts, the practitioner named).

Sign stays inactive until the text has been scrolled to its end, every photo use is
answered yes or no (none is answered for the patient) and the pad holds a signature.
The checksum of the exact text shown goes with the signature, so the records refuse a
text that changed under the patient. A refusal is said in the view; nothing entered
is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.consent import ConsentKind, text_sha256
from needlelog.domain.photos import PhotoUse
from needlelog.domain.signing import PRACTITIONER, Signer
from needlelog.ui.background import TaskControl, run_task
from needlelog.ui.consent.refusals import refusal_words
from needlelog.ui.consent.signature_pad import SignaturePad

if TYPE_CHECKING:
    from needlelog.domain.consent import Consent, TemplateVersion
    from needlelog.store.database import Database

READ_TO_END = "Scroll the text to its end to sign."
ANSWER_EACH = "Answer yes or no for each use of the photographs."
SIGN_IN_PAD = "Sign in the box above."
NAME_WITNESS = "Name the practitioner who witnesses the signature."
READY = "Ready to sign."


def language_name(code: str) -> str:
    """A language's name with its code ("German (de)"), for the language choice."""
    locale = QLocale(code)
    if locale.language() == QLocale.Language.C:
        return code
    return f"{QLocale.languageToString(locale.language())} ({code})"


@dataclass(frozen=True)
class Witness:
    """Who witnesses: the signed-in account (fixed), or, without accounts, a
    practitioner the view asks to be named (``fixed`` False)."""

    signer: Signer
    fixed: bool

    @classmethod
    def current(cls, practitioner: str = "") -> Witness:
        from needlelog.services import access

        account = access.current()
        if account is not None:
            name = account.display_name or account.name
            return cls(Signer(name, account.role.value, account.id), fixed=True)
        return cls(Signer(practitioner.strip(), PRACTITIONER), fixed=False)


class PhotoAnswers(QWidget):
    """One yes/no per photo use, none chosen until the patient answers."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        self.groups: dict[PhotoUse, QButtonGroup] = {}
        self.yes: dict[PhotoUse, QRadioButton] = {}
        self.no: dict[PhotoUse, QRadioButton] = {}
        for row, use in enumerate(PhotoUse):
            label = QLabel(use.label)
            yes, no = QRadioButton("Yes"), QRadioButton("No")
            yes.setObjectName(f"yes_{use.value}")
            no.setObjectName(f"no_{use.value}")
            yes.setAccessibleName(f"{use.label}: yes")
            no.setAccessibleName(f"{use.label}: no")
            group = QButtonGroup(self)
            group.addButton(yes)
            group.addButton(no)
            group.buttonToggled.connect(lambda *_: self.changed.emit())
            self.groups[use], self.yes[use], self.no[use] = group, yes, no
            grid.addWidget(label, row // 2, (row % 2) * 4)
            grid.addWidget(yes, row // 2, (row % 2) * 4 + 1)
            grid.addWidget(no, row // 2, (row % 2) * 4 + 2)
        grid.setColumnMinimumWidth(3, 24)
        grid.setColumnStretch(7, 1)

    def unanswered(self) -> list[PhotoUse]:
        return [use for use, group in self.groups.items() if group.checkedButton() is None]

    def answers(self) -> tuple[tuple[PhotoUse, bool], ...]:
        """Every use with its answer (only once all are answered)."""
        return tuple((use, self.yes[use].isChecked()) for use in PhotoUse)


class SigningView(QDialog):
    """Read, answer, sign. ``versions``: the template's latest version in each language
    the clinic keeps (the first is shown first); ``signed`` carries the stored consent."""

    signed = Signal(object)  # Consent

    def __init__(
        self,
        db: Database,
        patient_id: int,
        patient_name: str,
        versions: Sequence[TemplateVersion],
        witness: Witness,
        parent: QWidget | None = None,
        *,
        language: str = "",
    ) -> None:
        super().__init__(parent)
        if not versions:
            raise ValueError("a signing view needs at least one template version")
        self.db, self.patient_id = db, patient_id
        self.versions = list(versions)
        self.witness = witness
        self.kind = self.versions[0].kind
        self.consent: Consent | None = None
        self._signing = False
        self._read_to_end = False
        self._switching = False
        self.setObjectName("signingView")
        what = "Photo consent" if self.kind is ConsentKind.PHOTO else "Treatment consent"
        self.setWindowTitle(f"{what} — {patient_name}")

        title = self.title = QLabel()
        title_font = QFont(self.font())
        title_font.setPointSizeF(self.font().pointSizeF() * 1.3)
        title_font.setBold(True)
        title.setFont(title_font)
        title.setWordWrap(True)
        self.version_label = QLabel()
        self.version_label.setStyleSheet("color:#5f6670;")
        self.language = QComboBox()
        self.language.setObjectName("consentLanguage")
        self.language.setAccessibleName("The patient's language")
        for version in self.versions:
            self.language.addItem(language_name(version.language), version.id)
        self.language.setEnabled(len(self.versions) > 1)
        self.language.currentIndexChanged.connect(self._show_version)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(QLabel("Language:"))
        top.addWidget(self.language)

        self.text_view = QTextBrowser()
        self.text_view.setObjectName("consentText")
        self.text_view.setOpenLinks(False)
        # Read with the keyboard too: arrows, Page Down, Ctrl+End move through the text.
        self.text_view.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.text_view.setAccessibleName("Consent text")
        reading = QFont(self.font())
        reading.setPointSizeF(self.font().pointSizeF() * 1.1)
        self.text_view.setFont(reading)
        self.text_view.setMinimumHeight(140)
        bar = self.text_view.verticalScrollBar()
        bar.valueChanged.connect(lambda _v: self._check_read())
        bar.rangeChanged.connect(lambda _a, _b: self._check_read())
        # A text that fits without scrolling is read once it is laid out at its width.
        self.text_view.viewport().installEventFilter(self)

        self.answers = PhotoAnswers()
        self.answers.changed.connect(self._judge)
        answers_box = self.answers_box = QFrame()
        answers_box.setObjectName("photoAnswers")
        answers_layout = QVBoxLayout(answers_box)
        answers_layout.setContentsMargins(0, 4, 0, 4)
        answers_title = QLabel("The patient agrees that their photographs are:")
        answers_title.setStyleSheet("font-weight:600;")
        answers_layout.addWidget(answers_title)
        answers_layout.addWidget(self.answers)
        answers_box.setVisible(self.kind is ConsentKind.PHOTO)

        self.pad = SignaturePad()
        self.pad.changed.connect(self._judge)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearSignature")
        self.clear_button.setToolTip("Wipe the signature and sign again")
        self.clear_button.setAutoDefault(False)
        self.clear_button.clicked.connect(self.pad.clear)
        pad_side = QVBoxLayout()
        pad_side.addStretch(1)
        pad_side.addWidget(self.clear_button)
        pad_row = QHBoxLayout()
        pad_row.addWidget(self.pad, 1)
        pad_row.addLayout(pad_side)

        self.witness_name = QComboBox()
        self.witness_name.setObjectName("witnessName")
        self.witness_name.setEditable(True)
        self.witness_name.setAccessibleName("Witness")
        self.witness_label = QLabel()
        self.witness_label.setObjectName("witnessLabel")
        witness_row = QHBoxLayout()
        witness_row.addWidget(QLabel("Witness:"))
        if witness.fixed:
            self.witness_label.setText(f"<b>{_escape(witness.signer.name)}</b> (signed in)")
            witness_row.addWidget(self.witness_label, 1)
            self.witness_name.hide()
        else:
            self.witness_name.setEditText(witness.signer.name)
            self.witness_name.lineEdit().setPlaceholderText("the practitioner present")
            self.witness_name.editTextChanged.connect(lambda _t: self._judge())
            self.witness_name.setMinimumContentsLength(28)
            witness_row.addWidget(self.witness_name)
            witness_row.addStretch(1)
            self.witness_label.hide()

        self.note = QLabel()
        self.note.setObjectName("signingNote")
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("signingError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#9B1C1C;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.sign_button = QPushButton("Sign")
        self.sign_button.setObjectName("signConsent")
        self.sign_button.setAutoDefault(False)
        self.sign_button.setEnabled(False)
        self.sign_button.clicked.connect(self.sign)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sign_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.version_label)
        layout.addWidget(self.text_view, 1)
        layout.addWidget(answers_box)
        pad_title = QLabel("The patient signs here:")
        pad_title.setStyleSheet("font-weight:600;")
        layout.addWidget(pad_title)
        layout.addLayout(pad_row)
        layout.addLayout(witness_row)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._fit_to_screen()

        start = next((i for i, v in enumerate(self.versions) if v.language == language), 0)
        self.language.setCurrentIndex(start)
        self._show_version(start)

    def set_practitioners(self, names: Sequence[str]) -> None:
        """Names to pick the witness from (without accounts); the typed one stays."""
        typed = self.witness_name.currentText()
        self.witness_name.clear()
        self.witness_name.addItems(list(names))
        self.witness_name.setEditText(typed)

    def _fit_to_screen(self) -> None:
        screen = self.screen().availableGeometry()
        width = min(980, max(720, screen.width() - 80))
        height = min(860, max(560, screen.height() - 60))
        self.resize(width, height)

    # --- the text --------------------------------------------------------------------
    @property
    def version(self) -> TemplateVersion:
        return self.versions[max(self.language.currentIndex(), 0)]

    def _show_version(self, index: int) -> None:
        version = self.versions[max(index, 0)]
        self._shown_text = version.text
        self._read_to_end = False
        self.title.setText(version.title)
        self.version_label.setText(
            f"Version {version.version} · {language_name(version.language)} · "
            f"checksum {version.sha256[:12]}…"
        )
        self._switching = True  # the old text's scroll position says nothing of this one
        try:
            self.text_view.setPlainText(version.text)
            self.text_view.verticalScrollBar().setValue(0)
        finally:
            self._switching = False
        self._judge()
        QTimer.singleShot(0, self, self._check_read)

    @property
    def shown_text(self) -> str:
        """The exact text the patient is reading (what the checksum is made of)."""
        return self._shown_text

    def _check_read(self) -> None:
        if self._read_to_end or self._switching:
            return
        view = self.text_view
        if not view.isVisible() or view.viewport().height() <= 0:
            return
        bar = view.verticalScrollBar()
        if bar.maximum() > 0:
            # The last line in view: the document's bottom margin may stay below it.
            slack = int(view.document().documentMargin()) + view.fontMetrics().lineSpacing() // 2
            reached = bar.value() >= bar.maximum() - slack
        else:  # the whole text fits: read once it is laid out at the view's width
            document = view.document()
            laid_out = abs(document.textWidth() - view.viewport().width()) < 2
            reached = laid_out and document.size().height() <= view.viewport().height()
        if reached:
            self._read_to_end = True
            self._judge()

    @property
    def read_to_end(self) -> bool:
        return self._read_to_end

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.text_view.viewport():
            QTimer.singleShot(0, self, self._check_read)
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self, self._check_read)

    # --- judging -----------------------------------------------------------------------
    def missing(self) -> list[str]:
        """What still stops signing, in the order the patient meets it."""
        out = []
        if not self._read_to_end:
            out.append(READ_TO_END)
        if self.kind is ConsentKind.PHOTO and self.answers.unanswered():
            out.append(ANSWER_EACH)
        if self.pad.is_empty():
            out.append(SIGN_IN_PAD)
        if not self.witness.fixed and not self.witness_name.currentText().strip():
            out.append(NAME_WITNESS)
        return out

    def _judge(self) -> None:
        missing = self.missing()
        self.sign_button.setEnabled(not missing and not self._signing)
        self.note.setStyleSheet("color:#5f6670;" if missing else "color:#1d4f2a;")
        self.note.setText(" ".join(missing) if missing else READY)

    # --- signing -----------------------------------------------------------------------
    def sign(self) -> None:
        if self._signing or self.missing():
            return
        from needlelog.services import consents

        db, patient_id, version = self.db, self.patient_id, self.version
        answers = self.answers.answers() if self.kind is ConsentKind.PHOTO else ()
        signature = self.pad.signature()
        witness = self.witness.signer
        if not self.witness.fixed:
            witness = Signer(self.witness_name.currentText().strip(), PRACTITIONER)
        shown = text_sha256(self.shown_text)

        def work(_control: TaskControl) -> Consent:
            return consents.sign(db, patient_id, version.id, answers, signature, witness, shown)

        self._signing = True
        self.error.hide()
        self._judge()
        self.cancel_button.setEnabled(False)
        run_task(work, self._signed, self._refused, parent=self)

    @property
    def signing(self) -> bool:
        return self._signing

    def _signed(self, consent: Consent) -> None:
        self._signing = False
        self.consent = consent
        self.signed.emit(consent)
        self.accept()

    def _refused(self, exc: BaseException, trace: str) -> None:
        self._signing = False
        self.cancel_button.setEnabled(True)
        self._judge()
        words = refusal_words(exc)
        if words is None:
            from needlelog.ui.failures import show_failure

            self.error.setText("Not signed. The text, the answers and the signature are kept.")
            self.error.show()
            show_failure(self, exc, trace, "Signing the consent")
            return
        self.error.setText(f"Not signed: {words} The answers and the signature are kept.")
        self.error.show()

    def reject(self) -> None:
        if not self._signing:  # while signing, the outcome decides
            super().reject()


def _escape(text: str) -> str:
    from html import escape

    return escape(text)
