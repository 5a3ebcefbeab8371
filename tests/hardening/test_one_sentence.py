"""Issue 13, point 6: one sentence, never a traceback.

The attacks: exports and backups to a full disk or to ``/proc``, a restore
filling the disk, ``--db foo://bar`` and a PostgreSQL server that is down
(psycopg 3's "connection failed") all ended in tracebacks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pyrage
import pytest

from tests.cli_runner import ROOT, run_cli
from tests.hardening.conftest import run, sha256

WRITERS = (
    ("export", "--format", "json", "--out"),
    ("export", "--format", "fhir", "--out"),
    ("backup", "--no-encrypt", "--out"),
    ("backup", "--recipient", str(pyrage.x25519.Identity.generate().to_public()), "--out"),
    ("report", "P-0001", "--out"),
)


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs /proc")
@pytest.mark.parametrize("command", WRITERS, ids=lambda c: "-".join(c[:3]))
@pytest.mark.parametrize("target", ["/proc/needlelog.out", "/proc/self/status"])
def test_writing_into_proc_is_one_sentence(
    capsys: pytest.CaptureFixture[str], clinic: Path, command: tuple, target: str
) -> None:
    before = sha256(clinic)
    code, out, err = run(capsys, "--db", str(clinic), *command, target)
    assert code == 2 and out == ""
    assert f"cannot write {target}: " in _one_line(err)
    assert sha256(clinic) == before


# A child whose files may not grow past a limit: what a full disk looks like to it.
LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from needlelog.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("command", WRITERS, ids=lambda c: "-".join(c[:3]))
def test_a_full_disk_is_one_sentence_and_leaves_nothing(tmp_path: Path, command: tuple) -> None:
    from needlelog.services import demo
    from needlelog.store.migrate import open_database

    clinic = tmp_path / "clinic" / "needlelog.sqlite3"
    db = open_database(f"sqlite:///{clinic}")
    try:
        demo.fill(db, 40, 1)
    finally:
        db.dispose()
    if command[0] == "report":
        command = ("report", "DEMO-000001", "--out")
    # Room for SQLite's 32 KB wal-index, not for any of these files.
    limit = 40_000
    out = tmp_path / "out" / "file"
    out.parent.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", LIMITED, str(limit), "--db", str(clinic), *command, str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    said = _one_line(done.stderr)
    assert f"cannot write {out}: " in said
    assert "File too large" in said or "full or failing" in said
    assert list(out.parent.iterdir()) == []
    assert [p.name for p in clinic.parent.iterdir() if p.name.startswith(".")] == []


def test_a_restore_that_would_fill_the_disk_is_refused_first(
    capsys: pytest.CaptureFixture[str],
    clinic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from needlelog.exchange import backup

    code, _out, err = run(
        capsys, "--db", str(clinic), "backup", "--no-encrypt", "--out", str(tmp_path / "b.zip")
    )
    assert code == 0, err
    before = sha256(clinic)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(backup.shutil, "disk_usage", lambda _p: usage(10**9, 10**9, 4096))
    code, out, err = run(capsys, "--db", str(clinic), "restore", str(tmp_path / "b.zip"))
    assert code == 1 and out == ""
    assert "not enough free space" in _one_line(err)
    assert sha256(clinic) == before
    assert sorted(p.name for p in clinic.parent.iterdir()) == [clinic.name]


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("foo://bar", 2, "'foo' is not a kind of database needlelog knows"),
        ("postgresql+nosuchdriver://u@localhost/x", 2, "is not a kind of database"),
        ("postgresql+pg8000://u@localhost/x", 2, "driver 'pg8000' is not installed"),
    ],
)
def test_a_bad_database_url_is_one_sentence(
    capsys: pytest.CaptureFixture[str], url: str, code: int, says: str
) -> None:
    for command in (("check",), ("demo", "--patients", "1")):
        got, out, err = run(capsys, "--db", url, *command)
        assert (got, out) == (code, "")
        assert says in _one_line(err)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_that_is_down_is_one_sentence() -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://nurse@127.0.0.1:{_closed_port()}/clinic"
    done = run_cli("--db", url, "check")
    assert done.returncode == 1
    assert "cannot be reached" in _one_line(done.stderr)
    assert "check that it is running" in done.stderr
