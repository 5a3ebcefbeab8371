"""What the consent dialogs that store something share: the store runs off the GUI
thread with the dialog's button inactive and Esc ignored meanwhile; a refusal is said
in the dialog (its own sentence, or the failure dialog for a bug) with everything
typed kept; once stored, the dialog hands on the consent and closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton

from needlelog.ui.background import TaskControl, run_task
from needlelog.ui.consent.refusals import refusal_words

if TYPE_CHECKING:
    from needlelog.domain.consent import Consent


class StoringDialog(QDialog):
    """Subclasses make ``error`` (the label refusals are said in) and ``buttons`` with
    ``_error_and_buttons``, set ``ACTION`` (what the failure dialog names),
    ``NOT_STORED`` (said after a failure) and ``REFUSED`` (the refusal's frame, with
    ``{words}``), and hand on the consent in ``_hand_on``."""

    ACTION = ""
    NOT_STORED = ""
    REFUSED = "{words}"
    error: QLabel
    buttons: QDialogButtonBox
    _saving = False
    _button: QPushButton | None = None

    def _error_and_buttons(
        self, error_name: str, store: QDialogButtonBox.StandardButton
    ) -> QPushButton:
        """The refusal label (hidden until something is said) and the store and Cancel
        buttons; answers the store button."""
        self.error = QLabel()
        self.error.setObjectName(error_name)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#9B1C1C;")
        self.error.hide()
        self.buttons = QDialogButtonBox(store | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        return self.buttons.button(store)

    @property
    def saving(self) -> bool:
        return self._saving

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _store(self, work: Callable[[TaskControl], Consent], button: QPushButton) -> None:
        self._saving = True
        self._button = button
        button.setEnabled(False)
        run_task(work, self._stored, self._refused, self)

    def _hand_on(self, consent: Consent) -> None:
        raise NotImplementedError

    def _refusal(self, exc: BaseException) -> str | None:
        """The sentence for a refusal the user can act on; None for a bug."""
        return refusal_words(exc)

    def _stored(self, consent: Consent) -> None:
        self._saving = False
        self._hand_on(consent)
        super().accept()

    def _refused(self, exc: BaseException, trace: str) -> None:
        self._saving = False
        if self._button is not None:
            self._button.setEnabled(True)
        words = self._refusal(exc)
        if words is None:
            from needlelog.ui.failures import show_failure

            show_failure(self, exc, trace, self.ACTION)
            words = self.NOT_STORED
        self._say(self.REFUSED.format(words=words))

    def reject(self) -> None:
        if not self._saving:
            super().reject()
