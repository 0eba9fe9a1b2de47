"""The census report's checklist sections from a hand-written checklist.csv (numbers worked out below).

Scored code bases of accepted papers (the fixture of tests/reports/census_fixture.py):

| code base | tier | frameworks | dep | train | eval | pre | res | met |
| --- | --- | --- | --- | --- | --- | --- | --- | ---: |
| a/one | poster | PyTorch | yes | yes | yes | no | yes | 4 |
| b/two (sub) | poster | PyTorch, TensorFlow, Keras | yes | yes | unclear | yes | no | 3 |
| c/three | spotlight | PyTorch | no | yes | no | no | no | 1 |
| e/five | talk | none | no | no | no | no | no | 0 |

g/seven (accepted, checkout missing) is not scored; r/rej (rejected) and z/other (no paper) are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from crawlers.checklist.table import COLUMNS
from reports.census.checklist import blob_url, safe_link
from reports.census.render import render_census
from tests.reports.census_fixture import GH, VENUE, write_census_folder, write_csv

ITEMS = ("dependencies", "training", "evaluation", "pretrained", "results")
A = "a" * 40


def checklist_row(url: str, sub: str, status: str, verdicts: tuple[str, ...], **extra: str) -> list[str]:
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(repo_url=url, repo_subpath=sub, status=status, commit=A if url.endswith("a/one") else "")
    for item, value in zip(ITEMS, verdicts, strict=False):
        cells[item] = value
        if value == "yes":
            cells[f"{item}_file"] = "README.md:3"
    cells["n_yes"] = str(sum(v == "yes" for v in verdicts))
    cells.update(extra)
    return [cells[c] for c in COLUMNS]


ROWS = [
    checklist_row(GH + "a/one", "", "ok", ("yes", "yes", "yes", "no", "yes"), training_file="train.py:12"),
    checklist_row(
        GH + "b/two",
        "sub",
        "ok",
        ("yes", "yes", "unclear", "yes", "no"),
        pretrained_link="javascript:alert(1)",
    ),
    checklist_row(GH + "c/three", "", "ok", ("no", "yes", "no", "no", "no")),
    checklist_row(GH + "e/five", "", "ok", ("no", "no", "no", "no", "no")),
    checklist_row(GH + "g/seven", "", "missing_checkout", ()),
    checklist_row(GH + "r/rej", "", "ok", ("yes",) * 5),
    checklist_row(GH + "z/other", "", "ok", ("yes",) * 5),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = write_census_folder(tmp_path_factory.mktemp("census"))
    write_csv(directory / "checklist.csv", COLUMNS, ROWS)
    render_census(directory, venue=VENUE, tool_version="t", generated_at="2020-01-01T00:00:00+00:00")
    return directory


def share(p: dict) -> tuple[int, int]:
    return p["k"], p["n"]


def test_census_json_checklist_numbers(folder: Path) -> None:
    doc = json.loads((folder / "census.json").read_text())["checklist"]
    assert doc["code_bases"] == 4
    assert doc["not_scored"] == {"missing_checkout": 1}
    assert {k: share(p) for k, p in doc["items"].items()} == {
        "dependencies": (2, 4),
        "training": (3, 4),
        "evaluation": (1, 4),
        "pretrained": (1, 4),
        "results": (1, 4),
    }
    low, high = proportion_confint(3, 4, alpha=0.05, method="wilson")
    assert doc["items"]["training"]["ci_low"] == pytest.approx(low, abs=1e-12)
    assert doc["items"]["training"]["ci_high"] == pytest.approx(high, abs=1e-12)
    assert doc["unclear"] == {
        "dependencies": 0,
        "training": 0,
        "evaluation": 1,
        "pretrained": 0,
        "results": 0,
    }
    assert doc["no"] == {"dependencies": 2, "training": 1, "evaluation": 2, "pretrained": 3, "results": 3}
    assert share(doc["all_five"]) == (0, 4) and doc["mean_items_met"] == 2.0
    assert [(d["items_met"], d["k"]) for d in doc["distribution"]] == [
        (0, 1),
        (1, 1),
        (2, 0),
        (3, 1),
        (4, 1),
        (5, 0),
    ]
    tiers = {
        t: (g["code_bases"], g["mean_items_met"], share(g["items"]["evaluation"]))
        for t, g in doc["by_tier"].items()
    }
    assert tiers == {"poster": (2, 3.5, (1, 2)), "spotlight": (1, 1.0, (0, 1)), "talk": (1, 0.0, (0, 1))}
    frameworks = {
        k: (g["code_bases"], share(g["items"]["dependencies"])) for k, g in doc["by_framework"].items()
    }
    assert frameworks == {
        "pytorch": (3, (2, 3)),
        "tensorflow": (1, (1, 1)),
        "keras": (1, (1, 1)),
        "none": (1, (0, 1)),
    }
    assert doc["by_framework"]["pytorch"]["mean_items_met"] == pytest.approx(8 / 3, abs=1e-3)
    assert doc["by_domain"] is None  # papers.csv has no domain column
    sources = json.loads((folder / "census.json").read_text())["sources"]
    assert sources["checklist.csv"]["rows"] == len(ROWS)


def test_breakdown_by_domain_when_papers_csv_has_one(tmp_path: Path) -> None:
    directory = write_census_folder(tmp_path / "c")
    papers = (directory / "papers.csv").read_text().splitlines()
    domains = ["vision", "nlp", "vision", "", "", "", "", "", "", "rl", "", ""]
    lines = [papers[0] + ",domain"] + [f"{line},{d}" for line, d in zip(papers[1:], domains, strict=True)]
    (directory / "papers.csv").write_text("\n".join(lines) + "\n")
    write_csv(directory / "checklist.csv", COLUMNS, ROWS)
    render_census(directory, venue=VENUE, tool_version="t")
    doc = json.loads((directory / "census.json").read_text())["checklist"]["by_domain"]
    assert {d: g["code_bases"] for d, g in doc.items()} == {"vision": 2, "nlp": 1, "rl": 1}
    assert "### By research domain" in (directory / "report.md").read_text()


def test_markdown_per_repository_table_links_to_the_evidence(folder: Path) -> None:
    text = (folder / "report.md").read_text()
    assert "## ML Code Completeness Checklist" in text
    assert "| Training code | 3 | 75.0% [30.1, 95.4] | 0 | 1 |" in text
    base = f"https://github.com/a/one/blob/{A}"
    assert f"| a/one | poster | 4 | [yes]({base}/README.md#L3) | [yes]({base}/train.py#L12) |" in text
    assert (
        "| b/two/sub | poster | 3 | yes `README.md:3` | yes `README.md:3` | unclear | "
        "yes `README.md:3` | no |" in text
    )
    assert "r/rej" not in text and "z/other" not in text


def test_html_links_evidence_but_never_unsafe_urls(folder: Path) -> None:
    html = (folder / "report.html").read_text()
    assert f'href="https://github.com/a/one/blob/{A}/train.py#L12"' in html
    assert "javascript:" not in html
    assert html.count('class="v-yes"') == 4 + 3 + 1 + 0


def test_blob_links_only_for_known_forges_and_safe_links_only_for_http() -> None:
    assert (
        blob_url(GH + "o/r", "c" * 40, "nb.ipynb:cell3") == f"https://github.com/o/r/blob/{'c' * 40}/nb.ipynb"
    )
    assert (
        blob_url("https://gitlab.com/g/s/r", "c1", "a b.py:7")
        == "https://gitlab.com/g/s/r/-/blob/c1/a%20b.py#L7"
    )
    assert blob_url("https://example.org/o/r", "c1", "a.py:1") == ""
    assert blob_url(GH + "o/r", "", "a.py:1") == ""
    assert safe_link("https://drive.google.com/x") == "https://drive.google.com/x"
    assert safe_link("javascript:alert(1)") == "" and safe_link("data:text/html,x") == ""


def test_a_checklist_csv_without_its_columns_is_a_one_line_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    directory = write_census_folder(tmp_path / "c")
    (directory / "checklist.csv").write_text("repo_url,whatever\nhttps://github.com/a/one,1\n")
    result = subprocess.run(
        [sys.executable, "-m", "audit", "report", str(directory)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: checklist.csv lacks the column(s) status, dependencies, training, evaluation, pretrained, "
        "results; rerun `audit checklist` on this folder"
    )
