"""Who signs or writes an addendum from the window: the signed-in account (id, display
name, role); on a database without accounts, the session's practitioner as a
practitioner (the person working alone is the one who signs)."""

from __future__ import annotations

from needlelog import config
from needlelog.domain.records import TreatmentSession
from needlelog.domain.signing import PRACTITIONER, Signer
from needlelog.services import access


def current_signer(session: TreatmentSession | None = None) -> Signer:
    account = access.current()
    if account is not None:
        return Signer(account.display_name or account.name, account.role.value, account.id)
    name = session.data.practitioner.strip() if session is not None else ""
    return Signer(name or config.current_user(), PRACTITIONER)
