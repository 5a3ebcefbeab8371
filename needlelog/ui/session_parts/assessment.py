"""Assessment: scar grade, improvement, satisfaction, and the optional Vancouver Scar
Scale."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QWidget

from needlelog.domain.records import SessionData
from needlelog.ui.form_widgets import OptionalSpinBox, choice_combo, select_data
from needlelog.ui.session_parts.section import FormSection
from needlelog.ui.vss_part import VssPart

# Goodman & Baron qualitative grades and GAIS, worded as in CLINICAL.md.
SCAR_GRADE_CHOICES: list[tuple[str, object]] = [
    ("Not assessed", None),
    ("1  Macular: flat, colour only", 1),
    ("2  Mild: not obvious at 50 cm, covered by make-up", 2),
    ("3  Moderate: obvious at 50 cm, flattens when stretched", 3),
    ("4  Severe: does not flatten when stretched", 4),
]
GAIS_CHOICES: list[tuple[str, object]] = [
    ("Not assessed", None),
    ("1  Very much improved", 1),
    ("2  Much improved", 2),
    ("3  Improved", 3),
    ("4  No change", 4),
    ("5  Worse", 5),
]


def _number(combo: QComboBox) -> int | None:
    value = combo.currentData()
    return None if value is None else int(value)


class AssessmentSection(FormSection):
    title = "Assessment"
    show_wanted = Signal(QWidget)  # the VSS items opened below their tick: bring them into view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        self.scar_grade = choice_combo(SCAR_GRADE_CHOICES)
        self.gais = choice_combo(GAIS_CHOICES)
        self.satisfaction = OptionalSpinBox(0, 10, "Not assessed")
        self.satisfaction.setSuffix(" / 10")
        rows: list[tuple[str, QWidget, str]] = [
            ("Scar grade (Goodman & Baron)", self.scar_grade, "scar_grade"),
            ("Improvement (GAIS, vs. baseline)", self.gais, "gais"),
            ("Patient satisfaction (0–10)", self.satisfaction, "satisfaction"),
        ]
        for line, (label, widget, field) in enumerate(rows):
            widget.setAccessibleName(label)
            grid.addWidget(QLabel(label), 2 * line, 0)
            grid.addWidget(widget, 2 * line, 1)
            grid.addWidget(self.error(field), 2 * line + 1, 1)
        grid.setColumnStretch(2, 1)
        self.box.addLayout(grid)
        self.vss = VssPart()
        self.own_error("vss", self.vss.error)  # rule messages for "vss.<item>" land here
        self.vss.enabled.toggled.connect(self._vss_toggled)
        self.box.addWidget(self.vss)

    def _vss_toggled(self, on: bool) -> None:
        if on and not self._loading:
            self.show_wanted.emit(self.vss.panel)

    def load(self, data: SessionData) -> None:
        self._loading = True
        try:
            select_data(self.scar_grade, data.scar_grade)
            select_data(self.gais, data.gais)
            self.satisfaction.set_number(data.satisfaction)
            self.vss.set_value(data.vss)
        finally:
            self._loading = False

    def values(self) -> dict[str, Any]:
        return {
            "scar_grade": _number(self.scar_grade),
            "gais": _number(self.gais),
            "satisfaction": self.satisfaction.number(),
            "vss": self.vss.value(),
        }

    def focus_widgets(self) -> list[QWidget]:
        return [self.scar_grade, self.gais, self.satisfaction, *self.vss.focus_widgets()]
