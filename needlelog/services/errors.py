"""Errors of the use cases that are not rule violations."""

from __future__ import annotations


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
