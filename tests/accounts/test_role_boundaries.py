"""Each role's edge as a user meets it: the service refuses with a sentence that says
who may, and nothing is read or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from needlelog.domain.accounts import PERMISSIONS, AccessRefused, Permission, Role
from needlelog.domain.recall import ContactOutcome
from needlelog.reports.progress import write_progress_report
from needlelog.services import accounts, patients, recall, settings
from needlelog.store.database import Database
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.consenting import register_consenting
from tests.factories import make_patient


@pytest.fixture
def clinic(db: Database) -> tuple[Database, int]:
    patient = register_consenting(db, make_patient("P-1"), "setup")
    add_clinic_accounts(db)
    return db, patient.id


def test_the_permission_table() -> None:
    assert Permission.SIGN_SESSION in PERMISSIONS[Role.PRACTITIONER]
    assert Permission.SIGN_SESSION not in PERMISSIONS[Role.ASSISTANT]
    assert Permission.CLINICAL_WRITE in PERMISSIONS[Role.ASSISTANT]
    assert Permission.CLINICAL_READ not in PERMISSIONS[Role.RECEPTION]
    assert Permission.CLINICAL_WRITE not in PERMISSIONS[Role.ADMINISTRATOR]
    for role in Role:
        assert Permission.PATIENT_LIST in PERMISSIONS[role]
    only_admin = {Permission.MANAGE_ACCOUNTS, Permission.CLINIC_SETTINGS, Permission.RESTORE}
    for permission in only_admin | {Permission.ERASE}:
        assert [r for r in Role if permission in PERMISSIONS[r]] == [Role.ADMINISTRATOR]


def test_reception_gets_no_report(clinic: tuple[Database, int], tmp_path: Path) -> None:
    db, pid = clinic
    accounts.sign_in(db, "rita", PASSWORD)
    out = tmp_path / "r.pdf"
    with pytest.raises(
        AccessRefused,
        match=r"rita \(reception\) may not see clinical details .* allowed for: practitioner, "
        "assistant, administrator",
    ):
        write_progress_report(db, pid, out)
    assert not out.exists()
    accounts.sign_in(db, "amelia", PASSWORD)
    write_progress_report(db, pid, out)
    assert out.stat().st_size > 1000


def test_nobody_signed_in_is_refused_once_accounts_exist(
    clinic: tuple[Database, int], tmp_path: Path
) -> None:
    db, pid = clinic
    with pytest.raises(AccessRefused, match="sign in first"):
        write_progress_report(db, pid, tmp_path / "r.pdf")
    with pytest.raises(AccessRefused, match="sign in first"):
        recall.attempts(db, pid)


def test_reception_logs_contacts_and_the_trail_names_them(clinic: tuple[Database, int]) -> None:
    db, pid = clinic
    accounts.sign_in(db, "rita", PASSWORD)
    from needlelog import config

    attempt = recall.log_contact(db, pid, ContactOutcome.BOOKED, config.current_user())
    assert attempt.actor == "rita"
    assert [a.actor for a in recall.attempts(db, pid)] == ["rita"]


@pytest.mark.parametrize("name", ["amelia", "sam", "rita"])
def test_only_an_administrator_changes_clinic_settings(
    clinic: tuple[Database, int], name: str
) -> None:
    db, _ = clinic
    before = settings.get_clinic(db)
    accounts.sign_in(db, name, PASSWORD)
    with pytest.raises(AccessRefused, match="may not change the clinic settings"):
        settings.set_clinic_and_aftercare(db, before, "changed", name)
    assert settings.get_aftercare(db) != "changed"
    accounts.sign_in(db, "ada", PASSWORD)
    settings.set_aftercare(db, "changed", "ada")
    assert settings.get_aftercare(db) == "changed"


def test_sessions_are_for_clinical_roles(clinic: tuple[Database, int]) -> None:
    from needlelog.services import sessions
    from tests.factories import make_session

    db, pid = clinic
    accounts.sign_in(db, "rita", PASSWORD)
    with pytest.raises(AccessRefused, match=r"rita \(reception\) may not see clinical details"):
        sessions.history(db, pid)
    with pytest.raises(AccessRefused, match="may not record sessions"):
        sessions.record(db, pid, make_session(), "rita")
    accounts.sign_in(db, "ada", PASSWORD)
    with pytest.raises(
        AccessRefused,
        match=r"ada \(administrator\) may not record sessions and clinical details; "
        "allowed for: practitioner, assistant",
    ):
        sessions.record(db, pid, make_session(), "ada")
    assert sessions.history(db, pid) == []  # the administrator reads, records nothing
    accounts.sign_in(db, "sam", PASSWORD)
    from needlelog import config

    saved = sessions.record(
        db, pid, make_session(practitioner="Dr. Someone Else"), config.current_user()
    )
    assert saved.data.practitioner == "Sam Assist"  # the signed-in account, not the request
    from sqlalchemy import select

    from needlelog.store.models import AuditEventRow

    with db.read() as s:
        actor = s.scalar(
            select(AuditEventRow.actor).where(
                AuditEventRow.entity == "session", AuditEventRow.entity_id == saved.id
            )
        )
    assert actor == "sam"


def test_reception_registers_patients_but_no_clinical_detail(db: Database) -> None:
    from dataclasses import replace

    add_clinic_accounts(db)
    accounts.sign_in(db, "rita", PASSWORD)
    with pytest.raises(AccessRefused, match="may not change the Fitzpatrick type"):
        register_consenting(db, make_patient("P-2"), "rita")  # the factory has notes and type
    plain = make_patient("P-2", fitzpatrick=None, notes="")
    patient = register_consenting(db, plain, "rita")
    moved = replace(patient.data, phone="+44 20 7946 0999")
    patients.update(db, patient.id, moved, patient.version, "rita")
    stored = patients.get(db, patient.id)
    with pytest.raises(AccessRefused, match="may not change the Fitzpatrick type"):
        patients.update(db, patient.id, replace(stored.data, notes="scars"), stored.version, "rita")
    assert patients.get(db, patient.id).data.notes == ""
    assert patients.get(db, patient.id).data.phone == "+44 20 7946 0999"


def test_every_audit_event_names_the_account(db: Database) -> None:
    from dataclasses import replace

    from sqlalchemy import func, select

    from needlelog import config
    from needlelog.services import demo, sessions
    from needlelog.store.models import AuditEventRow
    from tests.factories import make_session

    add_clinic_accounts(db)
    with db.read() as s:
        before = s.scalar(select(func.max(AuditEventRow.id))) or 0
    accounts.sign_in(db, "amelia", PASSWORD)
    patient = register_consenting(db, make_patient("P-9"), config.current_user())
    saved = sessions.record(db, patient.id, make_session(), config.current_user())
    sessions.amend(
        db, saved.id, replace(saved.data, notes="amended"), saved.version, config.current_user()
    )
    accounts.sign_in(db, "rita", PASSWORD)
    stored = patients.get(db, patient.id)
    patients.update(
        db, patient.id, replace(stored.data, phone="+44 1"), stored.version, config.current_user()
    )
    recall.log_contact(db, patient.id, ContactOutcome.BOOKED, config.current_user())
    accounts.sign_in(db, "ada", PASSWORD)
    settings.set_aftercare(db, "Sun cream.", config.current_user())
    demo.fill(db, 1, 1)
    with db.read() as s:
        actors = list(s.scalars(select(AuditEventRow.actor).where(AuditEventRow.id > before)))
    assert len(actors) >= 8
    assert {a.split(" ")[0] for a in actors} == {"amelia", "rita", "ada"}, actors
