"""`audit clone`: papers.csv → repos.csv (+ clone cache shared across venues).

Only accepted papers' repositories are cloned (``accepted`` column true; papers.csv lists every
submission). The checkouts live in ``<AUDIT_CACHE_DIR>/repos/<host>/<owner>/<repo>`` so a second venue
or a rerun reuses them; repos.csv is rewritten with earlier outcomes kept (see
:func:`crawlers.cloning.clone_all`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from audit.progress import info, progress
from audit.workspace import cache_dir
from crawlers import cloning


def run(
    directory: Path,
    *,
    workers: int,
    timeout_s: float,
    max_size_mb: float,
    accepted_only: bool = True,
) -> Path:
    """Clone every distinct repo_url of ``<directory>/papers.csv``; write ``repos.csv`` and return it."""
    rows = cloning.read_papers(directory / "papers.csv")
    targets = cloning.select_targets(rows, accepted_only=accepted_only)
    repos_csv = directory / "repos.csv"
    with progress("clone", total=len(targets)) as callback:
        results = cloning.clone_all(
            targets,
            cache_dir(),
            repos_csv,
            workers=workers,
            timeout_s=timeout_s,
            max_size_mb=max_size_mb,
            progress=callback,
        )
    counts = Counter(r.status for r in results)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no repositories"
    info(f"repos.csv: {len(results)} repositories ({summary}) → {repos_csv}")
    return repos_csv
