"""Paged listings with every page kept on disk, so an interrupted crawl resumes where it stopped.

A listing is one query (``invitation=...`` or ``content.venueid=...``) paged by 1,000 notes with
``sort=id`` and ``after=<last id>``, exactly as openreview-py's ``get_all_notes`` pages it, but one
``get_notes`` call per page so each page can be written before the next is asked for. A rerun
replays the pages on disk (no request) and asks only for the first page missing. The files keep
the API's raw JSON envelope, so the crawl can be re-parsed later without the network.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openreview
import requests

from core import atomic
from crawlers.errors import CrawlerError
from crawlers.openreview.client import RETRY_STATUSES, Traffic, base_url

PAGE_SIZE = 1000

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RetryPolicy:
    """The crawler's own retry around a page, after the client's retries gave up (or never tried).

    openreview-py 2.9 already retries 429/5xx eight times; older 2.x clients raise on the first 429.
    Either way a page that still fails waits ``wait_s * 2**(attempt-1)`` (capped) and is asked again.
    """

    attempts: int = 4
    wait_s: float = 30.0
    max_wait_s: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def wait(self, attempt: int) -> float:
        return min(self.wait_s * 2 ** (attempt - 1), self.max_wait_s)


@dataclass(frozen=True)
class Query:
    """One listing: which API, the filter parameters for ``get_notes``, and a stable cache key."""

    api: str
    params: dict[str, Any]

    @property
    def key(self) -> str:
        text = "&".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80]
        return f"{readable}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


@dataclass
class Listing:
    """The notes of one query, how many the server said match, and how the pages were obtained."""

    query: Query
    notes: list[dict[str, Any]]
    count: int | None
    fetched: int = 0
    cached: int = 0


class PageCache:
    """``<root>/<api>/<query key>/page-0001.json``: one file per page, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, query: Query, index: int) -> Path:
        return self.root / query.api / query.key / f"page-{index:04d}.json"

    def load(self, query: Query, index: int) -> dict[str, Any] | None:
        path = self.path(query, index)
        if not path.is_file():
            return None
        try:
            page = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a torn or foreign file: fetch the page again
        return page if isinstance(page, dict) and isinstance(page.get("notes"), list) else None

    def save(self, query: Query, index: int, page: dict[str, Any]) -> None:
        path = self.path(query, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, json.dumps(page, ensure_ascii=False), newline_at_end=False)


class Unreachable(CrawlerError):
    """No HTTP answer at all (refused connection, DNS, timeouts after the client's own retries)."""

    def __init__(self, api: str, base: str, reason: str) -> None:
        self.reason = reason
        variable = "OPENREVIEW_API_BASEURL" + ("_V2" if api == "v2" else "")
        super().__init__(
            f"cannot reach the OpenReview API {api} at {base} ({reason}); check the network and {variable}, "
            f"or rerun with --from-file FILE"
        )


class ApiError(CrawlerError):
    """The API answered with an error that waiting will not cure (400, 404, ...)."""


def fetch_listing(
    client: Callable[[], Any],
    traffic: Traffic,
    query: Query,
    cache: PageCache,
    *,
    policy: RetryPolicy,
    max_pages: int | None = None,
    progress: Progress | None = None,
) -> Listing:
    """All notes of ``query`` (or its first ``max_pages`` pages), from disk where already fetched.

    ``client`` is called only when a page must be fetched, so a fully cached rerun builds no client
    (and does not even log in).

    Stops after a short page or once the ``count`` of the first page is reached, which saves the
    trailing empty request that ``get_all_notes`` makes.
    """
    listing = Listing(query=query, notes=[], count=None)
    after: str | None = None
    index = 1
    while max_pages is None or index <= max_pages:
        page = cache.load(query, index)
        if page is None:
            page = _fetch_page(
                client, traffic, query, after=after, first=index == 1, policy=policy, kept=cache.root
            )
            cache.save(query, index, page)
            listing.fetched += 1
        else:
            listing.cached += 1
        batch = page["notes"]
        if index == 1 and isinstance(page.get("count"), int):
            listing.count = page["count"]
        listing.notes.extend(batch)
        if progress is not None:
            progress(len(listing.notes), listing.count or len(listing.notes), f"API {query.api}")
        complete = listing.count is not None and len(listing.notes) >= listing.count
        if len(batch) < PAGE_SIZE or complete:
            break
        last = batch[-1]
        if not isinstance(last, dict) or not isinstance(last.get("id"), str) or not last["id"]:
            raise CrawlerError(
                f"OpenReview answered {_describe(query)} with a page whose last note has no id, so the "
                f"next page cannot be asked for; pages already fetched are kept under {cache.root}"
            )
        after = last["id"]
        index += 1
    return listing


def _fetch_page(
    client: Callable[[], Any],
    traffic: Traffic,
    query: Query,
    *,
    after: str | None,
    first: bool,
    policy: RetryPolicy,
    kept: Path,
) -> dict[str, Any]:
    """One ``get_notes`` call, retried by :class:`RetryPolicy` when the answer is still 429/5xx.

    Dropped connections are already retried by the client's transport; when that gives up the
    server is unreachable and waiting longer would not help an offline machine.
    """
    kwargs: dict[str, Any] = {**query.params, "limit": PAGE_SIZE, "sort": "id"}
    if after is not None:
        kwargs["after"] = after
    if query.api == "v2":
        kwargs["with_count"] = first
    for attempt in range(1, policy.attempts + 1):
        traffic.last = None
        try:
            client().get_notes(**kwargs)
            return _envelope(traffic, query, kwargs)
        except openreview.OpenReviewException as exc:
            status = traffic.last.status_code if traffic.last is not None else None
            if status not in RETRY_STATUSES:
                raise ApiError(
                    f"OpenReview API {query.api} answered {_describe(query)} "
                    f"with HTTP {status}: {_reason(exc)}"
                ) from exc
            cause, error = f"HTTP {status}", exc
        except requests.RequestException as exc:
            if traffic.last is None:
                raise Unreachable(query.api, base_url(query.api), _root_cause(exc)) from exc
            raise CrawlerError(
                f"OpenReview answered {_describe(query)} with something that is not JSON "
                f"(HTTP {traffic.last.status_code}): {_short(exc)}"
            ) from exc
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # openreview-py builds Note objects from what the server sent and trips over a note of the
            # wrong shape; the crawler keeps the raw JSON anyway, and the notes are checked later.
            if traffic.last is not None and traffic.last.status_code == 200:
                return _envelope(traffic, query, kwargs)
            raise CrawlerError(f"openreview-py failed on {_describe(query)}: {_short(exc)}") from exc
        if attempt < policy.attempts:
            policy.sleep(policy.wait(attempt))
    raise CrawlerError(
        f"OpenReview API {query.api} kept failing ({cause}) for {_describe(query)} after {policy.attempts} "
        f"attempts; pages already fetched are kept under {kept}, rerun later to continue"
    ) from error


def _envelope(traffic: Traffic, query: Query, sent: dict[str, Any]) -> dict[str, Any]:
    """The raw JSON the server answered (the client's Note objects drop fields such as details)."""
    if traffic.last is None:
        raise CrawlerError("openreview-py answered without an HTTP response; cannot record the page")
    try:
        body = traffic.last.json()
    except ValueError as exc:
        raise CrawlerError(f"OpenReview answered {_describe(query)} with something that is not JSON") from exc
    notes = body.get("notes") if isinstance(body, dict) else None
    if not isinstance(notes, list):
        raise CrawlerError(f"OpenReview answered {_describe(query)} without a list of notes")
    page: dict[str, Any] = {"api": query.api, "query": {k: v for k, v in sent.items() if k != "with_count"}}
    if isinstance(body.get("count"), int):
        page["count"] = body["count"]
    page["notes"] = notes
    return page


def _reason(exc: BaseException) -> str:
    """The message of an ``OpenReviewException``, whose first argument is usually the JSON body."""
    body = exc.args[0] if exc.args else exc
    if isinstance(body, dict):
        return str(body.get("message") or body.get("name") or body)
    return _short(exc)


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a transport error, e.g. ``[Errno 111] Connection refused``."""
    reason: BaseException = exc
    while True:
        inner = getattr(reason, "reason", None) or (reason.args[0] if reason.args else None)
        if not isinstance(inner, BaseException):
            break
        reason = inner
    text = " ".join(str(reason).split())
    return text.rsplit("): ", 1)[-1][:160] or type(reason).__name__


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


def _describe(query: Query) -> str:
    return " ".join(f"{k}={v}" for k, v in query.params.items() if k != "details") or "notes"
