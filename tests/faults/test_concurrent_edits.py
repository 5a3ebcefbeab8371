"""Two windows editing the same record: the second save is refused, not lost in silence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from needlelog.services import patients, sessions
from needlelog.services.errors import StaleRecord
from needlelog.store.migrate import open_database
from tests.factories import make_session
from tests.faults.helpers import dump


def test_second_save_of_a_session_opened_at_the_same_version_is_refused(
    clinic: tuple[Path, int],
) -> None:
    path, patient_id = clinic
    # Two windows (here two connections, as two processes would have).
    window_a = open_database(f"sqlite:///{path}")
    window_b = open_database(f"sqlite:///{path}")
    try:
        saved = sessions.record(window_a, patient_id, make_session(), "nurse")
        opened_a = sessions.get(window_a, saved.id)
        opened_b = sessions.get(window_b, saved.id)
        assert opened_a.version == opened_b.version

        sessions.amend(
            window_a,
            saved.id,
            replace(opened_a.data, notes="Window A: swelling settled."),
            opened_a.version,
            "nurse",
        )
        before = dump(path)
        with pytest.raises(StaleRecord) as caught:
            sessions.amend(
                window_b,
                saved.id,
                replace(opened_b.data, notes="Window B: other text."),
                opened_b.version,
                "doctor",
            )
        assert str(caught.value) == (
            "the session of 2026-03-02 was changed by someone else after you opened it; "
            "reload to see their changes, then edit again"
        )
        assert dump(path) == before  # the first save stands, nothing of the second
        reloaded = sessions.get(window_b, saved.id)  # what "reload" shows
        assert reloaded.data.notes == "Window A: swelling settled."
        sessions.amend(  # and editing the reloaded record works
            window_b,
            saved.id,
            replace(reloaded.data, notes="Window B after reload."),
            reloaded.version,
            "doctor",
        )
        assert sessions.get(window_a, saved.id).data.notes == "Window B after reload."
    finally:
        window_a.dispose()
        window_b.dispose()


def test_second_save_of_a_patient_opened_at_the_same_version_is_refused(
    clinic: tuple[Path, int],
) -> None:
    path, patient_id = clinic
    window_a = open_database(f"sqlite:///{path}")
    window_b = open_database(f"sqlite:///{path}")
    try:
        opened_a = patients.get(window_a, patient_id)
        opened_b = patients.get(window_b, patient_id)
        patients.update(
            window_a,
            patient_id,
            replace(opened_a.data, phone="+44 20 7946 1111"),
            opened_a.version,
            "reception",
        )
        before = dump(path)
        with pytest.raises(StaleRecord) as caught:
            patients.update(
                window_b,
                patient_id,
                replace(opened_b.data, phone="+44 20 7946 2222"),
                opened_b.version,
                "nurse",
            )
        assert "FAULT-1 was changed by someone else after you opened it" in str(caught.value)
        assert dump(path) == before
        assert patients.get(window_b, patient_id).data.phone == "+44 20 7946 1111"
    finally:
        window_a.dispose()
        window_b.dispose()
