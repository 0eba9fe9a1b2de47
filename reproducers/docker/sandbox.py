"""The sandbox every reproduction container runs in, and the host folders it may write.

Research code is untrusted: no network, no root, no capabilities, no privilege gain, a read-only
root file system with a small tmpfs for scratch, bounded memory and process count, stdin closed (a
script that stops at ``input()`` fails instead of hanging). The settings are one dataclass so that
``environment.json`` records exactly what the containers ran under.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: The uid/gid containers run as when the caller is root (``nobody`` on Debian).
NOBODY = 65534

#: Container paths of the mounted host folders.
OUT_MOUNT = "/out"
CACHE_MOUNT = "/cache"
DATA_MOUNT = "/data"


@dataclass(frozen=True)
class Sandbox:
    """Resource and isolation settings for one container; defaults suit a CPU MNIST-scale run."""

    mem_limit: str = "4g"
    pids_limit: int = 512
    tmpfs_size: str = "1g"
    network_mode: str = "none"
    cap_drop: tuple[str, ...] = ("ALL",)
    security_opt: tuple[str, ...] = ("no-new-privileges",)
    read_only: bool = True
    #: ``uid:gid``; empty means "the invoking user, or nobody when that is root" (see :func:`container_user`).
    user: str = ""
    #: Seconds one container may run before it is killed and its seed recorded as timed out.
    timeout_s: float = 6 * 3600.0
    #: Largest file a container may leave in its output folder; a bigger one fails the seed.
    max_output_mb: float = 64.0
    environment: dict[str, str] = field(
        default_factory=lambda: {
            "HOME": "/tmp",
            "XDG_CACHE_HOME": "/tmp/.cache",
            "MPLCONFIGDIR": "/tmp/.matplotlib",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )

    def resolved_user(self) -> str:
        return self.user or container_user()

    @property
    def max_output_bytes(self) -> int:
        return int(self.max_output_mb * 1_000_000)

    def run_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``containers.run``/``create`` that impose this sandbox."""
        return {
            "network_mode": self.network_mode,
            "user": self.resolved_user(),
            "cap_drop": list(self.cap_drop),
            "security_opt": list(self.security_opt),
            "read_only": self.read_only,
            "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={self.tmpfs_size}"},
            "mem_limit": self.mem_limit,
            "memswap_limit": self.mem_limit,
            "pids_limit": self.pids_limit,
            "stdin_open": False,
            "tty": False,
            "environment": dict(self.environment),
        }

    def describe(self) -> dict[str, Any]:
        """The settings as recorded in environment.json (user resolved, tuples as lists)."""
        data = asdict(self)
        data["user"] = self.resolved_user()
        data["cap_drop"] = list(self.cap_drop)
        data["security_opt"] = list(self.security_opt)
        data["stdin_open"] = False
        data["tty"] = False
        return data


def container_user(uid: int | None = None, gid: int | None = None) -> str:
    """``uid:gid`` for the container: the invoking user's (it owns the mounted folders), or nobody's
    when that is root (``uid``/``gid`` default to this process's)."""
    uid = os.getuid() if uid is None else uid
    gid = os.getgid() if gid is None else gid
    if uid == 0:
        return f"{NOBODY}:{NOBODY}"
    return f"{uid}:{gid}"


def make_writable_for(path: Path, user: str) -> None:
    """Let the container's user write ``path`` (created if missing) and every folder below it.

    Why: bind mounts keep host ownership. Running as the invoking user needs nothing; running as
    nobody (because the caller is root) needs the folders handed over. Only real folders change
    owner, never through a link (a link planted in a folder a container wrote earlier must not hand
    its target over): files already there stay readable, and new ones can be written or replaced.
    """
    path.mkdir(parents=True, exist_ok=True)
    uid, gid = (int(part) for part in user.split(":"))
    if os.getuid() != 0 or uid == os.getuid():
        return
    for folder, _dirs, _files in os.walk(path, followlinks=False):
        if stat.S_ISDIR(os.lstat(folder).st_mode):
            os.chown(folder, uid, gid, follow_symlinks=False)


def reclaim(path: Path, user: str) -> None:
    """Hand back to the caller what the container's ``user`` created under ``path`` (when the caller
    is root and the container ran as nobody), so results belong to whoever ran ``audit``.

    Nothing is followed: links are re-owned as links (``lchown``), never their targets, folder links
    are not descended, and only entries the container's user owns change owner (a hard link to a
    file of someone else keeps that owner).
    """
    uid, gid = os.getuid(), os.getgid()
    container_uid = int(user.split(":")[0])
    if uid != 0 or container_uid == uid:
        return
    try:
        top = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(top.st_mode):
        return
    for folder, dirs, files in os.walk(path, followlinks=False):
        links = [entry for entry in dirs if os.path.islink(os.path.join(folder, entry))]  # not walked
        for name in [folder, *(os.path.join(folder, entry) for entry in files + links)]:
            try:
                info = os.lstat(name)
            except FileNotFoundError:
                continue
            if info.st_uid == container_uid:
                os.chown(name, uid, gid, follow_symlinks=False)
