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

import hashlib
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

from core import atomic, schemas
from core.checkout import (
    head_commit,
    iter_files,
    remove_tree,
    shallow_clone,
    tree_size_bytes,
)
from core.executors import Executor, Task
from core.identity import repo_key
from core.store import Store
from core.store_checkouts import archive_checkout, is_archived
from crawlers.clone_outcomes import FINAL_STATUSES, RETRYABLE_STATUSES, cause, failure_summary, keep_earlier
from crawlers.errors import CrawlerError, CrawlerUsageError

__all__ = ["FINAL_STATUSES", "RETRYABLE_STATUSES", "STATUSES", "failure_summary"]

ProgressCallback = Callable[[int, int, str], None]

_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")

#: Every status of repos.csv (declared with its contract in core.schemas).
STATUSES = schemas.REPO_STATUSES


@dataclass
class CloneResult:
    """One row of ``repos.csv``: the outcome for one (repository, ref) pair."""

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

    @property
    def label(self) -> str:
        """``url`` or ``url@ref``, for progress lines."""
        return f"{self.repo_url}@{self.ref}" if self.ref else self.repo_url


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "yes", "y", "t"}


def read_papers(papers_csv: Path) -> list[dict[str, str]]:
    """Rows of ``papers.csv``, validated against its contract (core.schemas); a missing file is a
    usage error that says which command makes it."""
    if not papers_csv.is_file():
        raise CrawlerUsageError(
            f"{papers_csv.parent} has no papers.csv; run `audit crawl VENUE --out {papers_csv.parent}` first"
        )
    return schemas.read_table(papers_csv, "papers.csv").rows


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
    """Distinct ``(repository, repo_ref)`` pairs with a non-empty URL, in first-seen order.

    A paper that links ``/tree/v2`` gets branch ``v2``, whatever another paper linked for the same
    repository: each pair has its own checkout and its own row in repos.csv. Repositories are one by
    :func:`core.identity.repo_key` (``github.com/Owner/Repo`` and ``github.com/owner/repo`` are one
    clone), under the first written form.
    """
    written: dict[str, str] = {}  # identity → its first written form
    targets: dict[tuple[str, str], None] = {}
    for row in rows:
        url = (row.get("repo_url") or "").strip()
        if not url or (accepted_only and not is_accepted(row)):
            continue
        url = written.setdefault(repo_key(url), url)
        targets[(url, (row.get("repo_ref") or "").strip())] = None
    return [CloneTarget(url, ref) for url, ref in targets]


#: What ``git check-ref-format`` refuses in a branch or tag name (simplified: enough to never pass
#: control characters, option-like or path-like names to git or into a folder name).
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^[-/.]|[/.]$|\.lock$")


def valid_ref(ref: str) -> bool:
    """True for a name git could have as a branch or tag (``v2``, ``release/1.0``)."""
    return bool(ref) and not _BAD_REF.search(ref)


def cache_path(cache_root: Path, repo_url: str, ref: str = "") -> Path:
    """``<cache_root>/repos/<host>/<owner>/<repo>`` (``…/<repo>@<ref>`` for a ref); never escapes the cache.

    The ref is part of the key, so ``/tree/v2`` and the default branch never share a checkout. A ref
    that is not a plain folder name (``release/1.0``) gets a readable part plus a hash of the ref.
    """
    parts = urlsplit(repo_url)
    host = (parts.hostname or "local").lower()
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1][:-4]
    segments = [s for s in segments if s]
    if not segments or not all(_SEGMENT.match(s) and s not in {".", ".."} for s in [host, *segments]):
        raise ValueError(f"cannot derive a cache folder from {repo_url!r}")
    if ref:
        if not valid_ref(ref):
            raise ValueError(f"{ref!r} is not a git branch or tag name")
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", ref)[:40]
        if readable != ref:
            readable += "-" + hashlib.sha256(ref.encode("utf-8")).hexdigest()[:10]
        segments[-1] = f"{segments[-1]}@{readable}"
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
    """Clone one (repository, ref) into the cache (or reuse the cached checkout); never raises.

    A ref that is not a valid name, or that the repository does not have (a ``/tree/<x>/...`` link
    whose branch was renamed, or was parsed from a path), falls back to the default branch and says so
    in ``error``; the default branch then uses (or fills) the repository's default checkout.
    """
    started = time.monotonic()
    result = CloneResult(repo_url=target.repo_url, status="error", ref=target.ref, max_size_mb=max_size_mb)
    ref, note = target.ref, ""
    if ref and not valid_ref(ref):
        ref, note = "", f"ref {ref!r} is not a valid git ref name; default branch cloned"
    try:
        cache_path(cache_root, target.repo_url)
    except ValueError as exc:
        result.status, result.error = "invalid", str(exc)
        return result
    try:
        outcome = _clone_into_cache(target.repo_url, ref, cache_root, result, timeout_s, max_size_mb, cancel)
        if outcome == "ref_missing":
            note = f"ref {ref!r} not found; default branch cloned"
            outcome = _clone_into_cache(
                target.repo_url, "", cache_root, result, timeout_s, max_size_mb, cancel
            )
        if result.status == "ok" and note:
            result.error = note
        return result
    except Exception as exc:  # no repository may abort the run
        result.status, result.error = "error", f"{type(exc).__name__}: {exc}"[:300]
        return result
    finally:
        result.seconds = round(time.monotonic() - started, 2)


def _clone_into_cache(
    url: str,
    ref: str,
    cache_root: Path,
    result: CloneResult,
    timeout_s: float,
    max_size_mb: float,
    cancel: threading.Event | None,
) -> str:
    """Fill ``result`` from the cached checkout of (url, ref), cloning it first when absent.

    Returns ``"ref_missing"`` when the repository has no such ref (nothing is recorded then), else "".
    The clone goes into a temporary sibling renamed into place only when complete and within the cap.
    """
    dest = cache_path(cache_root, url, ref)
    if (dest / ".git").is_dir():
        result.status, result.reused, result.error = "ok", True, ""
        describe_checkout(result, dest)
        return ""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.partial-{uuid.uuid4().hex[:8]}"
    max_bytes = int(max_size_mb * 1_000_000)
    try:
        outcome = shallow_clone(url, tmp, ref=ref, timeout_s=timeout_s, max_bytes=max_bytes, cancel=cancel)
        if ref and outcome.status == "error" and "not found in upstream" in outcome.message.lower():
            return "ref_missing"
        result.status, result.error = outcome.status, outcome.message
        if outcome.status == "too_large":
            result.size_kb = round((outcome.size_bytes or max(tree_size_bytes(tmp), max_bytes)) / 1024)
        if outcome.status != "ok":
            return ""
        size = tree_size_bytes(tmp)
        if size > max_bytes:
            result.status, result.size_kb = "too_large", round(size / 1024)
            result.error = f"{size / 1_000_000:.1f} MB is over the {max_size_mb:g} MB cap"
            return ""
        if (dest / ".git").is_dir():  # another worker or process finished it first: keep theirs
            result.reused = True
        else:
            if dest.exists():  # a stale folder that was never a finished checkout
                remove_tree(dest)
            os.rename(tmp, dest)  # atomic on one file system: a checkout is whole or absent
        describe_checkout(result, dest)
        return ""
    finally:
        remove_tree(tmp)


def _number(cell: str | None) -> float:
    """A numeric cell of repos.csv (already validated by its contract); empty reads as 0."""
    value = float(cell or 0)
    return value if value == value and abs(value) != float("inf") else 0.0


def read_repos_csv(path: Path) -> dict[tuple[str, str], CloneResult]:
    """Earlier results by (repo_url, ref) (empty when the file is missing), for resuming and for deps.

    The file is validated against its contract first: a hand edit that breaks it is one line naming
    the row, and nothing is cloned or overwritten.
    """
    if not path.is_file():
        return {}
    results: dict[tuple[str, str], CloneResult] = {}
    for row in schemas.read_table(path, "repos.csv").rows:
        result = CloneResult(
            repo_url=row["repo_url"],
            status=row["status"],
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
        results[(result.repo_url, result.ref)] = result
    return results


def write_repos_csv(path: Path, results: Iterable[CloneResult]) -> None:
    """Write ``repos.csv`` atomically (unique temporary name, fsync, rename), sorted by (repo_url, ref)."""
    rows = []
    for result in sorted(results, key=lambda r: (r.repo_url, r.ref)):
        row = asdict(result)
        row["has_submodules"] = str(result.has_submodules).lower()
        row["reused"] = str(result.reused).lower()
        rows.append(row)
    atomic.write_csv(path, REPOS_COLUMNS, rows, extrasaction="raise")


def _keep_earlier(earlier: CloneResult | None, max_size_mb: float, store_url: str | None = None) -> bool:
    """Rerun policy of :func:`crawlers.clone_outcomes.keep_earlier`, with the checkout looked up.

    An archive in object storage is trusted as recorded (this process never reads the store), but
    only one in the current store's ``archives/``: after a change of store it is cloned again."""
    exists = False
    if earlier is not None and earlier.path:
        if is_archived(earlier.path):
            exists = bool(store_url) and earlier.path.startswith(f"{str(store_url).rstrip('/')}/archives/")
        else:
            exists = (Path(earlier.path) / ".git").is_dir()
    return keep_earlier(earlier, max_size_mb, exists)


def progress_message(result: CloneResult) -> str:
    """``ok url`` or ``network url: could not resolve host github.com``: why a clone failed, on one line."""
    label = f"{result.repo_url}@{result.ref}" if result.ref else result.repo_url
    if result.status == "ok":
        return f"ok {label}"
    return f"{result.status} {label}: {cause(result)}"


def clone_all(
    targets: list[CloneTarget],
    cache_root: Path,
    repos_csv: Path,
    *,
    workers: int = 8,
    timeout_s: float = 120.0,
    max_size_mb: float = 500.0,
    progress: ProgressCallback | None = None,
    executor: Executor | None = None,
    store_url: str | None = None,
) -> list[CloneResult]:
    """Clone every target in parallel and write ``repos.csv`` (also when interrupted, with what is done).

    Earlier final outcomes are kept and transient ones retried (:mod:`crawlers.clone_outcomes`). Rows of
    an earlier ``repos.csv`` for pairs no longer listed are kept, so the file only grows.

    ``executor``: run each clone as a task there (a Dask cluster's workers, with ``cache_root`` the store
    they all reach, or ``store_url`` naming object storage); by default this process's threads. Either
    way this process alone writes repos.csv.
    """
    earlier = read_repos_csv(repos_csv)
    results: dict[tuple[str, str], CloneResult] = dict(earlier)
    todo = [t for t in targets if not _keep_earlier(earlier.get((t.repo_url, t.ref)), max_size_mb, store_url)]
    total, done = len(targets), len(targets) - len(todo)
    if progress:
        progress(done, total, "cached" if done else "")
    if executor is not None:
        store = store_url or str(cache_root)
        return _clone_on(executor, todo, targets, results, store, repos_csv, timeout_s, max_size_mb, progress)
    if shutil.which("git") is None:
        raise CrawlerError("git is not installed or not on PATH; install git to clone repositories")
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
            results[(result.repo_url, result.ref)] = result
            done += 1
            if progress:
                progress(done, total, progress_message(result))
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
    return [results[(t.repo_url, t.ref)] for t in targets if (t.repo_url, t.ref) in results]


def clone_into_store(
    target: CloneTarget, store_url: str, *, timeout_s: float, max_size_mb: float
) -> CloneResult:
    """Runs on a worker: :func:`clone_repository` into the store; with object storage the checkout is
    cloned into this worker's mirror, archived and published, and ``path`` becomes the archive's URL."""
    store = Store(store_url)
    result = clone_repository(target, store.root, timeout_s=timeout_s, max_size_mb=max_size_mb)
    if result.status == "ok" and result.path and not store.local:
        result.path = archive_checkout(store, Path(result.path), result.commit)
    return result


def _clone_on(
    executor: Executor,
    todo: list[CloneTarget],
    targets: list[CloneTarget],
    results: dict[tuple[str, str], CloneResult],
    store_url: str,
    repos_csv: Path,
    timeout_s: float,
    max_size_mb: float,
    progress: ProgressCallback | None,
) -> list[CloneResult]:
    """:func:`clone_all` through an executor: one task per (repository, ref), outcomes merged here.

    A task that could not finish (its worker died more often than the cluster allows) becomes an
    ``error`` row, which a rerun retries; repos.csv is written from what finished, also on Ctrl-C.
    """
    tasks = [
        Task(
            key=f"clone {target.repo_url}@{target.ref}" if target.ref else f"clone {target.repo_url}",
            fn=clone_into_store,
            args=(target, store_url),
            kwargs={"timeout_s": timeout_s, "max_size_mb": max_size_mb},
        )
        for target in todo
    ]
    done = len(targets) - len(todo)
    try:
        for outcome in executor.run(tasks):
            target = outcome.task.args[0]
            result = outcome.result
            if not outcome.ok:
                message = f"task failed on the cluster ({outcome.where}): {outcome.failure()}"
                result = CloneResult(target.repo_url, "error", ref=target.ref, error=message[:300])
                result.max_size_mb = max_size_mb
            results[(result.repo_url, result.ref)] = result
            done += 1
            if progress:
                progress(done, len(targets), f"{progress_message(result)} ({outcome.where})")
    finally:
        repos_csv.parent.mkdir(parents=True, exist_ok=True)
        write_repos_csv(repos_csv, results.values())
    return [results[(t.repo_url, t.ref)] for t in targets if (t.repo_url, t.ref) in results]
