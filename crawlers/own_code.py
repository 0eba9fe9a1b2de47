"""Which code link in a paper's PDF is the paper's own code, and which ones it merely cites.

A PDF links to many repositories: the authors' code, and the baselines, datasets and libraries it
cites. Each link to a code host (:func:`crawlers.code_links.is_code_host`) found in the text or in a
link annotation gets a score from three kinds of evidence, and the best link scoring at least
:data:`ACCEPT` is the paper's code (``code_source = pdf``). The rule, in full:

- **Section**: a link in the references (after a "References"/"Bibliography" heading, up to an
  "Appendix" heading) is cited, never the paper's code, whatever else holds.
- **Phrases** in the link's sentence, else in the sentence before it: a first-person phrase ("our
  code", "our implementation", "we release", "we open-source", "we make ... available", "code for
  this paper") scores +3 and wins over everything else in that sentence; otherwise a citing phrase
  ("we use", "we build on", "based on", "implementation of", "code of", "provided by", "official
  implementation", "baseline", "et al.", ...) scores −3; otherwise a neutral announcement ("code is
  available", "code: ", "source code at") scores +3.
- **Owner matches an author**: the repository's owner (GitHub user or organisation, GitLab group)
  contains an author's family name of 4+ letters, or equals first+last / initial+last / last+first
  (accents and punctuation ignored): +3.
- **Position**: on the first page +1; in the abstract or in a footnote (a block in the bottom fifth
  of the page in a smaller font than the body) +1 more.

Ties go to a link naming a repository, then to the earliest. So "Code: <url>" after the abstract
scores 5, "our code is at <url>" on page 7 scores 3, a bare first-page footnote 2 (not enough: it is
as often a tool the introduction mentions) unless its owner is an author (5), and "we build on the
implementation of X (<url>)" −3 or less. Every candidate is kept with its score and reasons.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crawlers.code_links import CodeLink, find_url_spans, is_code_host, parse_link
from crawlers.pdf_text import Annotation, Block, PdfText

#: The lowest score that makes a link the paper's own code.
ACCEPT = 3

PHRASE_SCORE = 3
OWNER_SCORE = 3

_FLAGS = re.IGNORECASE

#: First-person phrases: the authors speak of their own code.
OWN_STRONG = re.compile(
    r"\bour (?:source[- ]|full |official )?(?:code|codes|code ?base|implementation|software|repository"
    r"|library|package|models? and code)\b"
    r"|\bwe (?:will |also )?(?:publicly |openly )?(?:release|released|open[- ]?source|open[- ]?sourced"
    r"|publish|share)\b"
    r"|\bwe (?:will )?make (?:our|the|all|this)\b[^.]{0,60}\bavailable\b"
    r"|\bwe provide (?:our|the|an?) (?:code|implementation|source)"
    r"|\bcode (?:for|of|to reproduce|reproducing) (?:this|our|the present) "
    r"(?:paper|work|study|method|article)"
    r"|\b(?:accompanying|supplementary) (?:code|software)\b"
    r"|\bopen[- ]sourced? (?:at|on|in)\b",
    _FLAGS,
)

#: Phrases that cite somebody else's code, data or tools.
CITED = re.compile(
    r"\bwe (?:use|used|adopt|adopted|build on|built on|follow|followed|borrow|borrowed|modify|modified"
    r"|adapt|adapted|rely on|employ|employed|leverage|utilize|utilise)\b"
    r"|\b(?:based on|built on|built upon|adapted from|borrowed from|taken from|obtained from|downloaded from"
    r"|provided by|released by|maintained by|courtesy of|thanks to)\b"
    r"|\b(?:official|original|public|publicly available|open[- ]source|reference|existing|authors'?) "
    r"(?:code|implementations?|codebase|repository)\b"
    r"|\b(?:implementations?|code|codebase|repository) (?:of|from|by|for) (?!this |our |the present )"
    r"|\bbaselines?\b|\bet al\b|\b(?:data ?set|benchmark|library|toolkit|toolbox|framework) (?:of|from|by)\b",
    _FLAGS,
)

#: Neutral announcements of code, which in a paper are almost always of its own code.
OWN_NEUTRAL = re.compile(
    r"\b(?:source )?codes? (?:and [\w-]+ |and [\w-]+ [\w-]+ )?(?:is|are|will be|has been|have been|can be"
    r"|could be)? ?(?:publicly |freely |openly |made )?(?:available|released|found|accessible|hosted)\b"
    r"|\b(?:source )?codes?\s*(?:\(|:|at\b|here\b|on github\b)"
    r"|\bimplementation (?:is|will be|can be found)\b|\bgithub repository\b|\bproject page\b",
    _FLAGS,
)

_REFERENCES = re.compile(r"^\s*(?:\d+\.?\s*)?(?:references|bibliography|literature cited)\s*(?:\n|$)", _FLAGS)
_APPENDIX = re.compile(
    r"^\s*(?:appendix|appendices|supplementary material|supplemental material)\b"
    r"|^\s*[A-H](?:\.\d+)?\.?\s+(?:appendix|additional|proofs?|experimental|implementation|details|further)\b",
    _FLAGS,
)
_ABSTRACT = re.compile(r"^\s*abstract\b", _FLAGS)
_INTRODUCTION = re.compile(r"^\s*(?:1\.?|I\.?)?\s*introduction\b", _FLAGS)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[\"“])|\n\s*\n")
# A URL broken at the end of a line after a slash, hyphen, underscore or dot continues on the next.
_WRAPPED_URL = re.compile(r"((?:https?://|www\.|github\.com/|gitlab\.com/)\S*[/\-_.])\n(?=[\w\-./#~%])")

#: Footnotes live in the bottom fifth of the page, in a smaller font than the body.
FOOTNOTE_TOP = 0.2


@dataclass(frozen=True)
class Candidate:
    """One link to a code host in a PDF, with the evidence for and against it being the paper's code."""

    link: CodeLink
    page: int
    where: str  # abstract | footnote | body | references | appendix
    snippet: str
    score: int
    reasons: tuple[str, ...]
    order: int  # position in reading order (block index), for ties

    @property
    def own(self) -> bool:
        return self.where != "references" and self.score >= ACCEPT

    @property
    def evidence(self) -> str:
        """``p.1 footnote: …snippet…`` for papers.csv's ``code_evidence``."""
        return f"p.{self.page} {self.where}: {self.snippet}"


def join_wrapped_urls(text: str) -> str:
    """Undo line breaks inside URLs that layout analysis keeps (``github.com/ada-\\nlovelace``)."""
    return _WRAPPED_URL.sub(r"\1", text)


def _fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: ``Lövelace-Ada`` → ``lovelaceada``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def owner_of(link: CodeLink) -> str:
    """The account a repository link belongs to (``github.com/<owner>/...``), or ``""``."""
    if not link.host or not is_code_host(link.host):
        return ""
    path = link.url.split("//", 1)[-1].split("/", 1)
    segments = [s for s in (path[1] if len(path) > 1 else "").split("/") if s]
    if link.host == "anonymous.4open.science" or not segments:
        return ""
    return segments[0]


def owner_matches(owner: str, authors: list[str]) -> str:
    """The author whose name the repository owner spells (see the module rule), or ``""``."""
    folded_owner = _fold(owner)
    if not folded_owner:
        return ""
    for author in authors:
        parts = [_fold(part) for part in re.split(r"[\s\-]+", author) if _fold(part)]
        if not parts:
            continue
        first, last = parts[0], parts[-1]
        if len(last) >= 4 and last in folded_owner:
            return author
        spelled = {first + last, first[0] + last, last + first, last + first[0]} if len(parts) > 1 else set()
        if folded_owner in spelled:
            return author
    return ""


def body_size(blocks: list[Block]) -> float:
    """The font size most of a page's text is set in (weighted by characters)."""
    weight: dict[float, int] = {}
    for block in blocks:
        weight[block.size] = weight.get(block.size, 0) + len(block.text)
    return max(weight, key=lambda size: weight[size], default=0.0)


def split_at_headings(blocks: list[Block]) -> list[Block]:
    """Blocks cut where a line is a references or appendix heading (layout may glue it to a paragraph)."""
    result: list[Block] = []
    for block in blocks:
        lines = block.text.split("\n")
        cuts = [i for i, line in enumerate(lines) if i and (_REFERENCES.match(line) or _APPENDIX.match(line))]
        for start, end in zip([0, *cuts], [*cuts, len(lines)], strict=True):
            part = "\n".join(lines[start:end]).strip()
            if part:
                result.append(Block(block.page, part, block.y0, block.y1, block.size))
    return result


def sections(blocks: list[Block]) -> list[str]:
    """Where each block sits: abstract | footnote | body | references | appendix (reading order)."""
    pages = sorted({block.page for block in blocks})
    sizes = {page: body_size([b for b in blocks if b.page == page]) for page in pages}
    where: list[str] = []
    state = "front"
    for block in blocks:
        head = block.text.lstrip()
        if _REFERENCES.match(head):
            state = "references"
        elif state == "references" and _APPENDIX.match(head):
            state = "appendix"
        elif block.page == 1 and state == "front" and _ABSTRACT.match(head):
            state = "abstract"
        elif state in ("front", "abstract") and (_INTRODUCTION.match(head) or block.page > 1):
            state = "body"
        footnote = block.y1 <= FOOTNOTE_TOP and block.size < sizes.get(block.page, 0.0) - 0.4
        if footnote and state not in ("references",):
            where.append("footnote")
        else:
            where.append("body" if state == "front" else state)
    return where


def _sentences(text: str, start: int, end: int) -> tuple[str, str]:
    """The sentence holding ``text[start:end]`` (the URL itself blanked) and the sentence before it."""
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text) + 1]
    index = max(i for i, b in enumerate(bounds) if b <= start)
    sentence = text[bounds[index] : min(bounds[index + 1], len(text))]
    previous = text[bounds[index - 1] : bounds[index]] if index > 0 else ""
    return sentence.replace(text[start:end], " "), previous


def phrase_evidence(sentence: str, previous: str) -> tuple[int, str]:
    """The phrase score of a link and the phrase that decided it (see the module rule)."""
    for part in (sentence, previous):
        for pattern, score in (
            (OWN_STRONG, PHRASE_SCORE),
            (CITED, -PHRASE_SCORE),
            (OWN_NEUTRAL, PHRASE_SCORE),
        ):
            match = pattern.search(part)
            if match:
                return score, " ".join(match.group(0).split()).lower()
    return 0, ""


def _snippet(text: str, start: int, end: int, width: int = 70) -> str:
    left = " ".join(text[max(0, start - width) : start].split())
    right = " ".join(text[end : end + 30].split())
    return f"…{left} {' '.join(text[start:end].split())} {right}…".replace("… ", "…").replace(" …", "…")


def _score(
    link: CodeLink, block: Block, where: str, sentence: str, previous: str, authors: list[str]
) -> tuple[int, tuple[str, ...]]:
    if where == "references":
        return 0, ("in the references",)
    reasons: list[str] = []
    score, phrase = phrase_evidence(sentence, previous)
    if phrase:
        reasons.append(f"{'own' if score > 0 else 'citing'} phrase '{phrase}'")
    author = owner_matches(owner_of(link), authors)
    if author:
        score += OWNER_SCORE
        reasons.append(f"owner {owner_of(link)} matches author {author}")
    if block.page == 1:
        score += 1
        reasons.append("first page")
        if where in ("abstract", "footnote"):
            score += 1
            reasons.append(where)
    return score, tuple(reasons)


def candidates(text: PdfText, authors: list[str]) -> list[Candidate]:
    """Every code-host link of the PDF, scored; link annotations fill in URLs cut by layout."""
    blocks = split_at_headings(text.blocks)
    where = sections(blocks)
    found: list[Candidate] = []
    seen: set[tuple[int, str]] = set()
    for order, (block, place) in enumerate(zip(blocks, where, strict=True)):
        body = join_wrapped_urls(block.text)
        for start, end, url in find_url_spans(body):
            link = parse_link(_complete(url, block.page, text.annotations), "pdf")
            if not is_code_host(link.host):
                continue
            sentence, previous = _sentences(body, start, end)
            score, reasons = _score(link, block, place, sentence, previous, authors)
            snippet = _snippet(body, start, end)
            found.append(Candidate(link, block.page, place, snippet, score, reasons, order))
            seen.add((block.page, link.url))
    for annotation in text.annotations:
        link = parse_link(annotation.uri, "pdf")
        if not is_code_host(link.host) or (annotation.page, link.url) in seen:
            continue
        seen.add((annotation.page, link.url))
        order, block = _block_under(blocks, annotation)
        if block is None:
            continue
        body = join_wrapped_urls(block.text)
        # The anchor text ("here") is not located: the whole block is the link's sentence.
        score, reasons = _score(link, block, where[order], body, "", authors)
        snippet = "…" + " ".join(body.split())[:120] + f"… [link: {link.url}]"
        found.append(
            Candidate(link, block.page, where[order], snippet, score, (*reasons, "link annotation"), order)
        )
    return sorted(found, key=lambda c: (c.order, c.page))


def _complete(url: str, page: int, annotations: list[Annotation]) -> str:
    """The annotation's full URL when the text shows only its beginning (a line break cut it)."""
    for annotation in annotations:
        if annotation.page == page and annotation.uri.startswith(url) and annotation.uri != url:
            return annotation.uri
    return url


def _block_under(blocks: list[Block], annotation: Annotation) -> tuple[int, Block | None]:
    """The text block whose vertical extent overlaps the annotation's rectangle most."""
    best: tuple[int, Block | None] = (-1, None)
    best_overlap = 0.0
    for order, block in enumerate(blocks):
        if block.page != annotation.page:
            continue
        overlap = min(block.y1, annotation.y1) - max(block.y0, annotation.y0)
        if overlap > best_overlap:
            best, best_overlap = (order, block), overlap
    return best


def own_code(found: list[Candidate]) -> Candidate | None:
    """The paper's own code: best score ≥ :data:`ACCEPT`, then a repository, then the first."""
    own = [c for c in found if c.own]
    if not own:
        return None
    return min(own, key=lambda c: (-c.score, not c.link.is_repository, c.order))
