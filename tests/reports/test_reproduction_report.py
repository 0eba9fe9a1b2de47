"""write_verdicts_and_report on a synthetic output folder: files, self-contained HTML, valid PNGs."""

from __future__ import annotations

import base64
import re
import shutil

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from reports.reproduction import FIGURE_FILES, write_verdicts_and_report
from reports.reproduction.figures import per_class_changes
from reports.reproduction.summary import per_class_harm
from reports.reproduction.verdicts import COLUMNS
from tests.reports.test_reproduction_verdicts import CLAIMS, EXPECTED, write_folder

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SECTIONS = [
    "Scope of reproducibility",
    "Methodology",
    "Deviations from the paper",
    "Results",
    "Discussion",
    "Provenance",
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = write_folder(tmp_path_factory.mktemp("repro") / "out")
    html = write_verdicts_and_report(folder)
    return folder, html


def test_files_written(rendered):
    folder, html = rendered
    assert html == folder / "report.html"
    for name in ("verdicts.csv", "report.md", "report.html", *FIGURE_FILES.values()):
        assert (folder / name).is_file(), name
    verdicts = pd.read_csv(folder / "verdicts.csv")
    assert list(verdicts.columns) == COLUMNS
    assert dict(zip(verdicts["claim_id"], verdicts["verdict"], strict=True)) == EXPECTED
    assert verdicts["seeds_needed"].dropna().tolist() == [16, 8]  # empty where decided
    text = (folder / "verdicts.csv").read_text()
    assert ",16," in text and ",16.0," not in text  # written as integers


def test_figures_are_valid_pngs(rendered):
    folder, _ = rendered
    for name in FIGURE_FILES.values():
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        image = mpimg.imread(folder / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 400


def test_html_is_self_contained(rendered):
    _, html = rendered
    text = html.read_text()
    sources = re.findall(r'src="([^"]*)"', text)
    assert len(sources) == len(FIGURE_FILES)
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_SIGNATURE)
    # nothing is loaded from elsewhere; links to the paper are plain hrefs
    assert "<link" not in text and "<script" not in text and "url(" not in text
    assert "<style>" in text
    assert re.findall(r'href="([^"]*)"', text) == ["https://openreview.net/forum?id=TEST"]


def test_html_sections_and_coloured_verdicts(rendered):
    _, html = rendered
    text = html.read_text()
    for section in SECTIONS:
        assert section in text
    for verdict in ("reproduced", "not_reproduced", "inconclusive", "not_applicable"):
        assert f'class="verdict v-{verdict}"' in text
    assert ".v-not_reproduced { color: #cf222e; }" in text
    assert "intersection–union" in text
    assert "1,000 iterations, not 50K" in text  # the recorded deviation
    # the claims hash is recomputed and compared: no recorded hash besides claims.json's own, which matches
    assert "Pre-registration: intact: the hash recorded in claims.json matches the claims" in text
    assert "Broken pre-registration" not in text


def test_markdown_links_figures_by_name(rendered):
    folder, _ = rendered
    text = (folder / "report.md").read_text()
    for section in SECTIONS:
        assert section in text
    for name in FIGURE_FILES.values():
        assert f"]({name})" in text
    for claim in CLAIMS:
        assert f"| {claim.id} |" in text
    assert "**not reproduced**" in text and "**inconclusive**" in text
    assert "/tmp" not in text and str(folder) not in text  # no machine paths


def test_rerender_is_deterministic_and_drops_stale_figures(rendered, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(rendered[0], folder)
    (folder / "per_class.csv").unlink()
    write_verdicts_and_report(folder)
    # same claims and runs give byte-identical verdicts (bootstrap and permutation seeds are fixed)
    assert (folder / "verdicts.csv").read_bytes() == (rendered[0] / "verdicts.csv").read_bytes()
    assert not (folder / FIGURE_FILES["per_class"]).exists()
    assert "No per-class accuracies" in (folder / "report.md").read_text()
    assert "per_class_change.png" not in (folder / "report.md").read_text()


def test_quick_protocol_folder_shows_not_applicable(tmp_path):
    folder = write_folder(tmp_path / "out", protocol="quick", per_class=False)
    html = write_verdicts_and_report(folder)
    verdicts = pd.read_csv(folder / "verdicts.csv").set_index("claim_id")
    assert (verdicts.drop(index="quick-only")["verdict"] == "not_applicable").all()
    assert "is not the paper" in html.read_text()


def test_relation_differences_are_published(rendered):
    folder, _ = rendered
    text = (folder / "report.md").read_text()
    assert "Per-seed differences (relation claims)" in text
    # imp − random_reinit at seed 1: 98.8 − 97.6
    assert "| imp-beats-reinit | 1 | 98.80 | 97.60 | 1.20 |" in text


def test_per_class_changes_pair_by_seed_and_model():
    rows = []
    for seed, (dense, pruned) in enumerate([(90.0, 80.0), (92.0, 86.0), (94.0, 86.0)]):
        for arm, target, acc in (("dense", 0.0, dense), ("snip", 0.9, pruned)):
            rows.append(
                {
                    "seed": seed,
                    "arm": arm,
                    "model": "m",
                    "target_sparsity": target,
                    "class": 0,
                    "accuracy": acc,
                }
            )
            rows.append(
                {
                    "seed": seed,
                    "arm": arm,
                    "model": "m",
                    "target_sparsity": target,
                    "class": 1,
                    "accuracy": 99.0,
                }
            )
    changes = per_class_changes(pd.DataFrame(rows)).set_index("class")
    d = np.array([-10.0, -6.0, -8.0])  # per-seed pruned − dense of class 0
    half = sps.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert changes.loc[0, "change"] == pytest.approx(-8.0)
    assert (changes.loc[0, "ci_low"], changes.loc[0, "ci_high"]) == pytest.approx((-8.0 - half, -8.0 + half))
    assert changes.loc[1, "change"] == 0.0 and np.isnan(changes.loc[1, "ci_low"])  # zero spread: no interval
    harm = per_class_harm(changes.reset_index())
    assert harm[0]["worst_class"] == 0 and harm[0]["n_classes_hurt"] == 1


def test_a_folder_without_runs_renders_without_any_figure(tmp_path):
    """No rows (every seed failed, or a hand-emptied runs.csv): no figure at all, still a report."""
    folder = write_folder(tmp_path / "out", per_class=False)
    header = (folder / "runs.csv").read_text().splitlines()[0]
    (folder / "runs.csv").write_text(header + "\n")
    html = write_verdicts_and_report(folder)
    assert not any((folder / name).exists() for name in FIGURE_FILES.values())
    verdicts = pd.read_csv(folder / "verdicts.csv").set_index("claim_id")
    assert (verdicts.drop(index="quick-only")["verdict"] == "inconclusive").all()
    assert "<img" not in html.read_text() and ".png" not in (folder / "report.md").read_text()


def test_runs_without_a_round_still_get_their_points(tmp_path):
    """Upstream rows may leave ``round`` empty; they must be drawn, not dropped (or crash the figure)."""
    folder = write_folder(tmp_path / "out", per_class=False)
    runs = pd.read_csv(folder / "runs.csv")
    runs["round"] = np.nan
    runs.to_csv(folder / "runs.csv", index=False)
    write_verdicts_and_report(folder)
    assert mpimg.imread(folder / FIGURE_FILES["accuracy"]).ndim == 3
    assert dict(pd.read_csv(folder / "verdicts.csv")[["claim_id", "verdict"]].values) == EXPECTED
