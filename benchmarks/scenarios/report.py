"""The progress report of a long-history patient: in one process beside the same
document in bare ReportLab (benchmarks/plain_report.py), and as whole processes
(``python -m needlelog report`` beside ``python benchmarks/plain_report.py``), start,
imports and fonts included."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    NOT_AVAILABLE,
    ROOT,
    Context,
    Row,
    Scenario,
    Unavailable,
    environment,
    open_db,
    quick,
    raw_connect,
    summary,
    timed,
)

REPEATS = 10
PROCESS_REPEATS = 7


def w_report(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out_dir) / f"report-{variant}.pdf"
    pid = args.patient_id
    if variant == "needlelog":
        try:
            from needlelog.reports import progress
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        build = getattr(progress, "build_progress_report", None) or getattr(
            progress, "write_progress_report", None
        )
        if build is None:
            raise Unavailable("needlelog.reports.progress has no build_progress_report")
        db = open_db(args.db)
        result = timed(lambda: build(db, pid, out), REPEATS)
    elif variant == "raw":
        # The same document in bare ReportLab: same table values, embedded
        # DejaVu Sans, the same charts, page footers (benchmarks/plain_report.py).
        from benchmarks.plain_report import plain_report

        conn = raw_connect(args.db)
        result = timed(lambda: plain_report(conn, pid, out), REPEATS)
    else:  # "bare": the earlier limit, a smaller document (informational)
        result = _bare_table_report(raw_connect(args.db), pid, out)
    return {**result, "bytes": out.stat().st_size}


def _bare_table_report(conn: sqlite3.Connection, pid: int, out: Path) -> dict[str, Any]:
    """A title and one 8-column table of Paragraphs in built-in Helvetica: no
    charts, no embedded font, no page footer. Not the same document as the
    report; kept to show what those parts cost."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from needlelog.domain.document_text import REPORT_TITLE

    def work() -> None:
        name = conn.execute(
            "SELECT given_name || ' ' || family_name FROM patients WHERE id = ?", (pid,)
        ).fetchone()[0]
        rows = conn.execute(
            """
            SELECT substr(s.performed_at, 1, 10),
              (SELECT group_concat(area || ' ' || (depth_um / 1000.0), ', ')
                 FROM treated_areas WHERE session_id = s.id),
              (SELECT group_concat(name || ' ' || lot, ', ')
                 FROM session_products WHERE session_id = s.id),
              s.redness, s.bruising, s.swelling, s.pain,
              (SELECT score FROM assessments WHERE session_id = s.id
                 AND scale = 'goodman_baron_qualitative')
            FROM treatment_sessions AS s WHERE s.patient_id = ?
            ORDER BY s.performed_at, s.id
            """,
            (pid,),
        ).fetchall()
        styles = getSampleStyleSheet()
        header = ["Date", "Areas and depth", "Serums", "Red.", "Bruis.", "Swell.", "Pain", "Gr."]
        body = [[Paragraph(str(c or ""), styles["BodyText"]) for c in r] for r in rows]
        table = Table([header, *body], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
        doc = SimpleDocTemplate(str(out), pagesize=A4)
        doc.build([Paragraph(f"{REPORT_TITLE}: {name}", styles["Title"]), table])

    return timed(work, REPEATS)


def whole_process_commands(db: Path, record_no: str, out_dir: Path) -> dict[str, list[str]]:
    """What a person (or a script) runs for the report of one patient, and the bare
    ReportLab script for the same patient, each a fresh Python process."""
    return {
        "needlelog": [
            sys.executable, "-m", "needlelog", "--db", f"sqlite:///{db}", "report", record_no,
            "--out", str(out_dir / "whole-needlelog.pdf"),
        ],
        "raw": [
            sys.executable, str(ROOT / "benchmarks" / "plain_report.py"), str(db), record_no,
            str(out_dir / "whole-raw.pdf"),
        ],
    }  # fmt: skip


def _whole_processes(ctx: Context) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(f"file:{ctx.db}?mode=ro", uri=True)
    (record_no,) = conn.execute(
        "SELECT record_no FROM patients WHERE id = ?", (ctx.patient_id,)
    ).fetchone()
    conn.close()
    commands = whole_process_commands(ctx.db, record_no, ctx.out_dir)
    env = environment(ctx.out_dir)
    times: dict[str, list[float]] = {name: [] for name in commands}
    warm = 0 if quick() else 1  # the first run warms the disk cache
    for i in range((1 if quick() else PROCESS_REPEATS) + warm):
        for name, cmd in commands.items():
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ctx.out_dir)
            seconds = time.perf_counter() - started
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
            if i >= warm:
                times[name].append(seconds)
    return {name: summary(t) for name, t in times.items()}


def rows(ctx: Context) -> list[Row]:
    """Against the fair limit (the same document in bare ReportLab), and, for
    information, against the earlier limit: a bare Helvetica table."""
    from benchmarks.generate import LONG_HISTORY

    name = f"progress report, {LONG_HISTORY} sessions"
    mine, raw = ctx.pair("report")
    bare, _ = ctx.spawn("report", "bare")
    if mine["status"] != "ok":
        return [Row(name, None, raw["seconds"], note=NOT_AVAILABLE)]
    whole = _whole_processes(ctx)
    return [
        Row(
            name,
            mine["seconds"],
            raw["seconds"],
            mine["peak_rss_mb"],
            raw["peak_rss_mb"],
            p95=mine["p95"],
        ),
        Row(
            f"{name} vs bare Helvetica table",
            mine["seconds"],
            bare["seconds"],
            mine["peak_rss_mb"],
            bare["peak_rss_mb"],
            note="informational: no charts, embedded fonts or page footers in the limit",
            max_ratio=float("inf"),
        ),
        Row(
            f"`needlelog report`, {LONG_HISTORY} sessions, whole process vs bare ReportLab script",
            whole["needlelog"]["seconds"],
            whole["raw"]["seconds"],
            p95=whole["needlelog"]["p95"],
            note="start, imports, fonts, database open and the PDF written",
        ),
    ]


SCENARIO = Scenario("report", {"report": w_report}, rows)
