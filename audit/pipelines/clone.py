"""`audit clone`: papers.csv → repos.csv (+ clone cache shared across venues)."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet


def run(directory: Path, *, workers: int, timeout_s: float, max_size_mb: float) -> Path:
    """Clone every distinct repo_url of ``<directory>/papers.csv``; write ``repos.csv``."""
    raise NotImplementedYet("clone", "issue #3, the tooling census")
