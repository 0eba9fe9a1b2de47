"""`audit deps`: repos.csv + clones → dependencies.csv, frameworks.csv, all_tools.csv, repo_signals.csv.

The units are the distinct ``(repo_url, repo_subpath)`` pairs of accepted papers whose repository was
cloned (``status`` ok in repos.csv), so a monorepo linked at two sub-folders is analysed twice. Without
papers.csv every ok repository is analysed whole. Nothing from a repository is executed.
"""

from __future__ import annotations

from pathlib import Path

from audit.progress import info, progress
from audit.workspace import cache_dir
from core.identity import repo_key
from crawlers import cloning
from crawlers.dependencies import tables
from crawlers.dependencies.infer import Job, infer_many
from crawlers.errors import CrawlerUsageError


def jobs_for(directory: Path, *, accepted_only: bool = True) -> list[Job]:
    """The ``(repo_url, repo_subpath, checkout)`` units of a census folder, in papers.csv order."""
    repos = cloning.read_repos_csv(directory / "repos.csv")
    if not (directory / "repos.csv").is_file():
        raise CrawlerUsageError(f"{directory} has no repos.csv; run `audit clone {directory}` first")
    ok = {url: r for url, r in repos.items() if r.status == "ok"}
    by_key = {repo_key(url): url for url in sorted(ok, reverse=True)}  # Owner/Repo = owner/repo
    pairs: dict[tuple[str, str], None] = {}
    papers = directory / "papers.csv"
    if papers.is_file():
        for row in cloning.read_papers(papers):
            url = by_key.get(repo_key(row.get("repo_url") or ""), "")
            if url and (not accepted_only or cloning.is_accepted(row)):
                pairs[(url, (row.get("repo_subpath") or "").strip().strip("/"))] = None
    else:
        pairs = {(url, ""): None for url in sorted(ok)}
    return [Job(url, sub, _checkout(ok[url])) for url, sub in pairs]


def _checkout(result: cloning.CloneResult) -> str:
    """The recorded checkout, or the same repository in the current cache (a moved census folder)."""
    if result.path and Path(result.path).is_dir():
        return result.path
    try:
        return str(cloning.cache_path(cache_dir(), result.repo_url))
    except ValueError:
        return result.path


def run(directory: Path, *, workers: int, accepted_only: bool = True) -> Path:
    """Infer dependencies of every cloned repository; write the CSVs and return dependencies.csv."""
    jobs = jobs_for(directory, accepted_only=accepted_only)
    with progress("deps", total=len(jobs)) as callback:
        reports = infer_many(jobs, workers=workers, progress=callback)
    out = tables.write_dependencies(directory / "dependencies.csv", reports)
    tables.write_frameworks(directory / "frameworks.csv", reports)
    tables.write_all_tools(directory / "all_tools.csv", reports)
    tables.write_signals(directory / "repo_signals.csv", reports)
    n_rows = sum(len(r.dependencies) for r in reports)
    failed = sum(r.status not in {"ok", "subpath_missing"} for r in reports)
    info(f"dependencies.csv: {n_rows} rows for {len(reports)} repositories ({failed} not analysed) → {out}")
    return out
