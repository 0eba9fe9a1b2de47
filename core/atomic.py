"""Atomic output files: a reader (or a killed run) sees the old file or the new one, never half of one.

Every output of every command goes through here. A file is written under a unique temporary name in
its own folder (so two commands sharing a folder never collide on the temporary name), flushed and
fsync'ed, given the mode an ordinary file would have (outputs are meant to be shared and published;
``mkstemp`` creates 0600), then renamed over the target. ``os.replace`` on one file system is atomic.

The temporary file is created with ``O_EXCL`` by ``mkstemp``, and the rename replaces the target's
directory entry: a symbolic link planted at the target's name is replaced, never written through.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

#: Mode of every output file (rw-r--r--), whatever the umask of the process that wrote it.
FILE_MODE = 0o644


@contextlib.contextmanager
def replacing(path: Path, *, mode: int = FILE_MODE) -> Iterator[Path]:
    """A temporary path next to ``path``; when the block ends without error it replaces ``path``.

    For writers that want a file name (``savefig``, ``to_csv``); the temporary file is removed if the
    block raises, so a failed write leaves the earlier file untouched.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes, *, mode: int = FILE_MODE) -> Path:
    """Write ``data`` to ``path`` atomically (unique temporary name, fsync, rename)."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, mode)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str, *, newline_at_end: bool = True) -> Path:
    """Write UTF-8 ``text`` atomically (see :func:`encode`); a final newline is added unless there is one."""
    if newline_at_end and not text.endswith("\n"):
        text += "\n"
    return write_bytes(path, encode(text))


def write_csv(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    extrasaction: str = "ignore",
) -> Path:
    """Write a CSV with a header atomically; keys outside ``columns`` are ignored by default."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction=extrasaction)  # type: ignore[arg-type]
    writer.writeheader()
    writer.writerows(rows)
    return write_bytes(path, encode(buffer.getvalue()))


def encode(text: str) -> bytes:
    """UTF-8, always: a lone surrogate (a file name that was not UTF-8, read with surrogateescape)
    is written as its escape ``\\udce9`` instead of failing the whole file or writing bytes that
    no reader could decode."""
    return text.encode("utf-8", errors="backslashreplace")


def place_folder(finished: Path, target: Path, done: Path) -> None:
    """Rename the finished folder ``finished`` to ``target``; when another process got there first
    (``done``, its marker, exists) its copy is kept and the caller removes ``finished``.

    Why: folders named by content (a state, a fetched or unpacked checkout) may be made by two
    processes at once; both copies are equivalent, and a rename is the one atomic step."""
    try:
        os.rename(finished, target)
    except OSError:
        if not done.exists():
            raise
