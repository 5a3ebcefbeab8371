"""Start the desktop app on a database.

A new install first explains where the records will live (first run). Then
the main window itself comes up at once, in its opening state: menus, the
search field and the lists are there, the list says the records are opening
and nothing can be changed yet. Only this module, Qt and the main window's
own modules are loaded for that; SQLAlchemy, Alembic, the store and the
services are not. Once the window has painted, the database is opened (and
its schema upgraded, with a backup first) on a background thread, so a large
or slow database never leaves the user looking at nothing, and the loading
does not compete with the first paint. The window is then attached to the
records and fills its list; the whole file's pages are checked in the
background after that.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from needlelog import APP_NAME, config, failures
from needlelog.store.errors import StoreError
from needlelog.ui import failures as ui_failures
from needlelog.ui.background import TaskControl, cancel_all, run_task, wait_for_all
from needlelog.ui.identity import app_icon, apply_identity
from needlelog.ui.main_window import MainWindow
from needlelog.ui.smoke import arm_smoke_exit

if TYPE_CHECKING:
    from needlelog.store.database import Database
    from needlelog.ui.first_run import FirstRunChoices

RESTORE_HINT = (
    "Your records have not been changed.\n\n"
    "If the file is damaged, restore the latest backup "
    "with `needlelog restore FILE`; backups are kept in {backups}.\n"
    "If another needlelog is busy with this database, wait a moment and start again."
)
CANNOT_OPEN = "needlelog cannot open the records"
# The records open after the window's first paint; should no paint come (a window
# started minimised, a platform that draws nothing), they open after this anyway.
OPEN_WITHOUT_PAINT_MS = 1000


def prepare_application(icon: bool = True) -> QApplication:
    """The one QApplication, named so settings and dialogs say "needlelog".

    ``icon=False``: the window icon is set later (the start sets it after the first
    paint; drawing it is not needed to put the window on screen).
    """
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    apply_identity(app, icon=icon)
    app.setOrganizationName(APP_NAME)
    return app


def create_main_window(db: Database) -> MainWindow:
    """The main window on an open database (also used by tests, benchmarks, screenshots)."""
    prepare_application()
    return MainWindow(db)


def open_failed_message(exc: BaseException) -> str:
    return f"{exc}\n\n" + RESTORE_HINT.format(backups=config.paths().backups)


def check_pages_in_background(window: MainWindow) -> None:
    """Read every page once after start, so damage the open did not touch is still found."""
    from needlelog.services import check

    def damaged(exc: BaseException, trace: str) -> None:
        if isinstance(exc, StoreError):
            QMessageBox.warning(window, "The records file is damaged", open_failed_message(exc))
        else:
            ui_failures.show_failure(window, exc, trace, "Checking the records")

    run_task(lambda _control: check.quick(window.db), None, damaged, window)


def ask_first_run(url: str) -> FirstRunChoices | bool | None:
    """Choices of a new install; None when the database exists; False if the user quit.

    A new install is a SQLite file that does not exist yet (a shared server is never
    one); the welcome and its modules are loaded only then.
    """
    path = config.sqlite_file(url)
    if path is None or path.exists():
        return None
    from needlelog.ui.first_run import FirstRunDialog

    dialog = FirstRunDialog(path)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    return dialog.choices()


@dataclass
class Startup:
    """The app on its way up: the window at once, the records once they are open."""

    window: MainWindow
    db: Database | None = None  # set as soon as the open succeeds, for disposal at exit
    opening: bool = False  # the open has started
    failed: bool = False  # the records could not be opened; the app exits 1
    sign_in: list[tuple[str, str]] | None = None  # the accounts to choose from, if any


class _FirstPaint(QObject):
    """Calls ``then`` once, on the event loop's next turn after the window's first paint."""

    def __init__(self, window: QWidget, then: QTimer) -> None:
        super().__init__(window)
        self._then = then
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # A zero timer fires after this paint pass and its flush to the screen.
            self._then.start(0)
        return False


def _load_what_attach_needs() -> None:
    """Import, off the GUI thread, what attaching the window loads next: the services
    the list queries and the feature modules that add their menu entries."""
    from needlelog.services import (  # noqa: F401
        accounts,
        check,
        patients,
        schedule,
        sessions,
        settings,
    )
    from needlelog.ui import (  # noqa: F401
        clinic_settings,
        exchange_menu,
        first_run,
        login,
        patient_dialog,
        report_actions,
    )


def start_app(url: str, choices: FirstRunChoices | None = None) -> Startup:
    """Show the main window in its opening state, then open the records at ``url``.

    The open starts once the window has painted and runs on a worker thread; the
    window is attached to the records when it succeeds (and ``choices`` of a first
    run are applied). If it fails, the window goes, the reason is shown with the
    way back (RESTORE_HINT), and the application exits with 1.
    """
    app = prepare_application(icon=False)
    window = MainWindow()
    path = config.sqlite_file(url)
    if path is not None:
        window.setWindowTitle(f"{APP_NAME} — {path.name}")
    startup = Startup(window)

    def work(_control: TaskControl) -> Database:
        from needlelog.services import accounts
        from needlelog.store.migrate import open_database

        db = open_database(url, backup_dir=config.paths().backups)
        startup.db = db
        _load_what_attach_needs()
        if accounts.has_accounts(db):
            startup.sign_in = accounts.signed_in_names(db)
        window.idle_lock_minutes = accounts.idle_lock_minutes(db)
        return db

    def closed() -> bool:
        # The user may close the window while the records open: the app is leaving
        # (run_app closes the database), so nothing is attached or shown any more.
        return not shiboken6.isValid(window) or not window.isVisible()

    def done(db: Database) -> None:
        if closed():
            return
        if startup.sign_in is not None:  # who is working, before any record shows
            from needlelog.ui.login import LoginDialog

            dialog = LoginDialog(db, startup.sign_in, parent=window)
            dialog.accepted.connect(lambda: attached(db))
            dialog.rejected.connect(window.close)
            dialog.open()
            return
        attached(db)

    def attached(db: Database) -> None:
        window.attach(db)
        if choices is not None:
            from needlelog.ui.first_run import apply_in_background

            apply_in_background(window, db, choices, on_done=window.reload)
            if not choices.without_accounts and window.accounts_ui is not None:
                window.accounts_ui.manage.trigger()  # the first account, as chosen
        check_pages_in_background(window)

    def failed(exc: BaseException, trace: str) -> None:
        startup.failed = True
        if closed():
            return
        window.hide()
        if isinstance(exc, StoreError):
            text = open_failed_message(exc)
        else:  # the trace goes to the log, the message names it
            failure = failures.record(exc, "needlelog: opening the records", trace)
            text = (
                f"Opening the records did not work: {failure.what}.\n\n"
                f"{failure.details[0].upper()}{failure.details[1:]}.\n\n"
                + RESTORE_HINT.format(backups=config.paths().backups)
            )
        QMessageBox.critical(None, CANNOT_OPEN, text)
        app.exit(1)

    def open_records() -> None:
        if startup.opening:
            return
        startup.opening = True
        app.setWindowIcon(app_icon())
        run_task(work, done, failed)

    open_now = QTimer(window)
    open_now.setSingleShot(True)
    open_now.timeout.connect(open_records)
    _FirstPaint(window, open_now)
    QTimer.singleShot(OPEN_WITHOUT_PAINT_MS, window, open_records)
    window.show()
    return startup


def run_app(url: str) -> int:
    """Open the database at ``url`` in the desktop app; returns the exit code."""
    app = prepare_application(icon=False)  # set by start_app; the welcome has its own
    previous_hook = sys.excepthook
    ui_failures.install()  # an action that fails says so in a message box
    startup: Startup | None = None
    try:
        choices = ask_first_run(url)
        if choices is False:
            return 0
        startup = start_app(url, None if isinstance(choices, bool) else choices)
        arm_smoke_exit(app)
        code = app.exec()
    finally:
        sys.excepthook = previous_hook
        cancel_all()  # a daily backup under way stops between steps, leaving nothing half-made
        wait_for_all()
        if startup is not None and startup.db is not None:
            startup.db.dispose()
    return 1 if startup is not None and startup.failed else code
