"""`audit census` over a corpus of hostile repositories and notes (issue 8, section 4, census part).

The corpus (tests/audit/hostile_corpus.py, notes in hostile_notes.py) is built here, never
downloaded: real git repositories behind ``url.<base>.insteadOf``, notes served to the real
openreview-py client by the fake OpenReview server, and a user git configuration that would run
hooks, an fsmonitor and an LFS filter if the census let it. The census runs once as a user runs it
(``python -m audit census``), then again; each case's outcome is checked against
docs/hostile-inputs.md, and afterwards: no canary written, nothing outside the output and cache
folders changed, every finished result kept.
"""

from __future__ import annotations

import csv
import json
import os
import re
import resource
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import schemas
from core.checkout import walk
from tests.audit import hostile_corpus as corpus
from tests.audit import hostile_notes as notes
from tests.crawlers.fake_openreview import FakeOpenReview

STEPS = ("crawl", "clone", "deps", "report")


@dataclass
class Run:
    root: Path
    out: Path
    cache: Path
    canary: Path
    outside: Path
    env: dict[str, str]
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    before: dict[str, tuple[int, int, int]]
    after: dict[str, tuple[int, int, int]]
    census_json: bytes
    census_json_again: bytes


def snapshot(root: Path, skip: set[Path]) -> dict[str, tuple[int, int, int]]:
    """(mtime, size, mode) of every entry under ``root`` except the skipped folders (links not followed)."""
    seen = {}
    for base, dirs, files in walk(root):
        dirs[:] = [d for d in dirs if base / d not in skip]
        for name in dirs + files:
            path = base / name
            info = path.lstat()
            seen[str(path.relative_to(root))] = (info.st_mtime_ns, info.st_size, info.st_mode)
    return seen


def census(out: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "audit", "census", corpus.VENUE, "--out", str(out)]
    command += ["--workers", "4", "--timeout", "120", "--max-size-mb", "200"]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=600, check=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("hostile")
    mirror, canary, outside = root / "mirror", root / "canary", root / "outside"
    corpus.build_repositories(mirror, canary, outside)
    config = root / "gitconfig"
    config.write_text(corpus.user_git_config(mirror, canary, root / "hooks", root / "templates"))
    out, cache, cwd = root / "out", root / "cache", root / "cwd"
    cwd.mkdir()
    passwd = os.stat("/etc/passwd")
    with FakeOpenReview(v1=[notes.hostile_venue()], v2=[]) as fake:
        env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": str(config),
            "GIT_CONFIG_NOSYSTEM": "1",
            "AUDIT_CACHE_DIR": str(cache),
            "OPENREVIEW_API_BASEURL": fake.base_v1,
            "OPENREVIEW_API_BASEURL_V2": fake.base_v2,
            "no_proxy": "127.0.0.1,localhost",
        }
        for name in (
            "OPENREVIEW_USERNAME",
            "OPENREVIEW_PASSWORD",
            "OPENREVIEW_TOKEN",
            "http_proxy",
            "https_proxy",
        ):
            env.pop(name, None)
        before = snapshot(root, {out, cache})
        first = census(out, env, cwd)
        census_json = (out / "census.json").read_bytes() if first.returncode == 0 else b""
        second = census(out, env, cwd)
        after = snapshot(root, {out, cache})
    assert os.stat("/etc/passwd")[:] == passwd[:]
    yield Run(
        root, out, cache, canary, outside, env, first, second, before, after, census_json,
        (out / "census.json").read_bytes(),
    )  # fmt: skip
    # 1,500 nested folders: pytest's own (recursive) cleanup would overflow; rm walks without recursing.
    subprocess.run(["rm", "-rf", str(root)], check=False, timeout=300)


def rows(path: Path) -> list[dict[str, str]]:
    return schemas.read_table(path).rows  # every output also satisfies its own contract


def test_the_census_finishes_and_records_every_case(run: Run) -> None:
    assert run.first.returncode == 0, run.first.stderr[-3000:]
    assert "Traceback" not in run.first.stderr
    statuses = {(r["repo_url"], r["ref"]): r["status"] for r in rows(run.out / "repos.csv")}
    expected = {(case.url, ""): case.status for case in corpus.CASES}
    expected[(corpus.OWNER + "clean", "v1")] = "ok"  # a link whose ref had a BEL in it: ref v1, fallback
    assert statuses == expected
    repos = {(r["repo_url"], r["ref"]): r for r in rows(run.out / "repos.csv")}
    assert repos[(corpus.OWNER + "clean", "v1")]["error"] == "ref 'v1' not found; default branch cloned"
    assert repos[(corpus.OWNER + "deeper", "")]["error"].startswith("git could not check out the tree")
    assert repos[(corpus.OWNER + "submodule", "")]["has_submodules"] == "true"
    for name in ("papers.csv", "dependencies.csv", "frameworks.csv", "repo_signals.csv", "all_tools.csv"):
        rows(run.out / name)
    doc = json.loads(run.census_json)
    assert doc["repositories"]["status"] == {"ok": 12, "invalid": 1}
    assert doc["coverage"]["low"] is False  # 12 of 13 repositories cloned


def test_each_repository_gives_exactly_its_own_dependencies(run: Run) -> None:
    found: dict[str, set[tuple[str, str]]] = {}
    for row in rows(run.out / "dependencies.csv"):
        found.setdefault(row["repo_url"], set()).add((row["package"], row["source"]))
    for case in corpus.CASES:
        if case.dependencies is not None:
            assert found.pop(case.url) == case.dependencies, case.name
    assert found == {}
    # Nothing a link pointed to outside a checkout was read, in any output.
    for path in run.out.iterdir():
        if path.is_file():
            assert b"leaked" not in path.read_bytes(), path.name


def test_undecodable_and_control_character_names_are_escaped_in_utf8_outputs(run: Run) -> None:
    evidence = {r["evidence"] for r in rows(run.out / "dependencies.csv") if r["repo_url"].endswith("/names")}
    assert evidence == {"caf\\udce9.py:1", "evil\nname.py:1", "\x1b[31mred.py:1", "\\udcff\\udcfe/mod.py:1"}
    unparsed = {
        r["repo_url"].rsplit("/", 1)[1]: r["unparsed_files"] for r in rows(run.out / "repo_signals.csv")
    }
    assert unparsed["notebook"] == "big.ipynb"  # over the notebook size limit: listed, never read
    # NUL bytes (random bytes, NUL padding, UTF-16): no Python parses them; listed, imports read by regex
    assert unparsed["binary"] == "model.py;nul.py;utf16.py"


def test_nothing_ran_and_nothing_outside_output_and_cache_changed(run: Run) -> None:
    assert sorted(p.name for p in run.canary.iterdir()) == []
    assert run.after == run.before
    checkouts = run.cache / "repos" / "github.com" / "hostile"
    assert (checkouts / "symlinks" / "passwd").is_symlink()
    assert os.readlink(checkouts / "symlinks" / "escape") == str(run.outside)
    assert (checkouts / "lfs" / "weights.bin").read_text() == corpus.LFS_POINTER
    submodule = checkouts / "submodule"
    files = sorted(p.relative_to(submodule).as_posix() for p in submodule.rglob("*") if p.is_file())
    assert [f for f in files if not f.startswith(".git/")] == [".gitmodules", "main.py"]  # nothing fetched
    assert not (checkouts / "deeper").exists()
    assert sorted(p.name for p in checkouts.iterdir() if p.name.startswith(".")) == []  # no partial clone


def test_hostile_notes_become_clean_rows(run: Run) -> None:
    text = (run.out / "papers.csv").read_bytes()
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)  # no control character survived
    papers = {r["forum"]: r for r in rows(run.out / "papers.csv")}
    assert set(papers) == {n["forum"] for n in notes.hostile_notes()} - notes.SKIPPED_FORUMS
    assert papers["missingAA1"]["title"] == "" and papers["missingAA2"]["number"] == ""
    typed = papers["typesAAAA1"]
    assert (typed["number"], typed["title"], typed["code_url"], typed["n_authors"]) == (
        "",
        "A title as a list",
        "",
        "",
    )
    assert typed["accepted"] == ""  # its replies were of the wrong shape: no decision, not a crash
    assert papers["typesAAAA3"]["title"] == "" and papers["typesAAAA3"]["repo_url"] == corpus.OWNER + "clean"
    assert len(papers["megaTitleA"]["title"]) == notes.MEGABYTE
    assert papers["megaAbstrA"]["text_repo_urls"] == corpus.OWNER + "clean"
    assert papers["controlAA1"]["title"] == "Escape[2J]0;pwned title"
    assert (papers["controlAA1"]["code_url"], papers["controlAA1"]["repo_url"]) == (
        corpus.OWNER + "clean",
    ) * 2
    assert (papers["controlAA2"]["repo_url"], papers["controlAA2"]["repo_ref"]) == (
        corpus.OWNER + "clean",
        "v1",
    )
    assert papers["controlAA3"]["repo_url"] == ""  # the NUL ends the link: an owner, not a repository
    crawl = json.loads((run.out / "crawl.json").read_text())
    assert crawl["notes_skipped"] == 1
    assert crawl["fields_dropped"] == {
        "number": 1,
        "content.authors": 1,
        "content.keywords": 1,
        "content.code": 1,
        "content.title": 1,
    }
    assert "1 note(s) skipped (1 no content object)" in run.first.stderr


def test_a_rerun_keeps_every_finished_result(run: Run) -> None:
    assert run.second.returncode == 0, run.second.stderr[-2000:]
    for step in STEPS:
        assert f"census: {step}: finished earlier, skipped" in run.second.stderr
    assert run.census_json_again == run.census_json


def test_a_sparse_multi_gigabyte_file_in_a_checkout_is_never_read(run: Run) -> None:
    (row,) = [r for r in rows(run.out / "repos.csv") if r["repo_url"] == corpus.OWNER + "sparse"]
    checkout = Path(row["path"])
    for name in ("huge.py", "requirements.txt", "huge.ipynb"):
        with (checkout / name).open("wb") as handle:
            handle.truncate(corpus.SPARSE_BYTES)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "audit", "deps", str(run.out), "--workers", "1"],
            capture_output=True,
            text=True,
            env=run.env,
            timeout=600,
            check=False,
        )
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    finally:
        for name in ("huge.py", "requirements.txt", "huge.ipynb"):
            (checkout / name).unlink()
    assert result.returncode == 0, result.stderr[-2000:]
    assert peak_mb < 1024  # a 4 GB file read into memory would show here
    signals = {r["repo_url"]: r for r in rows(run.out / "repo_signals.csv")}
    assert signals[corpus.OWNER + "sparse"]["unparsed_files"] == "huge.ipynb;huge.py"
    with (run.out / "dependencies.csv").open(newline="", encoding="utf-8") as handle:
        sparse = {
            (r["package"], r["source"]) for r in csv.DictReader(handle) if r["repo_url"].endswith("/sparse")
        }
    assert sparse == corpus.imports("numpy")
