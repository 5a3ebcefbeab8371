"""Encrypted backups: opened by the standard ``age`` tool, refused with a wrong key, nothing lost."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pyrage
import pytest

from needlelog import cli, config
from needlelog.exchange import backup, encryption
from needlelog.exchange.backup import (
    BackupLocked,
    BackupRefused,
    auto_backup,
    make_backup,
    open_manifest,
    restore_backup,
    verify_backup,
)
from needlelog.exchange.encryption import Decryption, Encryption, KeyProblem
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from tests.cli_runner import ROOT, run_cli
from tests.exchange.records import fill_rich, snapshot
from tests.factories import make_patient
from tests.snapshots import dump

PASSPHRASE = "copper violin harbour seventeen"
AGE = shutil.which("age")
AGE_KEYGEN = shutil.which("age-keygen")
needs_age = pytest.mark.skipif(
    AGE is None or AGE_KEYGEN is None,
    reason="the age command-line tool (Debian package age) is not installed",
)


def _records(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every table but the audit trail (where reading and backing up are logged)."""
    return {k: v for k, v in dump(db).items() if k != "audit_events"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _keypair(tmp_path: Path, name: str = "key.txt") -> tuple[Path, str]:
    """An identity file written by age-keygen, and its public key."""
    key = tmp_path / name
    done = subprocess.run(
        [str(AGE_KEYGEN), "-o", str(key)], capture_output=True, text=True, check=True
    )
    public = done.stderr.strip().split("Public key: ")[-1]
    assert public.startswith("age1"), done.stderr
    return key, public


def _filled(db: Database) -> dict[str, object]:
    fill_rich(db)
    before = snapshot(db)
    db.dispose()
    return before


def _on_a_terminal(argv: list[str], answers: list[str]) -> tuple[int, str]:
    """Run a program on a terminal of its own and type each answer when it asks.

    age and needlelog read a passphrase only from a terminal, never from a pipe.
    Answers go in when the output so far ends with a prompt (``: ``).
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env.pop("NEEDLELOG_BACKUP_PASSPHRASE", None)
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes the program
        os.chdir(ROOT)
        os.execve(argv[0], argv, env)
    said, pending, deadline = b"", list(answers), time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the terminal closed: the program has finished
                break
            if not chunk:
                break
            said += chunk
            if pending and said.rstrip(b" ").endswith(b":"):
                os.write(fd, f"{pending.pop(0)}\n".encode())
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), said.decode(errors="replace").replace("\r", "")


def _age_with_passphrase(src: Path, dst: Path, passphrase: str) -> tuple[int, str]:
    assert AGE is not None
    return _on_a_terminal([AGE, "-d", "-o", str(dst), str(src)], [passphrase])


def _needlelog(*args: str) -> list[str]:
    return [sys.executable, "-m", "needlelog", *args]


def _passphrase_backup(db_path: Path, out: Path) -> None:
    """A passphrase backup made by the command line (scrypt's memory stays in the child)."""
    env = {"NEEDLELOG_BACKUP_PASSPHRASE": PASSPHRASE}
    done = run_cli("--db", str(db_path), "backup", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr


@needs_age
def test_age_tool_opens_a_backup_made_to_a_public_key(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    before = _filled(db)
    key, public = _keypair(tmp_path)
    out = tmp_path / "b.zip.age"
    done = run_cli("--db", str(db_path), "backup", "--recipient", public, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(" bytes, encrypted to 1 public key)\n")
    assert out.read_bytes().startswith(b"age-encryption.org/v1\n-> X25519 ")
    assert b"SQLite format 3" not in out.read_bytes()
    # The age tool, without needlelog, gives back the zip that restore verifies.
    opened = tmp_path / "opened.zip"
    done = subprocess.run(
        [str(AGE), "-d", "-i", str(key), "-o", str(opened), str(out)], capture_output=True
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(opened) as zf:
        assert zf.namelist() == ["manifest.json", "needlelog.sqlite3"]
        manifest = json.loads(zf.read("manifest.json"))
        inside = zf.read("needlelog.sqlite3")
    entry = manifest["files"]["needlelog.sqlite3"]
    assert hashlib.sha256(inside).hexdigest() == entry["sha256"] and len(inside) == entry["size"]
    work = tmp_path / "work"
    work.mkdir()
    _checked, measured = verify_backup(opened, work)
    assert measured["counts"] == {"patients": 4, "sessions": 3}
    # And needlelog's own restore with the identity file.
    done = run_cli("--db", str(db_path), "restore", str(out), "--identity", str(key))
    assert done.returncode == 0, done.stderr
    again = open_database(f"sqlite:///{db_path}")
    try:
        assert snapshot(again) == before
    finally:
        again.dispose()


@needs_age
def test_age_tool_opens_a_passphrase_backup(db: Database, db_path: Path, tmp_path: Path) -> None:
    _filled(db)
    out = tmp_path / "b.zip.age"
    env = {"NEEDLELOG_BACKUP_PASSPHRASE": PASSPHRASE}
    done = run_cli("--db", str(db_path), "backup", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(" bytes, encrypted with a passphrase)\n")
    opened = tmp_path / "opened.zip"
    code, said = _age_with_passphrase(out, opened, PASSPHRASE)
    assert code == 0, said
    work = tmp_path / "work"
    work.mkdir()
    _checked, measured = verify_backup(opened, work)
    assert measured["counts"] == {"patients": 4, "sessions": 3}
    code, said = _age_with_passphrase(out, tmp_path / "wrong.zip", "not the passphrase")
    assert code != 0 and "incorrect passphrase" in said


def test_passphrase_round_trip_through_restore(db: Database, db_path: Path, tmp_path: Path) -> None:
    before = _filled(db)
    out = tmp_path / "b.zip.age"
    env = {"NEEDLELOG_BACKUP_PASSPHRASE": PASSPHRASE}
    assert run_cli("--db", str(db_path), "backup", "--out", str(out), env=env).returncode == 0
    later = open_database(f"sqlite:///{db_path}")
    patients.register(later, make_patient("P-LATER"), "tester")
    later.dispose()
    done = run_cli("--db", str(db_path), "restore", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Restored 4 patients and 3 sessions from the backup of ")
    again = open_database(f"sqlite:///{db_path}")
    try:
        assert snapshot(again) == before
    finally:
        again.dispose()
    assert [p.name for p in db_path.parent.iterdir() if p.name.startswith(".")] == []


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_wrong_passphrase_is_refused_and_changes_nothing(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    _filled(db)
    out = tmp_path / "b.zip.age"
    _passphrase_backup(db_path, out)
    before = _sha(db_path)
    env = {"NEEDLELOG_BACKUP_PASSPHRASE": "copper violin harbour eighteen"}
    done = run_cli("--db", str(db_path), "restore", str(out), env=env)
    assert done.returncode == 2
    assert done.stderr == (
        "needlelog restore: error: b.zip.age cannot be restored: the passphrase is wrong. "
        "The current records were not changed.\n"
    )
    assert _sha(db_path) == before
    assert _leftovers(db_path.parent) == []
    assert [p.name for p in db_path.parent.iterdir() if ".replaced-" in p.name] == []


@needs_age
def test_wrong_identity_is_refused_and_changes_nothing(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    _filled(db)
    _key, public = _keypair(tmp_path, "clinic-key.txt")
    other, _ = _keypair(tmp_path, "other-key.txt")
    out = tmp_path / "b.zip.age"
    done = run_cli("--db", str(db_path), "backup", "--recipient", public, "--out", str(out))
    assert done.returncode == 0, done.stderr
    before = _sha(db_path)
    done = run_cli("--db", str(db_path), "restore", str(out), "--identity", str(other))
    assert done.returncode == 2
    assert done.stderr == (
        "needlelog restore: error: b.zip.age cannot be restored: no key in other-key.txt "
        "opens it (it was encrypted to another key). The current records were not changed.\n"
    )
    assert _sha(db_path) == before
    assert _leftovers(db_path.parent) == []
    # Without any identity: asked for one, in one line.
    done = run_cli("--db", str(db_path), "restore", str(out))
    assert done.returncode == 2
    assert done.stderr == (
        "needlelog restore: error: b.zip.age is encrypted to a public key: give the matching "
        "identity file with --identity FILE; nothing was changed\n"
    )
    assert _sha(db_path) == before


def test_no_encrypt_gives_a_plain_zip(db: Database, db_path: Path, tmp_path: Path) -> None:
    _filled(db)
    out = tmp_path / "plain.zip"
    done = run_cli("--db", str(db_path), "backup", "--no-encrypt", "--out", str(out))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ["manifest.json", "needlelog.sqlite3"]
    assert not encryption.is_encrypted(out)
    # An old plain zip still restores, whatever passphrase is set.
    env = {"NEEDLELOG_BACKUP_PASSPHRASE": PASSPHRASE}
    assert run_cli("--db", str(db_path), "restore", str(out), env=env).returncode == 0


def test_without_a_terminal_or_the_variable_backup_is_plain_and_says_so(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    """The documented `backup --out FILE` keeps working in a script, with a warning each time."""
    _filled(db)
    before = _records(db)
    out = tmp_path / "b.zip"
    done = run_cli("--db", str(db_path), "backup", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "needlelog backup: warning: this backup is NOT encrypted: there is no terminal to ask "
        "for a passphrase; set NEEDLELOG_BACKUP_PASSPHRASE, give --recipient AGE_PUBLIC_KEY, or "
        "set the clinic's backup key (--no-encrypt silences this)\n"
    )
    assert "not encrypted" in done.stdout
    assert not encryption.is_encrypted(out)
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ["manifest.json", "needlelog.sqlite3"]
    # No record changed; the access log gained the backup (who, when, where to).
    assert _records(db) == before
    last = dump(db)["audit_events"][-1]
    assert last[3:6] == ("access", 0, "backup") and str(out) in last[6]
    quiet = run_cli("--db", str(db_path), "backup", "--no-encrypt", "--out", str(out))
    assert (quiet.returncode, quiet.stderr) == (0, "")
    out.unlink()
    out = tmp_path / "b.zip.age"
    done = run_cli(
        "--db", str(db_path), "backup", "--out", str(out), env={"NEEDLELOG_BACKUP_PASSPHRASE": ""}
    )
    assert (done.returncode, done.stderr) == (
        2,
        "needlelog backup: error: the backup passphrase is empty (NEEDLELOG_BACKUP_PASSPHRASE)\n",
    )
    assert not out.exists()
    # A passphrase backup cannot be restored without one either.
    _passphrase_backup(db_path, out)
    before = _sha(db_path)
    done = run_cli("--db", str(db_path), "restore", str(out))
    assert done.returncode == 2
    assert done.stderr == (
        "needlelog restore: error: b.zip.age is encrypted with a passphrase and there is no "
        "terminal to ask for it: set NEEDLELOG_BACKUP_PASSPHRASE; nothing was changed\n"
    )
    assert _sha(db_path) == before


def test_the_passphrase_is_asked_twice_on_a_terminal(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    before = _filled(db)
    out = tmp_path / "b.zip.age"
    backup = _needlelog("--db", str(db_path), "backup", "--out", str(out))
    code, said = _on_a_terminal(backup, [PASSPHRASE, "copper violin harbour"])
    assert code == 2, said
    assert said == (
        "Backup passphrase: \nThe same passphrase again: \n"
        "needlelog backup: error: the two passphrases differ; nothing was written\n"
    )
    assert not out.exists()
    code, said = _on_a_terminal(backup, ["short", "short"])
    assert code == 0, said
    assert "needlelog backup: Weak: anyone who finds the file could guess it." in said
    assert encryption.needs_passphrase(out)
    restore = _needlelog("--db", str(db_path), "restore", str(out))
    before_restore = _sha(db_path)
    code, said = _on_a_terminal(restore, ["wrong words here"])
    assert code == 2 and "b.zip.age cannot be restored: the passphrase is wrong." in said
    assert _sha(db_path) == before_restore
    code, said = _on_a_terminal(restore, ["short"])
    assert code == 0, said
    assert said.startswith("Backup passphrase: \nRestored 4 patients and 3 sessions")
    again = open_database(f"sqlite:///{db_path}")
    try:
        assert snapshot(again) == before
    finally:
        again.dispose()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--recipient", "age1notakey"],
            "'age1notakey' is not an age public key (one starts with age1, as age-keygen "
            "prints it)",
        ),
        (
            ["--no-encrypt", "--recipient", "age1x"],
            "--no-encrypt and --recipient contradict each other; give one",
        ),
    ],
)
def test_bad_encryption_options_are_one_line(
    db: Database, db_path: Path, tmp_path: Path, args: list[str], said: str
) -> None:
    _filled(db)
    out = tmp_path / "b.zip.age"
    done = run_cli("--db", str(db_path), "backup", *args, "--out", str(out))
    assert (done.returncode, done.stderr) == (2, f"needlelog backup: error: {said}\n")
    assert not out.exists()


def test_a_bad_identity_file_is_one_line(db: Database, db_path: Path, tmp_path: Path) -> None:
    _filled(db)
    public = str(pyrage.x25519.Identity.generate().to_public())
    out = tmp_path / "b.zip.age"
    make_backup(Database(f"sqlite:///{db_path}"), out, encryption=Encryption(recipients=(public,)))
    before = _sha(db_path)
    (tmp_path / "notes.txt").write_text("my keys are somewhere else\n", encoding="utf-8")
    cases = {
        tmp_path / "missing.txt": f"the identity file {tmp_path / 'missing.txt'} does not exist",
        tmp_path / "notes.txt": f"{tmp_path / 'notes.txt'} is not an age identity file (it holds "
        "a line that is not an AGE-SECRET-KEY-1…)",
    }
    for identity, said in cases.items():
        done = run_cli("--db", str(db_path), "restore", str(out), "--identity", str(identity))
        assert (done.returncode, done.stderr) == (
            2,
            f"needlelog restore: error: {said}; nothing was changed\n",
        )
    assert _sha(db_path) == before


def test_a_damaged_encrypted_backup_is_refused(db: Database, db_path: Path, tmp_path: Path) -> None:
    _filled(db)
    identity = pyrage.x25519.Identity.generate()
    out = tmp_path / "b.zip.age"
    make_backup(
        Database(f"sqlite:///{db_path}"),
        out,
        encryption=Encryption(recipients=(str(identity.to_public()),)),
    )
    data = out.read_bytes()
    (tmp_path / "cut.zip.age").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    (tmp_path / "flipped.zip.age").write_bytes(bytes(flipped))
    opens = Decryption(identities=(str(identity),), identity_file="key.txt")
    before = _sha(db_path)
    for name in ("cut.zip.age", "flipped.zip.age"):
        with pytest.raises(BackupRefused) as refused:
            restore_backup(f"sqlite:///{db_path}", tmp_path / name, opens)
        assert str(refused.value) == (
            f"{name} cannot be restored: it is an encrypted file that is damaged or truncated. "
            "The current records were not changed."
        )
    assert _sha(db_path) == before
    with pytest.raises(BackupLocked) as locked:
        restore_backup(f"sqlite:///{db_path}", out)
    assert locked.value.passphrase is False
    manifest = open_manifest(out, opens, tmp_path)
    assert manifest["counts"] == {"patients": 4, "sessions": 3}
    assert _leftovers(tmp_path) == []


def test_the_daily_backup_is_encrypted_to_the_clinics_key(db: Database) -> None:
    identity = pyrage.x25519.Identity.generate()
    folder = config.paths().backups
    plain = auto_backup(db, keep=3, today=date(2026, 1, 1))
    assert plain is not None and plain.name.endswith(".zip")  # no key set yet: a plain zip
    with pytest.raises(KeyProblem):
        encryption.set_clinic_recipients(db, ["age1wrong"], "admin")
    assert encryption.clinic_recipients(db) == ()
    encryption.set_clinic_recipients(db, [str(identity.to_public())], "admin")
    made = [auto_backup(db, keep=3, today=date(2026, 1, d)) for d in (2, 3, 4)]
    assert all(m is not None and m.name.endswith(".zip.age") for m in made)
    names = sorted(p.name for p in folder.iterdir())
    assert [n[15:23] for n in names] == ["20260102", "20260103", "20260104"]  # plain one pruned
    last = made[-1]
    assert last is not None and encryption.is_encrypted(last)
    opens = Decryption(identities=(str(identity),))
    assert open_manifest(last, opens, folder)["counts"]["patients"] == 0
    # The daily backups are never overwritten by a backup's --out.
    db.dispose()
    done = run_cli("--db", str(db.sqlite_path), "backup", "--no-encrypt", "--out", str(last))
    assert done.returncode == 2 and "one of the automatic daily backups" in done.stderr


def test_the_clinic_key_is_used_by_the_command_line_too(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    identity = pyrage.x25519.Identity.generate()
    encryption.set_clinic_recipients(db, [str(identity.to_public())], "admin")
    _filled(db)
    out = tmp_path / "b.zip.age"
    done = run_cli("--db", str(db_path), "backup", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert not encryption.needs_passphrase(out)
    assert pyrage.decrypt(out.read_bytes(), [identity])[:2] == b"PK"


def test_a_stopped_encrypted_backup_leaves_no_file(db: Database, tmp_path: Path) -> None:
    from needlelog.services import demo

    demo.fill(db, 30, seed=4)
    calls: list[int] = []

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if done == total:
            raise Stop()  # the last moment before the file is put in place

    out = tmp_path / "stopped.zip.age"
    public = str(pyrage.x25519.Identity.generate().to_public())
    with pytest.raises(Stop):
        make_backup(db, out, progress, encryption=Encryption(recipients=(public,)))
    assert calls == [1, 2, 3, 4]
    assert not out.exists() and _leftovers(tmp_path) == []
    assert [p for p in db.sqlite_path.parent.iterdir() if p.name.startswith(".")] == []  # type: ignore[union-attr]
    assert backup.ENCRYPTED_SUFFIX == ".zip.age"


def test_strength_hints() -> None:
    assert encryption.strength("short")[0] == "weak"
    assert encryption.strength("Clinic2026!x")[0] == "fair"
    assert encryption.strength(PASSPHRASE)[0] == "strong"
    assert encryption.passphrase_problem(" padded ") == (
        "the backup passphrase starts or ends with a space"
    )


def test_a_passphrase_backup_too_large_for_the_memory_is_refused_first(
    db: Database,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _filled(db)
    monkeypatch.setattr(encryption, "_available_memory", lambda: 512 << 20)
    monkeypatch.setattr(encryption, "MEMORY_CHECK_FROM", 0)  # as if the zip were large
    monkeypatch.setenv("NEEDLELOG_BACKUP_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "b.zip.age"
    code = cli.main(["--db", str(db_path), "backup", "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"needlelog backup: error: {out} was not written: encrypting ")
    assert err.endswith(
        "MB are free; use the clinic's backup key (a public key), which needs almost none\n"
    )
    assert err.count("\n") == 1
    assert not out.exists() and _leftovers(db_path.parent) == []
    public = str(pyrage.x25519.Identity.generate().to_public())
    assert cli.main(["--db", str(db_path), "backup", "--recipient", public, "--out", str(out)]) == 0


def test_cancel_during_the_encryption_stops_it_as_itself(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from needlelog.services import demo

    demo.fill(db, 30, seed=4)
    monkeypatch.setattr(encryption, "CHECK_EVERY", 1)  # a check between every piece read

    class Cancelled(Exception):
        pass

    checks: list[int] = []

    def check() -> None:
        checks.append(1)
        if len(checks) > 3:  # the copy's own checks have passed: now inside the encryption
            raise Cancelled()

    out = tmp_path / "b.zip.age"
    public = str(pyrage.x25519.Identity.generate().to_public())
    with pytest.raises(Cancelled):
        make_backup(db, out, check=check, encryption=Encryption(recipients=(public,)))
    assert not out.exists() and _leftovers(tmp_path) == []


def test_a_busy_computer_is_not_called_a_damaged_file() -> None:
    """age refuses a passphrase whose scrypt would take far longer than here and now."""
    refused = encryption._decrypt_error(
        "Excessive work parameter for passphrase.\nDecryption would take around 4 seconds.",
        "the passphrase is wrong",
    )
    assert isinstance(refused, encryption.WrongKey)
    assert "damaged" not in str(refused) and "less busy" in str(refused)
    assert isinstance(encryption._decrypt_error("Header is invalid", "x"), encryption.NotAgeFile)
