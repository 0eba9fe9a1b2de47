"""Dataset files fetched from canonical mirrors, verified by checksum and size, cached on disk.

Why one module for it: every dataset the registry uses (MNIST, CIFAR-10) comes as a few fixed files
with published MD5s, and every failure must end in one line that names the file and says what to do:
a truncated download, a corrupted one, a file placed by hand that is incomplete, a missing file with
no network. Files already on disk are verified, never downloaded again; a download is written under a
temporary name and renamed, so a killed download never leaves a file that looks finished.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core import atomic
from reproducers.errors import ReproductionError

#: A download function: URL → bytes; it raises on any failure (HTTP error, short body).
Fetch = Callable[[str], bytes]


class TruncatedDownload(OSError):
    """The server closed the connection before sending all the bytes it announced."""


@dataclass(frozen=True)
class DatasetFiles:
    """The files of one dataset: where they live below the data folder and how to check them."""

    label: str  # "MNIST", "CIFAR-10": how messages name the dataset
    folder: str  # sub-folder of the data folder
    md5: Mapping[str, str]  # file name → MD5 of the file as published
    sizes: Mapping[str, int]  # file name → size in bytes (tells "truncated" from "corrupted")
    mirrors: tuple[str, ...]  # base URLs, tried in order; a file's URL is mirror + name


def md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def http_fetch(url: str, timeout_s: tuple[float, float] = (10.0, 60.0)) -> bytes:
    """Download one file (connect, read timeouts), refusing a body shorter than its Content-Length.

    Raises on HTTP errors and on a short body, so that the next mirror is tried.
    """
    import requests

    with requests.get(url, timeout=timeout_s, stream=True) as response:
        response.raise_for_status()
        announced = response.headers.get("Content-Length", "")
        of = f" of {int(announced):,}" if announced.isdigit() else ""
        body = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=1 << 16):
                body.extend(chunk)
        except requests.exceptions.RequestException as exc:  # urllib3 reports a short body here
            raise TruncatedDownload(f"truncated download (about {len(body):,}{of} bytes arrived)") from exc
        if of and len(body) < int(announced):
            raise TruncatedDownload(f"truncated download ({len(body):,}{of} bytes)")
        return bytes(body)


def problem(path: Path, spec: DatasetFiles, name: str) -> str | None:
    """Why the file on disk is unusable (None when it is the right file)."""
    if not path.is_file():
        return "missing"
    size, expected = path.stat().st_size, spec.sizes.get(name)
    if expected is not None and size < expected:
        return f"truncated ({size:,} of {expected:,} bytes)"
    digest = md5_file(path)
    if digest != spec.md5[name]:
        return f"wrong checksum (md5 {digest}, expected {spec.md5[name]})"
    return None


def ensure(
    data_dir: Path,
    spec: DatasetFiles,
    *,
    mirrors: Sequence[str] | None = None,
    fetch: Fetch | None = http_fetch,
) -> Path:
    """Make sure every file of ``spec`` is in ``data_dir/<spec.folder>`` with the right checksum.

    Files already there (downloaded earlier or placed by hand) are verified, not downloaded again; a
    file there that is truncated or corrupted is downloaded again (online) or named in the error
    (offline, ``fetch=None``). Every error is one line naming the file, the folder and what to do.
    """
    mirrors = tuple(mirrors) if mirrors else spec.mirrors
    folder = data_dir / spec.folder
    problems = {name: problem(folder / name, spec, name) for name in spec.md5}
    todo = [name for name, why in problems.items() if why is not None]
    if not todo:
        return folder
    if fetch is None:
        bad = [f"{folder / name} is {problems[name]}" for name in todo if problems[name] != "missing"]
        missing = [name for name in todo if problems[name] == "missing"]
        parts = []
        if bad:
            parts.append("; ".join(bad) + ": delete it and rerun online, or replace it with the original")
        if missing:
            parts.append(f"put {', '.join(missing)} (from {mirrors[0]}) into {folder}")
        raise ReproductionError(
            f"{spec.label} is not available offline: {'; '.join(parts)}, or set AUDIT_DATA_DIR to a "
            f"folder whose {spec.folder}/ holds the files"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for position, name in enumerate(todo):
        errors = []
        for mirror in mirrors:
            try:
                data = fetch(mirror + name)
            except Exception as exc:  # network errors of any client: try the next mirror
                detail = str(exc) if isinstance(exc, TruncatedDownload) else type(exc).__name__
                errors.append(f"{mirror}: {detail}")
                continue
            expected = spec.sizes.get(name)
            if expected is not None and len(data) < expected:
                errors.append(f"{mirror}: truncated download ({len(data):,} of {expected:,} bytes)")
                continue
            if md5(data) != spec.md5[name]:
                errors.append(f"{mirror}: checksum mismatch (got md5 {md5(data)})")
                continue
            atomic.write_bytes(folder / name, data)
            break
        else:
            still = todo[position:]
            raise ReproductionError(
                f"could not download {name} ({'; '.join(errors)}); put {', '.join(still)} "
                f"(from {mirrors[0]}) into {folder} by hand, or set AUDIT_DATA_DIR to a folder whose "
                f"{spec.folder}/ holds them"
            )
    return folder
