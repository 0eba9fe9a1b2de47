"""Walking and reading a checkout without trusting it.

Symbolic links are never followed (a crawled repository may link to ``/etc`` or to the user's home),
files over a size limit are skipped (generated data, minified notebooks), and environment or cache
folders that are not the authors' code are not descended into.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from core.checkout import walk

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

    ``max_depth`` 0 means only ``root``'s own files, 1 also its subfolders' files, and so on. The walk
    keeps its own stack (``core.checkout.walk``): thousands of nested folders cost no recursion.
    """
    root_depth = len(root.parts)
    for base, dirs, files in walk(root):
        depth = len(base.parts) - root_depth
        if max_depth is not None and depth >= max_depth:
            dirs[:] = []
        else:
            dirs[:] = [d for d in dirs if _descend(base / d)]
        for name in files:
            path = base / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path


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
