"""The consent line of the session form: whether a treatment consent covers the
session's date, said before Save like the screening's "avoid" items; without one,
"Sign consent now…" or "Save with a reason…" (the gate's written override, stored
as ``SessionData.consent_override_reason``). A stored session keeps its reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from needlelog.ui import formatting as fmt

if TYPE_CHECKING:
    from needlelog.domain.consent import ConsentStatus
    from needlelog.domain.records import SessionData

OK_STYLE = "#consentGate { background:#eef6ef; border:1px solid #b8d8bf; border-radius:4px; }"
MISSING_STYLE = "#consentGate { background:#fdecea; border:1px solid #f3b5ae; border-radius:4px; }"
OVERRIDE_STYLE = "#consentGate { background:#fff6e0; border:1px solid #f0d28c; border-radius:4px; }"
REASON_MAX = 2000


class ConsentGate(QFrame):
    """One line above the sections; ``reason`` is the override written, if any."""

    sign_wanted = Signal()
    reason_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consentGate")
        self.status: ConsentStatus | None = None
        self.reason = ""
        self.stored_reason = ""  # an amended session's: kept as it was
        self.gated = True  # False for a stored session: amendments are not gated
        self.text = QLabel()
        self.text.setObjectName("consentGateText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sign_button = QPushButton("Sign consent now…")
        self.sign_button.setObjectName("signConsentNow")
        self.sign_button.setAutoDefault(False)
        self.sign_button.setToolTip("The patient reads and signs the treatment consent here")
        self.sign_button.clicked.connect(self.sign_wanted)
        self.reason_button = QPushButton("Save with a reason…")
        self.reason_button.setObjectName("consentOverride")
        self.reason_button.setAutoDefault(False)
        self.reason_button.setToolTip(
            "Go ahead without a valid consent: the written reason is kept with the session"
        )
        self.reason_button.clicked.connect(self.reason_wanted)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.sign_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.reason_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    # --- as a part of the form ---------------------------------------------------------
    def load(self, data: SessionData) -> None:
        """A stored session: not gated; its reason (if any) is kept and shown."""
        self.gated = False
        self.stored_reason = self.reason = data.consent_override_reason
        self._show()

    def start_new(self) -> None:
        self.gated = True
        self.stored_reason = self.reason = ""
        self._show()

    def values(self) -> dict[str, str]:
        """The field this part gives the session, like a section's ``values``."""
        return {"consent_override_reason": self.reason}

    # --- what it says -----------------------------------------------------------------
    def set_status(self, status: ConsentStatus | None) -> None:
        self.status = status
        self._show()

    def set_reason(self, reason: str) -> None:
        self.reason = reason.strip()
        self._show()

    @property
    def blocks(self) -> bool:
        """Whether a save would be refused as things stand (as far as the form knows)."""
        return self.gated and self.status is not None and not self.status.ok and not self.reason

    def refused(self, sentence: str) -> None:
        """The records refused the save for want of consent: say why (in the one red
        line, not twice), offer the ways on."""
        self.text.setText(f"Not saved: {sentence} Your entries are still here.")
        self._style(MISSING_STYLE)
        self.sign_button.show()
        self.reason_button.show()
        self.show()

    def _style(self, sheet: str) -> None:
        self.setStyleSheet(sheet)

    def _show(self) -> None:
        status = self.status
        if not self.gated:
            self.sign_button.hide()
            self.reason_button.hide()
            if self.stored_reason:
                self.text.setText(f"Saved without a valid treatment consent: {self.stored_reason}")
                self._style(OVERRIDE_STYLE)
                self.show()
            else:
                self.hide()
            return
        if status is None:
            self.hide()
            return
        if status.consent is not None:
            c = status.consent
            how = "on paper" if c.signature is None else "on screen"
            self.text.setText(
                f"Treatment consent signed {how} on {fmt.day(c.signed_at)} covers this date."
            )
            self._style(OK_STYLE)
            self.sign_button.hide()
            self.reason_button.hide()
            self.show()
            return
        if not status.required:
            self.hide()
            return
        self.sign_button.show()
        self.reason_button.show()
        if self.reason:
            self.text.setText(f"No valid treatment consent; saved with the reason: {self.reason}")
            self.reason_button.setText("Change the reason…")
            self._style(OVERRIDE_STYLE)
        else:
            self.text.setText(status.why_not)
            self.reason_button.setText("Save with a reason…")
            self._style(MISSING_STYLE)
        self.show()
