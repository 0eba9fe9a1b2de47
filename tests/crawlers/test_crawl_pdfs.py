"""Code links from PDFs: a v2 venue with no code field, PDFs served by the fake server, 429s on the
PDF endpoint, and nothing fetched twice (tests/crawlers/pdf_papers.py describes every paper)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.crawlers.fake_openreview import FakeOpenReview
from tests.crawlers.pdf_papers import EXPECTED_CODE, PDF_FETCHED, PDFCONF, forum_of

Cli = Callable[..., subprocess.CompletedProcess[str]]


def rows(directory: Path, name: str = "papers.csv") -> list[dict[str, str]]:
    with (directory / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def by_number(directory: Path) -> dict[int, dict[str, str]]:
    return {int(row["number"]): row for row in rows(directory)}


def assert_pdf_links(out: Path) -> None:
    """Every accepted paper's code link as pdf_papers.py says, cited repositories excluded."""
    papers = by_number(out)
    assert {n: papers[n]["code_url"] for n in EXPECTED_CODE} == EXPECTED_CODE
    sources = {n: row["code_source"] for n, row in papers.items()}
    assert sources == {
        1: "pdf",
        2: "pdf",
        3: "pdf",
        4: "",
        5: "pdf",
        6: "pdf",
        7: "text",
        8: "",
        9: "",
        10: "",
    }
    assert papers[3]["repo_url"] == "https://github.com/big-org/monorepo"
    assert (papers[3]["repo_subpath"], papers[3]["repo_ref"]) == ("projects/cobol", "main")
    assert papers[6]["repo_url"] == "https://gitlab.com/lisp-group/eval"
    assert papers[1]["code_evidence"].startswith("p.1 footnote: …1 Code is available at https://github.com/")
    assert papers[2]["code_evidence"].startswith("p.1 abstract: …")
    assert papers[3]["code_evidence"].startswith("p.3 body: …")
    assert papers[5]["code_evidence"].startswith("p.2 body: …5 Conclusion Everything needed to rerun")
    assert {row["link_source"] for n, row in papers.items() if row["code_source"] == "pdf"} == {"pdf"}

    links = rows(out, "pdf_links.csv")
    chosen = {row["forum"]: row["url"] for row in links if row["chosen"] == "True"}
    assert chosen == {forum_of(n): EXPECTED_CODE[n] for n in (1, 2, 3, 5, 6)}
    cited = {row["repo_url"].removeprefix("https://github.com/") for row in links if row["own"] == "False"}
    assert cited == {
        "menabrea/notes",  # "we build on the implementation of"
        "pytorch/pytorch",
        "numpy/numpy",  # in paper 1's references and paper 2's "we use the library at"
        "scipy/scipy",
        "babbage-fan/diff",  # its owner spells an author's name, but it is in the references
        "google/jax",
        "huggingface/transformers",
        "openai/gym",
        "llvm/llvm-project",
        "gcc-mirror/gcc",
        "bellman-ford/paths",  # "the official implementation of"
        "networkx/networkx",
        "pyg-team/pytorch_geometric",
        "snap-stanford/ogb",
        "python/mypy",
        "clojure/clojure",
    }
    assert all(row["where"] == "references" for row in links if row["url"].endswith("/pytorch/pytorch"))
    statuses = {row["forum"]: row["pdf_status"] for row in links}
    assert statuses[forum_of(8)] == "not_found" and statuses[forum_of(9)] == "unreadable"


def test_code_links_come_from_the_pdfs_of_a_venue_without_code_field(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path
) -> None:
    out = tmp_path / "pdfconf"
    result = cli("crawl", PDFCONF, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert_pdf_links(out)
    # Each PDF asked for once, in paper order; never for a paper with a link in its text, nor a rejected one.
    assert fake.pdf_requests() == [forum_of(n) for n in PDF_FETCHED]
    assert fake.pdf_requests(404) == [forum_of(8)]
    crawl = json.loads((out / "crawl.json").read_text())
    assert crawl["pdf"] | {"statuses": None} == {
        "mode": "auto",
        "used": True,
        "papers": 8,
        "read": 6,
        "from_cache": 0,
        "fetched": 8,
        "statuses": None,
        "with_code": 5,
        "cited_links_excluded": 5 + 4 + 2 + 4 + 1 + 1,  # papers 1-6: cited in the body or the references
        "pending": 0,
    }
    assert crawl["pdf"]["statuses"] == {"not_found": 1, "ok": 6, "unreadable": 1}
    assert crawl["accepted_code_sources"] == {"pdf": 5, "text": 1}
    assert "PDFs: 6 read, 0 still to fetch" in result.stderr

    # A rerun asks nothing at all: listing pages and PDFs (and their text) come from disk.
    fake.reset()
    again = cli("crawl", PDFCONF, "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert fake.requests == []
    assert_pdf_links(out)
    assert json.loads((out / "crawl.json").read_text())["pdf"]["from_cache"] == 8


@pytest.mark.parametrize("hint", ["retry-after"])
def test_429s_on_the_pdf_endpoint_are_waited_out(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path, hint: str
) -> None:
    """2 PDFs per 2-second window; the wait comes from Retry-After.

    (The reset time alone is the case of the next test; every way of saying it is in test_own_code.py.)
    """
    fake.set_faults(pdf_limit=2, pdf_window_s=2.0, pdf_hint=hint)
    out = tmp_path / "pdfconf"
    result = cli("crawl", PDFCONF, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert_pdf_links(out)
    assert fake.pdf_requests(429)  # at least one 429 (how many depends on how fast this machine reads PDFs)
    answered = [r.query["id"] for r in fake.requests if r.method == "PDF" and r.status != 429]
    assert answered == [forum_of(n) for n in PDF_FETCHED]  # each once, in order, 429s waited out
    said_by = {"retry-after": "Retry-After", "reset-time": "resetTime", "message": "message"}[hint]
    assert "rate limited by OpenReview (limit 2); waiting" in result.stderr
    assert f"({said_by}); " in result.stderr and "at the pace so far" in result.stderr

    fake.reset()
    assert cli("crawl", PDFCONF, "--out", str(out)).returncode == 0
    assert fake.requests == []


def test_a_longer_wait_than_allowed_stops_and_the_rerun_fetches_only_the_rest(
    cli: Cli, fake: FakeOpenReview, tmp_path: Path
) -> None:
    fake.set_faults(pdf_limit=2, pdf_window_s=3600.0, pdf_hint="reset-time")
    out = tmp_path / "pdfconf"
    result = cli("crawl", PDFCONF, "--out", str(out), "--pdf-max-wait", "5")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    # the reset is an hour after the first PDF of the window: whatever the machine's load, tens of minutes
    # ("59m 58s"), or the whole hour when the reset time is rounded up to it ("1h 00m")
    wait = re.match(
        r"error: OpenReview limits PDF downloads \(limit 2\) and asks to wait (\d+)m \d\ds ", last
    )
    assert (wait and 10 <= int(wait[1]) < 60) or " asks to wait 1h 00m (resetTime), " in last, last
    assert "longer than the 5s allowed (--pdf-max-wait)" in last and "rerun later to continue" in last
    first = [forum_of(n) for n in PDF_FETCHED[:2]]
    assert fake.pdf_requests(200) == first
    papers = by_number(out)  # what was read is in papers.csv already
    assert (papers[1]["code_source"], papers[2]["code_source"], papers[3]["code_source"]) == (
        "pdf",
        "pdf",
        "",
    )
    assert json.loads((out / "crawl.json").read_text())["pdf"]["pending"] == 6

    fake.reset()
    again = cli("crawl", PDFCONF, "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert fake.pdf_requests() == [forum_of(n) for n in PDF_FETCHED[2:]]
    assert all(request.method == "PDF" for request in fake.requests)  # the listing came from disk
    assert_pdf_links(out)


def test_pdf_no_reads_no_pdf(cli: Cli, fake: FakeOpenReview, tmp_path: Path) -> None:
    out = tmp_path / "pdfconf"
    assert cli("crawl", PDFCONF, "--out", str(out), "--pdf", "no").returncode == 0
    assert fake.pdf_requests() == []
    assert [n for n, row in by_number(out).items() if row["code_url"]] == [7]
    assert not (out / "pdf_links.csv").exists()
