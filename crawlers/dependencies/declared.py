"""Dependencies the authors declared: requirements files, packaging metadata, conda, Pipfile, Dockerfile.

Nothing is executed: ``setup.py`` is read with :mod:`ast` (list literals, module-level variables holding
them, ``+`` of lists), TOML with :mod:`tomllib`, YAML with ``yaml.safe_load``. Each finding keeps its
file and line. Which files count:

- at the scanned root and up to two folder levels below it (research repositories often keep
  ``code/requirements.txt``), except inside vendored folders (:data:`VENDORED_DIRS`), whose metadata
  describes someone else's project;
- ``requirements*.txt`` / ``requirements/*.txt`` / ``*requirements*.txt``, ``setup.py``, ``setup.cfg``,
  ``pyproject.toml``, ``environment*.yml`` / ``.yaml``, ``Pipfile``, ``Dockerfile`` / ``Dockerfile.*`` /
  ``*.dockerfile``.

A ``python``/``python_requires`` statement is not a dependency; it is returned as a Python version.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from crawlers.dependencies.files import inside, read_text, relative, walk_files
from crawlers.dependencies.mapping import declared_to_package, normalise
from crawlers.dependencies.records import Dependency

#: Folders whose packaging files belong to a third-party copy, not to the paper's code.
VENDORED_DIRS = frozenset(
    {"third_party", "third-party", "thirdparty", "external", "externals", "vendor", "extern"}
)
DECLARED_DEPTH = 2

_NAME_FALLBACK = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_URL_REPO = re.compile(r"/([A-Za-z0-9._-]+?)(?:\.git)?(?:@[^/#]*)?(?:#.*)?$")
_PIP_INSTALL = re.compile(r"(?:^|[\s;&|(])(?:python[0-9.]*\s+-m\s+)?pip[0-9.]*\s+install\s+(.*)$")
_DOCKER_PYTHON = re.compile(r"^\s*FROM\s+(?:[\w./-]+/)?python:(\d+(?:\.\d+)*)", re.IGNORECASE | re.MULTILINE)
#: pip options that take a value (the value is skipped with the option).
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--trusted-host",
        "-c",
        "--constraint",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--src",
        "--no-binary",
        "--only-binary",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--cache-dir",
        "--timeout",
        "--retries",
        "--proxy",
        "--progress-bar",
        "--upgrade-strategy",
        "--global-option",
        "--install-option",
        "--config-settings",
    }
)


@dataclass
class DeclaredResult:
    """What the declared files of one scanned folder say."""

    dependencies: list[Dependency] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    python_versions: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- requirement strings


def parse_requirement(text: str) -> tuple[str, str] | None:
    """``(name, specifier)`` of one PEP 508 string or one ``pip install`` argument; ``None`` if no name.

    URLs give their ``#egg=`` name, ``name @ url`` its name; a local path gives nothing. Strings that
    PEP 508 rejects (``tensorflow-gpu=1.14``, ``torch>=1.0,<=1.4 # cuda``) fall back to a leading name.
    The specifier keeps markers after ``;``.
    """
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":  # a quoted shell argument
        text = text[1:-1].strip()
    if not text or text.startswith(("-", "$", "{")):
        return None
    egg = _EGG.search(text)
    if "://" in text or text.startswith("git+"):
        if " @ " in text or (
            not text.startswith(("git+", "http", "hg+", "svn+", "bzr+", "file:")) and "@" in text
        ):
            name = text.split("@", 1)[0].strip()
            return (name, "") if _NAME_FALLBACK.match(name) else None
        if egg:
            return egg.group(1), ""
        if text.startswith("git+"):
            repo = _URL_REPO.search(text.split("#", 1)[0])
            return (repo.group(1), "") if repo else None
        return None
    if text.startswith((".", "/", "~")) or (text.endswith((".whl", ".tar.gz", ".zip")) and "/" in text):
        return None
    try:
        req = Requirement(text)
    except InvalidRequirement:
        match = _NAME_FALLBACK.match(text)
        if not match:
            return None
        rest = match.group(3).strip()
        rest = re.sub(r"^=(?!=)", "==", rest)  # conda-style single '='
        return match.group(1), rest.split("#", 1)[0].strip()
    specifier = str(req.specifier)
    if req.marker is not None:
        specifier = f"{specifier}; {req.marker}" if specifier else f"; {req.marker}"
    return req.name, specifier


def _dependency(
    name: str, specifier: str, source: str, evidence: str, *, optional: bool = False, conda: bool = False
) -> Dependency | None:
    package = declared_to_package(name, conda=conda)
    if package is None:
        return None
    return Dependency(package, source, specifier, evidence, name=name, optional=optional)


def _python_version(name: str, specifier: str) -> str | None:
    return specifier.split(";", 1)[0].strip() or "any" if normalise(name) == "python" else None


def pip_install_arguments(command: str) -> list[str]:
    """Requirement strings named by one ``pip install ...`` command (options and paths dropped)."""
    try:
        tokens = shlex.split(command, comments=True)
    except ValueError:
        tokens = command.split()
    found: list[str] = []
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token in {"&&", "||", ";", "|", "\\"} or token.startswith(("&&", ";")):
            break
        if token in {"-e", "--editable"}:
            continue  # the next token is a URL (its #egg= name counts) or a local path (dropped)
        if token in _PIP_VALUE_OPTIONS or token in {"-r", "--requirement"}:
            skip_next = True
            continue
        if token.startswith("-"):
            continue
        found.append(token)
    return found


def pip_install_commands(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, arguments)`` of every ``pip install`` in shell-like text (continuations joined)."""
    logical: list[tuple[int, str]] = []
    start, buffer = 0, ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        logical.append((start, buffer + stripped))
        buffer = ""
    if buffer:
        logical.append((start, buffer))
    for number, line in logical:
        for part in re.split(r"&&|;|\|\|", line):
            match = _PIP_INSTALL.search(part)
            if match:
                yield number, match.group(1)


# --------------------------------------------------------------------------- requirements files


def _requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines with comments removed (``#`` at the start or after whitespace; ``#egg=`` kept)."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield start, line


def parse_requirements_file(
    path: Path, root: Path, source: str = "requirements.txt", *, _seen: set[Path] | None = None
) -> tuple[list[Dependency], list[str]]:
    """Dependencies of a requirements file, following ``-r`` includes inside the repository.

    Options lines (``--index-url``, ``-f``, ``--pre``, ``-c``) are skipped; ``-e`` and bare URLs give the
    ``#egg=`` name. Returns the dependencies and any ``python==X`` pins found (a common mistake).
    """
    seen = _seen if _seen is not None else set()
    try:
        key = path.resolve()
    except (OSError, RuntimeError):  # an include that is a symlink loop (RuntimeError on Python 3.11)
        return [], []
    if key in seen or not path.is_file() or not inside(path, root):
        return [], []
    seen.add(key)
    deps: list[Dependency] = []
    pythons: list[str] = []
    rel = relative(path, root)
    for number, line in _requirement_lines(read_text(path)):
        include = re.match(r"^(?:-r|--requirement)(?:\s+|=)(\S+)", line)
        if include:
            more, more_py = parse_requirements_file(path.parent / include.group(1), root, source, _seen=seen)
            deps += more
            pythons += more_py
            continue
        editable = re.match(r"^(?:-e|--editable)(?:\s+|=)(\S+)", line)
        if editable:
            line = editable.group(1)
        elif line.startswith("-"):
            continue
        line = re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0]  # per-requirement options: --hash=...
        parsed = parse_requirement(line)
        if parsed is None:
            continue
        version = _python_version(*parsed)
        if version is not None:
            pythons.append(version)
            continue
        dep = _dependency(parsed[0], parsed[1], source, f"{rel}:{number}")
        if dep:
            deps.append(dep)
    return deps, pythons


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
                dep = parsed and _dependency(
                    parsed[0], parsed[1], "setup.py", f"{rel}:{line}", optional=optional
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
        version = _python_version(*parsed)
        if version is not None:
            pythons.append(version)
            continue
        dep = _dependency(parsed[0], parsed[1], source, _evidence(rel, text, parsed[0]), optional=optional)
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
        return [
            v.strip() for v in raw.replace(";", "\n;").splitlines() if v.strip() and not v.startswith(";")
        ]

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
        dep = _dependency(name, spec, source, _evidence(rel, text, name), optional=optional)
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
            dep = _dependency(name, spec, "environment.yml", _evidence(rel, text, name), conda=True)
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
                dep = parsed and _dependency(
                    parsed[0], parsed[1], "environment.yml", _evidence(rel, text, parsed[0], pip_line)
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
            dep = parsed and _dependency(parsed[0], parsed[1], "Dockerfile", f"{rel}:{number}")
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


def find_declared_files(scan_root: Path) -> list[tuple[Path, str]]:
    """Declaration files at ``scan_root`` and up to :data:`DECLARED_DEPTH` levels below, not vendored."""
    found = []
    for path in walk_files(scan_root, max_depth=DECLARED_DEPTH):
        parts = {p.lower() for p in path.relative_to(scan_root).parts[:-1]}
        if parts & VENDORED_DIRS:
            continue
        kind = declared_kind(path)
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


def read_declared(scan_root: Path, repo_root: Path | None = None) -> DeclaredResult:
    """Every declared dependency under ``scan_root`` (evidence relative to ``repo_root``)."""
    root = repo_root or scan_root
    result = DeclaredResult(python_versions=_python_files(scan_root))
    seen: set[Path] = set()
    for path, kind in find_declared_files(scan_root):
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
