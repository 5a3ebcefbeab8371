"""Who is working in this process, and the one check each guarded service makes.

One account works in a process at a time (the window's signed-in person, or the
command line's ``--user``). ``require`` refuses, with one sentence, a call the
account's role may not make; a database without accounts has nobody signed in
and refuses nothing, so it works exactly as it always did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

from sqlalchemy import select

from needlelog import config
from needlelog.domain.accounts import AccessRefused, Account, Permission, Role, refusal
from needlelog.domain.accounts import may as may_role
from needlelog.domain.records import PatientData, SessionData
from needlelog.store.database import Database
from needlelog.store.tables import accounts as _accounts

# A database seen without accounts is asked again after this long (another PC may
# have added the first one); once it has accounts it always has (never deleted).
NO_ACCOUNTS_RECHECK_S = 2.0


@dataclass
class _State:
    account: Account | None = None


_state = _State()
# True: the database has accounts; a float: when it was last seen without any.
_known: WeakKeyDictionary[Database, bool | float] = WeakKeyDictionary()


def current() -> Account | None:
    """The account working in this process, or None."""
    return _state.account


def set_current(account: Account | None) -> None:
    _state.account = account
    config.set_signed_in(None if account is None else account.name)


def sign_out() -> None:
    set_current(None)


def has_accounts(db: Database) -> bool:
    """True once the database has any account (then every guarded call needs one)."""
    seen = _known.get(db)
    if seen is True:
        return True
    now = time.monotonic()
    if seen is not None and now - seen < NO_ACCOUNTS_RECHECK_S:
        return False
    with db.transaction() as conn:
        found = conn.execute(select(_accounts.c.id).limit(1)).first() is not None
    _known[db] = True if found else now
    return found


def knows_accounts(db: Database) -> None:
    """Called when an account was added or signed in: no need to ask again."""
    _known[db] = True


def require(db: Database, permission: Permission) -> None:
    """Refuse (``AccessRefused``, one sentence) unless the account working now may do
    ``permission``; a database without accounts allows everything."""
    account = _state.account
    if account is not None:
        if not account.may(permission):
            raise AccessRefused(refusal(account, permission))
        return
    if has_accounts(db):
        raise AccessRefused(refusal(None, permission))


def may(db: Database, permission: Permission) -> bool:
    """``require`` as a question, for what the window shows or hides."""
    try:
        require(db, permission)
    except AccessRefused:
        return False
    return True


def as_recorded_by_current(data: SessionData) -> SessionData:
    """With someone signed in, a new session's practitioner is that account's display
    name, whatever the request carried (never carried over from the last save)."""
    account = _state.account
    if account is None or data.practitioner == account.display_name:
        return data
    return replace(data, practitioner=account.display_name)


def _clinical(data: PatientData | None) -> tuple[object, ...]:
    if data is None:
        return (None, (), "")
    return (data.fitzpatrick, tuple(data.contraindications), data.notes.strip())


def require_clinical_unchanged(
    db: Database, before: Callable[[], PatientData | None], after: PatientData
) -> None:
    """A role that may not record clinical details (reception, administrator) may still
    register a patient and change contact details, but not the Fitzpatrick type,
    contraindications or notes; ``before`` is read only for such a role."""
    account = _state.account
    if account is None:
        if has_accounts(db):
            raise AccessRefused(refusal(None, Permission.CONTACT_WRITE))
        return
    require(db, Permission.CONTACT_WRITE)
    if account.may(Permission.CLINICAL_WRITE):
        return
    if _clinical(before()) != _clinical(after):
        raise AccessRefused(
            f"{account.name} ({account.role.value}) may not change the Fitzpatrick type, "
            "contraindications or notes; allowed for: "
            + ", ".join(r.value for r in Role if may_role(r, Permission.CLINICAL_WRITE))
        )
