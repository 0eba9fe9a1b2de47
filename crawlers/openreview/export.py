"""Read notes exported by hand (``--from-file``): the way on when the API blocks automated listings.

Accepted shapes, plain or gzip-compressed (told by the file's magic bytes, not its name): a JSON
list of notes, or an object with a ``notes`` list (the API's own envelope, e.g. a saved page).
Notes may be v1 or v2 shaped; :mod:`crawlers.openreview.notes` reads both. The contract itself is
checked by the validation layer (``core.schemas.documents.read_notes_export``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.schemas.documents import EXPORT_SHAPE, read_notes_export
from crawlers.errors import CrawlerUsageError


def load_export(path: Path) -> list[dict[str, Any]]:
    """The notes in ``path``; a usage error (exit 2) for a missing, empty or wrongly shaped file."""
    if not path.is_file():
        raise CrawlerUsageError(f"--from-file {path} does not exist; give {EXPORT_SHAPE}")
    return read_notes_export(path)
