"""Shallow clones of the repositories linked from papers, into a cache shared across venues.

Why it is built this way:

- Crawled code is never trusted: git runs through :mod:`core.checkout` (the user's git and
  configuration, no prompts, no hooks, no submodules, no LFS, a time limit and a size cap), and
  reading a checkout never follows a symbolic link (a link may point anywhere).
- A repository can never abort the run: every outcome becomes a :class:`CloneResult` with a status.
- A clone goes into a temporary folder next to its final place and is renamed only once it is complete
  and within the size cap, so a crash mid-clone never leaves a half checkout that a rerun treats as done.

This module imports nothing from ``audit``; progress goes through an optional
``progress(done, total, message)`` callback.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from core import atomic
from core.checkout import (
    head_commit,
    iter_files,
    shallow_clone,
    tree_size_bytes,
)
from core.identity import repo_key
from crawlers.errors import CrawlerError, CrawlerUsageError

ProgressCallback = Callable[[int, int, str], None]

_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")

STATUSES = ("ok", "not_found", "timeout", "too_large", "not_a_repository", "error")
#: Outcomes that a rerun keeps instead of retrying (``timeout`` and ``error`` may be transient).
FINAL_STATUSES = frozenset({"ok", "not_found", "not_a_repository"})


@dataclass
class CloneResult:
    """One row of ``repos.csv``."""

    repo_url: str
    status: str
    commit: str = ""
    size_kb: int = 0
    n_python_files: int = 0
    has_submodules: bool = False
    path: str = ""
    error: str = ""
    ref: str = ""
    max_size_mb: float = 0.0
    reused: bool = False
    seconds: float = 0.0


REPOS_COLUMNS = [f.name for f in fields(CloneResult)]


@dataclass(frozen=True)
class CloneTarget:
    """A distinct repository to clone, with the optional ref (branch or tag) a paper linked to."""

    repo_url: str
    ref: str = ""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "yes", "y", "t"}


def read_papers(papers_csv: Path) -> list[dict[str, str]]:
    """Rows of ``papers.csv``; a missing file is a usage error that says which command makes it."""
    if not papers_csv.is_file():
        raise CrawlerUsageError(
            f"{papers_csv.parent} has no papers.csv; run `audit crawl VENUE --out {papers_csv.parent}` first"
        )
    with papers_csv.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "repo_url" not in reader.fieldnames:
            raise CrawlerUsageError(f"{papers_csv} has no repo_url column; rerun `audit crawl`")
        return list(reader)


def is_accepted(row: dict[str, str]) -> bool:
    """Accepted papers only: the ``accepted`` column when present, else a decision starting 'Accept'.

    A row with neither (``--from-file`` on an export without decision replies, such as a venue's
    list of accepted papers) counts as accepted: the export itself was the selection, and dropping
    every row would silently empty the census.
    """
    if row.get("accepted") not in (None, ""):
        return _truthy(row["accepted"])
    decision = (row.get("decision") or "").strip().lower()
    return not decision or decision.startswith("accept")


def select_targets(rows: Iterable[dict[str, str]], *, accepted_only: bool = True) -> list[CloneTarget]:
    """Distinct repositories, in first-seen order (first non-empty ``repo_ref`` wins).

    Distinct by :func:`core.identity.repo_key`: ``github.com/Owner/Repo`` and ``github.com/owner/repo``
    are one clone, under the first written form.
    """
    refs: dict[str, tuple[str, str]] = {}
    for row in rows:
        url = (row.get("repo_url") or "").strip()
        if not url or (accepted_only and not is_accepted(row)):
            continue
        ref = (row.get("repo_ref") or "").strip()
        key = repo_key(url)
        if key not in refs or (ref and not refs[key][1]):
            refs[key] = (refs[key][0] if key in refs else url, ref)
    return [CloneTarget(url, ref) for url, ref in refs.values()]


def cache_path(cache_root: Path, repo_url: str) -> Path:
    """``<cache_root>/repos/<host>/<owner>/<repo>`` for a clone URL; never escapes ``cache_root``."""
    parts = urlsplit(repo_url)
    host = (parts.hostname or "local").lower()
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1][:-4]
    segments = [s for s in segments if s]
    if not segments or not all(_SEGMENT.match(s) and s not in {".", ".."} for s in [host, *segments]):
        raise ValueError(f"cannot derive a cache folder from {repo_url!r}")
    return cache_root / "repos" / host / Path(*segments)


def count_python_files(root: Path) -> int:
    """``.py`` files in the checkout, links not followed, ``.git`` skipped."""
    return sum(1 for path in iter_files(root) if path.suffix == ".py")


def describe_checkout(result: CloneResult, checkout: Path) -> CloneResult:
    """Fill commit, size, Python file count and the submodule flag from a finished checkout."""
    result.commit = head_commit(checkout)
    result.size_kb = round(tree_size_bytes(checkout) / 1024)
    result.n_python_files = count_python_files(checkout)
    gitmodules = checkout / ".gitmodules"
    result.has_submodules = gitmodules.is_file() and not gitmodules.is_symlink()
    result.path = str(checkout.resolve())
    return result


def clone_repository(
    target: CloneTarget,
    cache_root: Path,
    *,
    timeout_s: float = 120.0,
    max_size_mb: float = 500.0,
    cancel: threading.Event | None = None,
) -> CloneResult:
    """Clone one repository into the cache (or reuse the cached checkout); never raises."""
    started = time.monotonic()
    result = CloneResult(repo_url=target.repo_url, status="error", ref=target.ref, max_size_mb=max_size_mb)
    try:
        dest = cache_path(cache_root, target.repo_url)
    except ValueError as exc:
        result.status, result.error = "error", str(exc)
        return result
    try:
        if (dest / ".git").is_dir():
            result.status, result.reused = "ok", True
            return describe_checkout(result, dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.parent / f".{dest.name}.partial-{uuid.uuid4().hex[:8]}"
        max_bytes = int(max_size_mb * 1_000_000)
        try:
            outcome = shallow_clone(
                target.repo_url, tmp, ref=target.ref, timeout_s=timeout_s, max_bytes=max_bytes, cancel=cancel
            )
            status, message = outcome.status, outcome.message
            if status == "error" and target.ref and "not found in upstream" in message.lower():
                shutil.rmtree(tmp, ignore_errors=True)
                outcome = shallow_clone(
                    target.repo_url, tmp, ref="", timeout_s=timeout_s, max_bytes=max_bytes, cancel=cancel
                )
                status = outcome.status
                message = outcome.message or f"ref {target.ref!r} not found; default branch cloned"
            result.status, result.error = status, message
            if status == "ok":
                size = tree_size_bytes(tmp)
                if size > max_bytes:
                    result.status, result.size_kb = "too_large", round(size / 1024)
                    result.error = f"{size / 1_000_000:.1f} MB is over the {max_size_mb:g} MB cap"
                    return result
                if (dest / ".git").is_dir():  # another worker or process finished it first: keep theirs
                    result.reused = True
                else:
                    if dest.exists():  # a stale folder that was never a finished checkout
                        shutil.rmtree(dest, ignore_errors=True)
                    os.rename(tmp, dest)  # atomic on one file system: a checkout is whole or absent
                describe_checkout(result, dest)
            return result
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except Exception as exc:  # no repository may abort the run
        result.status, result.error = "error", f"{type(exc).__name__}: {exc}"[:300]
        return result
    finally:
        result.seconds = round(time.monotonic() - started, 2)


def _number(cell: str | None) -> float:
    """A numeric cell of repos.csv; empty or hand-edited garbage reads as 0 instead of aborting."""
    try:
        value = float(cell or 0)
    except ValueError:
        return 0.0
    return value if value == value and abs(value) != float("inf") else 0.0


def read_repos_csv(path: Path) -> dict[str, CloneResult]:
    """Earlier results by repo_url (empty when the file is missing), for resuming."""
    if not path.is_file():
        return {}
    results: dict[str, CloneResult] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row.get("repo_url"):
                continue
            results[row["repo_url"]] = CloneResult(
                repo_url=row["repo_url"],
                status=row.get("status") or "error",
                commit=row.get("commit") or "",
                size_kb=int(_number(row.get("size_kb"))),
                n_python_files=int(_number(row.get("n_python_files"))),
                has_submodules=_truthy(row.get("has_submodules")),
                path=row.get("path") or "",
                error=row.get("error") or "",
                ref=row.get("ref") or "",
                max_size_mb=_number(row.get("max_size_mb")),
                reused=_truthy(row.get("reused")),
                seconds=_number(row.get("seconds")),
            )
    return results


def write_repos_csv(path: Path, results: Iterable[CloneResult]) -> None:
    """Write ``repos.csv`` atomically (temp file + replace), sorted by repo_url."""
    rows = []
    for result in sorted(results, key=lambda r: r.repo_url):
        row = asdict(result)
        row["has_submodules"] = str(result.has_submodules).lower()
        row["reused"] = str(result.reused).lower()
        rows.append(row)
    atomic.write_csv(path, REPOS_COLUMNS, rows, extrasaction="raise")


def _keep_earlier(earlier: CloneResult | None, max_size_mb: float) -> bool:
    """Rerun policy: keep final outcomes; ok while its checkout exists; too_large unless the cap grew."""
    if earlier is None:
        return False
    if earlier.status == "ok":
        return bool(earlier.path) and (Path(earlier.path) / ".git").is_dir()
    if earlier.status == "too_large":
        return earlier.max_size_mb >= max_size_mb
    return earlier.status in FINAL_STATUSES


def clone_all(
    targets: list[CloneTarget],
    cache_root: Path,
    repos_csv: Path,
    *,
    workers: int = 8,
    timeout_s: float = 120.0,
    max_size_mb: float = 500.0,
    progress: ProgressCallback | None = None,
) -> list[CloneResult]:
    """Clone every target in parallel and write ``repos.csv`` (also when interrupted, with what is done).

    Rows of an earlier ``repos.csv`` for repositories no longer listed are kept, so the file only grows.
    """
    if shutil.which("git") is None:
        raise CrawlerError("git is not installed or not on PATH; install git to clone repositories")
    earlier = read_repos_csv(repos_csv)
    results: dict[str, CloneResult] = dict(earlier)
    todo = [t for t in targets if not _keep_earlier(earlier.get(t.repo_url), max_size_mb)]
    total, done = len(targets), len(targets) - len(todo)
    if progress:
        progress(done, total, "cached" if done else "")
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    cancel = threading.Event()
    try:
        futures = [
            pool.submit(
                clone_repository, t, cache_root, timeout_s=timeout_s, max_size_mb=max_size_mb, cancel=cancel
            )
            for t in todo
        ]
        for future in as_completed(futures):
            result = future.result()
            results[result.repo_url] = result
            done += 1
            if progress:
                progress(done, total, f"{result.status} {result.repo_url}")
    except BaseException:
        # Interrupted: start nothing new, stop the running git processes (they are in their own
        # sessions, so Ctrl-C did not reach them) and keep what is done. Without ``cancel`` the
        # interpreter would wait at exit for every running clone to finish or time out.
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    else:
        pool.shutdown()
    finally:
        repos_csv.parent.mkdir(parents=True, exist_ok=True)
        write_repos_csv(repos_csv, results.values())
    wanted = {t.repo_url for t in targets}
    return [r for r in results.values() if r.repo_url in wanted]
