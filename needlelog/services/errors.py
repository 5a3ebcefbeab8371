"""Errors of the use cases that are not rule violations."""

from __future__ import annotations

from needlelog.domain.errors import InvalidRecord, Violation


class NotFound(LookupError):
    """The record asked for does not exist."""


class StaleRecord(RuntimeError):
    """Someone else saved the record after it was opened; nothing was overwritten."""


class UsageError(Exception):
    """Bad usage or invalid input of a command (a file that cannot be used, a format not
    known): the command line exits 2 with this one-line message. Raised by the exchange
    commands too, which sit below the command line."""


class Refused(RuntimeError):
    """The action is not allowed on this record as it stands (a signed session changed,
    a signature by a role that may not sign, an erasure inside the retention period);
    nothing changed. The message says what to do instead."""


class ConsentRequired(InvalidRecord):
    """A new session without a treatment consent valid for its date, and no written
    reason to go ahead without it; nothing was written. The one violation (field
    ``consent_override_reason``) carries the sentence the form shows."""

    def __init__(self, sentence: str) -> None:
        super().__init__(
            [
                Violation(
                    "consent_override_reason",
                    "",
                    "a signed treatment consent valid on the session's date, or a written reason",
                    sentence,
                )
            ]
        )
        self.sentence = sentence


class InvalidConsent(InvalidRecord):
    """A consent or template that cannot be stored as given (an empty signature, a photo
    use not answered, a text that changed under the patient); nothing was written."""

    def __init__(self, field: str, sentence: str, value: object = "") -> None:
        super().__init__([Violation(field, value, "", sentence)])
        self.sentence = sentence
