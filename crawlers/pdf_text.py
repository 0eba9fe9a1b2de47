"""A paper's PDF → its text blocks and link annotations, with where on the page each one sits.

Where a link sits is half of the evidence that it points to the paper's own code (a footnote on the
first page, the end of the abstract) rather than to code the paper cites (the references), so the
text is kept as pdfminer.six's layout blocks (paragraphs, footnotes, headings), each with its page,
its vertical extent as a fraction of the page height and its largest font size. Link annotations
(hyperref's clickable URLs, and "code is available *here*" links whose URL is not in the text at
all) are kept with their rectangles.

A PDF is untrusted input from the crawled site: :func:`extract_isolated` parses it in a child
process with a memory limit and a time limit, so a malformed or hostile file costs at most that
and never the crawl. Nothing in a PDF is executed or followed.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Bumped whenever extraction changes, so cached extractions of an older version are redone.
EXTRACTOR_VERSION = 1

#: Pages read per PDF: the paper, its references and a long appendix; the rest is rarely about code.
MAX_PAGES = 60

#: Limits of the child process that parses one PDF.
MEMORY_LIMIT_MB = 1536
TIME_LIMIT_S = 90.0


class PdfUnreadable(Exception):
    """The file is not a PDF pdfminer can read (damaged, encrypted, too big to parse in the limits)."""


@dataclass(frozen=True)
class Block:
    """One text box: page (1-based), text, vertical extent (0 = bottom, 1 = top) and font size."""

    page: int
    text: str
    y0: float
    y1: float
    size: float


@dataclass(frozen=True)
class Annotation:
    """A link annotation: the URI it opens and its rectangle (fractions of the page size)."""

    page: int
    uri: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class PdfText:
    """Everything read from one PDF, in reading order (pdfminer's order of boxes within a page)."""

    pages: int
    blocks: list[Block] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    version: int = EXTRACTOR_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "pages": self.pages,
            "blocks": [asdict(block) for block in self.blocks],
            "annotations": [asdict(annotation) for annotation in self.annotations],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PdfText:
        return cls(
            pages=int(data["pages"]),
            blocks=[Block(**block) for block in data.get("blocks", [])],
            annotations=[Annotation(**a) for a in data.get("annotations", [])],
            version=int(data.get("version", 0)),
        )

    def page_blocks(self, page: int) -> list[Block]:
        return [block for block in self.blocks if block.page == page]


def extract(path: Path, *, max_pages: int = MAX_PAGES) -> PdfText:
    """Read ``path`` in this process (tests, and the child process of :func:`extract_isolated`)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextContainer
    from pdfminer.psexceptions import PSException

    blocks: list[Block] = []
    pages = 0
    try:
        for number, page in enumerate(extract_pages(str(path), laparams=LAParams(), maxpages=max_pages), 1):
            pages = number
            height = (page.y1 - page.y0) or 1.0
            for element in page:
                if not isinstance(element, LTTextContainer):
                    continue
                text = element.get_text().strip()
                if not text:
                    continue
                sizes = [char.size for line in element for char in line if isinstance(char, LTChar)]
                blocks.append(
                    Block(
                        page=number,
                        text=text,
                        y0=round((element.y0 - page.y0) / height, 4),
                        y1=round((element.y1 - page.y0) / height, 4),
                        size=round(max(sizes, default=0.0), 2),
                    )
                )
        annotations = _annotations(path, max_pages)
    except (PSException, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise PdfUnreadable(f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}") from exc
    if pages == 0:
        raise PdfUnreadable("no pages")
    return PdfText(pages=pages, blocks=blocks, annotations=annotations)


def _annotations(path: Path, max_pages: int) -> list[Annotation]:
    """URI link annotations of the first ``max_pages`` pages."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    found: list[Annotation] = []
    with path.open("rb") as handle:
        document = PDFDocument(PDFParser(handle))
        for number, page in enumerate(PDFPage.create_pages(document), 1):
            if number > max_pages:
                break
            x_min, y_min, x_max, y_max = (float(v) for v in page.mediabox)
            width, height = (x_max - x_min) or 1.0, (y_max - y_min) or 1.0
            for ref in resolve1(page.annots) or []:
                annotation = resolve1(ref)
                if not isinstance(annotation, dict):
                    continue
                action = resolve1(annotation.get("A"))
                uri = resolve1(action.get("URI")) if isinstance(action, dict) else None
                rect = resolve1(annotation.get("Rect"))
                if not isinstance(uri, bytes | str) or not isinstance(rect, list) or len(rect) != 4:
                    continue
                text = uri.decode("latin-1") if isinstance(uri, bytes) else uri
                x0, y0, x1, y1 = (float(resolve1(v)) for v in rect)
                found.append(
                    Annotation(
                        page=number,
                        uri=text.strip(),
                        x0=round((min(x0, x1) - x_min) / width, 4),
                        y0=round((min(y0, y1) - y_min) / height, 4),
                        x1=round((max(x0, x1) - x_min) / width, 4),
                        y1=round((max(y0, y1) - y_min) / height, 4),
                    )
                )
    return found


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    limit = MEMORY_LIMIT_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def extract_isolated(path: Path, *, timeout_s: float = TIME_LIMIT_S) -> PdfText:
    """:func:`extract` in a child process limited to ``MEMORY_LIMIT_MB`` and ``timeout_s``."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "crawlers.pdf_text", str(path)],
            capture_output=True,
            timeout=timeout_s,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PdfUnreadable(f"parsing took longer than {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        if "MemoryError" in reason:
            reason = f"parsing needed more than {MEMORY_LIMIT_MB} MB"
        raise PdfUnreadable(reason[:160])
    try:
        return PdfText.from_json(json.loads(done.stdout))
    except (ValueError, KeyError, TypeError) as exc:
        raise PdfUnreadable(f"the parser's answer could not be read: {exc}") from exc


def main(argv: list[str]) -> int:  # pragma: no cover - exercised through extract_isolated
    """``python -m crawlers.pdf_text FILE``: the extraction as JSON on stdout, or one error line."""
    try:
        text = extract(Path(argv[0]))
    except PdfUnreadable as exc:
        print(exc, file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(text.to_json()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
