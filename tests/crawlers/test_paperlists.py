"""Paper lists of papercopilot/paperlists: the real files in ../shared/data/paperlists give the counts
their README documents, statuses map to decisions and tiers, and a status nobody mapped is an error."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from audit.pipelines import crawl
from crawlers.errors import CrawlerUsageError
from tests.shared_data import shared_data

LISTS = shared_data("paperlists")

#: The README's table: file, venue, records, with a non-empty github, of them accepted, accepted,
#: and the statuses it lists (all of them for these files, accepted or not).
DOCUMENTED = [
    ("iclr2018@33f9884.json", "ICLR.cc/2018/Conference", 995, 257, 188, 337,
     {"Poster": 314, "Oral": 23, "Workshop": 90, "Reject": 496, "Withdraw": 69, "Active": 3}),
    ("iclr2019@222d1da.json", "ICLR.cc/2019/Conference", 1579, 89, 73, 502, {"Poster": 478, "Oral": 24}),
    ("iclr2020@222d1da.json", "ICLR.cc/2020/Conference", 2594, 180, 143, 687,
     {"Poster": 531, "Spotlight": 108, "Talk": 48}),
    ("iclr2021@222d1da.json", "ICLR.cc/2021/Conference", 3014, 281, 230, 860,
     {"Poster": 693, "Spotlight": 114, "Oral": 53}),
    ("iclr2022@222d1da.json", "ICLR.cc/2022/Conference", 3422, 361, 301, 1095,
     {"Poster": 866, "Spotlight": 174, "Oral": 55}),
    ("nips2021@222d1da.json", "NeurIPS.cc/2021/Conference", 2708, 593, 564, 2508,
     {"Poster": 2193, "Spotlight": 260, "Oral": 55, "Reject": 200}),
    ("icml2023@222d1da.json", "ICML.cc/2023/Conference", 1865, 432, 432, 1865, {"Poster": 1710, "Oral": 155}),
]  # fmt: skip

TIER = {"Poster": "poster", "Spotlight": "spotlight", "Oral": "oral", "Talk": "talk"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """`audit crawl VENUE --from-file LIST` once per list for the whole module (in process)."""
    done: dict[str, Path] = {}

    def run(name: str, venue: str) -> Path:
        if name not in done:
            done[name] = crawl.run(venue, out=tmp_path_factory.mktemp("list"), from_file=LISTS / name)
        return done[name]

    return run


def papers(directory: Path) -> list[dict[str, str]]:
    with (directory / "papers.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("name", "venue", "records", "github", "github_accepted", "accepted", "statuses"),
    DOCUMENTED,
    ids=[row[0].split("@")[0] for row in DOCUMENTED],
)
def test_each_paper_list_gives_the_documented_counts(
    crawled: Callable[[str, str], Path],
    name: str,
    venue: str,
    records: int,
    github: int,
    github_accepted: int,
    accepted: int,
    statuses: dict[str, int],
) -> None:
    out = crawled(name, venue)
    rows = papers(out)
    facts = json.loads((out / "crawl.json").read_text())
    assert (facts["source"], facts["format"]) == ("file", "paperlists")
    assert (len(rows), facts["rows"], facts["list"]["records"]) == (records, records, records)
    assert sum(row["accepted"] == "True" for row in rows) == accepted == facts["accepted"]
    assert (facts["list"]["github_filled"], facts["list"]["github_filled_accepted"]) == (
        github,
        github_accepted,
    )
    for status, count in statuses.items():
        assert facts["list"]["statuses"][status] == count
    tiers = Counter(row["tier"] for row in rows if row["accepted"] == "True")
    assert tiers == Counter({TIER[s]: n for s, n in statuses.items() if s in TIER})
    # Code links come from the github field only: every one is marked so and quotes the field.
    linked = [row for row in rows if row["code_url"]]
    assert {row["code_source"] for row in linked} == {"list"}
    assert all(row["code_evidence"].startswith("paper list field github: ") for row in linked)
    assert len(linked) <= github  # placeholders ("Not provided", github.com/...) are not code links
    assert {row["api"] for row in rows} == {"paperlists"}
    assert all(row["domain"] for row in rows)


def test_statuses_that_are_no_acceptance(crawled: Callable[[str, str], Path]) -> None:
    out = crawled("iclr2018@33f9884.json", "ICLR.cc/2018/Conference")
    decisions = Counter((row["decision"], row["accepted"]) for row in papers(out))
    assert decisions[("Invite to Workshop Track", "False")] == 90
    assert decisions[("Active (no decision recorded)", "")] == 3  # not counted as accepted anywhere
    assert decisions[("Withdrawn", "False")] == 69
    by_forum = {row["forum"]: row for row in papers(out)}
    first = by_forum["B12Js_yRb"]  # the ICLR 2018 markdown form of the field
    assert (first["code_url"], first["repo_url"], first["tier"]) == (
        "https://github.com/Cyanogenoid/vqa-counting",
        "https://github.com/Cyanogenoid/vqa-counting",
        "poster",
    )
    # A link to community implementations alone is not the authors' code.
    raw = json.loads((LISTS / "iclr2018@33f9884.json").read_text())
    links = {r["id"]: re.findall(r"\]\((https?://[^)\s]+)\)", r["github"]) for r in raw}
    community = {
        forum for forum, urls in links.items() if urls and all("paperswithcode.com" in u for u in urls)
    }
    assert len(community) == 59
    assert all(not by_forum[forum]["code_url"] for forum in community)


def test_neurips_tracks_are_kept(crawled: Callable[[str, str], Path]) -> None:
    out = crawled("nips2021@222d1da.json", "NeurIPS.cc/2021/Conference")
    assert Counter(row["track"] for row in papers(out)) == {"main": 2467, "Datasets & Benchmarks": 241}


def test_pdf_yes_does_not_apply_to_a_paper_list(tmp_path: Path) -> None:
    with pytest.raises(
        CrawlerUsageError, match="is a paper list, whose code links come from its github field"
    ):
        crawl.run(
            "ICLR.cc/2019/Conference", out=tmp_path, from_file=LISTS / "iclr2019@222d1da.json", pdf="yes"
        )


def test_an_unknown_status_is_a_one_line_usage_error(tmp_path: Path) -> None:
    records = [
        {"id": "a1", "title": "One", "status": "Poster", "github": ""},
        {"id": "b2", "title": "Two", "status": "Accept (Best Paper)", "github": ""},
    ]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(records))
    result = subprocess.run(
        [sys.executable, "-m", "audit", "crawl", "X.cc/2024/Conference", "--out", str(tmp_path / "o"),
         "--from-file", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: list.json: record 1 (id b2) has status 'Accept (Best Paper)', which the paper-list "
        "reader does not know (known: Poster, Spotlight, Oral, Talk, Reject, Withdraw, Desk Reject, "
        "Workshop, Active); add it to crawlers.paperlists.STATUSES with its decision"
    ]
    assert not (tmp_path / "o" / "papers.csv").exists()
