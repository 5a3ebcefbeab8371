"""Who is working: the sign-in dialog at start and for a quick switch of user.

The accounts are listed by the name people know each other by; the password is
checked off the GUI thread (Argon2 takes a noticeable moment on purpose), and a
refusal (wrong password, a disabled account, the wait after wrong passwords) is
said in one sentence under the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.accounts import Permission
from needlelog.ui.background import run_task
from needlelog.ui.identity import app_icon
from needlelog.ui.lock_screen import LOCK_EXEMPT, ScreenLock
from needlelog.ui.users_dialog import AccountsDialog, AddAccountDialog, ChangePasswordDialog

if TYPE_CHECKING:
    from needlelog.domain.accounts import Account
    from needlelog.store.database import Database
    from needlelog.ui.main_window import MainWindow

WITHOUT_ACCOUNTS_TEXT = "Working without accounts: File ▸ Accounts… adds them"


class LoginDialog(QDialog):
    """Choose your name, type your password; ``account`` holds who signed in."""

    def __init__(
        self,
        db: Database,
        names: list[tuple[str, str]],
        title: str = "Who is working?",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle(f"needlelog — {title}")
        self.setWindowIcon(app_icon())
        self._db = db
        self.account: Account | None = None
        heading = QLabel(title)
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.who = QComboBox()
        self.who.setObjectName("loginName")
        self.who.setAccessibleName("Account")
        for name, display in names:
            self.who.addItem(display if display == name else f"{display} ({name})", name)
        self.password = QLineEdit()
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.message = QLabel()
        self.message.setObjectName("loginMessage")
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Name", self.who)
        form.addRow("&Password", self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in")
        ok.setObjectName("signInButton")
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)
        self.password.setFocus()

    def sign_in(self) -> None:
        from needlelog.services import accounts

        name = self.who.currentData()
        if not name:
            return
        password = self.password.text()
        self.buttons.setEnabled(False)
        self.message.setStyleSheet("color: #5f6670;")
        self.message.setText("Checking…")

        def done(account: object) -> None:
            self.account = account  # type: ignore[assignment]
            self.accept()

        def refused(exc: BaseException, _trace: str) -> None:
            self.buttons.setEnabled(True)
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(
                str(exc)[:1].upper() + str(exc)[1:] + "."
                if isinstance(exc, PermissionError)
                else f"Signing in did not work: {exc}"
            )
            self.password.selectAll()
            self.password.setFocus()

        run_task(lambda _control: accounts.sign_in(self._db, name, password), done, refused, self)


@dataclass
class AccountActions:
    """What the accounts add to the window: File menu entries, the status line's
    "who is working", the screen lock (None without accounts)."""

    switch_user: QAction
    lock_now: QAction
    change_password: QAction
    manage: QAction
    who: QLabel
    lock: ScreenLock | None = None
    hidden: list[QAction] = field(default_factory=list)


def _who_text(account: Account | None) -> str:
    if account is None:
        return WITHOUT_ACCOUNTS_TEXT
    return f"Signed in: {account.display_name} ({account.role.value})"


def _feature_actions(window: MainWindow) -> list[tuple[QAction, Permission]]:
    """Each feature action with what it needs of the signed-in account."""
    features = window.features
    if features is None:
        return []
    pairs: list[tuple[QAction, Permission]] = [
        (a, Permission.CLINICAL_READ) for a in features.reports.reports
    ]
    pairs.append((features.reports.handout, Permission.CLINICAL_READ))
    pairs.append((features.reports.clinic_settings, Permission.CLINIC_SETTINGS))
    pairs.append((features.lot_recall.find_by_lot, Permission.CLINICAL_READ))
    pairs.append((features.first_run.remove_demo, Permission.IMPORT))
    needs = {
        "Export…": Permission.EXPORT,
        "Import from CSV…": Permission.IMPORT,
        "Back up now…": Permission.BACKUP,
        "Restore from backup…": Permission.RESTORE,
    }
    for text, action in features.exchange.actions.items():
        if text in needs:
            pairs.append((action, needs[text]))
    return pairs


def apply_role(window: MainWindow, ui: AccountActions) -> None:
    """Show what the signed-in account may use and nothing else (the services refuse
    the rest anyway): reception sees no clinical field, no session, no report."""
    from needlelog.services import accounts

    account = accounts.current()

    def allowed(permission: Permission) -> bool:
        return account is None or account.may(permission)

    for action in ui.hidden:
        action.setVisible(True)
    ui.hidden.clear()
    for action, permission in _feature_actions(window):
        if not allowed(permission):
            action.setVisible(False)
            ui.hidden.append(action)
    records = allowed(Permission.CLINICAL_WRITE)
    window.new_session_action.setVisible(records)
    if not records:
        ui.hidden.append(window.new_session_action)
    window.record.may_record = records
    if not records:
        window.record.restart_button.hide()
    window.record.set_clinical(allowed(Permission.CLINICAL_READ))
    window.record.new_session_button.setVisible(records and allowed(Permission.CLINICAL_READ))
    ui.manage.setVisible(account is None or account.may(Permission.MANAGE_ACCOUNTS))
    for action in (ui.switch_user, ui.lock_now, ui.change_password):
        action.setVisible(account is not None)
    ui.who.setText(_who_text(account))


def install_accounts(window: MainWindow) -> AccountActions:
    """File ▸ Switch user…, Lock now, Change my password…, Accounts…; the status line
    says who is working (or that nobody signs in), and with accounts the screen locks
    after the clinic's idle minutes."""
    from needlelog.services import accounts

    menu = window.file_menu
    menu.addSeparator()
    switch_user = QAction("S&witch user…", window)
    switch_user.setStatusTip("Hand this computer to someone else: they sign in")
    lock_now = QAction("&Lock now", window)
    lock_now.setShortcut(QKeySequence("Ctrl+L"))
    lock_now.setStatusTip("Hide the records until you type your password again")
    change_password = QAction("Change my &password…", window)
    manage = QAction("&Accounts…", window)
    manage.setStatusTip("Add, disable or reset the accounts that sign in")
    for action in (switch_user, lock_now, change_password, manage):
        menu.addAction(action)
    who = QLabel()
    who.setObjectName("whoIsWorking")
    who.setContentsMargins(6, 0, 6, 0)
    window.statusBar().addPermanentWidget(who)
    ui = AccountActions(switch_user, lock_now, change_password, manage, who)

    db = window.db
    account = accounts.current()
    if account is not None:
        ui.lock = ScreenLock(
            lambda password: _unlock_check(db, password),
            lambda: _display_name(),
            window.idle_lock_minutes,
            window,
        )
    if ui.lock is not None:
        ui.lock.on_switch = lambda: _switch_user(window, ui)
    lock_now.triggered.connect(lambda: ui.lock.lock() if ui.lock is not None else None)
    switch_user.triggered.connect(lambda: _switch_user(window, ui))
    change_password.triggered.connect(lambda: ChangePasswordDialog(db, window).open())
    manage.triggered.connect(lambda: _manage(window, ui))
    apply_role(window, ui)
    return ui


def _display_name() -> str:
    from needlelog.services import accounts

    account = accounts.current()
    return account.display_name if account is not None else "Someone"


def _unlock_check(db: Database, password: str) -> None:
    """The same account unlocks (checked off the GUI thread)."""
    from needlelog.services import accounts

    account = accounts.current()
    if account is None:
        return
    accounts.authenticate(db, account.name, password)


def _switch_user(window: MainWindow, ui: AccountActions) -> None:
    """Someone else signs in; open forms belong to the one who typed them, so they
    are finished or closed first."""
    from needlelog.services import accounts

    open_windows = [
        w
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and w is not window and isinstance(w, QDialog)
    ]
    locked = ui.lock is not None and ui.lock.locked
    if open_windows:
        window.show_status("Finish or close the open forms first: they are yours.")
        return
    db = window.db

    def ask(names: object) -> None:
        dialog = LoginDialog(db, names, "Switch user", window)  # type: ignore[arg-type]
        dialog.setProperty(LOCK_EXEMPT, locked)

        def switched() -> None:
            if ui.lock is not None and ui.lock.locked:
                ui.lock.unlock()
            apply_role(window, ui)
            window.reload()

        dialog.accepted.connect(switched)
        dialog.open()

    run_task(lambda _c: accounts.signed_in_names(db), ask, None, window)


def _manage(window: MainWindow, ui: AccountActions) -> None:
    from needlelog.services import accounts

    db = window.db
    if accounts.current() is None:  # working without accounts: the first account ends it
        dialog = AddAccountDialog(db, first=True, parent=window)

        def added() -> None:
            first = dialog.result_value
            window.show_status(
                f"Added {first.name}. From now on everyone signs in; you are signed in as "
                f"{first.name}."
            )
            run_task(
                lambda _c: accounts.sign_in(db, first.name, dialog.password.text()),
                lambda _a: _now_with_accounts(window, ui),
                None,
                window,
            )

        dialog.accepted.connect(added)
        dialog.open()
        return

    def show(answer: object) -> None:
        rows, idle = answer  # type: ignore[misc]
        dialog = AccountsDialog(db, rows, idle, window)
        dialog.idle_changed.connect(lambda minutes: _idle_changed(window, ui, minutes))
        dialog.open()

    run_task(
        lambda _c: (accounts.all_accounts(db), accounts.idle_lock_minutes(db)), show, None, window
    )


def _idle_changed(window: MainWindow, ui: AccountActions, minutes: int) -> None:
    window.idle_lock_minutes = minutes
    if ui.lock is not None:
        ui.lock.set_idle_minutes(minutes)


def _now_with_accounts(window: MainWindow, ui: AccountActions) -> None:
    db = window.db
    if ui.lock is None:
        ui.lock = ScreenLock(
            lambda password: _unlock_check(db, password),
            _display_name,
            window.idle_lock_minutes,
            window,
        )
        ui.lock.on_switch = lambda: _switch_user(window, ui)
    apply_role(window, ui)
