"""The kinds of cell a file contract declares, as pydantic types over the text of a CSV cell.

Every CSV cell arrives as a string. A contract says, per column, which strings are valid: any text,
non-empty text, an integer, a number, a boolean (``true``/``false``, ``True``/``False``, ``1``/``0``),
a clone URL, or one of a fixed set of words. The optional kinds (``Integer``, ``Number``, ``Flag``) also
accept an empty cell, which is how every writer of this project spells "unknown". JSON documents use
the same types, so a value means the same thing in any file.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator

#: Characters that never belong in a URL, a ref or a name: C0 and C1 controls and DEL.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _blank_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _integral(value: Any) -> Any:
    """``"3"`` and ``"3.0"`` (pandas writes integer columns with gaps as floats) are both 3."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return value  # pydantic then says it is not an integer
        return int(number) if number.is_integer() else value
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _clone_url(value: str) -> str:
    """An ``http(s)://host/path`` URL without spaces or control characters (it is handed to git)."""
    if not value:
        return value
    if CONTROL.search(value) or any(c.isspace() for c in value):
        raise ValueError("holds whitespace or control characters, so it is not a clone URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.path.strip("/"):
        raise ValueError("is not an http(s)://host/owner/repo URL")
    return value


def _clean(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("holds control characters")
    return value


#: Any text (the cell may be empty).
Text = str
#: Text that must not be empty.
Name = Annotated[str, AfterValidator(_non_empty)]
#: Text without control characters (refs, sub-folders: they reach git and the terminal).
Clean = Annotated[str, AfterValidator(_clean)]
#: A clone URL, or empty.
CloneUrl = Annotated[str, AfterValidator(_clone_url)]
#: An integer that must be present.
Count = Annotated[int, BeforeValidator(_integral)]
#: An integer, or empty.
Integer = Annotated[int | None, BeforeValidator(_integral), BeforeValidator(_blank_to_none)]
#: A number that must be present (``nan`` and ``inf`` are numbers: a diverged run reports them).
Real = float
#: A number, or empty.
Number = Annotated[float | None, BeforeValidator(_blank_to_none)]
#: A boolean that must be present.
Bool = bool
#: A boolean, or empty (unknown).
Flag = Annotated[bool | None, BeforeValidator(_blank_to_none)]
#: A clone URL that must be present.
RepoUrl = Annotated[str, AfterValidator(_non_empty), AfterValidator(_clone_url)]
