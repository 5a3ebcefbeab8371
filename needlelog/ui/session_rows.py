"""The repeating parts of the session form: one row per treated area, one per product."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.codes import Area, Endpoint
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Product, TreatedArea
from needlelog.ui import formatting as fmt
from needlelog.ui.form_widgets import (
    FieldError,
    OptionalDateEdit,
    OptionalSpinBox,
    choice_combo,
    select_data,
)

ENDPOINT_CHOICES: list[tuple[str, object]] = [
    ("—", None),
    ("Erythema only", Endpoint.ERYTHEMA.value),
    ("Pinpoint bleeding", Endpoint.PINPOINT_BLEEDING.value),
]


def _header(text: str, parent: QWidget) -> QLabel:
    # Parented from the start: showing a parentless label would open it as a window.
    label = QLabel(text, parent)
    label.setObjectName("columnHeader")
    return label


@dataclass
class AreaRow:
    area: Area
    name: QLabel
    label_edit: QLineEdit | None  # where "other" is, in words
    depth: QDoubleSpinBox
    passes: OptionalSpinBox
    endpoint: QComboBox
    error: FieldError

    def widgets(self) -> list[QWidget]:
        own: list[QWidget] = [self.depth, self.passes, self.endpoint]
        return ([self.label_edit] if self.label_edit else []) + own

    def value(self) -> TreatedArea:
        endpoint = self.endpoint.currentData()
        return TreatedArea(
            area=self.area,
            depth_mm=Decimal(f"{self.depth.value():.2f}"),
            passes=self.passes.number(),
            endpoint=None if endpoint is None else Endpoint(endpoint),
            label=self.label_edit.text().strip() if self.label_edit else "",
        )

    def load(self, treated: TreatedArea) -> None:
        self.depth.setValue(float(treated.depth_mm))
        self.passes.set_number(treated.passes)
        select_data(self.endpoint, None if treated.endpoint is None else treated.endpoint.value)
        if self.label_edit is not None:
            self.label_edit.setText(treated.label)


class AreaRows(QWidget):
    """Depth (limited to the clinic's protocol range), passes and endpoint per chosen area."""

    rowsChanged = Signal()

    def __init__(self, protocol: Protocol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._protocol = protocol
        # Widened only for stored depths outside today's protocol (``widen_depth_range``).
        self._stored: list[float] = []
        self.rows: dict[Area, AreaRow] = {}
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(4)
        self._grid.setColumnMinimumWidth(0, 200)
        self._grid.setColumnStretch(4, 1)  # the numbers stay next to the area they belong to
        self._empty = QLabel(
            "No area chosen yet: click zones on the map or tick them in the list.", self
        )
        self._empty.setObjectName("hint")
        self._headers = [
            _header("Area", self),
            _header("Depth", self),
            _header("Passes", self),
            _header("Endpoint", self),
        ]
        self._relayout()

    def widen_depth_range(self, depths: list[Decimal]) -> None:
        """Let stored depths outside today's protocol show as they are (the save refuses them
        with a message) instead of being clamped silently."""
        self._stored += [float(d) for d in depths]
        for area, row in self.rows.items():
            row.depth.setRange(*self._range(area))

    def _range(self, area: Area) -> tuple[float, float]:
        """The area's range in the clinic's protocol, widened to any stored depth."""
        low, high = (float(v) for v in self._protocol.depth_range(area))
        return min([low, *self._stored]), max([high, *self._stored])

    def _make_row(self, area: Area, default: TreatedArea | None) -> AreaRow:
        name = QLabel(area.label)
        name.setObjectName("areaName")
        label_edit = None
        if area is Area.OTHER:
            label_edit = QLineEdit()
            label_edit.setPlaceholderText("Other: describe where")
            label_edit.setAccessibleName("Other area, where")
        depth = QDoubleSpinBox()
        depth.setDecimals(2)
        low, high = self._range(area)
        depth.setRange(low, high)
        depth.setSingleStep(float(self._protocol.depth_step_mm))
        depth.setSuffix(" mm")
        depth.setValue(float(self._protocol.depth_range(area)[0]))
        depth.setAccessibleName(f"Needle depth, {area.label}")
        depth.setToolTip(f"Protocol for {area.label}: {self._protocol.depth_allowed_text(area)}")
        passes = OptionalSpinBox(1, 20)
        passes.setAccessibleName(f"Passes, {area.label}")
        endpoint = choice_combo(ENDPOINT_CHOICES)
        endpoint.setAccessibleName(f"Endpoint, {area.label}")
        row = AreaRow(area, name, label_edit, depth, passes, endpoint, FieldError())
        if default is not None:
            row.load(default)
        return row

    def set_areas(self, areas: list[Area], defaults: dict[Area, TreatedArea]) -> None:
        """Show a row for each area; existing rows keep what was typed into them."""
        wanted = set(areas)
        for area in [a for a in self.rows if a not in wanted]:
            row = self.rows.pop(area)
            for widget in [row.name, *row.widgets(), row.error]:
                widget.hide()
                widget.deleteLater()
        for area in areas:
            if area not in self.rows:
                self.rows[area] = self._make_row(area, defaults.get(area))
        self._relayout()
        self.rowsChanged.emit()

    def _relayout(self) -> None:
        while self._grid.count():
            self._grid.takeAt(0)
        self._empty.setVisible(not self.rows)
        for header in self._headers:
            header.setVisible(bool(self.rows))
        if not self.rows:
            self._grid.addWidget(self._empty, 0, 0, 1, 4)
            return
        for col, header in enumerate(self._headers):
            self._grid.addWidget(header, 0, col)
        line = 1
        for area in Area:
            row = self.rows.get(area)
            if row is None:
                continue
            if row.label_edit is not None:
                self._grid.addWidget(row.label_edit, line, 0)
                row.name.hide()
            else:
                self._grid.addWidget(row.name, line, 0)
            self._grid.addWidget(row.depth, line, 1)
            self._grid.addWidget(row.passes, line, 2)
            self._grid.addWidget(row.endpoint, line, 3)
            self._grid.addWidget(row.error, line + 1, 0, 1, 5)
            line += 2

    def ordered(self) -> list[AreaRow]:
        return [self.rows[a] for a in Area if a in self.rows]

    def focus_widgets(self) -> list[QWidget]:
        return [w for row in self.ordered() for w in row.widgets()]


def _product_text(product: Product) -> str:
    parts = [product.name]
    if product.lot:
        parts.append(f"lot {product.lot}")
    if product.expiry:
        parts.append(f"exp. {fmt.day(product.expiry)}")
    return "  ·  ".join(parts)


@dataclass
class ProductRow:
    name: QComboBox
    lot: QLineEdit
    expiry: OptionalDateEdit
    remove: QToolButton
    error: FieldError
    # A row carried over from the previous session: its lot and expiry are a suggestion
    # until confirmed (the same vial) or changed (a new vial has a new lot).
    confirm: QCheckBox
    carried: Product | None = None
    lots: list[Product] | None = None  # the clinic's latest lots of this product

    @property
    def asks_confirmation(self) -> bool:
        return self.carried is not None and bool(self.carried.lot or self.carried.expiry)

    def widgets(self) -> list[QWidget]:
        middle = [self.confirm] if self.asks_confirmation else []
        return [self.name, self.lot, self.expiry, *middle, self.remove]

    def unconfirmed(self) -> bool:
        """A carried-over lot neither confirmed nor changed."""
        if self.carried is None or self.confirm.isChecked():
            return False
        now = (self.lot.text().strip(), self.expiry.value())
        return now == (self.carried.lot, self.carried.expiry) and bool(
            self.carried.lot or self.carried.expiry
        )

    def is_blank(self) -> bool:
        return not (self.name.currentText().strip() or self.lot.text().strip()) and (
            self.expiry.value() is None
        )

    def value(self) -> Product:
        return Product(
            self.name.currentText().strip(), self.lot.text().strip(), self.expiry.value()
        )

    def load(self, product: Product) -> None:
        self.name.setCurrentIndex(-1)
        self.name.setEditText(product.name)
        self.lot.setText(product.lot)
        self.expiry.set_value(product.expiry)

    def offer_lots(self, lots: list[Product]) -> None:
        """The lots the clinic used most recently for this product, newest first, as
        the lot field's choices (picking one fills its expiry)."""
        self.lots = lots
        completer = QCompleter(self.lot)
        model = QStringListModel([p.lot for p in lots if p.lot], completer)
        completer.setModel(model)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.activated.connect(self._lot_picked)
        self.lot.setCompleter(completer)
        self.lot.setToolTip(
            "Lots used lately: " + ", ".join(model.stringList()) if lots else "No lot used before"
        )

    def _lot_picked(self, lot: str) -> None:
        found = next((p for p in self.lots or [] if p.lot == lot), None)
        if found is not None:
            self.expiry.set_value(found.expiry)


class ProductRows(QWidget):
    """Serums and products applied, each picked from those used before (with lot and expiry)."""

    rowsChanged = Signal()
    changed = Signal()  # a lot, an expiry or a confirmation changed
    lotsWanted = Signal(object, str)  # (row, product name): offer that product's lots

    def __init__(self, known: list[Product], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._known = known
        self.rows: list[ProductRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(4)
        self._grid.setColumnStretch(0, 3)
        self._grid.setColumnStretch(1, 1)
        outer.addLayout(self._grid)
        self._headers = [_header(t, self) for t in ("Product", "Lot", "Expiry")]
        self.add_button = QPushButton("+  Add product")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self._add_clicked)
        outer.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._relayout()

    def _add_clicked(self) -> None:
        row = self.add_row()
        row.name.setFocus()

    def add_row(self, product: Product | None = None) -> ProductRow:
        name = QComboBox()
        name.setEditable(True)
        name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        name.setMinimumContentsLength(18)
        name.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for known in self._known:
            name.addItem(_product_text(known))
        completer = name.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        name.setCurrentIndex(-1)
        name.lineEdit().setPlaceholderText("Pick a product used before, or type a new one")
        name.setAccessibleName("Product")
        lot = QLineEdit()
        lot.setPlaceholderText("Lot number")
        lot.setAccessibleName("Lot number")
        expiry = OptionalDateEdit()
        expiry.setAccessibleName("Expiry date")
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip("Remove this product")
        remove.setAccessibleName("Remove this product")
        confirm = QCheckBox("Same lot")
        confirm.setToolTip(
            "Carried over from the last session: tick if this vial has the same lot and "
            "expiry, or type the new vial's lot"
        )
        confirm.setAccessibleName("Same lot as the last session")
        confirm.hide()
        row = ProductRow(name, lot, expiry, remove, FieldError(), confirm)
        name.currentIndexChanged.connect(lambda index, r=row: self._picked(r, index))
        name.lineEdit().editingFinished.connect(lambda r=row: self._name_set(r))
        remove.clicked.connect(lambda _=False, r=row: self.remove_row(r))
        for signal in (lot.textChanged, expiry.dateChanged, confirm.toggled):
            signal.connect(lambda *_: self.changed.emit())
        if product is not None:
            row.load(product)
        self.rows.append(row)
        self._relayout()
        self.rowsChanged.emit()
        return row

    def _picked(self, row: ProductRow, index: int) -> None:
        """Choosing a known product fills its lot and expiry: the practitioner picks, not types."""
        if not 0 <= index < len(self._known):
            return
        product = self._known[index]
        row.name.setEditText(product.name)
        row.lot.setText(product.lot)
        row.expiry.set_value(product.expiry)
        self.lotsWanted.emit(row, product.name)

    def _name_set(self, row: ProductRow) -> None:
        name = row.name.currentText().strip()
        if name:
            self.lotsWanted.emit(row, name)

    def add_carried(self, product: Product) -> ProductRow:
        """A row carried over from the previous session, its lot waiting to be confirmed."""
        row = self.add_row(product)
        row.carried = product
        if row.asks_confirmation:
            row.confirm.setParent(self)
            row.confirm.show()
            self._relayout()
            self.rowsChanged.emit()
        return row

    def remove_row(self, row: ProductRow) -> None:
        self.rows.remove(row)
        for widget in [*row.widgets(), row.confirm, row.error]:
            widget.hide()
            widget.deleteLater()
        self._relayout()
        self.rowsChanged.emit()
        if self.rows:
            self.rows[-1].name.setFocus()
        else:
            self.add_button.setFocus()

    def clear_rows(self) -> None:
        for row in list(self.rows):
            self.rows.remove(row)
            for widget in [*row.widgets(), row.confirm, row.error]:
                widget.hide()
                widget.deleteLater()
        self._relayout()

    def _relayout(self) -> None:
        while self._grid.count():
            self._grid.takeAt(0)
        for header in self._headers:
            header.setVisible(bool(self.rows))
        if not self.rows:
            return
        for col, header in enumerate(self._headers):
            self._grid.addWidget(header, 0, col)
        for i, row in enumerate(self.rows):
            line = 1 + 2 * i
            for col, widget in enumerate((row.name, row.lot, row.expiry)):
                self._grid.addWidget(widget, line, col)
            if row.asks_confirmation:
                self._grid.addWidget(row.confirm, line, 3)
            self._grid.addWidget(row.remove, line, 4)
            self._grid.addWidget(row.error, line + 1, 0, 1, 5)

    def focus_widgets(self) -> list[QWidget]:
        return [w for row in self.rows for w in row.widgets()] + [self.add_button]
