"""A census folder as one point of a trend: its venue, conference and year, where its papers came
from, and the census summary of its tables.

A folder that only went through `audit crawl` (papers.csv alone) still gives code-link coverage;
its framework shares are then over zero parsed code bases, shown as "—", never as 0%.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reports.census.aggregate import CensusSummary, summarize
from reports.census.load import SIGNALS_FILE, CensusTables, MissingInput, read_csv

#: Columns an absent step output is read as, so a crawl-only folder aggregates like any other.
EMPTY = {
    "repos.csv": ["repo_url", "status"],
    "dependencies.csv": ["repo_url", "repo_subpath", "package", "source", "specifier", "optional"],
    "frameworks.csv": ["repo_url", "repo_subpath"],
}


class NotACensus(MissingInput):
    """A trends input that is no census folder (exit 2, names the folder and what it lacks)."""


@dataclass(frozen=True)
class Point:
    """One census folder: which venue-year, from which source, and its numbers."""

    directory: Path
    venue: str
    conference: str
    year: int | None
    source: str  # "OpenReview API v1", "paper list (papercopilot)", "exported notes"
    source_kind: str  # api | paperlists | notes
    summary: CensusSummary
    papers: pd.DataFrame
    complete: bool  # clone and deps ran (repos.csv, dependencies.csv, frameworks.csv present)

    @property
    def label(self) -> str:
        return f"{self.conference} {self.year}" if self.year else self.venue


def conference_and_year(venue: str) -> tuple[str, int | None]:
    """``ICLR.cc/2020/Conference`` → ``("ICLR", 2020)``; the year is the first 4-digit segment."""
    parts = [part for part in venue.split("/") if part]
    conference = re.sub(r"\.(cc|org|net|com)$", "", parts[0]) if parts else venue
    year = next((int(part) for part in parts[1:] if re.fullmatch(r"(19|20)\d\d", part)), None)
    return conference, year


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _venue(directory: Path, crawl: dict[str, Any]) -> str:
    for candidate in (crawl.get("venue"), _json(directory / ".steps.json").get("venue")):
        if isinstance(candidate, str) and candidate:
            return candidate
    census = _json(directory / "census.json").get("venue")
    if isinstance(census, str) and census:
        return census
    raise NotACensus(
        f"{directory}: no crawl.json, .steps.json or census.json names its venue; run `audit crawl` there"
    )


def _source(crawl: dict[str, Any]) -> tuple[str, str]:
    if crawl.get("source") == "api":
        return f"OpenReview API {crawl.get('api', '')}".strip(), "api"
    if crawl.get("format") == "paperlists":
        return "paper list (papercopilot)", "paperlists"
    if crawl.get("source") == "file":
        return "exported notes", "notes"
    return "unrecorded", "unrecorded"


def load_point(directory: Path, *, generated_at: str, tool_version: str) -> Point:
    """Read one census folder (papers.csv required; the other step outputs when present)."""
    if not (directory / "papers.csv").is_file():
        raise NotACensus(
            f"{directory} holds no papers.csv: not a census folder (run `audit census` or `audit crawl`)"
        )
    crawl = _json(directory / "crawl.json")
    venue = _venue(directory, crawl)
    frames = {
        name: read_csv(directory / name) if (directory / name).is_file() else pd.DataFrame(columns=columns)
        for name, columns in EMPTY.items()
    }
    papers = read_csv(directory / "papers.csv")
    signals = read_csv(directory / SIGNALS_FILE) if (directory / SIGNALS_FILE).is_file() else None
    tables = CensusTables(
        papers=papers,
        repos=frames["repos.csv"],
        dependencies=frames["dependencies.csv"],
        frameworks=frames["frameworks.csv"],
        signals=signals,
    )
    summary = summarize(tables, venue=venue, generated_at=generated_at, tool_version=tool_version)
    conference, year = conference_and_year(venue)
    source, kind = _source(crawl)
    complete = all((directory / name).is_file() for name in EMPTY)
    return Point(directory, venue, conference, year, source, kind, summary, papers, complete)
