"""Honest clone failures: offline runs say why and exit 1, reruns retry only what may now succeed,
and every (repository, ref) gets its own checkout. Real git against local repositories.

"Offline" is real: git's ``url.<base>.insteadOf`` sends github.com to ``github.invalid``, a name that
can never resolve (RFC 6761), so git itself fails with "Could not resolve host"; "back online"
rewrites the same config to the local mirror.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from audit.pipelines import census
from audit.pipelines import clone as clone_step
from audit.pipelines import deps as deps_step
from core import schemas
from crawlers import cloning
from crawlers.clone_outcomes import cause, failure_summary
from crawlers.cloning import CloneResult, CloneTarget
from tests.crawlers.repo_factory import GitHubMirror, git, github_mirror, write_papers_csv

__all__ = ["github_mirror"]

VENUE = "Test.cc/2020/Conference"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _route(tmp_path: Path, mirror: Path, *, online: bool) -> None:
    """Point github.com at the mirror (online) or at a host that never resolves (offline); the
    fixture's other rules (``ghost/`` answers 404 from a local server) stay."""
    config = tmp_path / "gitconfig"
    mirrored, offline = f'[url "file://{mirror}/"]', '[url "https://github.invalid/"]'
    text = config.read_text()
    config.write_text(text.replace(offline, mirrored) if online else text.replace(mirrored, offline))


def _papers(out: Path, urls: list[str]) -> Path:
    rows = [{"forum": f"f{i}", "accepted": "True", "repo_url": u} for i, u in enumerate(urls)]
    return write_papers_csv(out / "papers.csv", rows)


def test_failure_summary_names_the_cause_and_a_hint() -> None:
    offline = [
        CloneResult(f"https://github.com/o/r{i}", "network", error=f"fatal: unable to access 'x': {msg}")
        for i, msg in enumerate(["Could not resolve host: github.com"] * 3)
    ]
    assert failure_summary(offline) == "3/3 clones failed: could not resolve host github.com; offline?"
    mixed = [*offline[:2], CloneResult("u", "timeout", error="git clone took longer than 60 s")]
    mixed += [CloneResult("v", "ok")]
    assert failure_summary(mixed) == (
        "3/4 clones failed: could not resolve host github.com (2), timed out (1); offline?"
    )
    # A minority of transient failures, or only facts about repositories, is an ordinary census.
    assert failure_summary([*offline[:1], CloneResult("a", "ok"), CloneResult("b", "ok")]) is None
    assert failure_summary([CloneResult("a", "ok"), CloneResult("b", "not_found")] * 3) is None
    # Nothing cloned at all is no census, whatever the reason.
    nothing = [CloneResult(u, "not_found", error=f"fatal: repository '{u}' not found") for u in "ab"]
    assert failure_summary(nothing) == "2/2 clones failed: repository not found"
    odd = [CloneResult(u, "error", error=f"fatal: bad object in '{u}'") for u in "ab"]
    assert failure_summary(odd) == "2/2 clones failed: bad object in …"
    assert cause(CloneResult("a", "network", error="Failed to connect to h port 443")) == "could not connect"


def test_offline_clone_says_why_exits_1_and_a_rerun_retries(
    github_mirror: GitHubMirror, tmp_path: Path
) -> None:
    urls = [github_mirror.add(f"lab/repo{i}", {"train.py": "import torch\n"}) for i in range(3)]
    out = tmp_path / "venue"
    _papers(out, [*urls, "https://github.com/ghost/deleted"])
    _route(tmp_path, github_mirror.root, online=False)
    command = [sys.executable, "-m", "audit", "clone", str(out), "--workers", "2"]
    offline = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert offline.returncode == 1, offline.stderr
    last = offline.stderr.strip().splitlines()[-1]
    assert last == (
        "error: 4/4 clones failed: could not resolve host github.invalid (3), repository not found (1); "
        f"offline?; repos.csv is kept, rerun `audit clone {out}` to retry them"
    )
    assert "Traceback" not in offline.stderr
    # Progress lines say why each clone failed.
    assert "network https://github.com/lab/repo0: could not resolve host github.invalid" in offline.stderr
    assert sorted(r["status"] for r in _rows(out / "repos.csv")) == ["network"] * 3 + ["not_found"]

    _route(tmp_path, github_mirror.root, online=True)
    online = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert online.returncode == 0, online.stderr
    statuses = {r["repo_url"]: r["status"] for r in _rows(out / "repos.csv")}
    assert statuses == {**dict.fromkeys(urls, "ok"), "https://github.com/ghost/deleted": "not_found"}

    # A final outcome is never asked for again: the deleted repository reappears, it stays not_found.
    before = {r["repo_url"]: r for r in _rows(out / "repos.csv")}
    github_mirror.add("ghost/deleted", {"x.py": "import numpy\n"})
    subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert {r["repo_url"]: r for r in _rows(out / "repos.csv")} == before


def test_offline_census_exits_1_with_a_banner_and_the_rerun_finishes_it(
    github_mirror: GitHubMirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = [github_mirror.add(f"lab/repo{i}", {"train.py": "import torch\n"}) for i in range(2)]
    notes = [
        {"id": f"n{i}", "forum": f"n{i}", "number": i + 1, "content": {"title": f"P{i}", "code": url}}
        for i, url in enumerate(urls)
    ]
    export = tmp_path / "notes.json"
    export.write_text(json.dumps(notes))
    out = tmp_path / "census"
    options = {
        "out": out,
        "from_file": export,
        "workers": 2,
        "timeout_s": 30.0,
        "max_size_mb": 5.0,
        "top_n": 3,
    }

    _route(tmp_path, github_mirror.root, online=False)
    with pytest.raises(census.CensusIncomplete) as caught:
        census.run(VENUE, **options)
    assert caught.value.exit_code == 1
    assert str(caught.value).startswith("2/2 clones failed: could not resolve host github.invalid; offline?")
    assert "the report is marked incomplete" in str(caught.value)
    html = (out / "report.html").read_text()
    assert "Incomplete census." in html and "Only 0 of 2 repositories (0%) could be cloned" in html
    capsys.readouterr()

    _route(tmp_path, github_mirror.root, online=True)
    report = census.run(VENUE, **options)  # the clone step was not complete: it runs again
    err = capsys.readouterr().err
    assert "census: crawl: finished earlier, skipped" in err and "census: clone: running" in err
    assert {r["status"] for r in _rows(out / "repos.csv")} == {"ok"}
    assert "Incomplete census" not in report.read_text()
    doc = json.loads((out / "census.json").read_text())
    assert doc["coverage"]["low"] is False and doc["frameworks"]["pytorch"]["k"] == 2

    census.run(VENUE, **options)  # now nothing is left to retry: every step is skipped
    assert "census: clone: finished earlier, skipped" in capsys.readouterr().err


def test_each_ref_has_its_own_checkout_and_row(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    """A `/tree/paper` link gets branch paper, a bare link the default branch, whichever came first."""
    url = github_mirror.add("lab/versions", {"main.py": "import numpy\n", "sub/a.py": "import jax\n"})
    source = github_mirror.root / "lab/versions"
    default_commit = github_mirror.commits[url]
    git(source, "checkout", "--quiet", "-b", "paper")
    (source / "sub" / "a.py").write_text("import torch\n")
    git(source, "commit", "--quiet", "-am", "the paper's version")
    paper_commit = git(source, "rev-parse", "HEAD")
    git(source, "checkout", "--quiet", "main")

    out = tmp_path / "venue"
    rows = [
        {"forum": "f1", "accepted": "True", "repo_url": url, "repo_subpath": "sub"},  # bare link: main
        {"forum": "f2", "accepted": "True", "repo_url": url, "repo_ref": "paper"},  # /tree/paper
    ]
    columns = [*schemas.TABLES["papers.csv"].required, "repo_ref"]
    out.mkdir()
    with (out / "papers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)

    clone_step.run(out, workers=2, timeout_s=30, max_size_mb=5)
    by_key = {(r["repo_url"], r["ref"]): r for r in _rows(out / "repos.csv")}
    assert set(by_key) == {(url, ""), (url, "paper")}
    assert (by_key[(url, "")]["commit"], by_key[(url, "paper")]["commit"]) == (default_commit, paper_commit)
    cache = tmp_path / "cache" / "repos" / "github.com" / "lab"
    assert sorted(p.name for p in cache.iterdir()) == ["versions", "versions@paper"]
    assert Path(by_key[(url, "paper")]["path"]) == (cache / "versions@paper").resolve()

    deps_step.run(out, workers=1)
    deps = {(r["repo_subpath"], r["package"]) for r in _rows(out / "dependencies.csv")}
    assert deps == {("sub", "jax"), ("", "numpy"), ("", "torch")}  # sub at main; the whole repo at paper

    # Ref keys survive a rerun: both rows are kept, nothing is cloned again.
    inodes = {p.name: p.stat().st_ino for p in cache.iterdir()}
    clone_step.run(out, workers=2, timeout_s=30, max_size_mb=5)
    assert {p.name: p.stat().st_ino for p in cache.iterdir()} == inodes
    assert {(r["repo_url"], r["ref"], r["reused"]) for r in _rows(out / "repos.csv")} == {
        (url, "", "false"),
        (url, "paper", "false"),
    }


def test_a_compressible_bomb_is_too_large_before_checkout(
    github_mirror: GitHubMirror, tmp_path: Path
) -> None:
    """64 MB of zeros is a few hundred KB of pack: the cap is checked on the tree, before writing it."""
    source = github_mirror.root / "bomb" / "zeros"
    source.mkdir(parents=True)
    with (source / "weights.bin").open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse in the origin: costs no disk there either
    git(source, "init", "--quiet", "--initial-branch=main")
    git(source, "add", "weights.bin")
    git(source, "commit", "--quiet", "-m", "bomb")
    result = cloning.clone_repository(
        CloneTarget("https://github.com/bomb/zeros"), tmp_path / "cache", max_size_mb=10
    )
    assert result.status == "too_large", result.error
    assert re.fullmatch(r"the checkout would be 67\.\d MB, over 10 MB", result.error)
    assert result.size_kb >= 64 * 1024  # what the checkout would have taken, not what was downloaded
    written = sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert written == 0  # nothing of it is left in the cache (and it never was checked out)
    assert not os.path.exists(cloning.cache_path(tmp_path / "cache", "https://github.com/bomb/zeros"))
