"""`audit report DIR`: re-render a census or a reproduction folder, told apart by its files."""

from __future__ import annotations

from pathlib import Path

from audit.errors import NotImplementedYet, UsageError


def render(directory: Path) -> Path:
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder; give a census or reproduction output folder")
    if (directory / "papers.csv").exists():
        raise NotImplementedYet("report (census)", "issue #3, the tooling census")
    if (directory / "runs.csv").exists():
        raise NotImplementedYet("report (reproduction)", "issue #4, the reproduction engine")
    raise UsageError(f"{directory} holds neither papers.csv (census) nor runs.csv (reproduction)")
