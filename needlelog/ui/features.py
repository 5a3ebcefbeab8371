"""Where feature modules plug their actions into the main window.

Feature modules (reports: preview, print and save, the aftercare handout; lot
recall: Products ▸ Find by lot…; exchange: import, export, backup and restore;
first run: demo removal and About) add their actions to the
window's menus and toolbar here, so the main window does not need to know about
them. ``FeatureHost`` is all a feature may use of the window: the records, the
chosen patient and session, the menu bar, the status line, a reload after changing the records, and the
window itself as the parent of its actions and dialogs. What each module installs
is handed back (``Features``), not hung on the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar, QWidget

    from needlelog.domain.records import Patient, TreatmentSession
    from needlelog.store.database import Database
    from needlelog.ui.exchange_menu import ExchangeActions
    from needlelog.ui.first_run import InstalledActions
    from needlelog.ui.lot_recall import LotRecallActions
    from needlelog.ui.report_actions import ReportActions


@runtime_checkable
class FeatureHost(Protocol):
    """What a feature module may use of the main window."""

    file_menu: QMenu
    patient_menu: QMenu
    help_menu: QMenu
    toolbar: QToolBar

    @property
    def db(self) -> Database:
        """The open records."""
        ...

    def window(self) -> QWidget:
        """The window itself: the parent of a feature's actions and dialogs."""
        ...

    def menuBar(self) -> QMenuBar:
        """Where a feature adds a menu of its own."""
        ...

    def current_patient(self) -> Patient | None: ...

    def chosen_session(self) -> TreatmentSession | None:
        """The session chosen in the patient's history, if any."""
        ...

    def show_status(self, text: str) -> None: ...

    def reload(self) -> None:
        """Query everything again after a feature changed the records."""
        ...


@dataclass(frozen=True)
class Features:
    """What the feature modules installed (kept alive with the window)."""

    reports: ReportActions
    lot_recall: LotRecallActions
    exchange: ExchangeActions
    first_run: InstalledActions


def install_features(host: FeatureHost) -> Features:
    """Let each feature module add its menu and toolbar actions to ``host``."""
    from needlelog.ui import exchange_menu, first_run, lot_recall, report_actions

    return Features(
        reports=report_actions.install(host),
        lot_recall=lot_recall.install(host),
        exchange=exchange_menu.install(host),
        first_run=first_run.install(host),
    )
