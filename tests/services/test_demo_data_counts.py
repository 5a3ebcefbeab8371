"""The benchmark clinic asks the demo generator for exact history lengths."""

from __future__ import annotations

from datetime import date, datetime

from needlelog.domain.protocol import DEFAULT_PROTOCOL
from needlelog.domain.validation import check_session
from needlelog.services.demo_data import generate

TODAY = date(2026, 11, 1)


def test_exact_counts_give_that_many_sessions_all_in_the_past() -> None:
    wanted = {1: 0, 2: 1, 3: 60, 4: 7}
    made = list(generate(4, seed=2, today=TODAY, sessions_for=wanted.__getitem__))
    assert [len(p.sessions) for p in made] == [0, 1, 60, 7]
    for patient in made:
        dates = [s.performed_at for s in patient.sessions]
        assert dates == sorted(dates)
        assert all(d.date() <= TODAY for d in dates)
        for s in patient.sessions:  # each would be accepted as typed
            check_session(s, DEFAULT_PROTOCOL, TODAY, patient.data.date_of_birth)


def test_without_counts_the_demo_clinic_is_unchanged() -> None:
    # Pinned from the generator before exact counts existed: `needlelog demo` with a
    # given seed must keep making the same clinic.
    plain = list(generate(12, seed=1, today=TODAY))
    assert [len(p.sessions) for p in plain] == [2, 2, 4, 1, 6, 4, 2, 1, 0, 3, 3, 6]
    first = plain[0]
    # The same person; her family name now in its female form (Ó Briain is a man's).
    assert (first.data.family_name, first.data.given_name) == ("Ní Bhriain", "Aoife")
    assert first.sessions[0].performed_at == datetime(2026, 6, 12, 16, 45)
