"""Per-code-base reproducibility signals: is the environment written down, and how precisely?

Two sources, the better one winning per signal: ``repo_signals.csv`` of `audit deps` (declared files,
pinned share, stated Python version, undeclared imports) and, where it lacks a column or is absent,
what dependencies.csv itself shows (a declared source, ``==`` specifiers, a Dockerfile or
environment.yml row, imports missing from the declared set). A signal neither source can measure (a
stated Python version needs repo_signals.csv) stays unmeasured (None) instead of reading as 0%.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from reports.census.load import as_bool, column

#: ``repo_signals.csv`` statuses whose row describes an analysed code base.
ANALYSED = {"ok", "subpath_missing", ""}


@dataclass(frozen=True)
class Signal:
    """One yes/no property of a code base; ``among_declared``: share among those declaring anything."""

    key: str
    label: str
    among_declared: bool = False


SIGNALS: tuple[Signal, ...] = (
    Signal("declared_file", "Declares dependencies in a file (requirements, setup, conda, Pipfile...)"),
    Signal("version_constraints", "Constrains at least one declared version", among_declared=True),
    Signal("all_pinned", "Pins every declared package exactly (==)", among_declared=True),
    Signal("python_version", "States the Python version"),
    Signal("container_or_env", "Ships a Dockerfile or a conda environment file"),
    Signal("undeclared_imports", "Imports packages it does not declare", among_declared=True),
    Signal("python2", "Python 2 code (does not run on Python 3 as written)"),
    Signal("notebook_only", "Notebooks only, no .py file"),
)

KEYS = [s.key for s in SIGNALS]


def _flag(name: str) -> Callable[[pd.DataFrame], pd.Series | None]:
    return lambda t: as_bool(t[name]) if name in t.columns else None


def _any_flag(*names: str) -> Callable[[pd.DataFrame], pd.Series | None]:
    def read(t: pd.DataFrame) -> pd.Series | None:
        present = [as_bool(t[n]) for n in names if n in t.columns]
        return pd.concat(present, axis=1).any(axis=1) if present else None

    return read


def _text(name: str) -> Callable[[pd.DataFrame], pd.Series | None]:
    return lambda t: t[name].astype(str).str.strip().ne("") if name in t.columns else None


def _all_pinned(t: pd.DataFrame) -> pd.Series | None:
    """pinned_share is empty when nothing is declared (unmeasured), else 1.0 means all pinned."""
    if "pinned_share" not in t.columns:
        return None
    share = pd.to_numeric(t["pinned_share"], errors="coerce")
    return (share >= 1.0).astype(object).where(share.notna(), None)


def _undeclared(t: pd.DataFrame) -> pd.Series | None:
    if "n_imported_undeclared" not in t.columns:
        return None
    return pd.to_numeric(t["n_imported_undeclared"], errors="coerce").fillna(0) > 0


#: How each signal reads from repo_signals.csv (None: that file cannot say).
FROM_SIGNALS_FILE: dict[str, Callable[[pd.DataFrame], pd.Series | None]] = {
    "declared_file": _flag("has_declared"),
    "all_pinned": _all_pinned,
    "python_version": _text("python_version"),
    "container_or_env": _any_flag("has_dockerfile", "has_environment_file"),
    "undeclared_imports": _undeclared,
    "python2": _flag("python2"),
    "notebook_only": _flag("notebook_only"),
}


def is_import_source(source: str) -> bool:
    """Rows found by scanning imports rather than read from a declaration (as `audit deps` counts)."""
    return source.strip().lower() == "imports"


def _is_pinned(specifier: str) -> bool:
    spec = specifier.split(";", 1)[0].strip()
    return spec.startswith(("==", "===")) and "*" not in spec and "," not in spec


def from_dependencies(deps: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """Signals visible in dependencies.csv alone (``deps`` has a ``unit`` column); index: unit."""
    family = column(deps, "canonical")  # alias families: declared tensorflow-gpu covers import tensorflow
    deps = deps.assign(family=family.where(family != "", column(deps, "package")))
    imported = deps["source"].map(is_import_source)
    declared, imports = deps[~imported], deps[imported]
    rows = []
    for unit in units:
        mine = declared[declared["unit"] == unit]
        kinds = {s.lower() for s in mine["source"]}
        specs = mine.loc[mine["package"] != "", "specifier"]
        has_declared = len(mine) > 0
        undeclared = set(imports.loc[imports["unit"] == unit, "family"]) - set(mine["family"]) - {""}
        rows.append(
            {
                "unit": unit,
                "declared_file": has_declared,
                "version_constraints": bool((specs != "").any()) if has_declared else None,
                "all_pinned": bool(len(specs) and specs.map(_is_pinned).all()) if has_declared else None,
                "python_version": None,
                "container_or_env": bool(kinds & {"dockerfile", "environment.yml", "environment.yaml"}),
                "undeclared_imports": bool(undeclared) if has_declared else None,
                "python2": None,
                "notebook_only": None,
            }
        )
    return pd.DataFrame(rows, columns=["unit", *KEYS], dtype=object).set_index("unit")


def code_base_signals(deps: pd.DataFrame, signals: pd.DataFrame | None, units: list[str]) -> pd.DataFrame:
    """One row per code base, one column per signal: True, False or None (not measured).

    ``deps`` and ``signals`` carry a ``unit`` column (repository plus sub-folder) matching ``units``.
    """
    frame = from_dependencies(deps, units)
    if signals is None or "unit" not in signals.columns:
        return frame
    table = signals.drop_duplicates("unit", keep="last").set_index("unit").reindex(units)
    analysed = table.notna().any(axis=1) & column(table.fillna(""), "status").str.lower().isin(ANALYSED)
    for key, read in FROM_SIGNALS_FILE.items():
        values = read(table.fillna(""))
        if values is None:
            continue
        frame[key] = values.astype(object).where(analysed, None)
    return frame
