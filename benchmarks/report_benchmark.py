"""Time the progress report of a 60-session patient beside a bare ReportLab table.

Run: python -m benchmarks.report_benchmark [--sessions N] [--repeat R]

The bare documents hold the same session table in a built-in font, once as
plain strings and once with a Paragraph per cell (no charts, no font
fallback, no footer pass): the difference is what the report's own work costs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

from needlelog.domain.records import TreatmentSession
from needlelog.reports.progress import build_progress_report
from needlelog.services import patients, sessions, settings
from needlelog.store.migrate import open_database
from tests.factories import make_patient, make_session


def _bare(history: list[TreatmentSession], paragraphs: bool = False) -> int:
    rows = [["No.", "Date", "Practitioner", "Areas", "Serums", "Reactions", "Pain", "Grades"]]
    for i, t in enumerate(history, start=1):
        d = t.data
        rows.append(
            [
                str(i),
                d.performed_at.date().isoformat(),
                d.practitioner,
                "\n".join(f"{a.area.label} {a.depth_mm}" for a in d.areas),
                "\n".join(f"{p.name} {p.lot}" for p in d.products),
                f"{d.redness} {d.bruising} {d.swelling}",
                str(d.pain),
                f"{d.scar_grade} {d.gais}",
            ]
        )
    if paragraphs:
        style = getSampleStyleSheet()["BodyText"]
        rows = [[Paragraph(escape(c).replace("\n", "<br/>"), style) for c in r] for r in rows]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4)
    doc.build([Table(rows, repeatRows=1)])
    return doc.page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        patient = patients.register(db, make_patient("BENCH-1"), "bench")
        protocol = settings.get_protocol(db)
        start = datetime(2015, 1, 5, 10)
        with db.write() as s:
            for i in range(args.sessions):
                data = make_session(performed_at=start + timedelta(days=30 * i), next_due=None)
                sessions.add_in(s, patient.id, data, "bench", protocol=protocol, refresh=False)
            sessions.refresh_summary(s, patient.id, protocol)
        history = sessions.history(db, patient.id, newest_first=False)
        build_progress_report(db, patient.id, io.BytesIO())  # fonts load once per process
        report_times, bare_times, para_times = [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            pages = build_progress_report(db, patient.id, io.BytesIO())
            report_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            bare_pages = _bare(history)
            bare_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            para_pages = _bare(history, paragraphs=True)
            para_times.append(time.perf_counter() - t0)
        db.dispose()
    report_ms = statistics.median(report_times) * 1000
    bare_ms = statistics.median(bare_times) * 1000
    print(f"{args.sessions} sessions, median of {args.repeat} runs")
    print(f"  progress report : {report_ms:7.1f} ms  ({pages} pages, from the database)")
    print(f"  bare ReportLab  : {bare_ms:7.1f} ms  ({bare_pages} pages, same table as strings)")
    para_ms = statistics.median(para_times) * 1000
    print(
        f"  bare, Paragraphs: {para_ms:7.1f} ms  ({para_pages} pages, same table, a Paragraph per cell)"
    )
    print(
        f"  ratio to bare   : {report_ms / bare_ms:7.1f}x strings, {report_ms / para_ms:.1f}x Paragraphs"
    )


if __name__ == "__main__":
    main()
