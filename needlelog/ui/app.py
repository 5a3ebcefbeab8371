"""Start the desktop app on a database.

The window comes up at once with a "opening" page; the database is opened
(and its schema upgraded, with a backup first) on a background thread, so a
large or slow database never leaves the user looking at nothing.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QWidget

from needlelog import APP_NAME, __version__, config
from needlelog.store.database import Database
from needlelog.store.errors import StoreError
from needlelog.store.migrate import open_database
from needlelog.ui.main_window import MainWindow
from needlelog.ui.tasks import TaskControl, run_task, wait_for_all

RESTORE_HINT = (
    "Your records have not been changed.\n\n"
    "If the file is damaged, restore the latest backup "
    "with `needlelog restore FILE`; backups are kept in {backups}.\n"
    "If another needlelog is busy with this database, wait a moment and start again."
)


def app_icon() -> QIcon:
    return QIcon(str(config.resources_dir() / "icons" / "needlelog.svg"))


def prepare_application() -> QApplication:
    """The one QApplication, named so settings and dialogs say "needlelog"."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setWindowIcon(app_icon())
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


def run_app(url: str) -> int:
    """Open the database at ``url`` in the desktop app; returns the exit code."""
    app = prepare_application()
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

    def failed(exc: BaseException, trace: str) -> None:
        opening.hide()
        parent: QWidget | None = None
        if isinstance(exc, StoreError):
            QMessageBox.critical(
                parent, "needlelog cannot open the records", open_failed_message(exc)
            )
        else:
            QMessageBox.critical(
                parent,
                "needlelog cannot open the records",
                f"An unexpected error stopped needlelog from opening the records:\n{exc}\n\n"
                + RESTORE_HINT.format(backups=config.paths().backups),
            )
            sys.stderr.write(trace)
        result["failed"] = True
        app.exit(1)

    run_task(work, done, failed)
    try:
        code = app.exec()
    finally:
        wait_for_all()
        db = result.get("db")
        if isinstance(db, Database):
            db.dispose()
    return 1 if result.get("failed") else code
