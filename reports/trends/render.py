"""Write a trends folder: trends.csv, trends_by_domain.csv, trends.png, coverage.png, trends.json,
report.md and a self-contained report.html (figures embedded), every file written atomically."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import atomic
from core.errors import UsageError
from reports.census.aggregate import FRAMEWORKS
from reports.census.domains import SOURCE_LABELS
from reports.census.render import template_environment
from reports.trends.charts import coverage_chart, trends_chart, used_frameworks
from reports.trends.load import Point, load_point
from reports.trends.reference import load_reference
from reports.trends.table import (
    domain_columns,
    domain_rows,
    overlaps,
    reference_rows,
    trend_columns,
    trend_row,
)

OUTPUTS = (
    "trends.csv",
    "trends_by_domain.csv",
    "trends.png",
    "coverage.png",
    "trends.json",
    "report.md",
    "report.html",
)

#: What each kind of source means for a trend of code-link coverage (the report says it per row).
SOURCE_NOTES = {
    "paperlists": (
        "papercopilot's paper lists: the `github` field was extracted from the papers by a third party, "
        "with low recall that varies by year, so a rise or fall in these rows is a trend of that field's "
        "coverage, not of how many papers share code"
    ),
    "api": (
        "OpenReview: the submission form's code field where the venue had one (what the authors declared), "
        "else free text and the papers' PDFs"
    ),
    "notes": "an export of OpenReview notes: links from its code field or its free text",
    "unrecorded": "a census folder without crawl.json: the source is not recorded",
}


def _check(directories: list[Path]) -> None:
    if not directories:
        raise UsageError("give at least one census folder")
    seen: set[Path] = set()
    for directory in directories:
        if not directory.is_dir():
            raise UsageError(f"{directory} is not a folder; give census folders (made by `audit census`)")
        if directory.resolve() in seen:
            raise UsageError(f"{directory} is given twice; give each census folder once")
        seen.add(directory.resolve())


def render_trends(
    directories: list[Path],
    out: Path,
    *,
    reference: Path | None,
    tool_version: str,
    generated_at: str | None = None,
) -> Path:
    """Read every census folder (and Horace He's file), write the trends folder; return report.html."""
    _check(directories)
    mentions = load_reference(reference) if reference is not None else None
    when = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    points = [load_point(d, generated_at=when, tool_version=tool_version) for d in directories]
    points.sort(key=lambda p: (p.conference, p.year or 0, p.source))
    out.mkdir(parents=True, exist_ok=True)

    trends = [trend_row(p) for p in points]
    domains = [row for p in points for row in domain_rows(p)]
    atomic.write_csv(out / "trends.csv", trend_columns(), trends)
    atomic.write_csv(out / "trends_by_domain.csv", domain_columns(), domains)
    trends_chart(points, out / "trends.png")
    coverage_chart(points, out / "coverage.png")
    compared = reference_rows(points, mentions) if mentions is not None else None
    document = {
        "schema_version": 1,
        "generated_at": when,
        "tool": {"name": "audit", "version": tool_version},
        "folders": [str(p.directory) for p in points],
        "reference": str(reference) if reference is not None else None,
        "rows": trends,
        "overlaps": overlaps(points),
    }
    atomic.write_text(out / "trends.json", json.dumps(document, indent=2, default=str))

    env = template_environment()
    names = ("trends.png", "coverage.png")
    context = _context(points, compared, document, when, tool_version)
    markdown = env.get_template("trends.md.j2").render(context | {"images": {n: n for n in names}})
    atomic.write_text(out / "report.md", markdown)
    embedded = {
        n: "data:image/png;base64," + base64.b64encode((out / n).read_bytes()).decode() for n in names
    }
    html = env.get_template("trends.html.j2").render(context | {"images": embedded})
    atomic.write_text(out / "report.html", html)
    return out / "report.html"


def _context(
    points: list[Point],
    compared: list[dict[str, Any]] | None,
    document: dict[str, Any],
    when: str,
    version: str,
) -> dict[str, Any]:
    keys = used_frameworks(points) or ["pytorch", "tensorflow"]
    kinds = sorted({p.source_kind for p in points})
    return {
        "points": points,
        "frameworks": keys,
        "framework_names": FRAMEWORKS,
        "compared": compared,
        "overlaps": document["overlaps"],
        "source_notes": [(kind, SOURCE_NOTES.get(kind, kind)) for kind in kinds],
        "source_labels": SOURCE_LABELS,
        "generated_at": when,
        "tool_version": version,
        "domain_rows": [(p, row) for p in points for row in p.summary.domains],
        "incomplete": [p for p in points if not p.complete],
    }
