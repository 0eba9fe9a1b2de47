"""The fake server speaks the wire format of docs/openreview-api.md to openreview-py's own calls.

Checked with the client's ``get_all_notes`` (its own paging, which ends on an empty page) and
``get_note``, so the crawler's tests rest on a fake the real client accepts.
"""

from __future__ import annotations

import openreview

from tests.crawlers.fake_openreview import ICLR2020, TESTCONF, FakeOpenReview


def test_v1_get_all_notes_pages_by_1000_and_ends_on_an_empty_page(fake: FakeOpenReview) -> None:
    client = openreview.Client(baseurl=fake.base_v1)
    notes = client.get_all_notes(invitation=f"{ICLR2020}/-/Blind_Submission", details="directReplies")
    assert len(notes) == 2213 and len({note.id for note in notes}) == 2213
    assert [len(r.query.get("after", "")) > 0 for r in fake.requests] == [False, True, True, True]
    decisions = [
        reply["content"]["decision"]
        for note in notes
        for reply in note.details["directReplies"]
        if reply["invitation"].endswith("/-/Decision")
    ]
    assert len(decisions) == 2213
    assert client.get_note(notes[0].id).id == notes[0].id
    assert len(client.get_notes(forum=notes[0].id)) == 1


def test_v2_get_all_notes_by_venueid(fake: FakeOpenReview) -> None:
    client = openreview.api.OpenReviewClient(baseurl=fake.base_v2)
    accepted = client.get_all_notes(content={"venueid": TESTCONF})
    assert sorted(note.number for note in accepted) == [1, 2, 3, 7]
    assert all(note.content["venueid"]["value"] == TESTCONF for note in accepted)
    assert fake.requests[0].query == {
        "content.venueid": TESTCONF,
        "limit": "1000",
        "sort": "id",
        "count": "true",
    }
    assert client.get_notes(content={"venueid": f"{TESTCONF}/Withdrawn_Submission"})[0].number == 6
