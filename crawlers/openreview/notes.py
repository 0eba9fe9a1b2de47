"""Raw OpenReview notes (API v1 or v2 shaped) → :class:`Submission` records with their decision.

The two APIs shape the same facts differently:

- v1 content values are bare (``content['title']``); the decision is a direct reply whose
  ``invitation`` ends in ``/-/Decision`` (fetched with ``details=directReplies``), its
  ``content.decision`` e.g. ``Accept (Poster)`` or ``Reject``. Later v1 venues also carry
  ``content.venueid``/``content.venue``, used when no decision reply came with the note.
- v2 content values are wrapped (``content['title']['value']``) and notes carry ``invitations``;
  the decision is where the note now lives: ``content.venueid`` equal to the venue means accepted,
  ``<venue>/Rejected_Submission`` rejected, and ``content.venue`` (``ICLR 2024 spotlight``) names
  the tier. A decision reply, when present, still wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SITE = "https://openreview.net"

#: ``content.venueid`` suffixes of v2 submissions that were not accepted, and the decision they mean.
_VENUEID_DECISIONS = {
    "/Rejected_Submission": "Reject",
    "/Withdrawn_Submission": "Withdrawn",
    "/Desk_Rejected_Submission": "Desk Reject",
    "/Submission": "",
}

# Presentation tiers as venues spell them; ICLR 2023's "notable-top-5%/25%" were orals/spotlights.
_TIERS = (
    ("oral", re.compile(r"\boral\b|top[- ]?5%", re.IGNORECASE)),
    ("spotlight", re.compile(r"\bspotlight\b|top[- ]?25%", re.IGNORECASE)),
    ("talk", re.compile(r"\btalk\b", re.IGNORECASE)),
    ("poster", re.compile(r"\bposter\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Submission:
    """One submission as the census needs it; ``content`` keeps every field, unwrapped."""

    forum: str
    number: int | None
    title: str
    decision: str
    accepted: bool | None
    tier: str
    venue: str
    api: str
    content: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def authors(self) -> list[str]:
        return as_list(self.content.get("authors"))

    @property
    def keywords(self) -> list[str]:
        return as_list(self.content.get("keywords"))

    @property
    def pdf(self) -> str:
        """The PDF link, made absolute on the public site (the API gives ``/pdf/<hash>.pdf``)."""
        pdf = self.content.get("pdf")
        if not isinstance(pdf, str) or not pdf:
            return ""
        return SITE + pdf if pdf.startswith("/") else pdf


def api_of(note: dict[str, Any]) -> str:
    """``"v2"`` for a v2-shaped note (``invitations`` list or wrapped values), else ``"v1"``."""
    if isinstance(note.get("invitations"), list):
        return "v2"
    content = note.get("content") or {}
    wrapped = [isinstance(value, dict) and "value" in value for value in content.values()]
    return "v2" if wrapped and all(wrapped) else "v1"


def unwrap(content: dict[str, Any] | None) -> dict[str, Any]:
    """Content with v2's ``{"value": x}`` wrappers removed (v1 content is returned as is)."""
    return {
        key: value["value"] if isinstance(value, dict) and "value" in value else value
        for key, value in (content or {}).items()
    }


def as_list(value: Any) -> list[str]:
    """Authors/keywords arrive as a list, or as one string separated by ``;`` or ``,``."""
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
    return []


def decision_reply(note: dict[str, Any]) -> str:
    """``content.decision`` of the direct reply whose invitation ends in ``/-/Decision``, or ``""``."""
    replies = (note.get("details") or {}).get("directReplies") or []
    for reply in replies:
        invitations = [reply.get("invitation") or "", *(reply.get("invitations") or [])]
        if any(str(invitation).endswith("/-/Decision") for invitation in invitations):
            decision = unwrap(reply.get("content")).get("decision")
            if isinstance(decision, str) and decision.strip():
                return decision.strip()
    return ""


def tier_of(text: str) -> str:
    """``poster``/``spotlight``/``talk``/``oral`` named in a decision or venue string, else ``""``."""
    return next((tier for tier, pattern in _TIERS if pattern.search(text or "")), "")


def _from_venueid(venueid: str, venue_name: str, venue: str) -> str:
    """A decision spelled from where the note lives (v2, and late v1 venues)."""
    if not venueid:
        return ""
    if venueid == venue:
        tier = tier_of(venue_name)
        return f"Accept ({tier.title()})" if tier else "Accept"
    for suffix, decision in _VENUEID_DECISIONS.items():
        if venueid.endswith(suffix):
            return decision
    return ""


def accepted_of(decision: str) -> bool | None:
    """Accepted when the decision starts with "Accept"; unknown (None) when there is no decision."""
    if not decision:
        return None
    return decision.lower().startswith("accept")


def parse_note(note: dict[str, Any], venue: str) -> Submission:
    """One raw note (either API) → :class:`Submission`."""
    content = unwrap(note.get("content"))
    venue_name = str(content.get("venue") or "")
    decision = decision_reply(note) or _from_venueid(str(content.get("venueid") or ""), venue_name, venue)
    number = note.get("number")
    accepted = accepted_of(decision)
    return Submission(
        forum=str(note.get("forum") or note.get("id") or ""),
        number=number if isinstance(number, int) else None,
        title=" ".join(str(content.get("title") or "").split()),
        decision=decision,
        accepted=accepted,
        tier=tier_of(decision) or (tier_of(venue_name) if accepted else ""),
        venue=venue_name,
        api=api_of(note),
        content=content,
    )


def parse_notes(notes: Iterable[dict[str, Any]], venue: str) -> list[Submission]:
    """Every note that is a submission (not a reply), in the order given."""
    return [parse_note(note, venue) for note in notes if not note.get("replyto")]
