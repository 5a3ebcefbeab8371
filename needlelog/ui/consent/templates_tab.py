"""The consent forms as a page of Clinic settings: the clinic's consent texts in each
language with their versions, and the consent setting (whether a treatment consent
is required before a session, and how long it stays valid).

Every saved edit of a text is a new version; earlier versions stay readable,
unchanged, because a patient may have signed them. The page reads its own records
off the GUI thread when it opens; edits are kept per form until saved, with "Save as
new version" or with the dialog's Save, so switching forms loses nothing. Only an
administrator edits (the page is read-only for anyone else who sees it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.consent import (
    ConsentKind,
    ConsentPolicy,
    ConsentTemplate,
    TemplateVersion,
    template_problems,
)
from needlelog.ui import formatting as fmt
from needlelog.ui.background import TaskControl, run_task
from needlelog.ui.consent.certificate_box import CertificateBox
from needlelog.ui.consent.refusals import refusal_words
from needlelog.ui.consent.signing_view import language_name

if TYPE_CHECKING:
    from needlelog.store.database import Database

LOADING = "Reading the consent forms…"
MAX_VALID_MONTHS = 120


@dataclass
class FormRow:
    """One consent form (a key in one language) as the page shows it, with its edits."""

    key: str
    kind: ConsentKind
    language: str
    latest: TemplateVersion | None  # None: a language copy not saved yet
    title: str = ""
    text: str = ""
    template_id: int | None = None

    @property
    def edited(self) -> bool:
        if self.latest is None:
            return True
        return (self.title, self.text) != (self.latest.title, self.latest.text)

    @property
    def name(self) -> str:
        return f"{self.title.strip() or self.key} ({self.language})"


@dataclass(frozen=True)
class ConsentSettings:
    """What the page opens with (read off the GUI thread)."""

    templates: list[ConsentTemplate] = field(default_factory=list)
    policy: ConsentPolicy = field(default_factory=ConsentPolicy)
    editable: bool = True


def read_consent_settings(db: Database) -> ConsentSettings:
    from needlelog.domain.accounts import Permission
    from needlelog.services import access, consents

    return ConsentSettings(
        consents.templates(db), consents.policy(db), access.may(db, Permission.CLINIC_SETTINGS)
    )


class VersionsDialog(QDialog):
    """Every version of one consent form, oldest first, each text read-only."""

    def __init__(self, title: str, versions: list[TemplateVersion], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("consentVersions")
        self.setWindowTitle(f"Versions of {title}")
        self.resize(820, 560)
        self.versions = versions
        self.list = QListWidget()
        for v in versions:
            item = QListWidgetItem(
                f"Version {v.version} · {fmt.day(v.created_at)} · {v.created_by or '—'}"
            )
            item.setToolTip(f"SHA-256 {v.sha256}")
            self.list.addItem(item)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("versionText")
        self.checksum = QLabel()
        self.checksum.setStyleSheet("color:#5f6670;")
        self.checksum.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list.currentRowChanged.connect(self._show)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addWidget(self.text, 1)
        right_box.addWidget(self.checksum)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([240, 560])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        note = QLabel("Earlier versions stay as they were signed; they cannot be changed.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        if versions:
            self.list.setCurrentRow(len(versions) - 1)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self.versions):
            v = self.versions[row]
            self.text.setPlainText(v.text)
            self.checksum.setText(f"{v.title} · SHA-256 {v.sha256}")


class TemplatesTab(QWidget):
    """The consent forms and the consent setting; ``problem()`` and ``save_work()`` are
    the dialog's Save's part of this page."""

    loaded = Signal()
    template_saved = Signal(object)  # TemplateVersion

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consentTemplatesTab")
        self.db = db
        self.rows: list[FormRow] = []
        self.current: FormRow | None = None
        self.saved_policy: ConsentPolicy | None = None
        self.editable = False
        self._filling = False
        self._saving = False

        # --- the setting -------------------------------------------------------------
        self.required = QCheckBox("A signed treatment consent is required before a session")
        self.required.setObjectName("consentRequired")
        self.for_course = QRadioButton("for the course it was signed for")
        self.for_months = QRadioButton("for")
        self.months = QSpinBox()
        self.months.setRange(1, MAX_VALID_MONTHS)
        self.months.setValue(12)
        self.months.setSuffix(" months from signing")
        self.months.setAccessibleName("Months a treatment consent stays valid")
        validity = QButtonGroup(self)
        validity.addButton(self.for_course)
        validity.addButton(self.for_months)
        self.for_course.setChecked(True)
        self.for_months.toggled.connect(self.months.setEnabled)
        self.months.setEnabled(False)
        self.required.toggled.connect(self._required_toggled)
        valid_row = QHBoxLayout()
        valid_row.addWidget(QLabel("Valid"))
        valid_row.addWidget(self.for_course)
        valid_row.addSpacing(12)
        valid_row.addWidget(self.for_months)
        valid_row.addWidget(self.months)
        valid_row.addStretch(1)
        setting = QGroupBox("Consent before treatment")
        setting_box = QVBoxLayout(setting)
        setting_box.addWidget(self.required)
        setting_box.addLayout(valid_row)

        # --- the forms -----------------------------------------------------------------
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("consentForms")
        self.table.setHorizontalHeaderLabels(["Title", "Kind", "Language", "Version"])
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setMinimumWidth(360)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.currentCellChanged.connect(lambda row, *_: self._select(row))

        self.title = QLineEdit()
        self.title.setObjectName("consentTitle")
        self.title.textEdited.connect(lambda _t: self._edited())
        self.text = QPlainTextEdit()
        self.text.setObjectName("consentTextEdit")
        self.text.textChanged.connect(self._edited)
        self.about = QLabel()
        self.about.setObjectName("consentFormAbout")
        self.about.setWordWrap(True)
        self.about.setStyleSheet("color:#5f6670;")
        self.save_button = QPushButton("Save as new version")
        self.save_button.setObjectName("saveConsentVersion")
        self.save_button.setAutoDefault(False)
        self.save_button.setToolTip(
            "Store this text as the form's next version; what patients signed stays as it was"
        )
        self.save_button.clicked.connect(self.save_current)
        self.undo_button = QPushButton("Undo edits")
        self.undo_button.setAutoDefault(False)
        self.undo_button.clicked.connect(self.undo_current)
        self.versions_button = QPushButton("Earlier versions…")
        self.versions_button.setObjectName("consentVersionsButton")
        self.versions_button.setAutoDefault(False)
        self.versions_button.clicked.connect(self.show_versions)
        self.copy_button = QPushButton("Add a language copy…")
        self.copy_button.setObjectName("consentLanguageCopy")
        self.copy_button.setAutoDefault(False)
        self.copy_button.setToolTip("The same form in another language, translated here")
        self.copy_button.clicked.connect(self.add_language_copy)

        self.status = QLabel(LOADING)
        self.status.setObjectName("consentTabStatus")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Title", self.title)
        editor = QWidget()
        editor_box = QVBoxLayout(editor)
        editor_box.setContentsMargins(0, 0, 0, 0)
        editor_box.addLayout(form)
        editor_box.addWidget(self.text, 1)
        editor_box.addWidget(self.about)
        actions = QHBoxLayout()
        actions.addWidget(self.versions_button)
        actions.addWidget(self.copy_button)
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        actions.addWidget(self.save_button)
        editor_box.addLayout(actions)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(editor)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([430, 430])
        split.setChildrenCollapsible(False)

        # This PC's certificate for signing consent documents, beside the gate's setting.
        self.certificate = CertificateBox(db)
        top = QHBoxLayout()
        top.addWidget(setting, 1)
        top.addWidget(self.certificate, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self._set_editable(False)
        self.reload()

    # --- reading -----------------------------------------------------------------------
    def reload(self) -> None:
        db = self.db
        self.status.setText(LOADING)
        run_task(lambda _c: read_consent_settings(db), self._fill, self._read_failed, self)

    def _read_failed(self, exc: BaseException, trace: str) -> None:
        words = refusal_words(exc)
        if words is None:
            from needlelog.ui.failures import show_failure

            show_failure(self, exc, trace, "Reading the consent forms")
            words = "The consent forms could not be read."
        self.status.setText(words)

    @property
    def loading(self) -> bool:
        return self.saved_policy is None

    def _fill(self, settings: ConsentSettings) -> None:
        keep = {(r.key, r.language): r for r in self.rows if r.edited}
        self.rows = []
        for t in settings.templates:
            row = FormRow(t.key, t.kind, t.language, t.latest, template_id=t.id)
            kept = keep.pop((t.key, t.language), None)
            row.title, row.text = (kept.title, kept.text) if kept else (t.title, t.latest.text)
            self.rows.append(row)
        self.rows.extend(keep.values())  # language copies not saved yet
        if self.saved_policy is None:  # the setting as read, once: later edits stay
            self._show_policy(settings.policy)
        self.saved_policy = settings.policy
        self._set_editable(settings.editable)
        self._fill_table()
        self.status.setText(
            "" if settings.editable else "Read only: only an administrator edits consent forms."
        )
        self.loaded.emit()

    def _show_policy(self, policy: ConsentPolicy) -> None:
        self.required.setChecked(policy.required)
        if policy.valid_months is None:
            self.for_course.setChecked(True)
        else:
            self.for_months.setChecked(True)
            self.months.setValue(policy.valid_months)
        self._required_toggled(policy.required)

    def _required_toggled(self, on: bool) -> None:
        for w in (self.for_course, self.for_months):
            w.setEnabled(on and self.editable)
        self.months.setEnabled(on and self.editable and self.for_months.isChecked())

    def _set_editable(self, editable: bool) -> None:
        self.editable = editable
        self.required.setEnabled(editable)
        self._required_toggled(self.required.isChecked())
        self.title.setReadOnly(not editable)
        self.text.setReadOnly(not editable)
        self.copy_button.setEnabled(editable and self.current is not None)
        self._update_buttons()

    def _fill_table(self) -> None:
        chosen = (self.current.key, self.current.language) if self.current else None
        self._filling = True
        try:
            self.table.setRowCount(len(self.rows))
            for i, row in enumerate(self.rows):
                version = "new" if row.latest is None else str(row.latest.version)
                if row.latest is not None and row.edited:
                    version += " (edited)"
                kind = "Photo" if row.kind is ConsentKind.PHOTO else "Treatment"
                cells = (row.title or row.key, kind, language_name(row.language), version)
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if row.edited:
                        font = item.font()
                        font.setItalic(True)
                        item.setFont(font)
                    self.table.setItem(i, column, item)
        finally:
            self._filling = False
        index = next(
            (i for i, r in enumerate(self.rows) if (r.key, r.language) == chosen),
            0 if self.rows else -1,
        )
        if index < 0:
            return
        self._filling = True
        try:
            self.table.selectRow(index)
        finally:
            self._filling = False
        if self.rows[index] is not self.current:  # the editor already shows the current one
            self._select(index)

    def _select(self, index: int) -> None:
        if self._filling or not (0 <= index < len(self.rows)):
            return
        row = self.rows[index]
        self.current = None  # filling the editor is not an edit
        self.title.setText(row.title)
        self.text.setPlainText(row.text)
        self.current = row
        self._show_about(row)
        self.copy_button.setEnabled(self.editable)
        self._update_buttons()

    def _show_about(self, row: FormRow) -> None:
        if row.latest is None:
            self.about.setText(
                f"A new {language_name(row.language)} copy of “{row.key}”, not saved yet."
            )
        else:
            v = row.latest
            self.about.setText(
                f"Version {v.version} saved on {fmt.day(v.created_at)}"
                + (f" by {v.created_by}" if v.created_by else "")
                + f" · SHA-256 {v.sha256[:16]}…"
            )

    # --- editing -----------------------------------------------------------------------
    def _edited(self) -> None:
        row = self.current
        if row is None:
            return
        was = row.edited
        row.title, row.text = self.title.text(), self.text.toPlainText()
        if row.edited != was:
            self._fill_table()
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.current
        edited = row is not None and row.edited
        self.save_button.setEnabled(self.editable and edited and not self._saving)
        self.undo_button.setEnabled(
            self.editable and edited and row is not None and bool(row.latest)
        )
        self.versions_button.setEnabled(row is not None and row.latest is not None)

    def undo_current(self) -> None:
        row = self.current
        if row is None or row.latest is None:
            return
        row.title, row.text = row.latest.title, row.latest.text
        self.current = None  # shown again from the stored version
        self._fill_table()

    def add_language_copy(self) -> None:
        row = self.current
        if row is None or not self.editable:
            return
        code, ok = QInputDialog.getText(
            self,
            "Add a language copy",
            f"Language code of the copy of “{row.title or row.key}” (for example de, fr, pt-BR):",
        )
        code = code.strip()
        if not ok or not code:
            return
        if any(r.key == row.key and r.language == code for r in self.rows):
            self.status.setText(f"“{row.key}” already exists in {language_name(code)}.")
            return
        problems = template_problems(row.key, code, row.title, row.text)
        if problems:
            self.status.setText(" ".join(problems))
            return
        copy = FormRow(row.key, row.kind, code, None, row.title, row.text)
        self.rows.append(copy)
        self._fill_table()
        self.table.selectRow(len(self.rows) - 1)
        self.status.setText(
            f"Translate the text into {language_name(code)}, then save it as its first version."
        )

    def show_versions(self) -> None:
        row = self.current
        if row is None or row.template_id is None:
            return
        db, template_id, title = self.db, row.template_id, row.name

        def work(_control: TaskControl) -> list[TemplateVersion]:
            from needlelog.services import consents

            return consents.versions(db, template_id)

        def show(versions: list[TemplateVersion]) -> None:
            dialog = VersionsDialog(title, versions, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.versions_dialog = dialog
            dialog.show()

        run_task(work, show, self._read_failed, self)

    # --- saving ------------------------------------------------------------------------
    def edited_rows(self) -> list[FormRow]:
        return [r for r in self.rows if r.edited]

    def policy(self) -> ConsentPolicy:
        return ConsentPolicy(
            required=self.required.isChecked(),
            valid_months=self.months.value() if self.for_months.isChecked() else None,
        )

    def problem(self) -> str | None:
        """What stops saving this page, in words; None when it can be saved."""
        for row in self.edited_rows():
            problems = template_problems(row.key, row.language, row.title, row.text)
            if problems:
                return f"Consent form {row.name}: " + " ".join(problems)
        return None

    def save_work(self) -> Callable[[], None] | None:
        """The writes this page needs (run by the dialog's save, off the GUI thread):
        the setting if changed and each edited form as its next version."""
        if not self.editable or self.saved_policy is None:
            return None
        policy = self.policy()
        new_policy = policy if policy != self.saved_policy else None
        edits = [(r.key, r.kind, r.language, r.title.strip(), r.text) for r in self.edited_rows()]
        if new_policy is None and not edits:
            return None
        db, actor = self.db, config.current_user()

        def work() -> None:
            from needlelog.services import consents

            if new_policy is not None:
                consents.set_policy(db, new_policy, actor)
            for key, kind, language, title, text in edits:
                consents.save_template(db, key, kind, language, title, text, actor)

        return work

    def save_current(self) -> None:
        """Save the form shown as its next version, now (the setting waits for Save)."""
        row = self.current
        if row is None or not row.edited or self._saving or not self.editable:
            return
        problems = template_problems(row.key, row.language, row.title, row.text)
        if problems:
            self.status.setText(" ".join(problems))
            return
        db, actor = self.db, config.current_user()
        values = (row.key, row.kind, row.language, row.title.strip(), row.text)

        def work(_control: TaskControl) -> TemplateVersion:
            from needlelog.services import consents

            return consents.save_template(db, *values, actor)

        self._saving = True
        self._update_buttons()
        run_task(work, self._saved, self._save_refused, self)

    @property
    def saving(self) -> bool:
        return self._saving

    def _saved(self, version: TemplateVersion) -> None:
        self._saving = False
        for row in self.rows:
            if (row.key, row.language) == (version.key, version.language):
                # What was typed meanwhile stays, as an edit of the new version.
                row.latest, row.template_id = version, version.template_id
                if row.title.strip() == version.title:
                    row.title = version.title
                if row is self.current:
                    self._show_about(row)
        self._fill_table()
        self.status.setText(
            f"Saved “{version.title}” ({version.language}) as version {version.version}."
        )
        self.template_saved.emit(version)

    def _save_refused(self, exc: BaseException, trace: str) -> None:
        self._saving = False
        self._update_buttons()
        words = refusal_words(exc)
        if words is None:
            from needlelog.ui.failures import show_failure

            show_failure(self, exc, trace, "Saving the consent form")
            words = "The consent form was not saved."
        self.status.setText(f"Not saved: {words} Your text is still here.")
