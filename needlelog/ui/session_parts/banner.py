"""The banner above the session form's sections: why the last save did not land."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from needlelog.domain.errors import InvalidRecord
from needlelog.services.errors import Refused, StaleRecord
from needlelog.store.errors import StoreError
from needlelog.ui.form_widgets import FieldError, sentence


class ErrorBanner(QWidget):
    """A message in red, with "Reload" when the session was changed elsewhere."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = QFrame()
        self.frame.setObjectName("errorBanner")
        layout = QHBoxLayout(self.frame)
        layout.setContentsMargins(12, 8, 12, 8)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary, 1)
        self.reload_button = QPushButton("Reload")
        self.reload_button.setAutoDefault(False)
        self.reload_button.setToolTip("Show the session as it is stored now (your edits are lost)")
        self.reload_button.hide()
        layout.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 8, 24, 0)
        outer.addWidget(self.frame)
        self.hide()

    def say(self, text: str, reload: bool = False) -> None:
        self.summary.setText(text)
        self.reload_button.setVisible(reload)
        self.show()

    def show_refusal(
        self, refused: InvalidRecord, label_for: Callable[[str], FieldError | None]
    ) -> FieldError | None:
        """Each rule message under its field (``label_for``) and all of them here, in
        words; the first field's label is returned, to be scrolled into view."""
        by_label: dict[int, tuple[FieldError, list[str]]] = {}
        for violation in refused.violations:
            label = label_for(violation.field)
            if label is not None:
                by_label.setdefault(id(label), (label, []))[1].append(violation.message)
        for label, messages in by_label.values():
            label.show_messages(messages)
        count = len(refused.violations)
        lines = "\n".join(f"•  {sentence(v.message)}" for v in refused.violations)
        self.say(
            f"Not saved: {count} {'entry needs' if count == 1 else 'entries need'} "
            f"correcting.\n{lines}"
        )
        first = next(iter(by_label.values()), None)
        return first[0] if first is not None else None

    def show_not_saved(self, exc: BaseException) -> bool:
        """Why the records refused the save, in words; False for an error that is a bug."""
        if isinstance(exc, StaleRecord):
            self.say(
                f"Not saved: {exc}. “Reload” replaces your edits in this form with the "
                "stored session.",
                reload=True,
            )
        elif isinstance(exc, Refused):
            self.say(f"Not saved: {sentence(str(exc))}")
        elif isinstance(exc, StoreError):
            # Busy, read-only or full: the edits stay in the form so nothing typed is lost.
            self.say(f"Not saved: {sentence(str(exc))} Your entries are still here.")
        else:
            return False
        return True

    def clear(self) -> None:
        self.hide()
        self.reload_button.hide()
