"""One validation layer for every file contract: a bad input file is one line, never a traceback.

Every reader of a project file goes through here before using a row: :func:`read_table` for the
CSV tables (contracts in :mod:`core.schemas.tables`), :func:`read_document` for the JSON documents
(:mod:`core.schemas.documents`). A file that breaks its contract raises :class:`SchemaError`, a usage
error (exit 2) whose message names the file, the row and the problem, e.g.::

    iclr2020/papers.csv: row 4 (line 5): accepted: Input should be a valid boolean (got 'maybe')

Why one layer: the same file is read by several packages (papers.csv by the clone step, the deps
step and the report), and checks scattered through them disagreed; here each contract is declared
once and others extend it with one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from core.errors import UsageError
from core.schemas import csvfile
from core.schemas.tables import REPO_STATUSES, TABLES, TableContract

__all__ = [
    "REPO_STATUSES",
    "TABLES",
    "SchemaError",
    "Table",
    "TableContract",
    "contract_for",
    "read_document",
    "read_table",
    "validate_rows",
]

#: How much of a bad value an error message quotes.
QUOTE_CHARS = 40


class SchemaError(UsageError):
    """An input file breaks its documented contract (exit 2); the message is one line."""

    def __init__(self, path: Path, problem: str, *, remedy: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}" + (f"; {remedy}" if remedy else ""))


@dataclass(frozen=True)
class Table:
    """A validated CSV file: its header, and its rows as text cells (``""`` for empty) with their lines."""

    path: Path
    header: tuple[str, ...]
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def contract_for(name: str) -> TableContract:
    """The contract of a CSV file name (``papers.csv``); a KeyError names the known ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no contract for {name!r}; known: {', '.join(TABLES)}") from None


def _remedy(contract: TableContract, path: Path) -> str:
    if not contract.producer:
        return ""
    return f"fix it, or write it again with `{contract.producer.format(dir=path.parent)}`"


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 4] + "...'"


def read_table(path: Path, contract: TableContract | str | None = None) -> Table:
    """Read and validate a CSV file against its contract (by default the one named like the file).

    Raises :class:`SchemaError` for a file that cannot be read as UTF-8 CSV, a header without the
    required columns, or any row whose cells do not fit their column; FileNotFoundError passes
    through (callers say which command writes the missing file).
    """
    path = Path(path)
    if contract is None or isinstance(contract, str):
        contract = contract_for(contract or path.name)
    try:
        raw = csvfile.read(path)
    except csvfile.CsvFormatError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise SchemaError(path, f"{where}{exc.problem}", remedy=_remedy(contract, path)) from None
    except IsADirectoryError:
        raise SchemaError(path, "is a folder, not a CSV file") from None
    missing = [name for name in contract.required if name not in raw.header]
    if missing:
        found = ", ".join(name for name in raw.header if name) or "none"
        raise SchemaError(
            path,
            f"lacks the required column(s) {', '.join(missing)} (its columns: {found[:200]})",
            remedy=_remedy(contract, path),
        )
    validate_rows(path, contract, raw.rows, raw.lines)
    return Table(path=path, header=raw.header, rows=raw.rows, lines=raw.lines)


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def validate_rows(
    path: Path, contract: TableContract, rows: list[dict[str, str]], lines: list[int] | None = None
) -> None:
    """Check every row against the contract's model; the first problem (and how many more) in one line."""
    model = contract.row
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    try:
        adapter.validate_python(rows)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        index = int(first["loc"][0]) if first["loc"] and isinstance(first["loc"][0], int) else 0
        column = ".".join(str(part) for part in first["loc"][1:]) or "row"
        line = f" (line {lines[index]})" if lines and index < len(lines) else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        more = len({error["loc"][0] for error in errors}) - 1
        tail = f"; {more} more row(s) with problems" if more > 0 else ""
        raise SchemaError(
            path,
            f"row {index + 1}{line}: {column}: {message} (got {_quote(first.get('input'))}){tail}",
            remedy=_remedy(contract, path),
        ) from None


def read_document(path: Path, name: str | None = None) -> Any:
    """Read and validate a JSON document (``environment.json``, ``crawl.json``, ``claims.json``)."""
    from core.schemas.documents import read_document as _read

    return _read(Path(path), name)
