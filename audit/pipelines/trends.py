"""`audit trends DIR [DIR...] --out DIR`: census folders → trends.csv, trends.png and the report."""

from __future__ import annotations

from pathlib import Path

from audit import __version__
from audit.progress import info
from reports.trends import render_trends


def run(directories: list[Path], *, out: Path, reference: Path | None) -> Path:
    """Render the trends of ``directories`` into ``out`` and print where report.html is."""
    report = render_trends(directories, out, reference=reference, tool_version=__version__)
    info(f"trends: {len(directories)} census folders → {out}")
    print(report, flush=True)
    return report
