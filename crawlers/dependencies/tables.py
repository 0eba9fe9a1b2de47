"""The CSV files ``audit deps`` writes, with fixed column orders (other steps read them by name).

- ``dependencies.csv``: one row per (repo_url, repo_subpath, package, source).
- ``frameworks.csv``: one row per (repo_url, repo_subpath), one boolean column per framework.
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
]
FRAMEWORK_COLUMNS = ["repo_url", "repo_subpath", *FRAMEWORK_NAMES, "n_frameworks"]
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
        }
        for r in reports
        for d in r.dependencies
    )
    return _write(path, DEPENDENCY_COLUMNS, rows)


ANALYSED = frozenset({"ok", "subpath_missing"})


def write_frameworks(path: Path, reports: Iterable[RepoReport]) -> Path:
    """Only analysed units: a checkout that could not be read says nothing about its frameworks."""
    rows = (
        {
            "repo_url": r.repo_url,
            "repo_subpath": r.repo_subpath,
            **{name: r.frameworks.get(name, False) for name in FRAMEWORK_NAMES},
            "n_frameworks": sum(bool(r.frameworks.get(name)) for name in FRAMEWORK_NAMES),
        }
        for r in reports
        if r.status in ANALYSED
    )
    return _write(path, FRAMEWORK_COLUMNS, rows)


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
