"""The OpenReview notes of the hostile venue: one accepted paper per repository of the corpus, then
notes with missing or wrongly typed fields, a megabyte abstract, a megabyte title and links with
control characters (docs/hostile-inputs.md, "OpenReview notes")."""

from __future__ import annotations

import random
from typing import Any

from tests.audit.hostile_corpus import CASES, OWNER, VENUE
from tests.crawlers.fake_openreview import Venue, v1_replies

#: Size of the big abstract and the big title.
MEGABYTE = 1_000_000


def _note(number: int | Any, forum: str, content: Any, **extra: Any) -> dict[str, Any]:
    note = {
        "id": forum,
        "forum": forum,
        "number": number,
        "invitation": f"{VENUE}/-/Blind_Submission",
        "replyto": None,
        "readers": ["everyone"],
        "content": content,
    }
    return note | extra


def hostile_notes() -> list[dict[str, Any]]:
    """One accepted note per repository, then the hostile notes (see docs/hostile-inputs.md)."""
    notes = [
        _note(i, f"repo{i:04d}", {"title": f"Paper {case.name}", "code": case.url, "authors": ["A. Author"]})
        for i, case in enumerate(CASES, start=1)
    ]
    n = len(notes)
    notes += [
        _note(n + 1, "missingAA1", {"abstract": "No title, no authors, no code field."}),
        _note(None, "missingAA2", {"title": "No number"}),
        _note(
            "12",  # a number as a string
            "typesAAAA1",
            {"title": ["A title", "as a list"], "authors": 5, "keywords": {"k": 1}, "code": 42, "pdf": ["x"]},
        ),
        _note(n + 3, "typesAAAA2", "content is a string, not an object"),
        _note(n + 4, "typesAAAA3", {"title": {"value": 7}, "code": {"value": OWNER + "clean"}}),
        _note(
            n + 5,
            "megaAbstrA",
            {
                "title": "A megabyte abstract",
                "abstract": "word " * (MEGABYTE // 5) + "see " + OWNER + "clean",
            },
        ),
        _note(n + 6, "megaTitleA", {"title": "T" * MEGABYTE, "code": ""}),
        _note(
            n + 7,
            "controlAA1",
            {"title": "Escape\x1b[2J\x1b]0;pwned\x07 title", "code": OWNER + "clean\x1b[31m"},
        ),
        _note(
            n + 8,
            "controlAA2",
            {"title": "Bell", "code": OWNER + "clean/tree/v1\x07/sub\n--upload-pack=touch"},
        ),
        _note(n + 9, "controlAA3", {"title": "NUL", "code": "https://github.com/host\x00ile/clean"}),
    ]
    return notes


def hostile_venue() -> Venue:
    """The venue as the fake OpenReview server serves it (v1, decisions as direct replies)."""
    rng = random.Random(4)
    notes = hostile_notes()
    replies = {}
    for note in notes:
        number = note["number"] if isinstance(note["number"], int) else 0
        replies[note["forum"]] = v1_replies(VENUE, note["forum"], number, "Accept (Poster)", rng)
    # Replies of the wrong shape: the decision is then unknown, not a crash.
    replies["typesAAAA1"] = [1, {"invitation": 7, "content": ["not", "an", "object"]}]
    return Venue(notes=notes, replies=replies)


#: Forums the crawl must skip (not a submission it can read).
SKIPPED_FORUMS = frozenset({"typesAAAA2"})
