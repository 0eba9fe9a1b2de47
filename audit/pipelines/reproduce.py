"""`audit reproduce` and `audit papers`: registry spec → experiment tree → runs → verdicts → report."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet

ISSUE = "issue #4, the reproduction engine"


def list_papers(*, as_json: bool) -> None:
    """Print the registered papers (id, aliases, title, protocols, claims)."""
    raise NotImplementedYet("papers", ISSUE)


def run(
    paper_id: str,
    *,
    protocol: str,
    seeds: int,
    runner: str,
    device: str,
    out: Path | None,
    jobs: int,
    base_image: str | None,
    wheelhouse: Path | None,
) -> Path:
    """Run the missing seeds of a paper's protocol, judge its claims, write the report folder."""
    raise NotImplementedYet("reproduce", ISSUE)


def render_report(directory: Path) -> Path:
    """(Re-)render verdicts.csv, report.md and report.html of a reproduction folder."""
    raise NotImplementedYet("report (reproduction)", ISSUE)
