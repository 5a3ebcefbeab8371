"""The benchmarks are not part of the tests (times vary by machine), but they must keep
working: generate a tiny clinic, check it, and run every scenario once on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    assert any(name.startswith("search 'mül'") for name in rows)
    for row in rows.values():  # measured, or said plainly that it cannot be
        assert row["needlelog_s"] is not None or row["note"] == run.NOT_AVAILABLE


def test_the_raw_search_uses_the_same_threshold_as_needlelog() -> None:
    assert run.DENSE == patients.DENSE
