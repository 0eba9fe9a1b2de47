"""The reproductions published in docs/reproductions/ re-render byte for byte and name no machine.

They are the project's showcase: a renderer change that alters them must be deliberate (rerun
`audit report` on them and commit the result), and a folder must carry everything its report needs.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from audit.cli import main
from reports.reproduction import FIGURE_FILES, REPORT_JSON

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "reproductions"
FOLDERS = sorted(p.parent for p in PUBLISHED.glob("*/claims.json"))
RENDERED = ("verdicts.csv", "report.md", "report.html", REPORT_JSON, *FIGURE_FILES.values())
#: absolute paths of a machine (home folders, temporary folders, the project's own checkout)
MACHINE_PATH = re.compile(r"(/home/|/root/|/tmp/|/work/|/Users/|[A-Z]:\\\\Users)")
DATA_URI = re.compile(r"data:[a-z]+/[a-z+]+;base64,[A-Za-z0-9+/=]+")


def test_the_showcase_is_there() -> None:
    assert [p.name for p in FOLDERS] == ["lth-paper", "snip-paper"]


@pytest.mark.parametrize("published", FOLDERS, ids=lambda p: p.name)
def test_audit_report_rerenders_it_byte_for_byte(published: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / published.name
    shutil.copytree(published, folder)
    before = {name: (folder / name).read_bytes() for name in RENDERED}
    with pytest.raises(SystemExit) as info:
        main(["report", str(folder)])
    assert info.value.code == 0, capsys.readouterr().err
    assert {name: (folder / name).read_bytes() for name in RENDERED} == before
    assert "## 4. Discussion" in before["report.md"].decode()  # discussion.md is part of it


@pytest.mark.parametrize("published", FOLDERS, ids=lambda p: p.name)
def test_it_holds_what_it_says_and_no_model_state(published: Path) -> None:
    environment = json.loads((published / "environment.json").read_text())
    with (published / "runs.csv").open(newline="") as handle:
        runs = list(csv.DictReader(handle))
    seeds = sorted({int(row["seed"]) for row in runs})
    readme = (PUBLISHED / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith(f"| [{published.name}]"))
    assert f"| {len(seeds)} |" in row and seeds == list(range(len(seeds)))
    assert environment["protocol"] == published.name.rsplit("-", 1)[1]
    assert not [p for p in published.rglob("*") if p.suffix in {".pt", ".pth", ".safetensors"}]
    for path in published.rglob("*"):
        if path.is_file() and path.suffix in {".md", ".html", ".json", ".csv"}:
            text = DATA_URI.sub("", path.read_text())  # base64 may spell "/tmp/" by chance
            assert not MACHINE_PATH.search(text), path
