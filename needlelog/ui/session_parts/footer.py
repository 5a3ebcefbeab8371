"""The foot of the session form: why saving is blocked or waiting, Cancel and Save;
Sign for a stored draft, Add addendum… for a signed session."""

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
        self.sign_button = QPushButton("Sign…")
        self.sign_button.setAutoDefault(False)
        self.sign_button.setToolTip("Sign the session as stored: from then on it cannot change")
        self.sign_button.hide()
        self.addendum_button = QPushButton("Add addendum…")
        self.addendum_button.setAutoDefault(False)
        self.addendum_button.hide()
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.sign_button)
        layout.addWidget(self.addendum_button)
        layout.addWidget(self.save_button)

    def show_blocked(self, reasons: list[str]) -> None:
        """Why saving is blocked (the screening is not answered yet), or nothing."""
        self.note.setStyleSheet("")
        self.note.setText("Saving is blocked: " + " ".join(reasons) if reasons else "")
        self.cancel_button.setEnabled(True)

    def show_signed(self, line: str) -> None:
        """The session is signed: read only, corrections are addenda."""
        self.note.setStyleSheet("color: #1d4f2a;")
        self.note.setText(
            f"{line}. A signed session cannot be changed; a correction is an addendum."
        )
        self.save_button.hide()
        self.sign_button.hide()
        self.addendum_button.show()
        self.cancel_button.setText("Close")

    def show_waiting(self, text: str) -> None:
        """A save is waiting (not an error: grey, not red); it ends with the save."""
        self.note.setStyleSheet("color: #5b6b70;")
        self.note.setText(text)
        self.cancel_button.setEnabled(False)
