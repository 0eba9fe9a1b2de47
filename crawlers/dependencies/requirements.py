"""Requirement strings and requirements files: ``pip install`` arguments, PEP 508 lines, URLs.

Shared by every declared source (requirements files, setup.py, conda ``pip:`` sections, Dockerfile and
notebook ``pip install`` lines). A requirement that names its distribution (``torch==1.4``, ``name @
url``, ``#egg=name``, a wheel or sdist file name) gives that name; a bare VCS or archive URL gives its
repository name, which is only a guess (``git+https://github.com/cocodataset/cocoapi`` installs
``pycocotools``), so :func:`name_is_guessed` tells the caller to mark the row ``guessed``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from crawlers.dependencies.files import inside, read_text, relative
from crawlers.dependencies.mapping import declared_to_package, normalise
from crawlers.dependencies.records import Dependency

_NAME_FALLBACK = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_URL_REPO = re.compile(r"/([A-Za-z0-9._-]+?)(?:\.git)?(?:@[^/#]*)?(?:#.*)?$")
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip")
_FILE_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._]*?)-(\d[\w.+!]*?)(?:-|\.(?:whl|tar|tgz|zip))")
_GITHUB_ARCHIVE = re.compile(r"github\.com/[^/]+/([^/]+)/(?:archive|tarball|zipball)/", re.IGNORECASE)
_URL_SCHEMES = ("git+", "http", "hg+", "svn+", "bzr+", "file:")
_PIP_INSTALL = re.compile(r"(?:^|[\s;&|(])(?:python[0-9.]*\s+-m\s+)?pip[0-9.]*\s+install\s+(.*)$")
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


# --------------------------------------------------------------------------- requirement strings


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":  # a quoted shell argument
        text = text[1:-1].strip()
    return text


def name_from_file(location: str) -> tuple[str, str] | None:
    """``(name, ==version)`` of a wheel or sdist file name at the end of a URL or path, else None.

    ``https://download.pytorch.org/whl/cu100/torch-1.0.0-cp36-cp36m-linux_x86_64.whl`` → ``torch``,
    ``==1.0.0`` (packaging's own file-name parsers; a non-standard name falls back to ``name-<digit>``).
    """
    last = location.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not last.lower().endswith(_ARCHIVE_SUFFIXES):
        return None
    try:
        if last.lower().endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(last)
        else:
            name, version = parse_sdist_filename(last)
        return str(name), f"=={version}"
    except (InvalidWheelFilename, InvalidSdistFilename):
        match = _FILE_NAME.match(last)
        return (match.group(1), f"=={match.group(2)}") if match else None


def _url_requirement(text: str) -> tuple[str, str] | None:
    if " @ " in text or (not text.startswith(_URL_SCHEMES) and "@" in text):
        name = text.split("@", 1)[0].strip()
        return (name, "") if _NAME_FALLBACK.match(name) else None
    egg = _EGG.search(text)
    if egg:
        return egg.group(1), ""
    from_file = name_from_file(text)
    if from_file:
        return from_file
    archive = _GITHUB_ARCHIVE.search(text)
    if archive:
        return _strip_git(archive.group(1)), ""
    if text.startswith(("git+", "hg+", "svn+", "bzr+")) or re.search(r"\.git(?:[@#]|$)", text):
        repo = _URL_REPO.search(text.split("#", 1)[0])
        return (repo.group(1), "") if repo else None
    return None


def _strip_git(name: str) -> str:
    return name[:-4] if name.endswith(".git") else name


def requirement_guessed(text: str) -> bool:
    """True when the name :func:`parse_requirement` gives is a repository name taken from a URL (a guess).

    A wheel or sdist file name, ``#egg=name`` and ``name @ url`` say which distribution it is; a bare
    ``git+https://github.com/owner/repo`` or a GitHub archive URL only say where its code lives.
    """
    text = _unquote(text)
    if not ("://" in text or text.startswith("git+")):
        return False
    if " @ " in text or (not text.startswith(_URL_SCHEMES) and "@" in text) or _EGG.search(text):
        return False
    return name_from_file(text) is None


def parse_requirement(text: str) -> tuple[str, str] | None:
    """``(name, specifier)`` of one PEP 508 string or one ``pip install`` argument; ``None`` if no name.

    URLs give their ``#egg=`` name, ``name @ url`` its name, a wheel or sdist file its distribution and
    version, a VCS or GitHub archive URL its repository name (see :func:`requirement_guessed`); a local
    folder gives nothing. Strings that PEP 508 rejects (``tensorflow-gpu=1.14``, ``torch>=1.0,<=1.4 #
    cuda``) fall back to a leading name. The specifier keeps markers after ``;``.
    """
    text = _unquote(text)
    if not text or text.startswith(("-", "$", "{")):
        return None
    if "://" in text or text.startswith("git+"):
        return _url_requirement(text)
    if text.startswith((".", "/", "~")) or "/" in text:
        return name_from_file(text)
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


def make_dependency(
    name: str,
    specifier: str,
    source: str,
    evidence: str,
    *,
    optional: bool = False,
    conda: bool = False,
    guessed: bool = False,
) -> Dependency | None:
    """A declared row (``resolution`` declared at its file and line, or guessed from a URL)."""
    package = declared_to_package(name, conda=conda)
    if package is None:
        return None
    if guessed:
        resolution, resolved_by = "guessed", "repository name in a URL"
    else:
        resolution, resolved_by = "declared", evidence
    return Dependency(
        package,
        source,
        specifier,
        evidence,
        name=name,
        optional=optional,
        resolution=resolution,
        resolved_by=resolved_by,
    )


def python_version(name: str, specifier: str) -> str | None:
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
        version = python_version(*parsed)
        if version is not None:
            pythons.append(version)
            continue
        dep = make_dependency(
            parsed[0], parsed[1], source, f"{rel}:{number}", guessed=requirement_guessed(line)
        )
        if dep:
            deps.append(dep)
    return deps, pythons
