"""Issue 14 in the census report: uses vs primary, guessed rows, one name per alias family, and every
disagreement with the published method, computed from `audit deps` outputs of built git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from crawlers.cloning import CloneResult, write_repos_csv
from crawlers.dependencies import tables
from crawlers.dependencies.infer import infer_repository
from reports.census.render import render_census
from tests.crawlers import accuracy_repos as repos
from tests.crawlers.repo_factory import make_repo, write_papers_csv

VENUE = "ICLR.cc/2020/Conference"
GH = "https://github.com/"
CODE_BASES = {
    "a/aliases": repos.ALIASES,  # declares tensorflow-gpu, imports tensorflow
    "b/plain": {"main.py": "import tensorflow as tf\n"},
    "c/msssim": repos.PUBLISHED_REQUIREMENTS,  # requirements.txt without tensorflow, with pytorch-msssim
}


@pytest.fixture(scope="module")
def census(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("accuracy")
    out = root / "census"
    papers, clones, reports = [], [], []
    for index, (name, files) in enumerate(CODE_BASES.items()):
        checkout, commit = make_repo(root / name, files)
        url = GH + name
        papers.append({"forum": f"f{index}", "accepted": "True", "repo_url": url, "code_url": url})
        clones.append(CloneResult(url, "ok", commit=commit, path=str(checkout)))
        reports.append(infer_repository(url, checkout))
    write_papers_csv(out / "papers.csv", [{**p, "host": "github.com"} for p in papers])
    write_repos_csv(out / "repos.csv", clones)
    tables.write_dependencies(out / "dependencies.csv", reports)
    tables.write_frameworks(out / "frameworks.csv", reports)
    tables.write_all_tools(out / "all_tools.csv", reports)
    tables.write_signals(out / "repo_signals.csv", reports)
    render_census(out, venue=VENUE, tool_version="9.9", top_n=5, generated_at="2020-05-01T00:00:00+00:00")
    return out


def test_uses_and_primary_side_by_side(census: Path) -> None:
    doc = json.loads((census / "census.json").read_text())
    assert doc["frameworks"]["tensorflow"]["k"] == 3 and doc["primary_frameworks"]["tensorflow"]["k"] == 3
    assert doc["frameworks"]["pytorch"]["k"] == 0 and doc["primary_frameworks"]["pytorch"]["k"] == 0
    report = (census / "report.md").read_text()
    assert "| framework | uses | share [95% CI] | primary | share [95% CI] |" in report
    low = 100 * proportion_confint(3, 3, method="wilson")[0]  # 3 of 3 code bases
    share = f"100.0% [{low:.1f}, 100.0]"
    assert f"| TensorFlow | 3 | {share} | 3 | {share} |" in report


def test_one_name_per_alias_family_in_the_ranking(census: Path) -> None:
    top = {
        row["package"]: row["code_bases"]
        for row in json.loads((census / "census.json").read_text())["packages"]["top"]
    }
    assert top["tensorflow"] == 3 and "tensorflow-gpu" not in top  # declared as tensorflow-gpu in a/aliases
    assert top["numpy"] == 1 and top["opencv-python"] == 1 and "opencv-python-headless" not in top


def test_guessed_rows_are_counted(census: Path) -> None:
    resolutions = json.loads((census / "census.json").read_text())["resolutions"]
    assert resolutions == {
        "rows": {"declared": 9, "mapped": 3, "guessed": 1},
        "mapped_by_table": {"overrides": 2, "wheels": 1},
        "guessed_code_bases": 1,
        "guessed_packages": [{"package": "mysterylib", "code_bases": 1}],
    }
    assert "**guessed** 1" in (census / "report.md").read_text()


def test_every_disagreement_with_the_published_method_has_its_reason(census: Path) -> None:
    doc = json.loads((census / "census.json").read_text())
    assert doc["baseline_disagreements"] == [
        {
            "code_base": "c/msssim",
            "framework": "PyTorch",
            "published_method": "requirements.txt",
            "published": True,
            "uses": False,
            "role": "",
            "primary": "tensorflow",
            "reason": "'torch' matched the tool name(s) pytorch, none of which is PyTorch",
        },
        {
            "code_base": "c/msssim",
            "framework": "TensorFlow",
            "published_method": "requirements.txt",
            "published": False,
            "uses": True,
            "role": "primary",
            "primary": "tensorflow",
            "reason": "the published list came from a requirements.txt without TensorFlow; here (primary): "
            "1 own file imports it at module level, 0 only in functions",
        },
    ]
    rows = {row["key"]: row for row in doc["baseline"]}
    assert (rows["tensorflow"]["this_census_primary"], rows["tensorflow"]["published_method_here"]) == (3, 2)
    assert rows["pytorch"]["published_method_here"] == 1
    report = (census / "report.md").read_text()
    assert "### Where the published method and this census disagree" in report
    assert "| c/msssim | PyTorch | requirements.txt | uses | — | — | tensorflow |" in report
    html = (census / "report.html").read_text()
    assert "none of which is PyTorch" in html and "<th>primary</th>" in html


def test_signals_compare_families(census: Path) -> None:
    doc = json.loads((census / "census.json").read_text())
    assert (
        doc["signals"]["undeclared_imports"]["k"] == 2
    )  # a/aliases: mysterylib, wandb; c/msssim: tensorflow
    assert doc["signals"]["python2"]["k"] == 0 and doc["signals"]["notebook_only"]["k"] == 0
