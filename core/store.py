"""The store: where clones, experiment states and datasets live for every worker of a cluster.

Two kinds, one interface. A *folder* every worker mounts (a path or a ``file://`` URL) is used in
place. *Object storage* (``s3://bucket/prefix``, ``gs://``, ``az://``… any fsspec protocol whose
package is installed) cannot be read as files by git, pipreqs or ``torch.load``, so each worker keeps
a *mirror*: a folder of its own (under its temporary directory) where it fetches the objects a task
needs and from which it publishes what the task made. The client never reads the store.

Why this is safe without locks across machines: every key is content-addressed (a state's hash, a
clone's repository, ref and commit, a dataset's checked files), so two workers that race produce the
same bytes, and publishing is put-if-absent. A folder's files are uploaded with its marker file last
(``state.json`` for a state), and readers treat a folder as present only when its marker is, so a
worker killed mid-upload leaves nothing another worker would take for finished.

Credentials and endpoints are fsspec's own: the protocol's environment variables (for S3,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``) or ``FSSPEC_<PROTOCOL>_<OPTION>``
variables, set where the workers run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from core import atomic
from core.errors import AuditError, UsageError

#: protocols that are local files, used in place
LOCAL_SCHEMES = ("", "file")


class StoreError(AuditError):
    """The store could not be read or written (credentials, endpoint, permissions): one line, exit 1."""


@contextlib.contextmanager
def _reaching(store: Store, what: str) -> Iterator[None]:
    """Any failure of the storage client (botocore, aiohttp, OSError…) as one :class:`StoreError` line."""
    try:
        yield
    except AuditError:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise StoreError(f"store {store.url}: cannot {what}: {type(exc).__name__}: {detail}") from exc


@dataclass
class Store:
    """A store named by ``url``; ``mirror`` overrides the worker-local folder of an object store."""

    url: str
    mirror: Path | None = None
    _fs: Any = field(default=None, init=False, repr=False, compare=False)
    _folder: Path | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.scheme = parts.scheme if len(parts.scheme) > 1 else ""  # "C:" is not a scheme
        if self.local:
            path = Path(parts.path if self.scheme == "file" else self.url).expanduser()
            if not path.is_absolute():
                raise UsageError(
                    f"--store {self.url!r} must be an absolute path: workers resolve it, not this shell"
                )
            self._folder = path.absolute()
            return
        if not parts.netloc:
            raise UsageError(f"--store {self.url!r}: name a bucket, e.g. {self.scheme}://bucket/audit")
        import fsspec

        try:
            fsspec.get_filesystem_class(self.scheme)
        except (ValueError, ImportError) as exc:
            raise UsageError(
                f"--store {self.url!r}: no fsspec file system for {self.scheme}:// here "
                f"({' '.join(str(exc).split())[:160]})"
            ) from None
        self._prefix = f"{parts.netloc}{parts.path}".rstrip("/")
        self._folder = None  # the mirror, made when a task first needs it (never by a mere check)

    # -- where things are ----------------------------------------------------------------------
    @property
    def local(self) -> bool:
        """True for a mounted folder (used in place), False for object storage (mirrored)."""
        return self.scheme in LOCAL_SCHEMES

    @property
    def root(self) -> Path:
        """The folder tasks read and write: the store itself, or this worker's mirror of it."""
        if self._folder is None:
            # resolved: checkouts are recorded resolved, and /tmp may be a link (/var → /private/var)
            self._folder = (self.mirror or _default_mirror(self.url)).resolve()
        return self._folder

    def _key(self, key: str) -> str:
        """The object's name for ``key``, which must stay inside the store (checked for both kinds)."""
        clean = PurePosixPath(key)
        if clean.is_absolute() or ".." in clean.parts:
            raise ValueError(f"store key {key!r} leaves the store")
        return str(clean) if self.local else f"{self._prefix}/{clean}"

    @property
    def fs(self) -> Any:
        if self._fs is None:
            import fsspec

            # an instance of its own: the environment (endpoint, credentials) as it is now, and a
            # listings cache no other store shares
            self._fs = fsspec.filesystem(self.scheme, skip_instance_cache=True)
        return self._fs

    # -- moving objects ------------------------------------------------------------------------
    def fetch(self, key: str, marker: str | None = None) -> bool:
        """Make ``root/key`` (a file, or a folder whose ``marker`` file says it is complete) present
        here; False when the store does not have it either. A no-op for a mounted folder."""
        remote = self._key(key)
        local = self.root / key
        done = local / marker if marker else local
        if done.exists():
            return True
        if self.local:
            return False
        with _reaching(self, f"fetch {key}"):
            return self._fetch(key, marker, remote, local, done)

    def _fetch(self, key: str, marker: str | None, remote: str, local: Path, done: Path) -> bool:
        self.fs.invalidate_cache(remote)  # another worker may have published since this one looked
        if marker is None:
            if not self.fs.isfile(remote):
                return False
            local.parent.mkdir(parents=True, exist_ok=True)
            _download_file(self.fs, remote, local)
            return True
        if not self.fs.isfile(f"{remote}/{marker}"):
            return False
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=local.parent, prefix=f".fetch-{local.name}-"))
        try:
            for name in sorted(self.fs.find(remote)):
                relative = PurePosixPath(name).relative_to(PurePosixPath(remote))
                if ".." in relative.parts:
                    continue
                target = tmp / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                _download_file(self.fs, name, target)
            atomic.place_folder(tmp, local, done)  # or a concurrent fetch's copy
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True

    def publish(self, key: str, marker: str | None = None, *, replace: bool = False) -> None:
        """Upload ``root/key`` (a file, or a folder with its ``marker`` last) unless the store has it
        (``replace``: upload anyway, for a file whose content grows, such as a state's tags)."""
        if self.local:
            return
        remote = self._key(key)
        with _reaching(self, f"publish {key}"):
            self._publish(key, marker, replace, remote)

    def refresh(self, key: str) -> None:
        """Replace this mirror's copy of the file ``key`` by the store's, when the store has one (a
        state's ``state.json``, whose tags other workers add to)."""
        if self.local:
            return
        remote = self._key(key)
        with _reaching(self, f"fetch {key}"):
            self.fs.invalidate_cache(remote)
            if self.fs.isfile(remote):
                _download_file(self.fs, remote, self.root / key)

    def check(self) -> None:
        """Reach the store once (a listing of its prefix), so that missing credentials or a wrong
        endpoint are one line before any work, not a state reported missing."""
        if self.local:
            return
        # FileNotFoundError: an empty store, nothing published yet
        with _reaching(self, "list it"), contextlib.suppress(FileNotFoundError):
            self.fs.ls(self._prefix)

    def _publish(self, key: str, marker: str | None, replace: bool, remote: str) -> None:
        local = self.root / key
        if local.is_file():
            if replace or not self.fs.exists(remote):
                self.fs.put_file(str(local), remote)
            return
        if not replace and marker and self.fs.isfile(f"{remote}/{marker}"):
            return
        files = sorted(p for p in local.rglob("*") if p.is_file() and not p.is_symlink())
        files.sort(key=lambda p: p.name == marker)  # the marker last: present means complete
        for path in files:
            self.fs.put_file(str(path), f"{remote}/{path.relative_to(local).as_posix()}")

    def fetch_tree(self, key: str) -> None:
        """Every file under ``key`` that this mirror lacks (a dataset's folder), one file at a time."""
        if self.local:
            return
        remote = self._key(key)
        with _reaching(self, f"list {key}"):
            self.fs.invalidate_cache(remote)
            names = sorted(self.fs.find(remote)) if self.fs.exists(remote) else []
        for name in names:
            relative = PurePosixPath(name).relative_to(PurePosixPath(remote))
            if ".." not in relative.parts:
                self.fetch(f"{key}/{relative}")

    def publish_tree(self, key: str) -> None:
        """Every file under ``root/key`` that the store lacks."""
        if self.local or not (self.root / key).is_dir():
            return
        for path in sorted(p for p in (self.root / key).rglob("*") if p.is_file() and not p.is_symlink()):
            if not path.name.startswith("."):
                self.publish(f"{key}/{path.relative_to(self.root / key).as_posix()}")


def open_store(url: str | None, default: Path) -> Store:
    """The store named by ``url`` (``--store``), or the folder ``default`` when none is named (as
    before stores had URLs: a relative cache folder is taken from the current directory)."""
    return Store(url) if url else Store(str(Path(default).expanduser().absolute()))


def mirror_base() -> Path:
    """This user's folder of mirrors in the temporary directory: created 0700, refused when it is a
    link or another user's (a planted folder would hand this worker someone else's states)."""
    base = Path(tempfile.gettempdir()) / f"audit-store-mirror-{os.getuid()}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(base)
    except OSError as exc:
        raise StoreError(f"cannot create the store mirror {base}: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise StoreError(f"{base} is not a private folder of this user; remove it, or set TMPDIR")
    return base


def _default_mirror(url: str) -> Path:
    """A worker's mirror of an object store: one folder per store URL in :func:`mirror_base`.

    A cache like the local one: delete it at will, it is filled again from the store."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return mirror_base() / digest


def _download_file(fs: Any, remote: str, local: Path) -> None:
    """One object to ``local``, under a temporary name renamed into place (never half a file)."""
    fd, name = tempfile.mkstemp(dir=local.parent, prefix=f".{local.name}.", suffix=".part")
    os.close(fd)
    try:
        fs.get_file(remote, name)
        os.replace(name, local)
    finally:
        if os.path.exists(name):
            os.unlink(name)
