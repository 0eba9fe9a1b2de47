"""Checkouts of untrusted repositories through object storage: archived by the worker that cloned,
unpacked by the worker that analyses.

Why archives: git, pipreqs and the checklist read a checkout as files, and object storage has no
files. The cloning worker packs its checkout (the working tree and its ``.git``) into one tar object
named by the repository's cache path and the commit; repos.csv records that object's URL as the
checkout's ``path``, so a task given the path needs nothing else to find it, and a new commit is a
new object (no stale unpacking). The checkout is hostile: links are stored as links and never
followed when packing. Unpacking keeps only regular files and folders whose names stay inside (no
absolute name, no ``..``), written with plain modes through ``O_NOFOLLOW``/``O_EXCL``; links,
hard links, devices and FIFOs are dropped (the analyses never follow links, so what they read is
the same), which holds whatever ``tarfile`` filters the Python at hand has.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from core import atomic
from core.store import LOCAL_SCHEMES, Store, StoreError, mirror_base


def archive_checkout(store: Store, checkout: Path, commit: str) -> str:
    """Pack ``checkout`` (a folder under ``store.root``) and publish it; its URL for repos.csv.

    For a mounted-folder store nothing is packed: the checkout itself is the path.
    """
    if store.local:
        return str(checkout)
    relative = checkout.resolve().relative_to(store.root).as_posix()
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
    try:
        store.publish(key)
    finally:
        archive.unlink(missing_ok=True)  # the checkout stays for reuse; the archive is in the store
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
    base = (mirror or mirror_base()) / "checkouts"
    folder = base / digest
    if folder.is_dir():
        return str(folder)
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=base, prefix=f".unpack-{digest}-"))
    try:
        archive = work / "checkout.tar"
        try:
            fs, remote = fsspec.core.url_to_fs(path)
            fs.get_file(remote, str(archive))
        except Exception as exc:
            raise StoreError(f"cannot fetch the checkout {path}: {type(exc).__name__}: {exc}") from exc
        tree = work / "tree"
        tree.mkdir()
        _unpack(archive, tree)
        atomic.place_folder(tree, folder, folder)  # or a concurrent unpacking's copy
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return str(folder)


def _unpack(archive: Path, tree: Path) -> None:
    """Regular files and folders of ``archive`` under ``tree``; every other member is dropped."""
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if member.name.startswith("/") or ".." in parts:
                continue
            inner = [p for p in parts if p != "."]
            if not inner:
                continue
            target = tree.joinpath(*inner)
            try:
                if member.isdir():
                    target.mkdir(mode=0o755, parents=True, exist_ok=True)
                elif member.isreg():
                    _write_member(tar, member, target)
            except OSError:
                continue  # a name clashing with an earlier member (a file where a folder is): dropped


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with source, os.fdopen(os.open(target, flags, 0o644), "wb") as out:
        shutil.copyfileobj(source, out)
