"""Signing and a patient's rights at the edges of the roles: an assistant's draft is
co-signed by a practitioner, only an administrator sees the access log and
anonymises, and the signature names the account."""

from __future__ import annotations

from datetime import date

import pytest

from needlelog.domain.accounts import AccessRefused
from needlelog.services import accounts, disclosures, patients, rights, sessions
from needlelog.store.database import Database
from needlelog.ui.signer import current_signer
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


@pytest.fixture
def clinic(db: Database) -> tuple[Database, int]:
    patient = register_consenting(db, make_patient("P-1"), "setup")
    add_clinic_accounts(db)
    return db, patient.id


def test_an_assistants_draft_is_co_signed_by_the_practitioners_account(
    clinic: tuple[Database, int],
) -> None:
    db, pid = clinic
    accounts.sign_in(db, "sam", PASSWORD)
    draft = sessions.record(db, pid, make_session(), "sam")
    with pytest.raises(AccessRefused, match=r"sam \(assistant\) may not sign sessions"):
        sessions.sign(db, draft.id, draft.version, current_signer(draft))
    accounts.sign_in(db, "amelia", PASSWORD)
    signer = current_signer(draft)
    signed = sessions.sign(db, draft.id, draft.version, signer)
    sig = signed.signature
    assert sig is not None
    assert (sig.name, sig.role, sig.meaning) == (
        "Dr. Amelia Hart", "practitioner", "reviewed and co-signed by",
    )  # fmt: skip
    assert sig.account_id is not None and sig.account_id == signer.account_id
    accounts.sign_out()


def test_only_an_administrator_sees_the_access_log_and_anonymises(
    clinic: tuple[Database, int],
) -> None:
    db, pid = clinic
    accounts.sign_in(db, "amelia", PASSWORD)
    disclosures.log(db, "amelia", disclosures.OPEN, pid, "patient record")
    with pytest.raises(AccessRefused, match="may not see and export a patient's access log"):
        disclosures.patient_log(db, pid)
    with pytest.raises(AccessRefused, match="may not erase or anonymise a patient"):
        rights.anonymise(db, pid, "amelia", today=date(2099, 1, 1))
    accounts.sign_in(db, "ada", PASSWORD)
    assert [(e.actor, e.action) for e in disclosures.patient_log(db, pid)] == [("amelia", "open")]
    rights.anonymise(db, pid, "ada", today=date(2099, 1, 1))
    assert patients.get(db, pid).anonymised_at is not None
    accounts.sign_out()
