"""Accounts: add, list, disable, sign in, change and reset passwords, and the one
check every guarded service makes before it reads or writes.

One account works in a process at a time (the window's signed-in user, or the
command line's ``--user``): ``sign_in`` makes it the one, ``current()`` answers
it, and ``require`` refuses a call the account's role may not make. A database
without accounts has nobody signed in and refuses nothing: it works as it always
did. Passwords are kept only as Argon2id hashes (argon2-cffi).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from needlelog import config
from needlelog.domain.accounts import (
    FIRST_ROLE,
    IDLE_LOCK_DEFAULT,
    IDLE_LOCK_RANGE,
    AccessRefused,
    Account,
    Permission,
    Role,
    SignInRefused,
    check_name,
    check_password,
    refusal,
    wait_after,
    waiting,
)
from needlelog.domain.errors import Violation, raise_if_any
from needlelog.services import audit, clock, settings
from needlelog.services.access import (  # may and sign_out: answered here too
    current,
    has_accounts,
    knows_accounts,
    may,  # noqa: F401
    require,
    set_current,
    sign_out,  # noqa: F401
)
from needlelog.services.errors import NotFound
from needlelog.store.database import Database
from needlelog.store.models import AccountRow

WITHOUT_ACCOUNTS = "work_without_accounts"
IDLE_LOCK = "idle_lock_minutes"

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name takes as long as a
    wrong password and the answer does not tell which names exist (made on first
    need: a hash takes a noticeable moment, never spent at import)."""
    return _hasher.hash("not a password of anyone")


def _account(row: AccountRow) -> Account:
    return Account(row.id, row.name, row.display_name, Role(row.role), row.disabled)


def _row(s: Session, name: str) -> AccountRow:
    row = s.scalar(select(AccountRow).where(AccountRow.name == name))
    if row is None:
        raise NotFound(f"no account named {name[:40]!r}")
    return row


def _password_rule(password: str, field: str = "password") -> None:
    problem = check_password(password)
    raise_if_any([Violation(field, "", "a password", problem)] if problem else [])


def add(db: Database, name: str, role: Role, password: str, display_name: str = "") -> Account:
    """A new account. The first one is added without anyone signed in and must be an
    administrator (it adds the others); after that only an administrator adds one."""
    name = name.strip()
    display = display_name.strip() or name
    problems = []
    if (why := check_name(name)) is not None:
        problems.append(Violation("name", name, "an account name", why))
    if (why := check_password(password)) is not None:
        problems.append(Violation("password", "", "a password", why))
    if len(display) > 200:
        problems.append(
            Violation("display_name", display, "200 characters", "the display name is too long")
        )
    raise_if_any(problems)
    if has_accounts(db):
        require(db, Permission.MANAGE_ACCOUNTS)
    elif role is not FIRST_ROLE:
        raise_if_any(
            [
                Violation(
                    "role",
                    role.value,
                    FIRST_ROLE.value,
                    f"the first account must be an {FIRST_ROLE.value}: it is the one that "
                    "adds the others",
                )
            ]
        )
    hashed = _hasher.hash(password)
    now = clock.utc_now()
    with db.write() as s:
        if s.scalar(select(AccountRow.id).where(AccountRow.name == name)) is not None:
            raise_if_any(
                [Violation("name", name, "a new name", f"an account named {name} already exists")]
            )
        first = s.scalar(select(func.count()).select_from(AccountRow)) == 0
        if first and role is not FIRST_ROLE:  # another PC added one meanwhile: re-checked here
            raise AccessRefused(refusal(None, Permission.MANAGE_ACCOUNTS))
        row = AccountRow(
            name=name,
            display_name=display,
            role=role.value,
            password_hash=hashed,
            disabled=False,
            created_at=now,
            updated_at=now,
            failed_attempts=0,
            locked_until=None,
        )
        s.add(row)
        s.flush()
        audit.append(
            s,
            config.current_user(),
            "account",
            row.id,
            "create",
            {"name": [None, name], "display_name": [None, display], "role": [None, role.value]},
        )
        if first:  # accounts now exist: working without them ends here
            settings.put_in(s, WITHOUT_ACCOUNTS, False, config.current_user())
        account = _account(row)
    knows_accounts(db)
    return account


def all_accounts(db: Database) -> list[Account]:
    """Every account, disabled ones too, by name (administrators only)."""
    if has_accounts(db):
        require(db, Permission.MANAGE_ACCOUNTS)
    with db.read() as s:
        return [_account(r) for r in s.scalars(select(AccountRow).order_by(AccountRow.name))]


def signed_in_names(db: Database) -> list[tuple[str, str]]:
    """(name, display name) of every enabled account: the sign-in dialog's list."""
    with db.read() as s:
        rows = s.execute(
            select(AccountRow.name, AccountRow.display_name)
            .where(AccountRow.disabled.is_(False))
            .order_by(AccountRow.display_name, AccountRow.name)
        )
        return [(r.name, r.display_name) for r in rows]


def disable(db: Database, name: str) -> Account:
    """Disable an account (administrators only). It stays, so its name in the audit
    trail still means that person; the last enabled administrator cannot go."""
    require(db, Permission.MANAGE_ACCOUNTS)
    with db.write() as s:
        row = _row(s, name)
        if row.disabled:
            return _account(row)
        if row.role == Role.ADMINISTRATOR.value:
            admins = s.scalar(
                select(func.count())
                .select_from(AccountRow)
                .where(
                    AccountRow.role == Role.ADMINISTRATOR.value,
                    AccountRow.disabled.is_(False),
                )
            )
            if admins == 1:
                raise_if_any(
                    [
                        Violation(
                            "name",
                            name,
                            "another account",
                            f"{name} is the last administrator: add another one first",
                        )
                    ]
                )
        row.disabled = True
        row.updated_at = clock.utc_now()
        audit.append(
            s, config.current_user(), "account", row.id, "disable", {"disabled": [False, True]}
        )
        account = _account(row)
    current_account = current()
    if current_account is not None and current_account.id == account.id:
        set_current(account)  # disabled: refused from now on
    return account


def _verify(row: AccountRow | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(row.password_hash if row else _dummy_hash(), password)
            and row is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, name: str, password: str, now: datetime | None = None) -> Account:
    """The account whose name and password these are (``SignInRefused`` otherwise).

    Wrong passwords in a row are counted in the database; from the third on the
    account waits 2**n seconds before it may try again, so restarting the app or the
    command does not reset the wait."""
    now = now or clock.utc_now()
    name = name.strip()
    with db.read() as s:
        row = s.scalar(select(AccountRow).where(AccountRow.name == name))
    if row is not None and (left := waiting(row.locked_until, now)):
        raise SignInRefused(f"too many wrong passwords for {name}: try again in {left} second(s)")
    if not _verify(row, password):
        if row is not None:
            with db.write() as s:
                stored = _row(s, name)
                stored.failed_attempts += 1
                wait = wait_after(stored.failed_attempts)
                stored.locked_until = now + wait if wait else None
        raise SignInRefused("wrong account name or password")
    assert row is not None
    if row.disabled:
        raise SignInRefused(f"the account {name} is disabled: ask an administrator for an account")
    if row.failed_attempts or row.locked_until or _hasher.check_needs_rehash(row.password_hash):
        with db.write() as s:
            stored = _row(s, name)
            stored.failed_attempts = 0
            stored.locked_until = None
            if _hasher.check_needs_rehash(stored.password_hash):
                stored.password_hash = _hasher.hash(password)
    return _account(row)


def sign_in(db: Database, name: str, password: str, now: datetime | None = None) -> Account:
    """Authenticate and make the account the one working in this process."""
    account = authenticate(db, name, password, now)
    set_current(account)
    knows_accounts(db)
    return account


def change_own_password(db: Database, old: str, new: str) -> None:
    """The signed-in account changes its own password (the old one is asked again)."""
    account = current()
    if account is None:
        raise AccessRefused("sign in first: only a signed-in account changes its password")
    _password_rule(new, "new_password")
    authenticate(db, account.name, old)
    hashed = _hasher.hash(new)
    with db.write() as s:
        row = _row(s, account.name)
        row.password_hash = hashed
        row.updated_at = clock.utc_now()
        audit.append(
            s,
            account.name,
            "account",
            row.id,
            "password",
            {"password": ["changed", "by the account"]},
        )


def reset_password(db: Database, name: str, new: str) -> None:
    """An administrator sets a new password for someone who forgot theirs (audited);
    the account's wait after wrong passwords ends with it."""
    require(db, Permission.MANAGE_ACCOUNTS)
    _password_rule(new)
    hashed = _hasher.hash(new)
    with db.write() as s:
        row = _row(s, name)
        row.password_hash = hashed
        row.failed_attempts = 0
        row.locked_until = None
        row.updated_at = clock.utc_now()
        audit.append(
            s,
            config.current_user(),
            "account",
            row.id,
            "password",
            {"password": ["reset", "by an administrator"]},
        )


def works_without_accounts(db: Database) -> bool:
    """True when the clinic chose at first run to work without accounts, and none exist."""
    return bool(settings.get_value(db, WITHOUT_ACCOUNTS, False)) and not has_accounts(db)


def choose_without_accounts(db: Database) -> None:
    """Work without accounts (a practitioner alone on their own computer)."""
    if has_accounts(db):
        raise AccessRefused("this database has accounts: everyone signs in")
    settings.set_value(db, WITHOUT_ACCOUNTS, True, config.current_user())


def idle_lock_minutes(db: Database) -> int:
    value = settings.get_value(db, IDLE_LOCK, IDLE_LOCK_DEFAULT)
    low, high = IDLE_LOCK_RANGE
    return value if isinstance(value, int) and low <= value <= high else IDLE_LOCK_DEFAULT


def set_idle_lock_minutes(db: Database, minutes: int) -> None:
    require(db, Permission.CLINIC_SETTINGS)
    low, high = IDLE_LOCK_RANGE
    if not low <= minutes <= high:
        raise_if_any(
            [
                Violation(
                    IDLE_LOCK,
                    minutes,
                    f"{low} to {high}",
                    f"the idle lock must be {low} to {high} minutes",
                )
            ]
        )
    settings.set_value(db, IDLE_LOCK, minutes, config.current_user())
