"""The command line's accounts: ``--user`` and its password, and ``users add|list|disable``.

A database without accounts needs neither: every command works as it always did.
Once it has accounts, each command that reads or writes records signs in first:
``--user NAME`` with the password from ``NEEDLELOG_PASSWORD`` or, in a terminal,
a prompt. A missing user, a wrong password, a disabled account or a role that may
not run the command is one line on stderr and exit 2 (the caller maps
``UsageError``, ``SignInRefused`` and ``AccessRefused`` to it).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from needlelog.domain.accounts import FIRST_ROLE, Permission, Role

if TYPE_CHECKING:
    from needlelog.store.database import Database

ENV_PASSWORD = "NEEDLELOG_PASSWORD"
ENV_NEW_PASSWORD = "NEEDLELOG_NEW_PASSWORD"

# What each command needs of the signed-in account.
NEEDS: dict[str, Permission] = {
    "demo": Permission.IMPORT,
    "report": Permission.CLINICAL_READ,
    "export": Permission.EXPORT,
    "import": Permission.IMPORT,
    "backup": Permission.BACKUP,
    "restore": Permission.RESTORE,
    "check": Permission.CHECK,
    "handout": Permission.CLINICAL_READ,
    "lots": Permission.CLINICAL_READ,
    "photos": Permission.CLINICAL_WRITE,
    "users": Permission.MANAGE_ACCOUNTS,
    "record-copy": Permission.EXPORT,
    "access-log": Permission.ACCESS_LOG,
    "anonymise": Permission.ERASE,
}


class Refused(Exception):
    """Bad usage of the accounts options: exit 2 with this one line."""


def _read(prompt: str, env: str, what: str) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise Refused(f"{what} is needed: type it at the prompt in a terminal, or set {env}")


def _new_password(name: str, first: bool) -> str:
    # The first account has nobody signing in, so NEEDLELOG_PASSWORD is free to carry
    # its password; after that it carries the administrator's, and the new one
    # comes from NEEDLELOG_NEW_PASSWORD.
    for env in (ENV_NEW_PASSWORD, ENV_PASSWORD) if first else (ENV_NEW_PASSWORD,):
        value = os.environ.get(env)
        if value is not None:
            return value
    if sys.stdin is not None and sys.stdin.isatty():
        once = getpass.getpass(f"New password for {name}: ")
        if getpass.getpass("The same again: ") != once:
            raise Refused("the two passwords differ; nothing was added")
        return once
    env = f"{ENV_PASSWORD} (or {ENV_NEW_PASSWORD})" if first else ENV_NEW_PASSWORD
    raise Refused(
        f"a password for {name} is needed: type it at the prompt in a terminal, or set {env}"
    )


def sign_in_for(db: Database, args: argparse.Namespace) -> None:
    """Sign in ``--user`` when the database has accounts, and refuse a role that may
    not run ``args.command``; a database without accounts asks nothing."""
    from needlelog.services import access

    if not access.has_accounts(db):
        return
    from needlelog.services import accounts  # Argon2 and the account writer: only now

    name = getattr(args, "user", None)
    if not name:
        raise Refused(
            f"this database has accounts: give --user NAME (the password from a prompt "
            f"or {ENV_PASSWORD})"
        )
    password = _read(f"Password for {name}: ", ENV_PASSWORD, f"the password of {name}")
    accounts.sign_in(db, name, password)
    accounts.require(db, NEEDS[args.command])


def add_users_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    users = command("users", "add, list or disable the accounts that sign in")
    actions = users.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    parent = users  # the subcommands share --db and --user with "users"

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_text, description=help_text)
        for option in parent._actions:
            if option.dest in ("db", "user"):
                p.add_argument(
                    *option.option_strings,
                    dest=option.dest,
                    metavar=option.metavar,
                    default=argparse.SUPPRESS,
                    help=option.help,
                )
        return p

    add = action(
        "add",
        "add an account; its password comes from a prompt, NEEDLELOG_NEW_PASSWORD, or "
        "for the first account NEEDLELOG_PASSWORD",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--display-name", default="", metavar="TEXT", help="as shown on sessions")
    action("list", "list the accounts")
    disable = action("disable", "disable an account (it stays in the records)")
    disable.add_argument("name", metavar="NAME")
    reset = action(
        "reset-password",
        "set a new password for an account (from a prompt or NEEDLELOG_NEW_PASSWORD)",
    )
    reset.add_argument("name", metavar="NAME")


def run_users(db: Database, args: argparse.Namespace) -> str:
    from needlelog.services import accounts
    from needlelog.services.errors import NotFound

    action = args.users_action
    first = not accounts.has_accounts(db)
    if action == "add":
        role = Role(args.role)
        if first and role is not FIRST_ROLE:
            raise Refused(
                f"the first account must be an {FIRST_ROLE.value}: it is the one that adds "
                f"the others (needlelog users add NAME --role {FIRST_ROLE.value})"
            )
        if not first:
            sign_in_for(db, args)
        password = _new_password(args.name, first)
        account = accounts.add(db, args.name, role, password, args.display_name)
        return f"Added {account.name} ({account.role.value}) to {db.display_name}."
    if first:
        if action == "list":
            return f"No accounts in {db.display_name}: everyone works without signing in."
        raise Refused(f"no account named {args.name[:40]!r}: {db.display_name} has no accounts")
    sign_in_for(db, args)
    try:
        if action == "list":
            rows = accounts.all_accounts(db)
            width = max(len(a.name) for a in rows)
            return "\n".join(
                f"{a.name:<{width}}  {a.role.value:<13}  {a.display_name}"
                + ("  (disabled)" if a.disabled else "")
                for a in rows
            )
        if action == "disable":
            account = accounts.disable(db, args.name)
            return f"Disabled {account.name}; their records and audit entries stay."
        password = _new_password(args.name, first=False)
        accounts.reset_password(db, args.name, password)
        return f"Set a new password for {args.name}."
    except NotFound as exc:
        raise Refused(str(exc)) from None
