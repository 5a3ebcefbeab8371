"""Who signs or writes an addendum from the window: the signed-in account (id, display
name, role); on a database without accounts, the session's practitioner as a
practitioner (the person working alone is the one who signs)."""

from __future__ import annotations

from needlelog import config
from needlelog.domain.records import TreatmentSession
from needlelog.domain.signing import PRACTITIONER, Signer


def current_signer(session: TreatmentSession | None = None) -> Signer:
    try:  # the accounts of the clinic, where this version has them
        from needlelog.services import access  # type: ignore[attr-defined]

        account = access.current()
    except (ImportError, AttributeError):
        account = None
    if account is not None:
        name = getattr(account, "display_name", "") or account.name
        return Signer(name, str(getattr(account.role, "value", account.role)), account.id)
    name = session.data.practitioner.strip() if session is not None else ""
    return Signer(name or config.current_user(), PRACTITIONER)
