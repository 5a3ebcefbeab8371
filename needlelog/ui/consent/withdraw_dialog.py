"""Withdraw a consent: which one, from which day, and why. The withdrawal is added
to the consent; the consent itself is kept as signed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.consent import MAX_REASON_CHARS, ConsentMethod
from needlelog.ui import formatting as fmt
from needlelog.ui.background import TaskControl
from needlelog.ui.consent.storing_dialog import StoringDialog
from needlelog.ui.form_widgets import OptionalDateEdit

if TYPE_CHECKING:
    from needlelog.domain.consent import Consent
    from needlelog.store.database import Database

NO_REASON = "Write the reason the patient gave (or “no reason given”)."
NO_DATE = "Choose the day the withdrawal takes effect."


def consent_line(consent: Consent) -> str:
    """One consent in a choice: kind, date, how, version, language."""
    how = "on paper" if consent.method is ConsentMethod.PAPER else "on screen"
    return (
        f"{consent.kind.label} signed {how} on {fmt.day(consent.signed_at)} · "
        f"version {consent.template.version} ({consent.template.language})"
    )


class WithdrawDialog(StoringDialog):
    """Asks which consent, the day and the reason; stores the withdrawal (off the GUI
    thread) and emits ``withdrawn`` with the consent as it is now."""

    withdrawn = Signal(object)  # Consent
    ACTION = "Withdrawing the consent"
    NOT_STORED = "The withdrawal was not stored."
    REFUSED = "Not withdrawn: {words}"

    def __init__(
        self,
        db: Database,
        consents: Sequence[Consent],
        today: date,
        parent: QWidget | None = None,
        chosen: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("withdrawConsent")
        self.setWindowTitle("Withdraw a consent")
        self.db = db
        self.consents = [c for c in consents if c.withdrawal is None]
        self.choice = QComboBox()
        self.choice.setObjectName("withdrawWhich")
        for c in self.consents:
            self.choice.addItem(consent_line(c), c.id)
        if chosen is not None:
            index = self.choice.findData(chosen)
            if index >= 0:
                self.choice.setCurrentIndex(index)
        self.day = OptionalDateEdit(start=today)
        self.day.setObjectName("withdrawOn")
        self.day.set_value(today)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("withdrawReason")
        self.reason.setPlaceholderText("The patient's words, or “no reason given”")
        self.reason.setFixedHeight(80)
        intro = QLabel(
            "The consent stays on record as signed; the withdrawal is added to it and "
            "takes effect from the day chosen."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Consent", self.choice)
        form.addRow("Withdrawn on", self.day)
        form.addRow("Reason", self.reason)
        self.ok_button = self._error_and_buttons(
            "withdrawError", QDialogButtonBox.StandardButton.Ok
        )
        self.ok_button.setText("Withdraw")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def problem(self) -> str | None:
        if self.choice.currentIndex() < 0:
            return "There is no consent left to withdraw."
        if self.day.value() is None:
            return NO_DATE
        reason = self.reason.toPlainText().strip()
        if not reason:
            return NO_REASON
        if len(reason) > MAX_REASON_CHARS:
            return f"The reason is longer than {MAX_REASON_CHARS:,} characters."
        return None

    def accept(self) -> None:
        if self._saving:
            return
        problem = self.problem()
        if problem is not None:
            self._say(problem)
            return
        db, consent_id = self.db, int(self.choice.currentData())
        day = self.day.value()
        reason = self.reason.toPlainText().strip()
        actor = config.current_user()

        def work(_control: TaskControl) -> Consent:
            from needlelog.services import consents

            return consents.withdraw(db, consent_id, day, reason, actor)  # type: ignore[arg-type]

        self._store(work, self.ok_button)

    def _hand_on(self, consent: Consent) -> None:
        self.withdrawn.emit(consent)
