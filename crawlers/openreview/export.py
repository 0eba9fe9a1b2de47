"""Read notes exported by hand (``--from-file``): the way on when the API blocks automated listings.

Accepted shapes, plain or gzip-compressed (told by the file's magic bytes, not its name): a JSON
list of notes, or an object with a ``notes`` list (the API's own envelope, e.g. a saved page).
Notes may be v1 or v2 shaped; :mod:`crawlers.openreview.notes` reads both. The contract itself is
checked by the validation layer (``core.schemas.documents``); a paper list (papercopilot/paperlists)
is told apart after reading (``crawlers.paperlists``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.schemas.documents import EXPORT_SHAPE, export_notes, read_json_document, read_notes_export
from crawlers.errors import CrawlerUsageError


def load_export(path: Path) -> list[dict[str, Any]]:
    """The notes in ``path``; a usage error (exit 2) for a missing, empty or wrongly shaped file."""
    _exists(path)
    return read_notes_export(path)


def read_json(path: Path) -> Any:
    """The JSON document in ``path`` (plain or gzip-compressed); a usage error when it is none."""
    _exists(path)
    return read_json_document(path)


def notes_of(data: Any, path: Path) -> list[dict[str, Any]]:
    """The notes of an export already read (see :func:`read_json`)."""
    return export_notes(data, path)


def _exists(path: Path) -> None:
    if not path.is_file():
        raise CrawlerUsageError(f"--from-file {path} does not exist; give {EXPORT_SHAPE}, or a paper list")
