"""Accounts as the services keep them: the first one, roles, sign-in, the wait after
wrong passwords (kept across restarts), own and reset passwords, all audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from needlelog import config
from needlelog.domain.accounts import AccessRefused, Permission, Role, SignInRefused, wait_after
from needlelog.domain.errors import InvalidRecord
from needlelog.services import accounts
from needlelog.store.database import Database
from needlelog.store.models import AccountRow, AuditEventRow
from tests.accounts.helpers import PASSWORD, add_clinic_accounts


def _events(db: Database, action: str) -> list[AuditEventRow]:
    with db.read() as s:
        return list(
            s.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.entity == "account", AuditEventRow.action == action)
                .order_by(AuditEventRow.id)
            )
        )


def test_a_database_without_accounts_refuses_nothing(db: Database) -> None:
    assert not accounts.has_accounts(db)
    for permission in Permission:
        accounts.require(db, permission)
    assert config.current_user() != ""


def test_the_first_account_must_be_an_administrator(db: Database) -> None:
    with pytest.raises(InvalidRecord, match="the first account must be an administrator"):
        accounts.add(db, "amelia", Role.PRACTITIONER, PASSWORD)
    assert not accounts.has_accounts(db)
    first = accounts.add(db, "ada", Role.ADMINISTRATOR, PASSWORD, "Ada Admin")
    assert (first.name, first.display_name, first.role) == ("ada", "Ada Admin", Role.ADMINISTRATOR)
    with db.read() as s:
        stored = s.scalar(select(AccountRow.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_after_the_first_only_an_administrator_adds_accounts(db: Database) -> None:
    add_clinic_accounts(db)
    with pytest.raises(AccessRefused, match="sign in first"):
        accounts.add(db, "zed", Role.ASSISTANT, PASSWORD)
    accounts.sign_in(db, "amelia", PASSWORD)
    with pytest.raises(AccessRefused, match=r"amelia \(practitioner\) may not manage accounts"):
        accounts.add(db, "zed", Role.ASSISTANT, PASSWORD)
    accounts.sign_in(db, "ada", PASSWORD)
    accounts.add(db, "zed", Role.ASSISTANT, PASSWORD)
    assert [a.name for a in accounts.all_accounts(db)] == ["ada", "amelia", "rita", "sam", "zed"]


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("Ada Smith", PASSWORD, "account name 'Ada Smith' is not allowed"),
        ("ada", "short", "the password is too short"),
        ("ada", " padded password ", "must not start or end with a space"),
    ],
)
def test_a_bad_name_or_password_is_refused_and_nothing_is_added(
    db: Database, name: str, password: str, message: str
) -> None:
    with pytest.raises(InvalidRecord, match=message):
        accounts.add(db, name, Role.ADMINISTRATOR, password)
    assert not accounts.has_accounts(db)


def test_a_name_is_taken_once(db: Database) -> None:
    add_clinic_accounts(db)
    accounts.sign_in(db, "ada", PASSWORD)
    with pytest.raises(InvalidRecord, match="an account named sam already exists"):
        accounts.add(db, "sam", Role.RECEPTION, PASSWORD)


def test_sign_in_names_the_account_in_the_audit_trail(db: Database) -> None:
    add_clinic_accounts(db)
    with pytest.raises(SignInRefused, match="wrong account name or password"):
        accounts.sign_in(db, "nobody", PASSWORD)
    accounts.sign_in(db, "ada", PASSWORD)
    assert config.current_user() == "ada"
    accounts.reset_password(db, "sam", "a brand new one")
    (reset,) = _events(db, "password")
    assert reset.actor == "ada"
    assert "a brand new one" not in reset.changes and "argon2" not in reset.changes
    creates = _events(db, "create")
    assert [json.loads(e.changes)["name"][1] for e in creates] == ["ada", "amelia", "sam", "rita"]
    assert {e.actor for e in creates[1:]} == {"ada"}


def test_wrong_passwords_make_the_account_wait_longer_each_time(db: Database) -> None:
    add_clinic_accounts(db)
    now = datetime(2026, 12, 1, 9, 0)
    for _ in range(3):
        with pytest.raises(SignInRefused, match="wrong account name or password"):
            accounts.sign_in(db, "sam", "not it at all", now=now)
    # The third wrong password: 8 seconds; even the right one waits.
    with pytest.raises(
        SignInRefused, match=r"too many wrong passwords for sam: try again in 8 second"
    ):
        accounts.sign_in(db, "sam", PASSWORD, now=now)
    later = now + timedelta(seconds=9)
    with pytest.raises(SignInRefused, match="wrong account name or password"):
        accounts.sign_in(db, "sam", "still not it", now=later)
    with pytest.raises(SignInRefused, match="try again in 16 second"):
        accounts.sign_in(db, "sam", PASSWORD, now=later)
    assert wait_after(2) == timedelta(0) and wait_after(4) == timedelta(seconds=16)
    assert wait_after(30) == timedelta(minutes=15)


def test_the_wait_survives_a_restart(db: Database) -> None:
    add_clinic_accounts(db)
    now = datetime(2026, 12, 1, 9, 0)
    for _ in range(3):
        with pytest.raises(SignInRefused):
            accounts.sign_in(db, "sam", "wrong", now=now)
    reopened = Database(db.url)
    try:
        with pytest.raises(SignInRefused, match="try again in 7 second"):
            accounts.sign_in(reopened, "sam", PASSWORD, now=now + timedelta(seconds=1))
        account = accounts.sign_in(reopened, "sam", PASSWORD, now=now + timedelta(seconds=9))
        assert account.name == "sam"
        with reopened.read() as s:
            row = s.scalar(select(AccountRow).where(AccountRow.name == "sam"))
            assert row is not None and (row.failed_attempts, row.locked_until) == (0, None)
    finally:
        reopened.dispose()


def test_a_disabled_account_cannot_sign_in_and_the_last_administrator_stays(db: Database) -> None:
    add_clinic_accounts(db)
    accounts.sign_in(db, "ada", PASSWORD)
    with pytest.raises(InvalidRecord, match="ada is the last administrator"):
        accounts.disable(db, "ada")
    accounts.disable(db, "sam")
    with pytest.raises(SignInRefused, match="the account sam is disabled"):
        accounts.sign_in(db, "sam", PASSWORD)
    (event,) = _events(db, "disable")
    assert event.actor == "ada"
    assert "sam" not in [n for n, _ in accounts.signed_in_names(db)]


def test_own_password_change_asks_the_old_one(db: Database) -> None:
    add_clinic_accounts(db)
    accounts.sign_in(db, "sam", PASSWORD)
    with pytest.raises(SignInRefused):
        accounts.change_own_password(db, "not the old one", "new password 1")
    with pytest.raises(InvalidRecord, match="too short"):
        accounts.change_own_password(db, PASSWORD, "new")
    accounts.change_own_password(db, PASSWORD, "new password 1")
    accounts.sign_out()
    with pytest.raises(SignInRefused):
        accounts.sign_in(db, "sam", PASSWORD)
    assert accounts.sign_in(db, "sam", "new password 1").name == "sam"
    assert _events(db, "password")[-1].actor == "sam"


def test_reset_password_is_for_administrators_and_ends_the_wait(db: Database) -> None:
    add_clinic_accounts(db)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in(db, "sam", "wrong")
    accounts.sign_in(db, "amelia", PASSWORD)
    with pytest.raises(AccessRefused, match="may not manage accounts"):
        accounts.reset_password(db, "sam", "fresh password")
    accounts.sign_in(db, "ada", PASSWORD)
    accounts.reset_password(db, "sam", "fresh password")
    assert accounts.sign_in(db, "sam", "fresh password").role is Role.ASSISTANT


def test_working_without_accounts_ends_with_the_first_account(db: Database) -> None:
    accounts.choose_without_accounts(db)
    assert accounts.works_without_accounts(db)
    accounts.add(db, "ada", Role.ADMINISTRATOR, PASSWORD)
    assert not accounts.works_without_accounts(db)
    with pytest.raises(AccessRefused):
        accounts.choose_without_accounts(db)


def test_idle_lock_minutes_default_and_range(db: Database) -> None:
    assert accounts.idle_lock_minutes(db) == 5
    add_clinic_accounts(db)
    accounts.sign_in(db, "amelia", PASSWORD)
    with pytest.raises(AccessRefused, match="may not change the clinic settings"):
        accounts.set_idle_lock_minutes(db, 10)
    accounts.sign_in(db, "ada", PASSWORD)
    with pytest.raises(InvalidRecord, match="1 to 240 minutes"):
        accounts.set_idle_lock_minutes(db, 0)
    accounts.set_idle_lock_minutes(db, 10)
    assert accounts.idle_lock_minutes(db) == 10
