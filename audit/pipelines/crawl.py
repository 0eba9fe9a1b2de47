"""`audit crawl`: venue → papers.csv (+ raw API pages kept for resume).

The crawler does the work (``crawlers.openreview`` lists the notes, ``crawlers.papers`` makes the
rows); this step chooses the folders, drives the progress display and writes ``crawl.json``, a
record of where the rows came from (API and base URL, or the exported file) for the report.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.progress import info, progress
from audit.workspace import census_output_dir, writable_folder
from core import atomic
from core.schemas.documents import repair_notes
from crawlers.openreview import RetryPolicy, check_venue_id, crawl_venue, load_export, parse_notes
from crawlers.papers import build_rows, write_papers_csv

#: Raw API pages, one file per page, under the census folder.
RAW_DIR = Path("raw") / "openreview"


def run(venue: str, *, out: Path | None, from_file: Path | None, policy: RetryPolicy | None = None) -> Path:
    """Write ``<out>/papers.csv`` for the venue and return the output folder."""
    check_venue_id(venue)
    directory = writable_folder(census_output_dir(venue, out), "output folder")
    provenance: dict[str, Any] = {"venue": venue}
    if from_file is not None:
        notes = load_export(from_file)
        provenance |= {"source": "file", "file": str(from_file)}
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
    notes, repairs = repair_notes(notes)
    if repairs.summary():
        info(f"{venue}: {repairs.summary()}")
    provenance |= {"notes_skipped": sum(repairs.skipped.values()), "fields_dropped": dict(repairs.dropped)}
    rows = build_rows(parse_notes(notes, venue))
    path = write_papers_csv(rows, directory / "papers.csv")
    provenance |= _counts(rows) | {"written_at": datetime.now(UTC).isoformat(timespec="seconds")}
    atomic.write_text(directory / "crawl.json", json.dumps(provenance, indent=2))
    unknown = provenance["decision_unknown"]
    decided = f"{provenance['accepted']:,} accepted"
    if unknown:
        decided += f", {unknown:,} without a decision"
    info(
        f"{path}: {provenance['rows']:,} submissions, {decided}, "
        f"{provenance['with_code_url']:,} with a code link, "
        f"{provenance['with_repo_url']:,} naming a repository"
    )
    return directory


def _counts(rows: list[dict[str, str]]) -> dict[str, int]:
    """Headline numbers for the log and crawl.json."""
    return {
        "rows": len(rows),
        "accepted": sum(row["accepted"] == "True" for row in rows),
        "decision_unknown": sum(row["accepted"] == "" for row in rows),
        "with_code_url": sum(bool(row["code_url"]) for row in rows),
        "with_repo_url": sum(bool(row["repo_url"]) for row in rows),
    }
