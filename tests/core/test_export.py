"""Exporting a commit from git's objects: hostile trees (made with ``git mktree``, which checks nothing).

A server does not have to fsck what it sends, so a tree may hold names a checkout would refuse
(``..``, ``.git``), duplicate names (a link ``a`` and a folder ``a/``), links out of the tree, links
that escape only through other links, submodules, LFS pointers with filters configured to run, and
blobs that inflate far beyond their packed size. Each must give the documented outcome, and nothing
outside the export folder may change.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from core.export import ExportError, export_commit
from tests.reproducers.hostile import git

MB = 1_000_000


def blob(repo: Path, data: bytes) -> str:
    result = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=data, capture_output=True, check=True
    )
    return result.stdout.decode().strip()


def tree(repo: Path, entries: list[tuple[str, str, str]]) -> str:
    """``git mktree`` from (mode, sha, name); modes 100644/100755/120000 blobs, 040000 trees, 160000."""
    kinds = {"040000": "tree", "160000": "commit"}
    text = "".join(f"{mode} {kinds.get(mode, 'blob')} {sha}\t{name}\n" for mode, sha, name in entries)
    result = subprocess.run(
        ["git", "mktree", "--missing"], cwd=repo, input=text.encode(), capture_output=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().strip()


def commit(repo: Path, tree_sha: str) -> str:
    return git("commit-tree", tree_sha, "-m", "hostile tree", cwd=repo)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git("init", "--quiet", "--bare", str(path), cwd=tmp_path)
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A host folder next to the export: it must stay exactly as it is."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("host secret\n")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_a_plain_tree_is_exported_byte_for_byte_with_its_exec_bits(repo: Path, tmp_path: Path) -> None:
    script = blob(repo, b"#!/bin/sh\necho hi\n")
    text = blob(repo, b"line one\r\nline two\n")  # CRLF stays CRLF: no text conversion
    sub = tree(repo, [("100644", text, "notes.txt")])
    top = tree(
        repo,
        [
            ("100755", script, "run.sh"),
            ("040000", sub, "docs"),
            ("120000", blob(repo, b"docs/notes.txt"), "readme"),
        ],
    )
    dest = tmp_path / "export"
    report = export_commit(repo, commit(repo, top), dest, max_bytes=MB)
    assert (dest / "run.sh").read_bytes() == b"#!/bin/sh\necho hi\n"
    assert (dest / "docs" / "notes.txt").read_bytes() == b"line one\r\nline two\n"
    assert os.stat(dest / "run.sh").st_mode & 0o777 == 0o755
    assert os.stat(dest / "docs" / "notes.txt").st_mode & 0o777 == 0o644
    assert os.readlink(dest / "readme") == "docs/notes.txt"  # a link inside the tree is kept as a link
    assert (report.files, report.links, report.bytes, report.skipped) == (2, 1, 37, [])


def test_links_out_of_the_tree_are_dropped_even_through_other_links(
    repo: Path, tmp_path: Path, outside: Path
) -> None:
    data = blob(repo, b"x")
    deeper = tree(repo, [("120000", blob(repo, b"../../r"), "L"), ("120000", blob(repo, b"L/../../.."), "x")])
    middle = tree(repo, [("040000", deeper, "q"), ("120000", blob(repo, b"../r/file"), "ok")])
    top = tree(
        repo,
        [
            ("040000", middle, "p"),
            ("040000", tree(repo, [("100644", data, "file")]), "r"),
            ("120000", blob(repo, str(outside / "secret.txt").encode()), "absolute"),
            ("120000", blob(repo, b"../outside/secret.txt"), "climbs"),
            ("120000", blob(repo, b"."), "self"),
        ],
    )
    dest = tmp_path / "export"
    report = export_commit(repo, commit(repo, top), dest, max_bytes=MB)
    links = sorted(str(path.relative_to(dest)) for path in dest.rglob("*") if path.is_symlink())
    # p/q/x reads as inside (p/q/L/../../..) but L is ../../r, so x resolves above the export: dropped.
    assert links == ["p/ok", "p/q/L", "self"]
    assert sorted(report.skipped) == [
        "'absolute': link to an absolute path (not kept)",
        "'climbs': link that leaves the tree (not kept)",
        "'p/q/x': link that leaves the tree (not kept)",
    ]
    assert (report.links, report.skipped_count) == (3, 3)
    assert snapshot(outside) == {"secret.txt": b"host secret\n"}


def test_hostile_names_and_duplicates_never_write_outside(repo: Path, tmp_path: Path, outside: Path) -> None:
    data = blob(repo, b"planted\n")
    inner = tree(repo, [("100644", data, "planted.txt")])
    top = tree(
        repo,
        [
            ("100644", data, ".."),
            ("100644", data, ".git"),
            ("040000", tree(repo, [("100644", data, "config")]), ".GIT"),
            ("120000", blob(repo, b"../outside"), "a"),  # a link named a ...
            ("040000", inner, "a"),  # ... and a folder a/: the file must not land through the link
            ("100644", data, "twice"),
            ("100644", blob(repo, b"second\n"), "twice"),
            ("040000", tree(repo, [("160000", "1" * 40, "lib")]), "vendor"),
        ],
    )
    dest = tmp_path / "export"
    report = export_commit(repo, commit(repo, top), dest, max_bytes=MB)
    assert sorted(str(path.relative_to(dest)) for path in dest.rglob("*")) == ["a", "a/planted.txt", "twice"]
    assert not (dest / "a").is_symlink()
    assert (dest / "twice").read_bytes() == b"planted\n"  # the first of two entries wins
    assert sorted(report.skipped) == [
        "'..': path with an empty, '.' or '..' component",
        "'.GIT/config': path through a .git folder",
        "'.git': path through a .git folder",
        "'a': duplicate path in the tree",
        "'twice': duplicate path in the tree",
        "'vendor/lib': submodule (not fetched)",
    ]
    assert snapshot(outside) == {"secret.txt": b"host secret\n"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export", "outside", "repo"]


def test_a_blob_that_inflates_past_the_cap_stops_the_export(repo: Path, tmp_path: Path) -> None:
    zeros = blob(repo, bytes(30 * MB))  # 30 MB of zeros pack into about 30 kB
    packed = sum(path.stat().st_size for path in (repo / "objects").rglob("*") if path.is_file())
    assert packed < MB
    top = tree(repo, [("100644", blob(repo, b"small\n"), "a.txt"), ("100644", zeros, "weights.bin")])
    with pytest.raises(ExportError, match=r"^commit [0-9a-f]{40} unpacks to over 10 MB$"):
        export_commit(repo, commit(repo, top), tmp_path / "export", max_bytes=10 * MB)
    assert not (tmp_path / "export" / "weights.bin").exists()  # never read, never written


def test_too_many_files_and_a_missing_commit_are_one_line(repo: Path, tmp_path: Path) -> None:
    data = blob(repo, b"")
    top = tree(repo, [("100644", data, f"f{index}") for index in range(12)])
    with pytest.raises(ExportError, match=r"^commit [0-9a-f]{40} has 12 files, over the cap of 10$"):
        export_commit(repo, commit(repo, top), tmp_path / "a", max_bytes=MB, max_files=10)
    with pytest.raises(ExportError, match=r"^cannot list 0{40}: fatal: "):
        export_commit(repo, "0" * 40, tmp_path / "b", max_bytes=MB)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "old.txt").write_text("from an earlier export")
    with pytest.raises(ExportError, match="is not empty"):
        export_commit(repo, commit(repo, top), tmp_path / "c", max_bytes=MB)


def test_lfs_and_other_filters_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's git has an LFS smudge filter and another filter, both writing a canary if run; the
    repository's .gitattributes selects both. The export holds the raw pointer; no canary. Control:
    ``git archive`` (what the export used before) runs them."""
    canary = tmp_path / "canaries" / "filter-ran"
    canary.parent.mkdir()
    script = tmp_path / "filter.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> {canary}\nexec cat\n')
    script.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(
        f'[filter "lfs"]\n\tsmudge = {script} lfs\n\trequired = true\n'
        f'[filter "evil"]\n\tsmudge = {script} evil\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    work = tmp_path / "work"
    work.mkdir()
    git("init", "--quiet", cwd=work)
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 123456789\n"
    (work / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n*.cfg filter=evil\n")
    (work / "model.bin").write_text(pointer)
    (work / "run.cfg").write_text("lr = 0.1\n")
    env = {"GIT_CONFIG_GLOBAL": os.devnull}  # commit without the filters' clean side
    git("add", ".", cwd=work, env=env)
    git("commit", "--quiet", "-m", "lfs", cwd=work, env=env)
    sha = git("rev-parse", "HEAD", cwd=work)
    report = export_commit(work, sha, tmp_path / "export", max_bytes=MB)
    assert (tmp_path / "export" / "model.bin").read_text() == pointer
    assert (tmp_path / "export" / "run.cfg").read_text() == "lr = 0.1\n"
    assert report.files == 3 and not canary.exists()
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(tmp_path / "a.tar"), sha], cwd=work, check=True
    )
    assert sorted(canary.read_text().split()) == ["evil", "lfs"]
