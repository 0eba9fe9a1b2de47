"""A real Dask cluster for the tests: one ``dask scheduler`` and worker processes on 127.0.0.1.

No in-process shortcut (``LocalCluster``, ``Client(processes=False)``): the scheduler and every worker
are separate processes started from the project's virtual environment, exactly as a user starts them
by hand, so pickling, imports on the workers and worker deaths are real. Workers run without a nanny,
so that killing one takes it out of the cluster (with a nanny it would be restarted in place).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    return env


@dataclass
class Cluster:
    """The running cluster: its address and its worker processes by name."""

    folder: Path
    scheduler: subprocess.Popen[bytes]
    address: str = ""
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: extra environment of the workers (a git configuration that routes forges to local mirrors)
    env: dict[str, str] = field(default_factory=dict)

    def start_worker(self, name: str, resources: str | None = None) -> None:
        command = [
            str(DASK), "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
            "--no-dashboard", "--local-directory", str(self.folder / name),
        ]  # fmt: skip
        if resources:
            command += ["--resources", resources]
        log = (self.folder / f"{name}.log").open("wb")
        # a temporary directory of its own, as on another machine: an object store's mirror is per worker
        scratch = self.folder / name / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        self.workers[name] = subprocess.Popen(
            command,
            cwd=PROJECT,
            env={**_env(), **self.env, "TMPDIR": str(scratch)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_workers(self, n: int, timeout_s: float = 60.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=timeout_s)

    def kill(self, name: str) -> None:
        """SIGKILL a worker: no goodbye to the scheduler, as when a node dies."""
        process = self.workers.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers.values(), self.scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def start_cluster(
    folder: Path,
    workers: Sequence[str] = ("w1", "w2"),
    resources: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Cluster:
    """A scheduler on a free port of 127.0.0.1 and one single-threaded worker per name."""
    folder.mkdir(parents=True, exist_ok=True)
    info = folder / "scheduler.json"
    log = (folder / "scheduler.log").open("wb")
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
         "--scheduler-file", str(info)],
        cwd=PROJECT, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    cluster = Cluster(folder, scheduler, env=dict(env or {}))
    deadline = time.monotonic() + 60
    while not info.is_file() or not info.read_text().strip():
        if scheduler.poll() is not None or time.monotonic() > deadline:
            cluster.stop()
            raise RuntimeError(
                f"dask scheduler did not start: {(folder / 'scheduler.log').read_text()[-2000:]}"
            )
        time.sleep(0.2)
    cluster.address = json.loads(info.read_text())["address"]
    for name in workers:
        cluster.start_worker(name, (resources or {}).get(name))
    cluster.wait_for_workers(len(workers))
    return cluster


def running_cluster(folder: Path, **options: object) -> Iterator[Cluster]:
    cluster = start_cluster(folder, **options)  # type: ignore[arg-type]
    try:
        yield cluster
    finally:
        cluster.stop()
