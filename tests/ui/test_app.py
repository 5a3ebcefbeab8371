"""Starting the app: a database that cannot be opened is explained, never a traceback."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from needlelog.store.errors import DatabaseTooNew
from needlelog.ui.app import open_failed_message, run_app


def test_damaged_database_is_explained_with_the_way_back(
    qtbot: QtBot, tmp_path: Path, message_boxes: list[tuple[str, str]]
) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database, it was overwritten " * 200)
    before = damaged.read_bytes()

    code = run_app(f"sqlite:///{damaged}")

    assert code == 1
    assert len(message_boxes) == 1
    kind, text = message_boxes[0]
    assert kind == "critical"
    assert "is damaged" in text
    assert "needlelog restore FILE" in text
    assert "Traceback" not in text
    assert damaged.read_bytes() == before  # nothing was changed


def test_message_for_a_newer_database_says_records_are_unchanged() -> None:
    text = open_failed_message(DatabaseTooNew("clinic.sqlite3 was written by a newer version"))
    assert text.startswith("clinic.sqlite3 was written by a newer version")
    assert "Your records have not been changed." in text
