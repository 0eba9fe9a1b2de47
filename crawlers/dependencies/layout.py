"""What each file of a checkout is: the authors' own code, a test, an example, a conversion script, or part
of a vendored copy of another distribution.

Framework attribution needs this (:mod:`.frameworks`): a PyTorch repository that carries a copied
``foolbox/`` with TensorFlow adapters, a ``convert_tf_checkpoint_to_pytorch.py`` or a ``tests/`` folder
importing a second framework still *is* a PyTorch repository.

A folder below the scanned root is a **vendored copy** when

1. it sits in a folder named like :data:`VENDORED_DIRS` (``third_party/``, ``external/``, ``vendor/``),
   each child being one copy; or
2. it holds its own packaging file (``setup.py``, ``setup.cfg``, ``pyproject.toml``) naming a
   distribution that PyPI knows (the wheel facts of :mod:`.aliases`) other than this repository; or
3. it holds a licence file (``LICENSE*``, ``COPYING*``) and is a package or holds one, and holds less
   than half of the scanned Python files (a folder with most of the code is the authors' own work,
   often a modified fork they build on); or
4. it is a package named exactly like a known distribution that provides that import, or like one of
   the research libraries of :data:`VENDORED_LIBRARIES` (``foolbox/``, ``cleverhans/``),
   not this repository's own name, and carries a version (``__version__`` in its ``__init__.py`` or a
   ``VERSION``/``version.py`` file): a released library's layout. A bare name match is not enough:
   ``agents/``, ``ops/``, ``datasets/`` are also everyday names of the authors' own packages.

The copy's distribution is the name in its packaging file, else the distribution its folder name is
the import name of, else the folder name. Files get one category each, the first that applies:
``vendored``, ``conversion`` (file or folder named ``convert*``/``conversion``, or ``tf2torch``-style
``<framework>_to_<framework>``), ``tests`` (``test``/``tests`` folders, ``test_*.py``, ``*_test.py``,
``conftest.py``), ``examples`` (``examples``, ``demo``, ``samples``, ``tutorials`` folders), else ``own``.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from crawlers.dependencies.aliases import JUNK_TOP_LEVEL, providers, wheel_facts
from crawlers.dependencies.files import Tree, read_text
from crawlers.dependencies.mapping import normalise

#: Folders whose children are copies of other projects.
VENDORED_DIRS = frozenset(
    {"third_party", "third-party", "thirdparty", "external", "externals", "vendor", "vendored", "extern"}
)
PACKAGING_FILES = ("setup.py", "setup.cfg", "pyproject.toml")
#: Research libraries that papers copy into their repositories, beyond the ranked distributions of the
#: wheel facts (a released library's layout: its package folder with a version).
VENDORED_LIBRARIES = frozenset(
    {
        "foolbox",
        "cleverhans",
        "baselines",
        "stable_baselines",
        "gym_minigrid",
        "maskrcnn_benchmark",
        "detectron2",
        "mmcv",
        "mmdet",
        "fairseq",
        "apex",
        "spinup",
        "rllab",
        "allennlp",
        "pytorch_pretrained_bert",
        "advertorch",
        "torchdiffeq",
    }
)
_VERSION_FILES = frozenset({"VERSION", "version.py", "_version.py", "__version__.py"})
_LICENCE = re.compile(r"^(licen[cs]e|copying)(\.(txt|md|rst))?$", re.IGNORECASE)
_TEST_DIRS = frozenset({"test", "tests", "testing", "unittest", "unittests"})
_EXAMPLE_DIRS = frozenset(
    {"example", "examples", "demo", "demos", "sample", "samples", "tutorial", "tutorials"}
)
_FRAMEWORK_WORDS = (
    r"(?:tf|tensorflow|torch|pytorch|pt|keras|jax|flax|caffe2?|mxnet|chainer|onnx|paddle|theano)"
)
_CONVERSION = re.compile(
    rf"(?:^|_)(?:convert\w*|conversion|converters?)(?:_|$)|(?:^|_){_FRAMEWORK_WORDS}_?(?:2|to)_?{_FRAMEWORK_WORDS}(?:_|$)"
)
CATEGORIES = ("own", "tests", "examples", "conversion", "vendored")


@dataclass(frozen=True)
class VendoredCopy:
    """A copy of another distribution inside the checkout: its folder and the distribution's name."""

    folder: str
    distribution: str
    reason: str


@dataclass
class Layout:
    """Vendored copies of one scanned folder and the category of each file."""

    vendored: list[VendoredCopy] = field(default_factory=list)

    def copy_of(self, file: str) -> VendoredCopy | None:
        """The vendored copy ``file`` (relative to the checkout) belongs to, if any.

        A file directly in a ``third_party/``-style folder is a copy named after its own stem.
        """
        found = next((v for v in self.vendored if file.startswith(v.folder + "/")), None)
        if found:
            return found
        parts = file.split("/")
        for index, part in enumerate(parts[:-1]):
            if part.lower() in VENDORED_DIRS:
                name = posixpath.splitext(parts[index + 1])[0]
                return VendoredCopy("/".join(parts[: index + 2]), normalise(name), f"inside {part}/")
        return None

    def category(self, file: str) -> str:
        """One of :data:`CATEGORIES` for a file relative to the checkout."""
        if self.copy_of(file):
            return "vendored"
        parts = file.lower().split("/")
        stem = posixpath.splitext(parts[-1])[0]
        if any(_CONVERSION.search(part) for part in [*parts[:-1], stem]):
            return "conversion"
        if set(parts[:-1]) & _TEST_DIRS or stem.startswith("test_") or stem.endswith("_test"):
            return "tests"
        if stem in {"conftest", "tests", "test"}:
            return "tests"
        if set(parts[:-1]) & _EXAMPLE_DIRS:
            return "examples"
        return "own"


def packaging_name(folder: Path) -> str | None:
    """The distribution name a folder's own packaging file declares (``setup(name=...)`` read with ast)."""
    setup = folder / "setup.py"
    if setup.is_file() and not setup.is_symlink():
        try:
            tree = ast.parse(read_text(setup))
        except (SyntaxError, ValueError):
            tree = None
        for node in ast.walk(tree) if tree else ():
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup"
            ):
                for keyword in node.keywords:
                    value = keyword.value
                    if (
                        keyword.arg == "name"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        return value.value
    cfg = folder / "setup.cfg"
    if cfg.is_file() and not cfg.is_symlink():
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(read_text(cfg))
            name = parser.get("metadata", "name", fallback="").strip()
        except configparser.Error:
            name = ""
        if name:
            return name
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        try:
            data = tomllib.loads(read_text(pyproject))
        except tomllib.TOMLDecodeError:
            return None
        for table in (data.get("project") or {}, ((data.get("tool") or {}).get("poetry") or {})):
            if isinstance(table, dict) and isinstance(table.get("name"), str):
                return table["name"]
    return None


def _known_import(name: str) -> str | None:
    """The ranked distribution that provides import ``name`` (a known layout), else None."""
    if name.lower() in JUNK_TOP_LEVEL or not name.isidentifier():
        return None
    ranked = [d for d in providers(name) if d in wheel_facts().ranks]
    return ranked[0] if ranked else None


def detect_layout(scan_root: Path, repo_root: Path, repo_name: str = "", tree: Tree | None = None) -> Layout:
    """Find the vendored copies under ``scan_root`` (see the module docstring for the rules)."""
    tree = tree or Tree.scan(repo_root)
    own = {normalise(repo_name)} if repo_name else set()
    own.add(normalise(repo_root.name))
    scan = tree.folder(scan_root)
    folders: dict[str, set[str]] = {}
    for file in tree.under(scan):
        folder, _, name = file.rpartition("/")
        folders.setdefault(folder, set()).add(name)
    root_name = packaging_name(scan_root)
    if root_name:
        own.add(normalise(root_name))
    layout = Layout()
    for folder in sorted(folders, key=lambda f: (f.count("/"), f)):
        if folder in ("", scan) or layout.copy_of(folder + "/x"):
            continue
        copy = _vendored(folder, folders, repo_root, own)
        if copy:
            layout.vendored.append(copy)
    # A licence alone is weak evidence: a folder holding most of the code is the authors' own work
    # (often a modified fork they build on), not a copy beside it.
    python = [f for f in tree.under(scan) if f.endswith(".py")]
    for copy in [c for c in layout.vendored if c.reason == "its own licence file"]:
        inside_copy = sum(1 for f in python if f.startswith(copy.folder + "/"))
        if 2 * inside_copy >= len(python):
            layout.vendored.remove(copy)
    return layout


def _holds_package(folder: str, folders: dict[str, set[str]]) -> bool:
    if "__init__.py" in folders.get(folder, set()):
        return True
    return any(posixpath.dirname(f) == folder and "__init__.py" in names for f, names in folders.items())


def _vendored(
    folder: str, folders: dict[str, set[str]], repo_root: Path, own: set[str]
) -> VendoredCopy | None:
    parts = folder.split("/")
    name = parts[-1]
    if name.lower() in VENDORED_DIRS:
        return None  # its children are the copies (rule 1, and Layout.copy_of for its own files)
    if len(parts) >= 2 and parts[-2].lower() in VENDORED_DIRS:
        dist = packaging_name(repo_root / folder) or name
        return VendoredCopy(folder, normalise(dist), f"inside {parts[-2]}/")
    files = folders.get(folder, set())
    if files & set(PACKAGING_FILES):
        declared = packaging_name(repo_root / folder)
        if declared and normalise(declared) not in own and normalise(declared) in wheel_facts().modules:
            return VendoredCopy(folder, normalise(declared), f"its own packaging file names {declared}")
    if any(_LICENCE.match(f) for f in files) and _holds_package(folder, folders):
        dist = packaging_name(repo_root / folder) or name
        if normalise(dist) not in own:
            return VendoredCopy(folder, normalise(dist), "its own licence file")
    if "__init__.py" in files and normalise(name) not in own and _released_library(name):
        init = read_text(repo_root / folder / "__init__.py")
        if files & _VERSION_FILES or "__version__" in init:
            return VendoredCopy(
                folder, normalise(name), f"the layout of {name} (its package, with a version)"
            )
    return None


def _released_library(name: str) -> bool:
    """A package name that a known distribution is named after (``foolbox/`` is foolbox's package)."""
    return name in VENDORED_LIBRARIES or _known_import(name) == normalise(name)
