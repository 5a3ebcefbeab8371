"""Preparation: the numbing cream and how long it was on."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from needlelog.domain.records import Numbing, SessionData
from needlelog.ui.form_widgets import OptionalSpinBox
from needlelog.ui.session_parts.section import FormSection


class PreparationSection(FormSection):
    title = "Preparation"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.addWidget(QLabel("Numbing cream"), 0, 0)
        self.numbing_product = QLineEdit()
        self.numbing_product.setPlaceholderText("Product (leave empty if none)")
        self.numbing_product.setAccessibleName("Numbing product")
        grid.addWidget(self.numbing_product, 0, 1)
        grid.addWidget(QLabel("applied for"), 0, 2)
        self.numbing_minutes = OptionalSpinBox(1, 120)
        self.numbing_minutes.setSuffix(" min")
        self.numbing_minutes.setAccessibleName("Numbing minutes")
        grid.addWidget(self.numbing_minutes, 0, 3)
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.error("numbing.product"), 1, 1)
        grid.addWidget(self.error("numbing.minutes"), 1, 3)
        grid.addWidget(self.error("numbing"), 2, 1, 1, 3)
        self.box.addLayout(grid)

    def load(self, data: SessionData) -> None:
        self.numbing_product.setText(data.numbing.product if data.numbing else "")
        self.numbing_minutes.set_number(data.numbing.minutes if data.numbing else None)

    def start_new(self, previous: SessionData | None) -> None:
        """Courses repeat: the same cream as last time."""
        if previous is not None:
            self.load(previous)

    def values(self) -> dict[str, Any]:
        product = self.numbing_product.text().strip()
        minutes = self.numbing_minutes.number()
        numbing = (
            Numbing(product, minutes if minutes is not None else 0)
            if product or minutes is not None
            else None
        )
        return {"numbing": numbing}

    def focus_widgets(self) -> list[QWidget]:
        return [self.numbing_product, self.numbing_minutes]
