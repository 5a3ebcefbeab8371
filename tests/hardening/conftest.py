"""Shared set-up of the tests that attack needlelog as a careless or hostile user would."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from needlelog import cli
from needlelog.store.migrate import open_database
from tests.exchange.records import fill_rich


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def keep_umask() -> Iterator[None]:
    """``cli.main`` makes its process private (umask 077); the test process gets its own back."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A filled clinic database file, closed (as between two commands)."""
    path = tmp_path / "clinic" / "needlelog.sqlite3"
    path.parent.mkdir()
    db = open_database(f"sqlite:///{path}")
    try:
        fill_rich(db)
    finally:
        db.dispose()
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command line in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
