"""Accounts in the window: the administrator's list (add, disable, reset a password),
the first account that ends working without accounts, and one's own password."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.accounts import FIRST_ROLE, IDLE_LOCK_DEFAULT, IDLE_LOCK_RANGE, Role
from needlelog.ui.background import run_task

if TYPE_CHECKING:
    from needlelog.domain.accounts import Account
    from needlelog.store.database import Database


def _sentence(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class _Form(QDialog):
    """A small form whose OK runs ``work`` off the GUI thread and says a refusal below."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.message = QLabel()
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.result_value: Any = None

    def work(self) -> Callable[[], Any] | None:
        """What OK does (on a worker thread), or None after saying what is wrong."""
        raise NotImplementedError

    def _submit(self) -> None:
        work = self.work()
        if work is None:
            return
        self.buttons.setEnabled(False)

        def done(value: object) -> None:
            self.result_value = value
            self.accept()

        def refused(exc: BaseException, _trace: str) -> None:
            self.buttons.setEnabled(True)
            self.message.setText(_sentence(exc))

        run_task(lambda _control: work(), done, refused, self)


class AddAccountDialog(_Form):
    """A new account; the first one is the administrator who adds the others."""

    def __init__(self, db: Database, first: bool, parent: QWidget | None = None) -> None:
        super().__init__("Add the first account" if first else "Add an account", parent)
        self.setObjectName("addAccountDialog")
        self._db = db
        self.name = QLineEdit()
        self.name.setObjectName("accountName")
        self.name.setPlaceholderText("short, lower case: amelia")
        self.display = QLineEdit()
        self.display.setObjectName("accountDisplayName")
        self.display.setPlaceholderText("as shown on sessions: Dr. Amelia Hart")
        self.role = QComboBox()
        self.role.setObjectName("accountRole")
        for role in [FIRST_ROLE] if first else list(Role):
            self.role.addItem(role.label, role.value)
        self.password = _password_field("accountPassword")
        self.again = _password_field("accountPasswordAgain")
        if first:
            note = QLabel(
                "The first account is an administrator: it adds the others. Once it "
                "exists, everyone signs in, and needlelog no longer works without accounts."
            )
            note.setWordWrap(True)
            self.form.addRow(note)
        self.form.addRow("Account &name", self.name)
        self.form.addRow("&Display name", self.display)
        self.form.addRow("&Role", self.role)
        self.form.addRow("&Password", self.password)
        self.form.addRow("&Again", self.again)

    def work(self) -> Callable[[], Any] | None:
        from needlelog.services import accounts

        if self.password.text() != self.again.text():
            self.message.setText("The two passwords differ.")
            return None
        db, name, role = self._db, self.name.text(), Role(self.role.currentData())
        password, display = self.password.text(), self.display.text()
        return lambda: accounts.add(db, name, role, password, display)


class ResetPasswordDialog(_Form):
    def __init__(self, db: Database, name: str, parent: QWidget | None = None) -> None:
        super().__init__(f"New password for {name}", parent)
        self._db, self._name = db, name
        self.password = _password_field("resetPassword")
        self.again = _password_field("resetPasswordAgain")
        self.form.addRow("New &password", self.password)
        self.form.addRow("&Again", self.again)

    def work(self) -> Callable[[], Any] | None:
        from needlelog.services import accounts

        if self.password.text() != self.again.text():
            self.message.setText("The two passwords differ.")
            return None
        db, name, password = self._db, self._name, self.password.text()
        return lambda: accounts.reset_password(db, name, password)


class ChangePasswordDialog(_Form):
    """The signed-in person changes their own password."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__("Change my password", parent)
        self.setObjectName("changePasswordDialog")
        self._db = db
        self.old = _password_field("oldPassword")
        self.password = _password_field("newPassword")
        self.again = _password_field("newPasswordAgain")
        self.form.addRow("&Current password", self.old)
        self.form.addRow("&New password", self.password)
        self.form.addRow("&Again", self.again)

    def work(self) -> Callable[[], Any] | None:
        from needlelog.services import accounts

        if self.password.text() != self.again.text():
            self.message.setText("The two new passwords differ.")
            return None
        db, old, new = self._db, self.old.text(), self.password.text()
        return lambda: accounts.change_own_password(db, old, new)


class AccountsDialog(QDialog):
    """The administrator's list of accounts."""

    idle_changed = Signal(int)  # the clinic's idle lock, in minutes, as saved

    def __init__(
        self,
        db: Database,
        rows: list[Account],
        idle_minutes: int = IDLE_LOCK_DEFAULT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("accountsDialog")
        self.setWindowTitle("Accounts")
        self._db = db
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("accountsTable")
        self.table.setHorizontalHeaderLabels(["Name", "Display name", "Role", "Status"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        add = QPushButton("&Add…")
        self.disable_button = QPushButton("&Disable")
        self.reset_button = QPushButton("&Reset password…")
        close = QPushButton("Close")
        add.clicked.connect(self._add)
        self.disable_button.clicked.connect(self._disable)
        self.reset_button.clicked.connect(self._reset)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (add, self.disable_button, self.reset_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.idle = QSpinBox()
        self.idle.setObjectName("idleLockMinutes")
        self.idle.setRange(*IDLE_LOCK_RANGE)
        self.idle.setSuffix(" minutes without a key or a click")
        self.idle.setValue(idle_minutes)
        save_idle = QPushButton("Save")
        save_idle.clicked.connect(self._save_idle)
        idle_row = QHBoxLayout()
        idle_row.addWidget(QLabel("Lock the screen after"))
        idle_row.addWidget(self.idle)
        idle_row.addWidget(save_idle)
        idle_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(idle_row)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(620, 360)
        self.show_rows(rows)

    def show_rows(self, rows: list[Account]) -> None:
        self.table.setRowCount(len(rows))
        for i, a in enumerate(rows):
            for j, text in enumerate(
                (a.name, a.display_name, a.role.label, "disabled" if a.disabled else "active")
            ):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def _chosen(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.text() if item is not None else None

    def _refresh(self, said: str) -> None:
        from needlelog.services import accounts

        db = self._db
        self.message.setText(said)
        run_task(lambda _c: accounts.all_accounts(db), self.show_rows, self._refused, self)

    def _refused(self, exc: BaseException, _trace: str) -> None:
        self.message.setText(_sentence(exc))

    def _save_idle(self) -> None:
        from needlelog.services import accounts

        db, minutes = self._db, self.idle.value()

        def saved(_r: object) -> None:
            self.message.setText(f"The screen now locks after {minutes} idle minutes.")
            self.idle_changed.emit(minutes)

        run_task(lambda _c: accounts.set_idle_lock_minutes(db, minutes), saved, self._refused, self)

    def _add(self) -> None:
        dialog = AddAccountDialog(self._db, first=False, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._refresh(f"Added {dialog.result_value.name}.")

    def _disable(self) -> None:
        from needlelog.services import accounts

        name = self._chosen()
        if name is None:
            self.message.setText("Choose an account first.")
            return
        db = self._db
        run_task(
            lambda _c: accounts.disable(db, name),
            lambda _a: self._refresh(f"Disabled {name}; their records and audit entries stay."),
            self._refused,
            self,
        )

    def _reset(self) -> None:
        name = self._chosen()
        if name is None:
            self.message.setText("Choose an account first.")
            return
        dialog = ResetPasswordDialog(self._db, name, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.message.setText(f"Set a new password for {name}.")
