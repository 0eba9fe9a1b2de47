"""`audit checklist DIR` as a user runs it: after `audit deps`, on real git checkouts, through the CLI.

Two accepted papers link one repository each (one of them at a sub-folder), a rejected paper's
repository is not scored; item 1 comes from what `audit deps` found (requirements.txt line 1).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from crawlers.checklist.table import COLUMNS
from crawlers.cloning import CloneResult, write_repos_csv
from tests.crawlers.checklist_repos import TRAIN_LOOP
from tests.crawlers.repo_factory import make_repo, write_papers_csv

GH = "https://github.com/"
README = """# Paper

## Install

```
pip install -r requirements.txt
```

## Train

```
python train.py --epochs 10
```

## Results

| model | accuracy |
| --- | --- |
| ours | 97.5 |

Pre-trained weights: [release](https://github.com/a/full/releases/tag/v1)
"""


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], capture_output=True, text=True, timeout=300, check=False
    )


def census_folder(tmp_path: Path) -> Path:
    full, full_commit = make_repo(
        tmp_path / "repos/a/full",
        {
            "README.md": README,
            "requirements.txt": "torch==2.0\nnumpy\n",
            "train.py": TRAIN_LOOP,
            "eval.py": "import torch\nif __name__ == '__main__':\n    torch.load('m.pt').eval()\n",
        },
    )
    mono, mono_commit = make_repo(
        tmp_path / "repos/b/mono",
        {"README.md": "# all\n", "proj/notes.md": "ideas\n", "proj/model.py": "import numpy\n"},
    )
    rejected, rejected_commit = make_repo(tmp_path / "repos/c/rej", {"train.py": TRAIN_LOOP})
    out = tmp_path / "census"
    write_papers_csv(
        out / "papers.csv",
        [
            {"forum": "p1", "decision": "Accept (Poster)", "accepted": "True", "repo_url": GH + "a/full"},
            {
                "forum": "p2",
                "decision": "Accept (Talk)",
                "accepted": "True",
                "repo_url": GH + "b/mono",
                "repo_subpath": "proj",
            },
            {"forum": "p3", "decision": "Reject", "accepted": "False", "repo_url": GH + "c/rej"},
        ],
    )
    write_repos_csv(
        out / "repos.csv",
        [
            CloneResult(GH + "a/full", "ok", commit=full_commit, path=str(full)),
            CloneResult(GH + "b/mono", "ok", commit=mono_commit, path=str(mono)),
            CloneResult(GH + "c/rej", "ok", commit=rejected_commit, path=str(rejected)),
        ],
    )
    return out


def test_audit_checklist_after_deps_writes_verdicts_with_evidence(tmp_path: Path) -> None:
    out = census_folder(tmp_path)
    missing = audit("checklist", str(out))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: {out} has no dependencies.csv; run `audit deps {out}` first"

    assert audit("deps", str(out), "--workers", "1").returncode == 0
    run = audit("checklist", str(out), "--workers", "2")
    assert run.returncode == 0, run.stderr
    with (out / "checklist.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        rows = {row["repo_url"]: row for row in reader}
    assert set(rows) == {GH + "a/full", GH + "b/mono"}  # the rejected paper's repository is not scored

    full = rows[GH + "a/full"]
    got = {
        item: (full[item], full[f"{item}_file"])
        for item in ("dependencies", "training", "evaluation", "pretrained", "results")
    }
    assert got == {
        "dependencies": ("yes", "requirements.txt:1"),
        "training": ("yes", "README.md:12"),
        "evaluation": ("yes", "eval.py:2"),
        "pretrained": ("yes", "README.md:21"),
        "results": ("yes", "README.md:17"),
    }
    assert (full["n_yes"], full["n_unclear"], full["status"], full["readme"], full["readme_format"]) == (
        "5",
        "0",
        "ok",
        "README.md",
        "markdown",
    )
    assert full["pretrained_link"] == "https://github.com/a/full/releases/tag/v1"
    assert full["results_section"] == "Paper › Results" and full["results_snippet"] == "ours | 97.5"
    assert len(full["commit"]) == 40

    mono = rows[GH + "b/mono"]
    assert mono["repo_subpath"] == "proj"
    assert mono["readme"] == "README.md"  # the linked folder has none: the repository's is used
    assert [mono[item] for item in ("dependencies", "training", "evaluation", "pretrained", "results")] == [
        "no"
    ] * 5
    assert mono["n_yes"] == "0"

    for row in rows.values():  # acceptance: evidence for every yes
        for item in ("dependencies", "training", "evaluation", "pretrained", "results"):
            if row[item] == "yes":
                assert row[f"{item}_file"], (row["repo_url"], item)

    before = (out / "checklist.csv").read_bytes()
    assert audit("checklist", str(out), "--workers", "1").returncode == 0
    assert (out / "checklist.csv").read_bytes() == before  # deterministic, whatever the worker count


def test_audit_checklist_without_repos_csv_is_a_usage_error(tmp_path: Path) -> None:
    result = audit("checklist", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path} has no repos.csv; run `audit clone {tmp_path}` first"


def test_audit_checklist_rejects_a_dependencies_csv_without_its_columns(tmp_path: Path) -> None:
    out = census_folder(tmp_path)
    (out / "dependencies.csv").write_text("repo_url,package\nhttps://github.com/a/full,torch\n")
    result = audit("checklist", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {out / 'dependencies.csv'} lacks the column(s) evidence, repo_subpath, source; "
        f"rerun `audit deps {out}`"
    )
    assert not (out / "checklist.csv").exists()
