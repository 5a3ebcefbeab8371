"""Words the printed documents use: the clinic's defaults (aftercare advice, the
confidentiality line, the letterhead's name) and the progress report's title,
headings, session-table columns and grade words.

Kept here, with no imports, so that everything printing them (the settings' defaults,
the reports, and the benchmark's bare ReportLab limit of the same report) shares one
copy without loading the store.
"""

from __future__ import annotations

DEFAULT_AFTERCARE = """\
Avoid direct sun for several days and wear a broad-spectrum sunscreen.
Avoid strenuous exercise for the first days.
Avoid exfoliants and alcohol-based products. No make-up today; a little powder later hides redness.
Redness, swelling and light bruising are expected and settle in a few days. A mild acne flare can happen: do not pick at the skin.
Most people return to work the next day.
Before your next visit: no tanning, drink plenty of water, and come without make-up."""
DEFAULT_CLINIC_NAME = "Your clinic"
DEFAULT_CONFIDENTIALITY = (
    "Confidential health information. Intended for the patient and their clinicians only."
)

REPORT_TITLE = "Treatment progress report"
PROGRESS_HEADING = "Progress across sessions"
AFTERCARE_HEADING = "Aftercare advice"
SESSIONS_HEADING = "Session details"
# The progress report's session table: heading and width in mm (0: what is left).
SESSION_TABLE_COLUMNS: tuple[tuple[str, float], ...] = (
    ("No.", 8),
    ("Date", 19),
    ("Practitioner", 20),
    ("Areas, depth (mm)", 34),
    ("Serums (lot), numbing", 31),
    ("Reactions", 19),
    ("Pain", 9),
    ("Grades", 13),
    ("Notes", 0),  # takes what is left
)
