"""A small clinic (several pages per table), made once and copied for each test."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from needlelog.services import demo
from needlelog.store.migrate import open_database
from tests.consenting import register_consenting, sign_consent
from tests.factories import make_patient
from tests.faults.saver import BASE


@pytest.fixture(scope="session")
def clinic_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("template") / "clinic.sqlite3"
    db = open_database(f"sqlite:///{path}")
    demo.fill(db, 60, seed=7)
    patient = register_consenting(db, make_patient("FAULT-1"))
    # The savers also record a course starting 1000 days after theirs: signed for too.
    sign_consent(db, patient.id, (BASE + timedelta(days=1000)).date())
    db.dispose()  # checkpoints the WAL: the file alone holds everything
    return path, patient.id


@pytest.fixture
def clinic(clinic_template: tuple[Path, int], tmp_path: Path) -> tuple[Path, int]:
    """A copy of the template clinic (its demo photos too), and the id of a patient
    without sessions."""
    source, patient_id = clinic_template
    path = tmp_path / "clinic.sqlite3"
    shutil.copyfile(source, path)
    if (source.parent / "photos").is_dir():
        shutil.copytree(source.parent / "photos", tmp_path / "photos")
    return path, patient_id
