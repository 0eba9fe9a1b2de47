"""Code links from papers' PDFs: which papers need one, fetch, extract, tell own code from cited.

The third source of a paper's code link, after the submission form's code field and the free text
of the note (see :mod:`crawlers.papers`): only accepted papers still without a link are read, since
PDFs are rate-limited to a few dozen an hour. The download is :mod:`crawlers.openreview.pdfs`, the
text :mod:`crawlers.pdf_text` (in a limited child process, its result cached beside the PDF), the
decision :mod:`crawlers.own_code`. Every link seen is reported, so the exclusions can be audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core import atomic
from crawlers.openreview.client import Log
from crawlers.openreview.notes import Submission
from crawlers.openreview.pdfs import PdfCache, PdfOutcome, PdfRequest, Politeness, Progress, fetch_pdfs
from crawlers.own_code import Candidate, candidates, own_code
from crawlers.pdf_text import EXTRACTOR_VERSION, PdfText, PdfUnreadable, extract_isolated

#: ``--pdf``: auto reads PDFs for API crawls of venues whose form has no code field.
MODES = ("auto", "yes", "no")

#: Columns of pdf_links.csv: one row per code-host link seen in a PDF (one row for a PDF with none).
PDF_LINK_COLUMNS = (
    "forum",
    "pdf_status",  # ok | not_found | forbidden | not_a_pdf | too_large | unreadable | error
    "pages",
    "page",
    "where",  # abstract | footnote | body | references | appendix
    "url",
    "repo_url",
    "score",
    "own",  # True when the score reaches own_code.ACCEPT outside the references
    "chosen",  # True for the one link that became the paper's code_url
    "reasons",
    "snippet",
)


@dataclass
class PdfFinding:
    """One paper's PDF: how it went, the links in it, and the one chosen as the paper's code."""

    forum: str
    status: str
    pages: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    chosen: Candidate | None = None
    from_cache: bool = False
    detail: str = ""


def wants_pdfs(mode: str, *, from_api: bool, has_code_field: bool) -> bool:
    """Whether to read PDFs: ``yes`` always, ``no`` never, ``auto`` for API venues with no code field."""
    if mode == "yes":
        return True
    return mode == "auto" and from_api and not has_code_field


def targets(submissions: Iterable[Submission], rows: Iterable[dict[str, str]]) -> list[Submission]:
    """Accepted papers whose row has no code link yet and whose note names a PDF, in the rows' order."""
    missing = [row["forum"] for row in rows if row.get("accepted") == "True" and not row.get("code_url")]
    by_forum = {sub.forum: sub for sub in submissions if sub.content.get("pdf") and sub.api in ("v1", "v2")}
    return [by_forum[forum] for forum in missing if forum in by_forum]


def read_pdf_code(
    papers: list[Submission],
    cache_root: Path,
    *,
    politeness: Politeness | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
) -> Iterator[PdfFinding]:
    """Yield one finding per paper as its PDF is read (so an interrupted run keeps what it found)."""
    cache = PdfCache(cache_root)
    requests = [PdfRequest(sub.forum, sub.api, str(sub.content.get("pdf"))) for sub in papers]
    authors = {sub.forum: sub.authors for sub in papers}
    for outcome in fetch_pdfs(requests, cache, politeness=politeness, progress=progress, log=log):
        yield _finding(outcome, cache, authors.get(outcome.request.forum, []))


def _finding(outcome: PdfOutcome, cache: PdfCache, authors: list[str]) -> PdfFinding:
    forum = outcome.request.forum
    if outcome.status != "ok" or outcome.path is None:
        return PdfFinding(forum, outcome.status, from_cache=outcome.from_cache, detail=outcome.detail)
    try:
        text = _text(outcome, cache)
    except PdfUnreadable as exc:
        return PdfFinding(forum, "unreadable", from_cache=outcome.from_cache, detail=str(exc))
    found = candidates(text, authors)
    return PdfFinding(forum, "ok", text.pages, found, own_code(found), outcome.from_cache)


def _text(outcome: PdfOutcome, cache: PdfCache) -> PdfText:
    """The PDF's extracted text, from ``<hash>.text.json`` when this extractor version made it."""
    path = cache.text_path(outcome.request)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == EXTRACTOR_VERSION:
            return PdfText.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    assert outcome.path is not None
    text = extract_isolated(outcome.path)
    atomic.write_text(path, json.dumps(text.to_json()))
    return text


def link_rows(findings: Iterable[PdfFinding]) -> list[dict[str, str]]:
    """The rows of pdf_links.csv (see :data:`PDF_LINK_COLUMNS`)."""
    rows: list[dict[str, str]] = []
    for finding in findings:
        base = {"forum": finding.forum, "pdf_status": finding.status, "pages": str(finding.pages or "")}
        if not finding.candidates:
            rows.append({**base, "reasons": finding.detail or "no link to a code host"})
        for candidate in finding.candidates:
            rows.append(
                {
                    **base,
                    "page": str(candidate.page),
                    "where": candidate.where,
                    "url": candidate.link.url,
                    "repo_url": candidate.link.repo_url,
                    "score": str(candidate.score),
                    "own": str(candidate.own),
                    "chosen": str(candidate is finding.chosen),
                    "reasons": "; ".join(candidate.reasons),
                    "snippet": candidate.snippet,
                }
            )
    return rows
