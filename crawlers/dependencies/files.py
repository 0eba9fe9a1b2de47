"""Walking and reading a checkout without trusting it.

Symbolic links are never followed (a crawled repository may link to ``/etc`` or to the user's home),
files over a size limit are skipped (generated data, minified notebooks), and environment or cache
folders that are not the authors' code are not descended into.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

#: Folder names never descended into: VCS data, caches and committed virtual environments. ``env`` and
#: ``build`` are *not* here (RL code keeps its environments in ``env/``); a committed virtual environment
#: is recognised by its ``pyvenv.cfg`` instead.
IGNORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "virtualenv",
        "site-packages",
        "node_modules",
        "__pycache__",
        ".ipynb_checkpoints",
        ".eggs",
    }
)

#: Largest file read, in bytes; bigger ``.py`` or declaration files are data, not code worth parsing.
MAX_FILE_BYTES = 5_000_000
#: Notebooks carry their outputs (images), so they may be larger.
MAX_NOTEBOOK_BYTES = 50_000_000


def walk_files(root: Path, *, max_depth: int | None = None) -> Iterator[Path]:
    """Regular files under ``root`` in sorted order; links skipped, ignored folders pruned.

    ``max_depth`` 0 means only ``root``'s own files, 1 also its subfolders' files, and so on. The
    order is ``os.walk``'s top-down order (a folder's files, then its sub-folders by name). Built on
    ``os.scandir``, whose entries know their type without one ``stat`` per file (walking is a large
    part of the cost on research repositories that commit thousands of data files), with a stack of
    its own: thousands of nested folders cost no recursion.
    """
    if not root.is_dir() or root.is_symlink():
        return
    stack: list[tuple[str, int]] = [(str(root), 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_file(follow_symlinks=False):
                    yield Path(entry.path)
                elif entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.path)
            except OSError:
                continue
        if max_depth is not None and depth >= max_depth:
            continue
        stack.extend((path, depth + 1) for path in reversed(subfolders) if _descend(Path(path)))


def _descend(folder: Path) -> bool:
    name = folder.name
    if name in IGNORED_DIRS or name.endswith(".egg-info") or folder.is_symlink():
        return False
    return not (folder / "pyvenv.cfg").exists()


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A file's text: UTF-8 (BOM tolerated), undecodable bytes replaced so one bad byte costs nothing."""
    try:
        if path.is_symlink() or path.stat().st_size > limit:
            return ""
        data = path.read_bytes()
    except OSError:
        return ""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes, for evidence columns."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` resolves inside ``root`` (guards ``-r ../../etc/passwd`` style includes)."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return False
    return True


def linked_root(checkout: Path, subpath: str) -> tuple[Path, bool]:
    """The folder a paper links (a linked file: its folder) and whether it was found; the whole
    checkout when it is missing, a link, or outside the checkout. Shared by `audit deps` and the
    checklist so that both read the same code base."""
    sub = subpath.strip().strip("/")
    if not sub:
        return checkout, True
    candidate = checkout / sub
    if candidate.is_symlink() or not inside(candidate, checkout):
        return checkout, False
    if candidate.is_dir():
        return candidate, True
    if candidate.is_file():
        return candidate.parent, True
    return checkout, False


class Tree:
    """One walk of a checkout, shared by every step of an analysis (the walk is a large part of the
    cost on repositories that commit thousands of data files, and five steps need it).

    ``files`` are paths relative to ``root`` with forward slashes, in :func:`walk_files` order.
    """

    def __init__(self, root: Path, files: list[str]) -> None:
        self.root = root
        self.files = files

    @classmethod
    def scan(cls, root: Path) -> Tree:
        prefix = len(str(root)) + 1
        return cls(root, [str(path)[prefix:].replace(os.sep, "/") for path in walk_files(root)])

    def folder(self, path: Path) -> str:
        """``path`` (a folder inside the checkout) relative to the root; ``""`` for the root itself."""
        return "" if path == self.root else relative(path, self.root)

    def under(self, folder: str, max_depth: int | None = None) -> list[str]:
        """Files below ``folder`` (relative, ``""`` for all), at most ``max_depth`` folders deeper."""
        prefix = f"{folder}/" if folder else ""
        start = len(prefix)
        found = [f for f in self.files if f.startswith(prefix)] if prefix else list(self.files)
        if max_depth is None:
            return found
        return [f for f in found if f.count("/", start) <= max_depth]
