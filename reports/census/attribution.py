"""How sure the census is: primary frameworks next to "uses", and how each dependency row was resolved.

Reads only the columns `audit deps` writes since issue 14 (``primary`` in frameworks.csv, ``resolution``
and ``resolved_by`` in dependencies.csv); a folder written before has none of them, and the report says
"not recorded" instead of inventing numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from reports.census.intervals import Proportion, wilson
from reports.census.load import column

#: ``resolution`` values of dependencies.csv, surest first.
RESOLUTIONS = ("declared", "mapped", "guessed")


@dataclass(frozen=True)
class Resolutions:
    """Rows of the parsed code bases by resolution, and where the guesses are."""

    rows: dict[str, int] = field(default_factory=dict)
    by_table: dict[str, int] = field(default_factory=dict)
    guessed_code_bases: int = 0
    guessed_packages: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": dict(self.rows),
            "mapped_by_table": dict(self.by_table),
            "guessed_code_bases": self.guessed_code_bases,
            "guessed_packages": [{"package": p, "code_bases": n} for p, n in self.guessed_packages],
        }


def primary_shares(
    frameworks: pd.DataFrame, units: list[str], keys: list[str]
) -> dict[str, Proportion] | None:
    """Code bases whose primary framework is each key, over ``units``; None when not recorded."""
    if "primary" not in frameworks.columns:
        return None
    table = frameworks.drop_duplicates("unit", keep="last").set_index("unit").reindex(units, fill_value="")
    primary = column(table, "primary")
    return {key: wilson(int((primary == key).sum()), len(units)) for key in keys}


def resolutions(dependencies: pd.DataFrame, units: set[str], top: int = 10) -> Resolutions | None:
    """Counts of used rows by resolution among ``units`` (``dependencies`` has a ``unit`` column)."""
    if "resolution" not in dependencies.columns:
        return None
    deps = dependencies[dependencies["unit"].isin(units)]
    kind = column(deps, "resolution").str.lower()
    rows = {name: int((kind == name).sum()) for name in RESOLUTIONS}
    mapped = column(deps, "resolved_by")[kind == "mapped"]
    by_table = {str(k): int(v) for k, v in mapped.value_counts().sort_index().items()}
    guessed = deps[kind == "guessed"].drop_duplicates(["unit", "package"])
    counts = guessed.groupby("package")["unit"].count().sort_values(ascending=False, kind="mergesort")
    ranked = sorted(((str(p), int(n)) for p, n in counts.items()), key=lambda t: (-t[1], t[0]))[:top]
    return Resolutions(rows, by_table, int(guessed["unit"].nunique()), ranked)
