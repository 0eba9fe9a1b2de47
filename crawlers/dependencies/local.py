"""Which imports are the authors' own modules: names importable from a plausible root, per importing file.

pipreqs (and this project until issue 14) treated any ``.py`` stem or folder name *anywhere* in the tree
as local, so a nested ``utils/datasets.py`` hid Hugging Face ``datasets`` and ``scripts/evaluate.py``
hid ``evaluate``. Python itself finds a module only on ``sys.path``, so the rule follows what running
research code puts there:

- everywhere: the names directly in the repository root and in the scanned sub-folder (code is run
  from there), the names of top-level packages (a folder with ``__init__.py`` whose parent has none: an
  installed or ``src/``-layout package), and git submodule paths (a shallow clone leaves them empty,
  so ``import lib`` from a missing ``lib/`` submodule must not become a requirement);
- for a file in a folder that is not a package (a script folder: running ``python a/b/run.py`` puts
  ``a/b`` on ``sys.path``, and such scripts often add ``..`` themselves), the names in its own folder
  and in the folders above it;
- for a notebook, the names in its folder (its working directory), and the folders above it;
- for a Python 2 file, also the names beside it (implicit relative imports).

A "name in a folder" is a ``.py``/``.pyx``/``.pyi`` stem there or a sub-folder that directly holds
Python files (folders of run logs or data, like ``wandb/``, hide nothing). Names in :data:`NEVER_LOCAL`
(frameworks and the big scientific packages) are never local: a ``torch.py`` or a vendored ``keras/``
copy means the code is written against that library, which is what a census counts.
"""

from __future__ import annotations

import configparser
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from crawlers.dependencies.files import Tree, read_text

LOCAL_SUFFIXES = (".py", ".pyw", ".pyx", ".pyi")

#: Import names never treated as local modules, even when a same-named file or folder exists.
NEVER_LOCAL = frozenset(
    {
        "torch",
        "torchvision",
        "tensorflow",
        "keras",
        "jax",
        "flax",
        "haiku",
        "mxnet",
        "theano",
        "chainer",
        "paddle",
        "numpy",
        "scipy",
        "pandas",
        "sklearn",
        "matplotlib",
        "cv2",
        "PIL",
        "transformers",
        "gym",
    }
)


@dataclass
class LocalNames:
    """The local names of one checkout; :meth:`is_local` answers per importing file."""

    everywhere: set[str] = field(default_factory=set)
    by_folder: dict[str, set[str]] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)

    def _folder_and_above(self, folder: str) -> set[str]:
        names: set[str] = set()
        while True:
            names |= self.by_folder.get(folder, set())
            if folder in ("", "."):
                return names
            folder = posixpath.dirname(folder)

    def is_local(self, top: str, file: str, *, notebook: bool = False, python2: bool = False) -> bool:
        """True when ``import top`` in ``file`` (relative to the checkout) finds the authors' own code."""
        if top in NEVER_LOCAL:
            return False
        if top in self.everywhere:
            return True
        folder = posixpath.dirname(file)
        if notebook or folder not in self.packages:
            return top in self._folder_and_above(folder)
        return python2 and top in self.by_folder.get(folder, set())


def submodule_names(repo_root: Path) -> set[str]:
    """Last path parts of the submodules listed in ``.gitmodules`` (their folders are empty here)."""
    path = repo_root / ".gitmodules"
    if not path.is_file() or path.is_symlink():
        return set()
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(read_text(path))
    except configparser.Error:
        return set()
    names = set()
    for section in parser.sections():
        value = parser.get(section, "path", fallback="").strip().rstrip("/")
        if value:
            names.add(value.rsplit("/", 1)[-1])
    return names


def local_names(repo_root: Path, scan_root: Path | None = None, tree: Tree | None = None) -> LocalNames:
    """Collect the names of every folder of the checkout and the names that are local everywhere."""
    tree = tree or Tree.scan(repo_root)
    local = LocalNames()
    for file in tree.files:
        folder, _, name = file.rpartition("/")
        stem, dot, suffix = name.rpartition(".")
        if not dot or f".{suffix}" not in LOCAL_SUFFIXES:
            continue
        local.by_folder.setdefault(folder, set()).add(stem)
        if name == "__init__.py":
            local.packages.add(folder)
        if folder:
            parent, _, base = folder.rpartition("/")
            local.by_folder.setdefault(parent, set()).add(base)
    scan = tree.folder(scan_root) if scan_root else ""
    local.everywhere = submodule_names(repo_root) | local.by_folder.get("", set())
    local.everywhere |= local.by_folder.get(scan, set())
    for package in local.packages:
        if package and posixpath.dirname(package) not in local.packages:
            local.everywhere.add(posixpath.basename(package))
    local.everywhere -= NEVER_LOCAL
    return local


def local_module_names(repo_root: Path, scan_root: Path | None = None) -> set[str]:
    """The names that are local for every file of the checkout (see the module docstring)."""
    return set(local_names(repo_root, scan_root).everywhere)
