"""One code base as the item rules see it: its documentation, its files, what each file does, and the
declared dependency files `audit deps` found. Built once per code base, read by every rule.

The code base is the linked sub-folder of a repository (or the whole repository); paths in evidence are
relative to the repository root, so ``path#Lline`` links at the cloned commit work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from crawlers.checklist.code import FileFacts, scan_config, scan_notebook, scan_python, scan_shell
from crawlers.checklist.document import Document, parse_markdown
from crawlers.checklist.rst import parse_rst
from crawlers.dependencies.files import read_text, relative, walk_files

#: README names in order of preference (compared case-insensitively).
README_NAMES = ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme", "readme.mdown")
#: Other top-level documents worth reading (model zoos, getting-started guides), not licences or policies.
NOT_DOCS = (
    "license",
    "licence",
    "code_of_conduct",
    "contributing",
    "changelog",
    "changes",
    "authors",
    "notice",
    "security",
)
MAX_DOC_BYTES = 1_000_000
MAX_DOCS = 30
#: Per code base, at most this many files of each kind are parsed (monorepos).
LIMITS = {"python": 5000, "notebook": 500, "shell": 1000, "config": 500}


@dataclass(frozen=True)
class DeclaredFile:
    """A dependency declaration `audit deps` found: path (repository-relative), kind, first row's evidence,
    and how many packages it declared (0: a file with nothing parsed in it)."""

    path: str
    kind: str
    evidence: str = ""
    packages: int = 0


@dataclass
class CodeBase:
    repo_root: Path
    scan_root: Path
    readme: Document | None = None
    docs: list[Document] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    facts: list[FileFacts] = field(default_factory=list)
    declared: list[DeclaredFile] = field(default_factory=list)
    readme_note: str = ""

    def resolve(self, target: str) -> str | None:
        """The repository-relative file a README command runs (``train.py``, ``src/main.py``,
        ``experiment.main``), looked up in the code base; None when it is not there."""
        target = target.strip().strip("'\"").removeprefix("./")
        if not target or "$" in target or "<" in target or "{" in target:
            return None
        base = relative(self.scan_root, self.repo_root) if self.scan_root != self.repo_root else ""
        candidates = [target]
        if "/" not in target and not target.endswith((".py", ".sh", ".ipynb")) and "." in target:
            module = target.replace(".", "/")  # ``python -m pkg.mod`` (the literal name is tried first)
            candidates = [target, f"{module}.py", f"{module}/__main__.py"]
        elif "/" not in target and "." not in target:
            candidates = [f"{target}.py", target]
        known = set(self.files)
        for candidate in candidates:
            for full in (f"{base}/{candidate}" if base else candidate, candidate):
                if full in known:
                    return full
        for candidate in candidates:
            suffix = "/" + candidate
            matches = sorted(f for f in self.files if f.endswith(suffix))
            if matches:
                return min(matches, key=len)
        return None

    def facts_of(self, path: str) -> FileFacts | None:
        return next((f for f in self.facts if f.path == path), None)


def parse_document(path: Path, repo_root: Path) -> Document | None:
    """A documentation file parsed by its markup: ``.rst`` with docutils, everything else as Markdown."""
    text = read_text(path, limit=MAX_DOC_BYTES)
    if not text.strip():
        return None
    rel = relative(path, repo_root)
    suffix = path.suffix.lower()
    if suffix in {".rst", ".rest"}:
        return parse_rst(text, rel)
    return parse_markdown(text, rel, "markdown" if suffix in {".md", ".markdown", ".mdown"} else "text")


def find_readme(folder: Path) -> Path | None:
    """The README of a folder (first of :data:`README_NAMES`, case-insensitive); links are not followed."""
    try:
        entries = {p.name.lower(): p for p in folder.iterdir() if p.is_file() and not p.is_symlink()}
    except OSError:
        return None
    return next((entries[name] for name in README_NAMES if name in entries), None)


def _secondary_docs(scan_root: Path, readme: Path | None) -> list[Path]:
    found: list[Path] = []
    for path in walk_files(scan_root, max_depth=2):
        if path == readme or path.suffix.lower() not in {".md", ".rst", ".markdown", ".txt", ""}:
            continue
        rel = PurePosixPath(path.relative_to(scan_root).as_posix())
        name = path.name.lower()
        top_level = len(rel.parts) == 1
        is_readme = name.startswith("readme")
        if (
            top_level
            and path.suffix.lower() in {".md", ".rst", ".markdown"}
            and not name.startswith(NOT_DOCS)
        ) or (is_readme and not top_level):
            found.append(path)
    return found[:MAX_DOCS]


def build(repo_root: Path, scan_root: Path, declared: list[DeclaredFile]) -> CodeBase:
    """Read everything the rules need from the checkout (nothing is executed or followed)."""
    base = CodeBase(repo_root, scan_root, declared=list(declared))
    readme = find_readme(scan_root)
    if readme is None and scan_root != repo_root:
        readme = find_readme(repo_root)
        base.readme_note = "no README in the linked folder; the repository's README is used"
    if readme is not None:
        base.readme = parse_document(readme, repo_root)
    base.docs = [d for d in [base.readme] if d is not None]
    for path in _secondary_docs(scan_root, readme):
        document = parse_document(path, repo_root)
        if document is not None:
            base.docs.append(document)
    counts = dict.fromkeys(LIMITS, 0)
    for path in walk_files(scan_root):
        rel = relative(path, repo_root)
        base.files.append(rel)
        suffix = path.suffix.lower()
        kind = {".py": "python", ".ipynb": "notebook", ".sh": "shell", ".bash": "shell"}.get(suffix)
        if (
            kind is None
            and suffix in {".yaml", ".yml"}
            and any("config" in p.lower() for p in path.parts[-4:-1])
        ):
            kind = "config"
        if kind is None or counts[kind] >= LIMITS[kind]:
            continue
        counts[kind] += 1
        scanner = {
            "python": scan_python,
            "notebook": scan_notebook,
            "shell": scan_shell,
            "config": scan_config,
        }[kind]
        base.facts.append(scanner(path, repo_root))
    return base
