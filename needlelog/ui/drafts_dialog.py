"""The to-do list of signatures: sessions saved as drafts more than a day ago and still
unsigned, oldest first, read off the GUI thread."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from needlelog.services import sessions
from needlelog.services.session_query import Draft
from needlelog.store.database import Database
from needlelog.ui import formatting as fmt
from needlelog.ui.background import run_task
from needlelog.ui.failures import show_failure


def draft_line(d: Draft) -> str:
    return (
        f"{d.record_no} · session of {fmt.day(d.performed_at)} · {d.practitioner or '—'} · "
        f"saved {fmt.day(d.created_at)}"
    )


class DraftsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("draftsDialog")
        self.setWindowTitle("Sessions to sign")
        layout = QVBoxLayout(self)
        self.summary = QLabel("Reading the drafts…")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.list = QListWidget()
        layout.addWidget(self.list, 1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout.addWidget(close)
        self.resize(620, 420)
        self.loaded = False
        run_task(lambda _c: sessions.unsigned_drafts(db), self._show, self._failed, self)

    def _show(self, drafts: list[Draft]) -> None:
        self.loaded = True
        self.list.clear()
        self.list.addItems([draft_line(d) for d in drafts])
        self.summary.setText(
            "No session has waited more than a day for its signature."
            if not drafts
            else f"{len(drafts)} session(s) saved more than a day ago are not signed yet. "
            "Open each from the patient's history and sign it."
        )

    def _failed(self, exc: BaseException, trace: str) -> None:
        self.loaded = True
        show_failure(self, exc, trace, "Reading the sessions to sign")
