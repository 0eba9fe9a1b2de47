"""``checklist.csv``: one row per code base, per item a verdict and its evidence (fixed column order).

Per item ``<item>`` is ``yes``/``no``/``unclear`` (empty when the code base could not be read), and
``<item>_file`` (``path:line``, ``notebook.ipynb:cell3`` or ``path``, relative to the repository root),
``<item>_section`` (README headings, ``Outer › Inner``), ``<item>_snippet`` (one line),
``<item>_link`` (a link the README gives, never followed) and ``<item>_note`` (the rule that decided).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from core import atomic
from crawlers.checklist.records import ITEMS, CodeBaseChecklist

EVIDENCE_FIELDS = ("file", "section", "snippet", "link", "note")
BASE_COLUMNS = [
    "repo_url",
    "repo_subpath",
    "commit",
    "status",
    "readme",
    "readme_format",
    "n_yes",
    "n_unclear",
]
COLUMNS = [
    *BASE_COLUMNS,
    *(column for item in ITEMS for column in (item, *(f"{item}_{f}" for f in EVIDENCE_FIELDS))),
    "error",
]


def row(result: CodeBaseChecklist) -> dict[str, object]:
    cells: dict[str, object] = {
        "repo_url": result.repo_url,
        "repo_subpath": result.repo_subpath,
        "commit": result.commit,
        "status": result.status,
        "readme": result.readme,
        "readme_format": result.readme_format,
        "n_yes": result.n_yes if result.items else "",
        "n_unclear": result.n_unclear if result.items else "",
        "error": result.error,
    }
    for item in ITEMS:
        verdict = result.items.get(item)
        cells[item] = verdict.verdict if verdict else ""
        evidence = verdict.evidence if verdict else None
        cells[f"{item}_file"] = evidence.location if evidence else ""
        cells[f"{item}_section"] = evidence.section if evidence else ""
        cells[f"{item}_snippet"] = evidence.snippet if evidence else ""
        cells[f"{item}_link"] = evidence.link if evidence else ""
        cells[f"{item}_note"] = verdict.note if verdict else ""
    return cells


def write_checklist(path: Path, results: Iterable[CodeBaseChecklist]) -> Path:
    """Write checklist.csv atomically (temporary name, fsync, rename)."""
    return atomic.write_csv(path, COLUMNS, (row(r) for r in results))
