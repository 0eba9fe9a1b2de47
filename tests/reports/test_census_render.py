"""Rendering a census folder: every output file, a self-contained HTML, valid reproducible figures."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from reports.census.render import OUTPUTS, render_census
from reports.census.wordcloud import bundled_font
from tests.reports.census_fixture import GH, VENUE, write_census_folder

FIGURES = ("top_tools.png", "frameworks.png", "wordcloud.png")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_census_folder(tmp_path_factory.mktemp("render") / "census")
    render_census(folder, venue=VENUE, tool_version="9.9", top_n=3, generated_at="2020-05-01T00:00:00+00:00")
    return folder


def test_every_output_is_written(rendered: Path) -> None:
    for name in OUTPUTS:
        assert (rendered / name).is_file(), name
        assert (rendered / name).stat().st_size > 0, name
    assert not list(rendered.glob(".*tmp*")), "temporary files left behind"


def test_figures_are_valid_pngs(rendered: Path) -> None:
    for name in FIGURES:
        with Image.open(rendered / name) as image:
            image.verify()
        with Image.open(rendered / name) as image:
            assert image.format == "PNG"
            width, height = image.size
            assert width > 100 and height > 100
    with Image.open(rendered / "wordcloud.png") as image:
        assert image.size == (1000, 500)


def test_census_json_headline_numbers(rendered: Path) -> None:
    doc = json.loads((rendered / "census.json").read_text())
    assert set(doc) == {
        "schema_version",
        "venue",
        "generated_at",
        "tool",
        "papers",
        "hosts",
        "host_kinds",
        "repositories",
        "frameworks",
        "framework_co_use",
        "multiple_frameworks",
        "no_framework",
        "packages",
        "signals",
        "domains",
        "baseline",
        "coverage",
        "crawl",
        "sources",
        "primary_frameworks",
        "resolutions",
        "baseline_disagreements",
        "checklist",
    }
    assert doc["crawl"] is None  # no crawl.json in this folder
    assert doc["checklist"] is None  # no checklist.csv in this folder
    assert doc["hosts"] == {"github.com": 8, "drive.google.com": 1}
    assert doc["host_kinds"] == {"GitHub": 8, "Google Drive": 1}
    assert doc["venue"] == VENUE
    assert doc["tool"] == {"name": "audit", "version": "9.9"}
    assert doc["papers"]["submitted"] == 12
    assert doc["papers"]["accepted"] == 11
    assert (doc["papers"]["with_code"]["k"], doc["papers"]["with_code"]["n"]) == (9, 11)
    assert doc["repositories"] == {
        "distinct": 7,
        "cloned": 4,
        "code_bases": 4,
        "parsed": 3,
        "status": {"ok": 4, "not_found": 1, "too_large": 1, "not_attempted": 1},
        "not_parsed": {"not_found": 1, "too_large": 1, "not_attempted": 1, "no_dependencies_found": 1},
    }
    assert [(t["package"], t["code_bases"]) for t in doc["packages"]["top"]] == [
        ("numpy", 3),
        ("torch", 3),
        ("keras", 1),
    ]
    assert doc["packages"]["unique"] == 6
    assert doc["framework_co_use"][0] == {"frameworks": ["pytorch", "tensorflow"], "code_bases": 1}
    assert doc["baseline"] == []  # the published census is about ICLR 2020 only


def test_sources_trace_numbers_to_files(rendered: Path) -> None:
    doc = json.loads((rendered / "census.json").read_text())
    assert doc["sources"]["papers.csv"]["rows"] == 12
    assert doc["sources"]["dependencies.csv"]["rows"] == 17
    assert doc["sources"]["repo_signals.csv"]["rows"] == 5
    digest = hashlib.sha256((rendered / "repos.csv").read_bytes()).hexdigest()
    assert doc["sources"]["repos.csv"] == {"rows": 7, "sha256": digest}


def test_html_is_self_contained(rendered: Path) -> None:
    html = (rendered / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    sources = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"<link\b|<script\b|@import|url\(", html)
    assert "<style>" in html


def test_markdown_and_html_carry_the_numbers(rendered: Path) -> None:
    md = (rendered / "report.md").read_text()
    html = (rendered / "report.html").read_text()
    for text in (md, html):
        assert "81.8% [52.3, 94.9]" in text  # 9 of 11 with code
        assert "85.7% [48.7, 97.4]" in text  # posters 6 of 7
        assert "not found (deleted, private or renamed)" in text
        assert "PyTorch and TensorFlow" in text
        assert "Not found in any parsed code base: JAX, MXNet, Theano, Chainer, PaddlePaddle." in text
        assert "Methods" in text
    assert "| 1 | numpy | 3 | 100.0% |" in md
    assert "| Ships a Dockerfile or a conda environment file | 2 / 4 | 50.0% [15.0, 85.0] |" in md
    assert "![Top 3 packages](top_tools.png)" in md


def test_baseline_comparison_for_iclr_2020(tmp_path: Path) -> None:
    folder = write_census_folder(tmp_path / "iclr")
    render_census(folder, venue="ICLR.cc/2020/Conference", tool_version="0", top_n=3)
    doc = json.loads((folder / "census.json").read_text())
    rows = {row["key"]: row for row in doc["baseline"]}
    assert [r["key"] for r in doc["baseline"]] == [
        "accepted",
        "with_code",
        "github_links",
        "parsed",
        "pytorch",
        "tensorflow",
        "keras",
    ]
    assert rows["with_code"]["published"] == 344
    assert rows["with_code"]["this_census"] == 9
    assert rows["with_code"]["difference"] == 9 - 344
    assert rows["tensorflow"]["published"] == 95
    assert "| Accepted papers | 687 | 11 | -676 |" in (folder / "report.md").read_text()


def test_rerender_gives_identical_figures(tmp_path: Path, rendered: Path) -> None:
    again = write_census_folder(tmp_path / "again")
    render_census(again, venue=VENUE, tool_version="9.9", top_n=3, generated_at="2020-05-01T00:00:00+00:00")
    for name in (*FIGURES, "census.json", "report.md", "report.html"):
        assert (again / name).read_bytes() == (rendered / name).read_bytes(), name


def test_wordcloud_font_ships_with_the_package() -> None:
    font = bundled_font()
    assert font.is_file()
    assert "site-packages" in font.parts or "dist-packages" in font.parts or font.parent.name == "wordcloud"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_audit_report_rerenders_a_census_folder(tmp_path: Path) -> None:
    folder = write_census_folder(tmp_path / "cli")
    result = run_cli("report", str(folder))
    assert result.returncode == 0, result.stderr
    for name in OUTPUTS:
        assert (folder / name).is_file(), name
    doc = json.loads((folder / "census.json").read_text())
    assert doc["venue"] == "cli"  # no step log and no earlier census.json: the folder's name
    assert doc["packages"]["top_n"] == 20
    assert len(doc["packages"]["top"]) == 6

    (folder / "dependencies.csv").unlink()
    result = run_cli("report", str(folder))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "dependencies.csv is missing: run `audit deps" in lines[0]


def test_low_coverage_opens_the_report_with_a_banner(rendered: Path) -> None:
    """4 of the 7 repositories were cloned (57% < 80%): the shares describe those 4; the report says so."""
    doc = json.loads((rendered / "census.json").read_text())
    warning = (
        "Only 4 of 7 repositories (57%) could be cloned (1 not found, 1 larger than the size limit, "
        "1 not in repos.csv): the framework, package and signal numbers below describe those 4 only, "
        "not the venue."
    )
    assert doc["coverage"] == {"cloned": 4, "distinct": 7, "share": 4 / 7, "low": True, "warning": warning}
    markdown = (rendered / "report.md").read_text()
    assert f"> **Incomplete census.** {warning}" in markdown
    assert markdown.index("Incomplete census") < markdown.index("## Papers")
    html = (rendered / "report.html").read_text()
    assert '<p class="banner" role="alert"><strong>Incomplete census.</strong>' in html
    assert html.index("Incomplete census") < html.index('<div class="headline">')


def test_full_coverage_has_no_banner(tmp_path: Path) -> None:
    folder = write_census_folder(tmp_path / "full")
    repos = (folder / "repos.csv").read_text().replace("not_found", "ok").replace("too_large", "ok")
    (folder / "repos.csv").write_text(repos + f"{GH}g/seven,ok,{'9' * 40},1,1,false,,\n")
    render_census(folder, venue=VENUE, tool_version="9.9", top_n=3, generated_at="2020-05-01T00:00:00+00:00")
    doc = json.loads((folder / "census.json").read_text())
    assert (doc["coverage"]["cloned"], doc["coverage"]["distinct"], doc["coverage"]["low"]) == (7, 7, False)
    assert doc["coverage"]["warning"] == ""
    assert "Incomplete census" not in (folder / "report.md").read_text()
    assert "banner" not in (folder / "report.html").read_text().split("</style>")[1]
