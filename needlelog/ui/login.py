"""Who is working: the sign-in dialog at start and for a quick switch of user.

The accounts are listed by the name people know each other by; the password is
checked off the GUI thread (Argon2 takes a noticeable moment on purpose), and a
refusal (wrong password, a disabled account, the wait after wrong passwords) is
said in one sentence under the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog.ui.background import run_task
from needlelog.ui.identity import app_icon

if TYPE_CHECKING:
    from needlelog.domain.accounts import Account
    from needlelog.store.database import Database


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
