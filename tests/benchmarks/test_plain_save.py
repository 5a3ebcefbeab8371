"""The save scenario's limit must do the same work as needlelog: the same rows, the same
audit event and the same course summary, or its ratio would flatter or wrong needlelog."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks import generate
from benchmarks.harness import raw_connect as _raw_connect
from benchmarks.plain_save import plain_record, plain_rows
from needlelog.domain.records import SessionData
from needlelog.services import sessions
from needlelog.store.migrate import open_database


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clinic") / "clinic.sqlite3"
    generate.build(path, 20, 200, seed=4, workers=1)
    return path


def _both(clinic: Path, tmp_path: Path, pid: int, edit: dict[str, object]) -> None:
    mine, raw = tmp_path / "mine.sqlite3", tmp_path / "raw.sqlite3"
    shutil.copyfile(clinic, mine)
    shutil.copyfile(clinic, raw)
    db = open_database(f"sqlite:///{mine}")
    try:
        latest = sessions.latest(db, pid)
        assert latest is not None
        # the generated clinic has no signed consents: saved with the gate's override
        data: SessionData = replace(
            latest.data, consent_override_reason="no consent generated", **edit
        )  # type: ignore[arg-type]
        saved = sessions.record(db, pid, data, "nurse")
    finally:
        db.dispose()
    conn = _raw_connect(str(raw))
    sid = plain_record(conn, pid, data, "nurse")
    assert sid == saved.id
    expected = plain_rows(_raw_connect(str(mine)), saved.id)
    assert plain_rows(conn, sid) == expected
    assert expected["audit"] and expected["treated_areas"]


def test_a_new_session_today_is_stored_alike(clinic: Path, tmp_path: Path) -> None:
    when = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    _both(clinic, tmp_path, 1, {"performed_at": when, "next_due": None})


def test_a_back_dated_session_with_a_due_date_is_stored_alike(clinic: Path, tmp_path: Path) -> None:
    when = datetime(2019, 3, 4, 10, 30)
    _both(clinic, tmp_path, 2, {"performed_at": when, "next_due": date(2019, 4, 1)})
