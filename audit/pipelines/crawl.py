"""`audit crawl`: venue → papers.csv (+ raw API pages kept for resume)."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet


def run(venue: str, *, out: Path | None, from_file: Path | None) -> Path:
    """Write ``<out>/papers.csv`` for the venue and return the output folder."""
    raise NotImplementedYet("crawl", "issue #3, the tooling census")
