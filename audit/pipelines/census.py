"""`audit census`: crawl → clone → deps → report, each step resumable from its files."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet


def run(
    venue: str,
    *,
    out: Path | None,
    from_file: Path | None,
    workers: int,
    timeout_s: float,
    max_size_mb: float,
    top_n: int,
) -> Path:
    """Run every census step that is not finished yet, then render the report."""
    raise NotImplementedYet("census", "issue #3, the tooling census")


def render_report(directory: Path, *, top_n: int = 20) -> Path:
    """(Re-)render census.json, report.md, report.html and the figures of a census folder."""
    raise NotImplementedYet("report (census)", "issue #3, the tooling census")
