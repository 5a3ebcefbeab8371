"""The addendum dialog: what a signed session needs added or corrected, and why. The
signed original stays as it is; the addendum is written beside it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class AddendumDialog(QDialog):
    def __init__(self, when: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addendumDialog")
        self.setWindowTitle(f"Addendum to the session of {when}")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The signed session stays exactly as signed. The addendum is shown beside it, "
            "in the history and in the report, with your name and the time."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. depth typed wrong")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("What is added or corrected")
        self.corrections = QLineEdit()
        self.corrections.setPlaceholderText("optional, e.g. forehead depth: 0.5 mm")
        form.addRow("Reason", self.reason)
        form.addRow("Addendum", self.text)
        form.addRow("Corrected values", self.corrections)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setStyleSheet("color:#8c1d18;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add addendum")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 360)

    def _accept(self) -> None:
        missing = [
            name
            for name, value in (("a reason", self.reason.text()), ("the addendum's text",
                                self.text.toPlainText()))
            if not value.strip()
        ]  # fmt: skip
        if missing:
            self.error.setText("Please give " + " and ".join(missing) + ".")
            return
        self.accept()

    def values(self) -> tuple[str, str, dict[str, str]]:
        """(text, reason, corrections) as typed."""
        corrected = self.corrections.text().strip()
        return (
            self.text.toPlainText().strip(),
            self.reason.text().strip(),
            {"corrected values": corrected} if corrected else {},
        )
