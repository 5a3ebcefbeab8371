"""Errors of the use cases that are not rule violations."""

from __future__ import annotations


class NotFound(LookupError):
    """The record asked for does not exist."""


class StaleRecord(RuntimeError):
    """Someone else saved the record after it was opened; nothing was overwritten."""
