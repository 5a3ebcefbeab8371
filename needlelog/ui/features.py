"""Where feature modules plug their actions into the main window.

Feature modules (reports: preview, print and save; exchange: import, export,
backup and restore; first run: demo removal and About) add their actions to
``window.file_menu``, ``window.patient_menu``, ``window.help_menu`` and
``window.toolbar`` here, so the main window does not need to know about them.
Each action works through ``window.db``, ``window.current_patient()``,
``window.show_status(text)`` and, after changing the records,
``window.reload()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from needlelog.ui.main_window import MainWindow


def install_features(window: MainWindow) -> None:
    """Let each feature module add its menu and toolbar actions to ``window``."""
    from needlelog.ui import exchange_menu, first_run, lot_recall, report_actions

    report_actions.install(window)
    lot_recall.install(window)
    exchange_menu.install(window)
    first_run.install(window)
