"""Reaching the Docker engine and deciding what it can run (CPU only, or CUDA too).

Why a module of its own: "is an engine there?" decides the default runner, and an explicit
``--runner docker`` must fail with one clear line instead of a docker SDK traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import docker

from reproducers.errors import ReproductionError, ReproductionUsageError

#: Where the host's NVIDIA driver lists its GPUs; present only when a GPU and driver are.
NVIDIA_GPU_DIR = Path("/proc/driver/nvidia/gpus")


def connect(timeout_s: float = 10.0) -> docker.DockerClient:
    """A client for the engine named by ``DOCKER_HOST`` (or the default socket), checked by a ping.

    Raises ReproductionError with one line saying where it looked, why it failed and what to do.
    """
    client, problem = _ping(timeout_s)
    if client is None:
        raise ReproductionError(f"{problem}; start dockerd, set DOCKER_HOST, or use --runner local")
    return client


def engine_reachable(timeout_s: float = 5.0) -> tuple[bool, str]:
    """(reachable, reason) for ``--runner auto`` and for skipping Docker tests with a reason.

    The reason is short (``no Docker engine reachable at unix:///var/run/docker.sock ([Errno 2] ...)``)
    so that callers can wrap it in their own warning.
    """
    client, problem = _ping(timeout_s)
    if client is None:
        return False, problem
    try:
        version = client.version().get("Version", "?")
    finally:
        client.close()
    return True, f"Docker engine {version} reachable"


def _ping(timeout_s: float) -> tuple[docker.DockerClient | None, str]:
    try:
        client = docker.from_env(timeout=int(timeout_s))
        client.ping()
    except Exception as exc:  # DockerException, or requests' connection errors on some SDK paths
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        return None, f"no Docker engine reachable at {where} ({_short(exc)})"
    return client, ""


def has_nvidia_gpu(client: docker.DockerClient) -> bool:
    """True when the engine has the nvidia runtime and the host shows a GPU, so CUDA can be asked for."""
    runtimes: dict[str, Any] = client.info().get("Runtimes") or {}
    if "nvidia" not in runtimes:
        return False
    return NVIDIA_GPU_DIR.is_dir() and any(NVIDIA_GPU_DIR.iterdir())


def resolve_device(client: docker.DockerClient, device: str) -> str:
    """``auto`` → ``cuda`` when the engine can give containers a GPU, else ``cpu``; others unchanged."""
    if device == "auto":
        return "cuda" if has_nvidia_gpu(client) else "cpu"
    if device not in ("cpu", "cuda"):
        raise ReproductionUsageError(f"unknown device {device!r} (valid: auto, cpu, cuda)")
    if device == "cuda" and not has_nvidia_gpu(client):
        runtimes = ", ".join(sorted(client.info().get("Runtimes") or {})) or "none"
        raise ReproductionError(
            f"--device cuda needs a Docker engine with the nvidia runtime and a GPU (runtimes: {runtimes}); "
            "install the NVIDIA container toolkit or use --device cpu"
        )
    return device


def _short(exc: BaseException) -> str:
    """The most specific part of a nested docker/requests error (``[Errno 111] Connection refused``)."""
    text = " ".join(str(exc).split())
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    if errno:
        return errno.group(0).strip()
    wrapped = re.search(r"Error\((-?\d+), '([^']*)'", text)  # FileNotFoundError(2, 'No such file...')
    if wrapped:
        return f"[Errno {wrapped.group(1)}] {wrapped.group(2)}"
    for marker in ("Caused by ", "Error while fetching server API version: "):
        if marker in text:
            text = text.split(marker)[-1]
    return text.strip("()'\" ") or type(exc).__name__
