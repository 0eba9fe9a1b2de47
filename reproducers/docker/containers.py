"""Run one container in the sandbox to its end: stream its log, enforce a timeout, say how it ended.

Why separate: the project's worker and a paper's own code are run the same way, and every way a run
can end (exit 0, non-zero exit, out of memory, timeout, removed by Ctrl-C) must come back as data,
so one failed seed never takes the others down.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException, NotFound
from docker.types import DeviceRequest

from reproducers.docker.sandbox import Sandbox

#: Label carried by every container this project starts; its value identifies one run.
RUN_LABEL = "audit.run"

LineCallback = Callable[[str], None]


@dataclass(frozen=True)
class ContainerResult:
    """How one container ended, with its standard output kept for metric parsing."""

    exit_code: int | None
    oom_killed: bool
    timed_out: bool
    stdout: str
    last_lines: tuple[str, ...]
    wall_s: float
    error: str | None = None
    #: The last lines of standard error alone: the reason a failing program gives is usually there.
    stderr_tail: tuple[str, ...] = ()

    @classmethod
    def failed(cls, error: str, last_lines: Sequence[str] = ()) -> ContainerResult:
        """A run that never reached an exit status (not created, removed, engine error)."""
        return cls(None, False, False, "", tuple(last_lines), 0.0, error=error)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and not self.oom_killed and self.exit_code == 0

    def reason(self, sandbox: Sandbox) -> str:
        """Why the run failed, on one line (empty for a success)."""
        if self.ok:
            return ""
        if self.timed_out:
            return f"timed out after {sandbox.timeout_s:g} s"
        if self.oom_killed:
            return f"killed: out of memory (mem_limit {sandbox.mem_limit})"
        if self.error is not None:
            return self.error
        lines = self.stderr_tail or self.last_lines
        tail = f": {lines[-1]}" if lines else ""
        return f"exit code {self.exit_code}{tail}"


def gpu_requests() -> list[DeviceRequest]:
    """All GPUs for the container (``--gpus all``)."""
    return [DeviceRequest(count=-1, capabilities=[["gpu"]])]


def run_container(
    client: docker.DockerClient,
    image: str,
    command: Sequence[str],
    *,
    sandbox: Sandbox,
    labels: Mapping[str, str],
    volumes: Mapping[Path, tuple[str, str]],
    gpu: bool = False,
    on_line: LineCallback | None = None,
) -> ContainerResult:
    """Create, start and follow one sandboxed container, then remove it; never raises for the run's fate.

    ``volumes`` maps host folder → (container path, "rw" | "ro").
    """
    start = time.monotonic()
    kwargs: dict[str, Any] = sandbox.run_kwargs()
    if gpu:
        kwargs["device_requests"] = gpu_requests()
    try:
        container = client.containers.create(
            image,
            list(command),
            labels=dict(labels),
            volumes={str(host): {"bind": path, "mode": mode} for host, (path, mode) in volumes.items()},
            detach=True,
            **kwargs,
        )
    except DockerException as exc:
        return ContainerResult.failed(f"container not created: {_one_line(exc)}")
    timed_out = threading.Event()

    def kill_on_timeout() -> None:
        timed_out.set()
        with contextlib.suppress(DockerException):
            container.kill()

    timer = threading.Timer(sandbox.timeout_s, kill_on_timeout)
    timer.daemon = True
    last: list[str] = []
    try:
        container.start()
        timer.start()
        for line in _lines(container.logs(stream=True, follow=True)):
            last = [*last[-19:], line]
            if on_line is not None:
                on_line(line)
        state = container.wait()
        container.reload()
        stdout = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
        stderr = container.logs(stdout=False, stderr=True, tail=20).decode("utf-8", "replace")
        return ContainerResult(
            exit_code=int(state.get("StatusCode", -1)),
            oom_killed=bool(container.attrs["State"].get("OOMKilled")),
            timed_out=timed_out.is_set(),
            stdout=stdout,
            last_lines=tuple(last),
            wall_s=round(time.monotonic() - start, 2),
            stderr_tail=tuple(line for line in stderr.splitlines() if line.strip()),
        )
    except NotFound:
        return ContainerResult.failed("container removed (interrupted)", last)
    except DockerException as exc:
        return ContainerResult.failed(_one_line(exc), last)
    finally:
        timer.cancel()
        _remove(container)


def remove_labelled(client: docker.DockerClient, run_id: str | None = None) -> int:
    """Force-remove this project's containers (of one run, or all runs); returns how many went.

    Used after Ctrl-C and for stray containers of a crashed process (``run_id=None``).
    """
    selector = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    removed = 0
    for container in client.containers.list(all=True, filters={"label": selector}):
        if _remove(container):
            removed += 1
    return removed


def _remove(container: Any) -> bool:
    try:
        container.remove(force=True)
    except NotFound:
        return False
    except DockerException:
        return False
    return True


def _lines(chunks: Any) -> Any:
    """Whole text lines from the log stream's byte chunks."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield raw.decode("utf-8", "replace").rstrip("\r")
    if pending:
        yield pending.decode("utf-8", "replace")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
