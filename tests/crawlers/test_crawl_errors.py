"""Faults a crawl meets: blocked (403, challenge page), rate limits beyond the client's retries,
an unreachable or wrong v2 base URL, bad venue ids and bad export files.

Each user-facing failure is one line on stderr with the right exit code (1 failure, 2 usage).
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from crawlers.errors import CrawlerError
from crawlers.openreview import RetryPolicy, crawl_venue
from tests.crawlers.fake_openreview import ICLR2020, TESTCONF, WORKSHOP, FakeOpenReview

Cli = Callable[..., subprocess.CompletedProcess[str]]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (no traceback, no other output)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_malformed_venue_id_is_a_usage_error(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    result = cli("crawl", "not a venue", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    line = one_error_line(result)
    assert "'not a venue' is not an OpenReview venue id" in line and "ICLR.cc/2020/Conference" in line
    assert fake.count == 0
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "venue", ["ICLR.cc/2020/Conference/-/Blind_Submission", "https://openreview.net/group?id=X", ""]
)
def test_other_malformed_venue_ids(cli: Cli, fake: FakeOpenReview, tmp_path: Path, venue: str) -> None:
    result = cli("crawl", venue, "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "is not an OpenReview venue id" in one_error_line(result)


def test_unknown_venue_is_a_usage_error_after_asking_both_apis(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path
) -> None:
    result = cli("crawl", "Nowhere.cc/2020/Conference", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    line = one_error_line(result)
    assert "no submissions found for 'Nowhere.cc/2020/Conference'" in line
    assert [r.api for r in fake.requests] == ["v2", "v2", "v1", "v1"]


def test_403_names_the_cause_and_suggests_from_file(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    fake.set_faults(blocked="forbidden")
    result = cli("crawl", ICLR2020, "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    line = one_error_line(result)
    assert "HTTP 403 Forbidden" in line and "--from-file" in line and "OPENREVIEW_USERNAME" in line
    assert fake.count == 1  # a refusal is not retried, nor a reason to try the other API


@pytest.mark.parametrize("status", [403, 200])
def test_html_challenge_names_the_cause_and_suggests_from_file(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path, status: int
) -> None:
    fake.set_faults(blocked="challenge", blocked_status=status)
    result = cli("crawl", ICLR2020, "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    line = one_error_line(result)
    assert "HTML page titled 'Just a moment...'" in line and f"HTTP {status}" in line
    assert "bot challenge" in line and "--from-file" in line
    assert fake.count == 1


def test_own_retry_takes_over_when_the_client_gives_up(fake: FakeOpenReview, tmp_path: Path) -> None:
    """10 consecutive 429s: the client tries 9 times and raises; the crawler waits once and retries."""
    fake.set_faults(burst=10)
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, wait_s=7.0, sleep=waits.append)
    result = crawl_venue(TESTCONF, tmp_path / "raw", policy=policy)
    assert waits == [7.0]
    assert [r.status for r in fake.requests] == [429] * 10 + [200, 200]
    assert (result.api, len(result.notes), result.retries) == ("v2", 6, 9)


def test_persistent_rate_limit_fails_with_one_line_and_keeps_pages(
    fake: FakeOpenReview, tmp_path: Path
) -> None:
    fake.set_faults(burst=1000)
    waits: list[float] = []
    with pytest.raises(CrawlerError) as caught:
        crawl_venue(
            TESTCONF, tmp_path / "raw", policy=RetryPolicy(attempts=2, wait_s=1.0, sleep=waits.append)
        )
    assert caught.value.exit_code == 1
    assert "kept failing (HTTP 429)" in str(caught.value) and "after 2 attempts" in str(caught.value)
    assert waits == [1.0]
    assert fake.count == 18  # 2 attempts x (1 + 8 client retries)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("v2_url", ["closed", "404"])
def test_v1_is_used_when_v2_is_unreachable_or_wrong(
    fake: FakeOpenReview, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, v2_url: str
) -> None:
    """A venue on v1 without blind submissions, while the v2 base URL refuses or answers 404."""
    bad = f"http://127.0.0.1:{_closed_port()}" if v2_url == "closed" else f"{fake.base_url}/no-such-api"
    monkeypatch.setenv("OPENREVIEW_API_BASEURL_V2", bad)
    messages: list[str] = []
    result = crawl_venue(WORKSHOP, tmp_path / "raw", log=messages.append)
    assert (result.api, len(result.notes)) == ("v1", 2)
    assert any("trying API v1" in message for message in messages)
    v1 = [r.query.get("invitation") for r in fake.requests if r.api == "v1"]
    assert v1 == [f"{WORKSHOP}/-/Blind_Submission", f"{WORKSHOP}/-/Submission"]


def test_credentials_from_the_environment_are_used(
    fake: FakeOpenReview, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENREVIEW_USERNAME", "someone@example.org")
    monkeypatch.setenv("OPENREVIEW_PASSWORD", "secret")
    result = crawl_venue(TESTCONF, tmp_path / "raw")
    assert len(result.notes) == 6
    assert [(r.method, r.api) for r in fake.requests] == [("POST", "v2"), ("GET", "v2"), ("GET", "v2")]
    assert all(r.authorization.startswith("Bearer ") for r in fake.requests[1:])


def test_missing_export_file_is_a_usage_error(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    result = cli("crawl", ICLR2020, "--out", str(tmp_path / "x"), "--from-file", str(tmp_path / "none.json"))
    assert result.returncode == 2
    assert "does not exist" in one_error_line(result)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>not json</html>", "cannot read"),
        (json.dumps({"papers": []}).encode(), "holds no list of notes"),
        (gzip.compress(json.dumps([{"title": "no id"}]).encode()), "item 0 is not an OpenReview note"),
        (b"[]", "holds an empty list of notes"),
    ],
    ids=["html", "no-notes-key", "gz-without-ids", "empty"],
)
def test_malformed_export_file_is_a_usage_error(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path, content: bytes, message: str
) -> None:
    export = tmp_path / "export.json"
    export.write_bytes(content)
    result = cli("crawl", ICLR2020, "--out", str(tmp_path / "x"), "--from-file", str(export))
    assert result.returncode == 2
    assert message in one_error_line(result)
    assert fake.requests == []


def test_unreachable_server_fails_with_one_line(
    cli: Cli, fake: FakeOpenReview, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    port = _closed_port()
    monkeypatch.setenv("OPENREVIEW_API_BASEURL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OPENREVIEW_API_BASEURL_V2", f"http://127.0.0.1:{port}")
    result = cli("crawl", ICLR2020, "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: cannot reach the OpenReview API v1 at http://127.0.0.1:{port} (")
    assert "Connection refused" in lines[-1] and "--from-file" in lines[-1]
    assert any(f"API v2 at http://127.0.0.1:{port} is unreachable" in line for line in lines[:-1])


def test_a_torn_page_file_is_fetched_again(fake: FakeOpenReview, tmp_path: Path) -> None:
    crawl_venue(TESTCONF, tmp_path / "raw")
    pages = sorted((tmp_path / "raw").rglob("page-*.json"))
    assert len(pages) == 2
    pages[1].write_text('{"notes": [', encoding="utf-8")
    fake.reset()
    again = crawl_venue(TESTCONF, tmp_path / "raw")
    assert (len(again.notes), fake.count, again.pages_fetched, again.pages_cached) == (6, 1, 1, 1)


def test_output_folder_that_cannot_be_created_is_a_usage_error(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = cli("crawl", ICLR2020, "--out", str(blocker / "sub"))
    assert result.returncode == 2
    line = one_error_line(result)
    folder = blocker / "sub"
    assert line == f"error: cannot write to the output folder {folder}: Not a directory; choose another --out"
    assert fake.count == 0
