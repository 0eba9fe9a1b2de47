"""One checkout → its dependency rows, signals and frameworks; many checkouts in parallel processes.

The unit of work is ``(repo_url, repo_subpath)``: a paper that links into a monorepo's sub-folder
(``google-research/google-research/tree/master/cfq``) gets that folder scanned, not the whole repository.
Local-module detection still looks at the whole checkout (code may import a sibling folder).

Everything runs in-process (pipreqs' *functions*, not its command), one process per worker, so a census
of hundreds of repositories takes seconds instead of one interpreter start-up and ``sys.path`` walk per
repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from crawlers.dependencies.declared import DeclaredResult, read_declared
from crawlers.dependencies.files import inside
from crawlers.dependencies.frameworks import frameworks_of
from crawlers.dependencies.imports import ImportScan, local_module_names, scan_imports, third_party
from crawlers.dependencies.mapping import import_to_package
from crawlers.dependencies.records import Dependency

ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Job:
    """A checkout to analyse: its clone URL, the linked sub-folder (may be empty) and where it lies."""

    repo_url: str
    repo_subpath: str
    checkout: str


@dataclass
class RepoReport:
    """Everything ``audit deps`` writes about one ``(repo_url, repo_subpath)``."""

    repo_url: str
    repo_subpath: str
    status: str  # ok | missing_checkout | subpath_missing (whole repository scanned) | error
    dependencies: list[Dependency] = field(default_factory=list)
    signals: dict[str, object] = field(default_factory=dict)
    frameworks: dict[str, bool] = field(default_factory=dict)
    error: str = ""

    @property
    def used_packages(self) -> list[str]:
        """Imports plus non-optional declared requirements: the set frameworks and all_tools.csv use."""
        return sorted({d.package for d in self.dependencies if not d.optional})


def _scan_root(checkout: Path, subpath: str) -> tuple[Path, bool]:
    """The folder to scan and whether the linked sub-folder was found (a file link scans its folder)."""
    subpath = subpath.strip().strip("/")
    if not subpath:
        return checkout, True
    candidate = checkout / subpath
    if candidate.is_symlink() or not inside(candidate, checkout):
        return checkout, False
    if candidate.is_dir():
        return candidate, True
    if candidate.is_file():
        return candidate.parent, True
    return checkout, False


def merge(dependencies: Iterable[Dependency]) -> list[Dependency]:
    """One row per (package, source): the first evidence in file order, the first non-empty specifier;
    optional only when every occurrence is optional."""
    merged: dict[tuple[str, str], Dependency] = {}
    for dep in dependencies:
        key = (dep.package, dep.source)
        first = merged.get(key)
        if first is None:
            merged[key] = dep
            continue
        merged[key] = Dependency(
            first.package,
            first.source,
            first.specifier or dep.specifier,
            first.evidence,
            first.name,
            first.optional and dep.optional,
        )
    return sorted(merged.values(), key=lambda d: (d.package, d.source))


def _is_pinned(specifier: str) -> bool:
    spec = specifier.split(";", 1)[0].strip()
    return spec.startswith(("==", "===")) and "*" not in spec and "," not in spec


def _signals(report: RepoReport, declared: DeclaredResult, scan: ImportScan) -> dict[str, object]:
    """The per-repository columns of repo_signals.csv (see :data:`SIGNAL_COLUMNS`)."""
    rows = [d for d in report.dependencies if d.source != "imports"]
    declared_packages = {d.package for d in rows}
    pinned = {d.package for d in rows if _is_pinned(d.specifier)}
    imported = {d.package for d in report.dependencies if d.source == "imports"}
    undeclared = sorted(imported - declared_packages)
    kinds = set(declared.kinds)
    pythons = [p for p in declared.python_versions if p]
    return {
        "declared_files": ";".join(declared.files),
        "has_declared": bool(declared.files),
        "has_requirements": "requirements.txt" in kinds,
        "has_setup": bool(kinds & {"setup.py", "setup.cfg", "pyproject.toml"}),
        "has_environment_file": "environment.yml" in kinds,
        "has_pipfile": "Pipfile" in kinds,
        "has_dockerfile": "Dockerfile" in kinds,
        "python_version": ";".join(dict.fromkeys(pythons)),
        "n_declared": len(declared_packages),
        "n_pinned": len(pinned),
        "pinned_share": round(len(pinned) / len(declared_packages), 4) if declared_packages else "",
        "n_imported": len(imported),
        "n_imported_undeclared": len(undeclared),
        "imported_undeclared": ";".join(undeclared),
        "n_python_files": scan.n_python_files,
        "n_notebooks": scan.n_notebooks,
        "n_unparsed_files": len(scan.fallback_files),
        "unparsed_files": ";".join(scan.fallback_files[:20]),
    }


def infer_repository(repo_url: str, checkout: Path, repo_subpath: str = "") -> RepoReport:
    """Dependencies of one checkout (or of its linked sub-folder); never raises, never runs its code."""
    report = RepoReport(repo_url, repo_subpath, "ok")
    try:
        if not checkout.is_dir() or checkout.is_symlink():
            report.status = "missing_checkout"
            report.frameworks = frameworks_of([])
            return report
        scan_root, found = _scan_root(checkout, repo_subpath)
        if not found:
            report.status = "subpath_missing"
        declared = read_declared(scan_root, checkout)
        scan = scan_imports(scan_root, checkout)
        local = local_module_names(checkout)
        rows = list(declared.dependencies) + scan.notebook_installs
        for module in third_party(scan.modules, local):
            package = import_to_package(module)
            if package:
                rows.append(Dependency(package, "imports", "", scan.modules[module], name=module))
        report.dependencies = merge(rows)
        report.signals = _signals(report, declared, scan)
        report.frameworks = frameworks_of(report.used_packages)
    except Exception as exc:  # one strange repository must not abort a census
        report.status, report.error = "error", f"{type(exc).__name__}: {exc}"[:300]
        report.frameworks = frameworks_of([])
    return report


def _run(job: Job) -> RepoReport:
    return infer_repository(job.repo_url, Path(job.checkout), job.repo_subpath)


def infer_many(
    jobs: list[Job], *, workers: int = 2, progress: ProgressCallback | None = None
) -> list[RepoReport]:
    """Analyse every job, ``workers`` processes at a time (in this process when ``workers`` is 1).

    Results come back in the order of ``jobs``.
    """
    total = len(jobs)
    results: dict[int, RepoReport] = {}
    if progress:
        progress(0, total, "")
    if workers <= 1 or total <= 1:
        for index, job in enumerate(jobs):
            results[index] = _run(job)
            if progress:
                progress(index + 1, total, job.repo_url)
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        try:
            futures = {pool.submit(_run, job): index for index, job in enumerate(jobs)}
            for done, future in enumerate(as_completed(futures), start=1):
                index = futures[future]
                try:
                    results[index] = future.result()
                except Exception as exc:  # a crashed worker process: record it, carry on
                    job = jobs[index]
                    results[index] = RepoReport(
                        job.repo_url,
                        job.repo_subpath,
                        "error",
                        frameworks=frameworks_of([]),
                        error=repr(exc)[:300],
                    )
                if progress:
                    progress(done, total, jobs[index].repo_url)
        except BaseException:
            # Interrupted: drop the queued jobs instead of analysing every remaining repository
            # before exiting (a worker reports a Ctrl-C as its result and takes the next job).
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        else:
            pool.shutdown()
    return [results[i] for i in range(total)]
