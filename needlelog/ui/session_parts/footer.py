"""The foot of the session form: why saving is blocked or waiting, Cancel and Save."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class FormFooter(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formFooter")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 10, 24, 12)
        self.note = QLabel()
        self.note.setObjectName("blockedNote")
        self.note.setWordWrap(True)
        layout.addWidget(self.note, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.save_button = QPushButton("Save session")
        self.save_button.setAutoDefault(False)
        self.save_button.setToolTip("Save (Ctrl+S)")
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.save_button)

    def show_blocked(self, reasons: list[str]) -> None:
        """Why saving is blocked (the screening is not answered yet), or nothing."""
        self.note.setStyleSheet("")
        self.note.setText("Saving is blocked: " + " ".join(reasons) if reasons else "")
        self.cancel_button.setEnabled(True)

    def show_waiting(self, text: str) -> None:
        """A save is waiting (not an error: grey, not red); it ends with the save."""
        self.note.setStyleSheet("color: #5b6b70;")
        self.note.setText(text)
        self.cancel_button.setEnabled(False)
