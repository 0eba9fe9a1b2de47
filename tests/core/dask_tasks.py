"""Module-level task functions the test workers import (tasks must be importable on every worker)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def square_slowly(x: int, seconds: float, started: str) -> int:
    """Marks that it started (a file per call), sleeps, returns x²: slow enough to be killed mid-task."""
    Path(started, f"{x}-{os.getpid()}").touch()
    time.sleep(seconds)
    return x * x


def fail(message: str) -> None:
    raise ValueError(message)
