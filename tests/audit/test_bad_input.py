"""Bad input gets one clear line and loses nothing (issue 8, section 3), through the command line.

Each case is one a new user met: a read-only output folder, a papers.csv that is not UTF-8, is
truncated inside a quote or has none of the expected columns, a runs.csv with garbage or the wrong
columns, a folder that does not exist, bare ``audit``, ``-v`` after the subcommand. Each gives one
``error:`` line with its exit code (2 for bad input, 1 for a failure), and no file is overwritten.

Most cases call the CLI's ``main`` in this process. Read-only folders are made with ``chmod`` and
checked through the real ``python -m audit`` run without the capability that lets root ignore
permission bits (``setpriv``, util-linux), so the check holds when the suite runs as root, as it does
in CI.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audit.cli import main
from tests.crawlers.repo_factory import write_papers_csv
from tests.reports.census_fixture import write_census_folder
from tests.reports.test_reproduction_verdicts import write_folder

VENUE = "Test.cc/2020/Conference"
ROOT = Path(__file__).resolve().parents[2]
REPOS_HEADER = "repo_url,status,commit,size_kb,n_python_files,has_submodules,path,error\n"


def audit(*args: str, unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    """The CLI's ``main`` in this process (its exit code and output), or, ``unprivileged``, the real
    ``python -m audit`` as an ordinary user (root without CAP_DAC_OVERRIDE)."""
    if not unprivileged:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        return subprocess.CompletedProcess(["audit", *args], code, out.getvalue(), err.getvalue())
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): cannot drop CAP_DAC_OVERRIDE")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "audit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )


def error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The one stderr line of a failed command, without its ``error: `` prefix."""
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


def export(tmp_path: Path) -> Path:
    notes = [{"id": f"n{i}", "forum": f"n{i}", "number": i, "content": {"title": f"P{i}"}} for i in range(3)]
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(notes))
    return path


@pytest.fixture
def read_only(tmp_path: Path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_read_only_out_for_crawl_census_reproduce(tmp_path: Path, read_only: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    notes = str(export(tmp_path))
    expected = f"cannot write to the output folder {read_only}: Permission denied; choose another --out"
    for args in (
        ["crawl", VENUE, "--out", str(read_only), "--from-file", notes],
        ["census", VENUE, "--out", str(read_only), "--from-file", notes],
        ["reproduce", "B1VZqjAcYX", "--runner", "local", "--out", str(read_only)],
    ):
        assert error_line(audit(*args, unprivileged=True), 2) == expected, args
    assert list(read_only.iterdir()) == []


def test_read_only_folder_for_report(tmp_path: Path) -> None:
    census = write_census_folder(tmp_path / "census")
    reproduction = write_folder(tmp_path / "repro")
    for folder, kind in ((census, "census"), (reproduction, "reproduction")):
        before = sorted(p.name for p in folder.iterdir())
        folder.chmod(0o555)
        try:
            line = error_line(audit("report", str(folder), unprivileged=True), 2)
        finally:
            folder.chmod(0o755)
        assert line == (
            f"cannot write to the {kind} folder {folder}: Permission denied; "
            "make it writable, or copy it elsewhere"
        )
        assert sorted(p.name for p in folder.iterdir()) == before


def test_read_only_clone_cache_keeps_the_finished_crawl(tmp_path: Path, monkeypatch) -> None:
    """The folder is writable but the clone cache is not: one line, papers.csv (finished) is kept."""
    out = tmp_path / "census"
    cache = tmp_path / "cache"
    (cache / "repos").mkdir(parents=True)
    (cache / "repos").chmod(0o555)
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(cache))
    note = {
        "id": "n1",
        "forum": "n1",
        "number": 1,
        "content": {"title": "P", "code": "https://github.com/o/r"},
    }
    (tmp_path / "notes.json").write_text(json.dumps([note]))
    args = ("census", VENUE, "--out", str(out), "--from-file", str(tmp_path / "notes.json"))
    try:
        result = audit(*args, unprivileged=True)
    finally:
        (cache / "repos").chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot write to the clone cache {cache / 'repos'}: Permission denied; "
        "set AUDIT_CACHE_DIR to a writable folder"
    )
    assert "Traceback" not in result.stderr
    assert (out / "papers.csv").is_file()  # the finished crawl is kept; the rerun skips it
    assert list(json.loads((out / ".steps.json").read_text())["steps"]) == ["crawl"]


def test_an_output_that_cannot_be_written_mid_run_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """A folder squats census.json's name: the figures written before it are kept, one line, exit 1."""
    folder = write_census_folder(tmp_path / "census")
    (folder / "census.json").mkdir()
    line = error_line(audit("report", str(folder)), 1)
    assert line == (
        f"cannot write {folder / 'census.json'}: Is a directory; finished work is kept, fix the folder's "
        "permissions or free space and rerun the same command"
    )
    assert (folder / "top_tools.png").is_file() and not (folder / "report.html").exists()


def test_papers_csv_that_is_not_utf8(tmp_path: Path) -> None:
    out = tmp_path / "venue"
    write_papers_csv(out / "papers.csv", [{"forum": "f1", "title": "Café", "accepted": "True"}])
    (out / "papers.csv").write_bytes((out / "papers.csv").read_text().encode("latin-1"))
    (out / "repos.csv").write_text(REPOS_HEADER)
    for command in ("clone", "deps"):
        line = error_line(audit(command, str(out)), 2)
        assert line.startswith(f"{out / 'papers.csv'}: line 2: not UTF-8 (byte 0xe9); save the file as UTF-8")


def test_truncated_papers_csv_is_refused_and_repos_csv_is_untouched(tmp_path: Path, monkeypatch) -> None:
    """Six rows cut inside a quoted title: not 4 of 6 rows processed, repos.csv not overwritten."""
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "venue"
    rows = [
        {
            "forum": f"f{i}",
            "title": f"Title, part {i}",
            "accepted": "True",
            "repo_url": f"https://github.com/o/r{i}",
        }
        for i in range(6)
    ]
    text = write_papers_csv(out / "papers.csv", rows).read_text()
    cut = text.index('"Title, part 4')
    (out / "papers.csv").write_text(text[: cut + 8])  # the download stopped inside row 5's quote
    repos = out / "repos.csv"
    repos.write_text(REPOS_HEADER)
    before = repos.read_bytes()
    for command in ("clone", "deps"):
        line = error_line(audit(command, str(out)), 2)
        assert line.startswith(f"{out / 'papers.csv'}: line 6: a quoted cell is never closed"), line
    assert repos.read_bytes() == before
    assert not (tmp_path / "cache").exists()  # nothing was cloned
    assert not (out / "dependencies.csv").exists()


def test_papers_csv_without_the_expected_columns_is_not_a_census(tmp_path: Path) -> None:
    """Before: a report of "1 submission, 1 accepted". Now: the columns it lacks, for every reader."""
    folder = write_census_folder(tmp_path / "census")
    (folder / "papers.csv").write_text("id,paper,link\n1,A,https://github.com/o/r\n")
    for args in (("report", str(folder)), ("clone", str(folder)), ("deps", str(folder))):
        line = error_line(audit(*args), 2)
        assert line.startswith(
            f"{folder / 'papers.csv'}: lacks the required column(s) forum, number, title, decision, "
            "accepted, code_url, repo_url, repo_subpath, host (its columns: id, paper, link)"
        ), line
    assert not (folder / "report.html").exists()


def _first_accuracy(text: str, value: str) -> str:
    lines = text.splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("test_accuracy")] = value
    return "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n"


@pytest.mark.parametrize(
    ("mangle", "expected"),
    [
        (
            lambda text: _first_accuracy(text, "ninety-seven"),
            "row 1 (line 2): test_accuracy: Input should be",
        ),
        (lambda text: "seed,acc\n0,97.1\n1,97.3\n", "lacks the required column(s) paper_id, protocol, arm"),
        (lambda text: "\x00\x01binary", "line 1: a NUL byte: not a text file"),
    ],
)
def test_runs_csv_with_garbage_or_wrong_columns(tmp_path: Path, mangle, expected: str) -> None:
    """Before: a 51-line pandas traceback, or "4 inconclusive" judged from zero runs."""
    folder = write_folder(tmp_path / "repro")
    runs = folder / "runs.csv"
    runs.write_text(mangle(runs.read_text()))
    line = error_line(audit("report", str(folder)), 2)
    assert line.startswith(f"{runs}: {expected}"), line
    assert not (folder / "verdicts.csv").exists() and not (folder / "report.html").exists()


def test_report_of_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    line = error_line(audit("report", str(missing)), 2)
    assert line == f"{missing} does not exist; give a census or reproduction output folder"


def test_bare_audit_shows_the_help() -> None:
    result = audit()
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: audit [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stdout and "census" in result.stdout


def test_verbose_after_the_subcommand(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    after = audit("report", missing, "-v")
    assert after.returncode == 2 and "Traceback" in after.stderr
    assert after.stderr.strip().splitlines()[-1].startswith("error: ")
    before = audit("--verbose", "report", missing)
    assert before.returncode == 2 and "Traceback" in before.stderr
    quiet = audit("report", missing)
    assert "Traceback" not in quiet.stderr
    assert audit("papers", "--verbose").returncode == 0


def test_readme_documents_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text()
    for code in ("0", "1", "2", "130"):
        assert f"`{code}`" in readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0], code


def test_an_import_error_inside_reports_is_a_bug_not_a_skipped_report(tmp_path: Path, monkeypatch) -> None:
    """Before: "reports.reproduction is not available: verdicts and report skipped", exit 0."""
    folder = write_folder(tmp_path / "repro")
    monkeypatch.setitem(sys.modules, "reports.reproduction", None)  # importing it raises ImportError
    with pytest.raises(ImportError):
        main(["report", str(folder)])
    assert not (folder / "verdicts.csv").exists()


def test_a_broken_optional_crawl_json_is_one_line(tmp_path: Path) -> None:
    folder = write_census_folder(tmp_path / "census")
    (folder / "crawl.json").write_text('{"source": "api"}')
    line = error_line(audit("report", str(folder)), 2)
    assert line == f"{folder / 'crawl.json'}: venue: Field required (got {{'source': 'api'}})"
