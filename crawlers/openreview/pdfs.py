"""Papers' PDFs through openreview-py's ``get_pdf``, cached on disk and paced to the server's limits.

OpenReview limits PDF downloads far below listings (36 per hour for guests, reported on the live
service), so a venue's PDFs take hours, and the downloader is built around that:

- **Cache by forum and content hash**: ``<cache>/pdfs/<forum>/<hash>.pdf``, where ``<hash>`` is
  the one in the note's ``pdf`` field (``/pdf/<sha1>.pdf``), so a revised PDF is a new file and an
  unchanged one is never fetched again, by any venue's census. ``<hash>.json`` beside it records the
  outcome (also final refusals: 404, 403, not a PDF), so a rerun asks nothing it was already told.
- **Politeness**: one request at a time. A 429 is not retried blindly by the transport: the wait
  comes from ``Retry-After`` (seconds or a date), else the ``details.resetTime`` of OpenReview's
  ``RateLimitError`` body, else the "try again in N minutes and M seconds" of its message, else a
  doubling back-off. A wait longer than ``max_wait_s`` stops the run with a one-line error saying
  what is kept and how long the rest would take; the next run continues from the cache.
- **Progress**: every finished PDF is reported with an estimate of the time left, from the pace so
  far (waits included, so after the first rate-limit window it reflects the server's limit).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openreview
import requests

from core import atomic
from crawlers.errors import CrawlerError
from crawlers.openreview.client import Log, Traffic, base_url, make_client

Progress = Callable[[int, int, str], None]

#: Outcomes that are final: recorded in the cache and never asked again.
FINAL = ("ok", "not_found", "forbidden", "not_a_pdf", "too_large")

#: Transport-level retries (5xx); 429 is handled here, by waiting for the reset time.
PDF_RETRY_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class PdfRequest:
    """One paper's PDF: its forum id, the API its note came from and the note's ``pdf`` field."""

    forum: str
    api: str
    pdf: str

    @property
    def key(self) -> str:
        """The content hash in ``/pdf/<hash>.pdf``; another stable digest for other spellings."""
        match = re.search(r"/pdf/([0-9a-fA-F]{16,64})\.pdf$", self.pdf)
        return match.group(1).lower() if match else hashlib.sha1(self.pdf.encode()).hexdigest()


@dataclass(frozen=True)
class PdfOutcome:
    """What became of one request: ``status`` in :data:`FINAL` or ``error``; the file when ``ok``."""

    request: PdfRequest
    status: str
    path: Path | None = None
    from_cache: bool = False
    detail: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class Politeness:
    """How patiently to wait for the PDF endpoint."""

    max_wait_s: float = 6 * 3600.0  # the longest single wait accepted before stopping (rerun later)
    backoff_s: float = 60.0  # first wait after a 429 that says nothing about when to come back
    attempts: int = 4  # per PDF, for 5xx answers that the transport's retries did not cure
    max_bytes: int = 100 * 1024 * 1024
    margin_s: float = 0.25  # added to a reset time, so the request lands after it
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.time, compare=False)


class PdfRateLimited(CrawlerError):
    """The server asked for a wait longer than :attr:`Politeness.max_wait_s`; rerun later to go on."""


class PdfCache:
    """``<root>/<forum>/<key>.pdf`` and ``<key>.json`` (the outcome record), written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, request: PdfRequest) -> Path:
        return self.root / re.sub(r"[^A-Za-z0-9._-]", "_", request.forum)

    def pdf_path(self, request: PdfRequest) -> Path:
        return self.folder(request) / f"{request.key}.pdf"

    def text_path(self, request: PdfRequest) -> Path:
        """Where the extracted text of this PDF is kept (see :mod:`crawlers.pdf_code`)."""
        return self.folder(request) / f"{request.key}.text.json"

    def record_path(self, request: PdfRequest) -> Path:
        return self.folder(request) / f"{request.key}.json"

    def load(self, request: PdfRequest) -> PdfOutcome | None:
        """The recorded final outcome, or None (never asked, an error, or a file gone missing)."""
        try:
            record = json.loads(self.record_path(request).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        status = record.get("status") if isinstance(record, dict) else None
        if status not in FINAL:
            return None
        path = self.pdf_path(request)
        if status == "ok" and not path.is_file():
            return None
        return PdfOutcome(
            request,
            status,
            path if status == "ok" else None,
            from_cache=True,
            detail=str(record.get("detail", "")),
            sha256=str(record.get("sha256", "")),
        )

    def save(self, outcome: PdfOutcome, content: bytes | None, when: float) -> PdfOutcome:
        request = outcome.request
        self.folder(request).mkdir(parents=True, exist_ok=True)
        sha256 = hashlib.sha256(content).hexdigest() if content is not None else ""
        if content is not None:
            atomic.write_bytes(self.pdf_path(request), content)
        record = {
            "forum": request.forum,
            "pdf": request.pdf,
            "status": outcome.status,
            "detail": outcome.detail,
            "bytes": len(content) if content is not None else 0,
            "sha256": sha256,
            "fetched_at": datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds"),
        }
        atomic.write_text(self.record_path(request), json.dumps(record, indent=2))
        path = self.pdf_path(request) if outcome.status == "ok" else None
        return PdfOutcome(request, outcome.status, path, False, outcome.detail, sha256)


def duration(seconds: float) -> str:
    """``3h 05m``, ``12m 30s``, ``42s``: how long, for people."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


@dataclass
class Pace:
    """Time left at the pace so far: PDFs fetched over the network and the time they took, waits included."""

    started: float
    fetched: int = 0

    def eta(self, remaining: int, now: float) -> float | None:
        if self.fetched == 0:
            return None
        return remaining * (now - self.started) / self.fetched

    def describe(self, remaining: int, now: float) -> str:
        eta = self.eta(remaining, now)
        return f"{remaining} left" + (
            f", about {duration(eta)} at the pace so far" if eta is not None else ""
        )


def retry_wait(response: requests.Response | None, now: float) -> tuple[float | None, str]:
    """Seconds to wait after a 429 and what said so; ``None`` when the answer does not say."""
    if response is None:
        return None, ""
    header = (response.headers.get("Retry-After") or "").strip()
    if header:
        if re.fullmatch(r"\d+(?:\.\d+)?", header):
            return float(header), "Retry-After"
        try:
            when = email.utils.parsedate_to_datetime(header)
            return max(0.0, when.timestamp() - now), "Retry-After"
        except (TypeError, ValueError):
            pass
    body = _json(response)
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    reset = details.get("resetTime")
    if isinstance(reset, str):
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            return max(0.0, when.timestamp() - now), "resetTime"
        except ValueError:
            pass
    message = str(body.get("message") or "")
    match = re.search(
        r"try again in\s+(?:(\d+)\s+hours?)?[\s,and]*(?:(\d+)\s+minutes?)?[\s,and]*(?:(\d+)\s+seconds?)?",
        message,
        re.IGNORECASE,
    )
    if match and any(match.groups()):
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return float(hours * 3600 + minutes * 60 + seconds), "message"
    return None, ""


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _limit(response: requests.Response | None) -> str:
    details = _json(response).get("details") if response is not None else None
    limit = details.get("limit") if isinstance(details, dict) else None
    return f" (limit {limit})" if limit else ""


class _Clients:
    """One openreview-py client per API, built on first use, 429 left to the downloader."""

    def __init__(self, traffic: Traffic, log: Log | None) -> None:
        self.traffic = traffic
        self.log = log
        self._clients: dict[str, Any] = {}

    def get(self, api: str) -> Any:
        api = "v2" if api == "v2" else "v1"
        if api not in self._clients:
            self._clients[api] = make_client(api, self.traffic, self.log, retry_statuses=PDF_RETRY_STATUSES)
        return self._clients[api]


def fetch_pdfs(
    requests_: Iterable[PdfRequest],
    cache: PdfCache,
    *,
    politeness: Politeness | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
) -> Iterator[PdfOutcome]:
    """Yield one outcome per request, from the cache or the API, in order; see the module doc."""
    policy = politeness or Politeness()
    say = log or (lambda message: None)
    todo = list(requests_)
    traffic = Traffic(refuse_forbidden=False)
    clients = _Clients(traffic, log)
    pace = Pace(started=policy.clock())
    cached = [cache.load(request) for request in todo]
    remaining = sum(outcome is None for outcome in cached)
    if remaining:
        say(
            f"PDFs: {len(todo) - remaining} in the cache, "
            f"{remaining} to fetch from OpenReview (one at a time)"
        )
    for done, (request, outcome) in enumerate(zip(todo, cached, strict=True), 1):
        if outcome is None:
            outcome = _fetch_one(request, clients, traffic, cache, policy, pace, remaining, say)
            remaining -= 1
            pace.fetched += 1
        if progress is not None:
            eta = pace.eta(remaining, policy.clock())
            progress(done, len(todo), f"{remaining} to fetch, ~{duration(eta)} left" if eta else "")
        yield outcome


def _fetch_one(
    request: PdfRequest,
    clients: _Clients,
    traffic: Traffic,
    cache: PdfCache,
    policy: Politeness,
    pace: Pace,
    remaining: int,
    say: Log,
) -> PdfOutcome:
    """One PDF: wait out 429s (each wait bounded), retry 5xx a few times, record final answers."""
    failures = 0
    rate_limited = 0
    while True:
        traffic.last = None
        try:
            content = clients.get(request.api).get_pdf(request.forum)
        except openreview.OpenReviewException as exc:
            response = traffic.last
            status = response.status_code if response is not None else None
            if status == 429:
                rate_limited += 1
                _wait_for_reset(response, request, policy, pace, remaining, rate_limited, say)
                continue
            final = {404: "not_found", 403: "forbidden"}.get(status or 0)
            if final:
                return cache.save(PdfOutcome(request, final, detail=f"HTTP {status}"), None, policy.clock())
            failures += 1
            if failures >= policy.attempts:
                return PdfOutcome(request, "error", detail=f"HTTP {status}: {_reason(exc)}")
            policy.sleep(min(policy.backoff_s * 2 ** (failures - 1), 600.0))
            continue
        except requests.RequestException as exc:
            if traffic.last is None:
                raise CrawlerError(
                    f"cannot reach OpenReview at {base_url(request.api)} for PDFs ({type(exc).__name__}); "
                    f"PDFs fetched so far are kept under {cache.root}; rerun to continue"
                ) from exc
            return PdfOutcome(request, "error", detail=type(exc).__name__)
        return _store(request, content, cache, policy)


def _store(request: PdfRequest, content: Any, cache: PdfCache, policy: Politeness) -> PdfOutcome:
    if not isinstance(content, bytes | bytearray):
        return cache.save(PdfOutcome(request, "not_a_pdf", detail="empty answer"), None, policy.clock())
    data = bytes(content)
    if len(data) > policy.max_bytes:
        detail = f"{len(data) / 2**20:.0f} MB, over {policy.max_bytes / 2**20:.0f} MB"
        return cache.save(PdfOutcome(request, "too_large", detail=detail), None, policy.clock())
    if data.lstrip()[:5] != b"%PDF-":
        return cache.save(PdfOutcome(request, "not_a_pdf", detail="no %PDF- header"), None, policy.clock())
    return cache.save(PdfOutcome(request, "ok"), data, policy.clock())


def _wait_for_reset(
    response: requests.Response | None,
    request: PdfRequest,
    policy: Politeness,
    pace: Pace,
    remaining: int,
    attempt: int,
    say: Log,
) -> None:
    now = policy.clock()
    wait, said_by = retry_wait(response, now)
    if wait is None:
        wait, said_by = min(policy.backoff_s * 2 ** (attempt - 1), 3600.0), "back-off"
    else:
        wait += policy.margin_s if said_by == "resetTime" else 0.0
    left = pace.describe(remaining, now)
    if wait > policy.max_wait_s:
        raise PdfRateLimited(
            f"OpenReview limits PDF downloads{_limit(response)} and asks to wait {duration(wait)} "
            f"({said_by}), longer than the {duration(policy.max_wait_s)} allowed (--pdf-max-wait); "
            f"PDFs fetched so far are kept, {left}; rerun later to continue"
        )
    until = datetime.fromtimestamp(now + wait, UTC).strftime("%H:%M:%S UTC")
    say(
        f"PDFs: rate limited by OpenReview{_limit(response)}; waiting {duration(wait)} until {until} "
        f"({said_by}); {left}"
    )
    policy.sleep(wait)


def _reason(exc: BaseException) -> str:
    body = exc.args[0] if exc.args else exc
    if isinstance(body, dict):
        return str(body.get("message") or body.get("name") or body)[:120]
    return " ".join(str(body).split())[:120]
