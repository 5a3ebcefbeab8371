"""Shared fixtures: every test gets its own data folder and database file."""

from __future__ import annotations

import os
import shutil
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
    monkeypatch.delenv("NEEDLELOG_BACKUP_PASSPHRASE", raising=False)
    return home


@pytest.fixture
def resource_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped files that the resource lookup now points at, for
    tests that take a file away or damage it, as a broken installation would."""
    from needlelog import resource_files

    copy = Path(shutil.copytree(resource_files.root(), tmp_path / "installed-resources"))
    monkeypatch.setattr(resource_files, "root", lambda: copy)
    return copy


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.sqlite3"


# Set to a PostgreSQL URL to run the database tests against a server, as a
# clinic with several PCs would (the schema is dropped and rebuilt per test).
SERVER_URL = os.environ.get("NEEDLELOG_TEST_SERVER_DB", "")


def _reset_server_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    if SERVER_URL:
        _reset_server_schema(SERVER_URL)
        database = open_database(SERVER_URL)
    else:
        database = open_database(f"sqlite:///{db_path}")
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def nobody_signed_in() -> Iterator[None]:
    """Each test starts and ends with no account working in the process."""
    from needlelog.services import accounts

    accounts.sign_out()
    yield
    accounts.sign_out()
