"""Who the app says it is: name, version and icon, set once on the application."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from needlelog import APP_NAME, __version__, config

DISPLAY_NAME = "needlelog"


def app_icon() -> QIcon:
    """The needlelog icon: the SVG where Qt can draw it, the PNG otherwise."""
    icons = config.resources_dir() / "icons"
    icon = QIcon()
    for name in ("needlelog.svg", "needlelog.png"):
        path = icons / name
        if path.exists():
            icon.addFile(str(path))
    return icon


def apply_identity(app: QGuiApplication, icon: bool = True) -> None:
    """Name, version and window icon for every window of ``app``.

    ``icon=False`` leaves the icon for later (``app.setWindowIcon(app_icon())``): the
    app's start sets it once its window has painted.
    """
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    # Wayland and desktop launchers match windows to needlelog.desktop by this name.
    app.setDesktopFileName(APP_NAME)
    if icon:
        app.setWindowIcon(app_icon())
