"""The published ICLR 2020 tooling census (a 2020 blog post), for the comparison table.

Its numbers: 687 accepted papers, 344 with code, 268 on GitHub, 237 repositories parsed from their
requirements.txt (pipreqs otherwise); 154 PyTorch, 95 TensorFlow (83 parsed + 12 assumed from
google-research / tensorflow owners), 23 Keras, counted with a substring match on tool names.

Its per-repository table is not available, so the per-code-base comparison runs *its method* on the
same checkouts (`audit deps` records the outcome in frameworks.csv: ``published_method``,
``published_frameworks``, ``published_matches``; see ``crawlers/dependencies/published.py``) and lists
every code base where that method and this census disagree on "uses", with the reason read from the
evidence columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pandas as pd

#: Venue the published census covered; the comparison is shown only for it.
BASELINE_VENUE = "ICLR.cc/2020/Conference"


@dataclass(frozen=True)
class BaselineFigure:
    """One published number, the census key it compares with, and why the two may differ."""

    key: str
    label: str
    published: int
    note: str


FIGURES: tuple[BaselineFigure, ...] = (
    BaselineFigure("accepted", "Accepted papers", 687, "Same population: accepted papers on OpenReview."),
    BaselineFigure(
        "with_code",
        "Accepted papers with a code link",
        344,
        "Non-empty code field as crawled now; authors added or changed links after the 2020 snapshot.",
    ),
    BaselineFigure(
        "github_links",
        "Code links on github.com",
        268,
        "Here: links whose host is github.com (owner-only links included, *.github.io pages excluded).",
    ),
    BaselineFigure(
        "parsed",
        "Repositories parsed",
        237,
        "Baseline: requirements.txt, else pipreqs; here: ≥1 dependency from declared files or imports.",
    ),
    BaselineFigure(
        "pytorch",
        "Using PyTorch",
        154,
        "Baseline: substring 'torch' in tool names; here: the framework rule of `audit deps`.",
    ),
    BaselineFigure(
        "tensorflow",
        "Using TensorFlow",
        95,
        "Baseline: 83 parsed + 12 assumed from the repository owner; here: parsed repositories only.",
    ),
    BaselineFigure(
        "keras",
        "Using Keras",
        23,
        "Baseline: substring 'keras' (also tf-keras helpers); here: the `keras` package itself.",
    ),
)

#: The one-line explanation printed under the table.
SUMMARY = (
    "Differences come from when the links were read (later edits on OpenReview), which links count as "
    "repositories (normalised clone URLs, de-duplicated), and how dependencies were found (declared "
    "files plus imports here, requirements.txt or pipreqs there) and classified (a package rule here, "
    "a substring match and owner-based guesses there)."
)


# --------------------------------------------------------------------------- per code base

#: Frameworks the published census counted, with the substring it searched the tool names for.
PUBLISHED_SUBSTRINGS = {"pytorch": "torch", "tensorflow": "tensorflow", "keras": "keras"}
#: Owners whose unparsed repositories the published census counted as TensorFlow.
ASSUMED_TENSORFLOW_OWNERS = frozenset({"google-research", "tensorflow"})
_NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "keras": "Keras"}


def _owner(unit: str) -> str:
    parts = [p for p in unit.split("#", 1)[0].split("/") if p]
    return parts[2].lower() if len(parts) >= 3 else ""


def published_says(row: pd.Series, framework: str) -> bool | None:
    """What the published method gives for one code base (frameworks.csv row); None when not recorded."""
    method = str(row.get("published_method", "")).strip()
    if not method:
        return None
    if method == "unparsed":
        return framework == "tensorflow" and _owner(str(row["unit"])) in ASSUMED_TENSORFLOW_OWNERS
    return framework in str(row.get("published_frameworks", "")).split(";")


def _int(value: object) -> int:
    try:
        return int(str(value).strip() or 0)
    except ValueError:
        return 0


_KINDS = {
    "optional": "in optional try/except blocks",
    "tests": "in tests",
    "examples": "in examples",
    "conversion": "in conversion scripts",
    "vendored": "in vendored copies",
}


def _files(n: int, adjective: str = "") -> str:
    """``1 own file imports`` / ``3 files import``."""
    noun = f"{adjective} file" if adjective else "file"
    return f"{n} {noun} imports" if n == 1 else f"{n} {noun}s import"


def our_evidence(row: pd.Series, framework: str) -> str:
    """``14 own files import it at module level, 2 only in functions; declared in requirements.txt:3``."""
    parts = []
    own, functions = _int(row.get(f"{framework}_own_files")), _int(row.get(f"{framework}_function_files"))
    elsewhere = dict(
        part.split(":", 1) for part in str(row.get(f"{framework}_elsewhere", "")).split(";") if ":" in part
    )
    if own or functions:
        text = f"{_files(own, 'own')} it at module level, {functions} only in functions"
        notebooks = _int(elsewhere.pop("notebooks", 0))
        parts.append(text + (f" ({notebooks} of them notebooks)" if notebooks else ""))
    declared = str(row.get(f"{framework}_declared", "")).strip()
    if declared:
        parts.append("declared in " + ", ".join(declared.split(";")[:3]))
    for kind, count in elsewhere.items():
        if kind in _KINDS:
            parts.append(f"{_files(_int(count))} it {_KINDS[kind]}")
    return "; ".join(parts) or "no import or declaration"


def _only_notebooks(row: pd.Series, framework: str) -> bool:
    own = _int(row.get(f"{framework}_own_files")) + _int(row.get(f"{framework}_function_files"))
    elsewhere = str(row.get(f"{framework}_elsewhere", ""))
    notebooks = next(
        (_int(p.split(":", 1)[1]) for p in elsewhere.split(";") if p.startswith("notebooks:")), 0
    )
    return own > 0 and notebooks >= own


def _reason(row: pd.Series, framework: str, theirs: bool) -> str:
    method = str(row.get("published_method", ""))
    name, here = _NAMES[framework], our_evidence(row, framework)
    role = str(row.get(f"{framework}_role", "")) or "not used"
    if method == "unparsed" and theirs:
        owner = _owner(str(row["unit"]))
        return f"the published census counted unparsed {owner} repositories as TensorFlow; here: {here}"
    if method == "unparsed":
        return f"the published method could not parse it ({row.get('published_reason', '')}); here: {here}"
    if theirs:
        matches = dict(
            part.split(":", 1) for part in str(row.get("published_matches", "")).split(";") if ":" in part
        )
        names = matches.get(framework, "")
        return (
            f"'{PUBLISHED_SUBSTRINGS[framework]}' matched the tool name(s) {names}, none of which is {name}"
        )
    own = _int(row.get(f"{framework}_own_files")) + _int(row.get(f"{framework}_function_files"))
    if method == "requirements.txt":
        return f"the published list came from a requirements.txt without {name}; here ({role}): {here}"
    if _only_notebooks(row, framework):
        return f"only notebooks import it, and pipreqs reads no notebooks; here ({role}): {here}"
    if not own and str(row.get(f"{framework}_declared", "")).strip():
        return f"pipreqs reads imports only, and no .py file imports it; here ({role}): {here}"
    why = "its local filter drops any name of a file or folder in the tree"
    return f"not in pipreqs' list ({why}); here ({role}): {here}"


def disagreements(
    frameworks: pd.DataFrame, units: list[str], names: dict[str, str]
) -> list[dict[str, object]]:
    """Every code base and framework where the published method and this census disagree on "uses".

    ``frameworks`` has a ``unit`` column; ``names`` maps a unit to the repository name shown.
    """
    if "published_method" not in frameworks.columns:
        return []
    table = frameworks.drop_duplicates("unit", keep="last").set_index("unit", drop=False)
    rows = []
    for unit in units:
        if unit not in table.index:
            continue
        row = table.loc[unit]
        for framework in PUBLISHED_SUBSTRINGS:
            theirs = published_says(row, framework)
            ours = str(row.get(framework, "")).strip().lower() == "true"
            if theirs is None or theirs == ours:
                continue
            rows.append(
                {
                    "code_base": names.get(unit, unit),
                    "framework": _NAMES[framework],
                    "published_method": str(row.get("published_method", "")),
                    "published": theirs,
                    "uses": ours,
                    "role": str(row.get(f"{framework}_role", "")),
                    "primary": str(row.get("primary", "")),
                    "reason": _reason(row, framework, theirs),
                }
            )
    return rows


def published_here(frameworks: pd.DataFrame, units: list[str]) -> dict[str, int] | None:
    """How many of ``units`` the published method counts per framework (None when not recorded)."""
    if "published_method" not in frameworks.columns:
        return None
    table = frameworks.drop_duplicates("unit", keep="last").set_index("unit", drop=False)
    present = [u for u in units if u in table.index]
    return {fw: sum(bool(published_says(table.loc[u], fw)) for u in present) for fw in PUBLISHED_SUBSTRINGS}


def display_names(units: list[str]) -> dict[str, str]:
    """``owner/repo`` (``owner/repo/sub``) for each unit, as all_tools.csv names code bases."""
    names = {}
    for unit in units:
        url, _, sub = unit.partition("#")
        path = urlsplit(url).path.strip("/").removesuffix(".git") or url
        names[unit] = f"{path}/{sub}" if sub else path
    return names
