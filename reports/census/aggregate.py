"""Pure functions from the census tables to the headline numbers of the report.

No file access and no clock: everything the numbers depend on is an argument, so tests feed small
hand-built tables and check exact values, and `audit report` recomputes the same numbers from the
same CSVs. Every count is over *accepted* papers, the distinct repositories they link to, and the
code bases (repository, or linked sub-folder of one) that `audit deps` analysed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports.census import attribution, baseline
from reports.census.attribution import Resolutions
from reports.census.domains import DomainRow, by_domain, code_sources
from reports.census.intervals import Proportion, wilson
from reports.census.load import CensusTables, as_bool, column, same_repository
from reports.census.signals import SIGNALS, code_base_signals

#: Framework columns of frameworks.csv, in display order, with their display names.
FRAMEWORKS: dict[str, str] = {
    "pytorch": "PyTorch",
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "jax": "JAX",
    "mxnet": "MXNet",
    "theano": "Theano",
    "chainer": "Chainer",
    "paddlepaddle": "PaddlePaddle",
}

#: Clone outcomes in the order the report lists them; unknown ones follow alphabetically.
STATUS_ORDER = (
    "ok",
    "not_found",
    "timeout",
    "network",
    "too_large",
    "not_a_repository",
    "invalid",
    "error",
    "not_attempted",
)

#: Presentation tiers in the order the report lists them (see :func:`decision_tier`).
TIER_ORDER = ("poster", "spotlight", "talk", "oral")
TIER_LIST_ORDER = (*TIER_ORDER, "other", "unknown")

#: How many packages the word cloud shows (as in the published census).
WORDCLOUD_WORDS = 100


@dataclass(frozen=True)
class CensusSummary:
    """Every number of the report, computed from the tables alone."""

    venue: str
    generated_at: str
    tool_version: str
    submitted: int
    accepted: int
    with_code: Proportion
    with_code_by_tier: dict[str, Proportion]
    github_links: int
    with_repo_url: int
    hosts: dict[str, int]
    host_kinds: dict[str, int]
    repos_distinct: int
    repos_status: dict[str, int]
    repos_cloned: int
    code_bases: int
    repos_parsed: int
    not_parsed: dict[str, int]
    frameworks: dict[str, Proportion]
    co_use: list[tuple[str, str, int]]
    multiple_frameworks: int
    no_framework: int
    packages_unique: int
    top_n: int
    package_ranking: pd.DataFrame = field(repr=False)
    signals: dict[str, Proportion | None] = field(default_factory=dict)
    code_sources: dict[str, int] = field(default_factory=dict)
    domains: list[DomainRow] = field(default_factory=list)
    primary: dict[str, Proportion] | None = None
    resolutions: Resolutions | None = None
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    published_here: dict[str, int] | None = None

    @property
    def top_packages(self) -> pd.DataFrame:
        """The first ``top_n`` rows of the ranking (package, code_bases)."""
        return self.package_ranking.head(self.top_n)

    def baseline_rows(self) -> list[dict[str, Any]]:
        """The comparison with the published ICLR 2020 census, one row per published number."""
        ours = {
            "accepted": self.accepted,
            "with_code": self.with_code.k,
            "github_links": self.github_links,
            "parsed": self.repos_parsed,
            **{key: p.k for key, p in self.frameworks.items()},
        }
        rows = []
        for fig in baseline.FIGURES:
            value = ours.get(fig.key)
            primary = self.primary.get(fig.key) if self.primary else None
            here = self.published_here.get(fig.key) if self.published_here else None
            rows.append(
                {
                    "key": fig.key,
                    "quantity": fig.label,
                    "published": fig.published,
                    "this_census": value,
                    "difference": None if value is None else value - fig.published,
                    "note": fig.note,
                    "this_census_primary": primary.k if primary else None,
                    "published_method_here": here,
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The census.json document (without ``sources``, which the renderer adds from the files)."""

        def prop(p: Proportion | None) -> dict[str, Any] | None:
            return None if p is None else p.as_dict()

        top = self.top_packages
        return {
            "schema_version": 1,
            "venue": self.venue,
            "generated_at": self.generated_at,
            "tool": {"name": "audit", "version": self.tool_version},
            "papers": {
                "submitted": self.submitted,
                "accepted": self.accepted,
                "with_code": prop(self.with_code),
                "with_code_by_tier": {tier: prop(p) for tier, p in self.with_code_by_tier.items()},
                "github_links": self.github_links,
                "with_repo_url": self.with_repo_url,
                "code_sources": dict(self.code_sources),
            },
            "hosts": dict(self.hosts),
            "host_kinds": dict(self.host_kinds),
            "repositories": {
                "distinct": self.repos_distinct,
                "cloned": self.repos_cloned,
                "code_bases": self.code_bases,
                "parsed": self.repos_parsed,
                "status": dict(self.repos_status),
                "not_parsed": dict(self.not_parsed),
            },
            "frameworks": {key: prop(p) for key, p in self.frameworks.items()},
            "primary_frameworks": (
                {key: prop(p) for key, p in self.primary.items()} if self.primary is not None else None
            ),
            "resolutions": self.resolutions.as_dict() if self.resolutions else None,
            "framework_co_use": [{"frameworks": [a, b], "code_bases": count} for a, b, count in self.co_use],
            "multiple_frameworks": self.multiple_frameworks,
            "no_framework": self.no_framework,
            "packages": {
                "unique": self.packages_unique,
                "top_n": self.top_n,
                "top": [
                    {"package": row.package, "code_bases": int(row.code_bases), **_share(row, self)}
                    for row in top.itertuples(index=False)
                ],
            },
            "signals": {key: prop(p) for key, p in self.signals.items()},
            "domains": [row.as_dict() for row in self.domains],
            "baseline": self.baseline_rows() if self.venue == baseline.BASELINE_VENUE else [],
            "baseline_disagreements": self.disagreements if self.venue == baseline.BASELINE_VENUE else [],
        }


def _share(row: Any, summary: CensusSummary) -> dict[str, float | None]:
    p = wilson(int(row.code_bases), summary.repos_parsed)
    return {"share": p.share, "ci_low": p.ci_low, "ci_high": p.ci_high}


def decision_tier(decision: str) -> str:
    """``Accept (Poster)`` → ``poster``; ``ICLR 2024 oral`` → ``oral``; other words → ``other``.

    No decision at all (an export of accepted papers without decision replies) is ``unknown``.
    """
    text = decision.strip().lower()
    if not text:
        return "unknown"
    return next((tier for tier in TIER_ORDER if tier in text), "other")


def accepted_papers(papers: pd.DataFrame) -> pd.DataFrame:
    """Accepted rows, by the rule `audit clone` uses to pick repositories.

    The ``accepted`` cell when filled; else a decision starting with "Accept"; a row with neither
    (``--from-file`` on a list of accepted papers) counts as accepted, since the export itself was the
    selection.
    """
    flag = column(papers, "accepted")
    decision = column(papers, "decision").str.lower()
    by_decision = (decision == "") | decision.str.startswith("accept")
    return papers[as_bool(flag).where(flag != "", by_decision)]


def paper_tiers(accepted: pd.DataFrame) -> pd.Series:
    """Tier per accepted paper: the crawler's ``tier`` column when filled, else from the decision."""
    tier = column(accepted, "tier").str.lower()
    from_decision = column(accepted, "decision").map(decision_tier)
    return tier.where(tier != "", from_decision)


def code_hosts(with_code: pd.DataFrame) -> pd.Series:
    """Host per paper with code: the crawler's ``host`` column, else the link's network location."""
    host = column(with_code, "host").str.lower()
    derived = column(with_code, "code_url").map(_netloc)
    return host.where(host != "", derived)


#: Host → kind of place, for the hosts table; anything unlisted is an ``other website``.
HOST_KINDS: dict[str, str] = {
    "github.com": "GitHub",
    "gitlab.com": "GitLab",
    "bitbucket.org": "Bitbucket",
    "drive.google.com": "Google Drive",
    "docs.google.com": "Google Drive",
    "dropbox.com": "Dropbox",
    "dl.dropboxusercontent.com": "Dropbox",
    "anonymous.4open.science": "anonymous.4open.science",
    "sites.google.com": "project page",
    "bit.ly": "URL shortener",
    "goo.gl": "URL shortener",
    "tinyurl.com": "URL shortener",
    "mega.nz": "file sharing",
    "sendspace.com": "file sharing",
    "s000.tinyupload.com": "file sharing",
    "anonfile.com": "file sharing",
    "onedrive.live.com": "file sharing",
    "1drv.ms": "file sharing",
    "box.com": "file sharing",
    "storage.googleapis.com": "cloud storage",
    "s3.amazonaws.com": "cloud storage",
    "zenodo.org": "archive (Zenodo, figshare, OSF)",
    "figshare.com": "archive (Zenodo, figshare, OSF)",
    "osf.io": "archive (Zenodo, figshare, OSF)",
}


def host_kind(host: str) -> str:
    """The kind of place a code link points to: a forge, a file share, a project page..."""
    host = host.lower().removeprefix("www.")
    if host in HOST_KINDS:
        return HOST_KINDS[host]
    if host.endswith(".github.io"):
        return "project page"
    if host.startswith("gitlab.") or ".gitlab." in host:
        return "GitLab"
    return "other website"


def _netloc(url: str) -> str:
    from urllib.parse import urlsplit

    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    netloc = urlsplit(text).netloc.lower()
    return netloc.removeprefix("www.") or "(unparsed)"


def counts_sorted(values: pd.Series, order: tuple[str, ...] = ()) -> dict[str, int]:
    """Value counts as a dict: the given order first, then by count descending, ties by name."""
    counts = values.value_counts()
    known = [(name, int(counts[name])) for name in order if name in counts.index]
    rest = sorted(
        ((str(n), int(c)) for n, c in counts.items() if n not in order), key=lambda t: (-t[1], t[0])
    )
    return dict(known + rest)


def unit_key(repo_url: str, subpath: str) -> str:
    """The code base a row belongs to: a repository, or one sub-folder of it that a paper links."""
    sub = subpath.strip().strip("/")
    return f"{repo_url}#{sub}" if sub else repo_url


def with_units(frame: pd.DataFrame, *, subpaths: bool = True) -> pd.DataFrame:
    """``frame`` plus a ``unit`` column from repo_url and (when present and wanted) repo_subpath."""
    if "unit" in frame.columns:
        return frame
    urls = column(frame, "repo_url")
    subs = column(frame, "repo_subpath") if subpaths else pd.Series("", index=frame.index, dtype=str)
    units = [unit_key(u, s) for u, s in zip(urls, subs, strict=True)]
    return frame.assign(unit=pd.Series(units, index=frame.index, dtype=str))


def used_dependencies(dependencies: pd.DataFrame) -> pd.DataFrame:
    """Rows that count as use: a package name, and not an extra or dev group (``optional``)."""
    deps = with_units(dependencies)
    keep = (column(deps, "package") != "") & ~as_bool(column(deps, "optional"))
    return deps.assign(package=column(deps, "package"))[keep]


def package_ranking(dependencies: pd.DataFrame, units: set[str]) -> pd.DataFrame:
    """Packages by number of the given code bases using them; ties broken by package name.

    A package declared in requirements.txt and imported too counts once per code base, and so does an
    alias family (``canonical`` column: ``tensorflow-gpu`` declared and ``tensorflow`` imported).
    """
    deps = used_dependencies(dependencies)
    deps = deps[deps["unit"].isin(units)]
    if "canonical" in deps.columns:  # one name per alias family (tensorflow-gpu counts as tensorflow)
        family = column(deps, "canonical")
        deps = deps.assign(package=family.where(family != "", deps["package"]))
    ranking = (
        deps.drop_duplicates(["unit", "package"])
        .groupby("package", as_index=False)["unit"]
        .count()
        .rename(columns={"unit": "code_bases"})
    )
    ranking = ranking.sort_values(["code_bases", "package"], ascending=[False, True], kind="mergesort")
    return ranking.reset_index(drop=True)[["package", "code_bases"]]


def framework_table(frameworks: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """Boolean framework columns, one row per given code base (absent ones: all False)."""
    keys = [key for key in FRAMEWORKS if key in frameworks.columns]
    table = with_units(frameworks).drop_duplicates("unit", keep="last").set_index("unit")
    table = table.reindex(units, fill_value="false")
    return pd.DataFrame({key: as_bool(table[key]) for key in keys}, index=table.index)


def co_use(table: pd.DataFrame) -> list[tuple[str, str, int]]:
    """Pairs of frameworks used together in at least one code base, most frequent first."""
    pairs = [(a, b, int((table[a] & table[b]).sum())) for a, b in itertools.combinations(table.columns, 2)]
    return sorted((p for p in pairs if p[2] > 0), key=lambda p: -p[2])


def summarize(
    tables: CensusTables, *, venue: str, generated_at: str, tool_version: str, top_n: int = 20
) -> CensusSummary:
    """All headline numbers of a census folder's tables."""
    papers = tables.papers
    accepted = accepted_papers(papers)
    has_code = column(accepted, "code_url") != ""
    with_code = accepted[has_code]

    tiers = paper_tiers(accepted)
    by_tier = {
        tier: wilson(int((has_code & (tiers == tier)).sum()), int((tiers == tier).sum()))
        for tier in counts_sorted(tiers, TIER_LIST_ORDER)
    }
    link_hosts = code_hosts(with_code)
    hosts = counts_sorted(link_hosts)

    # Repositories: distinct clone URLs of accepted papers (one per identity key, in the form repos.csv
    # wrote), with their clone outcome.
    accepted = accepted.assign(
        repo_url=same_repository(column(accepted, "repo_url"), column(tables.repos, "repo_url"))
    )
    repo_urls = column(accepted, "repo_url")
    distinct = sorted(set(repo_urls[repo_urls != ""]))
    # repos.csv has a row per (repository, ref): a repository counts as cloned when any of its refs was.
    status_of: dict[str, str] = {}
    for url, status in zip(column(tables.repos, "repo_url"), column(tables.repos, "status"), strict=True):
        if status_of.get(url) != "ok":
            status_of[url] = status
    statuses = pd.Series([status_of.get(url, "") or "not_attempted" for url in distinct], dtype=str)
    ok = {url for url, status in zip(distinct, statuses, strict=True) if status == "ok"}

    # Code bases: (repository, linked sub-folder) pairs of cloned repositories, as `audit deps` analyses
    # them; folders written before deps knew sub-folders key on the repository alone.
    subpaths = "repo_subpath" in tables.dependencies.columns
    linked = with_units(accepted, subpaths=subpaths)
    units = list(dict.fromkeys(linked.loc[repo_urls.isin(ok).to_numpy(), "unit"]))
    deps = used_dependencies(tables.dependencies)
    parsed = [unit for unit in units if unit in set(deps["unit"])]
    not_parsed = counts_sorted(statuses[statuses != "ok"], STATUS_ORDER)
    if len(units) > len(parsed):
        not_parsed["no_dependencies_found"] = len(units) - len(parsed)

    fw = framework_table(tables.frameworks, parsed)
    n_frameworks = fw.sum(axis=1) if len(fw.columns) else pd.Series(0, index=fw.index)
    ranking = package_ranking(deps, set(parsed))

    return CensusSummary(
        venue=venue,
        generated_at=generated_at,
        tool_version=tool_version,
        submitted=len(papers),
        accepted=len(accepted),
        with_code=wilson(len(with_code), len(accepted)),
        with_code_by_tier=by_tier,
        github_links=hosts.get("github.com", 0),
        with_repo_url=int((repo_urls != "").sum()),
        hosts=hosts,
        host_kinds=counts_sorted(link_hosts.map(host_kind)),
        repos_distinct=len(distinct),
        repos_status=counts_sorted(statuses, STATUS_ORDER),
        repos_cloned=len(ok),
        code_bases=len(units),
        repos_parsed=len(parsed),
        not_parsed=not_parsed,
        frameworks={key: wilson(int(fw[key].sum()), len(parsed)) for key in fw.columns},
        co_use=co_use(fw),
        multiple_frameworks=int((n_frameworks >= 2).sum()),
        no_framework=int((n_frameworks == 0).sum()),
        packages_unique=len(ranking),
        top_n=top_n,
        package_ranking=ranking,
        signals=signal_shares(tables, units),
        code_sources=code_sources(accepted),
        domains=by_domain(linked, parsed, fw),
        primary=attribution.primary_shares(with_units(tables.frameworks), parsed, list(fw.columns)),
        resolutions=attribution.resolutions(deps, set(parsed)),
        disagreements=baseline.disagreements(
            with_units(tables.frameworks), parsed, baseline.display_names(parsed)
        ),
        published_here=baseline.published_here(with_units(tables.frameworks), parsed),
    )


def signal_shares(tables: CensusTables, units: list[str]) -> dict[str, Proportion | None]:
    """Share of analysed code bases showing each reproducibility signal (None: not measured)."""
    deps = with_units(tables.dependencies).assign(
        package=column(tables.dependencies, "package"),
        source=column(tables.dependencies, "source"),
        specifier=column(tables.dependencies, "specifier"),
    )
    signals = None if tables.signals is None else with_units(tables.signals)
    frame = code_base_signals(deps, signals, units)
    declares = frame["declared_file"].map(lambda v: False if v is None or pd.isna(v) else bool(v))
    shares: dict[str, Proportion | None] = {}
    for signal in SIGNALS:
        values = frame[signal.key][declares] if signal.among_declared else frame[signal.key]
        measured = values.dropna()
        if len(values) and measured.empty:
            shares[signal.key] = None
        else:
            shares[signal.key] = wilson(int(measured.astype(bool).sum()), len(measured))
    return shares
