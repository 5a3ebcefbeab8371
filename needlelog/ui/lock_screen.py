"""The screen lock: after idle minutes (or on request) every window of the app hides
what it shows behind a lock until the signed-in person types their password again.

Nothing is closed and nothing is cleared: each open window (the main window, a
half-typed session form, a dialog) keeps its widgets exactly as they were; only
their visibility changes, and a lock panel takes their place. Window titles
(which may name a patient) are replaced while locked, shortcuts and clicks outside
the lock panels are swallowed, and the password is checked off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from needlelog import APP_NAME
from needlelog.ui.background import run_task

LOCKED_TITLE = f"{APP_NAME} — locked"
# A window that takes input while the app is locked (the sign-in of someone else).
LOCK_EXEMPT = "needlelogLockExempt"
# What counts as someone working: these restart the idle clock.
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)
# What a locked app lets through only to a lock panel.
_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.ShortcutOverride,
        QEvent.Type.Shortcut,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel,
        QEvent.Type.ContextMenu,
    }
)


class LockPanel(QFrame):
    """What a locked window shows: who locked it and a password field."""

    unlock_requested = Signal(str)
    switch_requested = Signal()

    def __init__(self, who: str, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lockPanel")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#lockPanel { background: #eef1f4; }")
        title = QLabel("needlelog is locked")
        title.setObjectName("lockTitle")
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.who = QLabel(f"{who} was working here. Type the password to continue.")
        self.who.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setObjectName("lockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.setAccessibleName("Password")
        self.password.setMaximumWidth(320)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        self.unlock = QPushButton("Unlock")
        self.unlock.setObjectName("unlockButton")
        self.unlock.setDefault(True)
        self.unlock.setMaximumWidth(160)
        # A shared PC: someone else signs in, once no form is left open under the lock.
        self.switch = QPushButton("Someone else…")
        self.switch.setObjectName("switchUserButton")
        self.switch.setMaximumWidth(160)
        self.switch.clicked.connect(self.switch_requested)
        self.switch.hide()
        box = QWidget()
        box.setFixedWidth(440)
        inner = QVBoxLayout(box)
        inner.setSpacing(10)
        for widget in (title, self.who, self.password, self.message, self.unlock, self.switch):
            inner.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.unlock.clicked.connect(self._ask)
        self.password.returnPressed.connect(self._ask)

    def _ask(self) -> None:
        self.unlock_requested.emit(self.password.text())

    def set_busy(self, busy: bool) -> None:
        self.unlock.setEnabled(not busy)
        self.password.setEnabled(not busy)
        if busy:
            self.message.setText("Checking…")

    def refused(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
        self.password.selectAll()
        self.password.setFocus()


@dataclass
class _Hidden:
    """One locked window: what was visible in it, its title and where the caret was."""

    window: QWidget
    panel: LockPanel
    title: str
    children: list[QWidget] = field(default_factory=list)
    focus: QWidget | None = None


class ScreenLock(QObject):
    """Locks the app's windows after ``idle_minutes`` without a key or a click, or when
    ``lock()`` is called; ``check(password)`` (run off the GUI thread) raises to refuse.

    ``who()`` names the person shown on the lock; ``locked_changed`` tells the window.
    """

    locked_changed = Signal(bool)

    def __init__(
        self,
        check: Callable[[str], object],
        who: Callable[[], str],
        idle_minutes: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._check = check
        self._who = who
        self._hidden: list[_Hidden] = []
        self._checking = False
        # Set by the window: let someone else sign in while locked (None: not offered).
        self.on_switch: Callable[[], None] | None = None
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.lock)
        self.set_idle_minutes(idle_minutes)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)

    def set_idle_minutes(self, minutes: int) -> None:
        self.idle.setInterval(max(1, minutes) * 60_000)
        if not self._hidden:
            self.idle.start()

    @property
    def locked(self) -> bool:
        return bool(self._hidden)

    def panels(self) -> list[LockPanel]:
        return [h.panel for h in self._hidden if shiboken6.isValid(h.panel)]

    def stop(self) -> None:
        """No more locking (the app works without accounts, or is closing)."""
        self.idle.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def lock(self) -> None:
        if self._hidden:
            return
        self.idle.stop()
        QToolTip.hideText()
        while (popup := QApplication.activePopupWidget()) is not None:
            popup.close()
        who = self._who()
        for window in QApplication.topLevelWidgets():
            if not window.isVisible() or isinstance(window, LockPanel):
                continue
            children = [
                c
                for c in window.findChildren(
                    QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly
                )
                if c.isVisibleTo(window) and not c.isWindow()
            ]
            hidden = _Hidden(window, LockPanel(who, window), window.windowTitle(), children)
            hidden.focus = window.focusWidget()
            for child in children:
                child.hide()
            window.setWindowTitle(LOCKED_TITLE)
            hidden.panel.setGeometry(window.rect())
            hidden.panel.show()
            hidden.panel.raise_()
            hidden.panel.unlock_requested.connect(self._try_unlock)
            hidden.panel.switch_requested.connect(self._switch)
            window.installEventFilter(self)
            self._hidden.append(hidden)
        if self.on_switch is not None and len(self._hidden) == 1:  # no form is open
            self._hidden[0].panel.switch.show()
        active = QApplication.activeWindow()
        for hidden in self._hidden:
            if hidden.window is active or active is None:
                hidden.panel.password.setFocus()
        self.locked_changed.emit(True)

    def _try_unlock(self, password: str) -> None:
        if self._checking or not self._hidden:
            return
        self._checking = True
        for panel in self.panels():
            panel.set_busy(True)

        def done(_result: object) -> None:
            self._checking = False
            self.unlock()

        def refused(exc: BaseException, _trace: str) -> None:
            self._checking = False
            for panel in self.panels():
                panel.refused(
                    str(exc) if isinstance(exc, PermissionError) else "Not unlocked: try again."
                )

        run_task(lambda _control: self._check(password), done, refused, self)

    def unlock(self) -> None:
        """Give every window back exactly as it was."""
        hidden_all, self._hidden = self._hidden, []
        for hidden in hidden_all:
            window = hidden.window
            if not shiboken6.isValid(window):
                continue
            window.removeEventFilter(self)
            hidden.panel.hide()
            hidden.panel.deleteLater()
            for child in hidden.children:
                if shiboken6.isValid(child):
                    child.show()
            window.setWindowTitle(hidden.title)
            if hidden.focus is not None and shiboken6.isValid(hidden.focus):
                hidden.focus.setFocus()
        self.idle.start()
        self.locked_changed.emit(False)

    def _switch(self) -> None:
        if self.on_switch is not None and len(self._hidden) == 1:
            self.on_switch()

    def _inside_panel(self, watched: QObject) -> bool:
        if isinstance(watched, QWidget) and watched.window().property(LOCK_EXEMPT):
            return True  # the sign-in of someone else, over the lock
        for hidden in self._hidden:
            panel = hidden.panel
            if watched is panel or (isinstance(watched, QWidget) and panel.isAncestorOf(watched)):
                return True
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if self._hidden:
            if kind == QEvent.Type.Resize:
                for hidden in self._hidden:
                    if watched is hidden.window:
                        hidden.panel.setGeometry(hidden.window.rect())
            elif kind in _INPUT and not self._inside_panel(watched):
                return True  # nothing reaches a hidden form, not even its shortcuts
            return False
        if kind in _ACTIVITY:
            self.idle.start()
        return False
