"""One code base → its checklist verdicts; many code bases in parallel processes.

Scoring reads the checkout and never runs it; it never raises either: a code base that cannot be read
gets status ``missing_checkout`` or ``error`` and no verdicts, and the census goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from core.executors import Executor, map_units
from core.store_checkouts import local_checkout
from crawlers.checklist.codebase import DeclaredFile, build
from crawlers.checklist.items import dependencies, evaluation, pretrained, results, training
from crawlers.checklist.records import ITEMS, CodeBaseChecklist
from crawlers.dependencies.files import linked_root

ProgressCallback = Callable[[int, int, str], None]
RULES = {
    "dependencies": dependencies.judge,
    "training": training.judge,
    "evaluation": evaluation.judge,
    "pretrained": pretrained.judge,
    "results": results.judge,
}
assert tuple(RULES) == ITEMS


@dataclass(frozen=True)
class ChecklistJob:
    """A code base to score: clone URL, linked sub-folder, checkout, commit, and its declared files."""

    repo_url: str
    repo_subpath: str
    checkout: str
    commit: str = ""
    declared: tuple[DeclaredFile, ...] = field(default_factory=tuple)


def score(job: ChecklistJob) -> CodeBaseChecklist:
    result = CodeBaseChecklist(job.repo_url, job.repo_subpath, commit=job.commit)
    checkout = Path(local_checkout(job.checkout)) if job.checkout else Path()
    try:
        if not job.checkout or not checkout.is_dir() or checkout.is_symlink():
            result.status = "missing_checkout"
            return result
        root, found = linked_root(checkout, job.repo_subpath)
        if not found:
            result.status = "subpath_missing"
        base = build(checkout, root, list(job.declared))
        if base.readme is not None:
            result.readme, result.readme_format = base.readme.path, base.readme.format
        for item, rule in RULES.items():
            result.items[item] = rule(base)
    except Exception as exc:  # one strange repository must not stop a census
        result.status, result.error = "error", f"{type(exc).__name__}: {exc}"[:300]
        result.items = {}
    return result


def _key(job: ChecklistJob) -> str:
    return f"checklist {job.repo_url} {job.repo_subpath}".strip()


def _failed(job: ChecklistJob, error: BaseException) -> CodeBaseChecklist:
    return CodeBaseChecklist(job.repo_url, job.repo_subpath, "error", job.commit, error=repr(error)[:300])


def score_many(
    jobs: list[ChecklistJob],
    *,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    executor: Executor | None = None,
) -> list[CodeBaseChecklist]:
    """Score every job, ``workers`` processes at a time (in this process when 1), or one task per job on
    ``executor`` (a Dask cluster whose workers reach the checkouts); results in job order."""
    return map_units(
        score,
        jobs,
        key=_key,
        failed=_failed,
        label=attrgetter("repo_url"),
        workers=workers,
        executor=executor,
        progress=progress,
    )
