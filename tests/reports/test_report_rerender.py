"""`audit report DIR` on a reproduction folder: byte-identical re-renders, the user's discussion kept,
the paper named, exit codes for a broken pre-registration and for bad report inputs."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from audit.cli import main
from reports.reproduction import FIGURE_FILES, REPORT_JSON, write_verdicts_and_report
from tests.reports.repro_folder import make_folder
from tests.reports.test_reproduction_verdicts import CLAIMS, EXPECTED

OUTPUTS = ("verdicts.csv", "report.md", "report.html", REPORT_JSON, *FIGURE_FILES.values())
DISCUSSION = """---
authors: [Jane Q. Public]
year: 2026
---
# What was easy

The synthetic runs were easy to rerun.
"""


def cli(args: list[str], capsys) -> tuple[int, list[str], str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    return int(info.value.code), captured.out.splitlines(), captured.err


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder with a discussion, rendered once as the pipeline does."""
    out = make_folder(tmp_path_factory.mktemp("rerender") / "TEST-paper")
    (out / "discussion.md").write_text(DISCUSSION)
    write_verdicts_and_report(out)
    return out


def test_rerender_is_byte_identical_and_keeps_the_discussion(folder, capsys):
    first = {name: (folder / name).read_bytes() for name in OUTPUTS}
    code, out, err = cli(["report", str(folder)], capsys)
    assert code == 0, err
    assert out[-1] == str(folder / "report.html")
    # the paper's claims as test_reproduction_verdicts derives them, the registry's controls apart
    claims = [EXPECTED[c.id] for c in CLAIMS if c.role != "control"]
    controls = [EXPECTED[c.id] for c in CLAIMS if c.role == "control"]
    assert (claims.count("reproduced"), claims.count("not_reproduced"), controls) == (11, 6, ["reproduced"])
    assert out[-2].startswith(
        "TEST paper, 5 seeds: not reproduced (11 reproduced, 6 not reproduced, 4 inconclusive, "
        "1 not applicable; controls: 1 reproduced, 0 not reproduced, 0 inconclusive); next: "
    )
    assert {name: (folder / name).read_bytes() for name in OUTPUTS} == first
    assert (folder / "discussion.md").read_text() == DISCUSSION  # never rewritten
    md, html = first["report.md"].decode(), first["report.html"].decode()
    assert "## 4. Discussion\n\n### What was easy\n\nThe synthetic runs were easy to rerun." in md
    assert "<h3>What was easy</h3>\n<p>The synthetic runs were easy to rerun.</p>" in html
    assert "No discussion written yet" not in md
    # the front matter's authors and year go into the report's citation
    assert 'author = "Public, Jane Q."' in md and 'year = "2026"' in md


def test_pngs_carry_no_metadata(folder):
    for name in FIGURE_FILES.values():
        data = (folder / name).read_bytes()
        assert b"tEXt" not in data and b"iTXt" not in data and b"matplotlib" not in data
        assert mpimg.imread(folder / name).ndim == 3


def test_the_report_names_the_paper(folder):
    md = (folder / "report.md").read_text()
    html = (folder / "report.html").read_text()
    assert md.startswith(
        "# Reproduction of “A {Test} Paper: 50% & More”\n\n"
        "Ada Lovelace, Alan M. Turing and Grace Hopper, ICLR 2019\n"
    )
    assert "[OpenReview TEST](https://openreview.net/forum?id=TEST)" in md
    assert "[arXiv 1901.00001](https://arxiv.org/abs/1901.00001)" in md
    assert "authors' code: <https://github.com/example/test-paper>" in md
    assert "<h1>Reproduction of “A {Test} Paper: 50% &amp; More”</h1>" in html
    assert '<a href="https://github.com/example/test-paper">authors\' code</a>' in html


def test_per_seed_table_states_constant_columns_once(folder):
    md = (folder / "report.md").read_text()
    assert (
        "Every run: model lenet_300_100; dataset mnist; round 0; test loss 0.0700; "
        "iterations 1000; wall time (s) 10.0; device cpu.\n"
    ) in md
    # the early-stopping iteration varies by arm and seed (EARLY_STOP), so it is a column
    head = (
        "| seed | arm | target sparsity | measured sparsity | test acc. (%) | early stop (iter.) | state |\n"
    )
    assert head in md and "early-stopping iteration" not in md.split(head)[0].rsplit("Every run", 1)[1]
    assert (
        "| 0 | dense | 0.0000 | 0.0000 | 98.00 | 1000 | dense-0. |" in md
    )  # state hashes cut to 8 characters
    assert "| 1 | dense | 0.0000 | 0.0000 | 98.20 | 900 | dense-0. |" in md


def test_not_applicable_claims_show_no_p_values(folder):
    md = (folder / "report.md").read_text()
    judged = md.split("### 3.1 Claims judged under this protocol", 1)[1].split("### 3.2", 1)[0]
    assert "| quick-only" not in judged
    not_judged = md.split("### 3.2 Claims not judged under this protocol", 1)[1].split("![", 1)[0]
    assert "| quick-only | quick | 90.00 | 98.20 ± 0.14 (5) |" in not_judged
    assert "p for" not in not_judged and "<0.001" not in not_judged


def test_provenance_says_each_fact_once(folder):
    md = (folder / "report.md").read_text()
    provenance = md.split("## 5. Provenance", 1)[1].split("## Cite this report", 1)[0]
    lines = [line for line in provenance.splitlines() if line.startswith("- ")]
    assert [line.split(":", 1)[0] for line in lines] == [
        "- Claims (SHA-256 of claims.json's claims)",
        "- Pre-registration",
        "- Code",
        "- Runner",
        "- Device",
        "- Python and platform",
        "- Packages",
        "- Determinism",
        "- Seeds with results",
        "- Model states",
    ]
    assert "- Device: AMD EPYC 7B13 (cpu, asked for auto)" in lines
    assert "- Code: audit 0.1.0, commit abc1234def5678" in lines
    assert provenance.count("abc1234def5678") == 1 and provenance.count("x86_64") == 1  # platform only


def test_an_edited_claims_json_exits_1_unless_rejudged(tmp_path, capsys):
    folder = make_folder(tmp_path / "f", per_class=False)
    body = json.loads((folder / "claims.json").read_text())
    body["claims"][0]["reported"] = 98.2
    (folder / "claims.json").write_text(json.dumps(body))
    code, out, err = cli(["report", str(folder)], capsys)
    assert code == 1 and out == []
    assert err.count("\n") == 1 and err.startswith("error: ") and "pass --rejudge" in err
    assert "Broken pre-registration" in (folder / "report.md").read_text()  # the report says so

    code, out, err = cli(["report", str(folder), "--rejudge"], capsys)
    assert code == 0, err
    assert out[-2].startswith("re-judged changed claims: TEST paper, 5 seeds:")
    md = (folder / "report.md").read_text()
    assert "Claims changed, re-judged on purpose" in md and "Broken pre-registration" not in md


def test_rejudge_is_for_reproductions_only(tmp_path, capsys):
    (tmp_path / "papers.csv").write_text("forum\n")
    code, _, err = cli(["report", str(tmp_path), "--rejudge"], capsys)
    assert code == 2 and "--rejudge applies to reproduction folders" in err


def test_a_bad_paper_json_is_a_usage_error(tmp_path, capsys):
    folder = make_folder(tmp_path / "f", per_class=False)
    (folder / "paper.json").write_text(json.dumps({"id": "TEST", "code_url": "javascript:alert(1)"}))
    code, _, err = cli(["report", str(folder)], capsys)
    assert code == 2 and err.count("\n") == 1 and "'code_url' must be an http(s) link" in err


def test_without_paper_json_the_report_still_links_the_forum(tmp_path, capsys):
    folder = make_folder(tmp_path / "f", per_class=False, paper=None)
    assert cli(["report", str(folder)], capsys)[0] == 0
    md = (folder / "report.md").read_text()
    assert md.startswith(
        "# Reproduction of “TEST”\n\nPaper: [OpenReview TEST](https://openreview.net/forum?id=TEST)"
    )
    assert "paper.json missing" in md
    assert json.loads((folder / REPORT_JSON).read_text())["paper"]["recorded"] is False
