"""How an upstream entry's numbers are read: from the code's stdout, or a JSON or CSV file in ``{out}``.

Why separate from ``reproducers.upstream``: these readers meet what the authors' code produced, so
they are the one place that turns untrusted output into runs.csv values. Files are read through
:func:`reproducers.docker.outputs.read_output` (no link followed, a regular file under a size cap),
and every value must be a flat number or text (:func:`rows_problem`) before it becomes a row.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reproducers.docker.outputs import UnsafeOutput, read_output
from reproducers.errors import ReproductionError

#: Largest metrics file read (bytes); the whole output folder has the entry's own cap.
MAX_METRICS_BYTES = 16 * 1024 * 1024
#: What reading a seed's metrics may raise on output the code got wrong (or made hostile).
METRICS_ERRORS = (ReproductionError, KeyError, ValueError, TypeError, IndexError, RecursionError, csv.Error)


@dataclass(frozen=True)
class StdoutRegex:
    """Metrics printed by the code: runs.csv column → regex with one group; the last match counts."""

    patterns: dict[str, str]

    def rows(self, stdout: str, out_dir: Path) -> list[dict[str, Any]]:
        row: dict[str, Any] = {}
        for column, pattern in self.patterns.items():
            matches = re.findall(pattern, stdout)
            if not matches:
                raise ReproductionError(f"no match for {column} ({pattern!r}) in the code's output")
            row[column] = _number(matches[-1])
        return [row]


@dataclass(frozen=True)
class JsonFile:
    """Metrics in a JSON file written under ``{out}``: an object (one row) or a list of objects.

    ``columns`` maps runs.csv column → key (dotted for nested objects, e.g. ``test.acc``).
    """

    path: str
    columns: dict[str, str]

    def rows(self, stdout: str, out_dir: Path) -> list[dict[str, Any]]:
        data = json.loads(_read_output(out_dir, self.path))
        records = data if isinstance(data, list) else [data]
        return [
            {column: _number(_dig(record, key)) for column, key in self.columns.items()} for record in records
        ]


@dataclass(frozen=True)
class CsvFile:
    """Metrics in a CSV file written under ``{out}``: one runs.csv row per CSV row."""

    path: str
    columns: dict[str, str]

    def rows(self, stdout: str, out_dir: Path) -> list[dict[str, Any]]:
        reader = csv.DictReader(io.StringIO(_read_output(out_dir, self.path)))
        return [{column: _number(record[key]) for column, key in self.columns.items()} for record in reader]


MetricsReader = StdoutRegex | JsonFile | CsvFile


def _read_output(out_dir: Path, name: str) -> str:
    """A metrics file the code wrote: no link followed, a regular file under the cap, UTF-8."""
    try:
        return read_output(out_dir, name, max_bytes=MAX_METRICS_BYTES).decode("utf-8")
    except UnsafeOutput as exc:
        raise ReproductionError(str(exc)) from None


def rows_problem(rows: Any) -> str:
    """Why measured rows cannot become runs.csv rows ("" when each is a flat record of scalars)."""
    for row in rows:
        for column, value in row.items():
            if not isinstance(value, int | float | str | bool) and value is not None:
                return f"{column} is a {type(value).__name__}, not a number or text"
    return ""


def _dig(record: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        record = record[key]
    return record


def _number(value: Any) -> Any:
    """Numbers as floats (ints stay ints), other values unchanged."""
    if isinstance(value, int | float):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() and "." not in str(value) else number
