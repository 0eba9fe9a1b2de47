"""Write a census folder's outputs: census.json, figures, report.md and a self-contained report.html.

The HTML embeds its figures as base64 data URIs and its CSS inline, so the single file can be
mailed, attached to an issue or dropped into a static site without its folder. Every file is
written to a temporary name and renamed, so an interrupted render never leaves half a report.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core import atomic, schemas
from core.digests import sha256_file
from reports.census import baseline
from reports.census.aggregate import FRAMEWORKS, WORDCLOUD_WORDS, CensusSummary, summarize
from reports.census.charts import frameworks_chart, top_tools_chart
from reports.census.checklist import CHECKLIST_FILE, ITEMS, ChecklistSummary, summarize_checklist
from reports.census.domains import SOURCE_LABELS
from reports.census.intervals import Proportion
from reports.census.load import SIGNALS_FILE, load_tables, read_csv
from reports.census.signals import SIGNALS
from reports.census.wordcloud import wordcloud_image

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: Files of a rendered census, in the order they are written.
OUTPUTS = ("top_tools.png", "frameworks.png", "wordcloud.png", "census.json", "report.md", "report.html")

#: The CSVs whose rows and hashes census.json records, so each number traces back to a file.
SOURCES = (
    "papers.csv",
    "repos.csv",
    "dependencies.csv",
    "frameworks.csv",
    "all_tools.csv",
    SIGNALS_FILE,
    "crawl.json",
    CHECKLIST_FILE,
)

STATUS_LABELS = {
    "ok": "cloned",
    "not_found": "not found (deleted, private or renamed)",
    "timeout": "clone timed out",
    "too_large": "larger than the size limit",
    "not_a_repository": "link is not a git repository",
    "network": "network error (rerun to retry)",
    "invalid": "content git refuses to check out",
    "error": "other clone error",
    "not_attempted": "not in repos.csv (clone not run for it)",
    "no_dependencies_found": "cloned, but no declared file and no resolvable import",
}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling and a rename."""
    atomic.write_bytes(path, data)


def source_files(directory: Path) -> dict[str, dict[str, Any]]:
    """Rows and SHA-256 of each input CSV present, recorded in census.json for traceability."""
    found = {}
    for name in SOURCES:
        path = directory / name
        if path.is_file():
            with path.open("rb") as handle:
                lines = sum(1 for _ in handle)
            found[name] = {"rows": max(lines - 1, 0), "sha256": sha256_file(path)}
    return found


#: Below this share of cloned repositories the report opens with a banner: its shares describe a
#: subset that may differ from the venue (deleted repositories, or a census run offline).
LOW_COVERAGE = 0.8


def coverage(summary: CensusSummary) -> dict[str, Any]:
    """How many of the venue's repositories the numbers rest on, and the banner text when few."""
    distinct, cloned = summary.repos_distinct, summary.repos_cloned
    share = cloned / distinct if distinct else None
    low = share is not None and share < LOW_COVERAGE
    warning = ""
    if low:
        failed = ", ".join(
            f"{n} {STATUS_LABELS.get(status, status).split(' (')[0]}"
            for status, n in summary.repos_status.items()
            if status != "ok"
        )
        warning = (
            f"Only {cloned} of {distinct} repositories ({share:.0%}) could be cloned ({failed}): the "
            f"framework, package and signal numbers below describe those {cloned} only, not the venue."
        )
    return {"cloned": cloned, "distinct": distinct, "share": share, "low": low, "warning": warning}


#: Fields of the crawl step's crawl.json worth repeating in the report (where the rows came from).
CRAWL_FIELDS = ("source", "api", "base_url", "file", "written_at")


def crawl_provenance(directory: Path) -> dict[str, Any] | None:
    """Where papers.csv came from (API and base URL, or an exported file), if the crawl recorded it.

    crawl.json is optional; when present it is validated like every input (a broken one is one line).
    """
    path = directory / "crawl.json"
    if not path.is_file():
        return None
    data = schemas.read_document(path)
    return {key: data[key] for key in CRAWL_FIELDS if key in data}


def percent(p: Proportion | None, digits: int = 1) -> str:
    """``60.0% [23.1, 88.2]`` or an em dash for an unmeasured or empty proportion."""
    return "—" if p is None else p.percent(digits)


def template_environment() -> Environment:
    """The Jinja environment of the census and trends reports (their templates, filters and escaping)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = percent
    env.filters["md_cell"] = md_cell
    return env


def md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text).split()).replace("|", "\\|")


#: Short item names for the breakdown and per-repository tables.
CHECKLIST_SHORT = {
    "dependencies": "dependencies",
    "training": "training",
    "evaluation": "evaluation",
    "pretrained": "pre-trained",
    "results": "results",
}


def _md_row(row: dict[str, Any]) -> list[str]:
    """One per-repository row of report.md: each verdict links to its evidence at the cloned commit."""
    cells = [md_cell(row["name"]), row["tier"], str(row["items_met"])]
    for item in CHECKLIST_SHORT:
        evidence = row["items"][item]
        if evidence["url"]:
            cells.append(f"[{evidence['verdict']}]({evidence['url']})")
        elif evidence["location"]:
            cells.append(f"{evidence['verdict']} `{md_cell(evidence['location']).replace('`', '')}`")
        else:
            cells.append(evidence["verdict"])
    return cells


def _checklist_context(checklist: ChecklistSummary | None) -> dict[str, Any]:
    breakdowns = []
    if checklist is not None:
        breakdowns = [
            ("tier", checklist.by_tier, {}),
            ("framework", checklist.by_framework, dict(FRAMEWORKS, none="none of them")),
            ("research domain", checklist.by_domain, {}),
        ]
    return {
        "checklist": checklist,
        "checklist_md_rows": [_md_row(row) for row in checklist.rows] if checklist is not None else [],
        "checklist_items": ITEMS,
        "checklist_short": CHECKLIST_SHORT,
        "checklist_breakdowns": breakdowns,
    }


def _context(
    summary: CensusSummary,
    document: dict[str, Any],
    images: dict[str, str],
    checklist: ChecklistSummary | None = None,
) -> dict[str, Any]:
    used = [k for k, p in summary.frameworks.items() if p.k > 0]
    return {
        **_checklist_context(checklist),
        "s": summary,
        "doc": document,
        "images": images,
        "crawl": document["crawl"],
        "coverage": document["coverage"],
        "framework_names": FRAMEWORKS,
        **_host_rows(summary.hosts),
        "unused_frameworks": [FRAMEWORKS.get(k, k) for k, p in summary.frameworks.items() if p.k == 0],
        "status_labels": STATUS_LABELS,
        "signals": [(sig, summary.signals.get(sig.key)) for sig in SIGNALS],
        "baseline_rows": document["baseline"],
        "baseline_summary": baseline.SUMMARY,
        "wordcloud_words": WORDCLOUD_WORDS,
        "source_labels": SOURCE_LABELS,
        # Domain columns: the frameworks some parsed code base uses (all of them would not fit).
        "domain_frameworks": used,
        "domain_header": "".join(f" {FRAMEWORKS.get(k, k)} [95% CI] |" for k in used),
        "domain_cells": lambda row: "".join(
            f" {row.frameworks[k].k} {percent(row.frameworks[k])} |" for k in used
        ),
    }


#: Hosts with a single paper are folded into one row when there are more of them than this.
FOLD_SINGLE_HOSTS = 5


def _host_rows(hosts: dict[str, int]) -> dict[str, Any]:
    """The hosts table: every host, or the frequent ones plus one row for many one-paper hosts."""
    singles = [host for host, count in hosts.items() if count == 1]
    if len(singles) <= FOLD_SINGLE_HOSTS:
        return {"listed_hosts": list(hosts.items()), "folded_hosts": []}
    return {"listed_hosts": [(h, c) for h, c in hosts.items() if c > 1], "folded_hosts": singles}


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_census(
    directory: Path,
    *,
    venue: str,
    tool_version: str,
    top_n: int = 20,
    generated_at: str | None = None,
) -> Path:
    """Render every census output of ``directory`` from its CSVs; return the report.html path."""
    tables = load_tables(directory)
    when = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    summary = summarize(tables, venue=venue, generated_at=when, tool_version=tool_version, top_n=top_n)

    top_tools_chart(
        summary.top_packages,
        summary.repos_parsed,
        directory / "top_tools.png",
        title=f"Top {top_n} packages, {venue}",
    )
    frameworks_chart(
        summary.frameworks, FRAMEWORKS, directory / "frameworks.png", title=f"Frameworks, {venue}"
    )
    ranking = summary.package_ranking.head(WORDCLOUD_WORDS)
    wordcloud_image(
        dict(zip(ranking["package"], ranking["code_bases"].astype(int), strict=True)),
        directory / "wordcloud.png",
        max_words=WORDCLOUD_WORDS,
    )

    checklist_csv = directory / CHECKLIST_FILE
    checklist_table = read_csv(checklist_csv) if checklist_csv.is_file() else None
    checklist = summarize_checklist(tables.papers, tables.frameworks, checklist_table)

    document = summary.to_json()
    document["checklist"] = None if checklist is None else checklist.to_json()
    document["coverage"] = coverage(summary)
    document["crawl"] = crawl_provenance(directory)
    document["sources"] = source_files(directory)
    atomic_write_bytes(
        directory / "census.json", (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    )

    env = template_environment()
    names = ("top_tools.png", "frameworks.png", "wordcloud.png")
    markdown = env.get_template("census.md.j2").render(
        _context(summary, document, {n: n for n in names}, checklist)
    )
    atomic_write_bytes(directory / "report.md", markdown.encode())
    embedded = {n: _data_uri(directory / n) for n in names}
    html = env.get_template("census.html.j2").render(_context(summary, document, embedded, checklist))
    report = directory / "report.html"
    atomic_write_bytes(report, html.encode())
    return report
