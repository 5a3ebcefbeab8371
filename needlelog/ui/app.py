"""Start the desktop app on a database.

A new install first explains where the records will live (first run). Then
the window comes up at once with an "opening" page; the database is opened
(and its schema upgraded, with a backup first) on a background thread, so a
large or slow database never leaves the user looking at nothing. Once the
records are on screen, the whole file's pages are checked in the background.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow, QMessageBox, QWidget

from needlelog import APP_NAME, config
from needlelog.store.database import Database
from needlelog.store.errors import StoreError
from needlelog.store.migrate import open_database
from needlelog.ui.first_run import (
    FirstRunChoices,
    FirstRunDialog,
    apply_in_background,
    database_file,
    needs_first_run,
)
from needlelog.ui.identity import apply_identity
from needlelog.ui.main_window import MainWindow
from needlelog.ui.smoke import arm_smoke_exit
from needlelog.ui.tasks import TaskControl, cancel_all, run_task, wait_for_all

RESTORE_HINT = (
    "Your records have not been changed.\n\n"
    "If the file is damaged, restore the latest backup "
    "with `needlelog restore FILE`; backups are kept in {backups}.\n"
    "If another needlelog is busy with this database, wait a moment and start again."
)
CANNOT_OPEN = "needlelog cannot open the records"


def prepare_application() -> QApplication:
    """The one QApplication, named so settings and dialogs say "needlelog"."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    apply_identity(app)
    app.setOrganizationName(APP_NAME)
    return app


def create_main_window(db: Database) -> MainWindow:
    """The main window on an open database (also used by tests, benchmarks, screenshots)."""
    prepare_application()
    return MainWindow(db)


def open_failed_message(exc: BaseException) -> str:
    return f"{exc}\n\n" + RESTORE_HINT.format(backups=config.paths().backups)


class _Opening(QMainWindow):
    """Shown while the database opens."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        label = QLabel("Opening the records…")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        self.setCentralWidget(label)
        line = self.fontMetrics().lineSpacing()
        self.resize(line * 40, line * 12)


def check_pages_in_background(window: MainWindow) -> None:
    """Read every page once after start, so damage the open did not touch is still found."""
    from needlelog.services import check

    def damaged(exc: BaseException, _trace: str) -> None:
        if isinstance(exc, StoreError):
            QMessageBox.warning(window, "The records file is damaged", open_failed_message(exc))

    run_task(lambda _control: check.quick(window.db), None, damaged, window)


def ask_first_run(url: str) -> FirstRunChoices | bool | None:
    """Choices of a new install; None when the database exists; False if the user quit."""
    if not needs_first_run(url):
        return None
    path = database_file(url)
    assert path is not None
    dialog = FirstRunDialog(path)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    return dialog.choices()


def run_app(url: str) -> int:
    """Open the database at ``url`` in the desktop app; returns the exit code."""
    app = prepare_application()
    choices = ask_first_run(url)
    if choices is False:
        return 0
    opening = _Opening()
    opening.show()
    result: dict[str, object] = {}

    def work(_control: TaskControl) -> Database:
        return open_database(url, backup_dir=config.paths().backups)

    def done(db: object) -> None:
        assert isinstance(db, Database)
        result["db"] = db
        window = MainWindow(db)
        result["window"] = window
        window.show()
        opening.close()
        if isinstance(choices, FirstRunChoices):
            apply_in_background(window, db, choices, on_done=window.reload)
        check_pages_in_background(window)

    def failed(exc: BaseException, trace: str) -> None:
        opening.hide()
        parent: QWidget | None = None
        if isinstance(exc, StoreError):
            QMessageBox.critical(parent, CANNOT_OPEN, open_failed_message(exc))
        else:
            QMessageBox.critical(
                parent,
                CANNOT_OPEN,
                f"An unexpected error stopped needlelog from opening the records:\n{exc}\n\n"
                + RESTORE_HINT.format(backups=config.paths().backups),
            )
            sys.stderr.write(trace)
        result["failed"] = True
        app.exit(1)

    run_task(work, done, failed)
    arm_smoke_exit(app)
    try:
        code = app.exec()
    finally:
        cancel_all()  # a daily backup under way stops between steps, leaving nothing half-made
        wait_for_all()
        db = result.get("db")
        if isinstance(db, Database):
            db.dispose()
    return 1 if result.get("failed") else code
