"""Read notes exported by hand (``--from-file``): the way on when the API blocks automated listings.

Accepted shapes, plain or gzip-compressed (told by the file's magic bytes, not its name): a JSON
list of notes, or an object with a ``notes`` list (the API's own envelope, e.g. a saved page).
Notes may be v1 or v2 shaped; :mod:`crawlers.openreview.notes` reads both.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from crawlers.errors import CrawlerUsageError

_SHAPE = 'a JSON list of OpenReview notes or {"notes": [...]}, optionally gzip-compressed'


def load_export(path: Path) -> list[dict[str, Any]]:
    """The notes in ``path``; a usage error (exit 2) for a missing, empty or wrongly shaped file.

    The file is the user's input, like the venue id: a bad one is a usage error, not a failure.
    """
    return notes_of(read_json(path), path)


def read_json(path: Path) -> Any:
    """The JSON document in ``path`` (plain or gzip-compressed); a usage error when it is none."""
    if not path.is_file():
        raise CrawlerUsageError(f"--from-file {path} does not exist; give {_SHAPE}, or a paper list")
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        return json.loads(text)
    except (OSError, EOFError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise CrawlerUsageError(f"cannot read {path} as {_SHAPE}: {reason}") from exc


def notes_of(data: Any, path: Path) -> list[dict[str, Any]]:
    """The notes of an export already read (see :func:`load_export`)."""
    notes = data.get("notes") if isinstance(data, dict) else data
    if not isinstance(notes, list):
        raise CrawlerUsageError(f"{path} holds no list of notes; expected {_SHAPE}")
    if not notes:
        raise CrawlerUsageError(f"{path} holds an empty list of notes; expected {_SHAPE}")
    bad = next((i for i, note in enumerate(notes) if not _looks_like_note(note)), None)
    if bad is not None:
        raise CrawlerUsageError(
            f"{path}: item {bad} is not an OpenReview note (no id/forum and content); expected {_SHAPE}"
        )
    return notes


def _looks_like_note(note: Any) -> bool:
    return (
        isinstance(note, dict)
        and bool(note.get("id") or note.get("forum"))
        and isinstance(note.get("content"), dict)
    )
