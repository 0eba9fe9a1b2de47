"""Imports of a checkout's ``.py`` files and notebooks, file by file, so no single file can abort a scan.

pipreqs' ``get_all_imports`` parses a whole tree with one ``ast.parse`` per file and raises on the first
Python 2 or non-UTF-8 file, follows symbolic links by default, keeps no record of *which* file imported
what, and treats any folder name anywhere as a local module. This module does the same AST pass per
file, decodes bytes with ``errors="replace"``, falls back to pipreqs' own import regular expressions
(``pipreqs.pipreqs.REGEXP``) for files that do not parse, and keeps the first importing file and line as
evidence. The mapping to distributions is pipreqs' table plus overrides (:mod:`.mapping`). Notebooks
are read as JSON (code cells, IPython ``!``/``%`` lines blanked) rather than through nbconvert's
exporter, which costs far more per notebook and fails on the same malformed files.

Local modules (decided rule): a top-level import is the authors' own code when the *whole checkout*
(not only the scanned sub-folder) has a ``NAME.py``/``NAME.pyx`` file, a folder ``NAME/`` that directly
contains Python files, or a git submodule whose path ends in ``NAME`` (a shallow clone leaves submodules
empty, so ``import lib`` from a missing ``lib/`` submodule must not become a requirement). Folders
without Python files (``wandb/`` run logs, ``data/``) do not hide imports. Names in
:data:`NEVER_LOCAL` (frameworks and the big scientific packages) are never treated as local: a
``torch.py`` or a vendored ``keras/`` copy means the code is written against that library, which is
what a census counts.
"""

from __future__ import annotations

import ast
import configparser
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipreqs import pipreqs as _pipreqs

from crawlers.dependencies.declared import parse_requirement, pip_install_arguments, pip_install_commands
from crawlers.dependencies.files import MAX_FILE_BYTES, MAX_NOTEBOOK_BYTES, read_text, relative, walk_files
from crawlers.dependencies.mapping import declared_to_package, is_stdlib
from crawlers.dependencies.records import Dependency

PYTHON_SUFFIXES = (".py", ".pyw")
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

#: Fields holding nested statements (compound statements, except handlers, match cases).
_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")

#: Namespace packages whose ``from X import y`` names a distribution by ``y``.
NAMESPACE_PACKAGES = frozenset({"google", "google.cloud"})

#: Cell magics whose body is not Python (their ``pip install`` lines still count).
_NON_PYTHON_CELLS = (
    "%%bash",
    "%%sh",
    "%%script",
    "%%writefile",
    "%%html",
    "%%javascript",
    "%%latex",
    "%%markdown",
)
_SHELL_PIP = re.compile(r"^\s*[!%]")


@dataclass
class ImportScan:
    """The imports of one scanned folder, by dotted module (at most three parts) with first evidence."""

    modules: dict[str, str] = field(default_factory=dict)
    notebook_installs: list[Dependency] = field(default_factory=list)
    n_python_files: int = 0
    n_notebooks: int = 0
    fallback_files: list[str] = field(default_factory=list)

    def add(self, module: str, evidence: str) -> None:
        key = ".".join(module.split(".")[:3])
        self.modules.setdefault(key, evidence)


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement of a module, nested ones included, without visiting expressions.

    Imports are statements, so walking only statement bodies finds all of them while touching a tenth of
    the nodes ``ast.walk`` visits (the main cost of an import scan).
    """
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in _BODY_FIELDS:
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(reversed(children))


def imports_from_ast(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Absolute imports ``(dotted module, line)``; relative imports (``from . import x``) are local."""
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module in NAMESPACE_PACKAGES:  # from google.cloud import storage → google.cloud.storage
                for alias in node.names:
                    yield f"{node.module}.{alias.name}", node.lineno
            else:
                yield node.module, node.lineno


def imports_from_regex(text: str) -> Iterator[tuple[str, int]]:
    """Import lines found with pipreqs' regular expressions, for files ``ast`` cannot parse."""
    plain, from_ = _pipreqs.REGEXP
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().rstrip(";").strip()
        match = from_.match(line)
        if match:
            module = match.group(1).strip()
            if module and not module.startswith("."):
                yield module, number
            continue
        match = plain.match(line)
        if match:
            for part in match.group(1).split(","):
                name = part.strip().partition(" as ")[0].strip().strip("()")
                if re.fullmatch(r"[A-Za-z_][\w.]*", name):
                    yield name, number


def _parse_source(text: str) -> tuple[list[tuple[str, int]], bool]:
    """Imports of a source text and whether the regex fallback was needed."""
    if "import" not in text:
        return [], False
    try:
        return list(imports_from_ast(ast.parse(text))), False
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return list(imports_from_regex(text)), True


def notebook_cells(text: str) -> list[str]:
    """Code cells' sources of an ``.ipynb`` (nbformat 4 ``cells`` or nbformat 3 ``worksheets``)."""
    try:
        notebook = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(notebook, dict):
        return []
    cells = notebook.get("cells")
    if cells is None:
        cells = [c for sheet in notebook.get("worksheets") or [] for c in (sheet.get("cells") or [])]
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        sources.append("".join(source) if isinstance(source, list) else str(source or ""))
    return sources


def _notebook_installs(cell: str, evidence: str) -> list[Dependency]:
    deps = []
    for _, arguments in pip_install_commands(cell):
        for argument in pip_install_arguments(arguments):
            parsed = parse_requirement(argument)
            package = parsed and declared_to_package(parsed[0])
            if parsed and package:
                deps.append(Dependency(package, "notebook", parsed[1], evidence, name=parsed[0]))
    return deps


def scan_notebook(path: Path, root: Path, scan: ImportScan) -> None:
    """Imports and ``!pip install`` lines of one notebook; shell and magic lines are blanked, not parsed."""
    rel = relative(path, root)
    fell_back = False
    for index, cell in enumerate(notebook_cells(read_text(path, MAX_NOTEBOOK_BYTES)), start=1):
        evidence = f"{rel}:cell{index}"
        first = cell.lstrip().split("\n", 1)[0].strip()
        shell_lines = "\n".join(line.lstrip()[1:] for line in cell.splitlines() if _SHELL_PIP.match(line))
        if first.startswith(_NON_PYTHON_CELLS):
            scan.notebook_installs += _notebook_installs(cell, evidence)
            continue
        scan.notebook_installs += _notebook_installs(shell_lines, evidence)
        python = "\n".join("" if _SHELL_PIP.match(line) else line for line in cell.splitlines())
        found, fallback = _parse_source(python)
        fell_back = fell_back or fallback
        for module, _ in found:
            scan.add(module, evidence)
    if fell_back:
        scan.fallback_files.append(rel)


def scan_imports(scan_root: Path, repo_root: Path | None = None) -> ImportScan:
    """Every import under ``scan_root`` (``.py``, ``.pyw``, ``.ipynb``), evidence relative to repo_root."""
    root = repo_root or scan_root
    scan = ImportScan()
    for path in walk_files(scan_root):
        if path.suffix in PYTHON_SUFFIXES or path.suffix == ".ipynb":
            limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_FILE_BYTES
            if _size(path) > limit:  # skipped unread (a sparse or generated giant): listed as unparsed
                scan.n_python_files += path.suffix != ".ipynb"
                scan.n_notebooks += path.suffix == ".ipynb"
                scan.fallback_files.append(relative(path, root))
                continue
        if path.suffix in PYTHON_SUFFIXES:
            scan.n_python_files += 1
            rel = relative(path, root)
            found, fallback = _parse_source(read_text(path))
            if fallback:
                scan.fallback_files.append(rel)
            for module, line in found:
                scan.add(module, f"{rel}:{line}")
        elif path.suffix == ".ipynb":
            scan.n_notebooks += 1
            scan_notebook(path, root, scan)
    return scan


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


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


def local_module_names(repo_root: Path) -> set[str]:
    """Names an import may refer to inside the checkout (see the module docstring for the rule)."""
    names = submodule_names(repo_root)
    for path in walk_files(repo_root):
        if path.suffix in LOCAL_SUFFIXES:
            names.add(path.stem)
            if path.parent != repo_root:
                names.add(path.parent.name)
    return names - NEVER_LOCAL


def third_party(modules: Iterable[str], local: set[str]) -> Iterator[str]:
    """Modules that are neither standard library nor local, in the given order."""
    for module in modules:
        top = module.partition(".")[0]
        if top and not is_stdlib(module) and top not in local and not top.startswith("_"):
            yield module
