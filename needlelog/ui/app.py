"""Start the desktop app on a database."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from needlelog import APP_NAME, __version__, config
from needlelog.store.errors import StoreError
from needlelog.store.migrate import open_database
from needlelog.ui.smoke import arm_smoke_exit


def run_app(url: str) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    try:
        db = open_database(url, backup_dir=config.paths().backups)
    except StoreError as exc:
        QMessageBox.critical(None, "needlelog cannot open the records", str(exc))
        return 1
    window = QMainWindow()
    window.setWindowTitle(f"needlelog — {db.display_name}")
    window.resize(1100, 720)
    window.show()
    arm_smoke_exit(app)
    try:
        return app.exec()
    finally:
        db.dispose()
