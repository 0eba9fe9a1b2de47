"""`audit deps`: repos.csv + clones → dependencies.csv, frameworks.csv, all_tools.csv."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet


def run(directory: Path, *, workers: int) -> Path:
    """Infer dependencies of every cloned repository; write the three CSVs."""
    raise NotImplementedYet("deps", "issue #3, the tooling census")
