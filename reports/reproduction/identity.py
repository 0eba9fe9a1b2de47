"""Which paper a reproduction is about (paper.json), and how to cite the report and the paper (BibTeX).

paper.json is written by the pipeline from the registry (``PaperSpec.identity()``), so the report can
name the paper without importing the registry. Its links end up as ``href``s in the HTML, so only
``http(s)`` links are accepted: a ``javascript:`` link in a hand-edited file must never become a
clickable link in a published report. BibTeX is written and escaped by pybtex.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pybtex.database import BibliographyData, Entry, Person

from core.errors import UsageError

PAPER_FILE = "paper.json"
OPENREVIEW_FORUM = "https://openreview.net/forum?id="


class ReportInputError(UsageError):
    """A report input (paper.json, discussion.md) breaks its documented schema: one line, exit 2."""


@dataclass(frozen=True)
class PaperIdentity:
    """The paper's identity and links as paper.json records them."""

    id: str
    title: str = ""
    authors: tuple[str, ...] = ()
    venue: str = ""
    year: int | None = None
    openreview_url: str = ""
    arxiv: str = ""
    arxiv_url: str = ""
    code_url: str = ""
    #: False for folders written before paper.json existed: only the forum id is known then.
    recorded: bool = True

    @property
    def display_title(self) -> str:
        return self.title or self.id or "unknown paper"

    @property
    def byline(self) -> str:
        """ "A, B and C, ICLR 2019": who wrote it, where (either part may be missing)."""
        return ", ".join(p for p in (self.authors_text, self.venue) if p)

    @property
    def authors_text(self) -> str:
        """ "A", "A and B", "A, B and C": how a byline reads."""
        names = list(self.authors)
        if len(names) <= 2:
            return " and ".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]


_TEXT_FIELDS = ("id", "title", "venue", "arxiv")
_URL_FIELDS = ("openreview_url", "arxiv_url", "code_url")


def read_paper(out_dir: Path, paper_id: str) -> PaperIdentity:
    """paper.json of ``out_dir``, validated; without one, the identity the forum id alone gives.

    Raises :class:`ReportInputError` naming the file and the field for a malformed file, or when it
    names a different paper than claims.json (the report would cite the wrong paper).
    """
    path = Path(out_dir) / PAPER_FILE
    if not path.exists():
        url = OPENREVIEW_FORUM + paper_id if paper_id else ""
        return PaperIdentity(id=paper_id, openreview_url=url, recorded=False)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReportInputError(f"{path} is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ReportInputError(f"{path} must hold a JSON object, not {type(data).__name__}")
    fields: dict[str, Any] = {}
    for key in _TEXT_FIELDS + _URL_FIELDS:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ReportInputError(f"{path}: {key!r} must be a string, not {type(value).__name__}")
        if key in _URL_FIELDS and value and not re.match(r"https?://[^\s\"'<>]+$", value):
            raise ReportInputError(f"{path}: {key!r} must be an http(s) link, not {value[:80]!r}")
        fields[key] = value.strip()
    authors = data.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(a, str) and a.strip() for a in authors):
        raise ReportInputError(f"{path}: 'authors' must be a list of names")
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ReportInputError(f"{path}: 'year' must be an integer or null, not {year!r}")
    if paper_id and fields["id"] and fields["id"] != paper_id:
        raise ReportInputError(
            f"{path} names paper {fields['id']!r} but claims.json is for {paper_id!r}; "
            "the folder mixes two papers"
        )
    fields["id"] = fields["id"] or paper_id
    if not fields["openreview_url"] and fields["id"]:
        fields["openreview_url"] = OPENREVIEW_FORUM + fields["id"]
    return PaperIdentity(authors=tuple(a.strip() for a in authors), year=year, **fields)


def bibtex_key(*parts: str) -> str:
    """A BibTeX key from free text: letters, digits, ``-``, ``_`` and ``:`` only."""
    return "-".join(re.sub(r"[^A-Za-z0-9_:-]+", "", p) for p in parts if p)


def balanced(text: str) -> str:
    """``text`` if its braces pair up (BibTeX groups), else without braces: an unmatched brace in a
    hand-written title or name must not make the whole citation unwritable."""
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    return text if depth == 0 else text.replace("{", "").replace("}", "")


def _entry(kind: str, fields: list[tuple[str, str]], authors: tuple[str, ...]) -> Entry:
    persons = {"author": [Person(balanced(a)) for a in authors]} if authors else {}
    return Entry(kind, fields=[(k, balanced(v)) for k, v in fields if v], persons=persons)


def _bibtex(key: str, entry: Entry) -> str:
    return BibliographyData(entries={key: entry}).to_string("bibtex").strip() + "\n"


def paper_bibtex(paper: PaperIdentity) -> str:
    """The original paper as an ``@inproceedings`` entry (title braced so its capitals survive)."""
    first = paper.authors[0].split()[-1].lower() if paper.authors else ""
    word = re.sub(r"[^a-z0-9]", "", paper.title.split()[0].lower()) if paper.title else ""
    key = bibtex_key(f"{first}{paper.year or ''}{word}") or bibtex_key(paper.id)
    fields = [
        ("title", "{" + balanced(paper.title) + "}" if paper.title else ""),
        ("booktitle", paper.venue),
        ("year", str(paper.year) if paper.year else ""),
        ("url", paper.openreview_url),
        ("eprint", paper.arxiv),
        ("archivePrefix", "arXiv" if paper.arxiv else ""),
    ]
    return _bibtex(key, _entry("inproceedings", fields, paper.authors))


def report_bibtex(
    paper: PaperIdentity,
    *,
    protocol: str,
    n_seeds: int,
    claims_hash: str,
    version: str,
    commit: str,
    authors: tuple[str, ...] = (),
    year: int | None = None,
    url: str = "",
) -> str:
    """This report as a ``@misc`` entry: what was reproduced, how, and the pre-registration it cites.

    ``authors``, ``year`` and ``url`` come from discussion.md's front matter (the people who ran the
    reproduction and where they publish it); the files of the run do not know them.
    """
    tool = f"audit {version}" if version else "audit"
    if commit:
        tool += f", commit {commit[:12]}"
    fields = [
        (
            "title",
            "{Reproduction of ``"
            + balanced(paper.display_title)
            + f"'' (protocol {protocol}, {n_seeds} seeds)}}",
        ),
        ("howpublished", f"Reproduction report generated by {tool}"),
        ("year", str(year) if year else ""),
        ("url", url),
        ("note", f"Claims pre-registered with SHA-256 {claims_hash}" if claims_hash else ""),
    ]
    return _bibtex(bibtex_key("audit", paper.id, protocol), _entry("misc", fields, authors))
