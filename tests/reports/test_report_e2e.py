"""Acceptance: `audit reproduce` on SNIP (the real quick protocol, 3 seeds) and on LTH (its quick
protocol on a shortened schedule) gives reports that name the paper, say what to run next, and pass
the headless-browser check; `audit report` then re-renders them byte-identically."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from audit.cli import main
from core.device import device_name
from reproducers import registry
from tests.reports.test_report_browser import WRAPPED_IDS
from tests.reports.test_report_rerender import OUTPUTS
from tests.reproducers.conftest import tiny


def cli(args: list[str], capsys) -> list[str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    assert info.value.code == 0, captured.err
    return captured.out.splitlines()


def check_report(out: Path, paper_id: str, printed: list[str], chrome) -> None:
    spec = registry.get(paper_id)
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    report = json.loads((out / "report.json").read_text())
    env = json.loads((out / "environment.json").read_text())
    resolved = env["device"]["resolved"]

    # the last lines printed: the one-line verdict summary, then the report's path
    assert printed[-1] == str(out / "report.html")
    assert printed[-2] == report["summary"] and printed[-2].startswith(f"{paper_id} quick, 3 seeds: ")

    # the paper, named and linked
    authors = (
        ", ".join(spec.authors[:-1]) + " and " + spec.authors[-1]
        if len(spec.authors) > 2
        else (" and ".join(spec.authors))
    )
    assert md.startswith(f"# Reproduction of “{spec.title}”\n\n{authors}, {spec.venue}\n\n")
    assert f"[OpenReview {paper_id}](https://openreview.net/forum?id={paper_id})" in md
    assert f"[arXiv {spec.arxiv}](https://arxiv.org/abs/{spec.arxiv})" in md
    assert f'<a href="{spec.code_url}">authors\' code</a>' in html

    # actionable next steps: the exact command per inconclusive claim, the seeds it reuses
    verdicts = pd.read_csv(out / "verdicts.csv")
    open_ = verdicts[(verdicts["verdict"] == "inconclusive") & verdicts["seeds_needed"].notna()]
    for row in open_.itertuples():
        n = int(row.seeds_needed)
        command = (
            f"audit reproduce {paper_id} --protocol quick --seeds {n} --runner local --device {resolved}"
        )
        new = "3" if n == 4 else f"3–{n - 1}"  # seeds 0–2 ran; --seeds n adds 3..n−1
        # | claim | leans to | seeds now | seeds needed | new seeds | estimated time | command |
        cells = [re.escape(row.claim_id), "[a-z ]+", "3", str(n), new, "≈ [^|]+", f"`{re.escape(command)}`"]
        line = r"\| " + r" \| ".join(cells) + r" \|"
        assert re.search(line, md), line
        assert f"<code>{command}</code>" in html
    if len(open_):
        assert "Seeds 0–2 are already in the experiment-state cache" in md
    # claims registered for the paper's protocol: the command that judges them
    assert f"`audit reproduce {paper_id} --protocol paper --seeds 5 --runner local`" in md

    # the device is named by its model, not by the architecture
    assert env["device"]["name"] == device_name(resolved) and env["device"]["name"] != env["machine"]

    result = chrome.check((out / "report.html").as_uri(), width=1280, probes={"wrapped": WRAPPED_IDS})
    # accuracy, forest and per-class figures, and one experiment tree per seed
    assert result.problems == [] and result.n_images == 3 + report["n_seeds"] == 6
    assert result.values["wrapped"] == 0  # no claim id wraps mid-word


def rerender_is_identical(out: Path, capsys) -> None:
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    cli(["report", str(out)], capsys)
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before


@pytest.mark.slow
def test_snip_quick_three_seeds(tmp_path, monkeypatch, capsys, chrome):
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "snip"
    printed = cli(
        [
            "reproduce",
            "B1VZqjAcYX",
            "--protocol",
            "quick",
            "--seeds",
            "3",
            "--runner",
            "local",
            "--out",
            str(out),
        ],
        capsys,
    )
    check_report(out, "B1VZqjAcYX", printed, chrome)
    rerender_is_identical(out, capsys)


@pytest.mark.slow
def test_lth_quick_three_seeds_shortened(tmp_path, monkeypatch, capsys, chrome):
    """LTH's quick protocol as registered (7 rounds, re-init controls at 3 and 7) on 600 training
    images with 40 iterations per training: the report's structure, in seconds."""
    spec = registry.get("rJl-b3RcF7")
    monkeypatch.setitem(spec.protocols, "quick", tiny(spec.protocols["quick"], name="quick"))
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "lth"
    printed = cli(
        [
            "reproduce",
            "rJl-b3RcF7",
            "--protocol",
            "quick",
            "--seeds",
            "3",
            "--runner",
            "local",
            "--out",
            str(out),
        ],
        capsys,
    )
    check_report(out, "rJl-b3RcF7", printed, chrome)
    md = (out / "report.md").read_text()
    assert "Iterative magnitude pruning: 7 rounds" in md and "re-initialisation at rounds 3 and 7" in md
    rerender_is_identical(out, capsys)
