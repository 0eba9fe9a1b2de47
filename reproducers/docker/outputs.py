"""Reading what a container left in its writable output folder, as the hostile input it is.

Why: the folder is bind-mounted read-write into a container that runs code we do not trust. Whatever
it holds when the container exits was chosen by that code: a ``result.json`` may be a symbolic link
to ``/etc/passwd`` or to a file the host would then write through, a FIFO that blocks any reader, a
file of many gigabytes, a folder of a million entries. So the host never writes into that folder
(its own logs live in a host-only folder next to it), and reads it only through this module:

- :func:`inspect_outputs` walks the folder without following anything and names the first entry
  that is not a plain folder or a plain file under the size cap (links, FIFOs, sockets, devices,
  oversized files, too many entries): the runner then records the seed as failed with that reason;
- :func:`read_output` opens one file openat-style: every path component relative to the folder's
  own descriptor, each with ``O_NOFOLLOW`` (a link anywhere on the path is refused by the kernel,
  not by a check that a racing writer could beat), ``O_NONBLOCK`` (a FIFO cannot block the open),
  then ``fstat`` on the opened descriptor must say "regular file" under the cap.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from pathlib import Path, PurePosixPath

#: What a result file may weigh by default (a worker's result.json is kilobytes).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: Entries (files and folders) an output folder may hold before the host stops looking.
MAX_ENTRIES = 10_000

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class UnsafeOutput(Exception):
    """An output folder or file that the host refuses to read; the message is one line."""


class MissingOutput(UnsafeOutput):
    """The file asked for is not there."""


def describe_mode(mode: int) -> str:
    """ "a symbolic link", "a FIFO", ... for anything that is neither a plain file nor a folder."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def shown(name: str | bytes, limit: int = 80) -> str:
    """A container-chosen name made safe for a one-line message: escaped, quoted, shortened."""
    text = os.fsdecode(name) if isinstance(name, bytes) else name
    escaped = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return repr(escaped if len(escaped) <= limit else escaped[: limit - 1] + "…")


def inspect_outputs(folder: Path, *, max_bytes: int, max_entries: int = MAX_ENTRIES) -> str:
    """The first reason not to trust ``folder`` ("" when it holds only folders and plain files).

    The walk never follows a link (``lstat`` semantics throughout) and stops at ``max_entries``.
    """
    try:
        top = os.lstat(folder)
    except FileNotFoundError:
        return ""
    if not stat.S_ISDIR(top.st_mode):
        return f"the output folder is {describe_mode(top.st_mode)}"
    pending, seen = [(folder, PurePosixPath())], 0
    while pending:
        current, relative = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError as exc:
            return f"output folder {shown(str(relative))} unreadable: {exc.strerror}"
        for entry in entries:
            seen += 1
            if seen > max_entries:
                return f"the output folder holds more than {max_entries} entries"
            name = relative / entry.name
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                pending.append((Path(entry.path), name))
            elif not stat.S_ISREG(info.st_mode):
                return f"output {shown(str(name))} is {describe_mode(info.st_mode)}"
            elif info.st_size > max_bytes:
                return f"output {shown(str(name))} is {info.st_size} bytes (over the {_mb(max_bytes)} cap)"
    return ""


def read_output(folder: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of ``folder/name``, opened without following links and only if it is a regular file.

    ``name`` is relative (``metrics.json``, ``logs/final.csv``); ``..``, absolute paths and any link
    or non-regular file on the way raise :class:`UnsafeOutput`, as does a file over ``max_bytes``.
    """
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or any(part in ("..", ".") for part in parts):
        raise UnsafeOutput(f"output file {shown(name)} is outside the output folder")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptors: list[int] = []
    try:
        what = f"output file {shown(name)}"
        descriptors.append(_open(str(folder), flags | os.O_DIRECTORY, None, "the output folder"))
        for part in parts[:-1]:
            descriptors.append(_open(part, flags | os.O_DIRECTORY, descriptors[-1], what))
        handle = _open(parts[-1], flags | os.O_NONBLOCK, descriptors[-1], what)
        descriptors.append(handle)
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeOutput(f"output file {shown(name)} is {describe_mode(info.st_mode)}")
        if info.st_size > max_bytes:
            raise UnsafeOutput(f"output file {shown(name)} is over the {_mb(max_bytes)} cap")
        os.set_blocking(handle, True)
        data = _read_at_most(handle, max_bytes + 1)
        if len(data) > max_bytes:  # grew after fstat (a writer still holds it)
            raise UnsafeOutput(f"output file {shown(name)} is over the {_mb(max_bytes)} cap")
        return data
    finally:
        for descriptor in reversed(descriptors):
            os.close(descriptor)


def _open(path: str, flags: int, dir_fd: int | None, what: str) -> int:
    try:
        return os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.ENOTDIR and _is_link(path, dir_fd)):
            raise UnsafeOutput(f"{what} is or passes through a symbolic link") from None
        if exc.errno == errno.ENOTDIR:
            raise UnsafeOutput(f"{what}: a path component is not a folder") from None
        if exc.errno == errno.ENOENT:
            raise MissingOutput(f"{what} does not exist") from None
        raise UnsafeOutput(f"{what} unreadable: {exc.strerror}") from None


def _is_link(path: str, dir_fd: int | None) -> bool:
    """Whether ``path`` is a link (O_DIRECTORY with O_NOFOLLOW on a link says ENOTDIR, not ELOOP)."""
    try:
        return stat.S_ISLNK(os.lstat(path, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _read_at_most(handle: int, limit: int) -> bytes:
    chunks, left = [], limit
    while left > 0:
        chunk = os.read(handle, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def worker_result_problem(result: object, seed: int) -> str:
    """What is wrong with a worker's result.json ("" when it follows the contract of reproducers.worker)."""
    if not isinstance(result, dict):
        return f"expected a JSON object, got {type(result).__name__}"
    for key in ("runs", "per_class"):
        rows = result.get(key)
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            return f"{key!r} must be a list of objects"
    if "seed" in result and result["seed"] != seed:
        return f"it is seed {result['seed']!r}'s result, not seed {seed}'s"
    if "environment" in result and not isinstance(result["environment"], dict):
        return "'environment' must be an object"
    return ""


def remove_tree(path: Path) -> None:
    """Remove a folder a container wrote (a seed folder of an earlier run), links included but never
    followed (``shutil.rmtree`` does not follow them); folders it made unwritable are opened up first,
    each checked by ``lstat`` to be a real folder."""
    if not (path.exists() or path.is_symlink()):
        return
    if path.is_symlink() or not path.is_dir():
        path.unlink()
        return
    for folder, dirs, _files in os.walk(path, followlinks=False):
        for name in [folder, *(os.path.join(folder, entry) for entry in dirs)]:
            with contextlib.suppress(OSError):
                if stat.S_ISDIR(os.lstat(name).st_mode):
                    os.chmod(name, 0o700)
    shutil.rmtree(path)
