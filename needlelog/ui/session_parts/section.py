"""What every section of the session form has: a title, its fields' error labels,
loading and giving back values, and the order Tab walks through it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from needlelog.domain.records import SessionData
from needlelog.ui.form_widgets import FieldError


class FormSection(QWidget):
    """One numbered section of the session form.

    ``load`` shows a stored session; ``start_new`` fills a new session from the
    patient's previous one (what is carried over is the section's own choice);
    ``values`` gives the section's ``SessionData`` fields back by name."""

    title = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 4, 0, 4)
        self.box.setSpacing(6)
        self._errors: dict[str, FieldError] = {}

    # ---- for the sections ---------------------------------------------------

    def error(self, field: str) -> FieldError:
        """A new error label for the rule messages about ``field`` (and its parts)."""
        label = FieldError()
        self._errors[field] = label
        return label

    def own_error(self, field: str, label: FieldError) -> None:
        """Rule messages about ``field`` land on ``label`` (made by a part of the section)."""
        self._errors[field] = label

    # ---- for the form -------------------------------------------------------

    def load(self, data: SessionData) -> None:
        """Show the stored session ``data``."""
        raise NotImplementedError

    def start_new(self, previous: SessionData | None) -> None:
        """Fill a new session; by default nothing is carried over from ``previous``."""

    def values(self) -> dict[str, Any]:
        """What the section says, as ``SessionData`` fields by name."""
        raise NotImplementedError

    def focus_widgets(self) -> list[QWidget]:
        """The section's fields in the order Tab visits them."""
        raise NotImplementedError

    def first_field(self) -> QWidget:
        """Where the keyboard goes when the section is jumped to."""
        return self.focus_widgets()[0]

    def label_for(self, field: str) -> FieldError | None:
        """The error label for a rule message about ``field`` ("numbing.minutes"), or
        the label of the nearest enclosing field ("vss" for "vss.height")."""
        parts = field.split(".")
        while parts:
            label = self._errors.get(".".join(parts))
            if label is not None:
                return label
            parts.pop()
        return None

    def clear_errors(self) -> None:
        for label in self._errors.values():
            label.clear_message()


def row_label(field: str, rows: str, labels: list[FieldError]) -> FieldError | None:
    """For a rule message about "<rows>.<n>..." (the n-th area or product as last given
    back), that row's own label; None for any other field."""
    parts = field.split(".")
    if parts[0] == rows and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(labels):
        return labels[int(parts[1])]
    return None


def text_box(placeholder: str, height: int = 64) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # Tab moves on through the form; it is not typed
    box.setFixedHeight(height)
    return box


def subheading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("columnHeader")
    label.setContentsMargins(0, 8, 0, 0)
    return label
