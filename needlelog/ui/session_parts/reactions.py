"""Reactions: how the skin and the patient took the treatment."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QWidget

from needlelog.domain.codes import Grade
from needlelog.domain.records import SessionData
from needlelog.ui.form_widgets import OptionalSpinBox, choice_combo, select_data
from needlelog.ui.session_parts.section import FormSection, text_box

GRADE_CHOICES: list[tuple[str, object]] = [("Not recorded", None)] + [
    (g.word.capitalize(), int(g)) for g in Grade
]


def _grade(combo: QComboBox) -> Grade | None:
    value = combo.currentData()
    return None if value is None else Grade(int(value))


class ReactionsSection(FormSection):
    """Redness, bruising and swelling graded, pain scored, and what else happened.
    Nothing is carried over to a new session: how it went last time is no answer."""

    title = "Reactions"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        self.redness = choice_combo(GRADE_CHOICES)
        self.bruising = choice_combo(GRADE_CHOICES)
        self.swelling = choice_combo(GRADE_CHOICES)
        self.pain = OptionalSpinBox(0, 10, "Not recorded")
        self.pain.setSuffix(" / 10")
        columns: list[tuple[str, QWidget]] = [
            ("Redness", self.redness),
            ("Bruising", self.bruising),
            ("Swelling", self.swelling),
            ("Pain (0–10)", self.pain),
        ]
        for col, (label, widget) in enumerate(columns):
            header = QLabel(label)
            header.setObjectName("columnHeader")
            widget.setAccessibleName(label)
            grid.addWidget(header, 0, col)
            grid.addWidget(widget, 1, col)
            grid.setColumnStretch(col, 1)
        grid.addWidget(self.error("pain"), 2, 3)
        self.box.addLayout(grid)
        # Pinpoint bleeding is not a reaction here: it is the endpoint chosen per area
        # under Treatment, and the session's flag is read from those endpoints.
        checks = QHBoxLayout()
        self.acne_flare = QCheckBox("Acne flare")
        checks.addWidget(self.acne_flare)
        checks.addStretch(1)
        self.box.addLayout(checks)
        self.adverse_events = text_box("Other adverse events (leave empty if none)", 52)
        self.adverse_events.setAccessibleName("Adverse events")
        self.box.addWidget(self.adverse_events)
        self.box.addWidget(self.error("adverse_events"))

    def load(self, data: SessionData) -> None:
        select_data(self.redness, None if data.redness is None else int(data.redness))
        select_data(self.bruising, None if data.bruising is None else int(data.bruising))
        select_data(self.swelling, None if data.swelling is None else int(data.swelling))
        self.pain.set_number(data.pain)
        self.acne_flare.setChecked(data.acne_flare)
        self.adverse_events.setPlainText(data.adverse_events)

    def values(self) -> dict[str, Any]:
        return {
            "redness": _grade(self.redness),
            "bruising": _grade(self.bruising),
            "swelling": _grade(self.swelling),
            "pain": self.pain.number(),
            "acne_flare": self.acne_flare.isChecked(),
            "adverse_events": self.adverse_events.toPlainText().strip(),
        }

    def focus_widgets(self) -> list[QWidget]:
        return [
            self.redness,
            self.bruising,
            self.swelling,
            self.pain,
            self.acne_flare,
            self.adverse_events,
        ]
