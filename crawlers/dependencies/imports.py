"""Imports of a checkout's ``.py`` files and notebooks, file by file, so no single file can abort a scan.

pipreqs' ``get_all_imports`` parses a whole tree with one ``ast.parse`` per file and raises on the first
Python 2 or non-UTF-8 file, follows symbolic links by default, keeps no record of *which* file imported
what, and treats any folder name anywhere as a local module. This module does the same AST pass per
file, decodes bytes with ``errors="replace"``, falls back to pipreqs' own import regular expressions
(``pipreqs.pipreqs.REGEXP``) for notebook cells that do not parse, and keeps every import *site*:
file, line and context. ``.py`` files go through :mod:`.fastscan` (same results, a fraction of the
cost; ``ast`` only for files that look like Python 2). Notebooks are read as JSON (code cells,
IPython ``!``/``%`` lines blanked) rather than through nbconvert's exporter, which costs far more per
notebook and fails on the same malformed files.

The context of an import says how much it tells about the code (:data:`CONTEXTS`): ``module`` (runs
when the file is imported or run: module level, also inside module-level ``if``/``with``/``class``),
``function`` (inside a ``def``: runs only when called), ``optional`` (inside a module-level
``try`` whose handler catches ``ImportError``, ``ModuleNotFoundError``, ``Exception`` or everything)
and ``typing`` (under ``if TYPE_CHECKING:``). Which names are the authors' own modules is decided per
importing file by :mod:`.local`.

A file is recorded as Python 2 when it does not parse as Python 3 and shows Python 2 syntax (``print
"x"``, ``except E, e:``, ``raise E, "msg"``, ``exec "code"``), when it imports a module only Python 2
has at module level outside an optional block (``cPickle``, ``urllib2``), or, for a notebook, when its
kernel is a Python 2 kernel.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipreqs import pipreqs as _pipreqs

from crawlers.dependencies.fastscan import scan_source
from crawlers.dependencies.files import MAX_FILE_BYTES, MAX_NOTEBOOK_BYTES, Tree, read_text, relative
from crawlers.dependencies.mapping import PY2_STDLIB
from crawlers.dependencies.records import Dependency
from crawlers.dependencies.requirements import (
    make_dependency,
    parse_requirement,
    pip_install_arguments,
    pip_install_commands,
    requirement_guessed,
)

PYTHON_SUFFIXES = (".py", ".pyw")

#: Import contexts, strongest first: a file's context for a module is the strongest of its sites.
CONTEXTS = ("module", "function", "optional", "typing")

#: Fields holding nested statements (compound statements, except handlers, match cases).
_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
#: Statements that hold other statements (every other statement is a leaf of the walk).
_COMPOUND = (
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.ExceptHandler,
    ast.Match,
    ast.match_case,
)
_OPTIONAL_HANDLERS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})

#: Namespace packages whose ``from X import y`` names a distribution by ``y``.
NAMESPACE_PACKAGES = frozenset({"google", "google.cloud"})

#: Modules only Python 2 has (``imp`` survived until 3.12, so it says nothing).
PY2_ONLY = PY2_STDLIB - {"imp"}

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
_PY2_SYNTAX = re.compile(
    r"^\s*print(?:\s+[\"'\w]|\s*>>)"  # print "x", print x, print >>f, x
    r"|^\s*exec\s+[\"'\w]"
    r"|^\s*except\s+[\w.]+\s*,\s*\w+\s*:"
    r"|^\s*raise\s+[\w.]+\s*,\s*\S",
    re.MULTILINE,
)
_BLOCK = re.compile(r"^(\s*)(def|async\s+def|class|try|except|finally|if|elif|else|with|for|while)\b.*:\s*$")


@dataclass(frozen=True)
class ImportSite:
    """One import statement: the module (at most three dotted parts), where, and in which context."""

    module: str
    file: str
    evidence: str
    context: str
    notebook: bool = False


@dataclass
class ImportScan:
    """Every import site under one scanned folder, plus what the scan learnt about its files."""

    sites: list[ImportSite] = field(default_factory=list)
    notebook_installs: list[Dependency] = field(default_factory=list)
    n_python_files: int = 0
    n_notebooks: int = 0
    fallback_files: list[str] = field(default_factory=list)
    python2_files: list[str] = field(default_factory=list)
    #: Files that Python 3.6, what the published 2020 census ran on, parses although 3.11 does not
    #: (``async``/``await`` as names), and files that are not UTF-8 (pipreqs 0.4 aborts on both kinds
    #: differently: on the second, not the first).
    parse_on_python36: list[str] = field(default_factory=list)
    not_utf8: list[str] = field(default_factory=list)

    def add(self, module: str, file: str, evidence: str, context: str, *, notebook: bool = False) -> None:
        key = ".".join(module.split(".")[:3])
        self.sites.append(ImportSite(key, file, evidence, context, notebook))

    @property
    def modules(self) -> dict[str, str]:
        """Dotted module → first evidence, over every site (local modules included)."""
        first: dict[str, str] = {}
        for site in self.sites:
            first.setdefault(site.module, site.evidence)
        return first


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for kind in kinds:
            name = kind.id if isinstance(kind, ast.Name) else getattr(kind, "attr", "")
            if name in _OPTIONAL_HANDLERS:
                return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
    return name == "TYPE_CHECKING"


def _child_contexts(node: ast.AST, context: str) -> dict[str, str]:
    """The context each body field of ``node`` runs in."""
    if isinstance(node, _FUNCTIONS) or context == "function":
        return dict.fromkeys(_BODY_FIELDS, "function")
    if context == "module" and isinstance(node, ast.Try | ast.TryStar) and _catches_import_error(node):
        return {"body": "optional", "handlers": "optional", "orelse": "optional", "finalbody": context}
    if context == "module" and isinstance(node, ast.If) and _is_type_checking(node.test):
        return {"body": "typing", "orelse": context}
    return dict.fromkeys(_BODY_FIELDS, context)


def _statements(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Every statement with its context, nested ones included, without visiting expressions.

    Imports are statements, so walking only statement bodies finds all of them while touching a tenth of
    the nodes ``ast.walk`` visits (the main cost of an import scan).
    """
    stack: list[tuple[ast.AST, str]] = [(tree, "module")]
    while stack:
        node, context = stack.pop()
        yield node, context
        if not isinstance(node, _COMPOUND):
            continue
        contexts = _child_contexts(node, context)
        for name in reversed(_BODY_FIELDS):
            children = getattr(node, name, None)
            if isinstance(children, list):
                inner = contexts.get(name, context)
                stack.extend((child, inner) for child in reversed(children))


def imports_from_ast(tree: ast.AST) -> Iterator[tuple[str, int, str]]:
    """Absolute imports ``(dotted module, line, context)``; relative ones (``from . import x``) are local."""
    for node, context in _statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, context
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module in NAMESPACE_PACKAGES:  # from google.cloud import storage → google.cloud.storage
                for alias in node.names:
                    yield f"{node.module}.{alias.name}", node.lineno, context
            else:
                yield node.module, node.lineno, context


def _regex_context(blocks: list[tuple[int, str]], indent: int) -> str:
    """The context of a line at ``indent`` given the open blocks above it (regex fallback)."""
    while blocks and blocks[-1][0] >= indent:
        blocks.pop()
    kinds = {kind for _, kind in blocks}
    if kinds & {"def", "async def"}:
        return "function"
    if kinds & {"try", "except"}:
        return "optional"
    return "module"


def imports_from_regex(text: str) -> Iterator[tuple[str, int, str]]:
    """Import lines found with pipreqs' regular expressions, for files ``ast`` cannot parse.

    The context comes from indentation: the nearest enclosing ``def`` makes it ``function``, an
    enclosing ``try``/``except`` ``optional``.
    """
    plain, from_ = _pipreqs.REGEXP
    blocks: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        code = raw.split("#", 1)[0].rstrip()
        if not code.strip():
            continue
        indent = len(code) - len(code.lstrip())
        context = _regex_context(blocks, indent)
        opener = _BLOCK.match(code)
        if opener:
            blocks.append((indent, " ".join(opener.group(2).split())))
        line = code.strip().rstrip(";").strip()
        match = from_.match(line)
        if match:
            module = match.group(1).strip()
            if module and not module.startswith("."):
                yield module, number, context
            continue
        match = plain.match(line)
        if match:
            for part in match.group(1).split(","):
                name = part.strip().partition(" as ")[0].strip().strip("()")
                if re.fullmatch(r"[A-Za-z_][\w.]*", name):
                    yield name, number, context


def parse_source(text: str) -> tuple[list[tuple[str, int, str]], bool]:
    """Imports of a source text and whether the regex fallback was needed."""
    if "import" not in text:
        return [], False
    try:
        return list(imports_from_ast(ast.parse(text))), False
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return list(imports_from_regex(text)), True


def looks_like_python2(text: str, found: list[tuple[str, int, str]], fell_back: bool) -> bool:
    """Python 2 syntax in a file Python 3 cannot parse, or a Python-2-only module imported unconditionally."""
    if fell_back and _PY2_SYNTAX.search(text):
        return True
    return any(context == "module" and module.split(".")[0] in PY2_ONLY for module, _, context in found)


def _notebook(text: str) -> dict | None:
    try:
        notebook = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return notebook if isinstance(notebook, dict) else None


def notebook_cells(text: str) -> list[str]:
    """Code cells' sources of an ``.ipynb`` (nbformat 4 ``cells`` or nbformat 3 ``worksheets``)."""
    notebook = _notebook(text)
    return _cells(notebook) if notebook is not None else []


def _cells(notebook: dict) -> list[str]:
    cells = notebook.get("cells")
    if cells is None:
        sheets = notebook.get("worksheets") or []
        cells = [c for sheet in sheets if isinstance(sheet, dict) for c in (sheet.get("cells") or [])]
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        sources.append("".join(source) if isinstance(source, list) else str(source or ""))
    return sources


def _python2_kernel(notebook: dict) -> bool:
    metadata = notebook.get("metadata") if isinstance(notebook.get("metadata"), dict) else {}
    kernel = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else {}
    language = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    version = str(language.get("version") or "")
    return str(kernel.get("name") or "").lower() in {"python2", "python 2"} or version.startswith("2.")


def _notebook_installs(cell: str, evidence: str) -> list[Dependency]:
    deps = []
    for _, arguments in pip_install_commands(cell):
        for argument in pip_install_arguments(arguments):
            parsed = parse_requirement(argument)
            dep = parsed and make_dependency(
                parsed[0], parsed[1], "notebook", evidence, guessed=requirement_guessed(argument)
            )
            if dep:
                deps.append(dep)
    return deps


def scan_notebook(path: Path, root: Path, scan: ImportScan, rel: str = "") -> None:
    """Imports and ``!pip install`` lines of one notebook; shell and magic lines are blanked, not parsed."""
    rel = rel or relative(path, root)
    notebook = _notebook(read_text(path, MAX_NOTEBOOK_BYTES))
    if notebook is None:
        return
    fell_back = python2 = False
    for index, cell in enumerate(_cells(notebook), start=1):
        evidence = f"{rel}:cell{index}"
        first = cell.lstrip().split("\n", 1)[0].strip()
        shell_lines = "\n".join(line.lstrip()[1:] for line in cell.splitlines() if _SHELL_PIP.match(line))
        if first.startswith(_NON_PYTHON_CELLS):
            scan.notebook_installs += _notebook_installs(cell, evidence)
            continue
        scan.notebook_installs += _notebook_installs(shell_lines, evidence)
        python = "\n".join("" if _SHELL_PIP.match(line) else line for line in cell.splitlines())
        found, fallback = parse_source(python)
        fell_back = fell_back or fallback
        python2 = python2 or looks_like_python2(python, found, fallback)
        for module, _, context in found:
            scan.add(module, rel, evidence, context, notebook=True)
    if fell_back:
        scan.fallback_files.append(rel)
    if python2 or _python2_kernel(notebook):
        scan.python2_files.append(rel)


def _parses_on_python36(text: str) -> bool:
    try:
        ast.parse(text, feature_version=(3, 6))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def scan_python_file(path: Path, root: Path, scan: ImportScan, rel: str = "") -> None:
    """Imports of one ``.py`` file: the fast scanner (:mod:`.fastscan`), and ``ast`` for files it finds
    suspect (Python 2 statements, conflict markers), which decides whether Python 3 can parse them."""
    rel = rel or relative(path, root)
    text = read_text(path)
    found, suspect = scan_source(text)
    fallback = False
    if suspect or "\x00" in text:  # NUL bytes: no Python can parse the file, whatever it imports
        try:
            found = list(imports_from_ast(ast.parse(text)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            fallback = True  # keep the fast scanner's imports: it reads Python 2 as well
    if fallback:
        scan.fallback_files.append(rel)
        if _parses_on_python36(text):
            scan.parse_on_python36.append(rel)
    if "\ufffd" in text:
        scan.not_utf8.append(rel)
    if looks_like_python2(text, found, fallback):
        scan.python2_files.append(rel)
    for module, line, context in found:
        scan.add(module, rel, f"{rel}:{line}", context)


def scan_imports(scan_root: Path, repo_root: Path | None = None, tree: Tree | None = None) -> ImportScan:
    """Every import under ``scan_root`` (``.py``, ``.pyw``, ``.ipynb``), paths relative to repo_root."""
    root = repo_root or scan_root
    tree = tree or Tree.scan(root)
    scan = ImportScan()
    for file in tree.under(tree.folder(scan_root)):
        suffix = file[file.rfind(".") :] if "." in file.rpartition("/")[2] else ""
        if suffix in PYTHON_SUFFIXES or suffix == ".ipynb":
            limit = MAX_NOTEBOOK_BYTES if suffix == ".ipynb" else MAX_FILE_BYTES
            if _size(root / file) > limit:  # skipped unread (a sparse or generated giant): listed as unparsed
                scan.n_python_files += suffix != ".ipynb"
                scan.n_notebooks += suffix == ".ipynb"
                scan.fallback_files.append(file)
                continue
        if suffix in PYTHON_SUFFIXES:
            scan.n_python_files += 1
            scan_python_file(root / file, root, scan, rel=file)
        elif suffix == ".ipynb":
            scan.n_notebooks += 1
            scan_notebook(root / file, root, scan, rel=file)
    return scan


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
