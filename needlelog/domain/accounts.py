"""Accounts and roles: who may do what, in plain rules.

An account has one role. The permission table below is the one answer to
"may this role do that"; the services enforce it on every call, and the
window and the command line only hide or refuse earlier what the services
would refuse anyway. Account names never change once created, so the name an
audit event carries (and the id a signature will carry) always means the same
person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    ASSISTANT = "assistant"
    ADMINISTRATOR = "administrator"
    RECEPTION = "reception"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Permission(StrEnum):
    PATIENT_LIST = "see the patient list, contact details and the due list"
    CONTACT_WRITE = "register patients and change their contact details"
    CLINICAL_READ = "see clinical details (sessions, screening, reports)"
    CLINICAL_WRITE = "record sessions and clinical details"
    SIGN_SESSION = "sign sessions"
    EXPORT = "export records"
    IMPORT = "import records"
    BACKUP = "back up the records"
    RESTORE = "restore a backup"
    ERASE = "erase or anonymise a patient"
    MANAGE_ACCOUNTS = "manage accounts"
    CLINIC_SETTINGS = "change the clinic settings"
    CHECK = "check the database"
    ACCESS_LOG = "see and export a patient's access log"


_EVERYONE = frozenset({Permission.PATIENT_LIST, Permission.CONTACT_WRITE, Permission.CHECK})

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Records and signs sessions; backs up and exports what they record.
    Role.PRACTITIONER: _EVERYONE
    | {
        Permission.CLINICAL_READ,
        Permission.CLINICAL_WRITE,
        Permission.SIGN_SESSION,
        Permission.EXPORT,
        Permission.IMPORT,
        Permission.BACKUP,
    },
    # Prepares drafts (screening, photos, products); never signs.
    Role.ASSISTANT: _EVERYONE | {Permission.CLINICAL_READ, Permission.CLINICAL_WRITE},
    # Runs the clinic's data: accounts, settings, backups, restore, erasure and the
    # patient's copy of their record; reads records but never records a session.
    Role.ADMINISTRATOR: _EVERYONE
    | {
        Permission.CLINICAL_READ,
        Permission.EXPORT,
        Permission.IMPORT,
        Permission.BACKUP,
        Permission.RESTORE,
        Permission.ERASE,
        Permission.MANAGE_ACCOUNTS,
        Permission.CLINIC_SETTINGS,
        Permission.ACCESS_LOG,
    },
    # Front desk: who the patients are, how to reach them and who is due. Nothing clinical.
    Role.RECEPTION: _EVERYONE,
}

# The first account is added without anyone signing in, so it must be able to add
# the others: an administrator.
FIRST_ROLE = Role.ADMINISTRATOR

MIN_PASSWORD = 8
MAX_PASSWORD = 200
NAME_RULE = re.compile(r"[a-z][a-z0-9._-]{1,31}")
# Wrong passwords in a row before the account waits; each further one doubles the wait.
FREE_ATTEMPTS = 3
LONGEST_WAIT = timedelta(minutes=15)
IDLE_LOCK_DEFAULT = 5
IDLE_LOCK_RANGE = (1, 240)


class AccessRefused(PermissionError):
    """The signed-in account (or nobody) may not do this; nothing was read or written."""


class SignInRefused(PermissionError):
    """Wrong name or password, a disabled account, or one waiting after failures."""


def may(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


@dataclass(frozen=True)
class Account:
    """An account as the services hand it out (never with its password hash)."""

    id: int
    name: str
    display_name: str
    role: Role
    disabled: bool = False

    def may(self, permission: Permission) -> bool:
        return not self.disabled and may(self.role, permission)


def refusal(account: Account | None, permission: Permission) -> str:
    """The sentence a user reads when ``account`` may not do ``permission``."""
    if account is None:
        return f"sign in first: this database has accounts, and only a signed-in account may {permission.value}"
    if account.disabled:
        return f"the account {account.name} is disabled"
    allowed = ", ".join(r.value for r in Role if may(r, permission))
    return (
        f"{account.name} ({account.role.value}) may not {permission.value}; allowed for: {allowed}"
    )


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be an account name, or None."""
    if not NAME_RULE.fullmatch(name):
        return (
            f"account name {name[:40]!r} is not allowed: 2 to 32 characters, lower-case "
            "letters, digits, '.', '_' or '-', starting with a letter"
        )
    return None


def check_password(password: str) -> str | None:
    """Why ``password`` cannot be a password, or None."""
    if len(password) < MIN_PASSWORD:
        return f"the password is too short: at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password is too long: at most {MAX_PASSWORD} characters"
    if password != password.strip():
        return "the password must not start or end with a space"
    return None


def wait_after(failures: int) -> timedelta:
    """How long an account waits after ``failures`` wrong passwords in a row:
    nothing for the first few, then 2**failures seconds, at most LONGEST_WAIT."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(timedelta(seconds=2**failures), LONGEST_WAIT)


def waiting(locked_until: datetime | None, now: datetime) -> int:
    """Whole seconds left before the account may try again (0: now)."""
    if locked_until is None or locked_until <= now:
        return 0
    return max(1, int((locked_until - now).total_seconds() + 0.999))
