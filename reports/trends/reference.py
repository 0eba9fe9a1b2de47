"""Horace He's counts of papers whose text mentions PyTorch or TensorFlow (``data.csv`` of
Chillee/pytorch-vs-tensorflow): validated, and matched to census points by conference and year.

It is a *different measurement*: full-text keyword matches in the papers (a paper that cites
TensorFlow counts), over his denominator (for ICLR 2021-2022 all submissions, not accepted papers),
where the census counts frameworks used by the code that accepted papers link. The report shows
both side by side and never merges them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import UsageError

SCHEMA = "no header; conference, MM/YY, papers mentioning PyTorch, papers mentioning TensorFlow, papers"


@dataclass(frozen=True)
class Mentions:
    """One row of Horace He's data: a conference-year and its counts."""

    conference: str
    year: int
    pytorch: int
    tensorflow: int
    papers: int


def load_reference(path: Path) -> dict[tuple[str, int], Mentions]:
    """Every row of ``data.csv`` by (upper-case conference, year); a usage error for a bad file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--horace-he {path} cannot be read ({exc}); expected {SCHEMA}") from exc
    found: dict[tuple[str, int], Mentions] = {}
    for number, row in enumerate(csv.reader(lines), 1):
        if not row:
            continue
        where = f"--horace-he {path}, line {number}"
        if len(row) != 5:
            raise UsageError(f"{where} has {len(row)} columns, not 5; expected {SCHEMA}")
        conference, date, *counts = (cell.strip() for cell in row)
        month_year = re.fullmatch(r"(\d\d)/(\d\d)", date)
        if not conference or not month_year or not all(c.isdigit() for c in counts):
            raise UsageError(f"{where} ({','.join(row)}) does not match {SCHEMA}")
        pytorch, tensorflow, papers = (int(c) for c in counts)
        if pytorch > papers or tensorflow > papers:
            raise UsageError(f"{where}: more papers mention a framework than there are papers ({papers})")
        year = 2000 + int(month_year.group(2))
        found[(conference.upper(), year)] = Mentions(conference, year, pytorch, tensorflow, papers)
    if not found:
        raise UsageError(f"--horace-he {path} holds no rows; expected {SCHEMA}")
    return found
