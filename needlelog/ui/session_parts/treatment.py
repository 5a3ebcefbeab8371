"""Treatment: when and by whom, what for, with which device, and where at what depth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from needlelog import config
from needlelog.domain.codes import Area, Endpoint, Indication
from needlelog.domain.protocol import Protocol, ranges_text
from needlelog.domain.records import SessionData, TreatedArea
from needlelog.services import access
from needlelog.ui.face_map import FaceMapWidget
from needlelog.ui.form_widgets import DATE_FORMAT, DATE_LOCALE, FieldError, OptionalSpinBox
from needlelog.ui.session_parts.section import FormSection, row_label, subheading
from needlelog.ui.session_rows import AreaRows


def _qdatetime(value: datetime) -> QDateTime:
    return QDateTime(value.date(), value.time().replace(microsecond=0))


class TreatmentSection(FormSection):
    """Date, practitioner, indications, device and cartridge, and the treated areas:
    chosen on the face map or in the list (the two show the same choice), each with
    its own depth row."""

    title = "Treatment"
    _stored_pinpoint = False  # the flag of a session stored without per-area endpoints
    date_changed = Signal()
    rows_changed = Signal()  # area rows came or went: the Tab order changes

    def __init__(
        self, protocol: Protocol, practitioners: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._practitioners = practitioners
        self._area_defaults: dict[Area, TreatedArea] = {}
        self._area_order: list[Area] = []
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.addWidget(QLabel("Date and time"), 0, 0)
        self.performed_at = QDateTimeEdit()
        self.performed_at.setLocale(DATE_LOCALE)  # as the shared date field: "Sep", not "Sept"
        self.performed_at.setDisplayFormat(f"{DATE_FORMAT}  HH:mm")
        self.performed_at.setCalendarPopup(True)
        self.performed_at.setAccessibleName("Date and time of the session")
        self.performed_at.dateTimeChanged.connect(self.date_changed)
        grid.addWidget(self.performed_at, 0, 1)
        grid.addWidget(QLabel("Practitioner"), 0, 2)
        self.practitioner = QComboBox()
        self.practitioner.setEditable(True)
        self.practitioner.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.practitioner.addItems(practitioners)
        self.practitioner.setAccessibleName("Practitioner")
        # With accounts, the session's practitioner is whoever is signed in: shown,
        # never typed, never carried over from the last save.
        self._signed_in = access.current()
        if self._signed_in is not None:
            self.practitioner.clear()
            self.practitioner.setEditable(False)
            self.practitioner.addItem(self._signed_in.display_name)
            self.practitioner.setEnabled(False)
            self.practitioner.setToolTip("The signed-in account records this session")
        grid.addWidget(self.practitioner, 0, 3)
        grid.addWidget(self.error("performed_at"), 1, 1)
        grid.addWidget(self.error("practitioner"), 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.box.addLayout(grid)

        self.box.addWidget(subheading("Indications"))
        ind = QGridLayout()
        ind.setHorizontalSpacing(18)
        ind.setVerticalSpacing(2)
        self.indication_boxes: dict[Indication, QCheckBox] = {}
        for i, indication in enumerate(Indication):
            check = QCheckBox(indication.label)
            self.indication_boxes[indication] = check
            ind.addWidget(check, i // 4, i % 4)
        self.box.addLayout(ind)
        self.box.addWidget(self.error("indications"))
        self._build_device()
        self._build_areas(protocol)

    def _build_device(self) -> None:
        self.box.addWidget(subheading("Device and cartridge"))
        dev = QGridLayout()
        dev.setHorizontalSpacing(10)
        self.device = QLineEdit()
        self.device.setPlaceholderText("Make and model")
        self.device.setAccessibleName("Device")
        self.cartridge_needles = OptionalSpinBox(1, 100)
        self.cartridge_needles.setSuffix(" needles")
        self.cartridge_needles.setAccessibleName("Cartridge needle count")
        self.cartridge_lot = QLineEdit()
        self.cartridge_lot.setPlaceholderText("Cartridge lot")
        self.cartridge_lot.setAccessibleName("Cartridge lot")
        self.pen_speed = OptionalSpinBox(1, 20)
        self.pen_speed.setPrefix("speed ")
        self.pen_speed.setAccessibleName("Pen speed setting")
        columns: list[tuple[str, QWidget, str]] = [
            ("Device", self.device, "device"),
            ("Needles", self.cartridge_needles, "cartridge_needles"),
            ("Cartridge lot", self.cartridge_lot, "cartridge_lot"),
            ("Pen speed", self.pen_speed, "pen_speed"),
        ]
        for col, (label, widget, _field) in enumerate(columns):
            header = QLabel(label)
            header.setObjectName("columnHeader")
            dev.addWidget(header, 0, col)
            dev.addWidget(widget, 1, col)
        dev.setColumnStretch(0, 3)
        dev.setColumnStretch(2, 2)
        for col, (_label, _widget, field) in enumerate(columns):
            dev.addWidget(self.error(field), 2, col)
        self.box.addLayout(dev)

    def _build_areas(self, protocol: Protocol) -> None:
        self.areas_heading = subheading("Treated areas")
        self.box.addWidget(self.areas_heading)
        hint = QLabel(
            "Click zones on the map, or tick them in the list. "
            f"Protocol depth: {ranges_text(protocol)}."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.box.addWidget(hint)
        areas = QHBoxLayout()
        areas.setSpacing(16)
        self.face_map = FaceMapWidget()
        self.face_map.setFixedSize(460, 399)
        self.face_map.areasChanged.connect(self._map_changed)
        areas.addWidget(self.face_map)
        self.area_list = QListWidget()
        self.area_list.setAccessibleName("Treated areas")
        self.area_list.setSpacing(2)
        self.area_list.setFixedWidth(220)
        for area in Area:
            item = QListWidgetItem(area.label)
            item.setData(Qt.ItemDataRole.UserRole, area.value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.area_list.addItem(item)
        self.area_list.itemChanged.connect(self._list_changed)
        # Tall enough for every area without a scroll bar, and no taller.
        row = self.area_list.sizeHintForRow(0) + 2 * self.area_list.spacing()
        self.area_list.setFixedHeight(
            min(399, row * self.area_list.count() + 2 * self.area_list.frameWidth())
        )
        areas.addWidget(self.area_list, 0, Qt.AlignmentFlag.AlignTop)
        areas.addStretch(1)
        self.box.addLayout(areas)
        self.box.addWidget(self.error("areas"))
        self.area_rows = AreaRows(protocol)
        self.area_rows.rowsChanged.connect(self.rows_changed)
        self.box.addWidget(self.area_rows)

    # ---- keeping the map, the list and the rows in step -------------------

    def _set_areas(self, areas: list[Area]) -> None:
        """Show the same choice on the map, in the list and as depth rows."""
        chosen = set(areas)
        self.face_map.set_selected(list(chosen))
        self.area_list.blockSignals(True)
        for i in range(self.area_list.count()):
            item = self.area_list.item(i)
            on = Area(item.data(Qt.ItemDataRole.UserRole)) in chosen
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.area_list.blockSignals(False)
        self.area_rows.set_areas([a for a in Area if a in chosen], self._area_defaults)

    def _map_changed(self, areas: list[Area]) -> None:
        keep_other = [Area.OTHER] if Area.OTHER in self.area_rows.rows else []
        self._set_areas(areas + keep_other)

    def _list_changed(self, _item: QListWidgetItem) -> None:
        areas = []
        for i in range(self.area_list.count()):
            item = self.area_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                areas.append(Area(item.data(Qt.ItemDataRole.UserRole)))
        self._set_areas(areas)

    # ---- the section ------------------------------------------------------

    def when(self) -> datetime:
        """The date and time as shown (seconds included, as the rules judge it)."""
        return self.performed_at.dateTime().toPython()

    def _carry(self, data: SessionData, whole: bool) -> None:
        if self._signed_in is None:
            self.practitioner.setEditText(data.practitioner)
        elif whole:  # an existing session: who performed it stays as recorded
            self.practitioner.setItemText(0, data.practitioner)
        for indication, check in self.indication_boxes.items():
            check.setChecked(indication in data.indications)
        self.device.setText(data.device)
        self.cartridge_needles.set_number(data.cartridge_needles)
        # A sterile cartridge is single-use: its lot is typed fresh for each session.
        self.cartridge_lot.setText(data.cartridge_lot if whole else "")
        self.pen_speed.set_number(data.pen_speed)
        self._area_defaults = {a.area: a for a in data.areas}
        if whole:
            self.area_rows.widen_depth_range([a.depth_mm for a in data.areas])
        self.area_rows.set_areas([], {})
        self._set_areas([a.area for a in data.areas])
        for treated in data.areas:
            self.area_rows.rows[treated.area].load(treated)

    def load(self, data: SessionData) -> None:
        self._stored_pinpoint = data.pinpoint_bleeding
        self._carry(data, whole=True)
        self.performed_at.setDateTime(_qdatetime(data.performed_at))

    def start_new(self, previous: SessionData | None) -> None:
        """Courses repeat: what was done last time, by the same hands, starting now."""
        self._stored_pinpoint = False
        if previous is not None:
            self._carry(previous, whole=False)
        elif self._practitioners and self._signed_in is None:
            self.practitioner.setCurrentIndex(0)
        elif self._signed_in is None:
            self.practitioner.setEditText(config.current_user())
        self.performed_at.setDateTime(_qdatetime(datetime.now().replace(second=0, microsecond=0)))

    def values(self) -> dict[str, Any]:
        rows = self.area_rows.ordered()
        self._area_order = [r.area for r in rows]
        areas = tuple(r.value() for r in rows)
        endpoints = [a.endpoint for a in areas if a.endpoint is not None]
        return {
            "performed_at": self.when().replace(second=0, microsecond=0),
            "practitioner": self.practitioner.currentText().strip(),
            "areas": areas,
            # The session reached pinpoint bleeding where an area's endpoint says so; a
            # session stored before endpoints were recorded per area keeps its own flag.
            "pinpoint_bleeding": (
                Endpoint.PINPOINT_BLEEDING in endpoints if endpoints else self._stored_pinpoint
            ),
            "indications": tuple(i for i, c in self.indication_boxes.items() if c.isChecked()),
            "device": self.device.text().strip(),
            "cartridge_needles": self.cartridge_needles.number(),
            "cartridge_lot": self.cartridge_lot.text().strip(),
            "pen_speed": self.pen_speed.number(),
        }

    def focus_widgets(self) -> list[QWidget]:
        return [
            self.performed_at,
            self.practitioner,
            *self.indication_boxes.values(),
            self.device,
            self.cartridge_needles,
            self.cartridge_lot,
            self.pen_speed,
            self.area_list,
            *self.area_rows.focus_widgets(),
        ]

    def label_for(self, field: str) -> FieldError | None:
        """A message about the n-th area as last given back lands on its own row."""
        rows = [self.area_rows.rows[area].error for area in self._area_order]
        label = row_label(field, "areas", rows)
        return label if label is not None else super().label_for(field)

    def clear_errors(self) -> None:
        super().clear_errors()
        for row in self.area_rows.rows.values():
            row.error.clear_message()
