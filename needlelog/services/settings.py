"""Clinic settings stored with the clinic's data: protocol, letterhead, aftercare."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from needlelog.domain.accounts import Permission
from needlelog.domain.consent import ConsentPolicy, consent_policy_violations
from needlelog.domain.document_text import (
    DEFAULT_AFTERCARE,
    DEFAULT_CLINIC_NAME,
    DEFAULT_CONFIDENTIALITY,
)
from needlelog.domain.errors import raise_if_any
from needlelog.domain.protocol import DEFAULT_PROTOCOL, Protocol, protocol_violations
from needlelog.services import access, audit
from needlelog.store.database import Database
from needlelog.store.models import SettingRow


@dataclass(frozen=True)
class ClinicInfo:
    """The letterhead of reports and handouts."""

    name: str = DEFAULT_CLINIC_NAME
    address: str = ""
    phone: str = ""
    email: str = ""
    logo_path: str = ""
    confidentiality: str = DEFAULT_CONFIDENTIALITY


# A Session or the Connection of a transaction: the protocol is read by every save and
# every opened record.
Executor = Session | Connection
_VALUE = select(SettingRow.value).where(SettingRow.key == bindparam("key"))


def _get(session: Session, key: str) -> Any | None:
    row = session.get(SettingRow, key)
    return None if row is None else json.loads(row.value)


@lru_cache(maxsize=8)
def _protocol_from(text: str) -> Protocol:
    return Protocol.from_json(json.loads(text))


def _put(session: Session, key: str, value: Any, actor: str) -> None:
    row = session.get(SettingRow, key)
    now = datetime.now(UTC).replace(tzinfo=None)
    old = None if row is None else json.loads(row.value)
    if row is None:
        session.add(
            SettingRow(key=key, value=json.dumps(value, ensure_ascii=False), updated_at=now)
        )
    else:
        row.value = json.dumps(value, ensure_ascii=False)
        row.updated_at = now
    audit.append(session, actor, "setting", 0, "update", {key: [old, value]})


def put_in(session: Session, key: str, value: Any, actor: str) -> None:
    """Store a setting inside an open transaction (imports of a full record set)."""
    _put(session, key, value, actor)


def stored_keys(session: Session) -> set[str]:
    return set(session.scalars(select(SettingRow.key)))


def all_values(session: Session) -> dict[str, Any]:
    """Every stored setting, for a full export."""
    return {row.key: json.loads(row.value) for row in session.scalars(select(SettingRow))}


def protocol_in(conn: Executor) -> Protocol:
    text = conn.execute(_VALUE, {"key": "protocol"}).scalar()
    return DEFAULT_PROTOCOL if text is None else _protocol_from(text)


def get_protocol(db: Database) -> Protocol:
    with db.transaction() as conn:
        return protocol_in(conn)


def set_protocol(db: Database, protocol: Protocol, actor: str) -> None:
    """Store the clinic's protocol (audited), or refuse it with every reason."""
    access.require(db, Permission.CLINIC_SETTINGS)
    raise_if_any(protocol_violations(protocol))
    with db.write() as s:
        _put(s, "protocol", protocol.to_json(), actor)


CONSENT_POLICY_KEY = "consent_policy"


def consent_policy_in(conn: Executor) -> ConsentPolicy:
    """The clinic's consent setting (the gate on, valid for the course, by default)."""
    text = conn.execute(_VALUE, {"key": CONSENT_POLICY_KEY}).scalar()
    return ConsentPolicy.from_json(None if text is None else json.loads(text))


def get_consent_policy(db: Database) -> ConsentPolicy:
    with db.transaction() as conn:
        return consent_policy_in(conn)


def set_consent_policy(db: Database, policy: ConsentPolicy, actor: str) -> None:
    """Store the clinic's consent setting (audited), or refuse an unusable one."""
    access.require(db, Permission.CLINIC_SETTINGS)
    raise_if_any(consent_policy_violations(policy))
    with db.write() as s:
        _put(s, CONSENT_POLICY_KEY, policy.to_json(), actor)


def get_clinic(db: Database) -> ClinicInfo:
    with db.read() as s:
        data = _get(s, "clinic") or {}
    known = {f.name for f in fields(ClinicInfo)}
    return ClinicInfo(**{k: v for k, v in data.items() if k in known})


def set_clinic(db: Database, info: ClinicInfo, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    with db.write() as s:
        _put(s, "clinic", asdict(info), actor)


def get_aftercare(db: Database) -> str:
    with db.read() as s:
        text = _get(s, "aftercare")
    return DEFAULT_AFTERCARE if not text else str(text)


def set_aftercare(db: Database, text: str, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    with db.write() as s:
        _put(s, "aftercare", text.strip(), actor)


def set_clinic_and_aftercare(
    db: Database,
    info: ClinicInfo,
    aftercare: str,
    actor: str,
    protocol: Protocol | None = None,
) -> None:
    """Save the letterhead, the aftercare advice and (when given) the protocol
    together: all, or none. Only what changed is written and audited."""
    access.require(db, Permission.CLINIC_SETTINGS)
    if protocol is not None:
        raise_if_any(protocol_violations(protocol))
    with db.write() as s:
        for key, value in (
            ("clinic", asdict(info)),
            ("aftercare", aftercare.strip()),
            ("protocol", None if protocol is None else protocol.to_json()),
        ):
            if value is not None and _get(s, key) != value:
                _put(s, key, value, actor)


def get_value(db: Database, key: str, default: Any = None) -> Any:
    """A free-form setting (for example ``backup_keep`` or ``demo_data``)."""
    with db.read() as s:
        value = _get(s, key)
    return default if value is None else value


def set_value(db: Database, key: str, value: Any, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    with db.write() as s:
        _put(s, key, value, actor)
