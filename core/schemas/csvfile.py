"""Strict reading of a CSV file: every byte decoded, every quote closed, every row as wide as the header.

Python's ``csv`` module and pandas both accept a great deal silently: an unterminated quote swallows
the rest of the file into one cell (a truncated ``papers.csv`` then yields 4 of its 6 rows), Latin-1
bytes crash far from the file that holds them, a short row is padded with nothing. The census and the
reports read files that users edit by hand and that other tools write, so this reader refuses each of
these with one line naming the file, the line and the problem, before any row is used.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Largest cell accepted (csv's default of 128 KiB is smaller than a hostile title or a long evidence list).
MAX_CELL_CHARS = min(sys.maxsize, 2**31 - 1)


class CsvFormatError(ValueError):
    """The bytes of a file are not a well-formed CSV table; ``line`` is 1-based when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


@dataclass(frozen=True)
class RawTable:
    """A CSV file as text cells: the header and the rows, each with the line its record starts on."""

    header: tuple[str, ...]
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 text (a leading BOM dropped); anything else is a :class:`CsvFormatError` naming the line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise CsvFormatError("a NUL byte: not a text file (binary, or saved as UTF-16?)", line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise CsvFormatError(
            f"not UTF-8 (byte 0x{byte}); save the file as UTF-8, e.g. with `iconv -f latin1 -t utf-8`", line
        ) from None


def parse(text: str) -> RawTable:
    """Header and rows of CSV ``text``; blank lines are skipped, everything else must be well formed."""
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: tuple[str, ...] | None = None
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problem = str(exc)
            if "unexpected end of data" in problem:
                problem = "a quoted cell is never closed (the file is truncated or a quote is stray)"
            raise CsvFormatError(problem, start) from None
        line, start = start, reader.line_num + 1
        if not record:  # a blank line
            continue
        if header is None:
            header = tuple(name.strip() for name in record)
            duplicates = sorted({name for name in header if name and header.count(name) > 1})
            if duplicates:
                raise CsvFormatError(f"duplicate column name(s) {', '.join(duplicates)}", line)
            continue
        if len(record) != len(header):
            raise CsvFormatError(f"{len(record)} cells where the header has {len(header)}", line)
        rows.append({name: value for name, value in zip(header, record, strict=True) if name})
        lines.append(line)
    if header is None:
        raise CsvFormatError("empty file (no header line)")
    return RawTable(header=header, rows=rows, lines=lines)


def read(path: Path) -> RawTable:
    """:func:`parse` of the file's bytes after :func:`decode`."""
    return parse(decode(Path(path).read_bytes()))
