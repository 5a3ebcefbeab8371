"""The patient dialog: register a new patient or edit one.

Every rule is the service's: the dialog collects the values, hands them to
``services.patients`` and shows each refusal next to the field it concerns.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.domain.codes import FITZPATRICK_NUMERALS, Sex
from needlelog.domain.contraindications import Contraindication, Severity
from needlelog.domain.errors import InvalidRecord, Violation
from needlelog.domain.records import Patient, PatientData
from needlelog.domain.search import parse_date
from needlelog.services import access, clock, patients
from needlelog.services.errors import NotFound, StaleRecord
from needlelog.store.database import Database
from needlelog.store.errors import StoreError
from needlelog.ui import formatting as fmt
from needlelog.ui.background import WAITING_TEXT, OneAtATime, TaskControl
from needlelog.ui.form_widgets import confirm_discard

ERROR_STYLE = "color: #b3261e;"
AVOID_STYLE = "color: #b3261e; font-weight: 600;"
CAUTION_STYLE = "color: #8a5300;"

_FITZPATRICK_HINTS = {
    1: "always burns, never tans",
    2: "usually burns, tans minimally",
    3: "sometimes burns, tans gradually",
    4: "burns minimally, tans well",
    5: "rarely burns, tans deeply",
    6: "never burns",
}


class FieldError(QLabel):
    """A message in words under the field it concerns; hidden while there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


class PatientDialog(QDialog):
    """New or edit patient; emits ``saved`` with the stored patient."""

    saved = Signal(object)

    def __init__(
        self, db: Database, patient: Patient | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.patient = patient
        self.setWindowTitle("Edit patient" if patient else "New patient")
        self.setObjectName("PatientDialog")

        self.record_no = QLineEdit()
        self.record_no.setPlaceholderText("e.g. P-0042")
        self.family_name = QLineEdit()
        self.given_name = QLineEdit()
        self.date_of_birth = QLineEdit()
        self.date_of_birth.setPlaceholderText("e.g. 7 Mar 1984, 1984-03-07 or 07.03.1984")
        self.sex = QComboBox()
        self.sex.addItem("Not recorded", None)
        for value in (Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN):
            self.sex.addItem(value.value.capitalize(), value.value)
        self.fitzpatrick = QComboBox()
        self.fitzpatrick.addItem("Not recorded", None)
        for number, numeral in FITZPATRICK_NUMERALS.items():
            self.fitzpatrick.addItem(f"{numeral} – {_FITZPATRICK_HINTS[number]}", number)
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.planned_sessions = QSpinBox()
        self.planned_sessions.setRange(0, 20)
        self.planned_sessions.setSpecialValueText("Clinic default")
        self.planned_sessions.setSuffix(" sessions")
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)

        self.errors: dict[str, FieldError] = {}
        # Two columns of fields keep the dialog short enough for a laptop screen.
        identity, contact = QFormLayout(), QFormLayout()
        for form, rows in (
            (
                identity,
                (
                    ("&Record number", "record_no", self.record_no),
                    ("&Family name", "family_name", self.family_name),
                    ("&Given name", "given_name", self.given_name),
                    ("Date of &birth", "date_of_birth", self.date_of_birth),
                    ("Se&x", "sex", self.sex),
                ),
            ),
            (
                contact,
                (
                    ("Fit&zpatrick type", "fitzpatrick", self.fitzpatrick),
                    ("&Phone", "phone", self.phone),
                    ("&Email", "email", self.email),
                    ("Sessions per co&urse", "planned_sessions", self.planned_sessions),
                ),
            ),
        ):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for label, name, widget in rows:
                form.addRow(label, self._with_error(name, widget))
        fields = QHBoxLayout()
        fields.addLayout(identity, 1)
        fields.addSpacing(self.fontMetrics().averageCharWidth() * 3)
        fields.addLayout(contact, 1)

        self.contraindication_boxes: dict[Contraindication, QCheckBox] = {}
        screening = QGroupBox("Known contraindications")
        grid = QGridLayout(screening)
        row = 0
        for severity, heading in (
            (Severity.AVOID, "Avoid: treatment must not go ahead"),
            (Severity.CAUTION, "Caution: review before each session"),
        ):
            title = QLabel(heading)
            title.setStyleSheet(AVOID_STYLE if severity is Severity.AVOID else CAUTION_STYLE)
            grid.addWidget(title, row, 0, 1, 2)
            row += 1
            items = [c for c in Contraindication if c.severity is severity]
            for i, item in enumerate(items):
                box = QCheckBox(item.label)
                box.setObjectName(f"contraindication_{item.value}")
                if item.note:
                    box.setToolTip(item.note)
                self.contraindication_boxes[item] = box
                grid.addWidget(box, row + i // 2, i % 2)
            row += (len(items) + 1) // 2
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.errors["contraindications"] = FieldError()
        grid.addWidget(self.errors["contraindications"], row, 0, 1, 2)

        notes_box = QVBoxLayout()
        notes_label = QLabel("&Notes")
        notes_label.setBuddy(self.notes)
        notes_box.addWidget(notes_label)
        notes_box.addWidget(self._with_error("notes", self.notes))

        self.general_error = FieldError()
        self.waiting_note = QLabel()
        self.waiting_note.hide()
        self._saves = OneAtATime(self)
        self._saves.waiting.connect(self._waiting)
        self._saves.ended.connect(self._save_ended)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save)

        layout = QVBoxLayout(self)
        layout.addLayout(fields)
        layout.addWidget(screening)
        layout.addLayout(notes_box)
        layout.addWidget(self.general_error)
        layout.addWidget(self.waiting_note)
        layout.addWidget(self.buttons)

        # Reception registers patients and keeps their contact details; the clinical
        # fields stay as they are, unseen (the patient service refuses changing them).
        account = access.current()
        self.clinical = account is None or account.may(Permission.CLINICAL_READ)
        if not self.clinical:
            screening.hide()
            notes_label.hide()
            self.notes.parentWidget().hide()
            contact.setRowVisible(self.fitzpatrick.parentWidget(), False)

        if patient is not None:
            self._load(patient.data)
        self._initial = self._snapshot()
        self.record_no.setFocus()
        width = self.fontMetrics().averageCharWidth() * 110
        self.resize(width, self.sizeHint().height())

    def _with_error(self, name: str, widget: QWidget) -> QWidget:
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        error = FieldError()
        box.addWidget(error)
        self.errors[name] = error
        return holder

    # --- values in and out ---------------------------------------------
    def _load(self, data: PatientData) -> None:
        self.record_no.setText(data.record_no)
        self.family_name.setText(data.family_name)
        self.given_name.setText(data.given_name)
        # Shown as every other date is (7 Mar 1984); typed in any form parse_date reads.
        self.date_of_birth.setText(fmt.day(data.date_of_birth))
        self.sex.setCurrentIndex(max(0, self.sex.findData(data.sex.value if data.sex else None)))
        self.fitzpatrick.setCurrentIndex(max(0, self.fitzpatrick.findData(data.fitzpatrick)))
        self.phone.setText(data.phone)
        self.email.setText(data.email)
        self.planned_sessions.setValue(data.planned_sessions or 0)
        for item, box in self.contraindication_boxes.items():
            box.setChecked(item in data.contraindications)
        self.notes.setPlainText(data.notes)

    def _snapshot(self) -> tuple[object, ...]:
        return (
            self.record_no.text(),
            self.family_name.text(),
            self.given_name.text(),
            self.date_of_birth.text(),
            self.sex.currentIndex(),
            self.fitzpatrick.currentIndex(),
            self.phone.text(),
            self.email.text(),
            self.planned_sessions.value(),
            tuple(b.isChecked() for b in self.contraindication_boxes.values()),
            self.notes.toPlainText(),
        )

    def is_dirty(self) -> bool:
        return self._snapshot() != self._initial

    def _date_of_birth(self) -> date | None:
        text = self.date_of_birth.text().strip()
        if not text:
            return None
        parsed = parse_date(text)
        if parsed is None:
            raise InvalidRecord(
                [
                    Violation(
                        "date_of_birth",
                        text,
                        "a date such as 1984-03-07 or 07.03.1984",
                        f"date of birth {text!r} is not a date; type it as 1984-03-07 "
                        "or 07.03.1984",
                    )
                ]
            )
        return parsed

    def data(self) -> PatientData:
        """The values as typed (raises InvalidRecord for a date that cannot be read)."""
        return PatientData(
            record_no=self.record_no.text().strip(),
            family_name=self.family_name.text().strip(),
            given_name=self.given_name.text().strip(),
            date_of_birth=self._date_of_birth(),
            # Qt hands enum data back as its plain string value.
            sex=Sex(self.sex.currentData()) if self.sex.currentData() else None,
            phone=self.phone.text().strip(),
            email=self.email.text().strip(),
            fitzpatrick=self.fitzpatrick.currentData(),
            contraindications=tuple(
                item for item, box in self.contraindication_boxes.items() if box.isChecked()
            ),
            notes=self.notes.toPlainText().strip(),
            planned_sessions=self.planned_sessions.value() or None,
        )

    # --- saving ----------------------------------------------------------
    def clear_errors(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        self.general_error.show_message("")

    def show_errors(self, exc: InvalidRecord) -> None:
        self.clear_errors()
        first: QWidget | None = None
        leftovers: list[str] = []
        for violation in exc.violations:
            name = violation.field.split(".")[0]
            label = self.errors.get(name)
            if label is None:
                leftovers.append(violation.message)
                continue
            text = label.text()
            label.show_message(f"{text}\n{violation.message}" if text else violation.message)
            widget = getattr(self, name, None)
            if first is None and isinstance(widget, QWidget):
                first = widget
        if leftovers:
            self.general_error.show_message("\n".join(leftovers))
        if first is not None:
            first.setFocus()

    @property
    def saving(self) -> bool:
        """Whether a save is on its way to the database."""
        return self._saves.running

    def save(self) -> None:
        """Save off the GUI thread; the entries stay until the save has landed."""
        if self._saves.running:
            return  # one save at a time: Ctrl+S pressed again while waiting
        self.clear_errors()
        try:
            data = self.data()
        except InvalidRecord as exc:  # a date that cannot be read: nothing to send
            self.show_errors(exc)
            return
        db, patient, actor, today = self.db, self.patient, config.current_user(), clock.today()

        def work(_control: TaskControl) -> Patient:
            if patient is None:
                return patients.register(db, data, actor, today)
            return patients.update(db, patient.id, data, patient.version, actor, today)

        self.save_button.setEnabled(False)
        self._saves.start(work, self._saved, self._refused)

    def _waiting(self) -> None:
        self.waiting_note.setText(WAITING_TEXT)
        self.waiting_note.show()

    def _save_ended(self) -> None:
        self.waiting_note.hide()
        self.save_button.setEnabled(True)

    def _saved(self, stored: Patient) -> None:
        self.patient = stored
        self._initial = self._snapshot()
        self.saved.emit(stored)
        self.accept()

    def _refused(self, exc: BaseException, _trace: str) -> None:
        if isinstance(exc, InvalidRecord):
            self.show_errors(exc)
        elif isinstance(exc, StaleRecord | NotFound | StoreError):
            self.general_error.show_message(f"Not saved: {exc}")
        else:
            raise exc

    def reject(self) -> None:
        if self._saves.running:
            return  # the save is on its way: its outcome decides what happens
        if self.is_dirty() and not confirm_discard(self, "this patient"):
            return
        super().reject()
