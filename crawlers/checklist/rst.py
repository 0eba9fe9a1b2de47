"""reStructuredText READMEs through docutils, as the same :class:`~.document.Document` as Markdown.

docutils is told to touch nothing outside the text it is given: no ``include``, ``raw`` or file/URL
options of ``csv-table`` (``file_insertion_enabled``, ``raw_enabled``), no configuration files from the
current folder (``_disable_config``), no syntax highlighting, and no messages on stderr. Unknown
(e.g. Sphinx-only) directives become system messages, which are skipped.
"""

from __future__ import annotations

import io

from docutils import nodes
from docutils.core import publish_doctree

from crawlers.checklist.document import Block, Document, Link, _bare_links

SETTINGS = {
    "report_level": 5,
    "halt_level": 5,
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "_disable_config": True,
    "syntax_highlight": "none",
    "doctitle_xform": False,
    "sectsubtitle_xform": False,
}


def _line(node: nodes.Node) -> int:
    """The first line of ``node`` (docutils records the last line for literal blocks)."""
    line = getattr(node, "line", None)
    if isinstance(node, nodes.literal_block) and line:
        return max(1, int(line) - node.astext().count("\n"))
    if isinstance(node, nodes.title) and line:
        return max(1, int(line) - 1)  # docutils records the underline's line
    current: nodes.Node | None = node
    while current is not None and not getattr(current, "line", None):
        current = current.parent
    return int(getattr(current, "line", 0) or 0)


def _links(node: nodes.Element) -> list[Link]:
    found = [
        Link(ref.astext(), str(ref.get("refuri")))
        for ref in node.findall(nodes.reference)
        if ref.get("refuri")
    ]
    return found + _bare_links(node.astext(), found)


def _inside(node: nodes.Node, kinds: tuple[type, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, kinds):
            return True
        parent = parent.parent
    return False


def _titles(node: nodes.Node) -> tuple[str, ...]:
    titles: list[str] = []
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.section) and parent.children and isinstance(parent[0], nodes.title):
            titles.append(" ".join(parent[0].astext().split()))
        parent = parent.parent
    return tuple(reversed(titles))


def parse_rst(text: str, path: str) -> Document:
    """Blocks of a reStructuredText README; a document docutils cannot read yields no blocks."""
    settings = dict(SETTINGS, warning_stream=io.StringIO())
    try:
        tree = publish_doctree(text, source_path=path, settings_overrides=settings)
    except Exception:  # docutils raises SystemMessage/other errors on hostile input; parse nothing
        return Document(path, "rst", ())
    blocks: list[Block] = []
    skip = (nodes.system_message, nodes.table)
    for node in tree.findall(nodes.Element):
        if _inside(node, (nodes.system_message,)) or isinstance(node, nodes.system_message):
            continue
        where = _titles(node)
        if isinstance(node, nodes.title) and isinstance(node.parent, nodes.section):
            blocks.append(Block("heading", " ".join(node.astext().split()), _line(node), where[:-1]))
        elif isinstance(node, nodes.paragraph) and not _inside(node, skip):
            kind = "list_item" if _inside(node, (nodes.list_item,)) else "paragraph"
            spans = tuple(lit.astext() for lit in node.findall(nodes.literal))
            images = tuple(str(img.get("uri", "")) for img in node.findall(nodes.image))
            blocks.append(
                Block(
                    kind,
                    node.astext(),
                    _line(node),
                    where,
                    tuple(_links(node)),
                    code_spans=spans,
                    images=images,
                )
            )
        elif isinstance(node, nodes.literal_block) and not _inside(node, (nodes.table,)):
            classes = [c for c in node.get("classes", []) if c != "code"]
            blocks.append(Block("code", node.astext() + "\n", _line(node), where, info=" ".join(classes)))
        elif isinstance(node, nodes.table):
            rows = tuple(
                tuple(" ".join(entry.astext().split()) for entry in row.findall(nodes.entry))
                for row in node.findall(nodes.row)
            )
            body = "\n".join(" | ".join(row) for row in rows)
            blocks.append(Block("table", body, _line(node), where, tuple(_links(node)), rows=rows))
        elif isinstance(node, nodes.image) and not _inside(node, (nodes.paragraph,)):
            blocks.append(Block("paragraph", "", _line(node), where, images=(str(node.get("uri", "")),)))
    return Document(path, "rst", tuple(blocks))
