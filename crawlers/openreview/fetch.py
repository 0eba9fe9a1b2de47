"""Crawl one venue: decide between API v2 and API v1, then list its submissions page by page.

Which API holds a venue is not written anywhere a client can ask cheaply, and the two are separate
services (ICLR up to 2023 and NeurIPS up to 2022 live on v1, newer venues on v2). So the crawler
asks v2 first, with the first page of the two listings it needs anyway (accepted and rejected
``content.venueid``): if either has notes the venue is on v2. If both are empty, or v2 is
unreachable or answers with an API error (wrong base URL, 404), it asks v1 for
``<venue>/-/Blind_Submission`` and then ``<venue>/-/Submission`` with decisions as direct replies.
A 403 or a challenge page is never a reason to switch: it stops the crawl with its own message.
Every page, including empty probe pages, is kept on disk, so a rerun makes no request at all.

ICLR 2020 costs 5 requests: 2 empty v2 probes and 3 v1 pages (1,000 + 1,000 + 213 notes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawlers.errors import CrawlerUsageError
from crawlers.openreview.client import Log, Traffic, base_url, make_client
from crawlers.openreview.pages import (
    ApiError,
    Listing,
    PageCache,
    Progress,
    Query,
    RetryPolicy,
    Unreachable,
    fetch_listing,
)
from crawlers.openreview.venue import EXAMPLE, check_venue_id, v1_invitations, v2_venueids


@dataclass
class CrawlResult:
    """The raw notes of a venue and how they were obtained (for the log and for provenance)."""

    venue: str
    api: str
    base_url: str
    notes: list[dict[str, Any]]
    listings: list[Listing] = field(default_factory=list)
    requests: int = 0
    retries: int = 0

    @property
    def pages_fetched(self) -> int:
        return sum(listing.fetched for listing in self.listings)

    @property
    def pages_cached(self) -> int:
        return sum(listing.cached for listing in self.listings)


class _Api:
    """One API: its client, built on first use, and the traffic it caused."""

    def __init__(self, api: str, traffic: Traffic, report: Log | None) -> None:
        self.api = api
        self.traffic = traffic
        self.report = report
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.api, self.traffic, self.report)
        return self._client


def crawl_venue(
    venue: str,
    raw_dir: Path,
    *,
    policy: RetryPolicy | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
) -> CrawlResult:
    """Every submission of ``venue`` that got a decision, as raw API notes (v1 or v2 shaped)."""
    check_venue_id(venue)
    policy = policy or RetryPolicy()
    cache = PageCache(raw_dir)
    traffic = Traffic()
    say = log or (lambda message: None)

    v2 = _Api("v2", traffic, log)
    v2_queries = [Query("v2", {"content": {"venueid": venueid}}) for venueid in v2_venueids(venue)]
    probes, v2_problem = _probe_v2(v2, v2_queries, cache, policy)
    if v2_problem:
        say(f"{v2_problem}; trying API v1")
    if any(probe.notes for probe in probes):
        listings = _complete(v2.client, traffic, v2_queries, probes, cache, policy, progress)
        return _result(venue, "v2", listings, traffic)

    v1 = _Api("v1", traffic, log)
    for invitation in v1_invitations(venue):
        query = Query("v1", {"invitation": invitation, "details": "directReplies"})
        try:
            probe = fetch_listing(v1.client, traffic, query, cache, policy=policy, max_pages=1)
        except ApiError as exc:
            say(f"API v1 has no listing for {invitation} ({exc})")
            continue
        if probe.notes:
            listings = _complete(v1.client, traffic, [query], [probe], cache, policy, progress)
            return _result(venue, "v1", listings, traffic)

    where_v2 = v2_problem or f"API v2 has no notes with content.venueid {' or '.join(v2_venueids(venue))}"
    raise CrawlerUsageError(
        f"no submissions found for {venue!r} on OpenReview: {where_v2}, and API v1 none with invitation "
        f"{' or '.join(v1_invitations(venue))}; check the venue id (it looks like {EXAMPLE})"
    )


def _probe_v2(
    v2: _Api, queries: list[Query], cache: PageCache, policy: RetryPolicy
) -> tuple[list[Listing], str]:
    """First pages of the v2 listings, or why v2 cannot be asked (then the venue may be on v1)."""
    try:
        probes = [fetch_listing(v2.client, v2.traffic, q, cache, policy=policy, max_pages=1) for q in queries]
    except Unreachable as exc:
        return [], f"API v2 at {base_url('v2')} is unreachable ({exc.reason})"
    except ApiError as exc:
        return [], f"API v2 at {base_url('v2')} failed ({exc})"
    return probes, ""


def _complete(
    client: Callable[[], Any],
    traffic: Traffic,
    queries: list[Query],
    probes: list[Listing],
    cache: PageCache,
    policy: RetryPolicy,
    progress: Progress | None,
) -> list[Listing]:
    """Fetch the remaining pages of each listing (their first pages are on disk after the probe)."""
    total = sum(probe.count if probe.count is not None else len(probe.notes) for probe in probes)
    done_before = 0
    listings: list[Listing] = []
    for query, probe in zip(queries, probes, strict=True):
        offset = done_before

        def report(done: int, _total: int, message: str, offset: int = offset) -> None:
            if progress is not None:
                progress(offset + done, max(total, offset + done), message)

        listing = fetch_listing(client, traffic, query, cache, policy=policy, progress=report)
        listing.fetched += probe.fetched  # the probe's page 1 was fetched (or replayed) once only
        listing.cached = max(0, listing.cached - probe.fetched)
        listings.append(listing)
        done_before += len(listing.notes)
    return listings


def _result(venue: str, api: str, listings: list[Listing], traffic: Traffic) -> CrawlResult:
    notes = [note for listing in listings for note in listing.notes]
    return CrawlResult(
        venue=venue,
        api=api,
        base_url=base_url(api),
        notes=notes,
        listings=listings,
        requests=traffic.responses,
        retries=traffic.retries,
    )
