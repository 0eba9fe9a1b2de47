"""A commit's files written from git's objects: no filter, no hook, no link that leaves the tree.

Why not ``git archive`` or a checkout: both run the smudge/clean filters that the repository's own
``.gitattributes`` selects (an LFS filter downloads from a server the repository names; any filter
the user configured runs on the stranger's content), and a checkout writes whatever the tree holds,
links to ``/etc/passwd`` included. Here every blob is read raw with ``git cat-file --batch`` and
written by this module:

- paths are checked component by component (no ``..``, ``.``, empty or ``.git`` component);
- regular files are created with ``O_EXCL | O_NOFOLLOW`` before any link exists, so a tree with a
  duplicate name (a link ``a`` and a folder ``a/``) cannot make a file land through a link;
- links are created last and kept only when they resolve inside the exported folder; the others,
  submodules (gitlinks: nothing is fetched for them) and unwritable paths are listed in ``skipped``;
- the uncompressed total and the number of files are capped (a packfile of a few kilobytes can
  inflate to gigabytes of zeros).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from core.checkout import git_command, git_env

#: Files an export may hold.
MAX_FILES = 100_000
#: How many skipped entries are named (the count is always exact).
MAX_NAMED = 50


class ExportError(Exception):
    """The commit could not be exported (git failed, or a cap was reached); one line."""


@dataclass
class ExportReport:
    """What an export wrote and what it left out, and why."""

    files: int = 0
    links: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    skipped_count: int = 0

    def skip(self, path: bytes, why: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_NAMED:
            self.skipped.append(f"{os.fsdecode(path)!r}: {why}")


def export_commit(
    repo: Path, commit: str, dest: Path, *, max_bytes: int, max_files: int = MAX_FILES
) -> ExportReport:
    """Write ``commit``'s files into the empty or missing folder ``dest``; see the module docstring."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ExportError(f"export folder {dest} is not empty")
    entries = _ls_tree(repo, commit)
    report = ExportReport()
    blobs = [(mode, sha, path) for mode, kind, sha, path in entries if kind == "blob"]
    for _mode, kind, _sha, path in entries:
        if kind != "blob":
            report.skip(path, "submodule (not fetched)" if kind == "commit" else f"{kind} entry")
    if len(blobs) > max_files:
        raise ExportError(f"commit {commit} has {len(blobs)} files, over the cap of {max_files}")
    root = os.fsencode(dest)
    links: list[tuple[bytes, bytes]] = []
    with _CatFile(repo) as objects:
        for mode, sha, path in blobs:
            problem = _bad_path(path)
            if problem:
                report.skip(path, problem)
                continue
            data = objects.read(sha, budget=max_bytes - report.bytes)
            if data is None:
                raise ExportError(f"commit {commit} unpacks to over {max_bytes / 1_000_000:g} MB")
            if mode == "120000":
                links.append((path, data))
                continue
            report.bytes += len(data)
            why = _write_file(root, path, data, 0o755 if mode == "100755" else 0o644)
            if why:
                report.skip(path, why)
            else:
                report.files += 1
    for path, target in links:
        why = _write_link(root, path, target)
        if why:
            report.skip(path, why)
        else:
            report.links += 1
    _drop_escaping_links(root, report)
    return report


def _ls_tree(repo: Path, commit: str) -> list[tuple[str, str, str, bytes]]:
    result = subprocess.run(
        git_command("ls-tree", "-r", "-z", "--full-tree", commit, cwd=repo),
        capture_output=True,
        env=git_env(),
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines() or ["git ls-tree failed"]
        raise ExportError(f"cannot list {commit}: {message[-1]}")
    entries = []
    for record in result.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, sha = meta.decode("ascii").split(" ")
        entries.append((mode, kind, sha, path))
    return entries


class _CatFile:
    """``git cat-file --batch``: one object at a time, raw (no filters, no text conversion)."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(
            git_command("cat-file", "--batch", cwd=repo),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env(),
        )

    def __enter__(self) -> _CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()

    def read(self, sha: str, *, budget: int) -> bytes | None:
        """The blob's bytes, or None when it is bigger than ``budget`` (then it is not read at all)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(sha.encode("ascii") + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise ExportError(f"object {sha} is missing from the repository")
        size = int(header[2])
        if size > budget:
            return None
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after each object
        return data


def _bad_path(path: bytes) -> str:
    parts = path.split(b"/")
    if path.startswith(b"/") or b"\0" in path:
        return "absolute path"
    for part in parts:
        if part in (b"", b".", b".."):
            return "path with an empty, '.' or '..' component"
        if part.lower() == b".git":
            return "path through a .git folder"
    return ""


def _write_file(root: bytes, path: bytes, data: bytes, mode: int) -> str:
    target = os.path.join(root, path)
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except FileExistsError:
        return "duplicate path in the tree"
    except OSError as exc:
        return f"not written ({exc.strerror})"
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(target, mode)  # the umask must not decide the exec bit
    return ""


def _write_link(root: bytes, path: bytes, target: bytes) -> str:
    if not target or b"\0" in target or os.path.isabs(target):
        return "link to an absolute path (not kept)"
    where = os.path.join(root, path)
    try:
        os.makedirs(os.path.dirname(where), exist_ok=True)
        os.symlink(target, where)
    except FileExistsError:
        return "duplicate path in the tree"
    except OSError as exc:
        return f"link not written ({exc.strerror})"
    return ""


def _drop_escaping_links(root: bytes, report: ExportReport) -> None:
    """Remove every link that resolves outside ``root`` (also through other links), until none does."""
    top = os.path.realpath(root)
    changed = True
    while changed:
        changed = False
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in dirs + files:
                where = os.path.join(folder, name)
                if not os.path.islink(where):
                    continue
                resolved = os.path.realpath(where)
                if resolved != top and not resolved.startswith(top + b"/"):
                    os.unlink(where)
                    report.links -= 1
                    report.skip(os.path.relpath(where, root), "link that leaves the tree (not kept)")
                    changed = True
