"""A stand-in for the main window: the attributes report actions rely on."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMainWindow

from needlelog.store.database import Database


class FakeWindow(QMainWindow):
    def __init__(self, db: Database, patient: Any = None) -> None:
        super().__init__()
        self.db = db
        self.patient = patient
        self.statuses: list[str] = []
        self.file_menu = self.menuBar().addMenu("&File")
        self.patient_menu = self.menuBar().addMenu("&Patient")
        self.help_menu = self.menuBar().addMenu("&Help")
        self.toolbar = self.addToolBar("Main")

    def current_patient(self) -> Any:
        return self.patient

    def show_status(self, text: str) -> None:
        self.statuses.append(text)
