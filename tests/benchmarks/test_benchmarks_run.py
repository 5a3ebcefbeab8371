"""The benchmarks are not part of the tests (times vary by machine), but they must keep
working: generate a tiny clinic, check it, and run every scenario once on it."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from benchmarks import generate, run
from needlelog.services import check, patients
from needlelog.store.migrate import open_database

ROOT = Path(__file__).resolve().parents[2]


def test_generated_clinic_passes_check_and_has_the_asked_size(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    generate.build(path, 200, 2000, seed=3, workers=1)
    db = open_database(f"sqlite:///{path}")
    try:
        report = check.run(db)
        assert report.ok, report.problems[:5]
        assert (report.patients, report.sessions) == (200, 2000)
        assert patients.get(db, 1).sessions_total == generate.LONG_HISTORY
    finally:
        db.dispose()


def test_run_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["NEEDLELOG_BENCH_DATA"] = str(tmp_path / "data")
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--patients",
            "200",
            "--sessions",
            "2000",
            "--quick",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "| Scenario | needlelog | Limit | Ratio |" in result.stdout
    rows = {r["scenario"]: r for r in json.loads(out.read_text(encoding="utf-8"))["rows"]}
    assert rows["open a 60-session record"]["needlelog_s"] > 0
    assert rows["save a session"]["limit_s"] > 0
    assert rows["first paint of the main window"]["limit_s"] > 0
    assert rows["progress report, 60 sessions"]["limit_s"] > 0
    assert rows["progress report, 60 sessions vs bare Helvetica table"]["note"].startswith(
        "informational"
    )
    # The list fills after the window has painted, in the same start.
    paint = rows["first paint of the main window"]["needlelog_s"]
    listed = rows["first patients listed in the main window"]["needlelog_s"]
    assert paint is None or listed > paint
    assert any(name.startswith("search 'mül'") for name in rows)
    (imported,) = [r for name, r in rows.items() if name.startswith("CSV import of 2,000 sessions")]
    assert imported["needlelog_s"] > 0 and imported["limit_s"] > 0
    assert imported["max_ratio"] == run.IMPORT_MAX_RATIO
    for row in rows.values():  # measured, or said plainly that it cannot be
        assert row["needlelog_s"] is not None or row["note"] == run.NOT_AVAILABLE


def test_the_raw_search_uses_the_same_threshold_and_page_as_needlelog() -> None:
    from needlelog.ui.patient_models import PAGE_SIZE

    assert run.DENSE == patients.DENSE
    assert run.GUI_PAGE == PAGE_SIZE


def _args(path: Path, out: Path, patient_id: int) -> argparse.Namespace:
    return argparse.Namespace(db=str(path), patient_id=patient_id, out_dir=str(out))


def test_report_and_export_scenarios_call_the_named_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The report and export modules are built elsewhere; stand-ins with the agreed
    # names and signatures show the scenarios call them as agreed.
    path = tmp_path / "clinic.sqlite3"
    generate.build(path, 20, 200, seed=2, workers=1)
    calls: list[tuple[str, int | Path]] = []

    def build_progress_report(db: object, patient_id: int, out: Path) -> None:
        calls.append(("report", patient_id))
        Path(out).write_bytes(b"%PDF-1.4 stand-in")

    def export_csv(db: object, out_dir: Path) -> None:
        calls.append(("export", Path(out_dir)))
        (Path(out_dir) / "sessions.csv").write_text("record_no\n", encoding="utf-8")

    progress = types.SimpleNamespace(build_progress_report=build_progress_report)
    csv_export = types.SimpleNamespace(export_csv=export_csv)
    for package, name, module in (
        ("needlelog.reports", "progress", progress),
        ("needlelog.exchange", "csv_export", csv_export),
    ):
        try:  # the real modules, once merged, are used as they are
            importlib.import_module(f"{package}.{name}")
        except ImportError:
            monkeypatch.setitem(sys.modules, package, types.SimpleNamespace(**{name: module}))
            monkeypatch.setitem(sys.modules, f"{package}.{name}", module)
    monkeypatch.setattr(run, "quick", lambda: True)
    report = run.w_report("needlelog", _args(path, tmp_path, 1))
    export = run.w_export("needlelog", _args(path, tmp_path, 1))
    assert report["bytes"] > 0 and export["bytes"] > 0
    if calls:  # the stand-ins were used
        assert calls == [("report", 1), ("export", tmp_path / "export-needlelog")]
    # And the limits write real files from the same rows.
    assert run.w_report("raw", _args(path, tmp_path, 1))["bytes"] > 1000
    assert run.w_report("bare", _args(path, tmp_path, 1))["bytes"] > 1000
    assert run.w_export("raw", _args(path, tmp_path, 1))["bytes"] > 1000


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's, not ours
def test_search_through_the_main_window_times_each_keystroke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: object
) -> None:
    from PySide6.QtCore import QStringListModel
    from PySide6.QtWidgets import QLineEdit, QListView, QMainWindow, QVBoxLayout, QWidget

    class StandIn(QMainWindow):
        """The smallest main window with a search field and a patient list."""

        def __init__(self, db: Any) -> None:
            super().__init__()
            self.db = db
            body = QWidget()
            layout = QVBoxLayout(body)
            self.field = QLineEdit()
            self.field.setPlaceholderText("Search patients")
            self.names = QStringListModel()
            view = QListView()
            view.setModel(self.names)
            layout.addWidget(self.field)
            layout.addWidget(view)
            self.setCentralWidget(body)
            self.field.textChanged.connect(self.refresh)
            self.refresh("")

        def refresh(self, text: str) -> None:
            self.names.setStringList([p.full_name for p in patients.search(self.db, text)])

    path = tmp_path / "clinic.sqlite3"
    generate.build(path, 20, 200, seed=2, workers=1)
    monkeypatch.setattr(run, "_main_window_factory", lambda: StandIn)
    monkeypatch.setattr(run, "GUI_SETTLE_MS", 20)
    result = run.w_gui_search("needlelog", _args(path, tmp_path, 1))
    assert set(result["times"]) == set(run._search_texts(_args(path, tmp_path, 1)))
    assert all(t is not None and t > 0 for t in result["times"].values())
