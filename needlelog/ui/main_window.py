"""The main window: find a patient on the left, their record on the right.

The window can be built before the database is open, so it is the first thing
a user sees: it paints in its opening state (menus, search, empty list saying
the records are opening, every action that needs the records disabled), and
``attach(db)`` then connects it to the records and fills the list. Nothing
here imports the services or the store at start; they are loaded on first use.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSettings,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from needlelog import APP_NAME, config
from needlelog.services.errors import NotFound
from needlelog.store.errors import StoreError
from needlelog.ui.background import WAITING_TEXT, LatestOnly, Task, run_task
from needlelog.ui.collector import freeze_startup_objects
from needlelog.ui.failures import show_failure
from needlelog.ui.features import Features, install_features
from needlelog.ui.patient_models import DueListModel, FirstPage, PatientListModel, PatientRole
from needlelog.ui.patient_record import EMPTY_HINT, PatientRecordView

if TYPE_CHECKING:
    from needlelog.domain.records import Patient, TreatmentSession
    from needlelog.services.schedule import DueEntry
    from needlelog.store.database import Database
    from needlelog.ui.login import AccountActions
    from needlelog.ui.patient_dialog import PatientDialog
    from needlelog.ui.session_parts.context import SessionFormContext

# Searches answer in milliseconds at 100,000 patients (benchmarks/), so the list
# follows every keystroke with no pause; an older answer never replaces a newer one.
# A pause above 0 would wait for typing to stop before searching.
SEARCH_DELAY_MS = 0
STATUS_TIMEOUT_MS = 10_000
ALL_TAB, DUE_TAB = 0, 1
OPENING_RECORDS = "Opening the records…"
OPENING_LIST = "Opening the patient list…"


def app_settings() -> QSettings:
    """The user's window settings (an INI file, so tests can redirect it)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME)


class ListView(QTableView):
    """A table that can say why it is empty (the records are still opening)."""

    def __init__(self) -> None:
        super().__init__()
        # A label over the rows rather than painting on the viewport: nothing in
        # Python runs when the table paints.
        self._placeholder = QLabel(self)
        self._placeholder.setObjectName("listPlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._placeholder.setWordWrap(True)
        self._placeholder.setStyleSheet("color:#5f6670;")
        self._placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._placeholder.hide()
        # Columns measured for their content, and those that give way, in order, when
        # the pane is narrower (a laptop screen): the rest stay whole, never cut.
        self.natural_widths: list[int] = []
        self.hide_when_narrow: tuple[int, ...] = ()

    def fit_columns(self) -> None:
        if not self.natural_widths:
            return
        room = self.viewport().width()
        total = sum(self.natural_widths)
        hidden: set[int] = set()
        for column in self.hide_when_narrow:
            if total <= room:
                break
            hidden.add(column)
            total -= self.natural_widths[column]
        for column in range(len(self.natural_widths)):
            if self.isColumnHidden(column) != (column in hidden):
                self.setColumnHidden(column, column in hidden)

    def placeholder(self) -> str:
        return self._placeholder.text() if self._placeholder.isVisibleTo(self) else ""

    def set_placeholder(self, text: str) -> None:
        self._placeholder.setText(text)
        self._placeholder.setVisible(bool(text))
        self._place_placeholder()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_placeholder()
        self.fit_columns()

    def _place_placeholder(self) -> None:
        if self._placeholder.isVisibleTo(self):
            top = self.horizontalHeader().sizeHint().height()
            line = self.fontMetrics().lineSpacing()
            self._placeholder.setGeometry(
                self.contentsRect().adjusted(line, top + line, -line, -line)
            )


def _table(name: str) -> ListView:
    view = ListView()
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().hide()
    # Uniform rows keep scrolling through a long list cheap.
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().lineSpacing() + 8)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view


class MainWindow(QMainWindow):
    """Patient list and due list, the selected patient's record, menus and toolbar."""

    def __init__(self, db: Database | None = None) -> None:
        super().__init__()
        self._db: Database | None = None
        self._current: Patient | None = None
        self._due_task: Task | None = None
        self._opening_form = False
        self._jump_to_first = False  # Enter in the search: go to the first match
        self.features: Features | None = None  # installed once the records are open
        self.accounts_ui: AccountActions | None = None  # likewise
        self.idle_lock_minutes = 5  # the clinic's setting, read as the records open
        self._searches = LatestOnly(self)
        self._searches.answered.connect(self._show_search)
        self._searches.failed.connect(self._search_failed)
        self._dialogs: list[QWidget] = []
        self._size_splitter_on_show = False
        self.setWindowTitle(APP_NAME)
        self.setObjectName("MainWindow")

        # --- left: search, all patients / due and overdue ----------------
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("Search: name, record number or date of birth")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search patients")
        self.show_archived = QCheckBox("Show &archived")
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(lambda: self._run_search(True))
        # Each keystroke's search starts at once on a worker thread: going through a
        # 0 ms timer cost half a millisecond of waiting for the window's own repaint.
        self.search.textChanged.connect(
            lambda _t: self.search_timer.start() if SEARCH_DELAY_MS else self._run_search(True)
        )
        self.search.returnPressed.connect(self._search_now)
        self.show_archived.toggled.connect(lambda _on: self._run_search())

        self.patient_model = PatientListModel()
        self.patient_model.page_failed.connect(lambda exc: self._search_failed(exc, ""))
        self.patient_view = _table("patientList")
        self.patient_view.setModel(self.patient_model)
        self.due_model = DueListModel()
        self.due_view = _table("dueList")
        self.due_view.setModel(self.due_model)
        for view in (self.patient_view, self.due_view):
            view.selectionModel().currentRowChanged.connect(self._on_row_changed)
            view.activated.connect(self._on_row_activated)
        self._size_columns()

        self.tabs = QTabWidget()
        self.tabs.setObjectName("patientTabs")
        self.tabs.addTab(self.patient_view, "&All patients")
        from needlelog.ui.recall import RecallPanel

        self.recall_panel = RecallPanel()
        self.recall_panel.contact_logged.connect(self._on_contact_logged)
        self.recall_panel.export_requested.connect(self.export_due_list)
        self.due_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.due_view.customContextMenuRequested.connect(self._due_menu_at)
        due_page = QWidget()
        due_box = QVBoxLayout(due_page)
        due_box.setContentsMargins(0, 0, 0, 0)
        due_box.setSpacing(4)
        due_box.addWidget(self.due_view, 1)
        due_box.addWidget(self.recall_panel)
        self.tabs.addTab(due_page, "&Due and overdue")
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self.count_label = QLabel()
        self.count_label.setStyleSheet("color:#5f6670;")
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.show_archived)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(6, 6, 0, 6)
        left_box.addLayout(search_row)
        left_box.addWidget(self.tabs, 1)
        left_box.addWidget(self.count_label)

        # --- right: the record ---------------------------------------------
        self.record = PatientRecordView()
        self.record.setContentsMargins(0, 6, 6, 6)
        self.record.new_session_requested.connect(self.new_session)
        self.record.edit_patient_requested.connect(self.edit_patient)
        self.record.open_session_requested.connect(self.open_session)
        self.record.patient_read.connect(self._patient_read)
        self.record.read_failed.connect(self._record_failed)
        self.record.handout_requested.connect(self.make_handout)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.record)
        # Extra width goes to the record: the list's columns have all they need.
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self._build_actions()
        self._build_menus()
        self.setTabOrder(self.search, self.show_archived)
        self.setTabOrder(self.show_archived, self.tabs)
        self.setTabOrder(self.tabs, self.patient_view)
        self.setTabOrder(self.patient_view, self.due_view)
        self.setTabOrder(self.due_view, self.record.new_session_button)
        self.setTabOrder(self.record.new_session_button, self.record.edit_button)
        self.setTabOrder(self.record.edit_button, self.record.history)
        # Down in the search box is a shortcut of the box, not an event filter on it:
        # a filter runs Python for every event the box gets (17 for a typed letter),
        # each needing the interpreter lock that the search's worker holds meanwhile.
        down = QShortcut(QKeySequence(Qt.Key.Key_Down), self.search)
        down.setContext(Qt.ShortcutContext.WidgetShortcut)
        down.activated.connect(self._down_from_search)

        self._restore_settings()
        self._update_actions()
        self._quit_separator = self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self._set_opening(True)
        if db is not None:
            self.attach(db)

    # --- the records --------------------------------------------------------
    @property
    def db(self) -> Database:
        """The open records; only there once the window is attached."""
        if self._db is None:
            raise RuntimeError("the main window is not attached to the records yet")
        return self._db

    @property
    def attached(self) -> bool:
        return self._db is not None

    def attach(self, db: Database) -> None:
        """Show the records of ``db``: the actions come alive and the list fills."""
        if self._db is not None:
            raise RuntimeError("the main window is already attached to the records")
        self._db = db
        name = db.sqlite_path.name if db.sqlite_path else db.display_name
        self.setWindowTitle(f"{APP_NAME} — {name}")
        self.patient_model.attach(db)
        self.record.db = db
        self.recall_panel.db = db
        self._add_menu_icons()
        # The features work on the records, so they join once the records are open;
        # Quit stays last in the File menu, below what they add.
        self.file_menu.removeAction(self._quit_separator)
        self.file_menu.removeAction(self.quit_action)
        self.features = install_features(self)
        from needlelog.ui.login import install_accounts  # who works: status line, lock

        self.accounts_ui = install_accounts(self)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self._set_opening(False)
        # What is loaded by now lives as long as the app: out of the collector's
        # full passes, which would otherwise hold the window 0.1 to 0.3 s at times.
        freeze_startup_objects()
        # The first page is queried after the window has painted, so opening never
        # waits on the database.
        QTimer.singleShot(0, self.reload)

    def _set_opening(self, opening: bool) -> None:
        """Until the records are open, nothing can be searched, added or changed."""
        for widget in (self.search, self.show_archived):
            widget.setEnabled(not opening)
        for action in (self.new_patient_action, self.find_action, self.reload_action):
            action.setEnabled(not opening)
        for view in (self.patient_view, self.due_view):
            view.set_placeholder(OPENING_RECORDS if opening else "")
        # No advice to choose a patient while there is none to choose.
        self.record.empty_hint.setText("" if opening else EMPTY_HINT)
        # The list already says the records are opening; the status bar is there from
        # the start (nothing moves when it first speaks).
        if opening:
            self.statusBar().clearMessage()
        else:
            self.statusBar().showMessage(OPENING_LIST)

    # --- actions and menus ------------------------------------------------
    def _add_menu_icons(self) -> None:
        """The menus' icons: only seen once a menu opens, so they are not made before
        the first paint (the toolbar shows words)."""
        from PySide6.QtWidgets import QStyle  # its many enums load when first needed

        sp = QStyle.StandardPixmap
        for action, kind in (
            (self.new_patient_action, sp.SP_FileIcon),
            (self.edit_patient_action, sp.SP_FileDialogDetailedView),
            (self.archive_action, sp.SP_DialogDiscardButton),
            (self.new_session_action, sp.SP_FileDialogNewFolder),
            (self.reload_action, sp.SP_BrowserReload),
        ):
            action.setIcon(self.style().standardIcon(kind))

    def _build_actions(self) -> None:
        self.new_patient_action = QAction("&New patient…", self)
        self.new_patient_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_patient_action.setIconText("New patient")
        self.new_patient_action.triggered.connect(self.new_patient)
        self.edit_patient_action = QAction("&Edit patient…", self)
        self.edit_patient_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_patient_action.setIconText("Edit patient")
        self.edit_patient_action.triggered.connect(self.edit_patient)
        self.archive_action = QAction("A&rchive patient", self)
        self.archive_action.setIconText("Archive")
        self.archive_action.triggered.connect(self.toggle_archive)
        self.new_session_action = QAction("New &session…", self)
        self.new_session_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.new_session_action.setIconText("New session")
        self.new_session_action.triggered.connect(self.new_session)
        self.find_action = QAction("&Find patient", self)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.focus_search)
        self.show_all_action = QAction("&All patients", self)
        self.show_all_action.setShortcut(QKeySequence("Ctrl+1"))
        self.show_all_action.triggered.connect(lambda: self.tabs.setCurrentIndex(ALL_TAB))
        self.show_due_action = QAction("&Due and overdue", self)
        self.show_due_action.setShortcut(QKeySequence("Ctrl+2"))
        self.show_due_action.triggered.connect(lambda: self.tabs.setCurrentIndex(DUE_TAB))
        self.reload_action = QAction("&Reload", self)
        self.reload_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.reload_action.triggered.connect(self.reload)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        self.quit_action.triggered.connect(self.close)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.file_menu.addAction(self.reload_action)
        self.patient_menu = bar.addMenu("&Patient")
        self.patient_menu.addAction(self.new_patient_action)
        self.patient_menu.addAction(self.edit_patient_action)
        self.patient_menu.addAction(self.archive_action)
        self.patient_menu.addSeparator()
        self.patient_menu.addAction(self.new_session_action)
        self.patient_menu.addSeparator()
        self.complete_record_action = self.patient_menu.addAction(
            "Export this patient's complete record…"
        )
        self.complete_record_action.triggered.connect(self.export_complete_record)
        self.access_log_action = self.patient_menu.addAction("Access log…")
        self.access_log_action.triggered.connect(self.show_access_log)
        self.anonymise_action = self.patient_menu.addAction("Anonymise…")
        self.anonymise_action.triggered.connect(self.anonymise_patient)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.find_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.show_all_action)
        self.view_menu.addAction(self.show_due_action)
        self.view_menu.addSeparator()
        self.drafts_action = self.view_menu.addAction("Sessions to &sign…")
        self.drafts_action.triggered.connect(self.show_drafts)
        self.help_menu = bar.addMenu("&Help")

        self.toolbar = QToolBar("Main toolbar")
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        # Words rather than generic stock icons: each button says what it does.
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (
            self.new_patient_action,
            self.edit_patient_action,
            self.archive_action,
            self.new_session_action,
        ):
            self.toolbar.addAction(action)
        self.addToolBar(self.toolbar)

    def _update_actions(self) -> None:
        patient = self._current
        chosen = patient is not None
        self.edit_patient_action.setEnabled(chosen)
        self.archive_action.setEnabled(chosen)
        self.new_session_action.setEnabled(chosen and not patient.archived)  # type: ignore[union-attr]
        if patient is not None and patient.archived:
            self.archive_action.setText("Bring back from a&rchive")
            self.archive_action.setIconText("Bring back")
        else:
            self.archive_action.setText("A&rchive patient")
            self.archive_action.setIconText("Archive")

    # --- public surface -----------------------------------------------------
    def current_patient(self) -> Patient | None:
        return self._current

    def chosen_session(self) -> TreatmentSession | None:
        """The session chosen in the record's history, if any."""
        return self.record.selected_session()

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    def reload(self) -> None:
        """Query everything again (after an import, a restore, or another PC's change).
        Every query runs off the GUI thread; each part of the window follows its answer."""
        self.search_timer.stop()
        self._run_search()
        self._load_due()
        self._show_current()  # the record reads the patient as stored now

    @property
    def due_pending(self) -> bool:
        """Whether the due list is still being loaded in the background."""
        return self._due_task is not None and not self._due_task.done

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # --- searching and choosing -------------------------------------------
    def _run_search(self, typed: bool = False) -> None:
        """Search on a worker thread: typing never waits for the database, and only
        the answer to the latest text is shown. ``typed``: asked for by typing (the
        answer then brings the full list forward)."""
        self.search_timer.stop()
        text, archived = self.search.text(), self.show_archived.isChecked()
        model = self.patient_model
        self._searches.request(lambda: (model.first_page(text, archived), typed))

    def _search_failed(self, exc: object, trace: str) -> None:
        self._jump_to_first = False
        if isinstance(exc, StoreError):
            self._store_failed(exc)
        elif isinstance(exc, BaseException):
            show_failure(self, exc, trace, "The search")

    def _search_now(self) -> None:
        """Enter in the search box: go to the first match once the answer is in."""
        self._jump_to_first = True
        self._run_search(True)

    def _show_search(self, answer: tuple[FirstPage, bool]) -> None:
        page, typed = answer
        self.patient_model.show_first_page(page)
        if typed and self.tabs.currentIndex() != ALL_TAB and self.search.hasFocus():
            self.tabs.setCurrentIndex(ALL_TAB)
        self._select_current()
        self._update_count()
        if self.statusBar().currentMessage() == OPENING_LIST:
            self.statusBar().clearMessage()
        if self._jump_to_first:
            self._jump_to_first = False
            if self.patient_model.rowCount():
                self.tabs.setCurrentIndex(ALL_TAB)
                self.patient_view.setFocus()
                self.patient_view.selectRow(0)

    @property
    def search_pending(self) -> bool:
        """Whether typed text is still waiting for its answer."""
        return self.search_timer.isActive() or self._searches.pending

    def _update_count(self) -> None:
        shown = self.patient_model.rowCount()
        more = "+" if self.patient_model.canFetchMore() else ""
        text = self.search.text().strip()
        what = f"matching “{text}”" if text else "in the list"
        due = self.due_model.rowCount()
        noun = "patient" if shown == 1 and not more else "patients"
        self.count_label.setText(f"{shown}{more} {noun} {what} · {due} due or overdue")

    def _load_due(self) -> None:
        # The due list scans the whole clinic: off the GUI thread.
        db = self.db

        def work(_control: object) -> list[DueEntry]:
            from needlelog.services import schedule

            return schedule.due_list(db)

        def done(entries: object) -> None:
            if not shiboken6.isValid(self):
                return  # the window closed while the list was loading
            self.due_model.set_entries(entries)  # type: ignore[arg-type]
            self._select_current()
            self._show_recall()
            self._update_count()

        def failed(exc: BaseException, trace: str) -> None:
            if not shiboken6.isValid(self):
                return
            if isinstance(exc, StoreError):
                self._store_failed(exc)
            else:
                show_failure(self, exc, trace, "Loading the due list")

        self._due_task = run_task(work, done, failed)

    def _on_tab_changed(self, index: int) -> None:
        self._select_current()

    def _show_recall(self) -> None:
        """The recall panel follows the chosen patient when they are in the due list."""
        row = None if self._current is None else self.due_model.row_of(self._current.id)
        self.recall_panel.show_entry(None if row is None else self.due_model.entry_at(row))

    def due_menu(self, entry: DueEntry) -> QMenu:
        """What reception does with a patient of the due list: log a contact, and book
        the next session (a new course for an interrupted one)."""
        from needlelog.domain.course import CourseState

        menu = QMenu(self)
        log = menu.addAction("Log contact…")
        log.triggered.connect(self.recall_panel.log_contact)
        interrupted = entry.status.state is CourseState.INTERRUPTED
        book = menu.addAction("Restart course…" if interrupted else "New session…")
        book.triggered.connect(self.new_session)
        return menu

    def _due_menu_at(self, point: QPoint) -> None:
        index = self.due_view.indexAt(point)
        entry = self.due_model.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return
        self.due_view.selectRow(index.row())  # the record and the panel follow
        menu = self.due_menu(entry)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.due_view.viewport().mapToGlobal(point))

    def _on_contact_logged(self, attempt: object) -> None:
        outcome = getattr(attempt, "outcome", None)
        word = outcome.label.lower() if outcome is not None else "logged"
        name = self._current.full_name if self._current else ""
        self._load_due()
        self.show_status(f"Contact logged for {name}: {word}".strip())

    def export_due_list(self) -> None:
        from needlelog.ui.recall import export_due_list

        out = export_due_list(self, self.due_model.entries)
        if out is not None:
            self.show_status(f"Saved the due list to {out.name}")

    def _active_view(self) -> QTableView:
        return self.due_view if self.tabs.currentIndex() == DUE_TAB else self.patient_view

    def _on_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        patient = current.data(PatientRole)
        if patient is not None and (
            self._current is None or patient.id != self._current.id or patient != self._current
        ):
            self._current = patient
            self._show_current()
            # The other list follows, so switching tabs never picks another patient.
            self._select_current()
            self._show_recall()

    def _on_row_activated(self, _index: QModelIndex) -> None:
        self.record.history.setFocus()

    def _select_current(self) -> None:
        """Keep the chosen patient highlighted in whichever list shows it."""
        if self._current is None:
            return
        for view, model in (
            (self.patient_view, self.patient_model),
            (self.due_view, self.due_model),
        ):
            row = model.row_of(self._current.id)
            selection = view.selectionModel()
            if row is None:
                selection.clearSelection()
                continue
            index = model.index(row, 0)
            view.blockSignals(True)
            selection.blockSignals(True)
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            selection.blockSignals(False)
            view.blockSignals(False)
            view.scrollTo(index)

    def _show_current(self) -> None:
        self.record.show_patient(self._current)
        self._update_actions()

    def _patient_read(self, patient: Patient) -> None:
        """The record read the chosen patient as stored now (maybe changed elsewhere)."""
        if self._current is not None and self._current.id == patient.id:
            if patient != self._current:
                self._current = patient
                self._update_actions()
            self._select_current()

    def _record_failed(self, exc: object) -> None:
        if isinstance(exc, NotFound):  # removed meanwhile (a restore, another PC)
            self._current = None
            self._show_current()
        elif isinstance(exc, StoreError):
            self._store_failed(exc)
        elif isinstance(exc, BaseException):
            show_failure(self, exc, None, "Reading the record")

    # --- patients -------------------------------------------------------------
    def new_patient(self) -> None:
        self._open_patient_dialog(None)

    def edit_patient(self) -> None:
        if self._current is not None:
            self._open_patient_dialog(self._current)

    def _open_patient_dialog(self, patient: Patient | None) -> PatientDialog:
        from needlelog.ui.patient_dialog import PatientDialog  # loaded on first use

        dialog = PatientDialog(self.db, patient, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._on_patient_saved)
        dialog.finished.connect(lambda _r, d=dialog: self._forget(d))
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def _forget(self, dialog: QWidget) -> None:
        if dialog in self._dialogs:
            self._dialogs.remove(dialog)

    def _on_patient_saved(self, patient: Patient) -> None:
        self._current = patient
        self.reload()
        self.show_status(f"Patient saved: {patient.full_name}")

    def toggle_archive(self) -> None:
        patient = self._current
        if patient is None:
            return
        archive = not patient.archived
        if archive:
            answer = QMessageBox.question(
                self,
                "Archive patient",
                f"Archive {patient.full_name} ({patient.record_no})?\n\n"
                "The record and every session are kept; the patient is hidden from the "
                "daily lists until brought back (tick “Show archived” to find them).",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        from needlelog.services import patients

        db, actor = self.db, config.current_user()

        def archived(stored: Patient) -> None:
            self._current = (
                stored if stored.archived is False or self.show_archived.isChecked() else None
            )
            self.reload()
            verb = "archived" if archive else "brought back from the archive"
            self.show_status(f"Patient {verb}: {patient.full_name}")

        def refused(exc: BaseException, trace: str) -> None:
            if not isinstance(exc, NotFound | StoreError):
                show_failure(self, exc, trace, "Archiving")
                return
            QMessageBox.warning(self, "Not changed", str(exc))

        run_task(
            lambda _c: patients.set_archived(db, patient.id, archive, actor),
            archived,
            refused,
            parent=self,
            on_waiting=lambda: self.statusBar().showMessage(WAITING_TEXT),
        )

    # --- sessions (the form lives in its own module) ------------------------
    def export_complete_record(self) -> None:
        """A subject access request: report, record and photos in one folder."""
        from needlelog.ui import patient_rights

        if self._current is not None:
            patient_rights.export_complete_record(self, self.db, self._current)

    def show_access_log(self) -> None:
        """Who opened, printed, exported or backed up this record (an administrator)."""
        from needlelog.ui.patient_rights import AccessLogDialog

        if self._current is None:
            return
        dialog = AccessLogDialog(self.db, self._current, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def anonymise_patient(self) -> None:
        """Once the retention period has run (refused with its date before)."""
        from needlelog.ui import patient_rights

        if self._current is not None:
            patient_rights.anonymise(self, self.db, self._current, self.reload)

    def show_drafts(self) -> None:
        """The to-do list: drafts left unsigned for more than a day."""
        from needlelog.ui.drafts_dialog import DraftsDialog

        dialog = DraftsDialog(self.db, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def new_session(self) -> None:
        patient = self._current
        if patient is None or patient.archived:
            return
        self._open_session_form(patient, None)

    def open_session(self, session: TreatmentSession) -> None:
        """Open a session to amend it; a past session first asks why (kept in the audit
        trail with the amendment)."""
        if self._current is None:
            return
        if session.signed:  # read only: corrections are addenda, no reason asked here
            self._open_session_form(self._current, session)
            return
        reason = self.ask_amend_reason(session)
        if reason is None:
            return
        self._open_session_form(self._current, session, reason)

    def ask_amend_reason(self, session: TreatmentSession) -> str | None:
        """Why a past session is amended ("" for today's own session); None to stop."""
        from needlelog.services import clock
        from needlelog.ui import formatting as fmt

        if session.data.performed_at.date() >= clock.today():
            return ""
        when = fmt.day(session.data.performed_at)
        text, ok = QInputDialog.getText(
            self,
            "Amend a past session",
            f"Why is the session of {when} being amended?\n"
            "The reason is kept in the audit trail with the change.",
        )
        if not ok:
            return None
        if not text.strip():
            QMessageBox.information(
                self,
                "A reason is needed",
                "A past session is amended only with a reason; nothing was opened.",
            )
            return None
        return text.strip()

    def _open_session_form(
        self, patient: Patient, session: TreatmentSession | None, amend_reason: str = ""
    ) -> None:
        """What the form needs is read off the GUI thread; the form opens once it is in.
        ``amend_reason`` goes with the amendment into the audit trail."""
        if self._opening_form:
            return  # a second click while the first form is on its way
        from needlelog.ui.session_parts.context import load_context

        db = self.db
        self._opening_form = True
        run_task(
            lambda _c: load_context(db, patient, session, date.today()),
            lambda context: self._show_session_form(context, amend_reason),
            self._form_not_opened,
            parent=self,
        )

    def _show_session_form(self, context: SessionFormContext, amend_reason: str = "") -> None:
        from needlelog.ui.session_form import SessionForm  # the form is its own module

        self._opening_form = False
        before = set(self.findChildren(SessionForm))
        try:
            form = SessionForm(self.db, context, amend_reason=amend_reason, parent=self)
        except BaseException:
            # A form that failed half-way (the app's failure box says why) does not
            # stay behind, hidden, among the window's children.
            for half_built in set(self.findChildren(SessionForm)) - before:
                half_built.deleteLater()
            raise
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.saved.connect(self._on_session_saved)
        form.finished.connect(lambda _r, f=form: self._forget(f))
        self._dialogs.append(form)
        form.open()

    def _form_not_opened(self, exc: BaseException, trace: str) -> None:
        self._opening_form = False
        if not isinstance(exc, StoreError | NotFound):
            show_failure(self, exc, trace, "Opening the session")
            return
        self.show_status(f"The session could not be opened: {exc}")
        QMessageBox.warning(self, "The session could not be opened", str(exc))

    def _on_session_saved(self, session: TreatmentSession) -> None:
        name = self._current.full_name if self._current else ""
        self.reload()
        self.show_status(f"Session saved for {name}".strip())
        if self._current is not None and self._current.id == session.patient_id:
            self.record.offer_handout(session)

    def make_handout(self, session: TreatmentSession) -> None:
        """Show the aftercare handout of ``session``, ready to print or save."""
        from needlelog.ui.report_actions import preview_session_handout

        # Read and made off the GUI thread; a failure is told by the report's own path.
        preview_session_handout(self, self.db, session.id)

    # --- errors, settings, closing ----------------------------------------------
    def _store_failed(self, exc: StoreError) -> None:
        self.show_status(str(exc))
        QMessageBox.warning(self, "The records could not be read", str(exc))

    def _size_columns(self) -> None:
        """Column widths from the font in use: headers never truncated, at any DPI."""
        font = QFont(self.patient_view.font())
        font.setBold(True)  # due dates may be bold: measure the wider face
        metrics = QFontMetrics(font)
        pad = metrics.averageCharWidth() * 2
        for view, model in (
            (self.patient_view, self.patient_model),
            (self.due_view, self.due_model),
        ):
            header_metrics = view.horizontalHeader().fontMetrics()
            view.natural_widths = []
            for column, (title, sample) in enumerate(
                zip(model.HEADERS, model.SAMPLES, strict=True)
            ):
                width = max(
                    header_metrics.horizontalAdvance(title), metrics.horizontalAdvance(sample)
                )
                view.setColumnWidth(column, width + pad)
                view.natural_widths.append(width + pad)
        # What gives way on a narrow screen: the date of birth and the course count
        # (both in the record); in the due list the last contact and the phone (both in
        # the recall panel below it). Next due always stays.
        self.patient_view.hide_when_narrow = (2, 4)
        self.due_view.hide_when_narrow = (DueListModel.CONTACT, DueListModel.PHONE)

    def list_width(self) -> int:
        """Width the patient list and the due list need to show every column."""
        widest = 0
        for view in (self.patient_view, self.due_view):
            widest = max(widest, sum(view.natural_widths))
        scroll = self.patient_view.verticalScrollBar().sizeHint().width()
        return widest + scroll + self.patient_view.frameWidth() * 2 + 24

    def _restore_settings(self) -> None:
        store = app_settings()
        geometry = store.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            line = self.fontMetrics().lineSpacing()
            self.resize(line * 90, line * 48)
        splitter = store.value("main/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        else:
            self._size_splitter_on_show = True
        tab = store.value("main/view", ALL_TAB)
        try:
            self.tabs.setCurrentIndex(int(tab))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.tabs.setCurrentIndex(ALL_TAB)

    def save_settings(self) -> None:
        store = app_settings()
        store.setValue("main/geometry", self.saveGeometry())
        store.setValue("main/splitter", self.splitter.saveState())
        store.setValue("main/view", self.tabs.currentIndex())
        store.sync()

    def _down_from_search(self) -> None:
        """Down in the search box: on to the list, its first row chosen if none is."""
        view = self._active_view()
        view.setFocus()
        if view.model().rowCount() and not view.selectionModel().hasSelection():
            view.selectRow(0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._size_splitter_on_show:
            # First start: the list as wide as its columns, the record gets the rest.
            self._size_splitter_on_show = False
            width = self.splitter.width()
            left = min(self.list_width(), width // 2)
            self.splitter.setSizes([left, width - left])

    def closeEvent(self, event: QCloseEvent) -> None:
        for dialog in list(self._dialogs):
            if dialog.isVisible() and not dialog.close():
                event.ignore()
                return
        self.save_settings()
        super().closeEvent(event)
