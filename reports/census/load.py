"""Read a census folder's CSVs as strings, each validated against its contract first.

The step outputs are written by other packages whose schemas may grow: every file is checked by
``core.schemas`` (required columns present, cells of the right kind, extra columns allowed), then
read as text (no type guessing, empty cells stay empty strings) and normalised here, so aggregation
never trips over ``"True"`` vs ``True`` vs ``1`` or a missing optional column, and a file that breaks
its contract is one line naming the row instead of a report built on garbage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import schemas
from core.identity import repo_key

#: Which command produces each required file, for the error message when one is missing.
PRODUCER = {
    "papers.csv": "audit crawl VENUE --out {dir}",
    "repos.csv": "audit clone {dir}",
    "dependencies.csv": "audit deps {dir}",
    "frameworks.csv": "audit deps {dir}",
    "checklist.csv": "audit checklist {dir}",
}

#: Per-code-base reproducibility signals written by `audit deps` (optional: older folders lack it).
SIGNALS_FILE = "repo_signals.csv"

_TRUE = {"true", "1", "yes", "y", "t"}


class MissingInput(Exception):
    """A step output needed by the report is missing; says which command makes it (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class CensusTables:
    """The CSVs of one census folder, every cell a string."""

    papers: pd.DataFrame
    repos: pd.DataFrame
    dependencies: pd.DataFrame
    frameworks: pd.DataFrame
    signals: pd.DataFrame | None = None


def read_csv(path: Path) -> pd.DataFrame:
    """A validated CSV with every cell as ``str`` and empty cells as ``""`` (never NaN).

    A file that breaks its contract (empty, truncated, not UTF-8, required columns missing, a bad
    cell) is a one-line :class:`core.schemas.SchemaError` naming the row and the command that writes
    the file again, not a pandas traceback.
    """
    if path.name in schemas.TABLES:
        table = schemas.read_table(path)
        columns = [name for name in table.header if name]
        return pd.DataFrame(table.rows, columns=columns, dtype=str) if table.rows else _empty(columns)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise MissingInput(f"{path} cannot be read as a CSV table ({reason})") from exc


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=str) for name in columns})


def column(frame: pd.DataFrame, name: str, default: str = "") -> pd.Series:
    """``frame[name]`` stripped, or a column of ``default`` when the optional column is absent."""
    if name in frame.columns:
        return frame[name].astype(str).str.strip()
    return pd.Series([default] * len(frame), index=frame.index, dtype=str)


def as_bool(values: pd.Series) -> pd.Series:
    """``true/1/yes`` (any case) → True, anything else (``false``, ``0``, empty) → False."""
    return values.astype(str).str.strip().str.lower().isin(_TRUE)


def require(directory: Path, name: str) -> Path:
    """The path of a required step output, or :class:`MissingInput` naming the command to run."""
    path = directory / name
    if not path.is_file():
        command = PRODUCER[name].format(dir=directory)
        raise MissingInput(f"{path} is missing: run `{command}` first (or `audit census` to run every step)")
    return path


def load_tables(directory: Path) -> CensusTables:
    """Read papers, repos, dependencies, frameworks and (if present) per-repo signals."""
    papers = read_csv(require(directory, "papers.csv"))
    repos = read_csv(require(directory, "repos.csv"))
    dependencies = read_csv(require(directory, "dependencies.csv"))
    frameworks = read_csv(require(directory, "frameworks.csv"))
    signals = read_csv(directory / SIGNALS_FILE) if (directory / SIGNALS_FILE).is_file() else None
    return CensusTables(
        papers=papers, repos=repos, dependencies=dependencies, frameworks=frameworks, signals=signals
    )


def same_repository(urls: pd.Series, cloned: pd.Series) -> pd.Series:
    """Each URL in one written form per repository: ``Owner/Repo`` and ``owner/repo`` are one.

    The form repos.csv recorded wins (that is the folder `audit deps` analysed), else the first form
    seen; see :func:`core.identity.repo_key`.
    """
    form: dict[str, str] = {}
    for url in [*cloned, *urls]:
        if url:
            form.setdefault(repo_key(url), url)
    return urls.map(lambda url: form.get(repo_key(url), url) if url else url)
