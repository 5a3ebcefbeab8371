"""The command line with accounts: ``--user`` and its password, ``users add|list|disable``,
each refusal one line and exit 2, and nothing asked of a database without accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from needlelog import cli
from needlelog.services import demo
from needlelog.store.migrate import open_database
from needlelog.store.models import AuditEventRow
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.cli_runner import run_cli


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A demo clinic with one account of each role; the password not yet in the environment."""
    monkeypatch.delenv("NEEDLELOG_PASSWORD", raising=False)
    monkeypatch.delenv("NEEDLELOG_NEW_PASSWORD", raising=False)
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    db = open_database(url)
    try:
        demo.fill(db, 3, 1)
        add_clinic_accounts(db)
    finally:
        db.dispose()
    return url


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, list[str]]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def _record_no(url: str) -> str:
    from needlelog.store.models import PatientRow

    db = open_database(url)
    try:
        with db.read() as s:
            found = s.scalar(select(PatientRow.record_no).order_by(PatientRow.id).limit(1))
    finally:
        db.dispose()
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "this database has accounts: give --user NAME"),
        (["check", "--user", "amelia"], "the password of amelia is needed"),
        (["backup", "--out", "x.zip"], "this database has accounts: give --user NAME"),
        (["restore", "x.zip"], "this database has accounts: give --user NAME"),
        (["export", "--format", "csv", "--out", "out"], "give --user NAME"),
        (["users", "list"], "give --user NAME"),
    ],
)
def test_a_database_with_accounts_asks_who_works(
    clinic: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capsys, "--db", clinic, *args)
    assert code == 2 and out == ""
    assert len(err) == 1 and message in err[0], err


def test_report_needs_a_clinical_role(
    clinic: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record_no = _record_no(clinic)
    pdf = tmp_path / "report.pdf"
    monkeypatch.setenv("NEEDLELOG_PASSWORD", PASSWORD)
    code, _, err = _run(
        capsys, "--db", clinic, "report", record_no, "--out", str(pdf), "--user", "rita"
    )
    assert code == 2 and not pdf.exists()
    assert err == [
        "needlelog report: error: rita (reception) may not see clinical details (sessions, "
        "screening, reports); allowed for: practitioner, assistant, administrator"
    ]
    code, _, err = _run(
        capsys, "--db", clinic, "--user", "amelia", "report", record_no, "--out", str(pdf)
    )
    assert code == 0, err
    assert pdf.stat().st_size > 1000


def test_wrong_password_and_disabled_account_exit_2(
    clinic: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEEDLELOG_PASSWORD", "not the password")
    code, _, err = _run(capsys, "--db", clinic, "check", "--user", "amelia")
    assert (code, err) == (2, ["needlelog check: error: wrong account name or password"])
    monkeypatch.setenv("NEEDLELOG_PASSWORD", PASSWORD)
    code, out, err = _run(capsys, "--db", clinic, "users", "disable", "sam", "--user", "ada")
    assert code == 0 and "Disabled sam" in out
    code, _, err = _run(capsys, "--db", clinic, "check", "--user", "sam")
    assert code == 2 and err == [
        "needlelog check: error: the account sam is disabled: ask an administrator for an account"
    ]


def test_the_password_prompt_is_used_only_in_a_terminal(
    clinic: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def getpass(prompt: str) -> str:
        asked.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", getpass)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    code, out, err = _run(capsys, "--db", clinic, "check", "--user", "amelia")
    assert code == 0 and out.startswith("OK:"), err
    assert asked == ["Password for amelia: "]


def test_users_commands_are_for_administrators(
    clinic: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEEDLELOG_PASSWORD", PASSWORD)
    code, _, err = _run(capsys, "--db", clinic, "users", "list", "--user", "amelia")
    assert code == 2 and "amelia (practitioner) may not manage accounts" in err[0]
    code, out, _ = _run(capsys, "--db", clinic, "users", "list", "--user", "ada")
    assert code == 0
    assert out.splitlines() == [
        "ada     administrator  Ada Admin",
        "amelia  practitioner   Dr. Amelia Hart",
        "rita    reception      Rita Desk",
        "sam     assistant      Sam Assist",
    ]
    # The new account's password: NEEDLELOG_NEW_PASSWORD (NEEDLELOG_PASSWORD is ada's).
    code, _, err = _run(
        capsys, "--db", clinic, "users", "add", "zoe", "--role", "assistant", "--user", "ada"
    )
    assert code == 2 and "set NEEDLELOG_NEW_PASSWORD" in err[0]
    monkeypatch.setenv("NEEDLELOG_NEW_PASSWORD", "zoe's own pass")
    code, out, _ = _run(
        capsys, "--db", clinic, "users", "add", "zoe", "--role", "assistant", "--user", "ada"
    )
    assert code == 0 and "Added zoe (assistant)" in out
    code, _, err = _run(capsys, "--db", clinic, "users", "disable", "nobody", "--user", "ada")
    assert (code, err) == (2, ["needlelog users: error: no account named 'nobody'"])
    db = open_database(clinic)
    try:
        with db.read() as s:
            actors = set(
                s.scalars(select(AuditEventRow.actor).where(AuditEventRow.entity == "account"))
            )
    finally:
        db.dispose()
    assert "ada" in actors


def test_the_first_account_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEEDLELOG_NEW_PASSWORD", raising=False)
    monkeypatch.delenv("NEEDLELOG_PASSWORD", raising=False)
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    code, _, err = _run(capsys, "--db", url, "users", "list")
    assert code == 2 and "no needlelog database at" in err[0], err
    open_database(url).dispose()
    code, out, _ = _run(capsys, "--db", url, "users", "list")
    assert code == 0 and "No accounts" in out
    code, _, err = _run(capsys, "--db", url, "users", "add", "amelia", "--role", "practitioner")
    assert code == 2 and "the first account must be an administrator" in err[0]
    code, _, err = _run(capsys, "--db", url, "users", "add", "ada", "--role", "administrator")
    assert code == 2 and "a password for ada is needed" in err[0]
    monkeypatch.setenv("NEEDLELOG_PASSWORD", "short")
    code, _, err = _run(capsys, "--db", url, "users", "add", "ada", "--role", "administrator")
    assert code == 2 and "the password is too short" in err[0]
    monkeypatch.setenv("NEEDLELOG_PASSWORD", PASSWORD)
    code, out, _ = _run(capsys, "--db", url, "users", "add", "ada", "--role", "administrator")
    assert code == 0 and "Added ada (administrator)" in out
    code, _, err = _run(capsys, "--db", url, "check")
    assert code == 2 and "give --user NAME" in err[0]


def test_a_database_without_accounts_asks_nothing(tmp_path: Path) -> None:
    """In a child process with no password anywhere, as a clinic's script runs it."""
    url = f"sqlite:///{tmp_path / 'plain.sqlite3'}"
    made = run_cli("--db", url, "demo", "--patients", "2", env={"NEEDLELOG_PASSWORD": ""})
    assert made.returncode == 0, made.stderr
    checked = run_cli("--db", url, "check")
    assert checked.returncode == 0 and checked.stderr == ""


def test_restore_is_for_an_administrator_of_the_database(
    clinic: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEEDLELOG_PASSWORD", PASSWORD)
    backup = tmp_path / "b.zip"
    code, _, err = _run(
        capsys, "--db", clinic, "backup", "--out", str(backup), "--no-encrypt", "--user", "rita"
    )
    assert code == 2 and "rita (reception) may not back up the records" in err[0]
    code, _, err = _run(
        capsys, "--db", clinic, "backup", "--out", str(backup), "--no-encrypt", "--user", "amelia"
    )
    assert code == 0, err
    code, _, err = _run(capsys, "--db", clinic, "restore", str(backup), "--user", "amelia")
    assert code == 2 and "amelia (practitioner) may not restore a backup" in err[0]
    code, out, err = _run(capsys, "--db", clinic, "restore", str(backup), "--user", "ada")
    assert code == 0 and out.startswith("Restored"), err
