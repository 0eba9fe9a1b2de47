"""The sandbox every reproduction container runs in, and the host folders it may write.

Research code is untrusted: no network, no root, no capabilities, no privilege gain, a read-only
root file system with a small tmpfs for scratch, bounded memory and process count, stdin closed (a
script that stops at ``input()`` fails instead of hanging). The settings are one dataclass so that
``environment.json`` records exactly what the containers ran under.
"""

from __future__ import annotations

import os
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


def container_user() -> str:
    """The invoking user's ``uid:gid`` (it owns the mounted folders), or nobody's when that is root."""
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        return f"{NOBODY}:{NOBODY}"
    return f"{uid}:{gid}"


def make_writable_for(path: Path, user: str) -> None:
    """Let the container's user write ``path`` (created if missing) and every folder below it.

    Why: bind mounts keep host ownership. Running as the invoking user needs nothing; running as
    nobody (because the caller is root) needs the folders handed over. Only folders change owner:
    files already there stay readable, and new ones can be written or atomically replaced.
    """
    path.mkdir(parents=True, exist_ok=True)
    uid, gid = (int(part) for part in user.split(":"))
    if os.getuid() != 0 or uid == os.getuid():
        return
    for folder, _dirs, _files in os.walk(path):
        os.chown(folder, uid, gid)


def reclaim(path: Path) -> None:
    """Hand a folder the container wrote back to the caller (when the caller is root and it ran as
    nobody), so results in the output folder belong to whoever ran ``audit``."""
    uid, gid = os.getuid(), os.getgid()
    if uid != 0 or not path.exists():
        return
    for folder, _dirs, files in os.walk(path):
        os.chown(folder, uid, gid)
        for name in files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)
