"""Code-link sources and research domains in the census, on the hand-built folder of
:mod:`tests.reports.census_fixture` with a domain and a code_source given to each paper:

| paper | domain | code_source | parsed code base | frameworks |
| --- | --- | --- | --- | --- |
| P1 | vision | form | a/one | PyTorch |
| P2 | language | pdf | b/two#sub | PyTorch, TensorFlow, Keras |
| P3 | vision | text | c/three | PyTorch |
| P4 | vision | form | (drive link) | |
| P5 | language | (no code) | | |
| P6 | vision | form | b/two#sub again | PyTorch, TensorFlow, Keras |
| P7 | other | (no code) | | |
| P8 | vision | rejected: never counted | | |
| P9 | language | list | (not found) | |
| P10, P11, P12 | theory | pdf, form, form | none parsed | |

Vision: 4 accepted, 4 with code, 3 parsed (a/one, c/three, b/two#sub): PyTorch 3/3, TensorFlow 1/3.
Language: 3 accepted, 2 with code, 1 parsed (b/two#sub): PyTorch 1/1, TensorFlow 1/1. Theory: 3, 3, 0.
Other: 1, 0, 0. Sources among the 9 with code: form 5, text 1, pdf 2, list 1.
"""

from __future__ import annotations

import csv
from pathlib import Path

from reports.census.aggregate import summarize
from reports.census.intervals import wilson
from reports.census.load import load_tables
from reports.census.render import render_census
from tests.reports.census_fixture import write_census_folder

DOMAIN = {
    "f1": ("vision", "form"),
    "f2": ("language", "pdf"),
    "f3": ("vision", "text"),
    "f4": ("vision", "form"),
    "f5": ("language", ""),
    "f6": ("vision", "form"),
    "f7": ("other", ""),
    "f8": ("vision", "form"),
    "f9": ("language", "list"),
    "f10": ("theory", "pdf"),
    "f11": ("theory", "form"),
    "f12": ("theory", "form"),
}


def folder(tmp_path: Path) -> Path:
    directory = write_census_folder(tmp_path / "census")
    with (directory / "papers.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["domain"], row["code_source"] = DOMAIN[row["forum"]]
    with (directory / "papers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0].keys()])
        writer.writeheader()
        writer.writerows(rows)
    return directory


def test_sources_and_domains(tmp_path: Path) -> None:
    summary = summarize(load_tables(folder(tmp_path)), venue="V", generated_at="t", tool_version="0")
    assert summary.code_sources == {"form": 5, "text": 1, "pdf": 2, "list": 1}
    got = {
        row.domain: (
            row.accepted,
            row.with_code,
            row.parsed,
            row.frameworks["pytorch"],
            row.frameworks["tensorflow"],
        )
        for row in summary.domains
    }
    assert got == {
        "vision": (4, wilson(4, 4), 3, wilson(3, 3), wilson(1, 3)),
        "language": (3, wilson(2, 3), 1, wilson(1, 1), wilson(1, 1)),
        "theory": (3, wilson(3, 3), 0, wilson(0, 0), wilson(0, 0)),
        "other": (1, wilson(0, 1), 0, wilson(0, 0), wilson(0, 0)),
    }
    assert [row.domain for row in summary.domains] == ["vision", "language", "theory", "other"]


def test_the_report_shows_them(tmp_path: Path) -> None:
    directory = folder(tmp_path)
    render_census(directory, venue="V", tool_version="0", generated_at="t")
    markdown = (directory / "report.md").read_text()
    assert "| `pdf` | 2 | the paper's PDF (own code told from cited code) |" in markdown
    assert "pdf_links.csv" in markdown and "measures that column's coverage" in markdown
    assert (
        "| domain | accepted | with code [95% CI] | parsed | PyTorch [95% CI] | TensorFlow [95% CI] "
        "| Keras [95% CI] |" in markdown
    )
    vision, third = wilson(3, 3).percent(), wilson(1, 3).percent()
    assert f"| vision | 4 | 4 {wilson(4, 4).percent()} | 3 | 3 {vision} | 1 {third} | 1 {third} |" in markdown
    assert f"| theory | 3 | 3 {wilson(3, 3).percent()} | 0 | 0 — | 0 — | 0 — |" in markdown
    html = (directory / "report.html").read_text()
    assert "<h3>Frameworks by research domain</h3>" in html and "<td>vision</td>" in html
