"""The start path: the main window comes first, the records open after it has painted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import make_url

from needlelog import config
from needlelog.services import patients
from needlelog.services.demo_data import DEMO_PREFIX
from needlelog.services.settings import get_clinic
from needlelog.store.database import Database
from needlelog.ui import app as app_module
from needlelog.ui import background, first_run
from needlelog.ui.app import CANNOT_OPEN, Startup, run_app, start_app
from needlelog.ui.main_window import OPENING_RECORDS, MainWindow
from needlelog.ui.patient_dialog import PatientDialog
from needlelog.ui.patient_models import PatientRole
from tests.ui.conftest import settle

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: in this one, other tests have long since loaded everything.
START_PATH = textwrap.dedent(
    """
    import json, sys
    import needlelog.cli
    from needlelog.ui.app import start_app

    startup = start_app(sys.argv[1])
    window = startup.window
    window.grab()  # paints the whole window, as the first paint does
    print(json.dumps({
        "window": type(window).__name__,
        "visible": window.isVisible(),
        "attached": window.attached,
        "opening": startup.opening,
        "modules": sorted(sys.modules),
    }))
    """
)


def _start_path_in_a_child(url: str, tmp_path: Path) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    result = subprocess.run(
        [sys.executable, "-c", START_PATH, url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_window_is_built_and_painted_before_sqlalchemy_or_the_services_load(
    db: Database, tmp_path: Path
) -> None:
    shown = _start_path_in_a_child(db.url, tmp_path)

    assert shown["window"] == "MainWindow"
    assert shown["visible"] is True
    assert shown["attached"] is False
    assert shown["opening"] is False  # the open waits for the event loop, after the paint
    modules = set(shown["modules"])  # type: ignore[arg-type]
    for heavy in ("sqlalchemy", "alembic", "reportlab"):
        assert heavy not in modules
    # Of the services and the store, only the plain error types and the clock.
    lower = {m for m in modules if m.startswith(("needlelog.services.", "needlelog.store."))}
    assert lower <= {
        "needlelog.services.errors",
        "needlelog.services.clock",
        "needlelog.store.errors",
    }
    assert "needlelog.ui.first_run" not in modules  # the welcome is for new installs only


@pytest.fixture
def started(qtbot: QtBot) -> Iterator[list[Startup]]:
    """Startups made by a test; their windows close and their databases close at the end."""
    made: list[Startup] = []
    yield made
    background.wait_for_all()
    for startup in made:
        startup.window.close()
        background.wait_for_all()
        if startup.db is not None:
            startup.db.dispose()


def test_start_shows_the_main_window_opening_then_the_records(
    qtbot: QtBot, big_db: Database, started: list[Startup]
) -> None:
    startup = start_app(big_db.url)
    started.append(startup)
    window = startup.window
    qtbot.addWidget(window)

    # The first window on screen is the main window itself, in its opening state.
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert shown == [window]
    assert isinstance(window, MainWindow)
    assert window.windowTitle() == "needlelog — big.sqlite3"
    assert not window.attached
    assert not startup.opening  # the records open once the window has painted
    assert window.patient_view.placeholder() == OPENING_RECORDS
    assert window.patient_model.rowCount() == 0
    assert window.record.pages.currentIndex() == 0  # no patient
    assert not window.search.isEnabled()
    assert not window.show_archived.isEnabled()
    for action in (
        window.new_patient_action,
        window.edit_patient_action,
        window.archive_action,
        window.new_session_action,
        window.find_action,
        window.reload_action,
    ):
        assert not action.isEnabled(), action.text()
    assert window.quit_action.isEnabled()
    # Nothing can be started before the records are there, not even from the keyboard.
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.findChildren(PatientDialog) == []
    with pytest.raises(RuntimeError, match="not attached"):
        _ = window.db

    qtbot.waitUntil(lambda: window.attached, timeout=30_000)
    settle(qtbot, window)

    assert startup.db is window.db
    assert not QApplication.windowIcon().isNull()  # set once the window had painted
    assert not window.new_patient_action.icon().isNull()  # the menus' icons, likewise
    assert window.patient_model.rowCount() > 0
    first = window.patient_model.index(0, 0).data(PatientRole)
    assert first is not None
    assert first == patients.search(big_db, "", limit=1)[0]
    assert window.patient_view.placeholder() == ""
    assert window.search.isEnabled() and window.show_archived.isEnabled()
    assert window.new_patient_action.isEnabled() and window.reload_action.isEnabled()
    assert "in the list" in window.count_label.text()
    # The features joined the File menu once the records were open; Quit is still last.
    texts = [a.text() for a in window.file_menu.actions() if not a.isSeparator()]
    assert "&Back up now…" in texts and "Clinic settings…" in texts
    assert texts[-1] == "&Quit"
    # And the window now works: the same keys open the new-patient form ...
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialogs = window.findChildren(PatientDialog)
    assert len(dialogs) == 1
    dialogs[0].reject()
    # ... and search narrows the list.
    family = first.data.family_name
    qtbot.keyClicks(window.search, family)
    qtbot.waitUntil(lambda: not window.search_pending)
    assert window.patient_model.rowCount() > 0
    for row in range(window.patient_model.rowCount()):
        shown_patient = window.patient_model.index(row, 0).data(PatientRole)
        assert shown_patient is not None
        assert family.lower() in shown_patient.full_name.lower()


def test_a_new_install_opens_with_the_choices_of_the_welcome_applied(
    qtbot: QtBot, tmp_path: Path, started: list[Startup]
) -> None:
    path = tmp_path / "new" / "clinic.sqlite3"
    url = f"sqlite:///{path}"
    assert not path.exists()  # a new install
    choices = first_run.FirstRunChoices(clinic_name="Riverside Skin Clinic", add_demo=True)

    startup = start_app(url, choices)
    started.append(startup)
    window = startup.window
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.attached, timeout=30_000)
    qtbot.waitUntil(lambda: window.patient_model.rowCount() == first_run.DEMO_PATIENTS)
    settle(qtbot, window)

    assert path.exists()
    assert get_clinic(window.db).name == "Riverside Skin Clinic"
    patient = window.patient_model.index(0, 0).data(PatientRole)
    assert patient is not None and patient.record_no.startswith(DEMO_PREFIX)


def test_the_records_open_even_if_the_window_never_paints(
    qtbot: QtBot, db: Database, started: list[Startup], monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoPaintSeen:  # a window started minimised, or a platform that draws nothing
        def __init__(self, *_args: object) -> None:
            pass

    monkeypatch.setattr(app_module, "_FirstPaint", NoPaintSeen)
    monkeypatch.setattr(app_module, "OPEN_WITHOUT_PAINT_MS", 50)
    startup = start_app(db.url)
    started.append(startup)
    qtbot.addWidget(startup.window)

    qtbot.waitUntil(lambda: startup.window.attached, timeout=30_000)
    settle(qtbot, startup.window)
    assert startup.opening


def test_closing_the_window_while_the_records_open_leaves_cleanly(
    qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from needlelog.store import migrate

    real_open = migrate.open_database
    opened: list[Database] = []
    disposed: list[Database] = []

    def slow_open(url: str, backup_dir: Path | None = None) -> Database:
        time.sleep(0.3)  # the window is closed meanwhile
        opened.append(real_open(url, backup_dir=backup_dir))
        dispose = opened[-1].dispose
        monkeypatch.setattr(opened[-1], "dispose", lambda: (disposed.append(opened[-1]), dispose()))
        return opened[-1]

    monkeypatch.setattr(migrate, "open_database", slow_open)

    def close_main_window() -> None:
        for window in QApplication.topLevelWidgets():
            if isinstance(window, MainWindow):
                window.close()

    QTimer.singleShot(100, close_main_window)
    assert run_app(db.url) == 0

    assert len(opened) == 1 and disposed == opened  # the open finished, then was closed
    QApplication.processEvents()  # the open's answer arrives after the loop: ignored
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    assert windows and not any(w.attached or w.isVisible() for w in windows)
    for window in windows:
        window.deleteLater()


def test_attaching_twice_is_refused(qtbot: QtBot, db: Database) -> None:
    window = MainWindow(db)
    qtbot.addWidget(window)
    with pytest.raises(RuntimeError, match="already attached"):
        window.attach(db)
    background.wait_for_all()


def test_a_failing_open_hides_the_window_explains_and_exits_1(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database, it was overwritten " * 200)
    before = damaged.read_bytes()
    seen: list[tuple[str, str, list[str]]] = []

    def critical(_parent: object, title: str, text: str, *_a: object) -> object:
        windows = [type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()]
        seen.append((title, text, windows))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "critical", critical)

    assert run_app(f"sqlite:///{damaged}") == 1

    assert len(seen) == 1
    title, text, windows = seen[0]
    assert title == CANNOT_OPEN
    assert "is damaged" in text and "needlelog restore FILE" in text
    assert "Your records have not been changed." in text
    assert "Traceback" not in text
    assert "MainWindow" not in windows  # the empty window does not stay behind the message
    assert damaged.read_bytes() == before
    stale = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)]
    for window in stale:
        window.close()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///clinic.sqlite3",
        "sqlite:////srv/clinic/records.sqlite3",
        "sqlite:////srv/my%20clinic/records.sqlite3?timeout=20",
        "sqlite+pysqlite:///relative/dir/x.db",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///",
        "postgresql+psycopg://nurse:secret@server:5432/clinic",
        "mysql://server/clinic",
        "sqlite:///C:\\Clinic\\records.sqlite3",
    ],
)
def test_the_sqlite_file_is_read_from_the_url_as_sqlalchemy_reads_it(url: str) -> None:
    parsed = make_url(url)
    expected = (
        Path(parsed.database)
        if parsed.get_backend_name() == "sqlite"
        and parsed.database
        and parsed.database != ":memory:"
        else None
    )
    assert config.sqlite_file(url) == expected


def test_the_welcome_names_demo_patients_as_the_demo_data_does() -> None:
    assert first_run.DEMO_PREFIX == DEMO_PREFIX
