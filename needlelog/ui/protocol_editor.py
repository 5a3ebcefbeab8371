"""The clinic's protocol as a page of Clinic settings: depth ranges per area, the
step, the course's length and intervals, and the screening's time windows."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.codes import Area
from needlelog.domain.protocol import (
    PEN_MAX_DEPTH_MM,
    PEN_MIN_DEPTH_MM,
    WHOLE_SETTINGS,
    Protocol,
)

BODY_AREAS = (Area.ABDOMEN, Area.THIGHS, Area.ARMS, Area.BACK, Area.BUTTOCKS)
BODY_RANGE = (Decimal("1.50"), Decimal("2.00"))
COURSE_FIELDS = WHOLE_SETTINGS[:5]
WINDOW_FIELDS = WHOLE_SETTINGS[5:]


def _mm_box(value: Decimal, name: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(2)
    box.setRange(float(PEN_MIN_DEPTH_MM), float(PEN_MAX_DEPTH_MM))
    box.setSingleStep(0.05)
    box.setSuffix(" mm")
    box.setValue(float(value))
    box.setAccessibleName(name)
    return box


def _mm(box: QDoubleSpinBox) -> Decimal:
    return Decimal(f"{box.value():.2f}")


class ProtocolEditor(QWidget):
    """Edits a ``Protocol``; ``protocol()`` gives back what it shows (judged by the
    domain when saved)."""

    def __init__(self, protocol: Protocol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._start = protocol
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        depth = QGroupBox("Needle depth per area")
        depth_box = QVBoxLayout(depth)
        top = QGridLayout()
        self.default_min = _mm_box(protocol.depth_min_mm, "Default shallowest depth")
        self.default_max = _mm_box(protocol.depth_max_mm, "Default deepest depth")
        self.step = QDoubleSpinBox()
        self.step.setDecimals(2)
        self.step.setRange(0.01, 0.5)
        self.step.setSingleStep(0.05)
        self.step.setSuffix(" mm")
        self.step.setValue(float(protocol.depth_step_mm))
        self.step.setAccessibleName("Depth step")
        top.addWidget(QLabel("Every area, unless set below:"), 0, 0, 1, 4)
        top.addWidget(self.default_min, 1, 0)
        top.addWidget(QLabel("to"), 1, 1)
        top.addWidget(self.default_max, 1, 2)
        top.addWidget(QLabel("Step"), 2, 0)
        top.addWidget(self.step, 2, 2)
        depth_box.addLayout(top)
        self.table = QTableWidget(len(Area), 3)
        self.table.setHorizontalHeaderLabels(["Area", "Shallowest", "Deepest"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.lows: dict[Area, QDoubleSpinBox] = {}
        self.highs: dict[Area, QDoubleSpinBox] = {}
        for line, area in enumerate(Area):
            item = QTableWidgetItem(area.label)
            self.table.setItem(line, 0, item)
            low, high = protocol.depth_range(area)
            self.lows[area] = _mm_box(low, f"Shallowest depth, {area.label}")
            self.highs[area] = _mm_box(high, f"Deepest depth, {area.label}")
            self.table.setCellWidget(line, 1, self.lows[area])
            self.table.setCellWidget(line, 2, self.highs[area])
        self.table.resizeRowsToContents()
        depth_box.addWidget(self.table, 1)
        self.body_button = QPushButton("Body areas 1.50 to 2.00 mm")
        self.body_button.setToolTip(
            "Abdomen, thighs, arms, back and buttocks (stretch marks are often treated deeper)"
        )
        self.body_button.clicked.connect(self._body_areas)
        depth_box.addWidget(self.body_button)
        self.default_min.valueChanged.connect(lambda v: self._follow(self._start.depth_min_mm, 1))
        self.default_max.valueChanged.connect(lambda v: self._follow(self._start.depth_max_mm, 2))
        layout.addWidget(depth, 3)

        right = QVBoxLayout()
        self.whole: dict[str, QSpinBox] = {}
        for title, group in (("Course", COURSE_FIELDS), ("Screening windows", WINDOW_FIELDS)):
            box = QGroupBox(title)
            form = QFormLayout(box)
            for field, what, unit, low, high in group:
                spin = QSpinBox()
                spin.setRange(low, high)
                spin.setSuffix(f" {unit}")
                spin.setValue(getattr(protocol, field))
                spin.setAccessibleName(what.capitalize())
                self.whole[field] = spin
                form.addRow(what.capitalize(), spin)
            right.addWidget(box)
        note = QLabel("Each change is kept in the audit trail.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        right.addWidget(note)
        right.addStretch(1)
        layout.addLayout(right, 2)

    def _follow(self, old: Decimal, column: int) -> None:
        """Areas still at the old default follow a changed default."""
        new = self.default_min if column == 1 else self.default_max
        boxes = self.lows if column == 1 else self.highs
        for box in boxes.values():
            if _mm(box) == old:
                box.setValue(new.value())
        self._start = replace(self._start, depth_min_mm=_mm(self.default_min))
        self._start = replace(self._start, depth_max_mm=_mm(self.default_max))

    def _body_areas(self) -> None:
        for area in BODY_AREAS:
            self.lows[area].setValue(float(BODY_RANGE[0]))
            self.highs[area].setValue(float(BODY_RANGE[1]))

    def protocol(self) -> Protocol:
        """What the page shows, as a protocol."""
        out = Protocol(
            depth_min_mm=_mm(self.default_min),
            depth_max_mm=_mm(self.default_max),
            depth_step_mm=Decimal(f"{self.step.value():.2f}"),
            **{field: spin.value() for field, spin in self.whole.items()},
        )
        for area in Area:
            out = out.with_area_range(area, _mm(self.lows[area]), _mm(self.highs[area]))
        return out
