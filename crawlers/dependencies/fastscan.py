"""Imports and their contexts without building a syntax tree: the fast path of the import scan.

Profiling `audit deps` on real ICLR 2020 repositories showed three quarters of the time in
``ast.parse``: it builds a node for every expression of every file, while a census needs only the
import statements and the blocks around them. This scanner blanks string literals and comments with
one regular expression (so ``import x`` inside a docstring is no import), then reads only the lines
that start a statement at bracket depth 0 with a keyword that matters: imports, every compound
statement (``def``, ``class``, ``with``, ``for``, ``while``, ``if``/``elif``/``else``,
``try``/``except``/``finally``: nesting comes from their indentation, whether a ``try`` catches
``ImportError`` from its handlers), and the Python 2 statements ``print``/``exec``/``raise E, msg``.
``match`` statements are not followed (Python 3.10 code; an import under a ``case`` gets the context
around the ``match``).
Contexts follow the rule of :mod:`.imports` exactly; a test checks that both give the same
``(module, line, context)`` triples on this project's own sources and on the fixtures.

It does not tell whether a file is valid Python 3. :func:`scan_source` reports *suspect* files (Python 2
statements, ``except E, e:``, ``async``/``await`` used as names, merge-conflict markers); :mod:`.imports`
parses only those with ``ast`` to decide, so a file with another kind of syntax error (a stray
indentation, a truncated file) is not noticed as unparsable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: String literals and comments. A prefix (``r``, ``b``, ``f``) stays as code: it is one identifier letter.
_STRINGS = re.compile(
    "|".join(
        (
            r"\'\'\'[\s\S]*?\'\'\'",
            r'"""[\s\S]*?"""',
            r"'(?:\\.|[^'\\\n])*'",
            r'"(?:\\.|[^"\\\n])*"',
            r"\#[^\n]*",
        )
    )
)
_BLANK = re.compile(r"[^\n]")
_KEYWORDS = (
    r"import|from|def|async[ \t]+def|async[ \t]+with|async[ \t]+for|class|try|except|finally|else|elif|if"
    r"|for|while|with|print|exec|raise"
)
_CANDIDATE = re.compile(rf"^([ \t]*)({_KEYWORDS})\b([^\n]*)$", re.MULTILINE)
_CONFLICT = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)
#: ``async``/``await`` used as names (``.cuda(async=True)``): valid until Python 3.6, an error since 3.7.
_ASYNC_NAME = re.compile(r"\b(?:async|await)\s*[=,)]|\.(?:async|await)\b")
_PY2_HEADER = re.compile(r"^except\s+[\w.]+\s*,\s*\w+\s*:|^raise\s+[\w.]+\s*,\s*\S")
_PY2_STATEMENT = re.compile(r"^(?:print(?:\s+[\"'\w]|\s*>>)|exec\s+[\"'\w])")
_OPTIONAL = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_NAMESPACES = frozenset({"google", "google.cloud"})
_NAME = re.compile(r"[A-Za-z_][\w.]*")


@dataclass
class _Entry:
    """A statement the scanner keeps: its indentation, keyword, masked rest of line, line number."""

    indent: int
    kind: str
    rest: str
    line: int
    position: int
    catches: bool = False  # a ``try`` whose handlers catch ImportError (filled in a second pass)
    owner: _Entry | None = None  # the ``try`` an ``except``/``else`` belongs to


def _blank(match: re.Match[str]) -> str:
    found = match.group(0)
    return _BLANK.sub(" ", found) if "\n" in found else " " * len(found)


def _mask(text: str) -> str:
    """Strings and comments become spaces (newlines kept), so line numbers and indents stay."""
    return _STRINGS.sub(_blank, text)


def _entries(masked: str) -> list[_Entry]:
    entries: list[_Entry] = []
    depth, previous, line, line_at = 0, 0, 1, 0
    for match in _CANDIDATE.finditer(masked):
        segment = masked[previous : match.start()]
        depth += segment.count("(") + segment.count("[") + segment.count("{")
        depth -= segment.count(")") + segment.count("]") + segment.count("}")
        line += masked.count("\n", line_at, match.start())
        previous = line_at = match.start()
        if depth > 0 or (match.start() > 0 and masked[match.start() - 2 : match.start()] == "\\\n"):
            continue  # a continuation line: a comprehension's ``for``, a ternary's ``if``
        kind = " ".join(match.group(2).split())
        indent = len(match.group(1).expandtabs(8))
        entries.append(_Entry(indent, kind, match.group(3), line, match.start()))
    return entries


def _handler_catches(rest: str) -> bool:
    names = re.findall(r"[A-Za-z_][\w.]*", rest.split(":", 1)[0].split(" as ", 1)[0])
    return not names or any(name.rsplit(".", 1)[-1] in _OPTIONAL for name in names)


def _mark_tries(entries: list[_Entry]) -> None:
    for index, entry in enumerate(entries):
        if entry.kind != "try":
            continue
        for later in entries[index + 1 :]:
            if later.indent > entry.indent:
                continue
            if later.indent < entry.indent or later.kind not in {"except", "else", "finally"}:
                break
            if later.kind == "except" and _handler_catches(later.rest):
                entry.catches = True


def _import_statements(masked: str, entry: _Entry) -> list[str]:
    """The import statements an entry holds (``import a; import b``, ``try: import x``)."""
    if entry.kind in {"import", "from"}:
        text = entry.kind + entry.rest
    else:
        _, colon, after = entry.rest.partition(":")
        text = after.strip() if colon else ""
    statements = [part.strip() for part in text.split(";")]
    found = [s for s in statements if s.startswith(("import ", "from "))]
    if found and "(" in found[-1] and ")" not in found[-1]:  # from x import (\n a,\n b)
        end = masked.find(")", entry.position)
        found[-1] = masked[entry.position : end + 1] if end > 0 else found[-1]
        found[-1] = found[-1][found[-1].find("from") :]
    return found


def _modules(statement: str) -> list[str]:
    words = statement.replace("\\\n", " ").replace("\n", " ")
    if words.startswith("import "):
        modules = []
        for part in words[len("import ") :].split(","):
            name = _NAME.match(part.strip().strip("()"))
            if name:
                modules.append(name.group(0))
        return modules
    head, _, names = words[len("from ") :].partition(" import ")
    module = head.strip()
    if not module or module.startswith(".") or not _NAME.fullmatch(module):
        return []
    if module in _NAMESPACES:
        parts = [p.strip().strip("()").split(" as ")[0].strip() for p in names.split(",")]
        return [f"{module}.{p}" for p in parts if p and p != "*" and _NAME.fullmatch(p)]
    return [module]


def _context(stack: list[_Entry]) -> str:
    """The rule of :mod:`.imports`: inside a ``def`` is ``function``; else the outermost optional
    ``try`` (body, handlers, ``else``) or ``if TYPE_CHECKING`` decides; else ``module``."""
    if any(e.kind in {"def", "async def"} for e in stack):
        return "function"
    for entry in stack:
        owner = entry if entry.kind == "try" else entry.owner if entry.kind in {"except", "else"} else None
        if owner is not None and owner.catches:
            return "optional"
        if entry.kind in {"if", "elif"} and re.match(r"\s*(?:typing\.)?TYPE_CHECKING\s*:", entry.rest):
            return "typing"
    return "module"


def scan_source(text: str) -> tuple[list[tuple[str, int, str]], bool]:
    """``([(module, line, context)], suspect)``: the imports of a source text and whether it shows
    Python 2 syntax or conflict markers (then only ``ast.parse`` can say whether Python 3 reads it)."""
    suspect = bool(_CONFLICT.search(text))
    if "import" not in text and "print" not in text:
        return [], suspect
    masked = _mask(text)
    suspect = suspect or ("async" in masked and bool(_ASYNC_NAME.search(masked)))
    entries = _entries(masked)
    _mark_tries(entries)
    found: list[tuple[str, int, str]] = []
    stack: list[_Entry] = []
    last_at: dict[int, _Entry] = {}  # the last compound statement opened at each indentation
    lines = text.splitlines()
    for entry in entries:
        while stack and stack[-1].indent >= entry.indent:
            stack.pop()
        if entry.kind in {"print", "exec", "raise", "except"}:
            original = lines[entry.line - 1].strip() if entry.line <= len(lines) else ""
            suspect = suspect or bool(_PY2_STATEMENT.match(original) or _PY2_HEADER.match(original))
            if entry.kind != "except":
                continue
        if entry.kind in {"except", "else"}:
            sibling = last_at.get(entry.indent)
            entry.owner = (
                sibling if sibling is not None and sibling.kind == "try" else getattr(sibling, "owner", None)
            )
        inline = entry.kind not in {"import", "from"}
        for statement in _import_statements(masked, entry):
            context = _context([*stack, entry] if inline else stack)
            found += [(module, entry.line, context) for module in _modules(statement)]
        if inline:
            last_at[entry.indent] = entry
            stack.append(entry)
    return found, suspect
