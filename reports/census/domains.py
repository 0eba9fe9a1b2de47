"""Break a census down by where code links came from and by research domain.

Sources: papers.csv's ``code_source`` (form | text | pdf | list) of accepted papers with a code
link; rows written before the column existed count as ``unrecorded``. Domains: papers.csv's
``domain`` (the crawler's documented keyword rule); a code base counts in every domain one of its
linking papers belongs to, so a monorepo linked by a vision and an NLP paper counts in both, once
each. Framework shares are over the domain's parsed code bases, with Wilson intervals, so a domain
with 6 parsed code bases shows how little 4 of 6 says.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reports.census.intervals import Proportion, wilson
from reports.census.load import column

#: Display order of code-link sources; others (older folders) follow.
SOURCE_ORDER = ("form", "text", "pdf", "list")

SOURCE_LABELS = {
    "form": "the submission form's code field",
    "text": "the abstract, TL;DR or other free text of the note",
    "pdf": "the paper's PDF (own code told from cited code)",
    "list": "a paper list's code column (papercopilot's github field)",
    "unrecorded": "not recorded (papers.csv without code_source)",
}

UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class DomainRow:
    """One research domain of a census: papers, code shared, parsed code bases and framework shares."""

    domain: str
    accepted: int
    with_code: Proportion
    parsed: int
    frameworks: dict[str, Proportion]

    def as_dict(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "accepted": self.accepted,
            "with_code": self.with_code.as_dict(),
            "parsed": self.parsed,
            "frameworks": {key: p.as_dict() for key, p in self.frameworks.items()},
        }


def code_sources(accepted: pd.DataFrame) -> dict[str, int]:
    """Accepted papers with a code link, by the source of the link."""
    has_code = column(accepted, "code_url") != ""
    source = column(accepted, "code_source")[has_code]
    source = source.where(source != "", "unrecorded")
    counts = source.value_counts()
    ordered = [s for s in SOURCE_ORDER if s in counts.index]
    ordered += sorted(s for s in counts.index if s not in SOURCE_ORDER)
    return {name: int(counts[name]) for name in ordered}


def paper_domains(papers: pd.DataFrame) -> pd.Series:
    """Each paper's domain; ``unclassified`` where papers.csv has no domain column or cell."""
    domain = column(papers, "domain")
    return domain.where(domain != "", UNCLASSIFIED)


def by_domain(linked: pd.DataFrame, parsed: list[str], frameworks: pd.DataFrame) -> list[DomainRow]:
    """Rows per domain, most papers first (ties by name).

    ``linked`` is the accepted papers with a ``unit`` column (their code base, "" when none), ``parsed``
    the parsed code bases, ``frameworks`` the boolean framework table indexed by code base.
    """
    domains = paper_domains(linked)
    has_code = column(linked, "code_url") != ""
    units = linked["unit"] if "unit" in linked.columns else pd.Series("", index=linked.index)
    parsed_set = set(parsed)
    rows = []
    for domain in sorted(set(domains), key=lambda d: (-int((domains == d).sum()), d)):
        mine = domains == domain
        code_bases = sorted({u for u in units[mine & has_code] if u in parsed_set})
        table = frameworks.reindex(code_bases, fill_value=False)
        rows.append(
            DomainRow(
                domain=domain,
                accepted=int(mine.sum()),
                with_code=wilson(int((mine & has_code).sum()), int(mine.sum())),
                parsed=len(code_bases),
                frameworks={
                    key: wilson(int(table[key].sum()), len(code_bases)) for key in frameworks.columns
                },
            )
        )
    return rows
