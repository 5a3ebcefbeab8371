"""Shared fixtures: every test gets its own data folder and database file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from needlelog.store.database import Database
from needlelog.store.migrate import open_database


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user folders or database."""
    home = tmp_path / "home"
    monkeypatch.setenv("NEEDLELOG_HOME", str(home))
    monkeypatch.delenv("NEEDLELOG_DB", raising=False)
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{db_path}")
    yield database
    database.dispose()
