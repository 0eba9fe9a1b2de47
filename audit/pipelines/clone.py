"""`audit clone`: papers.csv → repos.csv (+ clone cache shared across venues).

Only accepted papers' repositories are cloned (``accepted`` column true; papers.csv lists every
submission), once per distinct (repository, ref). The checkouts live in
``<AUDIT_CACHE_DIR>/repos/<host>/<owner>/<repo>[@<ref>]`` so a second venue or a rerun reuses them;
repos.csv is rewritten with earlier final outcomes kept and transient failures retried (see
:func:`crawlers.cloning.clone_all`). When the clones all or mostly failed, the step says why in one line
and exits 1 (:func:`crawlers.cloning.failure_summary`): such a census would describe the network, not
the venue.
"""

from __future__ import annotations

from pathlib import Path

from audit.placement import LOCAL, Placement, executor_for
from audit.progress import info, progress
from audit.workspace import writable_folder
from crawlers import cloning
from crawlers.clone_outcomes import RETRYABLE_STATUSES, status_counts
from crawlers.errors import CrawlerError


class ClonesFailed(CrawlerError):
    """Most clones failed for a reason a rerun may cure (offline, timeouts); exit 1, repos.csv kept."""


def targets_of(directory: Path, *, accepted_only: bool = True) -> list[cloning.CloneTarget]:
    """The (repository, ref) pairs that ``<directory>/papers.csv`` asks to clone."""
    return cloning.select_targets(cloning.read_papers(directory / "papers.csv"), accepted_only=accepted_only)


def run(
    directory: Path,
    *,
    workers: int,
    timeout_s: float,
    max_size_mb: float,
    accepted_only: bool = True,
    strict: bool = True,
    placement: Placement = LOCAL,
) -> Path:
    """Clone every target of ``<directory>/papers.csv``; write ``repos.csv`` and return it.

    ``strict``: raise :class:`ClonesFailed` when the clones all or mostly failed (after writing
    repos.csv); `audit census` passes False, finishes its report with a banner, then fails itself.
    ``placement``: with ``dask`` the workers clone into the store (which this process never touches).
    """
    targets = targets_of(directory, accepted_only=accepted_only)
    writable_folder(directory, "census folder", "make it writable, or copy it elsewhere")
    store = placement.store_root()
    if not placement.distributed:
        writable_folder(store / "repos", "clone cache", "set AUDIT_CACHE_DIR to a writable folder")
    repos_csv = directory / "repos.csv"
    with executor_for(placement) as executor, progress("clone", total=len(targets)) as callback:
        results = cloning.clone_all(
            targets,
            store,
            repos_csv,
            workers=workers,
            timeout_s=timeout_s,
            max_size_mb=max_size_mb,
            progress=callback,
            executor=executor,
            store_url=placement.store_url() if placement.distributed else None,
        )
    info(f"repos.csv: {len(results)} repositories ({status_counts(results)}) → {repos_csv}")
    summary = cloning.failure_summary(results)
    if summary and strict:
        raise ClonesFailed(f"{summary}; repos.csv is kept, rerun `audit clone {directory}` to retry them")
    return repos_csv


def failure_summary(directory: Path, *, accepted_only: bool = True) -> str | None:
    """The one-line cause when the folder's clones all or mostly failed, else None."""
    results = _current_results(directory, accepted_only=accepted_only)
    return cloning.failure_summary(results)


def is_complete(directory: Path, *, accepted_only: bool = True) -> bool:
    """True when no wanted clone ended in a transient failure: a rerun of the step has nothing to retry."""
    results = _current_results(directory, accepted_only=accepted_only)
    return not any(result.status in RETRYABLE_STATUSES for result in results)


def _current_results(directory: Path, *, accepted_only: bool) -> list[cloning.CloneResult]:
    if not (directory / "papers.csv").is_file() or not (directory / "repos.csv").is_file():
        return []
    earlier = cloning.read_repos_csv(directory / "repos.csv")
    targets = targets_of(directory, accepted_only=accepted_only)
    return [earlier[(t.repo_url, t.ref)] for t in targets if (t.repo_url, t.ref) in earlier]
