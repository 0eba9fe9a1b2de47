"""A fake OpenReview API on 127.0.0.1 that serves recorded real notes, for the real openreview-py client.

One HTTP server answers both APIs: ``<base>/v1/notes`` (openreview.Client) and ``<base>/v2/notes``
(openreview.api.OpenReviewClient), with the query parameters and the ``{"notes": [...], "count": N}``
envelope described in docs/openreview-api.md. Every request is recorded, so tests can count them.

Faults, switched on per test through :class:`Faults`: a seeded fraction of requests answered 429
(OpenReview's RateLimitError body) or 503, both with ``Retry-After: 0`` so that the client retries
at once; a burst of consecutive 429s (more than the client's own 8 retries); and a ``blocked``
mode answering 403 or an HTML challenge page, from the n-th request on.

PDFs: ``<base>/<api>/pdf?id=<forum>`` answers the bytes the tests built (tests/crawlers/pdf_papers.py)
as ``application/pdf``, or a 404. The PDF endpoint has its own rate limit, as on the live service:
``pdf_limit`` requests per ``pdf_window_s`` window, then 429 with the real RateLimitError body
(``details.limit``, ``details.resetTime``) and, per ``pdf_hint``, a ``Retry-After`` header, only the
reset time, or only the "try again in N seconds" message.

Data: :func:`v1_iclr2020` builds the ICLR 2020 v1 listing from ../shared/data/openreview/iclr2020/ (the
687 recorded accepted notes plus the 1,526 rejected submissions synthesised from their real id,
title and keywords), each with decision and review replies; :func:`v2_testconf` is a small v2
venue with wrapped values and code links only in free text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.crawlers import pdf_papers
from tests.shared_data import shared_data

DATA = shared_data("openreview", "iclr2020")
ICLR2020 = "ICLR.cc/2020/Conference"
TESTCONF = "TestConf.cc/2024/Conference"
WORKSHOP = "TestWorkshop.cc/2019/Workshop"
MAX_LIMIT = 1000

STATUS_DECISIONS = {
    "Poster": "Accept (Poster)",
    "Spotlight": "Accept (Spotlight)",
    "Talk": "Accept (Talk)",
    "Reject": "Reject",
}

CHALLENGE_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body><noscript>Enable JavaScript and cookies to continue</noscript>"
    '<div id="challenge-body">Verifying you are human.</div></body></html>'
)


@dataclass
class Faults:
    """What the server does wrong. ``rate`` applies per request, decided by a seeded RNG."""

    rate: float = 0.0
    seed: int = 2020
    burst: int = 0  # the first ``burst`` requests are all answered 429
    blocked: str = ""  # "" | "forbidden" (403 JSON) | "challenge" (HTML page)
    blocked_status: int = 403  # status of the challenge page
    blocked_from: int = 1  # the 1-based request number from which ``blocked`` applies
    pdf_limit: int = 0  # PDF requests allowed per window (0: unlimited)
    pdf_window_s: float = 1.0
    pdf_hint: str = "retry-after"  # "retry-after" | "reset-time" | "message": how the 429 says when


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    api: str
    query: dict[str, str]
    status: int
    authorization: str = ""


@dataclass
class Venue:
    """The notes one API serves: submissions and their direct replies by forum."""

    notes: list[dict[str, Any]]
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pdfs: dict[str, bytes] = field(default_factory=dict)


class FakeOpenReview:
    """The server; use as a context manager. ``base_v1``/``base_v2`` go into the client's env."""

    def __init__(self, v1: list[Venue], v2: list[Venue]) -> None:
        self.data = {
            "v1": [note for venue in v1 for note in venue.notes],
            "v2": [note for venue in v2 for note in venue.notes],
        }
        self.replies = {
            api: {forum: replies for venue in venues for forum, replies in venue.replies.items()}
            for api, venues in (("v1", v1), ("v2", v2))
        }
        self.pdfs = {
            api: {forum: data for venue in venues for forum, data in venue.pdfs.items()}
            for api, venues in (("v1", v1), ("v2", v2))
        }
        self.faults = Faults()
        self._pdf_window: tuple[float, int] = (0.0, 0)  # window start, PDF requests in it
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._rng = random.Random(self.faults.seed)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> FakeOpenReview:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_v1(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def base_v2(self) -> str:
        return f"{self.base_url}/v2"

    def set_faults(self, **kwargs: Any) -> None:
        """Replace the fault plan (and reseed the RNG so runs are deterministic)."""
        with self._lock:
            self.faults = Faults(**kwargs)
            self._rng = random.Random(self.faults.seed)
            self._pdf_window = (0.0, 0)

    def reset(self) -> None:
        """Forget recorded requests and faults (between phases of one test)."""
        self.set_faults()
        with self._lock:
            self.requests.clear()

    @property
    def count(self) -> int:
        return len(self.requests)

    def served(self, status: int = 200) -> list[Recorded]:
        return [request for request in self.requests if request.status == status]

    def pdf_requests(self, status: int | None = None) -> list[str]:
        """The forum ids of PDF requests (answered with ``status``, when given), in order."""
        return [
            r.query.get("id", "")
            for r in self.requests
            if r.method == "PDF" and (status is None or r.status == status)
        ]

    # -- behaviour -------------------------------------------------------------------------------
    def _fault(self, number: int) -> tuple[int, dict[str, str], bytes] | None:
        """The faulty answer for request ``number`` (1-based), or None to answer normally."""
        faults = self.faults
        if faults.blocked and number >= faults.blocked_from:
            if faults.blocked == "challenge":
                headers = {"Content-Type": "text/html; charset=UTF-8", "cf-mitigated": "challenge"}
                return faults.blocked_status, headers, CHALLENGE_PAGE.encode()
            body = {"name": "ForbiddenError", "message": "Forbidden", "status": 403}
            return 403, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()
        if number <= faults.burst or (faults.rate and self._rng.random() < faults.rate):
            if number > faults.burst and self._rng.random() < 0.5:
                body = {"name": "ServiceUnavailableError", "message": "Service Unavailable", "status": 503}
                status = 503
            else:
                body = {
                    "name": "RateLimitError",
                    "message": "Too many requests: 36 per 60 seconds",
                    "status": 429,
                    "details": {"limit": 36, "remaining": 0},
                }
                status = 429
            headers = {"Content-Type": "application/json; charset=utf-8", "Retry-After": "0"}
            return status, headers, json.dumps(body).encode()
        return None

    def answer(
        self, method: str, path: str, query: dict[str, str], authorization: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request; records it."""
        api = path.split("/")[1] if path.count("/") >= 2 else ""
        if api in self.pdfs and path == f"/{api}/pdf" and method == "GET":
            return self._pdf(api, query)
        with self._lock:
            number = len(self.requests) + 1
            fault = self._fault(number)
            if fault is None:
                status, body = self._route(method, api, path, query)
                fault = (
                    status,
                    {"Content-Type": "application/json; charset=utf-8"},
                    json.dumps(body).encode(),
                )
            self.requests.append(Recorded(method, api, query, fault[0], authorization))
        return fault

    def _pdf(self, api: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """A PDF, a 404, or a 429 once the window's allowance is spent (recorded with method "PDF")."""
        with self._lock:
            now = time.time()
            start, used = self._pdf_window
            if now >= start + self.faults.pdf_window_s:
                start, used = now, 0
            limit = self.faults.pdf_limit
            if limit and used >= limit:
                answer = self._rate_limited(start + self.faults.pdf_window_s, now, used + 1)
            else:
                used += 1
                data = self.pdfs[api].get(query.get("id", ""))
                if data is None:
                    body = {"name": "NotFoundError", "message": "The PDF was not found", "status": 404}
                    answer = (
                        404,
                        {"Content-Type": "application/json; charset=utf-8"},
                        json.dumps(body).encode(),
                    )
                else:
                    answer = (200, {"Content-Type": "application/pdf"}, data)
            self._pdf_window = (start, used)
            self.requests.append(Recorded("PDF", api, query, answer[0]))
        return answer

    def _rate_limited(self, reset: float, now: float, used: int) -> tuple[int, dict[str, str], bytes]:
        wait = max(reset - now, 0.0)
        hint = self.faults.pdf_hint
        seconds = math.ceil(wait)
        body: dict[str, Any] = {
            "name": "RateLimitError",
            "message": (
                f"Too many requests: You have made {used} requests, surpassing the limit of "
                f"{self.faults.pdf_limit} requests. Please try again in {seconds} seconds (2025-01-01-1)"
            ),
            "status": 429,
            "details": {"limit": self.faults.pdf_limit, "remaining": 0, "used": used},
        }
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if hint == "retry-after":
            headers["Retry-After"] = str(seconds)
        if hint in ("retry-after", "reset-time"):
            stamp = datetime.fromtimestamp(reset, UTC).isoformat(timespec="milliseconds")
            body["details"]["resetTime"] = stamp.replace("+00:00", "Z")
        return 429, headers, json.dumps(body).encode()

    def _route(self, method: str, api: str, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if api in self.data and path == f"/{api}/notes" and method == "GET":
            return 200, self._notes(api, query)
        if api in self.data and path == f"/{api}/login" and method == "POST":
            token = hashlib.sha1(api.encode()).hexdigest()
            return 200, {"token": token, "user": {"id": "~Test_User1", "profile": {"id": "~Test_User1"}}}
        return 404, {"name": "NotFoundError", "message": f"Not Found: {path}", "status": 404}

    def _notes(self, api: str, query: dict[str, str]) -> dict[str, Any]:
        notes = [note for note in self.data[api] if _matches(api, note, query)]
        if query.get("stream") == "true":
            return {"notes": notes, "count": len(notes)}
        if query.get("sort", "").startswith("id") or "after" in query:
            notes = sorted(notes, key=lambda note: note["id"])
        if "after" in query:
            notes = [note for note in notes if note["id"] > query["after"]]
        total = len(notes)
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", MAX_LIMIT)), MAX_LIMIT)
        page = notes[offset : offset + limit]
        details = set(query.get("details", "").split(","))
        if "directReplies" in details:
            page = [self._with_replies(api, note) for note in page]
        body: dict[str, Any] = {"notes": page}
        if api == "v1" or query.get("count") == "true":
            body["count"] = total
        return body

    def _with_replies(self, api: str, note: dict[str, Any]) -> dict[str, Any]:
        replies = self.replies[api].get(note["forum"], [])
        return {**note, "details": {"directReplies": replies, "directReplyCount": len(replies)}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                authorization = self.headers.get("Authorization", "")
                status, headers, body = fake.answer(method, parts.path, query, authorization)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the per-request stderr line."""

        return Handler


def _matches(api: str, note: dict[str, Any], query: dict[str, str]) -> bool:
    """The filters OpenReview applies: id, forum, number, invitation, content.<field>."""
    content = note.get("content") or {}
    for key, wanted in query.items():
        if key in ("id", "forum") and note.get(key) != wanted:
            return False
        if key == "number" and str(note.get("number")) != wanted:
            return False
        if key == "invitation":
            invitations = note.get("invitations") if api == "v2" else [note.get("invitation")]
            if wanted not in (invitations or []):
                return False
        if key.startswith("content."):
            value = content.get(key.removeprefix("content."))
            if api == "v2" and isinstance(value, dict):
                value = value.get("value")
            if value != wanted:
                return False
    return True


# -- data ----------------------------------------------------------------------------------------


def _note_id(*parts: object) -> str:
    """A deterministic OpenReview-looking id (10 letters/digits) for synthesised notes."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:10])


def _reply(
    venue: str, forum: str, number: int, kind: str, content: dict[str, Any], nth: int = 1
) -> dict[str, Any]:
    return {
        "id": _note_id(forum, kind, nth),
        "forum": forum,
        "replyto": forum,
        "number": None,
        "invitation": f"{venue}/Paper{number}/-/{kind}",
        "readers": ["everyone"],
        "signatures": [
            f"{venue}/Paper{number}/AnonReviewer1" if kind != "Decision" else f"{venue}/Program_Chairs"
        ],
        "content": content,
    }


def v1_replies(
    venue: str, forum: str, number: int, decision: str, rng: random.Random
) -> list[dict[str, Any]]:
    """One or two reviews, a comment that mentions "decision", and the decision, in a shuffled order."""
    replies = [
        _reply(
            venue,
            forum,
            number,
            "Official_Review",
            {"title": "Official Blind Review #1", "rating": "6: Weak Accept", "review": "Clear paper."},
        ),
        _reply(
            venue,
            forum,
            number,
            "Official_Comment",
            {"title": "Re: decision", "comment": "We await the decision."},
        ),
        _reply(
            venue, forum, number, "Decision", {"title": "Paper Decision", "decision": decision, "comment": ""}
        ),
    ]
    if rng.random() < 0.5:
        replies.append(
            _reply(
                venue,
                forum,
                number,
                "Official_Review",
                {"title": "Official Blind Review #2", "rating": "3: Weak Reject", "review": "Needs work."},
                nth=2,
            )
        )
    rng.shuffle(replies)
    return replies


def v1_iclr2020() -> Venue:
    """The 2,213 ICLR 2020 blind submissions (687 recorded accepted + 1,526 rejected) with replies."""
    accepted = json.loads(gzip.decompress((DATA / "accepted_blind_submissions_v1.json.gz").read_bytes()))
    statuses = json.loads(gzip.decompress((DATA / "submission_status.json.gz").read_bytes()))
    status_of = {row["id"]: row["status"] for row in statuses}
    rng = random.Random(2020)
    notes: list[dict[str, Any]] = []
    replies: dict[str, list[dict[str, Any]]] = {}
    for note in accepted:
        served = {key: value for key, value in note.items() if key != "details"}
        notes.append(served)
        decision = STATUS_DECISIONS[status_of[note["id"]]]
        replies[note["forum"]] = v1_replies(ICLR2020, note["forum"], note["number"], decision, rng)
    used = {note["number"] for note in accepted}
    free_numbers = iter(n for n in range(1, 10_000) if n not in used)
    for row in statuses:
        if row["status"] != "Reject":
            continue
        number = next(free_numbers)
        notes.append(_blind_note(row, number))
        replies[row["id"]] = v1_replies(ICLR2020, row["id"], number, "Reject", rng)
    return Venue(notes=notes, replies=replies)


def _blind_note(row: dict[str, Any], number: int) -> dict[str, Any]:
    """A v1 blind submission with the real id, title and keywords of a rejected paper."""
    return {
        "id": row["id"],
        "forum": row["id"],
        "number": number,
        "original": _note_id(row["id"], "original"),
        "invitation": f"{ICLR2020}/-/Blind_Submission",
        "replyto": None,
        "readers": ["everyone"],
        "writers": [ICLR2020],
        "signatures": [ICLR2020],
        "content": {
            "title": row["title"],
            "authors": ["Anonymous"],
            "authorids": [f"{ICLR2020}/Paper{number}/Authors"],
            "keywords": [k.strip() for k in row["keywords"].split(";") if k.strip()],
        },
    }


def v1_workshop() -> Venue:
    """A v1 venue without blind submissions: notes under ``<venue>/-/Submission``."""
    notes, replies = [], {}
    rng = random.Random(1)
    for number, (title, code, decision) in enumerate(
        [
            ("Tiny Workshop Paper", "https://gitlab.com/tiny/paper.git", "Accept (Oral)"),
            ("Another Workshop Paper", "", "Reject"),
        ],
        start=1,
    ):
        forum = _note_id(WORKSHOP, number)
        content = {"title": title, "authors": ["A. Author", "B. Author"], "abstract": "Short."}
        if code:
            content["code"] = code
        notes.append(
            {
                "id": forum,
                "forum": forum,
                "number": number,
                "invitation": f"{WORKSHOP}/-/Submission",
                "replyto": None,
                "content": content,
            }
        )
        replies[forum] = v1_replies(WORKSHOP, forum, number, decision, rng)
    return Venue(notes=notes, replies=replies)


def _v2_note(number: int, venueid: str, venue: str, **content: str) -> dict[str, Any]:
    forum = _note_id(TESTCONF, number)
    return {
        "id": forum,
        "forum": forum,
        "number": number,
        "invitations": [f"{TESTCONF}/-/Submission", f"{TESTCONF}/-/Post_Submission", f"{TESTCONF}/-/Edit"],
        "domain": TESTCONF,
        "readers": ["everyone"],
        "signatures": [f"{TESTCONF}/Submission{number}/Authors"],
        "pdate": 1705000000000 + number,
        "content": {
            "title": {"value": content.pop("title")},
            "authors": {"value": ["Ada Lovelace", "Alan Turing"]},
            "keywords": {"value": ["testing", "fakes"]},
            "venueid": {"value": venueid},
            "venue": {"value": venue},
            "pdf": {"value": f"/pdf/{hashlib.sha1(str(number).encode()).hexdigest()}.pdf"},
            **{key: {"value": value} for key, value in content.items()},
        },
    }


def v2_testconf() -> Venue:
    """Seven v2 submissions: 4 accepted, 2 rejected, 1 withdrawn (not listed by the crawler)."""
    return Venue(
        notes=[
            _v2_note(
                1,
                TESTCONF,
                "TestConf 2024 poster",
                title="Alpha",
                abstract="Code: https://github.com/testconf/alpha.",
            ),
            _v2_note(
                2,
                TESTCONF,
                "TestConf 2024 oral",
                title="Beta",
                TLDR="See https://gitlab.com/group/sub/beta/-/tree/main/src for code",
                abstract="No link here.",
            ),
            _v2_note(
                3,
                TESTCONF,
                "TestConf 2024 spotlight",
                title="Gamma",
                abstract="Project page: https://gamma.github.io/ (videos).",
            ),
            _v2_note(
                4,
                f"{TESTCONF}/Rejected_Submission",
                "Submitted to TestConf 2024",
                title="Delta",
                abstract="Our code is at www.github.com/TestConf/delta.git\u00a0!",
            ),
            _v2_note(
                5,
                f"{TESTCONF}/Rejected_Submission",
                "Submitted to TestConf 2024",
                title="Epsilon",
                abstract="No code.",
            ),
            _v2_note(
                6,
                f"{TESTCONF}/Withdrawn_Submission",
                "TestConf 2024 Conference Withdrawn Submission",
                title="Zeta",
                abstract="https://github.com/testconf/zeta",
            ),
            _v2_note(
                7,
                TESTCONF,
                "TestConf 2024 poster",
                title="Eta",
                abstract="Anonymised code: https://anonymous.4open.science/r/eta-123/.",
                supplementary_material="/attachment/eta.zip",
            ),
        ]
    )


def v2_pdfconf() -> Venue:
    """PdfConf 2025 (tests/crawlers/pdf_papers.py): no code field, code links in the PDFs."""
    notes, pdfs = pdf_papers.build()
    return Venue(notes=notes, pdfs=pdfs)


def serve_all() -> Iterator[FakeOpenReview]:
    """Build every venue and start one server (a generator for a pytest fixture)."""
    with FakeOpenReview(v1=[v1_iclr2020(), v1_workshop()], v2=[v2_testconf(), v2_pdfconf()]) as fake:
        yield fake
