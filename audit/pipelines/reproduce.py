"""Reproduction pipeline: registry spec → experiment tree → runs → verdicts → report."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet

ISSUE = "issue #4, the reproduction engine"


def list_papers(*, as_json: bool) -> None:
    raise NotImplementedYet("papers", ISSUE)


def reproduce(
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
    raise NotImplementedYet("reproduce", ISSUE)
