"""Census aggregation on the hand-built folder of :mod:`tests.reports.census_fixture`.

Every expected value is worked out by hand in the fixture's docstring; intervals are compared with
statsmodels' Wilson interval for the same k and n.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from core.schemas import SchemaError
from reports.census.aggregate import (
    CensusSummary,
    accepted_papers,
    code_hosts,
    decision_tier,
    host_kind,
    package_ranking,
    paper_tiers,
    summarize,
)
from reports.census.intervals import wilson
from reports.census.load import CensusTables, MissingInput, load_tables
from tests.reports.census_fixture import GH, VENUE, write_census_folder


def summary_of(directory: Path, top_n: int = 3) -> CensusSummary:
    return summarize(
        load_tables(directory),
        venue=VENUE,
        generated_at="2020-05-01T00:00:00+00:00",
        tool_version="0",
        top_n=top_n,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_census_folder(tmp_path / "census")


def assert_wilson(prop, k: int, n: int) -> None:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert (prop.k, prop.n) == (k, n)
    assert prop.share == pytest.approx(k / n, abs=1e-15)
    assert prop.ci_low == pytest.approx(low, abs=1e-12)
    assert prop.ci_high == pytest.approx(high, abs=1e-12)


def test_wilson_matches_statsmodels_and_handles_empty() -> None:
    assert_wilson(wilson(3, 5), 3, 5)
    assert wilson(3, 5).share == 0.6
    empty = wilson(0, 0)
    assert (empty.share, empty.ci_low, empty.ci_high) == (None, None, None)
    assert empty.percent() == "—"
    assert wilson(3, 5).percent() == "60.0% [23.1, 88.2]"
    with pytest.raises(ValueError):
        wilson(6, 5)


def test_papers_with_code_overall_and_by_tier(folder: Path) -> None:
    s = summary_of(folder)
    assert (s.submitted, s.accepted) == (12, 11)
    assert_wilson(s.with_code, 9, 11)
    assert list(s.with_code_by_tier) == ["poster", "spotlight", "talk"]
    assert_wilson(s.with_code_by_tier["poster"], 6, 7)
    assert_wilson(s.with_code_by_tier["spotlight"], 1, 2)
    assert_wilson(s.with_code_by_tier["talk"], 2, 2)


def test_hosts_count_accepted_papers_with_code(folder: Path) -> None:
    s = summary_of(folder)
    assert s.hosts == {"github.com": 8, "drive.google.com": 1}
    assert s.host_kinds == {"GitHub": 8, "Google Drive": 1}
    assert list(s.hosts) == ["github.com", "drive.google.com"]
    assert s.github_links == 8
    assert s.with_repo_url == 8  # every github link here names a repository


def test_repositories_distinct_cloned_parsed_and_why_not(folder: Path) -> None:
    s = summary_of(folder)
    assert (s.repos_distinct, s.repos_cloned, s.code_bases, s.repos_parsed) == (7, 4, 4, 3)
    assert s.repos_status == {"ok": 4, "not_found": 1, "too_large": 1, "not_attempted": 1}
    assert s.not_parsed == {"not_found": 1, "too_large": 1, "not_attempted": 1, "no_dependencies_found": 1}
    assert list(s.not_parsed) == ["not_found", "too_large", "not_attempted", "no_dependencies_found"]


def test_frameworks_counted_among_parsed_with_co_use(folder: Path) -> None:
    s = summary_of(folder)
    assert list(s.frameworks) == [
        "pytorch",
        "tensorflow",
        "keras",
        "jax",
        "mxnet",
        "theano",
        "chainer",
        "paddlepaddle",
    ]
    assert_wilson(s.frameworks["pytorch"], 3, 3)
    assert_wilson(s.frameworks["tensorflow"], 1, 3)
    assert_wilson(s.frameworks["keras"], 1, 3)
    assert_wilson(s.frameworks["jax"], 0, 3)  # r/rej uses JAX but its paper was rejected
    assert s.co_use == [("pytorch", "tensorflow", 1), ("pytorch", "keras", 1), ("tensorflow", "keras", 1)]
    assert (s.multiple_frameworks, s.no_framework) == (1, 0)


def test_package_ranking_counts_repositories_once_and_breaks_ties_by_name(folder: Path) -> None:
    s = summary_of(folder)
    assert s.packages_unique == 6
    assert list(s.package_ranking.itertuples(index=False, name=None)) == [
        ("numpy", 3),
        ("torch", 3),
        ("keras", 1),
        ("matplotlib", 1),
        ("scipy", 1),
        ("tensorflow", 1),
    ]
    assert list(s.top_packages["package"]) == ["numpy", "torch", "keras"]


def test_package_ranking_is_independent_of_row_order() -> None:
    deps = pd.DataFrame(
        {
            "repo_url": ["r1", "r2", "r2", "r1", "r3"],
            "package": ["zeta", "alpha", "zeta", "alpha", "mid"],
        }
    )
    forward = package_ranking(deps, {"r1", "r2", "r3"})
    backward = package_ranking(deps.iloc[::-1], {"r1", "r2", "r3"})
    assert forward.equals(backward)
    assert list(forward["package"]) == ["alpha", "zeta", "mid"]


def test_signals_from_repo_signals_csv(folder: Path) -> None:
    s = summary_of(folder)
    assert_wilson(s.signals["declared_file"], 2, 4)
    assert_wilson(s.signals["version_constraints"], 2, 2)  # not in repo_signals.csv: from dependencies.csv
    assert_wilson(s.signals["all_pinned"], 1, 2)
    assert_wilson(s.signals["python_version"], 2, 4)
    assert_wilson(s.signals["container_or_env"], 2, 4)  # e/five's Dockerfile has no pip line
    assert_wilson(s.signals["undeclared_imports"], 1, 2)


def test_signals_from_dependencies_alone(tmp_path: Path) -> None:
    s = summary_of(write_census_folder(tmp_path / "old", signals=False))
    assert_wilson(s.signals["declared_file"], 2, 4)
    assert_wilson(s.signals["version_constraints"], 2, 2)
    assert_wilson(s.signals["all_pinned"], 1, 2)
    assert_wilson(s.signals["container_or_env"], 1, 4)
    assert_wilson(s.signals["undeclared_imports"], 1, 2)
    assert s.signals["python_version"] is None  # not measurable from dependencies.csv


def test_folders_without_sub_folder_columns_give_the_same_numbers(folder: Path) -> None:
    for name in ("dependencies.csv", "frameworks.csv"):
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame.drop(columns=["repo_subpath"]).to_csv(folder / name, index=False)
    (folder / "repo_signals.csv").unlink()
    s = summary_of(folder)
    assert (s.repos_distinct, s.repos_cloned, s.code_bases, s.repos_parsed) == (7, 4, 4, 3)
    assert [p.k for p in s.frameworks.values()][:3] == [3, 1, 1]
    assert list(s.package_ranking["package"]) == [
        "numpy",
        "torch",
        "keras",
        "matplotlib",
        "scipy",
        "tensorflow",
    ]


def test_monorepo_sub_folders_are_separate_code_bases() -> None:
    mono = GH + "google-research/google-research"
    papers = pd.DataFrame(
        {
            "decision": ["Accept (Poster)", "Accept (Talk)", "Accept (Poster)"],
            "accepted": ["true", "true", "true"],
            "code_url": [mono + "/tree/master/cfq", mono + "/tree/master/rl", mono + "/tree/master/cfq"],
            "repo_url": [mono, mono, mono],
            "repo_subpath": ["cfq", "rl/", "cfq"],
            "host": ["github.com"] * 3,
        }
    )
    deps = pd.DataFrame(
        {
            "repo_url": [mono, mono, mono],
            "repo_subpath": ["cfq", "rl", "rl"],
            "package": ["tensorflow", "tensorflow", "gym"],
            "source": ["imports"] * 3,
            "specifier": [""] * 3,
        }
    )
    frameworks = pd.DataFrame(
        {"repo_url": [mono, mono], "repo_subpath": ["cfq", "rl"], "tensorflow": ["true"] * 2}
    )
    tables = CensusTables(
        papers=papers,
        repos=pd.DataFrame({"repo_url": [mono], "status": ["ok"]}),
        dependencies=deps,
        frameworks=frameworks,
    )
    s = summarize(tables, venue="V", generated_at="t", tool_version="0")
    assert (s.repos_distinct, s.repos_cloned, s.code_bases, s.repos_parsed) == (1, 1, 2, 2)
    assert_wilson(s.frameworks["tensorflow"], 2, 2)
    assert list(s.package_ranking.itertuples(index=False, name=None)) == [("tensorflow", 2), ("gym", 1)]


def test_host_kinds() -> None:
    assert host_kind("github.com") == "GitHub"
    assert host_kind("www.dropbox.com") == "Dropbox"
    assert host_kind("gitlab.inria.fr") == "GitLab"
    assert host_kind("wgrathwohl.github.io") == "project page"
    assert host_kind("bit.ly") == "URL shortener"
    assert host_kind("danijar.com") == "other website"


def test_decision_tiers() -> None:
    assert decision_tier("Accept (Poster)") == "poster"
    assert decision_tier("Accept (Spotlight)") == "spotlight"
    assert decision_tier("Accept (Talk)") == "talk"
    assert decision_tier("ICLR 2024 oral") == "oral"
    assert decision_tier("Accept") == "other"
    assert decision_tier("") == "unknown"


def test_optional_columns_are_derived_when_missing() -> None:
    papers = pd.DataFrame(
        {
            "decision": ["Accept (Poster)", "Reject", "Accept (Talk)", ""],
            "code_url": ["https://www.GitHub.com/x/y ", "", "gitlab.com/a/b", "https://bit.ly/x"],
            "tier": ["", "", "oral", ""],
        }
    )
    accepted = accepted_papers(papers)
    assert list(accepted.index) == [0, 2, 3]  # no decision at all: an export of accepted papers
    assert list(paper_tiers(accepted)) == ["poster", "oral", "unknown"]
    assert list(code_hosts(accepted)) == ["github.com", "gitlab.com", "bit.ly"]


def test_accepted_cell_wins_over_the_decision_and_empty_cells_fall_back() -> None:
    papers = pd.DataFrame(
        {
            "decision": ["Accept (Poster)", "Accept (Poster)", "Reject", "", ""],
            "accepted": ["False", "", "", "", "true"],
        }
    )
    assert list(accepted_papers(papers).index) == [1, 3, 4]


def test_missing_step_outputs_name_the_command(tmp_path: Path) -> None:
    folder = write_census_folder(tmp_path / "c")
    (folder / "repos.csv").unlink()
    with pytest.raises(MissingInput, match=r"repos\.csv is missing: run `audit clone"):
        load_tables(folder)
    assert MissingInput("x").exit_code == 2


@pytest.mark.parametrize(
    ("name", "content", "problem", "command"),
    [
        ("papers.csv", "", "empty file", "audit crawl VENUE --out"),  # a crash left an empty file
        (
            "repos.csv",
            'repo_url,status\n"https://github.com/o/r,ok\n',
            "line 2: a quoted cell is never closed",
            "audit clone",
        ),
    ],
)
def test_unreadable_step_outputs_name_the_command(
    tmp_path: Path, name: str, content: str, problem: str, command: str
) -> None:
    folder = write_census_folder(tmp_path / "c")
    (folder / name).write_text(content)
    with pytest.raises(SchemaError) as caught:
        load_tables(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / name}: {problem}")
    assert f"write it again with `{command}" in message and "\n" not in message
    assert caught.value.exit_code == 2


def test_empty_census_has_no_shares() -> None:
    empty = pd.DataFrame(
        {"forum": [], "decision": [], "accepted": [], "code_url": [], "repo_url": []}, dtype=str
    )
    tables = CensusTables(
        papers=empty,
        repos=pd.DataFrame({"repo_url": [], "status": []}, dtype=str),
        dependencies=pd.DataFrame({"repo_url": [], "package": [], "source": [], "specifier": []}, dtype=str),
        frameworks=pd.DataFrame({"repo_url": [], "pytorch": []}, dtype=str),
    )
    s = summarize(tables, venue="V", generated_at="t", tool_version="0")
    assert (s.accepted, s.repos_distinct, s.repos_parsed, s.packages_unique) == (0, 0, 0, 0)
    assert s.with_code.share is None
    assert s.frameworks["pytorch"].share is None
    assert s.to_json()["packages"]["top"] == []
