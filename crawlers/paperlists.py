"""Paper lists of the public ``papercopilot/paperlists`` project → ``papers.csv`` rows.

Those files cover venues and years whose OpenReview listings are hard to get (or are not on
OpenReview at all): one JSON list per venue-year of flat records with ``id`` (the OpenReview forum
id where there is one), ``title``, ``track``, ``status``, ``keywords``, ``author``, ``github``, ...

- **Decision and tier** come from ``status`` through :data:`STATUSES`; a status the table does not
  know is a usage error naming it (a silent guess would move the accepted count). ``Workshop`` (ICLR
  2018's invitations to the workshop track) is not an acceptance to the main conference; ``Active``
  (no decision recorded) leaves ``accepted`` empty.
- **Code link**: the ``github`` field, ``code_source = list``. papercopilot extracted it from the
  papers, so it holds placeholders ("Not provided", ``https://github.com/...``, "link provided in the
  text") and, for ICLR 2018, Papers-with-Code links to *community* implementations: only URLs that
  can be someone's code count (:func:`usable_links`), the field as written goes into
  ``code_evidence``. Its recall is low and varies by year, which the trends report says.
- Domain classification reads the keywords, the title and, where the list has one, the abstract.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawlers.code_links import find_urls, parse_link
from crawlers.errors import CrawlerUsageError
from crawlers.openreview.notes import Submission
from crawlers.papers import LIST, build_rows

#: ``status`` → (decision, accepted, tier). ``accepted`` None means no decision is recorded.
STATUSES: dict[str, tuple[str, bool | None, str]] = {
    "Poster": ("Accept (Poster)", True, "poster"),
    "Spotlight": ("Accept (Spotlight)", True, "spotlight"),
    "Oral": ("Accept (Oral)", True, "oral"),
    "Talk": ("Accept (Talk)", True, "talk"),
    "Reject": ("Reject", False, ""),
    "Withdraw": ("Withdrawn", False, ""),
    "Desk Reject": ("Desk Reject", False, ""),
    "Workshop": ("Invite to Workshop Track", False, ""),
    "Active": ("Active (no decision recorded)", None, ""),
}

API = "paperlists"
CODE_FIELD = "github"

#: Hosts whose links in the ``github`` field are about other people's code (community implementations).
NOT_THE_AUTHORS = frozenset({"paperswithcode.com"})

#: Owner or repository names that only fill a template ("https://github.com/username/repo").
PLACEHOLDER_NAMES = frozenset(
    {
        "...",
        "…",
        "xxx",
        "xxxx",
        "username",
        "user",
        "author",
        "authors",
        "author_or_organization",
        "repo",
        "repo_name",
        "repository",
        "your-repo",
        "anonymous",
    }
)

_REQUIRED = ("id", "title", "status")


@dataclass(frozen=True)
class PaperList:
    """A paper list read from a file: its records as submissions, and facts about the file."""

    submissions: list[Submission]
    records: int
    statuses: dict[str, int]
    tracks: dict[str, int]
    code_field_filled: int  # records with a non-empty ``github`` (placeholders included)
    code_field_filled_accepted: int


def is_paper_list(data: Any) -> bool:
    """A JSON list of flat records with ``id``, ``title`` and ``status`` (no OpenReview ``content``)."""
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and "status" in data[0]
        and "title" in data[0]
        and "content" not in data[0]
    )


def usable_links(value: str) -> str:
    """The URLs of the ``github`` field that can be the authors' code, space-separated ("" if none).

    Dropped: links to community implementations, a bare host (``https://github.com/``), and
    template names (``github.com/username/repo``).
    """
    kept = []
    for url in find_urls(value or ""):
        link = parse_link(url)
        path = url.split("//", 1)[-1].partition("/")[2].strip("/")
        names = {part.lower() for part in path.split("/")[:2]}
        if link.host in NOT_THE_AUTHORS or not path or names & PLACEHOLDER_NAMES:
            continue
        kept.append(link.url)
    return " ".join(kept)


def read_paper_list(data: list[Any], path: Path) -> PaperList:
    """Validate every record and turn it into a :class:`Submission` (usage error on a bad record)."""
    submissions = []
    filled = filled_accepted = 0
    for index, record in enumerate(data):
        submission = _submission(record, index, path)
        github = record.get(CODE_FIELD)
        if isinstance(github, str) and github.strip():
            filled += 1
            filled_accepted += submission.accepted is True
        submissions.append(submission)
    return PaperList(
        submissions=submissions,
        records=len(data),
        statuses=dict(Counter(str(r["status"]) for r in data).most_common()),
        tracks=dict(Counter(str(r.get("track") or "") for r in data).most_common()),
        code_field_filled=filled,
        code_field_filled_accepted=filled_accepted,
    )


def _submission(record: Any, index: int, path: Path) -> Submission:
    where = f"{path.name}: record {index}"
    if not isinstance(record, dict):
        raise CrawlerUsageError(f"{where} is not an object; a paper list is a JSON list of flat records")
    missing = [key for key in _REQUIRED if not isinstance(record.get(key), str) or not record[key].strip()]
    if missing:
        raise CrawlerUsageError(
            f"{where} has no {' or '.join(missing)}; every record needs id, title, status"
        )
    status = record["status"].strip()
    if status not in STATUSES:
        raise CrawlerUsageError(
            f"{where} (id {record['id']}) has status {status!r}, which the paper-list reader does not know "
            f"(known: {', '.join(STATUSES)}); add it to crawlers.paperlists.STATUSES with its decision"
        )
    for key in (CODE_FIELD, "keywords", "author", "abstract", "tldr", "track"):
        if record.get(key) is not None and not isinstance(record[key], str | list):
            raise CrawlerUsageError(f"{where} (id {record['id']}): {key} is neither text nor a list")
    decision, accepted, tier = STATUSES[status]
    github = record.get(CODE_FIELD) or ""
    content = {
        "title": record["title"],
        "authors": record.get("author") or "",
        "keywords": record.get("keywords") or "",
        "abstract": record.get("abstract") or "",
        "TL;DR": record.get("tldr") or "",
        "track": record.get("track") or "",
        CODE_FIELD: usable_links(github) if isinstance(github, str) else "",
        "github_as_written": github if isinstance(github, str) else "",
    }
    pdf = record.get("pdf")
    if isinstance(pdf, str) and pdf.startswith("http"):
        content["pdf"] = pdf
    return Submission(
        forum=record["id"].strip(),
        number=None,
        title=" ".join(record["title"].split()),
        decision=decision,
        accepted=accepted,
        tier=tier,
        venue="",
        api=API,
        content=content,
    )


def paper_list_rows(paper_list: PaperList) -> list[dict[str, str]]:
    """papers.csv rows of a paper list: code links from ``github`` only, the field as written as evidence."""
    rows = build_rows(paper_list.submissions, code_field=CODE_FIELD, field_source=LIST)
    written = {sub.forum: str(sub.content.get("github_as_written", "")) for sub in paper_list.submissions}
    for row in rows:
        if row["code_source"] == LIST:
            row["code_evidence"] = "paper list field github: " + " ".join(written[row["forum"]].split())[:200]
    return rows


def load_paper_list(path: Path) -> PaperList:
    """Read and validate a paper-list file (see :func:`read_paper_list`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CrawlerUsageError(f"cannot read {path} as a JSON paper list: {exc}") from exc
    if not is_paper_list(data):
        raise CrawlerUsageError(f"{path} is not a paper list (a JSON list of records with id, title, status)")
    return read_paper_list(data, path)
