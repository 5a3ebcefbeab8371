"""A clinic with one account of each role, every password PASSWORD."""

from __future__ import annotations

from needlelog.domain.accounts import Role
from needlelog.services import accounts
from needlelog.store.database import Database

PASSWORD = "correct horse 42"
NAMES = {
    Role.ADMINISTRATOR: "ada",
    Role.PRACTITIONER: "amelia",
    Role.ASSISTANT: "sam",
    Role.RECEPTION: "rita",
}
DISPLAY = {
    "ada": "Ada Admin",
    "amelia": "Dr. Amelia Hart",
    "sam": "Sam Assist",
    "rita": "Rita Desk",
}


def add_clinic_accounts(db: Database) -> None:
    accounts.add(db, "ada", Role.ADMINISTRATOR, PASSWORD, DISPLAY["ada"])
    accounts.sign_in(db, "ada", PASSWORD)
    for role, name in NAMES.items():
        if role is not Role.ADMINISTRATOR:
            accounts.add(db, name, role, PASSWORD, DISPLAY[name])
    accounts.sign_out()
