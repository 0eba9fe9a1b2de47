"""Cloning with the real git against local repositories that GitHub URLs are rewritten to."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.checkout import classify_git_error
from core.schemas import SchemaError
from crawlers import cloning
from crawlers.cloning import CloneTarget, cache_path, clone_all, clone_repository
from tests.crawlers import messy_repos as repos
from tests.crawlers.repo_factory import GitHubMirror, github_mirror, write_papers_csv
from tests.interrupts import interruptible

__all__ = ["github_mirror"]  # the fixture, imported explicitly (conftest.py belongs to the crawler tests)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_cache_path_layout_and_guard(tmp_path: Path) -> None:
    assert (
        cache_path(tmp_path, "https://github.com/Owner/Repo.git") == tmp_path / "repos/github.com/Owner/Repo"
    )
    assert cache_path(tmp_path, "https://gitlab.com/a/b/c") == tmp_path / "repos/gitlab.com/a/b/c"
    for bad in ("https://github.com/../etc", "https://github.com/", "https://github.com/o/r%20x"):
        with pytest.raises(ValueError):
            cache_path(tmp_path, bad)


@pytest.mark.parametrize(
    ("stderr", "status"),
    [
        ("remote: Repository not found.\nfatal: repository 'https://github.com/o/r/' not found", "not_found"),
        ("fatal: could not read Username for 'https://github.com': terminal prompts disabled", "not_found"),
        ("fatal: unable to access 'https://x/': The requested URL returned error: 404", "not_found"),
        ("fatal: '/m/x' does not appear to be a git repository", "not_a_repository"),
        ("fatal: https://example.org/p/info/refs not valid: is this a git repository?", "not_a_repository"),
        ("fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com", "network"),
        (
            "fatal: unable to access 'http://h/': Failed to connect to h port 80: Connection refused",
            "network",
        ),
        ("fatal: unable to access 'https://h/': The requested URL returned error: 502", "network"),
        ("error: unable to create file a/a/a/x.py: File name too long", "invalid"),
        ("fatal: unable to access 'https://h/': The requested URL returned error: 403", "error"),
    ],
)
def test_git_messages_map_to_statuses(stderr: str, status: str) -> None:
    assert classify_git_error(stderr) == status


def test_clone_ok_records_commit_size_files_and_submodules(
    github_mirror: GitHubMirror, tmp_path: Path
) -> None:
    url = github_mirror.add("alice/messy", repos.MESSY)
    result = clone_repository(CloneTarget(url), _cache(tmp_path))
    assert result.status == "ok", result.error
    assert result.commit == github_mirror.commits[url]
    assert result.has_submodules is True
    assert result.n_python_files == 9
    assert result.size_kb > 0
    checkout = Path(result.path)
    assert checkout == (_cache(tmp_path) / "repos/github.com/alice/messy").resolve()
    depth = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=checkout, capture_output=True, text=True, check=True
    )
    assert depth.stdout.strip() == "1"
    assert not (checkout / "EXECUTED").exists()
    assert not list(checkout.parent.glob(".*partial*")), "the temporary clone folder must be gone"
    again = clone_repository(CloneTarget(url), _cache(tmp_path))
    assert (again.status, again.reused, again.commit) == ("ok", True, result.commit)


def test_failure_statuses(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    big = github_mirror.add("bob/big", {"weights.bin": os.urandom(400_000), "train.py": "import torch\n"})
    cache = _cache(tmp_path)
    dead = clone_repository(CloneTarget("https://github.com/ghost/deleted"), cache)
    assert dead.status == "not_found", dead.error
    notgit = clone_repository(CloneTarget("https://github.com/notgit/folder"), cache)
    assert notgit.status == "not_a_repository", notgit.error
    large = clone_repository(CloneTarget(big), cache, max_size_mb=0.2)
    assert large.status == "too_large" and large.size_kb > 200
    assert not cache_path(cache, big).exists()
    slow = clone_repository(CloneTarget("https://github.com/slow/hang"), cache, timeout_s=1.5)
    assert slow.status == "timeout" and slow.seconds < 10
    assert not cache_path(cache, "https://github.com/slow/hang").exists()
    assert not list((cache / "repos/github.com").glob("*/.*partial*"))


def test_symlink_outside_checkout_is_not_followed(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    for index in range(5):
        (outside / f"secret{index}.py").write_text("import leaked\n")
    url = github_mirror.add("eve/links", {"main.py": "import numpy\n"}, symlinks={"escape": str(outside)})
    result = clone_repository(CloneTarget(url), _cache(tmp_path))
    assert result.status == "ok"
    assert (Path(result.path) / "escape").is_symlink()
    assert result.n_python_files == 1


def test_ref_is_cloned_and_missing_ref_falls_back(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    from tests.crawlers.repo_factory import git

    url = github_mirror.add("carol/branches", {"a.py": "import numpy\n"})
    source = github_mirror.root / "carol/branches"
    git(source, "checkout", "--quiet", "-b", "paper")
    (source / "b.py").write_text("import torch\n")
    git(source, "add", "b.py")
    git(source, "commit", "--quiet", "-m", "paper version")
    paper_commit = git(source, "rev-parse", "HEAD")
    git(source, "checkout", "--quiet", "main")
    on_branch = clone_repository(CloneTarget(url, "paper"), _cache(tmp_path) / "one")
    assert (on_branch.status, on_branch.commit) == ("ok", paper_commit)
    fallback = clone_repository(CloneTarget(url, "no-such-branch"), _cache(tmp_path) / "two")
    assert fallback.status == "ok" and fallback.commit == github_mirror.commits[url]
    assert "no-such-branch" in fallback.error


def test_targets_accepted_only_and_distinct() -> None:
    rows = [
        {"repo_url": "https://github.com/a/x", "accepted": "True", "repo_ref": ""},
        {"repo_url": "https://github.com/a/x", "accepted": "True", "repo_ref": "v1"},
        {"repo_url": "https://github.com/a/rejected", "accepted": "False"},
        {"repo_url": "https://github.com/a/unknown", "accepted": "", "decision": "Accept (Poster)"},
        {"repo_url": "https://github.com/a/rejected-by-decision", "accepted": "", "decision": "Reject"},
        {"repo_url": "https://github.com/a/no-decision-export", "accepted": "", "decision": ""},
        {"repo_url": "", "accepted": "True"},
    ]
    assert cloning.select_targets(rows) == [
        CloneTarget("https://github.com/a/x"),
        CloneTarget("https://github.com/a/x", "v1"),  # its own checkout: the ref is part of the key
        CloneTarget("https://github.com/a/unknown"),
        CloneTarget("https://github.com/a/no-decision-export"),
    ]
    assert len(cloning.select_targets(rows, accepted_only=False)) == 6


def test_clone_pipeline_writes_repos_csv_and_resumes(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    from audit.pipelines import clone as clone_step
    from audit.pipelines import deps as deps_step

    messy = github_mirror.add("alice/messy", repos.MESSY)
    mono = github_mirror.add("google-research/google-research", repos.MONOREPO)
    rejected = github_mirror.add("zed/rejected", {"x.py": "import numpy\n"})
    out = tmp_path / "iclr"
    write_papers_csv(
        out / "papers.csv",
        [
            {"forum": "f1", "accepted": "True", "repo_url": messy, "host": "github"},
            {"forum": "f2", "accepted": "True", "repo_url": mono, "repo_subpath": "cfq", "host": "github"},
            {
                "forum": "f3",
                "accepted": "True",
                "repo_url": "https://github.com/ghost/deleted",
                "host": "github",
            },
            {"forum": "f4", "accepted": "False", "repo_url": rejected, "host": "github"},
            {"forum": "f5", "accepted": "True", "repo_url": "", "code_url": "https://example.org"},
        ],
    )
    repos_csv = clone_step.run(out, workers=3, timeout_s=30, max_size_mb=50)
    rows = {r["repo_url"]: r for r in _read(repos_csv)}
    assert list(_read(repos_csv)[0])[:9] == [
        "repo_url",
        "status",
        "commit",
        "size_kb",
        "n_python_files",
        "has_submodules",
        "path",
        "error",
        "ref",
    ]
    assert {u: r["status"] for u, r in rows.items()} == {
        messy: "ok",
        mono: "ok",
        "https://github.com/ghost/deleted": "not_found",
    }
    assert rows[messy]["has_submodules"] == "true" and rows[mono]["has_submodules"] == "false"

    # A rerun keeps every finished outcome: even with the mirror gone, nothing is cloned again.
    first_seconds = rows[messy]["seconds"]
    (github_mirror.root / "alice/messy").rename(tmp_path / "moved")
    clone_step.run(out, workers=2, timeout_s=30, max_size_mb=50)
    again = {r["repo_url"]: r for r in _read(repos_csv)}
    assert again[messy]["status"] == "ok" and again[messy]["seconds"] == first_seconds

    deps_csv = deps_step.run(out, workers=2)
    dependencies = _read(deps_csv)
    assert list(dependencies[0]) == [
        "repo_url",
        "repo_subpath",
        "package",
        "source",
        "specifier",
        "evidence",
        "name",
        "optional",
        "resolution",
        "resolved_by",
        "canonical",
    ]
    messy_pairs = {(d["package"], d["source"]) for d in dependencies if d["repo_url"] == messy}
    assert messy_pairs == repos.MESSY_EXPECTED
    mono_pairs = {(d["package"], d["source"]) for d in dependencies if d["repo_url"] == mono}
    assert mono_pairs == repos.MONOREPO_CFQ_EXPECTED
    frameworks = {r["repo_url"]: r for r in _read(out / "frameworks.csv")}
    assert (frameworks[messy]["pytorch"], frameworks[mono]["pytorch"], frameworks[mono]["tensorflow"]) == (
        "true",
        "false",
        "true",
    )
    tools = _read(out / "all_tools.csv")
    assert list(tools[0]) == ["all_repo_names", "all_tool_names"]
    by_name = {r["all_repo_names"]: r["all_tool_names"].split(",") for r in tools}
    assert by_name["google-research/google-research/cfq"] == ["absl-py", "numpy", "tensorflow"]
    assert "pytest" not in by_name["alice/messy"] and "torch" in by_name["alice/messy"]
    signals = {r["repo_url"]: r for r in _read(out / "repo_signals.csv")}
    assert signals[mono]["imported_undeclared"] == "numpy"


def test_cli_without_papers_csv_is_a_one_line_usage_error(tmp_path: Path) -> None:
    for command in ("clone", "deps"):
        result = subprocess.run(
            [sys.executable, "-m", "audit", command, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr
        assert ("audit crawl" if command == "clone" else "audit clone") in lines[0]


def test_clone_all_never_aborts_and_reports_progress(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    good = github_mirror.add("o/good", {"a.py": "import numpy\n"})
    targets = [CloneTarget(good), CloneTarget("https://github.com/ghost/x"), CloneTarget("not a url")]
    calls: list[tuple[int, int]] = []
    results = clone_all(
        targets,
        _cache(tmp_path),
        tmp_path / "repos.csv",
        workers=2,
        progress=lambda done, total, _m: calls.append((done, total)),
    )
    assert sorted(r.status for r in results) == ["invalid", "not_found", "ok"]
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)


def test_leftovers_of_a_crash_are_not_a_checkout(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    url = github_mirror.add("o/crashed", {"a.py": "import numpy\n"})
    dest = cache_path(_cache(tmp_path), url)
    (dest.parent / ".crashed.partial-deadbeef" / ".git").mkdir(parents=True)  # killed mid-clone
    dest.mkdir(parents=True)
    (dest / "half.py").write_text("import half_written\n")  # a folder without .git is no checkout
    result = clone_repository(CloneTarget(url), _cache(tmp_path))
    assert (result.status, result.reused, result.commit) == ("ok", False, github_mirror.commits[url])
    assert sorted(p.name for p in dest.iterdir()) == [".git", "a.py"]


def test_cli_clone_then_deps(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    url = github_mirror.add("o/cli", {"main.py": "import torch\nimport tensorflow\n"})
    out = tmp_path / "venue"
    write_papers_csv(out / "papers.csv", [{"forum": "f", "accepted": "True", "repo_url": url}])
    for args in (["clone", str(out), "--workers", "2", "--max-size-mb", "5"], ["deps", str(out)]):
        result = subprocess.run(
            [sys.executable, "-m", "audit", *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
    assert _read(out / "all_tools.csv") == [{"all_repo_names": "o/cli", "all_tool_names": "tensorflow,torch"}]
    (frameworks,) = _read(out / "frameworks.csv")
    assert (frameworks["pytorch"], frameworks["tensorflow"], frameworks["n_frameworks"]) == (
        "true",
        "true",
        "2",
    )


def test_ctrl_c_stops_running_clones_at_once(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    """git runs in its own session, so Ctrl-C reaches only audit: it must stop the clones itself.

    Before, the interpreter waited at exit for each hung clone to reach its --timeout.
    """
    out = tmp_path / "venue"
    hung = ["https://github.com/slow/one", "https://github.com/slow/two"]
    write_papers_csv(out / "papers.csv", [{"forum": u, "accepted": "True", "repo_url": u} for u in hung])
    partials = tmp_path / "cache" / "repos" / "github.com" / "slow"
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit", "clone", str(out), "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    deadline = time.monotonic() + 30
    while len(list(partials.glob(".*.partial-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # both git processes have started (each made its temporary folder)
    assert len(list(partials.glob(".*.partial-*"))) == 2
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and time.monotonic() - started < 10, stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted: finished work is kept")
    assert "Traceback" not in stderr
    assert list(partials.iterdir()) == []  # the temporary folders are gone
    assert _read(out / "repos.csv") == []  # nothing was finished, nothing recorded


def test_hand_edited_garbage_in_repos_csv_is_one_line_naming_the_row(tmp_path: Path) -> None:
    """repos.csv is validated before use: a bad number is refused with its row, never read as 0."""
    path = tmp_path / "repos.csv"
    path.write_text(
        "repo_url,status,commit,size_kb,n_python_files,has_submodules,path,error\n"
        "https://github.com/o/r,ok,abc,12,3,false,,\n"
        "https://github.com/o/s,too_large,,about 2 GB,,false,,\n"
    )
    with pytest.raises(SchemaError) as caught:
        cloning.read_repos_csv(path)
    assert str(caught.value).startswith(f"{path}: row 2 (line 3): size_kb: Input should be a valid integer")
    assert caught.value.exit_code == 2
