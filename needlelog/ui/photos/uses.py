"""Which uses of their photographs the patient agreed to: kept in the clinical record,
shown in their own report, used for teaching, published. Each is asked separately
(CLINICAL.md); a photo stays out of any use not ticked here, and the window says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from needlelog import config
from needlelog.ui.background import TaskControl, run_task

if TYPE_CHECKING:
    from needlelog.domain.photos import PhotoUses
    from needlelog.domain.records import Patient
    from needlelog.store.database import Database


class PhotoUsesDialog(QDialog):
    """Tick the uses the patient agreed to; saved with the patient (audited)."""

    saved = Signal(object)  # PhotoUses

    def __init__(
        self, db: Database, patient: Patient, uses: PhotoUses, parent: QWidget | None = None
    ) -> None:
        from needlelog.domain.photos import PhotoUse

        super().__init__(parent)
        self.db, self.patient = db, patient
        self.setObjectName("photoUsesDialog")
        self.setWindowTitle(f"Photo consent: {patient.data.full_name}")
        intro = QLabel(
            "Which uses of their photographs did the patient agree to? Ask for each one "
            "separately. A photo is left out of every use not ticked."
        )
        intro.setWordWrap(True)
        self.boxes: dict[PhotoUse, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        for use in PhotoUse:
            box = QCheckBox(use.label)
            box.setObjectName(f"use_{use.value}")
            box.setChecked(uses.allows(use))
            self.boxes[use] = box
            layout.addWidget(box)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#9B1C1C")
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        agreed = [use for use, box in self.boxes.items() if box.isChecked()]
        db, patient_id, actor = self.db, self.patient.id, config.current_user()
        self.buttons.setEnabled(False)

        def work(_control: TaskControl) -> PhotoUses:
            from needlelog.services import photos

            return photos.set_uses(db, patient_id, agreed, actor)

        run_task(work, self._saved, self._failed, parent=self)

    def _saved(self, uses: object) -> None:
        self.saved.emit(uses)
        self.accept()

    def _failed(self, exc: BaseException, trace: str) -> None:
        from needlelog.domain.accounts import AccessRefused

        self.buttons.setEnabled(True)
        if isinstance(exc, AccessRefused):  # the role may not: said here, nothing saved
            self.error.setText(f"The consent was not saved: {exc}.")
            self.error.show()
            return
        from needlelog.ui.failures import show_failure

        self.error.setText("The consent was not saved.")
        self.error.show()
        show_failure(self, exc, trace, "Saving the photo consent")
