"""What the consent windows say when the records refuse a consent action: the
refusal's own sentence for the failures a user can act on; None for a bug."""

from __future__ import annotations

from needlelog.domain.accounts import AccessRefused
from needlelog.domain.errors import InvalidRecord
from needlelog.services.errors import NotFound, Refused, StaleRecord, UsageError
from needlelog.store.errors import StoreError
from needlelog.ui.form_widgets import sentence


def refusal_words(exc: BaseException) -> str | None:
    """The sentence to show for a refusal a user can act on; None for anything else."""
    if isinstance(exc, InvalidRecord):
        return " ".join(sentence(v.message) for v in exc.violations)
    if isinstance(exc, StoreError):
        return sentence(str(exc)) + " Nothing you entered is lost: try again."
    # UsageError: a certificate that cannot sign (expired, damaged), and the like
    if isinstance(exc, AccessRefused | Refused | StaleRecord | NotFound | UsageError):
        return sentence(str(exc))
    return None
