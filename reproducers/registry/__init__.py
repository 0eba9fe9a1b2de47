"""The paper registry: look a paper up by OpenReview forum id or alias (arXiv id, title slug)."""

from __future__ import annotations

from reproducers.errors import ReproductionUsageError
from reproducers.registry import lth, snip
from reproducers.registry.base import PaperSpec, Protocol

_PAPERS: tuple[PaperSpec, ...] = (lth.SPEC, snip.SPEC)

__all__ = ["PaperSpec", "Protocol", "all_papers", "get"]


def all_papers() -> tuple[PaperSpec, ...]:
    """Every registered paper, in registration order."""
    return _PAPERS


def get(paper_id_or_alias: str) -> PaperSpec:
    """The paper with this forum id or alias (case-insensitive, ``arXiv:`` prefix optional)."""
    key = _normalise(paper_id_or_alias)
    for spec in _PAPERS:
        if key in {_normalise(name) for name in (spec.id, *spec.aliases)}:
            return spec
    known = ", ".join(
        f"{spec.id} ({', '.join(spec.aliases)})" if spec.aliases else spec.id for spec in _PAPERS
    )
    raise ReproductionUsageError(f"unknown paper {paper_id_or_alias!r}; registered: {known}")


def _normalise(name: str) -> str:
    name = name.strip().lower()
    for prefix in ("arxiv:", "https://arxiv.org/abs/", "https://openreview.net/forum?id="):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name
