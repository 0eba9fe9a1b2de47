"""OpenReview: list a venue's submissions with decisions through the real openreview-py client.

``crawl_venue`` asks the API (v2 first, then v1), keeping every page on disk; ``load_export`` reads
the same notes from an exported file; ``parse_notes`` turns either into :class:`Submission` records.
"""

from crawlers.openreview.export import load_export
from crawlers.openreview.fetch import CrawlResult, crawl_venue
from crawlers.openreview.notes import Submission, parse_note, parse_notes
from crawlers.openreview.pages import RetryPolicy
from crawlers.openreview.venue import check_venue_id

__all__ = [
    "CrawlResult",
    "RetryPolicy",
    "Submission",
    "check_venue_id",
    "crawl_venue",
    "load_export",
    "parse_note",
    "parse_notes",
]
