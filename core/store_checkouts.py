"""Checkouts of untrusted repositories through object storage: archived by the worker that cloned,
unpacked by the worker that analyses.

Why archives: git, pipreqs and the checklist read a checkout as files, and object storage has no
files. The cloning worker packs its checkout (the working tree and its ``.git``) into one tar object
named by the repository's cache path and the commit; repos.csv records that object's URL as the
checkout's ``path``, so a task given the path needs nothing else to find it, and a new commit is a
new object (no stale unpacking). The checkout is hostile: links are stored as links and never
followed when packing, and unpacking uses the standard library's ``data`` filter (no absolute names,
no ``..``, no link leaving the folder, no devices, no set-uid bits), dropping a member it refuses
instead of failing the repository (the analysis never follows links anyway).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from core.store import LOCAL_SCHEMES, Store


def archive_checkout(store: Store, checkout: Path, commit: str) -> str:
    """Pack ``checkout`` (a folder under ``store.root``) and publish it; its URL for repos.csv.

    For a mounted-folder store nothing is packed: the checkout itself is the path.
    """
    if store.local:
        return str(checkout)
    relative = checkout.relative_to(store.root).as_posix()
    key = f"archives/{relative}/{commit}.tar"
    archive = store.root / key
    archive.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=archive.parent, prefix=".pack-", suffix=".tar")
    os.close(fd)
    try:
        with tarfile.open(name, "w") as tar:
            tar.add(str(checkout), arcname=".", recursive=True)  # links stay links (dereference=False)
        os.replace(name, archive)
    finally:
        if os.path.exists(name):
            os.unlink(name)
    store.publish(key)
    return f"{store.url.rstrip('/')}/{key}"


def is_archived(path: str) -> bool:
    """True when repos.csv's ``path`` is a checkout archive's URL in object storage."""
    scheme = urlsplit(path).scheme
    return len(scheme) > 1 and scheme not in LOCAL_SCHEMES and path.endswith(".tar")


def local_checkout(path: str, mirror: Path | None = None) -> str:
    """The folder to analyse for repos.csv's ``path``: itself, or its archive unpacked on this worker
    (once per archive URL, under ``mirror``, by default the worker's temporary directory)."""
    if not is_archived(path):
        return path
    import fsspec

    digest = hashlib.sha256(path.encode()).hexdigest()[:20]
    base = (mirror or Path(tempfile.gettempdir()) / "audit-store-mirror") / "checkouts"
    folder = base / digest
    if folder.is_dir():
        return str(folder)
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=base, prefix=f".unpack-{digest}-"))
    try:
        fs, remote = fsspec.core.url_to_fs(path)
        archive = work / "checkout.tar"
        fs.get_file(remote, str(archive))
        tree = work / "tree"
        tree.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter=_refusing_filter)
        try:
            os.rename(tree, folder)
        except OSError:
            if not folder.is_dir():  # not a concurrent unpacking of the same archive
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return str(folder)


def _refusing_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """The ``data`` filter, with a refused member dropped rather than failing the whole archive."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None
