"""Save a session: ``sessions.record`` beside the same outcome hand-written with
``sqlite3`` (benchmarks/plain_save.py), and Save clicked in the real session form of
the main window until the save has landed, with a stall probe running. Saves go into
a copy: the cached clinic stays as generated."""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    SAVE_BUDGET,
    Context,
    Row,
    Scenario,
    Unavailable,
    open_db,
    quick,
    raw_connect,
    spin,
    spin_until,
    stall_probe,
    summary,
    timed,
    window_row,
)

REPEATS = 30
BENCH_REASON = "benchmark clinic: no consent forms generated"
WINDOW_REPEATS = 20


def _session_to_save(args: argparse.Namespace) -> Any:
    """The patient's latest session, repeated today: what the pre-filled form saves."""
    from needlelog.services import sessions

    db = open_db(args.db)
    latest = sessions.latest(db, args.patient_id)
    db.dispose()
    assert latest is not None
    when = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    # The generated clinic has no consent forms signed: the gate still judges each save
    # (the same reads), and the reason lets it through, as an override in the window.
    return replace(
        latest.data, performed_at=when, next_due=None, consent_override_reason=BENCH_REASON
    )


def _consent_signed(url: str, patient_id: int) -> None:
    """The generated clinic has no consent forms signed: the patient the window saves for
    signs the treatment consent first (through the service, as the signing view does),
    so the form's Save is not stopped by the consent gate."""
    import random

    from needlelog.domain.consent import ConsentKind
    from needlelog.services import consents
    from needlelog.services.demo_data import demo_signature

    db = open_db(url)
    try:
        if consents.treatment_status(db, patient_id, date.today()).consent is None:
            form = consents.template_for(db, ConsentKind.TREATMENT)
            consents.sign(
                db, patient_id, form.id, {}, demo_signature(random.Random(patient_id)),
                "bench", form.sha256,
            )  # fmt: skip
    finally:
        db.dispose()


def w_save(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    data = _session_to_save(args)
    pid = args.patient_id
    if variant == "needlelog":
        from needlelog.services import sessions

        db = open_db(args.db)
        return timed(lambda: sessions.record(db, pid, data, "bench"), REPEATS)

    # The same outcome hand-written with sqlite3 (benchmarks/plain_save.py): the same
    # rows, audit event and course summary, read and written in one durable transaction.
    from benchmarks.plain_save import plain_record

    conn = raw_connect(args.db)
    return timed(lambda: plain_record(conn, pid, data, "bench"), REPEATS)


def w_save_in_window(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """Open the patient in the real window, then, again and again: New session (not
    timed; the form opens pre-filled from the previous session), click Save, until the
    form's ``saved`` signal (the session is stored and synced)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from benchmarks.scenarios.open_record import OpenWindow, two_patients

    try:
        from needlelog.ui.session_form import SessionForm
    except ImportError as exc:
        raise Unavailable(str(exc)) from None

    pid, record_no, sessions = two_patients(args.db, args.patient_id)[0]
    _consent_signed(args.db, pid)
    shown = OpenWindow(args.db)
    shown.click(shown.find(record_no, pid), pid, sessions)
    window = shown.window
    probe = stall_probe()
    times: list[float] = []
    stalls: list[float] = []
    repeats = 1 if quick() else WINDOW_REPEATS
    warm = 0 if quick() else 1  # the first one warms up

    def save_once() -> tuple[float, float]:
        """New session, then Save: seconds to the save landing, and the longest stall."""
        before = set(window.findChildren(SessionForm))
        QTest.mouseClick(window.record.new_session_button, Qt.MouseButton.LeftButton)

        def new_forms() -> list[Any]:
            return [f for f in set(window.findChildren(SessionForm)) - before if f.isVisible()]

        if not spin_until(lambda: bool(new_forms()), 10):
            raise RuntimeError("the session form did not open")
        form = new_forms()[0]
        spin(100)  # the form has painted and is quiet, as when a person reaches Save
        # What a practitioner answers before Save (not timed): the screening, by the one
        # "None of these apply" attestation, and each carried-over lot, confirmed.
        QTest.mouseClick(form.screening.none_apply, Qt.MouseButton.LeftButton)
        for row in form.products.product_rows.rows:
            if row.confirm.isVisible() and not row.confirm.isChecked():
                row.confirm.setChecked(True)
        spin(20)
        if not form.footer.save_button.isEnabled():
            raise Unavailable(f"Save is not enabled in the new form: {form.footer.note.text()}")
        landed: list[float] = []
        closed: list[bool] = []
        form.saved.connect(lambda _s: landed.append(time.perf_counter()))
        form.finished.connect(lambda _r: closed.append(True))
        probe.start()
        started = time.perf_counter()
        QTest.mouseClick(form.footer.save_button, Qt.MouseButton.LeftButton)
        if not spin_until(lambda: bool(landed), 15, step_ms=1):
            raise RuntimeError("the save did not land")
        spin_until(lambda: bool(closed), 5)  # the form is gone (deleted on close)
        spin(50)  # the window's reload after the save counts too
        return landed[0] - started, probe.stop()

    for i in range(repeats + warm):
        seconds, stall = save_once()
        if i >= warm:
            times.append(seconds)
            stalls.append(stall)
    return {**summary(times), "stall": max(stalls)}


def rows(ctx: Context) -> list[Row]:
    copy = ctx.out_dir / "save-copy.sqlite3"
    shutil.copyfile(ctx.db, copy)
    try:
        out = [ctx.simple("save a session", "save", copy, target=SAVE_BUDGET)]
        shown, _ = ctx.spawn("save_in_window", "needlelog", copy)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    name = "save a session in the session form (click Save to saved)"
    out.append(window_row(name, shown, SAVE_BUDGET))
    return out


SCENARIO = Scenario("save", {"save": w_save, "save_in_window": w_save_in_window}, rows)
