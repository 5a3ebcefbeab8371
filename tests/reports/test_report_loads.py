"""`needlelog report` loads what the document needs and nothing else: the report
reads through Core, so the ORM and its mapped classes stay unloaded, and the
Photographs page (Pillow's photo handling, the photo store) comes only with the
patient's agreement to photos in their own report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from needlelog.domain.photos import PhotoUse
from needlelog.services import photos
from needlelog.store.database import Database
from tests.reports.helpers import page_texts, patient_with_sessions

ROOT = Path(__file__).resolve().parents[2]

# The command line's own entry point in a fresh interpreter (this one has long since
# loaded everything), then the modules it loaded.
_REPORT_COMMAND = textwrap.dedent(
    """
    import json, sys
    from needlelog.cli import main

    code = main(sys.argv[1:])
    print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
    """
)

NEVER_FOR_A_REPORT = (
    "sqlalchemy.orm",
    "needlelog.store.models",
    "alembic",
    "argon2",
    "PySide6",
    "xml.sax.saxutils",  # it imports urllib.request and the HTTP client
)


def _report_in_a_child(db_path: Path, record_no: str, out: Path) -> set[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_COMMAND,
         "--db", f"sqlite:///{db_path}", "report", record_no, "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["code"] == 0, result.stdout
    return set(shown["modules"])


def test_a_report_never_loads_the_orm_and_no_photo_page_without_agreement(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 3, "P-0042")
    out = tmp_path / "report.pdf"

    modules = _report_in_a_child(db_path, "P-0042", out)

    assert "Zoë Lefèvre" in page_texts(out)[0]
    for name in NEVER_FOR_A_REPORT:
        assert not any(m == name or m.startswith(f"{name}.") for m in modules), name
    assert "needlelog.reports.photo_page" not in modules
    assert "needlelog.services.photo_images" not in modules
    assert "sqlalchemy" in modules  # the reads do run through SQLAlchemy Core


def test_a_patient_who_agreed_gets_the_photo_page_loaded_and_still_no_orm(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient = patient_with_sessions(db, 2, "P-0043")
    photos.set_uses(db, patient.id, [PhotoUse.OWN_REPORT], "t")
    out = tmp_path / "report.pdf"

    modules = _report_in_a_child(db_path, "P-0043", out)

    assert "needlelog.reports.photo_page" in modules
    assert "sqlalchemy.orm" not in modules
    assert "needlelog.store.models" not in modules


def test_the_collector_runs_again_after_a_command_loaded_its_modules_even_on_failure() -> None:
    import gc

    from needlelog import cli

    try:
        with pytest.raises(ModuleNotFoundError), cli._loading_modules():
            assert not gc.isenabled()  # no full pass while the modules load
            import needlelog.no_such_module  # noqa: F401
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what was loaded is out of later passes
    finally:
        gc.unfreeze()
