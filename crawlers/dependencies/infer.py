"""One checkout → its dependency rows, signals and frameworks; many checkouts in parallel processes.

The unit of work is ``(repo_url, repo_subpath)``: a paper that links into a monorepo's sub-folder
(``google-research/google-research/tree/master/cfq``) gets that folder scanned, not the whole repository.
Local-module detection still looks at the whole checkout (code may import a sibling folder), by the
rule of :mod:`.local`; vendored copies are found by :mod:`.layout`; each import is resolved first
against the distributions the code base declares, then by the alias table (:mod:`.aliases`).

Everything runs in-process (pipreqs' *functions*, not its command), one process per worker, so a census
of hundreds of repositories takes seconds instead of one interpreter start-up and ``sys.path`` walk per
repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from operator import attrgetter
from pathlib import Path
from urllib.parse import urlsplit

from core.executors import Executor, map_units
from core.store_checkouts import local_checkout
from crawlers.dependencies.aliases import canonical, provides, resolve_import
from crawlers.dependencies.declared import DeclaredResult, read_declared
from crawlers.dependencies.files import Tree, linked_root
from crawlers.dependencies.frameworks import Attribution, Evidence, attribute, framework_of, frameworks_of
from crawlers.dependencies.imports import CONTEXTS, ImportScan, ImportSite, scan_imports
from crawlers.dependencies.layout import Layout, detect_layout
from crawlers.dependencies.local import LocalNames, local_names
from crawlers.dependencies.mapping import is_stdlib
from crawlers.dependencies.published import PublishedMethod, published_method
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
    attribution: Attribution | None = None
    published: PublishedMethod | None = None

    @property
    def used_packages(self) -> list[str]:
        """Imports plus non-optional declared requirements: the set frameworks and all_tools.csv use."""
        return sorted({d.package for d in self.dependencies if not d.optional})


def merge(dependencies: Iterable[Dependency]) -> list[Dependency]:
    """One row per (package, source): the first evidence in file order, the first non-empty specifier;
    optional only when every occurrence is optional; the surest resolution of any occurrence."""
    merged: dict[tuple[str, str], Dependency] = {}
    for dep in dependencies:
        key = (dep.package, dep.source)
        first = merged.get(key)
        if first is None:
            merged[key] = dep
            continue
        surer = dep if dep.resolution == "declared" and first.resolution != "declared" else first
        merged[key] = replace(
            first,
            specifier=first.specifier or dep.specifier,
            optional=first.optional and dep.optional,
            resolution=surer.resolution,
            resolved_by=surer.resolved_by,
        )
    return sorted(merged.values(), key=lambda d: (d.package, d.source))


def _is_pinned(specifier: str) -> bool:
    spec = specifier.split(";", 1)[0].strip()
    return spec.startswith(("==", "===")) and "*" not in spec and "," not in spec


def _signals(
    report: RepoReport, declared: DeclaredResult, scan: ImportScan, layout: Layout
) -> dict[str, object]:
    """The per-repository columns of repo_signals.csv (see :data:`SIGNAL_COLUMNS`)."""
    rows = [d for d in report.dependencies if d.source != "imports"]
    declared_packages = {d.package for d in rows}
    pinned = {d.package for d in rows if _is_pinned(d.specifier)}
    imported = {d.package for d in report.dependencies if d.source == "imports"}
    declared_families = {d.canonical for d in rows}
    undeclared = sorted({d.package for d in report.dependencies if d.source == "imports"} - declared_packages)
    undeclared = [p for p in undeclared if canonical(p) not in declared_families]
    guessed = sorted({d.package for d in report.dependencies if d.resolution == "guessed"})
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
        "python2": bool(scan.python2_files) or _states_python2(pythons),
        "n_python2_files": len(scan.python2_files),
        "python2_files": ";".join(scan.python2_files[:20]),
        "notebook_only": scan.n_notebooks > 0 and scan.n_python_files == 0,
        "n_guessed": len(guessed),
        "guessed": ";".join(guessed),
        "vendored": ";".join(f"{v.distribution}@{v.folder}" for v in layout.vendored),
    }


def _states_python2(versions: list[str]) -> bool:
    """A declared Python version that only Python 2 satisfies (``2.7``, ``==2.7``, ``<3``)."""
    for version in versions:
        text = version.replace(" ", "")
        if text.lstrip("=~^").startswith("2") or text.startswith("<3"):
            return True
    return False


def _providers_index(declared: list[Dependency]) -> dict[str, Dependency]:
    """Import name (some dotted) → the declared row providing it; non-optional declarations first."""
    index: dict[str, Dependency] = {}
    for dep in sorted(declared, key=lambda d: d.optional):
        for name in provides(dep.package):
            index.setdefault(name, dep)
    return index


def _resolve_module(module: str, evidence: str, declared: dict[str, Dependency]) -> Dependency | None:
    """An import's row: the declared distribution that provides it, else the alias table's answer."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        dep = declared.get(".".join(parts[:end]))
        if dep is not None:
            return Dependency(
                dep.package, "imports", "", evidence, module, resolution="declared", resolved_by=dep.evidence
            )
    found = resolve_import(module)
    if not found.package:
        return None
    by = found.table if found.kind == "mapped" else "identity"
    return Dependency(found.package, "imports", "", evidence, module, resolution=found.kind, resolved_by=by)


def _third_party(scan: ImportScan, local: LocalNames) -> list[ImportSite]:
    python2 = set(scan.python2_files)
    kept = []
    for site in scan.sites:
        top = site.module.partition(".")[0]
        if not top or top.startswith("_") or is_stdlib(site.module):
            continue
        if local.is_local(top, site.file, notebook=site.notebook, python2=site.file in python2):
            continue
        kept.append(site)
    return kept


def _evidence(
    sites: list[ImportSite], packages: dict[str, str], declared: list[Dependency], layout: Layout
) -> dict[str, Evidence]:
    """Per framework: declarations, and each importing file's category and strongest context."""
    evidence: dict[str, Evidence] = {}
    for dep in declared:
        framework = framework_of(dep.package)
        if framework:
            target = evidence.setdefault(framework, Evidence())
            (target.declared_optional if dep.optional else target.declared).append(dep.evidence)
    for site in sites:
        framework = packages.get(site.module) and framework_of(packages[site.module])
        if not framework:
            continue
        target = evidence.setdefault(framework, Evidence())
        category = layout.category(site.file)
        earlier = target.files.get(site.file)
        if earlier is None or CONTEXTS.index(site.context) < CONTEXTS.index(earlier[1]):
            target.files[site.file] = (category, site.context, site.notebook)
        copy = layout.copy_of(site.file)
        if copy:
            target.vendored.add(copy.distribution)
    return evidence


def _repo_name(repo_url: str) -> str:
    parts = [p for p in urlsplit(repo_url).path.split("/") if p]
    return parts[-1].removesuffix(".git") if parts else ""


def infer_repository(repo_url: str, checkout: Path, repo_subpath: str = "") -> RepoReport:
    """Dependencies of one checkout (or of its linked sub-folder); never raises, never runs its code."""
    report = RepoReport(repo_url, repo_subpath, "ok")
    try:
        if not checkout.is_dir() or checkout.is_symlink():
            report.status = "missing_checkout"
            report.frameworks = frameworks_of([])
            return report
        scan_root, found = linked_root(checkout, repo_subpath)
        if not found:
            report.status = "subpath_missing"
        tree = Tree.scan(checkout)  # one walk, shared by every step below
        layout = detect_layout(scan_root, checkout, _repo_name(repo_url), tree)
        declared = read_declared(scan_root, checkout, [checkout / v.folder for v in layout.vendored], tree)
        scan = scan_imports(scan_root, checkout, tree)
        sites = _third_party(scan, local_names(checkout, scan_root, tree))
        declared_rows = list(declared.dependencies) + scan.notebook_installs
        rows = list(declared_rows)
        packages: dict[str, str] = {}
        providing = _providers_index(declared_rows)
        for site in sites:
            if site.module in packages:
                continue
            dep = _resolve_module(site.module, site.evidence, providing)
            packages[site.module] = dep.package if dep else ""
            if dep:
                rows.append(dep)
        report.dependencies = [replace(d, canonical=canonical(d.package)) for d in merge(rows)]
        report.signals = _signals(report, declared, scan, layout)
        report.frameworks = frameworks_of(report.used_packages)
        report.attribution = attribute(report.frameworks, _evidence(sites, packages, declared_rows, layout))
        report.published = published_method(scan_root, scan, tree)
    except Exception as exc:  # one strange repository must not abort a census
        report.status, report.error = "error", f"{type(exc).__name__}: {exc}"[:300]
        report.frameworks = frameworks_of([])
    return report


def _run(job: Job) -> RepoReport:
    """One job; a checkout archived in object storage is unpacked on this worker first."""
    return infer_repository(job.repo_url, Path(local_checkout(job.checkout)), job.repo_subpath)


def _key(job: Job) -> str:
    return f"deps {job.repo_url} {job.repo_subpath}".strip()


def _failed(job: Job, error: BaseException) -> RepoReport:
    """The row of a repository whose analysis crashed its process (or its workers): an error, not a gap."""
    return RepoReport(
        job.repo_url, job.repo_subpath, "error", frameworks=frameworks_of([]), error=repr(error)[:300]
    )


def infer_many(
    jobs: list[Job],
    *,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    executor: Executor | None = None,
) -> list[RepoReport]:
    """Analyse every job, ``workers`` processes at a time (in this process when ``workers`` is 1), or
    one task per job on ``executor`` (a Dask cluster whose workers reach the checkouts).

    Results come back in the order of ``jobs``, wherever and in whatever order they ran.
    """
    return map_units(
        _run,
        jobs,
        key=_key,
        failed=_failed,
        label=attrgetter("repo_url"),
        workers=workers,
        executor=executor,
        progress=progress,
    )
