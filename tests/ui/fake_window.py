"""A stand-in for the main window: the ``FeatureHost`` that feature modules install into."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow

from needlelog.domain.records import Patient, TreatmentSession
from needlelog.store.database import Database


class FakeWindow(QMainWindow):
    """Menus and toolbar as the main window has them; statuses and reloads are kept."""

    def __init__(self, db: Database, patient: Patient | None = None) -> None:
        super().__init__()
        self.db = db
        self.patient = patient
        self.session: TreatmentSession | None = None  # chosen in the history
        self.statuses: list[str] = []
        self.reloads = 0
        self.file_menu = self.menuBar().addMenu("&File")
        self.patient_menu = self.menuBar().addMenu("&Patient")
        self.help_menu = self.menuBar().addMenu("&Help")
        self.toolbar = self.addToolBar("Main")

    def current_patient(self) -> Patient | None:
        return self.patient

    def chosen_session(self) -> TreatmentSession | None:
        return self.session

    def show_status(self, text: str) -> None:
        self.statuses.append(text)

    def reload(self) -> None:
        self.reloads += 1
