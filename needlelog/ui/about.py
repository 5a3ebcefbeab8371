"""The About box: what this program is, which version, under which licence."""

from __future__ import annotations

import platform
from html import escape

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from needlelog import __version__
from needlelog.ui.identity import app_icon

LICENCE = "MIT licence. Copyright © needlelog contributors."
SUMMARY = (
    "Microneedling treatment records for clinics: patients, sessions with needle "
    "depth per area, serums and lot numbers, reactions, progress reports."
)


def versions_line() -> str:
    return f"Qt {qVersion()} · PySide6 {pyside_version} · Python {platform.python_version()}"


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About needlelog")
        self.setObjectName("aboutDialog")

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.title = QLabel(
            f"<span style='font-size:18pt; font-weight:600'>needlelog</span>"
            f"<br><span style='font-size:11pt'>Version {escape(__version__)}</span>"
        )
        self.summary = QLabel(SUMMARY)
        self.summary.setWordWrap(True)
        self.licence = QLabel(
            f"{escape(LICENCE)}<br>Provided “as is”, without warranty of any kind."
            "<br>Built with Qt and PySide6 (LGPL v3) and ReportLab (BSD)."
        )
        self.licence.setWordWrap(True)
        self.versions = QLabel(versions_line())
        self.versions.setStyleSheet("color: palette(placeholder-text)")
        self.versions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        text = QVBoxLayout()
        for label in (self.title, self.summary, self.licence, self.versions):
            text.addWidget(label)
        text.setSpacing(10)

        top = QHBoxLayout()
        top.addWidget(icon)
        top.addSpacing(12)
        top.addLayout(text, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 14)
        layout.addLayout(top)
        layout.addWidget(buttons)
        self.setFixedWidth(460)

    def text(self) -> str:
        """Everything the box says, as plain text (for tests and copying)."""
        return "\n".join(
            label.text() for label in (self.title, self.summary, self.licence, self.versions)
        )


def show_about(parent: QWidget | None = None) -> None:
    AboutDialog(parent).exec()
