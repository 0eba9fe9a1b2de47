"""Submissions → ``papers.csv``: one row per submission with its decision and its code link.

Where a paper's code link comes from (``code_source``): a venue whose submission form has a ``code``
field (ICLR 2020: 335 of 687 accepted papers filled it) gets its links from that field only
(``form``), because a paper that left it empty declared no code and a URL in its abstract may well
be someone else's repository; a venue without such a field (most v2 venues) gets them from free
text: abstract, TL;DR, supplementary material, then any other text field (``text``); accepted
papers still without one then from their PDF (``pdf``, :mod:`crawlers.pdf_code`, applied with
:func:`apply_pdf_findings`). A paper list's own code column is ``list`` (:mod:`crawlers.paperlists`).
Repository links seen in free text are listed for every paper anyway (``text_repo_urls``), so
nothing found is thrown away. Every row also gets a research domain (:mod:`crawlers.domains`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from core import atomic
from crawlers.code_links import CodeLink, choose_code_link, find_code_links, first_code_link
from crawlers.domains import classify
from crawlers.openreview.notes import Submission
from crawlers.pdf_code import PdfFinding

CODE_FIELD = "code"

#: The columns of papers.csv, in order. DESIGN.md's contract is the first nine after ``forum``.
COLUMNS = (
    "forum",  # OpenReview forum id: https://openreview.net/forum?id=<forum>
    "number",  # submission number within the venue
    "title",
    "decision",  # e.g. "Accept (Poster)", "Reject"; "" when the source carries none
    "accepted",  # True / False; "" when unknown (no decision in the source)
    "tier",  # poster / spotlight / talk / oral for accepted papers, else ""
    "code_url",  # the code link as the authors wrote it (trimmed), "" when none
    "repo_url",  # normalised clone URL https://<host>/<owner>/<repo>, "" when the link names none
    "repo_subpath",  # folder or file inside the repository of a /tree|blob/<ref>/<path> link
    "repo_ref",  # branch, tag or commit of such a link
    "host",  # host of code_url without www. (github.com, drive.google.com, ...)
    "link_source",  # content field code_url came from: code, abstract, TL;DR, ...
    "text_repo_urls",  # repository URLs found in free-text fields, space-separated
    "keywords",  # "; "-separated
    "n_authors",  # "" for anonymous submissions
    "pdf",  # absolute PDF link
    "venue",  # the venue display string when the note has one (v2: "ICLR 2024 poster")
    "api",  # v1 or v2: the shape of the note the row came from; "paperlists" for a paper list
    "code_source",  # where code_url came from: form | text | pdf | list; "" when none
    "code_evidence",  # why: the field and its words, or "p.<page> <where>: …snippet…" for a PDF
    "domain",  # research domain by the rule of crawlers.domains ("other" when no term matched)
    "domain_evidence",  # the terms that decided it, with their field and score
    "track",  # the paper list's track (e.g. "Datasets & Benchmarks"); "" from OpenReview
)

#: ``code_source`` of a link, by the content field it came from (free-text fields are ``text``).
FORM, TEXT, PDF, LIST = "form", "text", "pdf", "list"

#: Free-text fields searched first, in this order; then every other text field by name.
TEXT_FIELDS_FIRST = ("abstract", "TL;DR", "TLDR", "supplementary_material")

#: Content fields that are never prose an author would put a code link in.
NOT_TEXT = frozenset(
    {
        CODE_FIELD,
        "title",
        "authors",
        "authorids",
        "keywords",
        "pdf",
        "original_pdf",
        "github",
        "github_as_written",
        "track",
        "_bibtex",
        "paperhash",
        "venue",
        "venueid",
        "_pdate",
    }
)


def has_code_field(submissions: Iterable[Submission], code_field: str = CODE_FIELD) -> bool:
    """True when the venue's form has a code field: at least one submission filled it."""
    return any(_text(sub.content.get(code_field)) for sub in submissions)


def text_fields(content: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(field, text)]`` of the free-text fields, in search order."""
    names = [name for name in TEXT_FIELDS_FIRST if name in content]
    names += sorted(name for name in content if name not in NOT_TEXT and name not in names)
    return [(name, text) for name in names if (text := _text(content[name]))]


def code_link(submission: Submission, *, from_text: bool, code_field: str = CODE_FIELD) -> CodeLink | None:
    """The paper's code link: from its code field, or (``from_text``) from its free-text fields."""
    code = _text(submission.content.get(code_field))
    if code:
        return choose_code_link(code, code_field)
    return first_code_link(text_fields(submission.content)) if from_text else None


def text_repo_urls(submission: Submission) -> list[str]:
    """Distinct repository URLs found in the paper's free text."""
    urls: list[str] = []
    for name, text in text_fields(submission.content):
        for link in find_code_links(text, name):
            if link.repo_url and link.repo_url not in urls:
                urls.append(link.repo_url)
    return urls


def build_rows(
    submissions: Sequence[Submission], *, code_field: str = CODE_FIELD, field_source: str = FORM
) -> list[dict[str, str]]:
    """The rows of papers.csv, sorted by submission number (then forum id).

    ``code_field`` is the content field that holds a declared code link (the form's ``code``; a
    paper list's ``github``) and ``field_source`` the ``code_source`` its links get.
    """
    from_text = not has_code_field(submissions, code_field)
    rows = []
    for sub in submissions:
        link = code_link(sub, from_text=from_text, code_field=code_field)
        source = "" if link is None else field_source if link.source == code_field else TEXT
        rows.append(_row(sub, link, source))
    return sorted(rows, key=lambda row: (int(row["number"]) if row["number"] else 1 << 62, row["forum"]))


def _evidence(sub: Submission, link: CodeLink | None, source: str) -> str:
    """What the link was read from: the field's own words around it (trimmed to one line)."""
    if link is None:
        return ""
    text = " ".join(_text(sub.content.get(link.source)).split())
    at = text.find(link.url)
    window = text[max(0, at - 80) : at + len(link.url) + 40] if at >= 0 else text[:160]
    label = {FORM: "form field", LIST: "paper list field"}.get(source, "text field")
    return f"{label} {link.source}: {window}"


def _row(sub: Submission, link: CodeLink | None, source: str) -> dict[str, str]:
    authors = [name for name in sub.authors if name.lower() != "anonymous"]
    summary = " ".join(_text(sub.content.get(name)) for name in ("abstract", "TL;DR", "TLDR", "tldr"))
    domain = classify(sub.title, sub.keywords, summary)
    row = {
        "forum": sub.forum,
        "number": "" if sub.number is None else str(sub.number),
        "title": sub.title,
        "decision": sub.decision,
        "accepted": "" if sub.accepted is None else str(sub.accepted),
        "tier": sub.tier,
        "code_url": link.url if link else "",
        "repo_url": link.repo_url if link else "",
        "repo_subpath": link.subpath if link else "",
        "repo_ref": link.ref if link else "",
        "host": link.host if link else "",
        "link_source": link.source if link else "",
        "text_repo_urls": " ".join(text_repo_urls(sub)),
        "keywords": "; ".join(sub.keywords),
        "n_authors": str(len(authors)) if authors else "",
        "pdf": sub.pdf,
        "venue": sub.venue,
        "api": sub.api,
        "code_source": source,
        "code_evidence": _evidence(sub, link, source),
        "domain": domain.domain,
        "domain_evidence": domain.evidence,
        "track": _text(sub.content.get("track")),
    }
    return {key: printable(value) for key, value in row.items()}


def apply_pdf_findings(rows: list[dict[str, str]], findings: Iterable[PdfFinding]) -> int:
    """Give rows still without a code link the link chosen in their PDF; returns how many got one."""
    chosen = {finding.forum: finding.chosen for finding in findings if finding.chosen is not None}
    filled = 0
    for row in rows:
        candidate = chosen.get(row["forum"])
        if candidate is None or row["code_url"]:
            continue
        link = candidate.link
        row |= {
            "code_url": link.url,
            "repo_url": link.repo_url,
            "repo_subpath": link.subpath,
            "repo_ref": link.ref,
            "host": link.host,
            "link_source": "pdf",
            "code_source": PDF,
            "code_evidence": candidate.evidence,
        }
        filled += 1
    return filled


def write_papers_csv(rows: Iterable[dict[str, str]], path: Path) -> Path:
    """Write papers.csv atomically (unique temporary name, fsync, rename): never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic.write_csv(path, COLUMNS, rows)


#: C0 and C1 control characters and DEL: never part of a title or a link, and harmful on a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without control characters (escape sequences in a hostile note's title or link)."""
    return _CONTROL.sub("", text)


def _text(value: Any) -> str:
    """A content value as text: strings as is, lists joined by newlines, anything else empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "\n".join(item for item in value if isinstance(item, str)).strip()
    return ""
