"""Dependencies the authors declared: requirements files, packaging metadata, conda, Pipfile, Dockerfile.

Nothing is executed: ``setup.py`` is read with :mod:`ast` (list literals, module-level variables holding
them, ``+`` of lists), TOML with :mod:`tomllib`, YAML with ``yaml.safe_load``. Each finding keeps its
file and line. Which files count:

- at the scanned root and up to two folder levels below it (research repositories often keep
  ``code/requirements.txt``), except inside vendored folders (:data:`VENDORED_DIRS` and the copies
  :mod:`.layout` detects), whose metadata describes someone else's project;
- ``requirements*.txt`` / ``requirements/*.txt`` / ``*requirements*.txt``, ``setup.py``, ``setup.cfg``,
  ``pyproject.toml``, ``environment*.yml`` / ``.yaml`` (only with a ``dependencies`` list), ``Pipfile``,
  ``Dockerfile`` / ``Dockerfile.*`` / ``*.dockerfile``.

Requirement strings and requirements files are read by :mod:`.requirements`.

A ``python``/``python_requires`` statement is not a dependency; it is returned as a Python version.
"""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crawlers.dependencies.files import Tree, read_text, relative
from crawlers.dependencies.mapping import normalise
from crawlers.dependencies.records import Dependency
from crawlers.dependencies.requirements import (
    make_dependency,
    parse_requirement,
    parse_requirements_file,
    pip_install_arguments,
    pip_install_commands,
    python_version,
    requirement_guessed,
)

#: Folders whose packaging files belong to a third-party copy, not to the paper's code.
VENDORED_DIRS = frozenset(
    {"third_party", "third-party", "thirdparty", "external", "externals", "vendor", "extern"}
)
DECLARED_DEPTH = 2

_DOCKER_PYTHON = re.compile(r"^\s*FROM\s+(?:[\w./-]+/)?python:(\d+(?:\.\d+)*)", re.IGNORECASE | re.MULTILINE)


@dataclass
class DeclaredResult:
    """What the declared files of one scanned folder say."""

    dependencies: list[Dependency] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    python_versions: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- setup.py


def _string_items(
    node: ast.AST | None, assignments: dict[str, ast.AST], depth: int = 0
) -> list[tuple[str, int]]:
    """String constants of a list/tuple expression, resolving names and ``+`` (never calling anything)."""
    if node is None or depth > 5:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(line, node.lineno) for line in node.value.splitlines() if line.strip()]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items: list[tuple[str, int]] = []
        for element in node.elts:
            items += _string_items(element, assignments, depth + 1)
        return items
    if isinstance(node, ast.Name):
        return _string_items(assignments.get(node.id), assignments, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _string_items(node.left, assignments, depth + 1) + _string_items(
            node.right, assignments, depth + 1
        )
    return []


def _dict_items(node: ast.AST | None, assignments: dict[str, ast.AST]) -> list[tuple[str, int]]:
    if isinstance(node, ast.Name):
        node = assignments.get(node.id)
    items: list[tuple[str, int]] = []
    if isinstance(node, ast.Dict):
        for value in node.values:
            items += _string_items(value, assignments)
    return items


def parse_setup_py(path: Path, root: Path) -> tuple[list[Dependency], list[str]]:
    """``install_requires`` and ``extras_require`` of every ``setup(...)`` call, read with ``ast``."""
    try:
        tree = ast.parse(read_text(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # also hostile nesting
        return [], []
    assignments: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assignments[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            assignments[node.target.id] = node.value
    rel = relative(path, root)
    deps: list[Dependency] = []
    pythons: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name != "setup":
            continue
        for keyword in node.keywords:
            if keyword.arg == "install_requires":
                found, optional = _string_items(keyword.value, assignments), False
            elif keyword.arg == "extras_require":
                found, optional = _dict_items(keyword.value, assignments), True
            elif keyword.arg == "python_requires":
                pythons += [text for text, _ in _string_items(keyword.value, assignments)]
                continue
            else:
                continue
            for text, line in found:
                parsed = parse_requirement(text)
                dep = parsed and make_dependency(
                    parsed[0],
                    parsed[1],
                    "setup.py",
                    f"{rel}:{line}",
                    optional=optional,
                    guessed=requirement_guessed(text),
                )
                if dep:
                    deps.append(dep)
    return deps, pythons


# --------------------------------------------------------------------------- setup.cfg, TOML, YAML


def _line_of(text: str, needle: str, after: int = 0) -> int:
    """1-based line of the first line at or after ``after`` mentioning ``needle`` as a word (0 if none)."""
    pattern = re.compile(rf"(?<![\w.-]){re.escape(needle)}(?![\w-])", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= after and pattern.search(line):
            return number
    return 0


def _evidence(rel: str, text: str, needle: str, after: int = 0) -> str:
    line = _line_of(text, needle, after)
    return f"{rel}:{line}" if line else rel


def _from_strings(
    strings: Iterable[Any], source: str, rel: str, text: str, *, optional: bool = False
) -> tuple[list[Dependency], list[str]]:
    deps: list[Dependency] = []
    pythons: list[str] = []
    for item in strings:
        if not isinstance(item, str):
            continue
        parsed = parse_requirement(item)
        if parsed is None:
            continue
        version = python_version(*parsed)
        if version is not None:
            pythons.append(version)
            continue
        evidence = _evidence(rel, text, parsed[0])
        dep = make_dependency(
            parsed[0], parsed[1], source, evidence, optional=optional, guessed=requirement_guessed(item)
        )
        if dep:
            deps.append(dep)
    return deps, pythons


def parse_setup_cfg(path: Path, root: Path) -> tuple[list[Dependency], list[str]]:
    """``[options] install_requires`` and ``[options.extras_require]`` of a setup.cfg."""
    text = read_text(path)
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return [], []
    rel = relative(path, root)

    def values(raw: str) -> list[str]:
        # setuptools' rule for requirement lists: one per line when the value spans lines (so an
        # environment marker after ';' stays with its requirement), else ';'-separated on one line.
        items = raw.splitlines() if "\n" in raw.strip() else raw.split(";")
        return [v.strip() for v in items if v.strip() and not v.strip().startswith(("#", ";"))]

    deps, pythons = _from_strings(
        values(parser.get("options", "install_requires", fallback="")), "setup.cfg", rel, text
    )
    requires = parser.get("options", "python_requires", fallback="").strip()
    if requires:
        pythons.append(requires)
    if parser.has_section("options.extras_require"):
        for _, raw in parser.items("options.extras_require"):
            more, _ = _from_strings(values(raw), "setup.cfg", rel, text, optional=True)
            deps += more
    return deps, pythons


def _poetry_spec(value: Any) -> str:
    if isinstance(value, str):
        return "" if value.strip() == "*" else value.strip()
    if isinstance(value, dict):
        return str(value.get("version", "")).strip().replace("*", "")
    return ""


def _table_deps(
    table: Any, source: str, rel: str, text: str, *, optional: bool
) -> tuple[list[Dependency], list[str]]:
    """Poetry/Pipfile style ``name = "spec"`` tables."""
    deps: list[Dependency] = []
    pythons: list[str] = []
    if not isinstance(table, dict):
        return deps, pythons
    for name, value in table.items():
        spec = _poetry_spec(value)
        if normalise(name) == "python":
            pythons.append(spec or "any")
            continue
        dep = make_dependency(name, spec, source, _evidence(rel, text, name), optional=optional)
        if dep:
            deps.append(dep)
    return deps, pythons


def _load_toml(path: Path, root: Path) -> tuple[dict[str, Any], str, str] | None:
    """(data, path relative to the checkout, text) of a TOML file; None when it does not parse,
    since one broken file of a repository must only cost that file's dependencies."""
    text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return data, relative(path, root), text


def parse_pyproject(path: Path, root: Path) -> tuple[list[Dependency], list[str]]:
    """PEP 621 ``dependencies`` / ``optional-dependencies`` and Poetry dependency tables."""
    loaded = _load_toml(path, root)
    if loaded is None:
        return [], []
    data, rel, text = loaded
    project = data.get("project") or {}
    deps, pythons = _from_strings(project.get("dependencies") or [], "pyproject.toml", rel, text)
    if isinstance(project.get("requires-python"), str):
        pythons.append(project["requires-python"])
    for group in (project.get("optional-dependencies") or {}).values():
        more, _ = _from_strings(group or [], "pyproject.toml", rel, text, optional=True)
        deps += more
    poetry = (data.get("tool") or {}).get("poetry") or {}
    more, more_py = _table_deps(poetry.get("dependencies"), "pyproject.toml", rel, text, optional=False)
    deps, pythons = deps + more, pythons + more_py
    groups = [poetry.get("dev-dependencies")] + [
        g.get("dependencies") for g in (poetry.get("group") or {}).values() if isinstance(g, dict)
    ]
    for group in groups:
        more, _ = _table_deps(group, "pyproject.toml", rel, text, optional=True)
        deps += more
    return deps, pythons


def parse_pipfile(path: Path, root: Path) -> tuple[list[Dependency], list[str]]:
    """``[packages]`` and ``[dev-packages]`` (optional) of a Pipfile; ``[requires] python_version``."""
    loaded = _load_toml(path, root)
    if loaded is None:
        return [], []
    data, rel, text = loaded
    deps, pythons = _table_deps(data.get("packages"), "Pipfile", rel, text, optional=False)
    more, _ = _table_deps(data.get("dev-packages"), "Pipfile", rel, text, optional=True)
    requires = data.get("requires") or {}
    for key in ("python_version", "python_full_version"):
        if isinstance(requires.get(key), str):
            pythons.append(requires[key])
    return deps + more, pythons


def _conda_entry(entry: str) -> tuple[str, str]:
    """``numpy=1.18.1=py37h...`` → ``(numpy, ==1.18.1)``; ``numpy>=1.1`` → ``(numpy, >=1.1)``."""
    entry = entry.strip().split("::")[-1]
    match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", entry)
    if not match:
        return entry, ""
    name, rest = match.group(1), match.group(2).strip()
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:].split("=", 1)[0].strip()  # drop the build string
        rest = f"=={version}" if version and "*" not in version else ""
    return name, rest.replace(" ", "")


def is_conda_environment(path: Path) -> bool:
    """A YAML file is a conda environment only when it has a ``dependencies`` list.

    Research code keeps other YAML beside it under similar names (``env_config.yaml`` of an RL
    project, ``environment_params.yml``); those are configuration, not declarations.
    """
    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and isinstance(data.get("dependencies"), list)


def parse_environment(path: Path, root: Path) -> tuple[list[Dependency], list[str]]:
    """Conda ``dependencies`` (build strings stripped, conda names mapped) and the ``pip:`` section."""
    text = read_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return [], []
    if not isinstance(data, dict):
        return [], []
    rel = relative(path, root)
    deps: list[Dependency] = []
    pythons: list[str] = []
    for entry in data.get("dependencies") or []:
        if isinstance(entry, str):
            name, spec = _conda_entry(entry)
            if normalise(name) == "python":
                pythons.append(spec or "any")
                continue
            dep = make_dependency(name, spec, "environment.yml", _evidence(rel, text, name), conda=True)
            if dep:
                deps.append(dep)
        elif isinstance(entry, dict) and isinstance(entry.get("pip"), list):
            pip_line = _line_of(text, "pip:")
            for item in entry["pip"]:
                if not isinstance(item, str):
                    continue
                include = re.match(r"^(?:-r|--requirement)(?:\s+|=)(\S+)", item.strip())
                if include:
                    more, more_py = parse_requirements_file(
                        path.parent / include.group(1), root, "environment.yml"
                    )
                    deps, pythons = deps + more, pythons + more_py
                    continue
                parsed = parse_requirement(item)
                dep = parsed and make_dependency(
                    parsed[0],
                    parsed[1],
                    "environment.yml",
                    _evidence(rel, text, parsed[0], pip_line),
                    guessed=requirement_guessed(item),
                )
                if dep:
                    deps.append(dep)
    return deps, pythons


def parse_dockerfile(path: Path, root: Path) -> tuple[list[Dependency], list[str]]:
    """``pip install`` arguments of ``RUN`` lines; ``FROM python:X`` gives a Python version."""
    text = read_text(path)
    rel = relative(path, root)
    deps: list[Dependency] = []
    for number, arguments in pip_install_commands(text):
        for argument in pip_install_arguments(arguments):
            parsed = parse_requirement(argument)
            dep = parsed and make_dependency(
                parsed[0], parsed[1], "Dockerfile", f"{rel}:{number}", guessed=requirement_guessed(argument)
            )
            if dep:
                deps.append(dep)
    return deps, _DOCKER_PYTHON.findall(text)


# --------------------------------------------------------------------------- discovery


def declared_kind(path: Path) -> str | None:
    """The ``source`` a file would be read as, or ``None`` when it is not a declaration file."""
    name, lower = path.name, path.name.lower()
    if lower.endswith(".txt") and ("requirement" in lower or path.parent.name.lower() == "requirements"):
        return "requirements.txt"
    if name == "setup.py":
        return "setup.py"
    if name == "setup.cfg":
        return "setup.cfg"
    if name == "pyproject.toml":
        return "pyproject.toml"
    if lower.endswith((".yml", ".yaml")) and (
        lower.startswith(("environment", "conda", "env")) or "conda" in lower
    ):
        return "environment.yml"
    if name == "Pipfile":
        return "Pipfile"
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "Dockerfile"
    return None


_PARSERS = {
    "setup.py": parse_setup_py,
    "setup.cfg": parse_setup_cfg,
    "pyproject.toml": parse_pyproject,
    "environment.yml": parse_environment,
    "Pipfile": parse_pipfile,
    "Dockerfile": parse_dockerfile,
}


def find_declared_files(
    scan_root: Path, vendored: Iterable[Path] = (), tree: Tree | None = None
) -> list[tuple[Path, str]]:
    """Declaration files at ``scan_root`` and up to :data:`DECLARED_DEPTH` levels below, not vendored.

    ``vendored`` lists folders holding copies of other distributions (:mod:`.layout`); their
    packaging files describe those distributions, not the paper's code. A YAML file counts only when it
    is a conda environment (:func:`is_conda_environment`).
    """
    tree = tree or Tree.scan(scan_root)
    skip = list(vendored)
    scan = tree.folder(scan_root)
    found = []
    for file in tree.under(scan, max_depth=DECLARED_DEPTH):
        path = tree.root / file
        parts = {p.lower() for p in file[len(scan) + 1 if scan else 0 :].split("/")[:-1]}
        if parts & VENDORED_DIRS or any(path.is_relative_to(folder) for folder in skip):
            continue
        kind = declared_kind(path)
        if kind == "environment.yml" and not is_conda_environment(path):
            continue
        if kind:
            found.append((path, kind))
    return found


def _python_files(scan_root: Path) -> list[str]:
    versions: list[str] = []
    for name in (".python-version", "runtime.txt"):
        path = scan_root / name
        if path.is_file() and not path.is_symlink():
            value = read_text(path).strip().splitlines()[:1]
            if value:
                versions.append(value[0].removeprefix("python-").strip())
    return versions


def read_declared(
    scan_root: Path, repo_root: Path | None = None, vendored: Iterable[Path] = (), tree: Tree | None = None
) -> DeclaredResult:
    """Every declared dependency under ``scan_root`` (evidence relative to ``repo_root``)."""
    root = repo_root or scan_root
    result = DeclaredResult(python_versions=_python_files(scan_root))
    seen: set[Path] = set()
    for path, kind in find_declared_files(scan_root, vendored, tree):
        result.files.append(relative(path, root))
        result.kinds.append(kind)
        if kind == "requirements.txt":
            if path.resolve() in seen:  # already read through a -r include
                continue
            deps, pythons = parse_requirements_file(path, root, _seen=seen)
        else:
            deps, pythons = _PARSERS[kind](path, root)
        result.dependencies += deps
        result.python_versions += pythons
    return result
