"""Census pipeline: crawl → clone → deps → report, each step resumable from its files."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet

ISSUE = "issue #3, the tooling census"


def crawl(venue: str, *, out: Path | None, from_file: Path | None) -> Path:
    raise NotImplementedYet("crawl", ISSUE)


def clone(directory: Path, *, workers: int, timeout_s: float, max_size_mb: float) -> Path:
    raise NotImplementedYet("clone", ISSUE)


def deps(directory: Path, *, workers: int) -> Path:
    raise NotImplementedYet("deps", ISSUE)


def census(
    venue: str,
    *,
    out: Path | None,
    from_file: Path | None,
    workers: int,
    timeout_s: float,
    max_size_mb: float,
    top_n: int,
) -> Path:
    raise NotImplementedYet("census", ISSUE)
