"""API v2 venues (wrapped values, decisions from venueid, code links only in free text), a v1 venue
without blind submissions, v2 exports, and note parsing rules."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crawlers.openreview.notes import (
    accepted_of,
    api_of,
    decision_reply,
    parse_note,
    parse_notes,
    tier_of,
    unwrap,
)
from crawlers.papers import build_rows
from tests.crawlers.fake_openreview import TESTCONF, WORKSHOP, FakeOpenReview, _note_id, v2_testconf

Cli = Callable[..., subprocess.CompletedProcess[str]]

COLUMNS = (
    "number",
    "title",
    "decision",
    "accepted",
    "tier",
    "code_url",
    "repo_url",
    "repo_subpath",
    "repo_ref",
    "host",
    "link_source",
    "api",
)


def table(directory: Path) -> list[tuple[str, ...]]:
    with (directory / "papers.csv").open(newline="", encoding="utf-8") as handle:
        return [tuple(row[column] for column in COLUMNS) for row in csv.DictReader(handle)]


TESTCONF_ROWS = [
    (
        "1",
        "Alpha",
        "Accept (Poster)",
        "True",
        "poster",
        "https://github.com/testconf/alpha",
        "https://github.com/testconf/alpha",
        "",
        "",
        "github.com",
        "abstract",
        "v2",
    ),
    (
        "2",
        "Beta",
        "Accept (Oral)",
        "True",
        "oral",
        "https://gitlab.com/group/sub/beta/-/tree/main/src",
        "https://gitlab.com/group/sub/beta",
        "src",
        "main",
        "gitlab.com",
        "TLDR",
        "v2",
    ),
    ("3", "Gamma", "Accept (Spotlight)", "True", "spotlight", "", "", "", "", "", "", "v2"),
    (
        "4",
        "Delta",
        "Reject",
        "False",
        "",
        "www.github.com/TestConf/delta.git",
        "https://github.com/TestConf/delta",
        "",
        "",
        "github.com",
        "abstract",
        "v2",
    ),
    ("5", "Epsilon", "Reject", "False", "", "", "", "", "", "", "", "v2"),
    (
        "7",
        "Eta",
        "Accept (Poster)",
        "True",
        "poster",
        "https://anonymous.4open.science/r/eta-123/",
        "",
        "",
        "",
        "anonymous.4open.science",
        "abstract",
        "v2",
    ),
]


def test_crawl_v2_venue(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    """Accepted + rejected venueids in 2 requests; the withdrawn submission is not listed.

    No form field has a code link, so the one accepted paper without a link in its text (Gamma) has
    its PDF asked for: the server has none (404), and the row stays without code.
    """
    out = tmp_path / "testconf"
    result = cli("crawl", TESTCONF, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert table(out) == TESTCONF_ROWS
    assert [r.query for r in fake.requests] == [
        {"content.venueid": TESTCONF, "limit": "1000", "sort": "id", "count": "true"},
        {
            "content.venueid": f"{TESTCONF}/Rejected_Submission",
            "limit": "1000",
            "sort": "id",
            "count": "true",
        },
        {"id": _note_id(TESTCONF, 3)},
    ]
    assert fake.pdf_requests(404) == [_note_id(TESTCONF, 3)]


def test_crawl_v1_venue_without_blind_submissions(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    out = tmp_path / "workshop"
    result = cli("crawl", WORKSHOP, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [row[:10] for row in table(out)] == [
        (
            "1",
            "Tiny Workshop Paper",
            "Accept (Oral)",
            "True",
            "oral",
            "https://gitlab.com/tiny/paper.git",
            "https://gitlab.com/tiny/paper",
            "",
            "",
            "gitlab.com",
        ),
        ("2", "Another Workshop Paper", "Reject", "False", "", "", "", "", "", ""),
    ]
    assert [r.query.get("invitation", "venueid") for r in fake.requests] == [
        "venueid",
        "venueid",
        f"{WORKSHOP}/-/Blind_Submission",
        f"{WORKSHOP}/-/Submission",
    ]


def test_a_saved_raw_page_is_a_valid_export(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    crawled = tmp_path / "crawled"
    assert cli("crawl", WORKSHOP, "--out", str(crawled)).returncode == 0
    (page,) = [p for p in (crawled / "raw").rglob("page-*.json") if json.loads(p.read_text())["notes"]]
    fake.reset()
    exported = tmp_path / "exported"
    result = cli("crawl", WORKSHOP, "--out", str(exported), "--from-file", str(page))
    assert result.returncode == 0, result.stderr
    assert fake.count == 0
    assert table(exported) == table(crawled)


def test_v2_export_with_withdrawn_submission(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    export = tmp_path / "testconf.json.gz"
    export.write_bytes(gzip.compress(json.dumps({"notes": v2_testconf().notes}).encode()))
    out = tmp_path / "out"
    result = cli("crawl", TESTCONF, "--out", str(out), "--from-file", str(export))
    assert result.returncode == 0, result.stderr
    rows = table(out)
    zeta = (
        "6",
        "Zeta",
        "Withdrawn",
        "False",
        "",
        "https://github.com/testconf/zeta",
        "https://github.com/testconf/zeta",
        "",
        "",
        "github.com",
        "abstract",
        "v2",
    )
    assert rows == [*TESTCONF_ROWS[:5], zeta, TESTCONF_ROWS[5]]


# -- note parsing ----------------------------------------------------------------------------------


def _reply(invitation: str, **content: Any) -> dict[str, Any]:
    return {"id": invitation[-6:], "replyto": "F", "invitation": invitation, "content": content}


def test_decision_is_the_reply_with_a_decision_invitation() -> None:
    note = {
        "details": {
            "directReplies": [
                _reply("V/Paper1/-/Official_Comment", title="Re: decision", decision="Accept (Talk)"),
                _reply("V/Paper1/-/Meta_Review", recommendation="Accept (Poster)"),
                _reply("V/Paper1/-/Decision", decision="Reject"),
            ]
        }
    }
    assert decision_reply(note) == "Reject"
    v2_reply = {
        "invitations": ["V/Submission1/-/Decision"],
        "content": {"decision": {"value": "Accept (oral)"}},
    }
    assert decision_reply({"details": {"directReplies": [v2_reply]}}) == "Accept (oral)"
    assert decision_reply({"details": None}) == ""


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("Accept (Poster)", "poster"),
        ("Accept (Spotlight)", "spotlight"),
        ("Accept (Talk)", "talk"),
        ("Accept (Oral)", "oral"),
        ("ICLR 2024 spotlight", "spotlight"),
        ("Accept: notable-top-5%", "oral"),
        ("Accept: notable-top-25%", "spotlight"),
        ("Accept: poster", "poster"),
        ("Reject", ""),
    ],
)
def test_tier(text: str, tier: str) -> None:
    assert tier_of(text) == tier


def test_accepted_is_unknown_without_a_decision() -> None:
    assert (accepted_of("Accept (Poster)"), accepted_of("Reject"), accepted_of("")) == (True, False, None)


def test_v1_and_v2_shapes() -> None:
    v1 = {
        "id": "a",
        "forum": "a",
        "number": 3,
        "invitation": "V/-/Blind_Submission",
        "content": {"title": " A  title "},
    }
    v2 = {
        "id": "b",
        "forum": "b",
        "invitations": ["V/-/Submission"],
        "content": {"title": {"value": "B"}, "venueid": {"value": "V"}, "venue": {"value": "V 2024 oral"}},
    }
    assert (api_of(v1), api_of(v2)) == ("v1", "v2")
    assert unwrap(v2["content"]) == {"title": "B", "venueid": "V", "venue": "V 2024 oral"}
    first, second = parse_note(v1, "V"), parse_note(v2, "V")
    assert (first.title, first.number, first.decision, first.accepted) == ("A title", 3, "", None)
    assert (second.decision, second.accepted, second.tier, second.venue) == (
        "Accept (Oral)",
        True,
        "oral",
        "V 2024 oral",
    )
    late_v1 = {"id": "c", "content": {"title": "C", "venueid": "V", "venue": "V 2022 Poster"}}
    assert (parse_note(late_v1, "V").decision, parse_note(late_v1, "V").api) == ("Accept (Poster)", "v1")


def test_code_field_venues_take_links_from_the_field_only() -> None:
    """Once any paper filled a code field, abstract links of the others are listed, not used."""
    notes = [
        {"id": "a", "number": 1, "content": {"title": "A", "code": "https://github.com/o/a"}},
        {"id": "b", "number": 2, "content": {"title": "B", "abstract": "Code: https://github.com/o/b."}},
    ]
    with_field = build_rows(parse_notes(notes, "V"))
    assert [(r["code_url"], r["link_source"], r["text_repo_urls"]) for r in with_field] == [
        ("https://github.com/o/a", "code", ""),
        ("", "", "https://github.com/o/b"),
    ]
    without_field = build_rows(parse_notes(notes[1:], "V"))
    assert [(r["repo_url"], r["link_source"]) for r in without_field] == [
        ("https://github.com/o/b", "abstract")
    ]
