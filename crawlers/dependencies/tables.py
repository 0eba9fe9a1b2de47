"""The CSV files ``audit deps`` writes, with fixed column orders (other steps read them by name).

- ``dependencies.csv``: one row per (repo_url, repo_subpath, package, source), with how sure it is
  (``resolution``, ``resolved_by``) and its family's ``canonical`` name.
- ``frameworks.csv``: one row per (repo_url, repo_subpath): one boolean "uses" column per framework,
  the primary framework and why, per framework its role and evidence (:data:`ROLE_FIELDS`), and the
  published census' method on the same checkout (:data:`PUBLISHED_COLUMNS`).
- ``all_tools.csv``: the published ICLR 2020 census format, ``all_repo_names, all_tool_names``, the tool
  list comma-separated without spaces so ``split(',')``, ``^\\w+`` and ``str.contains('torch')`` work.
- ``repo_signals.csv``: one row per (repo_url, repo_subpath) with declared-vs-imported signals.

Every file is written to a temporary name and renamed, so a reader never sees half a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from core import atomic
from crawlers.dependencies.frameworks import FRAMEWORK_NAMES
from crawlers.dependencies.infer import RepoReport

DEPENDENCY_COLUMNS = [
    "repo_url",
    "repo_subpath",
    "package",
    "source",
    "specifier",
    "evidence",
    "name",
    "optional",
    "resolution",
    "resolved_by",
    "canonical",
]
#: Per framework: its role, where it is declared, own files importing it at module level / only in
#: functions, and the other places it is imported (``tests:2;conversion:1;vendored:1``).
ROLE_FIELDS = ("role", "declared", "own_files", "function_files", "elsewhere")
PUBLISHED_COLUMNS = ["published_method", "published_frameworks", "published_matches", "published_reason"]
FRAMEWORK_COLUMNS = [
    "repo_url",
    "repo_subpath",
    *FRAMEWORK_NAMES,
    "n_frameworks",
    "primary",
    "primary_reason",
    *(f"{fw}_{part}" for fw in FRAMEWORK_NAMES for part in ROLE_FIELDS),
    *PUBLISHED_COLUMNS,
]
ALL_TOOLS_COLUMNS = ["all_repo_names", "all_tool_names"]
SIGNAL_COLUMNS = [
    "repo_url",
    "repo_subpath",
    "status",
    "declared_files",
    "has_declared",
    "has_requirements",
    "has_setup",
    "has_environment_file",
    "has_pipfile",
    "has_dockerfile",
    "python_version",
    "n_declared",
    "n_pinned",
    "pinned_share",
    "n_imported",
    "n_imported_undeclared",
    "imported_undeclared",
    "n_python_files",
    "n_notebooks",
    "n_unparsed_files",
    "unparsed_files",
    "python2",
    "n_python2_files",
    "python2_files",
    "notebook_only",
    "n_guessed",
    "guessed",
    "vendored",
    "error",
]


def _cell(value: object) -> object:
    return str(value).lower() if isinstance(value, bool) else value


def _write(path: Path, columns: Sequence[str], rows: Iterable[dict[str, object]]) -> Path:
    return atomic.write_csv(path, columns, ({k: _cell(v) for k, v in row.items()} for row in rows))


def repo_name(repo_url: str, repo_subpath: str = "") -> str:
    """``owner/repo`` (``owner/repo/sub/folder`` for a monorepo link), the census' repository name."""
    path = urlsplit(repo_url).path.strip("/").removesuffix(".git")
    name = path or repo_url
    return f"{name}/{repo_subpath.strip('/')}" if repo_subpath.strip("/") else name


def write_dependencies(path: Path, reports: Iterable[RepoReport]) -> Path:
    rows = (
        {
            "repo_url": r.repo_url,
            "repo_subpath": r.repo_subpath,
            "package": d.package,
            "source": d.source,
            "specifier": d.specifier,
            "evidence": d.evidence,
            "name": d.name,
            "optional": d.optional,
            "resolution": d.resolution,
            "resolved_by": d.resolved_by,
            "canonical": d.canonical or d.package,
        }
        for r in reports
        for d in r.dependencies
    )
    return _write(path, DEPENDENCY_COLUMNS, rows)


ANALYSED = frozenset({"ok", "subpath_missing"})


def framework_row(report: RepoReport) -> dict[str, object]:
    """One frameworks.csv row: uses flags, the primary framework, each framework's role and evidence,
    and what the published census' method gives on the same checkout."""
    row: dict[str, object] = {
        "repo_url": report.repo_url,
        "repo_subpath": report.repo_subpath,
        **{name: report.frameworks.get(name, False) for name in FRAMEWORK_NAMES},
        "n_frameworks": sum(bool(report.frameworks.get(name)) for name in FRAMEWORK_NAMES),
    }
    attribution = report.attribution
    row["primary"] = attribution.primary if attribution else ""
    row["primary_reason"] = attribution.primary_reason if attribution else ""
    for fw in FRAMEWORK_NAMES:
        evidence = attribution.evidence.get(fw) if attribution else None
        row[f"{fw}_role"] = attribution.role(fw) if attribution else ""
        row[f"{fw}_declared"] = ";".join(evidence.declared) if evidence else ""
        row[f"{fw}_own_files"] = evidence.module_files if evidence else 0
        row[f"{fw}_function_files"] = evidence.function_files if evidence else 0
        elsewhere = evidence.elsewhere() if evidence else {}
        row[f"{fw}_elsewhere"] = ";".join(f"{kind}:{n}" for kind, n in elsewhere.items())
    published = report.published
    if published:
        matches = published.frameworks
        row["published_method"] = published.method
        row["published_frameworks"] = ";".join(fw for fw in FRAMEWORK_NAMES if fw in matches)
        row["published_matches"] = ";".join(f"{fw}:{','.join(names)}" for fw, names in matches.items())
        row["published_reason"] = published.reason
    return row


def write_frameworks(path: Path, reports: Iterable[RepoReport]) -> Path:
    """Only analysed units: a checkout that could not be read says nothing about its frameworks."""
    return _write(path, FRAMEWORK_COLUMNS, (framework_row(r) for r in reports if r.status in ANALYSED))


def write_all_tools(path: Path, reports: Iterable[RepoReport]) -> Path:
    rows = (
        {"all_repo_names": repo_name(r.repo_url, r.repo_subpath), "all_tool_names": ",".join(r.used_packages)}
        for r in reports
        if r.status in ANALYSED
    )
    return _write(path, ALL_TOOLS_COLUMNS, rows)


def write_signals(path: Path, reports: Iterable[RepoReport]) -> Path:
    rows = (
        {
            "repo_url": r.repo_url,
            "repo_subpath": r.repo_subpath,
            "status": r.status,
            "error": r.error,
            **r.signals,
        }
        for r in reports
    )
    return _write(path, SIGNAL_COLUMNS, rows)
