"""The optional Vancouver Scar Scale part of the session form (for scars other than acne).

Off by default: a session without it stores no VSS. Once ticked, the four items are
scored with their meanings in view and the total follows every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from needlelog.ui.form_widgets import FieldError

if TYPE_CHECKING:  # the history table uses the texts below; the records load with the records
    from needlelog.domain.records import VancouverScarScale

VSS_MAX_TOTAL = 13


@dataclass(frozen=True)
class VssItem:
    field: str  # the VancouverScarScale attribute, as in the rule messages ("vss.<field>")
    title: str
    meanings: tuple[str, ...]  # what 0, 1, 2, ... stand for

    @property
    def high(self) -> int:
        return len(self.meanings) - 1


# As the scale is usually taught (Sullivan 1990; Baryza and Baryza 1995).
VSS_ITEMS: tuple[VssItem, ...] = (
    VssItem("vascularity", "Vascularity", ("normal", "pink", "red", "purple")),
    VssItem("pigmentation", "Pigmentation", ("normal", "hypopigmented", "hyperpigmented")),
    VssItem(
        "pliability",
        "Pliability",
        ("normal", "supple", "yielding", "firm", "banding", "contracture"),
    ),
    VssItem("height", "Height", ("flat", "under 2 mm", "2–5 mm", "over 5 mm")),
)


def vss_text(vss: VancouverScarScale) -> str:
    """The total as the practitioner reads it: "VSS 7/13"."""
    return f"VSS {vss.total}/{VSS_MAX_TOTAL}"


def vss_detail(vss: VancouverScarScale) -> str:
    """Each item with its score and meaning, for a tooltip."""
    items = []
    for item in VSS_ITEMS:
        score = getattr(vss, item.field)
        meaning = f" ({item.meanings[score]})" if 0 <= score <= item.high else ""
        items.append(f"{item.title.lower()} {score}{meaning}")
    return f"Vancouver Scar Scale {vss.total}/{VSS_MAX_TOTAL}: {', '.join(items)}"


def _hint_markup(item: VssItem, value: int) -> str:
    """Every value's meaning on one line, the chosen one in bold."""
    parts = [
        f"<b>{n}: {meaning}</b>" if n == value else f"{n}: {meaning}"
        for n, meaning in enumerate(item.meanings)
    ]
    return " &nbsp;·&nbsp; ".join(parts)


class VssPart(QWidget):
    """A tick box that shows the four VSS items; ``value()`` is None while it is off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 0)
        outer.setSpacing(4)
        self.enabled = QCheckBox("Vancouver Scar Scale (other scars)")
        self.enabled.setToolTip(
            "Optional: score burn, surgical or traumatic scars on the four VSS items (total 0–13)"
        )
        self.enabled.toggled.connect(self._toggled)
        outer.addWidget(self.enabled)

        self.panel = QWidget()
        self.panel.setObjectName("vssPanel")
        grid = QGridLayout(self.panel)
        grid.setContentsMargins(24, 2, 0, 0)  # under the tick box, as its part
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.spins: dict[str, QSpinBox] = {}
        self._hints: dict[str, QLabel] = {}
        for line, item in enumerate(VSS_ITEMS):
            grid.addWidget(QLabel(f"{item.title} (0–{item.high})"), line, 0)
            spin = QSpinBox()
            spin.setRange(0, item.high)
            spin.setAccessibleName(f"VSS {item.title.lower()}, 0 to {item.high}")
            spin.valueChanged.connect(self._refresh)
            self.spins[item.field] = spin
            grid.addWidget(spin, line, 1)
            hint = QLabel()
            hint.setObjectName("hint")
            hint.setTextFormat(Qt.TextFormat.RichText)
            self._hints[item.field] = hint
            grid.addWidget(hint, line, 2)
        total_line = len(VSS_ITEMS)
        grid.addWidget(QLabel("Total"), total_line, 0)
        self.total = QLabel()
        self.total.setObjectName("vssTotal")
        self.total.setAccessibleName("VSS total")
        grid.addWidget(self.total, total_line, 1, 1, 2)
        self.error = FieldError()
        grid.addWidget(self.error, total_line + 1, 0, 1, 3)
        grid.setColumnStretch(2, 1)
        outer.addWidget(self.panel)
        self.panel.setVisible(False)
        self._refresh()

    def _toggled(self, on: bool) -> None:
        self.panel.setVisible(on)

    def _refresh(self) -> None:
        for item in VSS_ITEMS:
            self._hints[item.field].setText(_hint_markup(item, self.spins[item.field].value()))
        total = sum(spin.value() for spin in self.spins.values())
        self.total.setText(f"<b>{total}</b> / {VSS_MAX_TOTAL}")

    def value(self) -> VancouverScarScale | None:
        if not self.enabled.isChecked():
            return None
        from needlelog.domain.records import VancouverScarScale

        return VancouverScarScale(**{f: spin.value() for f, spin in self.spins.items()})

    def set_value(self, vss: VancouverScarScale | None) -> None:
        """Show a stored score, or the part switched off (its numbers back at 0)."""
        for item in VSS_ITEMS:
            spin = self.spins[item.field]
            spin.setValue(0 if vss is None else getattr(vss, item.field))
        self.enabled.setChecked(vss is not None)
        self._refresh()

    def focus_widgets(self) -> list[QWidget]:
        return [self.enabled, *self.spins.values()]
