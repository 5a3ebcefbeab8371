"""Small parts the record forms share: field errors, optional dates and numbers, and the
question asked before unsaved edits are dropped."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QMessageBox, QSpinBox, QWidget

# The house style of every date shown (7 Mar 2026, as the list, record and report
# write it), in English month names whatever the system's language, like the rest.
DATE_FORMAT = "d MMM yyyy"
DATE_LOCALE = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)  # "Sep", not "Sept"
_EMPTY_DATE = QDate(1900, 1, 1)


def sentence(message: str) -> str:
    """A rule's message as a sentence for the screen (messages start in lower case)."""
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


class FieldError(QLabel):
    """The message of a refused value, in words, right under the field it concerns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_messages(self, messages: list[str]) -> None:
        self.setText("\n".join(sentence(m) for m in messages))
        self.setVisible(bool(messages))

    def clear_message(self) -> None:
        self.clear()
        self.hide()


class OptionalDateEdit(QDateEdit):
    """A date that may be left empty (shown as "—"); arrows start from ``start``."""

    def __init__(self, parent: QWidget | None = None, start: date | None = None) -> None:
        super().__init__(parent)
        self._start = start
        self.setLocale(DATE_LOCALE)
        self.setDisplayFormat(DATE_FORMAT)
        self.setCalendarPopup(True)
        self.setMinimumDate(_EMPTY_DATE)
        self.setSpecialValueText("—")
        self.setDate(_EMPTY_DATE)

    def value(self) -> date | None:
        return None if self.date() == _EMPTY_DATE else self.date().toPython()

    def set_value(self, value: date | None) -> None:
        self.setDate(_EMPTY_DATE if value is None else QDate(value))

    def stepBy(self, steps: int) -> None:
        if self.value() is None:
            # Stepping from "empty" starts at a sensible day, not in 1900.
            self.set_value(self._start or date.today())
            return
        super().stepBy(steps)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and (
            self.lineEdit().selectedText() == self.lineEdit().text()
        ):
            self.set_value(None)
            return
        super().keyPressEvent(event)


class OptionalSpinBox(QSpinBox):
    """A whole number that may be left unrecorded (the value below ``low``)."""

    def __init__(
        self, low: int, high: int, empty_text: str = "—", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._none = low - 1
        self.setRange(self._none, high)
        self.setSpecialValueText(empty_text)
        self.setValue(self._none)

    def number(self) -> int | None:
        return None if self.value() == self._none else self.value()

    def set_number(self, value: int | None) -> None:
        self.setValue(self._none if value is None else value)


def choice_combo(choices: list[tuple[str, object]], parent: QWidget | None = None) -> QComboBox:
    """A drop-down of (text, value) pairs; read it with ``combo.currentData()``."""
    combo = QComboBox(parent)
    for text, value in choices:
        combo.addItem(text, value)
    return combo


def select_data(combo: QComboBox, value: object) -> None:
    """Show the item holding ``value``; ``None`` (or an unknown value) is the first item."""
    index = -1 if value is None else combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


DISCARD_TITLE = "Discard changes?"
DISCARD_BUTTON = "Discard changes"
KEEP_BUTTON = "Keep editing"


def confirm_discard(parent: QWidget, what: str) -> bool:
    """Ask before the unsaved edits of ``what`` ("this session") are dropped.

    Every form asks in the same words. "Keep editing" is the default button and
    what Esc answers, so a stray key press never loses typed work.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(DISCARD_TITLE)
    box.setText(f"{what[:1].upper()}{what[1:]} has changes that are not saved.")
    box.setInformativeText("Discard them, or keep editing?")
    box.setStandardButtons(QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
    discard = box.button(QMessageBox.StandardButton.Discard)
    discard.setText(DISCARD_BUTTON)
    keep = box.button(QMessageBox.StandardButton.Cancel)
    keep.setText(KEEP_BUTTON)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    discarded = box.clickedButton() is discard
    box.deleteLater()  # its parent form may stay open and be asked again
    return discarded
