"""Aftercare and next visit: notes, the advice given, and when the patient is due."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QWidget

from needlelog.domain.protocol import Protocol
from needlelog.domain.records import SessionData
from needlelog.ui.form_widgets import OptionalDateEdit
from needlelog.ui.session_parts.section import FormSection, text_box


class AftercareSection(FormSection):
    """The next due date follows the session's date (``suggest``) until the user sets
    it by hand; a stored session with its own due date keeps it."""

    title = "Aftercare and next visit"

    def __init__(self, protocol: Protocol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.due_follows_date = True
        self._suggesting = False
        self.notes = text_box("Notes", 72)
        self.notes.setAccessibleName("Notes")
        self.box.addWidget(self.notes)
        self.box.addWidget(self.error("notes"))
        self.aftercare_given = QCheckBox("Aftercare advice given to the patient")
        self.box.addWidget(self.aftercare_given)
        due = QHBoxLayout()
        due.addWidget(QLabel("Next session due"))
        self.next_due = OptionalDateEdit()
        self.next_due.setAccessibleName("Next session due")
        self.next_due.dateChanged.connect(self._due_edited)
        due.addWidget(self.next_due)
        p = protocol
        hint = QLabel(
            f"Pre-filled {p.interval_min_weeks}–{p.interval_max_weeks} weeks ahead during a "
            f"course, {p.maintenance_months} months after it for maintenance."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        due.addWidget(hint, 1)
        self.box.addLayout(due)
        self.box.addWidget(self.error("next_due"))

    def _due_edited(self) -> None:
        if not self._suggesting:
            self.due_follows_date = False

    def suggest(self, due: date) -> None:
        """The clinic's default next visit for the session's date, unless set by hand."""
        if not self.due_follows_date:
            return
        self._suggesting = True
        try:
            self.next_due.set_value(due)
        finally:
            self._suggesting = False

    def load(self, data: SessionData) -> None:
        self.notes.setPlainText(data.notes)
        self.aftercare_given.setChecked(data.aftercare_given)
        self._suggesting = True
        try:
            self.next_due.set_value(data.next_due)
        finally:
            self._suggesting = False
        self.due_follows_date = data.next_due is None

    def values(self) -> dict[str, Any]:
        return {
            "notes": self.notes.toPlainText().strip(),
            "aftercare_given": self.aftercare_given.isChecked(),
            "next_due": self.next_due.value(),
        }

    def focus_widgets(self) -> list[QWidget]:
        return [self.notes, self.aftercare_given, self.next_due]
