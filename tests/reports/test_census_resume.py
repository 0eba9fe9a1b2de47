"""The census step log (.steps.json): finished steps are skipped, changed or missing files redo work.

Steps here are real functions writing real files and counting their runs; the end-to-end test of
`audit census` with the real crawl, clone and deps is tests/audit/test_census_e2e.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from audit.pipelines import census
from audit.pipelines.census import MARKER, Step, StepLog, _run_step
from core import schemas
from core.errors import UsageError
from crawlers.errors import CrawlerUsageError
from tests.reports.census_fixture import VENUE, write_census_folder


def chain(
    directory: Path, runs: Counter[str], fail: set[str] | None = None, text: str = "hello"
) -> list[Step]:
    """a: writes ``text`` to a.txt; b: a.txt → b.txt upper-cased. A name in ``fail`` raises first."""

    def step_a() -> None:
        runs["a"] += 1
        (directory / "a.txt").write_text(text)

    def step_b() -> None:
        runs["b"] += 1
        if fail and "b" in fail:
            raise KeyboardInterrupt
        (directory / "b.txt").write_text((directory / "a.txt").read_text().upper())

    return [
        Step("a", inputs=(), outputs=("a.txt",), action=step_a, params={"venue": "V"}),
        Step("b", inputs=("a.txt",), outputs=("b.txt",), action=step_b),
    ]


def run_all(directory: Path, runs: Counter[str], fail: set[str] | None = None, text: str = "hello") -> None:
    log = StepLog(directory)
    for step in chain(directory, runs, fail, text):
        _run_step(log, step, "V")


def test_finished_steps_are_skipped(tmp_path: Path) -> None:
    runs: Counter[str] = Counter()
    run_all(tmp_path, runs)
    run_all(tmp_path, runs)
    assert runs == {"a": 1, "b": 1}
    log = json.loads((tmp_path / MARKER).read_text())
    assert log["venue"] == "V"
    assert set(log["steps"]) == {"a", "b"}
    assert log["steps"]["b"]["inputs"] == {"a.txt": log["steps"]["a"]["outputs"]["a.txt"]}


def test_interrupted_step_is_redone_and_earlier_ones_are_not(tmp_path: Path) -> None:
    runs: Counter[str] = Counter()
    with pytest.raises(KeyboardInterrupt):
        run_all(tmp_path, runs, fail={"b"})
    assert set(json.loads((tmp_path / MARKER).read_text())["steps"]) == {"a"}
    run_all(tmp_path, runs)
    assert runs == {"a": 1, "b": 2}
    assert (tmp_path / "b.txt").read_text() == "HELLO"


def test_deleted_output_redoes_that_step_only_when_it_comes_back_identical(tmp_path: Path) -> None:
    runs: Counter[str] = Counter()
    run_all(tmp_path, runs)
    (tmp_path / "a.txt").unlink()
    run_all(tmp_path, runs)
    assert runs == {"a": 2, "b": 1}  # a.txt came back byte-identical, so b's input is unchanged


def test_changed_or_truncated_files_redo_the_step_and_what_follows(tmp_path: Path) -> None:
    runs: Counter[str] = Counter()
    run_all(tmp_path, runs)
    (tmp_path / "b.txt").write_text("HEL")  # a crash mid-write of b.txt
    run_all(tmp_path, runs)
    assert runs == {"a": 1, "b": 2}
    (tmp_path / "a.txt").write_text("edited by hand")
    run_all(tmp_path, runs)
    assert runs == {"a": 2, "b": 2}  # a reruns and restores its output: b's input is unchanged
    assert (tmp_path / "a.txt").read_text() == "hello"
    (tmp_path / "a.txt").unlink()
    run_all(tmp_path, runs, text="new upstream data")
    assert runs == {"a": 3, "b": 3}  # a's output really changed, so b follows
    assert (tmp_path / "b.txt").read_text() == "NEW UPSTREAM DATA"


def test_changed_options_redo_the_step(tmp_path: Path) -> None:
    runs: Counter[str] = Counter()
    log = StepLog(tmp_path)
    step = chain(tmp_path, runs)[0]
    _run_step(log, step, "V")
    _run_step(log, Step("a", (), ("a.txt",), step.action, params={"venue": "W"}), "V")
    assert runs["a"] == 2


def test_damaged_step_log_only_costs_a_rerun(tmp_path: Path) -> None:
    runs: Counter[str] = Counter()
    run_all(tmp_path, runs)
    (tmp_path / MARKER).write_text("{not json")
    run_all(tmp_path, runs)
    assert runs == {"a": 2, "b": 2}


def test_census_refuses_a_folder_of_another_venue(tmp_path: Path) -> None:
    (tmp_path / MARKER).write_text(json.dumps({"schema_version": 1, "venue": "A.cc/2020", "steps": {}}))
    with pytest.raises(UsageError, match=r"holds the census of A\.cc/2020"):
        census.run("B.cc/2021", out=tmp_path, from_file=None, workers=1, timeout_s=1, max_size_mb=1, top_n=3)


def test_render_report_reuses_the_census_venue_and_top_n(tmp_path: Path) -> None:
    folder = write_census_folder(tmp_path / "c")
    log = StepLog(folder)
    _run_step(log, census._report_step(folder, VENUE, 2), VENUE)
    first = json.loads((folder / "census.json").read_text())
    assert (first["venue"], first["packages"]["top_n"]) == (VENUE, 2)

    report = census.render_report(folder)
    assert report == folder / "report.html"
    again = json.loads((folder / "census.json").read_text())
    assert (again["venue"], again["packages"]["top_n"]) == (VENUE, 2)
    assert StepLog(folder).is_done(census._report_step(folder, VENUE, 2))


#: Empty tables that census.run reads between steps (it asks repos.csv whether clones must be retried).
HEADERS = {
    "papers.csv": ",".join(schemas.TABLES["papers.csv"].required),
    "repos.csv": ",".join(schemas.TABLES["repos.csv"].required),
}

#: census.run's options besides the venue, folder and export file.
OPTIONS = {"workers": 1, "timeout_s": 60.0, "max_size_mb": 500.0, "top_n": 3}


def test_census_rejects_a_malformed_venue_before_any_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CrawlerUsageError, match="is not an OpenReview venue id"):
        census.run("not a venue", out=tmp_path / "c", from_file=None, **OPTIONS)
    assert not (tmp_path / "c").exists()
    assert capsys.readouterr().err == ""  # the error stays the only line: no "census: crawl: running"


def test_census_reruns_clone_only_when_its_limits_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A larger --max-size-mb or --timeout must reach the clone step (it retries too_large/timeout)."""
    from audit.pipelines import checklist, clone, crawl, deps
    from reports.census import render

    runs: Counter[str] = Counter()

    def writer(step: str, *names: str) -> object:
        def action(*args: object, **kwargs: object) -> None:
            runs[step] += 1
            directory = kwargs.get("out") or args[0]
            for name in names:
                (Path(str(directory)) / name).write_text(HEADERS.get(name, name) + "\n")

        return action

    monkeypatch.setattr(crawl, "run", writer("crawl", "papers.csv"))
    monkeypatch.setattr(clone, "run", writer("clone", "repos.csv"))
    monkeypatch.setattr(deps, "run", writer("deps", "dependencies.csv", "frameworks.csv", "all_tools.csv"))
    monkeypatch.setattr(checklist, "run", writer("checklist", "checklist.csv"))
    monkeypatch.setattr(render, "render_census", writer("report", *render.OUTPUTS))
    out = tmp_path / "c"
    out.mkdir()
    census.run(VENUE, out=out, from_file=None, **OPTIONS)
    census.run(VENUE, out=out, from_file=None, **OPTIONS | {"workers": 4})  # workers change nothing
    assert runs == {"crawl": 1, "clone": 1, "deps": 1, "checklist": 1, "report": 1}
    census.run(VENUE, out=out, from_file=None, **OPTIONS | {"max_size_mb": 900.0})
    census.run(VENUE, out=out, from_file=None, **OPTIONS | {"max_size_mb": 900.0, "timeout_s": 300.0})
    # repos.csv came back byte-identical, so deps and the report had nothing new to read
    assert runs == {"crawl": 1, "clone": 3, "deps": 1, "checklist": 1, "report": 1}


def _export(path: Path, titles: list[str]) -> Path:
    """A v1-shaped export of accepted papers without code links (nothing to clone)."""
    notes = [
        {"id": f"id{i}", "forum": f"id{i}", "number": i + 1, "content": {"title": title, "code": ""}}
        for i, title in enumerate(titles)
    ]
    path.write_text(json.dumps(notes), encoding="utf-8")
    return path


def test_census_reruns_the_crawl_when_the_export_file_changes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "census"
    options = {"workers": 1, "timeout_s": 10.0, "max_size_mb": 10.0, "top_n": 5}
    first = _export(tmp_path / "first.json", ["A", "B"])
    census.run("ICLR.cc/2020/Conference", out=out, from_file=first, **options)
    assert len((out / "papers.csv").read_text().splitlines()) == 1 + 2
    census.run("ICLR.cc/2020/Conference", out=out, from_file=first, **options)
    assert len((out / "papers.csv").read_text().splitlines()) == 1 + 2
    second = _export(tmp_path / "second.json", ["A", "B", "C"])
    census.run("ICLR.cc/2020/Conference", out=out, from_file=second, **options)
    assert len((out / "papers.csv").read_text().splitlines()) == 1 + 3
    assert json.loads((out / "census.json").read_text())["papers"]["submitted"] == 3
