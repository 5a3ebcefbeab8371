"""The demo clinic is the first thing a new clinic sees: it must be clinically right."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from needlelog.domain.codes import Area, Endpoint, Indication, Sex
from needlelog.services.demo_data import NAMES, NOTES, THIN, generate

TODAY = date(2026, 11, 1)
CLINIC = list(generate(300, seed=1, today=TODAY))
# Irritants on open channels (CLINICAL.md): retinoids, AHA/BHA acids, low-pH vitamin C.
IRRITANTS = ("retin", "tretinoin", "glycolic", "salicylic", "lactic", "aha", "bha", "vitamin c")


def test_nothing_irritant_goes_on_needled_skin() -> None:
    names = {p.name.casefold() for d in CLINIC for s in d.sessions for p in s.products}
    assert names and not [n for n in names if any(word in n for word in IRRITANTS)]


def test_no_test_strings_and_notes_fit_the_indication() -> None:
    for demo in CLINIC:
        for s in demo.sessions:
            assert '"' not in s.notes and "commas" not in s.notes
            (indication,) = s.indications
            assert s.notes in NOTES[indication]
            if "scar" in s.notes.casefold():
                assert indication in (Indication.ACNE_SCARS, Indication.SCARRING)
            if "scalp" in s.notes.casefold() or "hair" in s.notes.casefold():
                assert indication is Indication.ALOPECIA


def test_given_names_match_the_recorded_sex_and_family_name_forms_follow_it() -> None:
    female = {n for group in NAMES for n in group[0]}
    male = {n for group in NAMES for n in group[1]}
    assert not female & male
    for demo in CLINIC:
        d = demo.data
        if d.sex is Sex.MALE:
            assert d.given_name in male, d
            assert not d.family_name.endswith(("ова", "Ní Bhriain", "Nic Giolla", "ska", "ούλου"))
        elif d.sex is Sex.FEMALE:
            assert d.given_name in female, d
            assert d.family_name not in ("Иванов", "Ó Briain", "Mac Giolla", "Dąbrowski")


def test_depths_stay_in_range_and_shallow_on_thin_skin() -> None:
    for demo in CLINIC:
        for s in demo.sessions:
            for a in s.areas:
                assert 0.5 <= float(a.depth_mm) <= 1.0
                if a.area in THIN:
                    assert float(a.depth_mm) <= 0.6, (a.area, a.depth_mm)
                    assert a.endpoint is Endpoint.ERYTHEMA
            assert s.pinpoint_bleeding == any(
                a.endpoint is Endpoint.PINPOINT_BLEEDING for a in s.areas
            )
    cheeks = [
        a.depth_mm for d in CLINIC for s in d.sessions for a in s.areas if a.area is Area.CHEEK_LEFT
    ]
    assert cheeks and min(cheeks) >= 0.7  # cheeks are treated deeper than the eyes


def test_a_lot_is_shared_within_a_month_and_has_one_expiry() -> None:
    expiries: dict[str, set[date | None]] = defaultdict(set)
    patients: dict[str, set[str]] = defaultdict(set)
    for demo in CLINIC:
        for s in demo.sessions:
            for p in s.products:
                expiries[p.lot].add(p.expiry)
                patients[p.lot].add(demo.data.record_no)
                assert p.expiry is not None and p.expiry > s.performed_at.date()
    assert all(len(found) == 1 for found in expiries.values())
    assert max(len(found) for found in patients.values()) > 1  # a recall finds several
