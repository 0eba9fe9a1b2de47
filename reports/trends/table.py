"""The tables of a trend: trends.csv (one row per census folder, i.e. per venue, year and source),
trends_by_domain.csv, the comparison with Horace He's counts, and coverage where sources overlap."""

from __future__ import annotations

from typing import Any

from reports.census.aggregate import FRAMEWORKS, accepted_papers
from reports.census.domains import SOURCE_ORDER
from reports.census.intervals import Proportion, wilson
from reports.census.load import column
from reports.trends.load import Point
from reports.trends.reference import Mentions


def _share(prefix: str, p: Proportion) -> dict[str, Any]:
    return {f"{prefix}_share": p.share, f"{prefix}_ci_low": p.ci_low, f"{prefix}_ci_high": p.ci_high}


def trend_columns() -> list[str]:
    """trends.csv's columns, in order (see docs/DESIGN.md)."""
    columns = ["venue", "conference", "year", "source", "folder", "papers_listed", "accepted", "with_code"]
    columns += ["with_code_share", "with_code_ci_low", "with_code_ci_high"]
    for source in SOURCE_ORDER:
        columns += [f"code_{source}", f"code_{source}_share"]
    columns += ["repositories", "cloned", "code_bases", "parsed"]
    for key in FRAMEWORKS:
        columns += [key, f"{key}_share", f"{key}_ci_low", f"{key}_ci_high"]
    return columns


def trend_row(point: Point) -> dict[str, Any]:
    s = point.summary
    row: dict[str, Any] = {
        "venue": point.venue,
        "conference": point.conference,
        "year": point.year if point.year is not None else "",
        "source": point.source,
        "folder": point.directory.name,
        "papers_listed": s.submitted,
        "accepted": s.accepted,
        "with_code": s.with_code.k,
        **_share("with_code", s.with_code),
    }
    for source in SOURCE_ORDER:
        count = s.code_sources.get(source, 0)
        row[f"code_{source}"] = count
        row[f"code_{source}_share"] = count / s.accepted if s.accepted else None
    row |= {
        "repositories": s.repos_distinct,
        "cloned": s.repos_cloned,
        "code_bases": s.code_bases,
        "parsed": s.repos_parsed,
    }
    for key in FRAMEWORKS:
        p = s.frameworks.get(key) or wilson(0, s.repos_parsed)
        row[key] = p.k
        row |= _share(key, p)
    return row


def domain_columns() -> list[str]:
    columns = ["venue", "conference", "year", "source", "domain", "accepted", "with_code"]
    columns += ["with_code_share", "with_code_ci_low", "with_code_ci_high", "parsed"]
    for key in FRAMEWORKS:
        columns += [key, f"{key}_share", f"{key}_ci_low", f"{key}_ci_high"]
    return columns


def domain_rows(point: Point) -> list[dict[str, Any]]:
    rows = []
    for domain in point.summary.domains:
        row: dict[str, Any] = {
            "venue": point.venue,
            "conference": point.conference,
            "year": point.year if point.year is not None else "",
            "source": point.source,
            "domain": domain.domain,
            "accepted": domain.accepted,
            "with_code": domain.with_code.k,
            **_share("with_code", domain.with_code),
            "parsed": domain.parsed,
        }
        for key in FRAMEWORKS:
            p = domain.frameworks.get(key) or wilson(0, domain.parsed)
            row[key] = p.k
            row |= _share(key, p)
        rows.append(row)
    return rows


def reference_rows(points: list[Point], reference: dict[tuple[str, int], Mentions]) -> list[dict[str, Any]]:
    """Each point with Horace He's counts for the same conference and year (points without: left out)."""
    rows = []
    for point in points:
        mentions = reference.get((point.conference.upper(), point.year or 0))
        if mentions is None:
            continue
        s = point.summary
        frameworks = s.frameworks
        rows.append(
            {
                "label": point.label,
                "source": point.source,
                "hh_papers": mentions.papers,
                "hh_pytorch": wilson(mentions.pytorch, mentions.papers),
                "hh_tensorflow": wilson(mentions.tensorflow, mentions.papers),
                "accepted": s.accepted,
                "parsed": s.repos_parsed,
                "pytorch": frameworks.get("pytorch") or wilson(0, s.repos_parsed),
                "tensorflow": frameworks.get("tensorflow") or wilson(0, s.repos_parsed),
                "all_submissions": mentions.papers > s.accepted,
            }
        )
    return rows


def overlaps(points: list[Point]) -> list[dict[str, Any]]:
    """Venue-years covered by two sources: how many accepted papers each gives a link, and how many both.

    ``same_repository`` counts papers (by forum id) whose two links name the same repository, ignoring case.
    """
    rows = []
    for i, first in enumerate(points):
        for second in points[i + 1 :]:
            if (first.conference, first.year) != (second.conference, second.year) or first.year is None:
                continue
            a, b = _links(first), _links(second)
            both = set(a) & set(b)
            rows.append(
                {
                    "label": first.label,
                    "first": first.source,
                    "second": second.source,
                    "first_links": len(a),
                    "second_links": len(b),
                    "both": len(both),
                    "same_repository": sum(bool(a[f]) and a[f] == b[f] for f in both),
                }
            )
    return rows


def _links(point: Point) -> dict[str, str]:
    accepted = accepted_papers(point.papers)
    has_code = column(accepted, "code_url") != ""
    repos = column(accepted, "repo_url").str.lower().str.rstrip("/")
    return dict(zip(column(accepted, "forum")[has_code], repos[has_code], strict=True))
