"""`audit checklist`: repos.csv + clones + `audit deps` outputs → checklist.csv.

The code bases are exactly those `audit deps` analyses (:func:`audit.pipelines.deps.jobs_for`). Item 1
reuses what `audit deps` found instead of reading declaration files again: the declared rows of
dependencies.csv (file and line of each package) and the ``declared_files`` of repo_signals.csv (which
also lists files that declare nothing, such as a Dockerfile without ``pip install``).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from audit.pipelines.deps import jobs_for
from audit.placement import LOCAL, Placement, executor_for
from audit.progress import info, progress
from crawlers import cloning
from crawlers.checklist import ChecklistJob, DeclaredFile, score_many
from crawlers.checklist.table import write_checklist
from crawlers.dependencies.declared import declared_kind
from crawlers.errors import CrawlerUsageError

OUTPUT = "checklist.csv"


#: Columns each `audit deps` output must have for item 1 (its documented schema, docs/DESIGN.md).
REQUIRED = {
    "dependencies.csv": {"repo_url", "repo_subpath", "package", "source", "evidence"},
    "repo_signals.csv": {"repo_url", "repo_subpath", "declared_files"},
}


def _rows(path: Path) -> list[dict[str, str]]:
    """A CSV's rows, after checking its header; a damaged file is a one-line usage error."""
    if not path.is_file():
        return []
    remedy = f"rerun `audit deps {path.parent}`"
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = sorted(REQUIRED.get(path.name, set()) - set(reader.fieldnames or []))
            if missing:
                raise CrawlerUsageError(f"{path} lacks the column(s) {', '.join(missing)}; {remedy}")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CrawlerUsageError(f"{path} cannot be read as a CSV table ({exc}); {remedy}") from exc


def declared_files(directory: Path) -> dict[tuple[str, str], list[DeclaredFile]]:
    """Per ``(repo_url, repo_subpath)``, the declaration files `audit deps` found, with their first row."""
    deps_csv, signals_csv = directory / "dependencies.csv", directory / "repo_signals.csv"
    if not deps_csv.is_file() and not signals_csv.is_file():
        raise CrawlerUsageError(f"{directory} has no dependencies.csv; run `audit deps {directory}` first")
    first: dict[tuple[str, str, str], str] = {}
    kinds: dict[tuple[str, str, str], str] = {}
    counts: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in _rows(deps_csv):
        source = (row.get("source") or "").strip()
        evidence = (row.get("evidence") or "").strip()
        if not source or source in {"imports", "notebook"} or not evidence:
            continue
        unit = ((row.get("repo_url") or "").strip(), (row.get("repo_subpath") or "").strip().strip("/"))
        file = evidence.rsplit(":", 1)[0] if evidence.rsplit(":", 1)[-1].isdigit() else evidence
        key = (*unit, file)
        line = evidence.rsplit(":", 1)[-1]
        earlier = first.get(key, "")
        if not earlier or (line.isdigit() and int(line) < int(earlier.rsplit(":", 1)[-1] or 0)):
            first[key] = evidence
        kinds.setdefault(key, source)
        counts[key].add((row.get("package") or "").strip())
    for row in _rows(signals_csv):
        unit = ((row.get("repo_url") or "").strip(), (row.get("repo_subpath") or "").strip().strip("/"))
        for file in filter(None, (row.get("declared_files") or "").split(";")):
            key = (*unit, file)
            kinds.setdefault(key, declared_kind(Path(file)) or "declared")
    found: dict[tuple[str, str], list[DeclaredFile]] = defaultdict(list)
    for (url, sub, file), kind in sorted(kinds.items()):
        packages = len(counts.get((url, sub, file), set()) - {""})
        found[(url, sub)].append(DeclaredFile(file, kind, first.get((url, sub, file), ""), packages))
    return found


def run(directory: Path, *, workers: int, accepted_only: bool = True, placement: Placement = LOCAL) -> Path:
    """Score every analysed code base of a census folder; write and return checklist.csv (with
    ``dask``, one task per code base on the cluster, whose workers read the checkouts in the store)."""
    units = jobs_for(directory, accepted_only=accepted_only, placement=placement)
    declared = declared_files(directory)
    # repos.csv has one row per (repository, ref): the commit of the checkout each unit is scored in
    repos = cloning.read_repos_csv(directory / "repos.csv").values()
    commits = {result.path: result.commit for result in repos if result.path}
    by_url = {result.repo_url: result.commit for result in repos if not result.ref}
    jobs = [
        ChecklistJob(
            u.repo_url,
            u.repo_subpath,
            u.checkout,
            commits.get(u.checkout) or by_url.get(u.repo_url, ""),
            tuple(declared.get((u.repo_url, u.repo_subpath), [])),
        )
        for u in units
    ]
    with executor_for(placement) as executor, progress("checklist", total=len(jobs)) as callback:
        results = score_many(jobs, workers=workers, progress=callback, executor=executor)
    out = write_checklist(directory / OUTPUT, results)
    scored = [r for r in results if r.items]
    complete = sum(r.n_yes == 5 for r in scored)
    info(
        f"{OUTPUT}: {len(scored)} of {len(results)} code bases scored, {complete} meet all five items → {out}"
    )
    return out
