"""`audit deps`: repos.csv + clones → dependencies.csv, frameworks.csv, all_tools.csv, repo_signals.csv.

The units are the distinct ``(repo_url, repo_subpath)`` pairs of accepted papers whose repository was
cloned (``status`` ok in repos.csv, for the ref the paper links), so a monorepo linked at two sub-folders
is analysed twice. Without papers.csv every ok repository is analysed whole. Nothing from a repository
is executed.
"""

from __future__ import annotations

from pathlib import Path

from audit.placement import LOCAL, Placement, executor_for
from audit.progress import info, progress
from audit.workspace import writable_folder
from core.identity import repo_key
from crawlers import cloning
from crawlers.dependencies import tables
from crawlers.dependencies.infer import Job, infer_many
from crawlers.errors import CrawlerUsageError


def jobs_for(directory: Path, *, accepted_only: bool = True, placement: Placement = LOCAL) -> list[Job]:
    """The ``(repo_url, repo_subpath, checkout)`` units of a census folder, in papers.csv order.

    Each unit is analysed in the checkout of the ref its first paper links (repos.csv has one row per
    (repository, ref)); a unit whose clone did not succeed is left out. With a distributed placement
    the checkout is the path repos.csv records, as the workers see it in the store (never looked at here).
    """
    if not (directory / "repos.csv").is_file():
        raise CrawlerUsageError(f"{directory} has no repos.csv; run `audit clone {directory}` first")
    repos = cloning.read_repos_csv(directory / "repos.csv")
    # one repository whatever its spelling (Owner/Repo = owner/repo), one checkout per ref
    ok = {(repo_key(url), ref): r for (url, ref), r in repos.items() if r.status == "ok"}
    units: dict[tuple[str, str], cloning.CloneResult] = {}
    papers = directory / "papers.csv"
    if papers.is_file():
        for row in cloning.read_papers(papers):
            url = (row.get("repo_url") or "").strip()
            if not url or (accepted_only and not cloning.is_accepted(row)):
                continue
            result = ok.get((repo_key(url), (row.get("repo_ref") or "").strip()))
            if result is None:
                continue
            unit = (result.repo_url, (row.get("repo_subpath") or "").strip().strip("/"))
            units.setdefault(unit, result)
    else:
        for _key, result in sorted(ok.items()):
            units.setdefault((result.repo_url, ""), result)
    if placement.distributed:
        return [Job(url, sub, result.path) for (url, sub), result in units.items()]
    root = placement.store_root()
    return [Job(url, sub, _checkout(result, root)) for (url, sub), result in units.items()]


def _checkout(result: cloning.CloneResult, root: Path) -> str:
    """The recorded checkout, or the same one in the current store ``root`` (a moved cache folder)."""
    if result.path and Path(result.path).is_dir():
        return result.path
    for ref in dict.fromkeys((result.ref, "")):
        try:
            candidate = cloning.cache_path(root, result.repo_url, ref)
        except ValueError:
            continue
        if (candidate / ".git").is_dir():
            return str(candidate)
    return result.path


def run(directory: Path, *, workers: int, accepted_only: bool = True, placement: Placement = LOCAL) -> Path:
    """Infer dependencies of every cloned repository; write the CSVs and return dependencies.csv.

    ``placement``: with ``dask`` each repository is one task on the cluster; the rows come back here.
    """
    jobs = jobs_for(directory, accepted_only=accepted_only, placement=placement)
    writable_folder(directory, "census folder", "make it writable, or copy it elsewhere")
    with executor_for(placement) as executor, progress("deps", total=len(jobs)) as callback:
        reports = infer_many(jobs, workers=workers, progress=callback, executor=executor)
    out = tables.write_dependencies(directory / "dependencies.csv", reports)
    tables.write_frameworks(directory / "frameworks.csv", reports)
    tables.write_all_tools(directory / "all_tools.csv", reports)
    tables.write_signals(directory / "repo_signals.csv", reports)
    n_rows = sum(len(r.dependencies) for r in reports)
    failed = sum(r.status not in {"ok", "subpath_missing"} for r in reports)
    info(f"dependencies.csv: {n_rows} rows for {len(reports)} repositories ({failed} not analysed) → {out}")
    return out
