"""The audit trail's hash chain and what an event may hold, in plain rules.

Each event stores the hash of the event before it and a hash of its own content
together with that previous hash, so changing, removing or inserting an event
outside the app breaks the chain from that event on.

Identifying content of a patient (names, date of birth, contact details, notes)
never enters an event: the event says the field was set or changed, not to what.
The record holds the values; forgetting a patient (anonymisation) therefore never
needs to change the trail, and the chain keeps verifying afterwards.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64

IDENTIFYING = frozenset({"family_name", "given_name", "date_of_birth", "phone", "email", "notes"})
NOT_KEPT = "(identifying: not kept in the trail)"


# A photo's original file name is often the patient's name ("jane_doe_front.jpg").
_IDENTIFYING_OF = {"patient": IDENTIFYING, "photo": frozenset({"original_name"})}


def without_identifying(entity: str, changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` of a patient or photo event with identifying values replaced by a
    marker (that the field was set or changed stays visible)."""
    fields = _IDENTIFYING_OF.get(entity)
    if fields is None or fields.isdisjoint(changes):
        return changes
    out = dict(changes)
    for name in fields.intersection(out):
        value = out[name]
        if isinstance(value, list | tuple) and len(value) == 2:
            old, new = value
            out[name] = [None if old is None else NOT_KEPT, None if new is None else NOT_KEPT]
        else:
            out[name] = NOT_KEPT
    return out


def event_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    entity: str,
    entity_id: int,
    action: str,
    changes: str,
    patient_id: int | None,
) -> str:
    """SHA-256 of an event's content and the previous event's hash."""
    content = json.dumps(
        [
            prev_hash,
            at.replace(tzinfo=None).isoformat(timespec="microseconds"),
            actor,
            entity,
            entity_id,
            action,
            changes,
            patient_id,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
