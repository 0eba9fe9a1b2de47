"""What a clone's status means for a rerun and for the census: final facts, transient failures, causes.

A status either describes the repository (``ok``, ``not_found``, ``not_a_repository``, ``invalid``,
``too_large`` at a given cap) or the attempt (``timeout``, ``network``, ``error``). A rerun keeps the
first kind and retries the second, so an offline run costs nothing but a rerun once the network is
back, and a deleted repository is never asked for again.

A census whose clones mostly failed for the second kind of reason says nothing about the venue:
:func:`failure_summary` turns the outcomes into one line with the cause ("252/252 clones failed:
could not resolve host github.com; offline?"), which the commands print and exit 1 with.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Protocol

#: Outcomes that are facts about the repository: a rerun keeps them.
FINAL_STATUSES = frozenset({"ok", "not_found", "not_a_repository", "invalid"})
#: Outcomes of the attempt, not of the repository: a rerun retries them.
RETRYABLE_STATUSES = frozenset({"timeout", "network", "error"})

#: A census is "mostly failed" above this share of repositories whose clone failed transiently.
MOSTLY_FAILED = 0.5

_HOST = re.compile(r"could not resolve (?:host|proxy):\s*([^\s;,']+)", re.IGNORECASE)
_CAUSES: tuple[tuple[str, str], ...] = (
    ("connection refused", "connection refused"),
    ("failed to connect", "could not connect"),
    ("connection timed out", "connection timed out"),
    ("network is unreachable", "network is unreachable"),
    ("connection reset", "connection reset"),
    ("ssl", "TLS error"),
    ("gnutls", "TLS error"),
    ("returned error: 429", "rate limited (HTTP 429)"),
    ("returned error: 403", "refused (HTTP 403; rate limited?)"),
    ("returned error: 5", "server error (HTTP 5xx)"),
    ("remote end hung up", "connection dropped"),
    ("early eof", "connection dropped"),
    ("interrupted", "interrupted"),
)


#: The cause of a failure whose status says it all.
_STATUS_CAUSES = {
    "not_found": "repository not found",
    "not_a_repository": "not a git repository",
    "too_large": "over the size cap",
    "invalid": "content git refuses to check out",
    "network": "network error",
}


class Outcome(Protocol):
    """What this module needs of a clone result (crawlers.cloning.CloneResult)."""

    status: str
    error: str
    max_size_mb: float


def keep_earlier(earlier: Outcome | None, max_size_mb: float, checkout_exists: bool) -> bool:
    """Rerun policy: keep final outcomes (``ok`` only while its checkout exists), ``too_large`` unless
    the cap grew; retry everything transient."""
    if earlier is None:
        return False
    if earlier.status == "ok":
        return checkout_exists
    if earlier.status == "too_large":
        return earlier.max_size_mb >= max_size_mb
    return earlier.status in FINAL_STATUSES


def cause(result: Outcome) -> str:
    """A short, countable cause of a failed clone ("could not resolve host github.com", "timed out")."""
    text = result.error or ""
    found = _HOST.search(text)
    if found:
        return f"could not resolve host {found.group(1).rstrip('.')}"
    lower = text.lower()
    if result.status == "timeout":
        return "timed out"
    for fragment, label in _CAUSES:
        if fragment in lower:
            return label
    if result.status in _STATUS_CAUSES:
        return _STATUS_CAUSES[result.status]
    # Another error: git's own words, without the URL or path it quotes (so that causes can be counted).
    words = re.sub(r"'[^']*'", "…", re.sub(r"^(fatal|error):\s*", "", text.strip(), flags=re.IGNORECASE))
    return words[:80] or result.status


def _hint(causes: Counter[str]) -> str:
    top = causes.most_common(1)[0][0] if causes else ""
    if top.startswith("could not resolve") or top in {
        "network is unreachable",
        "connection refused",
        "could not connect",
    }:
        return "; offline?"
    if top == "timed out":
        return "; a slow network? rerun with a larger --timeout"
    if "rate limited" in top or "HTTP 403" in top:
        return "; rerun later"
    return ""


def failure_summary(results: Iterable[Outcome]) -> str | None:
    """One line when the clones all or mostly failed (transiently, or none at all succeeded), else None.

    A failed clone here is one that a rerun retries (:data:`RETRYABLE_STATUSES`); when no
    repository was cloned at all, every outcome counts, since a census of nothing is no census.
    """
    results = list(results)
    if not results:
        return None
    ok = sum(r.status == "ok" for r in results)
    failed = [r for r in results if r.status in RETRYABLE_STATUSES]
    if ok == 0:
        failed = [r for r in results if r.status != "ok"]
    elif len(failed) <= MOSTLY_FAILED * len(results):
        return None
    causes = Counter(cause(r) for r in failed)
    listed = ", ".join(f"{label} ({n})" if len(causes) > 1 else label for label, n in causes.most_common(3))
    others = len(causes) - 3
    if others > 0:
        listed += f" and {others} other cause(s)"
    return f"{len(failed)}/{len(results)} clones failed: {listed}{_hint(causes)}"


def status_counts(results: Iterable[Outcome]) -> str:
    """``"5 ok, 245 not_found"``: the outcomes of a clone step, for its last log line."""
    counts = Counter(r.status for r in results)
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no repositories"
