"""`audit crawl`: venue → papers.csv (+ raw API pages kept for resume, + pdf_links.csv).

The crawler does the work (``crawlers.openreview`` lists the notes, ``crawlers.papers`` makes the
rows, ``crawlers.paperlists`` reads paper lists, ``crawlers.pdf_code`` reads PDFs); this step chooses
the folders, drives the progress display and writes ``crawl.json``, a record of where the rows came
from (API and base URL, or the file and its format, and what the PDFs gave) for the report.

papers.csv is written before the PDFs are read and again after, and again when the PDF phase stops
early (a rate limit asking for a longer wait than allowed, Ctrl-C): every PDF read so far is in
the cache and in the rows, and the next run goes on from there.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.progress import info, progress
from audit.workspace import cache_dir, census_output_dir, writable_folder
from core import atomic
from core.errors import UsageError
from core.schemas.documents import repair_notes
from crawlers.errors import CrawlerError, CrawlerUsageError
from crawlers.openreview import RetryPolicy, check_venue_id, crawl_venue, parse_notes
from crawlers.openreview.export import notes_of, read_json
from crawlers.openreview.pdfs import Politeness
from crawlers.paperlists import is_paper_list, paper_list_rows, read_paper_list
from crawlers.papers import apply_pdf_findings, build_rows, has_code_field, write_papers_csv
from crawlers.pdf_code import (
    MODES,
    PDF_LINK_COLUMNS,
    PdfFinding,
    link_rows,
    read_pdf_code,
    targets,
    wants_pdfs,
)

#: Raw API pages, one file per page, under the census folder.
RAW_DIR = Path("raw") / "openreview"

#: One row per link seen in a PDF (see crawlers.pdf_code.PDF_LINK_COLUMNS).
PDF_LINKS = "pdf_links.csv"


def run(
    venue: str,
    *,
    out: Path | None,
    from_file: Path | None,
    policy: RetryPolicy | None = None,
    pdf: str = "auto",
    politeness: Politeness | None = None,
) -> Path:
    """Write ``<out>/papers.csv`` for the venue and return the output folder."""
    check_venue_id(venue)
    if pdf not in MODES:
        raise UsageError(f"--pdf {pdf!r} is not one of {', '.join(MODES)}")
    directory = writable_folder(census_output_dir(venue, out), "output folder")
    provenance: dict[str, Any] = {"venue": venue}
    submissions = None
    if from_file is not None:
        data = read_json(from_file)
        provenance |= {"source": "file", "file": str(from_file)}
        if is_paper_list(data):
            if pdf == "yes":
                raise CrawlerUsageError(
                    f"--pdf yes reads the OpenReview PDFs of notes; {from_file} is a paper list, whose code "
                    "links come from its github field"
                )
            paper_list = read_paper_list(data, from_file)
            rows = paper_list_rows(paper_list)
            provenance |= {"format": "paperlists", "list": _list_facts(paper_list)}
            info(f"{venue}: {paper_list.records:,} records read from the paper list {from_file}")
        else:
            notes = notes_of(data, from_file)
            provenance["format"] = "notes"
            info(f"{venue}: {len(notes):,} notes read from {from_file}")
    else:
        with progress(f"crawl {venue}") as update:
            result = crawl_venue(venue, directory / RAW_DIR, policy=policy, progress=update, log=info)
        notes = result.notes
        provenance |= {
            "source": "api",
            "api": result.api,
            "base_url": result.base_url,
            "requests": result.requests,
            "retries": result.retries,
            "pages_fetched": result.pages_fetched,
            "pages_cached": result.pages_cached,
            "raw_dir": RAW_DIR.as_posix(),
        }
        info(
            f"{venue}: {len(notes):,} notes from OpenReview API {result.api} "
            f"({result.pages_fetched} pages fetched in {result.requests} requests, {result.retries} retries; "
            f"{result.pages_cached} pages from {directory / RAW_DIR})"
        )
    if provenance.get("format") != "paperlists":
        notes, repairs = repair_notes(notes)
        if repairs.summary():
            info(f"{venue}: {repairs.summary()}")
        provenance |= {
            "notes_skipped": sum(repairs.skipped.values()),
            "fields_dropped": dict(repairs.dropped),
        }
        submissions = parse_notes(notes, venue)
        rows = build_rows(submissions)
    path = write_papers_csv(rows, directory / "papers.csv")

    use_pdfs = submissions is not None and wants_pdfs(
        pdf, from_api=from_file is None, has_code_field=has_code_field(submissions)
    )
    provenance["pdf"] = {"mode": pdf, "used": use_pdfs}
    if not use_pdfs:
        (directory / PDF_LINKS).unlink(missing_ok=True)
        _finish(directory, path, rows, provenance)
        return directory

    assert submissions is not None
    papers = targets(submissions, rows)
    findings: list[PdfFinding] = []
    try:
        with progress(f"PDFs {venue}", total=len(papers)) as update:
            for finding in read_pdf_code(
                papers, cache_dir() / "pdfs", politeness=politeness, progress=update, log=info
            ):
                findings.append(finding)
    finally:
        filled = apply_pdf_findings(rows, findings)
        write_papers_csv(rows, path)
        atomic.write_csv(directory / PDF_LINKS, PDF_LINK_COLUMNS, link_rows(findings))
        provenance["pdf"] |= _pdf_facts(papers, findings, filled)
        _finish(directory, path, rows, provenance)
    failed = [finding for finding in findings if finding.status == "error"]
    if failed:
        # Not a finished crawl: `audit census` must not record it, so that a rerun asks for these again.
        raise CrawlerError(
            f"{len(failed)} PDFs could not be fetched ({failed[0].detail}, ...); everything else is kept, "
            "rerun the same command to fetch them"
        )
    return directory


def _finish(directory: Path, path: Path, rows: list[dict[str, str]], provenance: dict[str, Any]) -> None:
    provenance |= _counts(rows) | {"written_at": datetime.now(UTC).isoformat(timespec="seconds")}
    atomic.write_text(directory / "crawl.json", json.dumps(provenance, indent=2))
    unknown = provenance["decision_unknown"]
    decided = f"{provenance['accepted']:,} accepted"
    if unknown:
        decided += f", {unknown:,} without a decision"
    sources = ", ".join(f"{n:,} {source}" for source, n in provenance["code_sources"].items())
    pdfs = provenance.get("pdf") or {}
    read = f"; PDFs: {pdfs['read']:,} read, {pdfs['pending']:,} still to fetch" if pdfs.get("used") else ""
    info(
        f"{path}: {provenance['rows']:,} submissions, {decided}, "
        f"{provenance['with_code_url']:,} with a code link ({sources or 'none'}), "
        f"{provenance['with_repo_url']:,} naming a repository{read}"
    )


def _pdf_facts(papers: list[Any], findings: list[PdfFinding], filled: int) -> dict[str, Any]:
    statuses = Counter(finding.status for finding in findings)
    return {
        "papers": len(papers),
        "read": statuses.get("ok", 0),
        "from_cache": sum(finding.from_cache for finding in findings),
        "fetched": sum(not finding.from_cache for finding in findings),
        "statuses": dict(sorted(statuses.items())),
        "with_code": filled,
        "cited_links_excluded": sum(
            1 for finding in findings for candidate in finding.candidates if not candidate.own
        ),
        "pending": len(papers) - len(findings) + statuses.get("error", 0),
    }


def _list_facts(paper_list: Any) -> dict[str, Any]:
    accepted = sum(sub.accepted is True for sub in paper_list.submissions)
    return {
        "records": paper_list.records,
        "accepted": accepted,
        "statuses": paper_list.statuses,
        "tracks": paper_list.tracks,
        "github_filled": paper_list.code_field_filled,
        "github_filled_accepted": paper_list.code_field_filled_accepted,
    }


def _counts(rows: list[dict[str, str]]) -> dict[str, Any]:
    """Headline numbers for the log and crawl.json."""
    accepted = [row for row in rows if row["accepted"] == "True"]
    return {
        "rows": len(rows),
        "accepted": len(accepted),
        "decision_unknown": sum(row["accepted"] == "" for row in rows),
        "with_code_url": sum(bool(row["code_url"]) for row in rows),
        "with_repo_url": sum(bool(row["repo_url"]) for row in rows),
        "code_sources": dict(Counter(row["code_source"] for row in rows if row["code_source"]).most_common()),
        "accepted_code_sources": dict(
            Counter(row["code_source"] for row in accepted if row["code_source"]).most_common()
        ),
    }
