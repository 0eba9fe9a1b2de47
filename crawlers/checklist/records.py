"""The checklist's vocabulary: items, verdicts, evidence, and one code base's result."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The five items of the ML Code Completeness Checklist, in its order (keys of checklist.csv columns).
ITEMS = ("dependencies", "training", "evaluation", "pretrained", "results")
ITEM_LABELS = {
    "dependencies": "Specification of dependencies",
    "training": "Training code",
    "evaluation": "Evaluation code",
    "pretrained": "Pre-trained models",
    "results": "README with results table and the commands that produce it",
}

YES, NO, UNCLEAR = "yes", "no", "unclear"
VERDICTS = (YES, NO, UNCLEAR)

#: Longest snippet kept in evidence (one line; a chair reads it in a table cell).
SNIPPET_CHARS = 160


def snippet(text: str) -> str:
    """One line of at most :data:`SNIPPET_CHARS` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


@dataclass(frozen=True)
class Evidence:
    """Where a verdict comes from: a file and line (relative to the repository root), the README section,
    a snippet, and a link the README gives (never followed). ``cell`` marks a notebook cell number."""

    file: str = ""
    line: int = 0
    section: str = ""
    snippet: str = ""
    link: str = ""
    cell: bool = False

    @property
    def location(self) -> str:
        """``path:line``, ``notebook.ipynb:cell3`` or ``path`` alone."""
        if not self.file:
            return ""
        if self.line <= 0:
            return self.file
        return f"{self.file}:cell{self.line}" if self.cell else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ItemVerdict:
    """One item's verdict for one code base; ``note`` says in words which rule decided."""

    item: str
    verdict: str
    evidence: Evidence = field(default_factory=Evidence)
    note: str = ""


@dataclass
class CodeBaseChecklist:
    """Every item's verdict for one ``(repo_url, repo_subpath)``; ``status`` as in repo_signals.csv."""

    repo_url: str
    repo_subpath: str
    status: str = "ok"  # ok | subpath_missing | missing_checkout | error
    commit: str = ""
    readme: str = ""
    readme_format: str = ""
    items: dict[str, ItemVerdict] = field(default_factory=dict)
    error: str = ""

    @property
    def n_yes(self) -> int:
        return sum(v.verdict == YES for v in self.items.values())

    @property
    def n_unclear(self) -> int:
        return sum(v.verdict == UNCLEAR for v in self.items.values())
