"""A README as a list of blocks (headings, paragraphs, list items, code, tables, HTML), whatever its markup.

The item rules never look at raw README text: Markdown goes through markdown-it-py (CommonMark plus
GitHub tables) and reStructuredText through docutils (:mod:`.rst`), and both become the same
:class:`Document`, so "a table with numbers", "a command in a code block" or "a link in the
*Pre-trained models* section" mean the same for either format. Every block keeps the line it starts on
and the headings above it, which become the evidence a chair clicks through to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: Bare URLs in text (CommonMark links only ``<...>`` and ``[..](..)``; READMEs often paste plain URLs).
BARE_URL = re.compile(r"https?://[^\s<>()\"'`\]]+[^\s<>()\"'`\].,;:!?]")


@dataclass(frozen=True)
class Link:
    """A hyperlink: its visible text and its target as written (never fetched)."""

    text: str
    url: str


@dataclass(frozen=True)
class Block:
    """One structural piece of a README.

    ``kind`` is ``heading``, ``paragraph``, ``list_item``, ``code``, ``table`` or ``html``; ``line`` is
    1-based; ``section`` is the heading titles above it, outermost first. ``rows`` holds a table's cells
    (the first row is the header); ``code_spans`` the inline code of a paragraph or list item.
    """

    kind: str
    text: str
    line: int
    section: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    info: str = ""
    code_spans: tuple[str, ...] = ()
    images: tuple[str, ...] = ()

    @property
    def section_title(self) -> str:
        """``Outer › Inner`` for evidence columns."""
        return " › ".join(self.section)


@dataclass(frozen=True)
class Document:
    """A parsed documentation file: its path relative to the repository root, its markup, its blocks."""

    path: str
    format: str  # markdown | rst | text
    blocks: tuple[Block, ...] = ()

    def of_kind(self, *kinds: str) -> list[Block]:
        return [b for b in self.blocks if b.kind in kinds]


class _HtmlScan(HTMLParser):
    """Tables, links and images of an HTML fragment embedded in Markdown (``<table>`` results, ``<a>``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self.images: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []
        self._href: str | None = None
        self._anchor: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "a" and values.get("href"):
            self._href, self._anchor = values["href"], []
        elif tag == "img" and values.get("src"):
            self.images.append(values["src"])
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in {"td", "th"} and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append(Link(" ".join("".join(self._anchor).split()), self._href))
            self._href = None
        elif tag in {"td", "th"} and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._href is not None:
            self._anchor.append(data)
        if self._cell is not None:
            self._cell.append(data)


def scan_html(fragment: str) -> _HtmlScan:
    """Parse an HTML fragment with the standard library's HTML parser (no network, no scripts)."""
    scanner = _HtmlScan()
    try:
        scanner.feed(fragment)
        scanner.close()
    except Exception:  # a malformed fragment costs only its own links
        pass
    return scanner


def _bare_links(text: str, known: list[Link]) -> list[Link]:
    seen = {link.url for link in known}
    return [Link(url, url) for url in BARE_URL.findall(text) if url not in seen]


@dataclass
class _Inline:
    text: str = ""
    links: list[Link] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def _inline(token: Token) -> _Inline:
    """Plain text, links, code spans and images of an inline token."""
    out = _Inline()
    parts: list[str] = []
    href: str | None = None
    anchor: list[str] = []
    for child in token.children or []:
        kind = child.type
        if kind == "link_open":
            href, anchor = str(child.attrGet("href") or ""), []
        elif kind == "link_close" and href is not None:
            out.links.append(Link(" ".join("".join(anchor).split()), href))
            href = None
        elif kind in {"text", "code_inline"}:
            parts.append(child.content)
            if href is not None:
                anchor.append(child.content)
            if kind == "code_inline":
                out.code.append(child.content)
        elif kind in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif kind == "image":
            out.images.append(str(child.attrGet("src") or ""))
            parts.append(child.content)
        elif kind == "html_inline":
            found = scan_html(child.content)
            out.links += found.links
            out.images += found.images
    out.text = "".join(parts)
    out.links += _bare_links(out.text, out.links)
    return out


_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def parse_markdown(text: str, path: str, fmt: str = "markdown") -> Document:
    """Blocks of a Markdown (or plain-text) README, via markdown-it-py's token stream."""
    tokens = _PARSER.parse(text)
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    list_depth = 0
    index = 0

    def section() -> tuple[str, ...]:
        return tuple(title for _, title in headings)

    while index < len(tokens):
        token = tokens[index]
        line = (token.map[0] + 1) if token.map else 0
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
            inline = _inline(tokens[index + 1])
            title = " ".join(inline.text.split())
            headings = [h for h in headings if h[0] < level] + [(level, title)]
            blocks.append(Block("heading", title, line, section(), tuple(inline.links)))
            index += 3
            continue
        if kind == "list_item_open":
            list_depth += 1
        elif kind == "list_item_close":
            list_depth -= 1
        elif kind == "paragraph_open":
            inline = _inline(tokens[index + 1])
            blocks.append(
                Block(
                    "list_item" if list_depth else "paragraph",
                    inline.text,
                    line,
                    section(),
                    tuple(inline.links),
                    code_spans=tuple(inline.code),
                    images=tuple(inline.images),
                )
            )
        elif kind in {"fence", "code_block"}:
            first = line + 1 if kind == "fence" else line  # a fence's content starts below its opening line
            blocks.append(Block("code", token.content, first, section(), info=token.info.strip()))
        elif kind == "table_open":
            index = _table(tokens, index, blocks, section())
        elif kind == "html_block":
            _html_block(token, line, section(), blocks)
        index += 1
    return Document(path, fmt, tuple(blocks))


def _table(tokens: list[Token], start: int, blocks: list[Block], where: tuple[str, ...]) -> int:
    """Collect a GitHub-style table into one ``table`` block; returns the index of ``table_close``."""
    rows: list[tuple[str, ...]] = []
    links: list[Link] = []
    cells: list[str] = []
    line = (tokens[start].map[0] + 1) if tokens[start].map else 0
    index = start
    while index < len(tokens) and tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "tr_open":
            cells = []
        elif token.type == "inline":
            inline = _inline(token)
            cells.append(" ".join(inline.text.split()))
            links += inline.links
        elif token.type == "tr_close":
            rows.append(tuple(cells))
        index += 1
    text = "\n".join(" | ".join(row) for row in rows)
    blocks.append(Block("table", text, line, where, tuple(links), rows=tuple(rows)))
    return index


def _html_block(token: Token, line: int, where: tuple[str, ...], blocks: list[Block]) -> None:
    """An HTML block: its tables become ``table`` blocks, the rest one ``html`` block with its links."""
    found = scan_html(token.content)
    text = " ".join("".join(found.text).split())
    for table in found.tables:
        rows = tuple(tuple(row) for row in table if row)
        if rows:
            body = "\n".join(" | ".join(row) for row in rows)
            blocks.append(Block("table", body, line, where, tuple(found.links), rows=rows))
    links = found.links + _bare_links(text, found.links)
    blocks.append(Block("html", text, line, where, tuple(links), images=tuple(found.images)))
