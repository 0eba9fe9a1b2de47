"""`audit census` over three venue-years and `audit trends` over the three folders, end to end.

The papers are the real paper lists of ICLR 2018, 2019 and 2020 (../shared/data/paperlists, read
with ``--from-file``); seven repositories with real names from those lists are local git
repositories behind ``url.<base>.insteadOf`` (each with the framework below), every other
github.com or gitlab.com URL answers 404 like a deleted repository. Horace He's counts come from
../shared/data/horace-he/data.csv. Every expected number is recomputed here from the inputs:
accepted papers and code links from papers.csv, framework shares from the mirrored repositories,
intervals from statsmodels.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from statsmodels.stats.proportion import proportion_confint

from tests.crawlers.repo_factory import NotFoundServer, make_repo
from tests.shared_data import shared_data

LISTS = shared_data("paperlists")
HORACE_HE = shared_data("horace-he", "data.csv")
GH = "https://github.com/"

VENUES = {
    2018: ("ICLR.cc/2018/Conference", "iclr2018@33f9884.json"),
    2019: ("ICLR.cc/2019/Conference", "iclr2019@222d1da.json"),
    2020: ("ICLR.cc/2020/Conference", "iclr2020@222d1da.json"),
}

#: Mirrored repositories (linked by accepted papers of that year) and the framework each imports.
MIRRORED = {
    2018: {"Cyanogenoid/vqa-counting": "torch", "brain-research/nngp": "tensorflow"},
    2019: {"QUVA-Lab/init-eqprop": "torch", "daib13/TwoStageVAE": "tensorflow"},
    2020: {
        "oval-group/GNN_branching": "torch",
        "kam1107/RealnessGAN": "torch",
        "apexrl/CoDAIL": "tensorflow",
    },
}
FRAMEWORK = {"torch": "pytorch", "tensorflow": "tensorflow"}


@pytest.fixture
def forges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    mirror = tmp_path / "mirror"
    server = NotFoundServer()
    rules = [
        f'[url "http://127.0.0.1:{server.port}/{forge}/"]\n\tinsteadOf = https://{forge}/\n'
        for forge in ("github.com", "gitlab.com")
    ]
    for repos in MIRRORED.values():
        for name, module in repos.items():
            path, _ = make_repo(
                mirror / name, {"requirements.txt": f"{module}\nnumpy\n", "train.py": f"import {module}\n"}
            )
            rules.append(f'[url "file://{path}"]\n\tinsteadOf = {GH}{name}\n')
    config = tmp_path / "gitconfig"
    config.write_text("".join(rules) + "[protocol]\n\tallow = always\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield
    finally:
        server.close()


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
        check=False,
    )


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def wilson(k: int, n: int) -> tuple[float, float, float]:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return k / n, low, high


def close(row: dict[str, str], prefix: str, expected: tuple[float, float, float]) -> bool:
    got = tuple(float(row[f"{prefix}_{part}"]) for part in ("share", "ci_low", "ci_high"))
    return got == pytest.approx(expected, abs=1e-12)


def test_census_of_three_venue_years_and_their_trends(forges: None, tmp_path: Path) -> None:
    out = tmp_path / "census"
    census = ["census", *(venue for venue, _ in VENUES.values()), "--out", str(out)]
    for _, name in VENUES.values():
        census += ["--from-file", str(LISTS / name)]
    census += ["--workers", "8", "--timeout", "60", "--top", "5"]
    result = audit(*census)
    assert result.returncode == 0, result.stderr[-3000:]
    folders = {year: out / venue.replace("/", "_") for year, (venue, _) in VENUES.items()}
    assert result.stdout.splitlines() == [str(folder / "report.html") for folder in folders.values()]
    for folder in folders.values():
        assert (folder / "report.html").is_file() and (folder / "repos.csv").is_file()

    trends = tmp_path / "trends"
    done = audit("trends", *map(str, folders.values()), "--out", str(trends), "--horace-he", str(HORACE_HE))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(trends / "report.html")

    rows = {int(row["year"]): row for row in read(trends / "trends.csv")}
    assert sorted(rows) == [2018, 2019, 2020]
    documented_accepted = {2018: 337, 2019: 502, 2020: 687}
    for year, row in rows.items():
        papers = read(folders[year] / "papers.csv")
        accepted = [p for p in papers if p["accepted"] == "True"]
        coded = [p for p in accepted if p["code_url"]]
        assert (row["conference"], row["source"]) == ("ICLR", "paper list (papercopilot)")
        assert int(row["accepted"]) == len(accepted) == documented_accepted[year]
        assert int(row["with_code"]) == len(coded) == int(row["code_list"])
        assert int(row["code_form"]) == int(row["code_pdf"]) == int(row["code_text"]) == 0
        assert close(row, "with_code", wilson(len(coded), len(accepted)))
        assert int(row["repositories"]) == len({p["repo_url"] for p in accepted if p["repo_url"]})
        mirrored = MIRRORED[year]
        parsed = len(mirrored)
        assert (int(row["cloned"]), int(row["parsed"])) == (parsed, parsed)
        for module, key in FRAMEWORK.items():
            k = sum(framework == module for framework in mirrored.values())
            assert int(row[key]) == k
            assert close(row, key, wilson(k, parsed))
        assert row["jax"] == "0" and row["jax_share"] == "0.0"

    # The domain split adds up, and each mirrored code base counts in its linking papers' domain.
    domains = read(trends / "trends_by_domain.csv")
    for year, row in rows.items():
        mine = [d for d in domains if d["year"] == str(year)]
        assert sum(int(d["accepted"]) for d in mine) == int(row["accepted"])
        papers = [p for p in read(folders[year] / "papers.csv") if p["accepted"] == "True"]
        expected: dict[str, set[str]] = {}
        for paper in papers:
            name = paper["repo_url"].removeprefix(GH)
            if name in MIRRORED[year]:
                expected.setdefault(paper["domain"], set()).add(name)
        assert {d["domain"]: int(d["parsed"]) for d in mine if int(d["parsed"])} == {
            domain: len(names) for domain, names in expected.items()
        }

    # The report: Horace He's counts beside the census, labelled as another measurement.
    report = (trends / "report.md").read_text()
    assert "## Beside Horace He's counts (a different measurement)" in report
    assert "**text mentions**" in report and "**code bases whose dependencies use**" in report
    share, low, high = wilson(169, 687)
    assert f"| 687 | 169 {100 * share:.1f}% [{100 * low:.1f}, {100 * high:.1f}] |" in report
    assert "trend of that field's coverage, not of how many papers share code" in report
    html = (trends / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and 'src="http' not in html
    for name in ("trends.png", "coverage.png"):
        with Image.open(trends / name) as image:
            assert image.format == "PNG" and image.size[0] > 400

    # The same command again: every step of every venue is finished, nothing is cloned again.
    again = audit(*census)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stderr.count("finished earlier, skipped") == 3 * 5  # crawl, clone, deps, checklist, report


def test_census_of_several_venues_checks_its_arguments_first(tmp_path: Path) -> None:
    result = audit("census", "ICLR.cc/2018/Conference", "ICLR.cc/2019/Conference", "--out", str(tmp_path),
                   "--from-file", str(LISTS / VENUES[2018][1]))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: 1 --from-file for 2 venues; give one --from-file per venue, in order, or none"
    )
    result = audit("census", "ICLR.cc/2018/Conference", "not a venue", "--out", str(tmp_path))
    assert result.returncode == 2 and "'not a venue' is not an OpenReview venue id" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing started


def test_trends_input_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = audit("trends", str(empty), "--out", str(tmp_path / "t"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {empty} holds no papers.csv: not a census folder (run `audit census` or `audit crawl`)"
    )
    bad = tmp_path / "data.csv"
    bad.write_text("ICLR,05/20,169,95\n")
    (empty / "papers.csv").write_text("forum,accepted\n")
    result = audit("trends", str(empty), "--out", str(tmp_path / "t"), "--horace-he", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"error: --horace-he {bad}, line 1 has 4 columns, not 5;")
