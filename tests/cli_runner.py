"""Run the real command line in a child process, as a clinic's script would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    merged = dict(os.environ)
    merged["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), merged.get("PYTHONPATH")]))
    merged.setdefault("QT_QPA_PLATFORM", "offscreen")
    if env:
        merged.update(env)
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        env=merged,
        timeout=timeout,
        cwd=ROOT,
    )
