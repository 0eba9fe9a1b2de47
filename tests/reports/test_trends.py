"""Trends pieces: Horace He's file validated, venue ids parsed, and coverage compared where two
sources cover one venue-year (the ICLR 2020 OpenReview notes beside the ICLR 2020 paper list)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.pipelines import crawl
from core.errors import UsageError
from reports.trends.load import conference_and_year
from reports.trends.reference import load_reference
from reports.trends.render import render_trends
from tests.shared_data import shared_data


def test_horace_he_data_is_read_and_matched_by_conference_and_year() -> None:
    data = load_reference(shared_data("horace-he", "data.csv"))
    assert len(data) == 35
    iclr = data[("ICLR", 2020)]
    assert (iclr.pytorch, iclr.tensorflow, iclr.papers) == (169, 95, 687)
    assert data[("ICLR", 2021)].papers == 3012  # all submissions, as its README says
    assert data[("NEURIPS", 2015)].pytorch == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ICLR,05/20,169,95\n", "line 1 has 4 columns, not 5"),
        ("ICLR,2020,169,95,687\n", "does not match no header; conference, MM/YY"),
        ("conference,date,pytorch,tensorflow,papers\n", "does not match"),
        ("ICLR,05/20,700,95,687\n", "more papers mention a framework than there are papers (687)"),
        ("\n", "holds no rows"),
    ],
)
def test_a_bad_horace_he_file_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_reference(path)


def test_conference_and_year_of_venue_ids() -> None:
    assert conference_and_year("ICLR.cc/2020/Conference") == ("ICLR", 2020)
    assert conference_and_year("NeurIPS.cc/2023/Conference") == ("NeurIPS", 2023)
    assert conference_and_year("TestWorkshop.cc/2019/Workshop") == ("TestWorkshop", 2019)
    assert conference_and_year("TMLR") == ("TMLR", None)


def test_two_sources_for_one_venue_year_are_compared(tmp_path: Path) -> None:
    """README facts: the OpenReview notes have 335 accepted papers with content.code, the paper list
    143 accepted with a github value, 107 both, 80 of those with the same URL (so the same repository)."""
    venue = "ICLR.cc/2020/Conference"
    notes = shared_data("openreview", "iclr2020", "accepted_blind_submissions_v1.json.gz")
    paper_list = shared_data("paperlists", "iclr2020@222d1da.json")
    crawl.run(venue, out=tmp_path / "openreview", from_file=notes)
    crawl.run(venue, out=tmp_path / "list", from_file=paper_list)
    render_trends(
        [tmp_path / "openreview", tmp_path / "list"], tmp_path / "trends", reference=None, tool_version="0"
    )
    (overlap,) = json.loads((tmp_path / "trends" / "trends.json").read_text())["overlaps"]
    assert (overlap["first"], overlap["second"]) == ("exported notes", "paper list (papercopilot)")
    assert overlap["first_links"] == 335
    assert overlap["second_links"] <= 143  # placeholders ("Not provided") are no links
    assert 80 <= overlap["same_repository"] <= overlap["both"] <= 107
    report = (tmp_path / "trends" / "report.md").read_text()
    assert "| ICLR 2020 | exported notes | 335 | paper list (papercopilot) |" in report
    assert "Not given: rerun with `--horace-he data.csv`" in report
