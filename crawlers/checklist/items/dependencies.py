"""Item 1, specification of dependencies.

- **yes**: a declaration file `audit deps` read packages from (requirements, setup.py/cfg,
  pyproject.toml, Pipfile), a conda environment file or a Dockerfile (a whole environment), or install
  commands in the README that install from a file (``pip install -r``, ``conda env create -f``,
  ``setup.py install``, ``pip install -e .``, ``docker build``) or name at least two packages;
- **unclear**: a declaration file with no package in it, an install command naming one package only, or
  packages listed in prose (a *Requirements*/*Dependencies*/*Installation* section, or a framework with
  a version number such as "tested with TensorFlow 1.15") with nothing to install them from;
- **no**: none of these.
"""

from __future__ import annotations

import re

from crawlers.checklist.codebase import CodeBase, DeclaredFile
from crawlers.checklist.items.common import block_evidence, command_evidence, readme_commands
from crawlers.checklist.records import NO, UNCLEAR, YES, Evidence, ItemVerdict, snippet

ITEM = "dependencies"
#: Declaration kinds in the order their evidence is preferred.
KIND_ORDER = (
    "requirements.txt",
    "environment.yml",
    "setup.py",
    "pyproject.toml",
    "Pipfile",
    "setup.cfg",
    "Dockerfile",
)
WHOLE_ENVIRONMENT = {"environment.yml", "Dockerfile"}
REQUIREMENTS_SECTION = re.compile(
    r"require|dependenc|prerequisite|install|setup|set up|environment|librar|packages", re.I
)
FRAMEWORK_VERSION = re.compile(
    r"\b(python|py(torch)?|torch|tensorflow(-gpu)?|tf|keras|jax|mxnet|chainer|theano|numpy|scipy|cuda|cudnn|gym|"
    r"scikit-learn|sklearn|pandas|opencv)\b[\s:=<>(v]*(version\s*)?v?\d+(\.\d+)+",
    re.I,
)
PACKAGE_WORDS = re.compile(
    r"\b(python|pytorch|torch|tensorflow|keras|jax|numpy|scipy|sklearn|scikit|pandas|cuda|matplotlib|gym)\b",
    re.I,
)
FROM_FILE = re.compile(r"^(-r|--requirement|-e|--editable|-f|--file)$")


def _declared(files: list[DeclaredFile]) -> ItemVerdict | None:
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    useful = [f for f in files if f.packages > 0 or f.kind in WHOLE_ENVIRONMENT]
    if useful:
        best = min(useful, key=lambda f: (order.get(f.kind, 99), f.path))
        path, _, line = (best.evidence or best.path).rpartition(":")
        if not path or not line.isdigit():
            path, line = best.path, "0"
        what = (
            f"{best.kind}: {best.packages} package(s)"
            if best.packages
            else f"{best.kind} (a whole environment)"
        )
        others = ", ".join(sorted({f.path for f in useful} - {best.path}))
        note = "declared file found by audit deps" + (f"; also {others}" if others else "")
        return ItemVerdict(ITEM, YES, Evidence(file=path, line=int(line), snippet=snippet(what)), note)
    return None


def _installed_packages(args: tuple[str, ...]) -> tuple[bool, list[str]]:
    """(installs from a file, named packages) of an installer's arguments."""
    words = list(args)
    if not words:
        return False, []
    sub = words[0].lower()
    if sub in {"env"} and "create" in words:
        return True, []
    if sub in {"install", "create", "add", "sync"}:
        rest = words[1:]
        if sub in {"sync"} or (sub == "install" and not [w for w in rest if not w.startswith("-")]):
            return sub != "create", []  # ``poetry install`` / ``pipenv install``: from the project file
        from_file = any(FROM_FILE.match(w) for w in rest) or "." in rest
        named = [
            w
            for i, w in enumerate(rest)
            if not w.startswith("-") and not (i and FROM_FILE.match(rest[i - 1]))
        ]
        named = [
            w
            for w in named
            if w not in {"."}
            and not re.match(r"^(python|pip)([=<>].*)?$", w)
            and not w.startswith(("$", "<"))
        ]
        named = [
            w
            for w in named
            if not (rest.index(w) and rest[rest.index(w) - 1] in {"-n", "--name", "-c", "--channel"})
        ]
        return from_file, named
    return False, []


def _commands(base: CodeBase) -> ItemVerdict | None:
    packages: dict[str, Evidence] = {}
    single: Evidence | None = None
    for document, command in readme_commands(base):
        if command.program == "docker" and command.args[:1] and command.args[0] in {"build", "pull"}:
            return ItemVerdict(
                ITEM, YES, command_evidence(document, command), "README builds or pulls a Docker image"
            )
        if command.program != "install":
            continue
        if command.target == "setup.py":
            return ItemVerdict(
                ITEM, YES, command_evidence(document, command), "README installs the package (setup.py)"
            )
        from_file, named = _installed_packages(command.args)
        if from_file:
            return ItemVerdict(
                ITEM, YES, command_evidence(document, command), "README installs from a declaration file"
            )
        for name in named:
            packages.setdefault(name.lower(), command_evidence(document, command))
        if named and single is None:
            single = command_evidence(document, command)
    if len(packages) >= 2:
        first = next(iter(packages.values()))
        return ItemVerdict(ITEM, YES, first, f"README install commands name {len(packages)} packages")
    if single is not None:
        return ItemVerdict(ITEM, UNCLEAR, single, "README installs a single package only")
    return None


def _prose(base: CodeBase) -> ItemVerdict | None:
    for document in base.docs:
        for block in document.blocks:
            if block.kind not in {"paragraph", "list_item", "code", "table"}:
                continue
            titled = any(REQUIREMENTS_SECTION.search(t) for t in block.section[-1:])
            if (titled and PACKAGE_WORDS.search(block.text)) or FRAMEWORK_VERSION.search(block.text):
                return ItemVerdict(
                    ITEM,
                    UNCLEAR,
                    block_evidence(document, block),
                    "packages named in prose only: no declaration file and no install command",
                )
    return None


def judge(base: CodeBase) -> ItemVerdict:
    found = _declared(base.declared) or _commands(base)
    if found is not None and found.verdict == YES:
        return found
    empty = [f for f in base.declared if f.packages == 0 and f.kind not in WHOLE_ENVIRONMENT]
    if found is None and empty:
        return ItemVerdict(
            ITEM, UNCLEAR, Evidence(file=empty[0].path), "declaration file with no package in it"
        )
    return (
        found
        or _prose(base)
        or ItemVerdict(ITEM, NO, note="no declaration file, install command or list of packages")
    )
