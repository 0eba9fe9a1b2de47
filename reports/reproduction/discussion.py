"""The discussion a person writes: ``discussion.md`` in the output folder, kept on every re-render.

The generated report can state numbers; only the people who ran the reproduction can say what was
easy, what was difficult and what the authors answered (the ML Reproducibility Challenge's
discussion). They write it in ``discussion.md`` next to the report; ``audit report DIR`` puts it
into the Discussion section of report.md and report.html and never touches the file.

- Optional YAML front matter (between ``---`` lines) names the report's authors for its citation:
  ``authors`` (list of names), ``year`` (integer), ``url`` (where the report is published).
- Its headings are moved two levels down (``#`` becomes a sub-heading of the Discussion section).
- In HTML, raw HTML is escaped (markdown-it's ``html`` option off: no script reaches a published
  page) and links are only those markdown-it validates (no ``javascript:``). Images that are files
  inside the folder are embedded as data URIs so the page stays self-contained; any other image
  becomes a plain reference, never a request for a remote or missing file.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reports.reproduction.identity import ReportInputError

DISCUSSION_FILE = "discussion.md"
#: the report's Discussion section is a level-2 heading: the user's level 1 becomes level 3.
HEADING_SHIFT = 2
FRONT_MATTER_KEYS = ("authors", "year", "url")
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
MAX_IMAGE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Discussion:
    """The user's discussion, ready for both templates; ``present`` False when there is no file."""

    present: bool = False
    markdown: str = ""
    html: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    url: str = ""
    #: images that could not be embedded (not a file inside the folder, wrong type, too large).
    skipped_images: tuple[str, ...] = field(default_factory=tuple)


def read_discussion(out_dir: Path) -> Discussion:
    """Read and render ``out_dir/discussion.md``; raises :class:`ReportInputError` for a bad file."""
    out_dir = Path(out_dir)
    path = out_dir / DISCUSSION_FILE
    if not path.exists():
        return Discussion()
    if not path.is_file():
        raise ReportInputError(f"{path} is not a regular file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReportInputError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    meta, body = split_front_matter(text, path)
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    tokens = parser.parse(body)
    skipped: list[str] = []
    _shift_headings(tokens)
    _embed_images(tokens, out_dir, skipped)
    html = parser.renderer.render(tokens, parser.options, {})
    return Discussion(
        present=True,
        markdown=shift_markdown_headings(body, parser).strip() + "\n",
        html=html,
        skipped_images=tuple(skipped),
        **meta,
    )


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """The validated front matter (authors, year, url) and the Markdown body after it."""
    match = re.match(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", text, flags=re.S | re.M)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ReportInputError(
            f"{path}: the front matter is not YAML ({' '.join(str(exc).split())})"
        ) from exc
    if not isinstance(data, dict):
        raise ReportInputError(f"{path}: the front matter must be a mapping (authors, year, url)")
    unknown = sorted(str(k) for k in data if k not in FRONT_MATTER_KEYS)
    if unknown:
        raise ReportInputError(
            f"{path}: unknown front matter key(s) {', '.join(unknown)}; known: {', '.join(FRONT_MATTER_KEYS)}"
        )
    meta: dict[str, Any] = {}
    authors = data.get("authors", [])
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) and a.strip() for a in authors):
        raise ReportInputError(f"{path}: front matter 'authors' must be a list of names")
    meta["authors"] = tuple(a.strip() for a in authors)
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1900 < year < 3000):
        raise ReportInputError(f"{path}: front matter 'year' must be a year such as 2025, not {year!r}")
    meta["year"] = year
    url = data.get("url") or ""
    if not isinstance(url, str) or (url and not re.match(r"https?://[^\s\"'<>]+$", url)):
        raise ReportInputError(f"{path}: front matter 'url' must be an http(s) link")
    meta["url"] = url
    return meta, text[match.end() :]


def _shift_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_SHIFT)}"


def shift_markdown_headings(body: str, parser: MarkdownIt) -> str:
    """The Markdown with every real heading (as the parser sees them: not ``#`` lines inside code
    blocks) rewritten as an ATX heading two levels down; setext underlines are dropped."""
    lines = body.splitlines()
    tokens = parser.parse(body)
    for i, token in enumerate(tokens):
        # only top-level headings: one inside a list or quote keeps its line (and its markers)
        if token.type != "heading_open" or token.map is None or token.level != 0:
            continue
        start, end = token.map
        level = min(6, int(token.tag[1]) + HEADING_SHIFT)
        lines[start] = "#" * level + " " + tokens[i + 1].content
        for j in range(start + 1, end):
            lines[j] = "\0"  # a setext underline; removed below
    return "\n".join(line for line in lines if line != "\0")


def _embed_images(tokens: list[Token], out_dir: Path, skipped: list[str]) -> None:
    """Images that are files inside the folder become data URIs; others become their alt text."""
    root = out_dir.resolve()
    for token in tokens:
        for i, child in enumerate(token.children or []):
            if child.type != "image":
                continue
            src = str(child.attrGet("src") or "")
            data_uri = _data_uri(root, src)
            if data_uri:
                child.attrSet("src", data_uri)
                continue
            skipped.append(src)
            alt = "".join(c.content for c in child.children or []) or src
            text = Token("text", "", 0)
            text.content = f"[image not embedded: {alt}]"
            token.children[i] = text  # type: ignore[index]


def _data_uri(root: Path, src: str) -> str | None:
    if not src or re.match(r"[a-z][a-z0-9+.-]*:", src, flags=re.I) or src.startswith("/"):
        return None  # remote, data: or absolute: nothing is fetched or read from outside the folder
    candidate = root / src
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    kind = IMAGE_TYPES.get(resolved.suffix.lower())
    if (
        kind is None
        or candidate.is_symlink()
        or not resolved.is_relative_to(root)
        or not resolved.is_file()
        or resolved.stat().st_size > MAX_IMAGE_BYTES
    ):
        return None
    return f"data:{kind};base64," + base64.b64encode(resolved.read_bytes()).decode("ascii")
