"""The census' checklist sections: checklist.csv (written by `audit checklist`) → shares and tables.

Every share is over the *scored* code bases of accepted papers (checklist.csv rows with verdicts), with
a 95% Wilson interval; an item counts as met only when its verdict is ``yes`` (``unclear`` is shown
beside it, never counted). Breakdowns: presentation tier (a code base takes the tier of the first
accepted paper that links it, in papers.csv order), framework (frameworks.csv; a code base using two
frameworks counts in both, one using none in "none") and research domain (papers.csv's ``domain``
column, when the census has one). Pure functions of the tables, like :mod:`.aggregate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from reports.census.aggregate import (
    FRAMEWORKS,
    TIER_LIST_ORDER,
    accepted_papers,
    counts_sorted,
    paper_tiers,
    with_units,
)
from reports.census.intervals import Proportion, wilson
from reports.census.load import MissingInput, column

#: Item keys of checklist.csv, in the checklist's order, with the labels the report prints.
ITEMS: dict[str, str] = {
    "dependencies": "Specification of dependencies",
    "training": "Training code",
    "evaluation": "Evaluation code",
    "pretrained": "Pre-trained models",
    "results": "README results table with commands",
}
VERDICTS = ("yes", "no", "unclear")
CHECKLIST_FILE = "checklist.csv"
SCORED = {"ok", "subpath_missing"}


@dataclass(frozen=True)
class Group:
    """One breakdown row: how many code bases, the share meeting each item, all five, and the mean."""

    n: int
    items: dict[str, Proportion]
    complete: Proportion
    mean_items: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code_bases": self.n,
            "items": {k: p.as_dict() for k, p in self.items.items()},
            "all_five": self.complete.as_dict(),
            "mean_items_met": self.mean_items,
        }


@dataclass(frozen=True)
class ChecklistSummary:
    code_bases: int
    not_scored: dict[str, int]
    overall: Group
    unclear: dict[str, int]
    no: dict[str, int]
    distribution: list[tuple[int, Proportion]]
    by_tier: dict[str, Group]
    by_framework: dict[str, Group]
    by_domain: dict[str, Group] | None
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "code_bases": self.code_bases,
            "not_scored": dict(self.not_scored),
            "items": {k: p.as_dict() for k, p in self.overall.items.items()},
            "unclear": dict(self.unclear),
            "no": dict(self.no),
            "all_five": self.overall.complete.as_dict(),
            "mean_items_met": self.overall.mean_items,
            "distribution": [{"items_met": k, **p.as_dict()} for k, p in self.distribution],
            "by_tier": {k: g.as_dict() for k, g in self.by_tier.items()},
            "by_framework": {k: g.as_dict() for k, g in self.by_framework.items()},
            "by_domain": None
            if self.by_domain is None
            else {k: g.as_dict() for k, g in self.by_domain.items()},
        }


def _group(frame: pd.DataFrame) -> Group:
    n = len(frame)
    met = {item: int((frame[item] == "yes").sum()) for item in ITEMS}
    counts = (frame[list(ITEMS)] == "yes").sum(axis=1) if n else pd.Series(dtype=int)
    return Group(
        n=n,
        items={item: wilson(k, n) for item, k in met.items()},
        complete=wilson(int((counts == len(ITEMS)).sum()), n),
        mean_items=round(float(counts.mean()), 3) if n else None,
    )


def blob_url(repo_url: str, commit: str, location: str) -> str:
    """A link to ``location`` (``path:line``, ``nb.ipynb:cell3``) at ``commit`` on GitHub, GitLab or
    Bitbucket; empty for other hosts or without a commit. Only https URLs of those forges are built."""
    if not location or not commit:
        return ""
    parts = urlsplit(repo_url)
    host = parts.netloc.lower()
    path = parts.path.strip("/").removesuffix(".git")
    if parts.scheme != "https" or not path:
        return ""
    file, _, line = location.rpartition(":")
    if not file or not (line.isdigit() or line.startswith("cell")):
        file, line = location, ""
    anchor = ""
    if line.isdigit():
        anchor = {
            "github.com": f"#L{line}",
            "gitlab.com": f"#L{line}",
            "bitbucket.org": f"#lines-{line}",
        }.get(host, "")
    quoted = quote(file)
    if host == "github.com":
        return f"https://github.com/{path}/blob/{commit}/{quoted}{anchor}"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return f"https://{host}/{path}/-/blob/{commit}/{quoted}{anchor}"
    if host == "bitbucket.org":
        return f"https://bitbucket.org/{path}/src/{commit}/{quoted}{anchor}"
    return ""


def safe_link(url: str) -> str:
    """A README-given link for the report only when it is plain http(s) (never ``javascript:``...)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else ""


def _row(record: pd.Series, name: str, tier: str) -> dict[str, Any]:
    items = {}
    for item in ITEMS:
        location = record.get(f"{item}_file", "")
        items[item] = {
            "verdict": record[item],
            "location": location,
            "url": blob_url(record["repo_url"], record.get("commit", ""), location),
            "section": record.get(f"{item}_section", ""),
            "snippet": record.get(f"{item}_snippet", ""),
            "link": safe_link(record.get(f"{item}_link", "")),
            "note": record.get(f"{item}_note", ""),
        }
    return {
        "name": name,
        "repo_url": record["repo_url"],
        "tier": tier,
        "items_met": int(record["n_met"]),
        "items": items,
    }


def summarize_checklist(
    papers: pd.DataFrame, frameworks: pd.DataFrame, checklist: pd.DataFrame | None
) -> ChecklistSummary | None:
    """The checklist sections' numbers, or None when the folder has no checklist.csv."""
    if checklist is None:
        return None
    missing = [c for c in ("repo_url", "status", *ITEMS) if c not in checklist.columns]
    if missing:
        raise MissingInput(
            f"checklist.csv lacks the column(s) {', '.join(missing)}; rerun `audit checklist` on this folder"
        )
    accepted = accepted_papers(papers)
    linked = with_units(accepted).assign(
        tier=paper_tiers(accepted).to_numpy(), domain=column(accepted, "domain").to_numpy()
    )
    first = linked.drop_duplicates("unit", keep="first").set_index("unit")
    table = with_units(checklist).drop_duplicates("unit", keep="last")
    table = table[table["unit"].isin(first.index)]
    for item in ITEMS:
        table = table.assign(**{item: column(table, item).str.lower()})
    status = column(table, "status").str.lower()
    scored = table[status.isin(SCORED) & table["dependencies"].isin(VERDICTS)].copy()
    not_scored = counts_sorted(status[~table.index.isin(scored.index)].replace("", "unknown"))
    scored["n_met"] = (scored[list(ITEMS)] == "yes").sum(axis=1)
    scored["tier"] = [first.at[u, "tier"] for u in scored["unit"]]
    scored["domain"] = [first.at[u, "domain"] for u in scored["unit"]]

    n = len(scored)
    distribution = [(k, wilson(int((scored["n_met"] == k).sum()), n)) for k in range(len(ITEMS) + 1)]
    tiers = counts_sorted(scored["tier"], TIER_LIST_ORDER)
    by_tier = {tier: _group(scored[scored["tier"] == tier]) for tier in tiers}

    fw = with_units(frameworks).drop_duplicates("unit", keep="last").set_index("unit")
    uses: dict[str, list[str]] = {}
    for unit in scored["unit"]:
        row = fw.loc[unit] if unit in fw.index else None
        names = [
            k
            for k in FRAMEWORKS
            if row is not None and k in fw.columns and str(row[k]).strip().lower() == "true"
        ]
        uses[unit] = names or ["none"]
    by_framework = {}
    for key in [*FRAMEWORKS, "none"]:
        members = scored[[key in uses[u] for u in scored["unit"]]]
        if len(members):
            by_framework[key] = _group(members)

    by_domain = None
    if "domain" in papers.columns and (scored["domain"] != "").any():
        domains = counts_sorted(scored["domain"].replace("", "unknown"))
        by_domain = {d: _group(scored[scored["domain"].replace("", "unknown") == d]) for d in domains}

    rows = [
        _row(record, _name(record["repo_url"], record.get("repo_subpath", "")), record["tier"])
        for _, record in scored.sort_values(
            ["n_met", "unit"], ascending=[False, True], kind="mergesort"
        ).iterrows()
    ]
    return ChecklistSummary(
        code_bases=n,
        not_scored=not_scored,
        overall=_group(scored),
        unclear={item: int((scored[item] == "unclear").sum()) for item in ITEMS},
        no={item: int((scored[item] == "no").sum()) for item in ITEMS},
        distribution=distribution,
        by_tier=by_tier,
        by_framework=by_framework,
        by_domain=by_domain,
        rows=rows,
    )


def _name(repo_url: str, subpath: str) -> str:
    path = urlsplit(repo_url).path.strip("/").removesuffix(".git") or repo_url
    sub = str(subpath or "").strip("/")
    return f"{path}/{sub}" if sub else path
