"""PdfConf 2025: an API v2 venue with no code field, whose code links are only in the papers' PDFs.

The PDFs are written with fpdf2 and laid out as papers lay them out: a title block, an abstract, a
first-page footnote, body sections on several pages, a references section full of other people's
repositories, hyperlinks whose URL is not in the text. What each paper should give:

Paper by paper (number: where its own code is; what else it links → expected code_url):

1. Analytical Engines: page-1 footnote "Code is available at"; a baseline it builds on, 4 references
   → ada-lovelace/engines
2. Halting in Practice: "Code: ..." right after the abstract; numpy "we use", 3 references
   → halting-lab/halt
3. Compilers for Everyone: page 3 "Our implementation is available at" a monorepo folder; 2 references
   → big-org/monorepo, subpath projects/cobol
4. Shortest Paths Revisited: none; the official implementation it compares with, 3 references → none
5. Substitutability: page 2, no phrase, but the owner is the author (bliskov); 1 reference
   → bliskov/substitution
6. Symbolic Evaluation: "Our code is available here" with a link annotation only → gitlab lisp-group/eval
7. Text Links: in the note's abstract (code_source text), so its PDF is never asked for
8. Missing PDF: the server has none (404); 9. Broken PDF: bytes that start like a PDF but are not one
10. Rejected: its PDF is never asked for
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from fpdf import FPDF

PDFCONF = "PdfConf.cc/2025/Conference"
GH = "https://github.com/"


@dataclass
class Paper:
    """A paper as fpdf2 writes it: pages of (kind, text) items; kinds below."""

    title: str
    authors: list[str]
    abstract: str
    pages: list[list[tuple[str, Any]]] = field(default_factory=list)
    footnote: str = ""
    after_abstract: str = ""

    def pdf(self) -> bytes:
        doc = FPDF(format="letter")
        doc.set_auto_page_break(False)
        doc.set_margins(25, 25, 25)
        doc.add_page()
        self._line(doc, self.title, "B", 15, align="C")
        self._line(doc, ", ".join(self.authors), "", 11, align="C")
        doc.ln(6)
        self._line(doc, "Abstract", "B", 12, align="C")
        self._line(doc, self.abstract, "", 10)
        if self.after_abstract:
            self._line(doc, self.after_abstract, "", 10)
        doc.ln(6)
        self._items(doc, self.pages[0] if self.pages else [])
        if self.footnote:
            doc.set_y(-32)
            self._line(doc, self.footnote, "", 7)
        for page in self.pages[1:]:
            doc.add_page()
            self._items(doc, page)
        return bytes(doc.output())

    @staticmethod
    def _line(doc: FPDF, text: str, style: str, size: float, align: str = "L") -> None:
        doc.set_font("Helvetica", style, size)
        doc.multi_cell(0, size * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")

    def _items(self, doc: FPDF, items: list[tuple[str, Any]]) -> None:
        for kind, value in items:
            if kind == "heading":
                doc.ln(3)
                self._line(doc, value, "B", 12)
            elif kind == "text":
                self._line(doc, value, "", 10)
                doc.ln(2)
            elif kind == "reference":
                self._line(doc, value, "", 9)
            elif kind == "link":  # (before, anchor, uri, after): the URL is only in the annotation
                before, anchor, uri, after = value
                doc.set_font("Helvetica", "", 10)
                doc.write(5, before)
                doc.write(5, anchor, link=uri)
                doc.write(5, after)
                doc.ln(8)


def _filler(topic: str, n: int = 2) -> str:
    sentence = f"We study {topic} in detail and report results on standard benchmarks. "
    return sentence * n


def _references(*urls: str) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = [("heading", "References")]
    for i, url in enumerate(urls, 1):
        items.append(
            ("reference", f"[{i}] A. Researcher and B. Scholar. A cited method, number {i}. {url}, 2021.")
        )
    return items


PAPERS: list[tuple[int, str, Paper | bytes | None, dict[str, str]]] = [
    (
        1,
        PDFCONF,
        Paper(
            title="Analytical Engines",
            authors=["Ada Lovelace", "Charles Babbage"],
            abstract="We describe an engine for computing Bernoulli numbers and report its accuracy.",
            footnote="1 Code is available at https://github.com/ada-lovelace/engines.",
            pages=[
                [("heading", "1 Introduction"), ("text", _filler("engines"))],
                [
                    ("heading", "2 Method"),
                    (
                        "text",
                        "We build on the implementation of Menabrea et al. "
                        "(https://github.com/menabrea/notes) and extend it to larger tables.",
                    ),
                    *_references(
                        GH + "pytorch/pytorch",
                        GH + "numpy/numpy",
                        GH + "scipy/scipy",
                        GH + "babbage-fan/diff",
                    ),
                ],
            ],
        ),
        {},
    ),
    (
        2,
        PDFCONF,
        Paper(
            title="Halting in Practice",
            authors=["Alan Turing", "Alonzo Church"],
            abstract="We measure how often real programs halt.",
            after_abstract="Code: https://github.com/halting-lab/halt",
            pages=[
                [
                    ("heading", "1 Introduction"),
                    ("text", "For arrays we use the library at https://github.com/numpy/numpy throughout."),
                ],
                [
                    ("heading", "2 Results"),
                    ("text", _filler("halting")),
                    *_references(GH + "google/jax", GH + "huggingface/transformers", GH + "openai/gym"),
                ],
            ],
        ),
        {},
    ),
    (
        3,
        PDFCONF,
        Paper(
            title="Compilers for Everyone",
            authors=["Grace Hopper"],
            abstract="A compiler that reads English.",
            pages=[
                [("heading", "1 Introduction"), ("text", _filler("compilers"))],
                [("heading", "2 Design"), ("text", _filler("language design", 3))],
                [
                    ("heading", "3 Reproducibility"),
                    (
                        "text",
                        "Our implementation is available at "
                        "https://github.com/big-org/monorepo/tree/main/projects/cobol for everyone.",
                    ),
                    *_references(GH + "llvm/llvm-project", GH + "gcc-mirror/gcc"),
                ],
            ],
        ),
        {},
    ),
    (
        4,
        PDFCONF,
        Paper(
            title="Shortest Paths Revisited",
            authors=["Edsger Dijkstra"],
            abstract="We revisit shortest paths on large graphs.",
            pages=[
                [
                    ("heading", "1 Introduction"),
                    (
                        "text",
                        "We compare against the official implementation of Bellman and Ford at "
                        "https://github.com/bellman-ford/paths on road networks.",
                    ),
                ],
                [
                    *_references(
                        GH + "networkx/networkx", GH + "pyg-team/pytorch_geometric", GH + "snap-stanford/ogb"
                    )
                ],
            ],
        ),
        {},
    ),
    (
        5,
        PDFCONF,
        Paper(
            title="Substitutability",
            authors=["Barbara Liskov"],
            abstract="Subtypes must be substitutable for their base types.",
            pages=[
                [("heading", "1 Introduction"), ("text", _filler("types"))],
                [
                    ("heading", "5 Conclusion"),
                    (
                        "text",
                        "Everything needed to rerun the experiments: https://github.com/bliskov/substitution",
                    ),
                    *_references(GH + "python/mypy"),
                ],
            ],
        ),
        {},
    ),
    (
        6,
        PDFCONF,
        Paper(
            title="Symbolic Evaluation",
            authors=["John McCarthy"],
            abstract="Programs as lists, evaluated symbolically.",
            pages=[
                [
                    ("heading", "1 Introduction"),
                    ("text", _filler("evaluation")),
                    ("link", ("Our code is available ", "here", "https://gitlab.com/lisp-group/eval", ".")),
                ],
                [*_references(GH + "clojure/clojure")],
            ],
        ),
        {},
    ),
    (7, PDFCONF, None, {"abstract": "Our code: https://github.com/text-source/own"}),
    (8, PDFCONF, None, {}),
    (9, PDFCONF, b"%PDF-1.7\n% this is not really a PDF\n", {}),
    (10, f"{PDFCONF}/Rejected_Submission", None, {}),
]

TITLES = {
    7: "Text Links",
    8: "Missing PDF",
    9: "Broken PDF",
    10: "Rejected",
}

#: The code_url each accepted paper should get, by number ("" for none).
EXPECTED_CODE = {
    1: "https://github.com/ada-lovelace/engines",
    2: "https://github.com/halting-lab/halt",
    3: "https://github.com/big-org/monorepo/tree/main/projects/cobol",
    4: "",
    5: "https://github.com/bliskov/substitution",
    6: "https://gitlab.com/lisp-group/eval",
    7: "https://github.com/text-source/own",
    8: "",
    9: "",
}

#: Papers whose PDF the crawler must ask for (accepted, no link in the note's text).
PDF_FETCHED = (1, 2, 3, 4, 5, 6, 8, 9)


def forum_of(number: int) -> str:
    digest = hashlib.sha256(f"{PDFCONF}/{number}".encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:10])


def build() -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """The venue's v2 notes and the PDFs the server holds, by forum id."""
    notes, pdfs = [], {}
    for number, venueid, paper, extra in PAPERS:
        forum = forum_of(number)
        if isinstance(paper, Paper):
            data, title, authors = paper.pdf(), paper.title, paper.authors
        else:
            data, title, authors = paper, TITLES[number], ["Test Author"]
        if data is not None:
            pdfs[forum] = data
        accepted = venueid == PDFCONF
        content = {
            "title": title,
            "authors": authors,
            "keywords": ["testing"],
            "abstract": paper.abstract if isinstance(paper, Paper) else "A paper.",
            "venueid": venueid,
            "venue": "PdfConf 2025 poster" if accepted else "Submitted to PdfConf 2025",
            "pdf": f"/pdf/{hashlib.sha1(data or forum.encode()).hexdigest()}.pdf",
            **extra,
        }
        notes.append(
            {
                "id": forum,
                "forum": forum,
                "number": number,
                "invitations": [f"{PDFCONF}/-/Submission", f"{PDFCONF}/-/Edit"],
                "domain": PDFCONF,
                "readers": ["everyone"],
                "signatures": [f"{PDFCONF}/Submission{number}/Authors"],
                "content": {key: {"value": value} for key, value in content.items()},
            }
        )
    return notes, pdfs
