"""Venue ids: what a well-formed one looks like, and the ids derived from it.

Checked before any request so that a typo (``'ICLR 2020'``) costs no traffic and gets a usage
error that shows the expected shape instead of an empty result from the server.
"""

from __future__ import annotations

import re

from crawlers.errors import CrawlerUsageError

EXAMPLE = "ICLR.cc/2020/Conference"

# Group ids: path segments of letters, digits and ``._-`` (no spaces), the first usually a domain.
_VENUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def check_venue_id(venue: str) -> str:
    """Return ``venue`` if it is a well-formed OpenReview group id, else raise a usage error."""
    if _VENUE_RE.match(venue or "") and "/-/" not in venue:
        return venue
    raise CrawlerUsageError(
        f"{venue!r} is not an OpenReview venue id; a venue id is the group id in the venue's URL, "
        f"path segments without spaces such as {EXAMPLE} or NeurIPS.cc/2023/Conference"
    )


def v2_venueids(venue: str) -> list[str]:
    """The ``content.venueid`` values listed under API v2: accepted papers, then rejected ones.

    Withdrawn and desk-rejected submissions are left out, as the v1 ``Blind_Submission`` listing
    leaves them out, so both APIs count the same population: submissions that got a decision.
    """
    return [venue, f"{venue}/Rejected_Submission"]


def v1_invitations(venue: str) -> list[str]:
    """The API v1 submission invitations to try, blind (double-blind venues) first."""
    return [f"{venue}/-/Blind_Submission", f"{venue}/-/Submission"]
