"""Who the app says it is: name, version and icon, set once on the application."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from needlelog import APP_NAME, __version__, resource_files
from needlelog.resource_files import ResourceError

DISPLAY_NAME = "needlelog"


def app_icon() -> QIcon:
    """The needlelog icon: the SVG where Qt can draw it, the PNG otherwise."""
    icon = QIcon()
    for name in ("needlelog.svg", "needlelog.png"):
        # A missing icon leaves Qt's default one: the records must still open. (The
        # installed-wheel and bundle smoke tests make sure the icons ship.)
        try:
            icon.addFile(str(resource_files.path("icons", name)))
        except ResourceError:
            continue
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
