"""Products: the serums and other products applied, each with its lot and expiry."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from needlelog.domain.records import Product, SessionData
from needlelog.ui.form_widgets import FieldError
from needlelog.ui.session_parts.section import FormSection, row_label
from needlelog.ui.session_rows import ProductRows


class ProductsSection(FormSection):
    title = "Products"
    rows_changed = Signal()  # product rows came or went: the Tab order changes

    def __init__(self, known: list[Product], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._order: list[int] = []  # row index of each product last given back
        self.product_rows = ProductRows(known)
        self.product_rows.rowsChanged.connect(self.rows_changed)
        self.box.addWidget(self.product_rows)
        self.box.addWidget(self.error("products"))

    def load(self, data: SessionData) -> None:
        self.product_rows.clear_rows()
        for product in data.products:
            self.product_rows.add_row(product)

    def start_new(self, previous: SessionData | None) -> None:
        """Courses repeat: the same products, with the lots used last time."""
        if previous is not None:
            self.load(previous)

    def values(self) -> dict[str, Any]:
        products = []
        self._order = []
        for i, row in enumerate(self.product_rows.rows):
            if not row.is_blank():
                products.append(row.value())
                self._order.append(i)
        return {"products": tuple(products)}

    def focus_widgets(self) -> list[QWidget]:
        return self.product_rows.focus_widgets()

    def label_for(self, field: str) -> FieldError | None:
        """A message about the n-th product as last given back lands on its own row."""
        rows = [self.product_rows.rows[i].error for i in self._order]
        label = row_label(field, "products", rows)
        return label if label is not None else super().label_for(field)

    def clear_errors(self) -> None:
        super().clear_errors()
        for row in self.product_rows.rows:
            row.error.clear_message()
