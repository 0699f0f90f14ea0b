"""Run the `crossbook` command line as a user would: a real subprocess."""

from __future__ import annotations

import subprocess
import sys


def crossbook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )
