"""Acceptance: `audit crawl ICLR.cc/2020/Conference` through the real CLI and the real openreview-py
client against the fake server serving the recorded ICLR 2020 notes.

Expected values come from the data: 2,213 blind submissions (687 accepted: 531 posters, 108
spotlights, 48 talks; 1,526 rejected), 335 code links of which 259 on github.com (254 naming a
repository, 5 an owner only).
"""

from __future__ import annotations

import csv
import json
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.crawlers.fake_openreview import ICLR2020, FakeOpenReview

Cli = Callable[..., subprocess.CompletedProcess[str]]


def read_rows(directory: Path) -> list[dict[str, str]]:
    with (directory / "papers.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_iclr2020(rows: list[dict[str, str]]) -> None:
    """Every fact of the recorded data that papers.csv must reproduce."""
    assert len(rows) == 2213
    assert len({row["forum"] for row in rows}) == 2213
    assert len({row["number"] for row in rows}) == 2213
    assert Counter(row["decision"] for row in rows) == {
        "Reject": 1526,
        "Accept (Poster)": 531,
        "Accept (Spotlight)": 108,
        "Accept (Talk)": 48,
    }
    accepted = [row for row in rows if row["accepted"] == "True"]
    assert len(accepted) == 687
    assert sum(row["accepted"] == "False" for row in rows) == 1526
    assert Counter(row["tier"] for row in accepted) == {"poster": 531, "spotlight": 108, "talk": 48}
    assert {row["tier"] for row in rows if row["accepted"] == "False"} == {""}
    with_code = [row for row in rows if row["code_url"]]
    assert len(with_code) == 335
    assert {row["link_source"] for row in with_code} == {"code"}
    github = [row for row in with_code if row["host"] == "github.com"]
    assert len(github) == 259
    assert sum(bool(row["repo_url"]) for row in github) == 254
    assert sum(not row["repo_url"] for row in github) == 5
    assert sum(bool(row["repo_url"]) for row in rows) == 254
    by_url = {row["code_url"]: row for row in with_code}
    impact = by_url["https://github.com/facebookresearch/impact-driven-exploration"]
    assert impact["repo_url"] == "https://github.com/facebookresearch/impact-driven-exploration"
    cfq = by_url["https://github.com/google-research/google-research/tree/master/cfq"]
    assert (cfq["repo_url"], cfq["repo_subpath"], cfq["repo_ref"]) == (
        "https://github.com/google-research/google-research",
        "cfq",
        "master",
    )
    # Repository links that only appear in abstracts are kept aside, not counted as code links.
    assert sum(bool(row["text_repo_urls"]) and not row["code_url"] for row in rows) == 4
    assert {row["api"] for row in rows} == {"v1"}


def test_crawl_iclr2020_in_five_requests_then_none_on_rerun(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path
) -> None:
    out = tmp_path / "iclr2020"
    result = cli("crawl", ICLR2020, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert_iclr2020(read_rows(out))
    # 2 empty v2 probes + 3 v1 pages of at most 1,000 notes with their direct replies.
    assert fake.count == 5 <= 6
    assert [(r.api, r.status) for r in fake.requests] == [("v2", 200)] * 2 + [("v1", 200)] * 3
    v1 = [r.query for r in fake.requests if r.api == "v1"]
    assert all(q["invitation"] == f"{ICLR2020}/-/Blind_Submission" for q in v1)
    assert all((q["limit"], q["details"], q["sort"]) == ("1000", "directReplies", "id") for q in v1)
    assert ["after" in q for q in v1] == [False, True, True]
    assert all(r.authorization == "" for r in fake.requests)  # anonymous
    pages = sorted(p.relative_to(out).as_posix() for p in (out / "raw").rglob("page-*.json"))
    assert len(pages) == 5 and sum("/v1/" in p for p in pages) == 3
    provenance = json.loads((out / "crawl.json").read_text())
    assert (provenance["api"], provenance["requests"], provenance["rows"]) == ("v1", 5, 2213)
    assert (provenance["accepted"], provenance["decision_unknown"]) == (687, 0)

    fake.reset()
    first = (out / "papers.csv").read_bytes()
    again = cli("crawl", ICLR2020, "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert fake.count == 0
    assert (out / "papers.csv").read_bytes() == first


def test_crawl_survives_20_percent_429_and_503(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    """With seed 2038, 5 of the 10 requests are faults, twice two in a row; the crawl is unchanged.

    Faults carry ``Retry-After: 0``, so the client's retries cost no sleeping.
    """
    fake.set_faults(rate=0.2, seed=2038)
    out = tmp_path / "faulty"
    result = cli("crawl", ICLR2020, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [r.status for r in fake.requests] == [503, 429, 200, 503, 200, 200, 503, 503, 200, 200]
    assert len(fake.served(200)) == 5
    assert result.stderr.count("retrying") == 5
    assert "Retrying request" not in result.stdout  # openreview-py's own print is replaced
    assert_iclr2020(read_rows(out))
    assert json.loads((out / "crawl.json").read_text())["retries"] == 5


def test_crawl_resumes_from_the_pages_on_disk(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    """Blocked after the first v1 page: exit 1, pages kept; the rerun asks only for the 2 missing."""
    out = tmp_path / "iclr2020"
    fake.set_faults(blocked="forbidden", blocked_from=4)
    failed = cli("crawl", ICLR2020, "--out", str(out))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1].startswith("error: OpenReview refused")
    assert not (out / "papers.csv").exists()
    assert len(list((out / "raw").rglob("page-*.json"))) == 3

    fake.reset()
    resumed = cli("crawl", ICLR2020, "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert [(r.api, "after" in r.query) for r in fake.requests] == [("v1", True), ("v1", True)]
    assert_iclr2020(read_rows(out))


def test_from_file_reads_the_recorded_export(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    """The 687 recorded accepted notes carry no decision replies: decisions stay unknown, links do not."""
    from tests.crawlers.fake_openreview import DATA

    out = tmp_path / "export"
    result = cli(
        "crawl",
        ICLR2020,
        "--out",
        str(out),
        "--from-file",
        str(DATA / "accepted_blind_submissions_v1.json.gz"),
    )
    assert result.returncode == 0, result.stderr
    assert fake.count == 0
    rows = read_rows(out)
    assert len(rows) == 687
    assert {(row["decision"], row["accepted"]) for row in rows} == {("", "")}
    assert sum(bool(row["code_url"]) for row in rows) == 335
    assert sum(row["host"] == "github.com" for row in rows) == 259
    assert sum(bool(row["repo_url"]) for row in rows) == 254
    provenance = json.loads((out / "crawl.json").read_text())
    assert (provenance["source"], provenance["accepted"], provenance["decision_unknown"]) == ("file", 0, 687)
    assert "0 accepted, 687 without a decision" in result.stderr
