"""A session is a draft until a practitioner signs it; a signed session never changes,
corrections are addenda beside it; imports are marked."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from needlelog.domain.errors import InvalidRecord
from needlelog.domain.signing import Meaning, Signer, Status
from needlelog.exchange import commands
from needlelog.services import audit, check, clock, patients, session_query, sessions
from needlelog.services.errors import Refused
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

DR = Signer("Dr Ada Quinn", "practitioner", account_id=3)
ASSISTANT = Signer("Sam Reed", "assistant", account_id=4)


def _saved(db: Database, **kw: object) -> tuple[int, int]:
    p = register_consenting(db, make_patient(), actor="nurse")
    s = sessions.record(db, p.id, make_session(), actor="nurse", **kw)  # type: ignore[arg-type]
    return p.id, s.id


def test_a_new_session_is_a_draft_and_signing_seals_its_content(db: Database) -> None:
    _pid, sid = _saved(db)
    draft = sessions.get(db, sid)
    assert draft.status is Status.DRAFT and draft.signature is None
    signed = sessions.sign(db, sid, draft.version, DR)
    sig = signed.signature
    assert sig is not None and signed.status is Status.SIGNED
    assert (sig.name, sig.role, sig.account_id) == ("Dr Ada Quinn", "practitioner", 3)
    assert sig.meaning == Meaning.PERFORMED.value
    assert abs(sig.at - clock.utc_now()) < timedelta(minutes=1)
    with db.transaction() as conn:
        assert sig.content_sha256 == session_query.content_sha256(session_query.one(conn, sid))
    assert len(sig.content_sha256) == 64
    assert check.run(db).ok


def test_an_assistants_draft_is_co_signed(db: Database) -> None:
    _pid, sid = _saved(db, drafted_role="assistant")
    signed = sessions.sign(db, sid, sessions.get(db, sid).version, DR)
    assert signed.signature is not None
    assert signed.signature.meaning == "reviewed and co-signed by"


def test_an_assistant_cannot_sign(db: Database) -> None:
    _pid, sid = _saved(db)
    with pytest.raises(Refused, match="works as assistant and cannot sign"):
        sessions.sign(db, sid, sessions.get(db, sid).version, ASSISTANT)
    assert sessions.get(db, sid).signature is None


def test_a_signed_session_is_refused_by_amend_and_nothing_changes(db: Database) -> None:
    _pid, sid = _saved(db)
    signed = sessions.sign(db, sid, sessions.get(db, sid).version, DR)
    changed = replace(signed.data, notes="rewritten later")
    with pytest.raises(Refused, match="is signed and cannot be changed; add an addendum"):
        sessions.amend(db, sid, changed, signed.version, actor="dr", reason="typo")
    assert sessions.get(db, sid) == signed
    with pytest.raises(Refused, match="already signed"):
        sessions.sign(db, sid, signed.version, DR)


def test_an_addendum_stands_beside_the_original(db: Database) -> None:
    _pid, sid = _saved(db)
    signed = sessions.sign(db, sid, sessions.get(db, sid).version, DR)
    after = sessions.add_addendum(
        db, sid, DR, "Forehead was treated at 0.5 mm, not 1.0 mm.", "depth typed wrong",
        {"forehead_depth_mm": "0.5"},
    )  # fmt: skip
    assert after.data == signed.data and after.signature == signed.signature
    (add,) = after.addenda
    assert (add.author, add.author_role, add.reason) == (
        "Dr Ada Quinn", "practitioner", "depth typed wrong",
    )  # fmt: skip
    assert add.text == "Forehead was treated at 0.5 mm, not 1.0 mm."
    assert add.corrections == {"forehead_depth_mm": "0.5"}
    # Every read brings the addendum: the history the window and the report use.
    (in_history,) = sessions.history(db, after.patient_id)
    assert in_history.addenda == after.addenda
    with db.read() as s:
        actions = [e.action for e in audit.events_for(s, "session", sid)]
    assert actions == ["create", "sign", "addendum"]
    assert check.run(db).ok  # the signature still matches: the original is untouched


def test_an_addendum_needs_text_and_reason_and_a_signed_session(db: Database) -> None:
    _pid, sid = _saved(db)
    with pytest.raises(Refused, match="not signed yet; correct the draft itself"):
        sessions.add_addendum(db, sid, DR, "x", "y")
    sessions.sign(db, sid, sessions.get(db, sid).version, DR)
    with pytest.raises(InvalidRecord) as refused:
        sessions.add_addendum(db, sid, DR, "  ", "")
    assert {v.field for v in refused.value.violations} == {"text", "reason"}
    assert sessions.get(db, sid).addenda == ()


def test_drafts_unsigned_for_over_a_day_are_on_the_to_do_list(db: Database) -> None:
    _pid, old = _saved(db)
    p2 = register_consenting(db, make_patient("P-0002"), actor="nurse")
    fresh = sessions.record(db, p2.id, make_session(), actor="nurse").id
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE treatment_sessions SET created_at = :t WHERE id = :i"),
            {"t": clock.utc_now() - timedelta(days=2), "i": old},
        )
    assert [d.session_id for d in sessions.unsigned_drafts(db)] == [old]
    sessions.sign(db, old, sessions.get(db, old).version, DR)
    assert sessions.unsigned_drafts(db) == []
    # A draft saved today is not yet on the list, but is with no grace at all.
    assert [d.session_id for d in sessions.unsigned_drafts(db, timedelta(0))] == [fresh]


def test_a_signature_changed_outside_the_app_is_found_by_check(db: Database) -> None:
    _pid, sid = _saved(db)
    sessions.sign(db, sid, sessions.get(db, sid).version, DR)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE treatment_sessions SET notes = 'edited' WHERE id = :i"), {"i": sid}
        )
    found = [str(p) for p in check.run(db).problems]
    assert any(f"session {sid}" in p and "signature sealed" in p for p in found), found


def test_imported_sessions_are_marked_with_who_and_when(db: Database, tmp_path: Path) -> None:
    pid, sid = _saved(db)
    assert sessions.get(db, sid).imported is None  # typed in the app
    commands.export_command(db, "csv", tmp_path / "out")
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    from needlelog.store.migrate import upgrade

    upgrade(other)
    try:
        commands.import_command(
            other, tmp_path / "out" / "patients.csv", tmp_path / "out" / "sessions.csv"
        )
        (brought,) = sessions.history(other, patients.find_by_record_no(other, "P-0001").id)
        assert brought.imported is not None
        assert brought.imported.by.endswith("(import)")
        assert abs(brought.imported.at - clock.utc_now()) < timedelta(minutes=1)
        assert brought.status is Status.DRAFT  # an import is signed in the app, never on trust
    finally:
        other.dispose()
    _ = pid
