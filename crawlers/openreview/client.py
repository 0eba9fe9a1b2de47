"""The openreview-py clients, set up for a crawler: base URLs, retries, traffic accounting.

openreview-py does the HTTP; this module only configures it. Two changes to the client's own
session, all through public ``requests``/``urllib3`` hooks:

- its retry policy is kept (8 tries on 429/500/502/503/504, backoff, ``Retry-After``) but a
  ``Retry-After: 0`` now means "retry now" (urllib3 treats 0 as absent and falls back to an
  exponential backoff), and retries are reported to a callback instead of printed on stdout;
- a response hook counts the final responses, keeps the last one (its raw JSON is what goes into
  the page cache) and turns a 403 or an HTML page (a bot challenge) into a one-line
  :class:`~crawlers.errors.CrawlerError` naming the cause, instead of a JSON decoding traceback.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openreview
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from crawlers.errors import CrawlerError

PRODUCTION_V1 = "https://api.openreview.net"
PRODUCTION_V2 = "https://api2.openreview.net"
RETRY_STATUSES = (429, 500, 502, 503, 504)

Log = Callable[[str], None]


def base_url(api: str) -> str:
    """The API's base URL from openreview-py's own variables, else production (never localhost).

    openreview-py defaults to ``localhost:3000/3001`` when the variables are unset; a crawler
    should talk to openreview.net unless told otherwise.
    """
    name, default = (
        ("OPENREVIEW_API_BASEURL", PRODUCTION_V1)
        if api == "v1"
        else ("OPENREVIEW_API_BASEURL_V2", PRODUCTION_V2)
    )
    return (os.environ.get(name) or "").strip().rstrip("/") or default


class ReportingRetry(Retry):
    """urllib3 retry that honours ``Retry-After: 0`` literally and reports each retry."""

    report: Log | None = None

    def new(self, **kw: Any) -> ReportingRetry:
        retry = super().new(**kw)
        retry.report = self.report
        return retry

    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after is None:
            return False
        if retry_after > 0:
            time.sleep(retry_after)
        return True

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)  # raises when spent
        if self.report is not None:
            cause = f"HTTP {response.status}" if response is not None else type(error).__name__
            self.report(f"OpenReview: {cause} for {(url or '').split('?', 1)[0]}; retrying")
        return retry


@dataclass
class Traffic:
    """What went over the wire: final responses (retries excluded), retries, the last response."""

    responses: int = 0
    retries: int = 0
    last: requests.Response | None = field(default=None, repr=False)
    #: A 403 stops a listing (anonymous listings blocked); for one PDF it is that paper's answer.
    refuse_forbidden: bool = True

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """``requests`` response hook: count, keep, and refuse blocked answers with a clear error."""
        self.responses += 1
        self.last = response
        blocked = blocked_reason(response, forbidden=self.refuse_forbidden)
        if blocked:
            raise CrawlerError(blocked)
        return response


def blocked_reason(response: requests.Response, *, forbidden: bool = True) -> str:
    """A one-line explanation when the server blocked us (HTML challenge page or 403), else ``""``.

    Only the first 64 KiB of a non-JSON body are looked at, as bytes: decoding a multi-megabyte page
    of notes as text just to rule out HTML would cost more than the page itself.
    """
    content_type = response.headers.get("Content-Type", "").lower()
    hint = "export the notes (a JSON list) and rerun with --from-file FILE"
    where = response.url.split("?", 1)[0]
    head = b"" if "json" in content_type else response.content[:65536]
    if "html" in content_type or head.lstrip()[:1] == b"<":
        text = head.decode("utf-8", "replace")
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        shown = f" titled {' '.join(title.group(1).split())!r}" if title else ""
        return (
            f"OpenReview answered {where} with an HTML page{shown} (HTTP {response.status_code}) instead of "
            f"JSON, most likely a bot challenge blocking automated listings; wait and rerun, or {hint}"
        )
    if forbidden and response.status_code == 403:
        return (
            f"OpenReview refused {where} with HTTP 403 Forbidden ({_message(response)}); anonymous listings "
            f"may be blocked: set OPENREVIEW_USERNAME and OPENREVIEW_PASSWORD, or {hint}"
        )
    return ""


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:120] or response.reason
    return str(body.get("message") or body.get("name") or body) if isinstance(body, dict) else str(body)


def make_client(
    api: str, traffic: Traffic, report: Log | None = None, *, retry_statuses: tuple[int, ...] = RETRY_STATUSES
) -> Any:
    """A real openreview-py client for ``api`` ("v1" or "v2"), anonymous unless credentials are set.

    The client itself logs in when ``OPENREVIEW_USERNAME``/``OPENREVIEW_PASSWORD`` are set (a user
    may want the higher limits of an account); otherwise construction sends no request.
    ``retry_statuses`` are retried by the transport; the PDF downloader leaves 429 out and waits
    for the reset time itself, so that it can say how long the rest will take.
    """
    url = base_url(api)
    try:
        client = (
            openreview.Client(baseurl=url) if api == "v1" else openreview.api.OpenReviewClient(baseurl=url)
        )
    except openreview.OpenReviewException as exc:
        raise CrawlerError(f"cannot set up the OpenReview API {api} client for {url}: {_first(exc)}") from exc
    except requests.RequestException as exc:
        raise CrawlerError(f"cannot log in to OpenReview at {url}: {type(exc).__name__}") from exc
    _configure_session(client.session, traffic, report, retry_statuses)
    return client


def _first(exc: Exception) -> str:
    """The message inside an ``OpenReviewException``, whose first argument is often the JSON body."""
    body = exc.args[0] if exc.args else exc
    return str(body.get("message") or body) if isinstance(body, dict) else str(body)


def _configure_session(
    session: requests.Session, traffic: Traffic, report: Log | None, statuses: tuple[int, ...]
) -> None:
    """Swap in :class:`ReportingRetry` (same parameters as the client's) and the traffic hook."""
    retry = ReportingRetry(
        total=8,
        connect=1,
        backoff_factor=1,
        backoff_max=120,
        backoff_jitter=1,
        status_forcelist=list(statuses),
        raise_on_status=False,
        # urllib3 retries any 429 that has a Retry-After when this is on, whatever the forcelist says.
        respect_retry_after_header=429 in statuses,
    )
    retry.report = _counting(traffic, report)
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.hooks["response"].append(traffic.record)


def _counting(traffic: Traffic, report: Log | None) -> Log:
    def count(message: str) -> None:
        traffic.retries += 1
        if report is not None:
            report(message)

    return count
