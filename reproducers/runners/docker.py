"""Run a paper's seeds in sandboxed Docker containers, one seed per container, results as files.

The image holds the ``reproducers`` package and its pinned runtime packages; each container runs
``python -m reproducers.worker`` for one seed with no network, as a non-root user, and writes its
rows as JSON into a mounted per-seed folder. A seed that fails (non-zero exit, out of memory,
timeout, an output the host refuses to read) is recorded with its reason and the other seeds go on;
Ctrl-C removes every container of the run. :meth:`DockerRunner.environment` is the part of
environment.json this runner owns, with the provenance the containers reported from inside.

Per seed, ``<out>/containers/seed-K/`` is the host's (``container.log``, and ``stdout.txt`` for an
upstream entry) and only its ``out/`` sub-folder is mounted read-write: the host never writes into a
folder a container could write, and reads that folder only through ``reproducers.docker.outputs``
(no link followed, regular files under a size cap, or the seed fails).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

import core
import reproducers
from core import atomic
from reproducers import provenance
from reproducers.docker import engine
from reproducers.docker.containers import RUN_LABEL, ContainerResult, remove_labelled, run_container
from reproducers.docker.image import BuiltImage, ImageRecipe, base_image, ensure_image
from reproducers.docker.outputs import (
    MissingOutput,
    UnsafeOutput,
    inspect_outputs,
    read_output,
    remove_tree,
    worker_result_problem,
)
from reproducers.docker.requirements import runtime_requirements
from reproducers.docker.sandbox import CACHE_MOUNT, DATA_MOUNT, OUT_MOUNT, Sandbox, make_writable_for, reclaim
from reproducers.docker.wheelhouse import fill
from reproducers.errors import ReproductionError

#: Base images when none is given: a slim CPython for CPU, PyTorch's CUDA runtime (with torch) for GPUs.
DEFAULT_CPU_BASE = "python:3.11-slim"
DEFAULT_CUDA_BASE = "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"
WORKER_COMMAND = ("python", "-m", "reproducers.worker")
RESULT_NAME = "result.json"
#: The sub-folder of a seed's folder that is mounted read-write at OUT_MOUNT (all else is the host's).
OUTPUTS = "out"
#: A registration file (``audit reproduce --registration``) is copied into this host-only sub-folder of
#: the seed's folder, which is mounted read-only at REGISTRATION_MOUNT; its suffix (YAML or TOML) is kept.
REGISTRATION_STEM = "registration"
REGISTRATION_MOUNT = "/opt/audit/registration"
#: The state cache's folder inside ``--cache`` (``reproducers.tree`` keeps states in ``<cache>/states``).
STATES = "states"

#: How the worker reports progress on stderr (see reproducers.worker).
WORKER_PROGRESS = re.compile(r"\[(?P<done>\d+)/(?P<total>\d+)\] (?P<message>.*)$")

Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]
ProgressCallback = Callable[[int, int, str], None]
LineCallback = Callable[[str], None]
WarnCallback = Callable[[str], None]


@dataclass(frozen=True)
class SeedFailure:
    """A seed whose container did not produce a result, and why (one line)."""

    seed: int
    reason: str


@dataclass
class SeedOutcomes:
    """Per-seed worker output (the JSON it wrote) and the seeds that failed."""

    results: dict[int, Any] = field(default_factory=dict)
    failures: list[SeedFailure] = field(default_factory=list)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class DockerRunner:
    """Runs worker seeds in containers built from a content-hashed image (built once, then reused)."""

    name = "docker"
    #: whether containers get the state cache (read-write): the worker does, a paper's own code does not
    mounts_states = True

    def __init__(
        self,
        *,
        device: str = "auto",
        base_image: str | None = None,
        wheelhouse: Path | None = None,
        jobs: int = 1,
        sandbox: Sandbox | None = None,
        client: docker.DockerClient | None = None,
        worker_command: Sequence[str] = WORKER_COMMAND,
        requirements: Sequence[str] | None = None,
        run_id: str | None = None,
        on_line: LineCallback | None = None,
        on_warning: WarnCallback = _stderr,
        cache_dir: Path | None = None,
        data_dir: Path | None = None,
        work_dir: Path | None = None,
    ) -> None:
        self.client = client or engine.connect()
        self.device = engine.resolve_device(self.client, device)
        self.base_image = base_image or (DEFAULT_CUDA_BASE if self.device == "cuda" else DEFAULT_CPU_BASE)
        # Without --wheelhouse, a pipeline run (which knows the cache) fills one there with the host's pip:
        # the image then gets the very wheels the host runs (a CPU torch stays CPU, never a CUDA
        # download) and builds with no network at all.
        self._fill_wheelhouse = wheelhouse is None and cache_dir is not None
        self.wheelhouse = wheelhouse
        self.jobs = max(1, jobs)
        self.sandbox = sandbox or Sandbox()
        self.worker_command = tuple(worker_command)
        # A CUDA base (PyTorch's image, or one given with --base-image) must bring its own CUDA torch:
        # installing the host's pinned, possibly CPU-only torch over it would undo that.
        self._base_has_torch = self.device == "cuda"
        self.requirements = tuple(
            requirements
            if requirements is not None
            else runtime_requirements(without=("torch",) if self._base_has_torch else ())
        )
        self.run_id = run_id or uuid.uuid4().hex
        self.on_line = on_line
        self.on_warning = on_warning
        self.image: BuiltImage | None = None
        self.failures: list[SeedFailure] = []
        #: per seed, the provenance its container reported from inside (see reproducers.provenance)
        self.inside: dict[int, dict[str, Any]] = {}
        #: (file name, bytes) of a registration file (``audit reproduce --registration``), or None for a
        #: built-in paper: copied into each seed's folder, and the worker loads it from there.
        self.registration: tuple[str, bytes] | None = None
        #: ``audit reproduce --model``: the protocol's models the worker trains (empty: all of them)
        self.models: tuple[str, ...] = ()
        # Folders for the pipeline (iter_rows); run_seeds and iter_seeds take them as arguments.
        self.cache_dir, self.data_dir, self.work_dir = cache_dir, data_dir, work_dir
        if self._fill_wheelhouse and cache_dir is not None:
            self.wheelhouse = cache_dir / "wheelhouse" / self.wheelhouse_name()

    def wheelhouse_name(self) -> str:
        """The folder below ``<cache>/wheelhouse`` for this kind of image (one per purpose, so that
        wheels added for another image never change this image's content hash)."""
        return f"worker-{self.device}"

    def recipe(self) -> ImageRecipe:
        """The image recipe: the ``reproducers`` package and the pinned runtime packages on the base."""
        package = Path(reproducers.__file__).resolve().parent
        shared = Path(core.__file__).resolve().parent  # the contracts the worker shares with the host
        return ImageRecipe(
            base=self.base_image,
            requirements=self.requirements,
            sources=(("reproducers", package), ("core", shared)),
            wheelhouse=self.wheelhouse if self.requirements else None,
            system_site_packages=self._base_has_torch,
        )

    def check_base(self) -> None:
        """Raise ReproductionError (one line) unless the base image is local or can be pulled."""
        base_image(self.client, self.base_image)

    def prepare(self, out_dir: Path) -> BuiltImage:
        """Build (or find) the image, saving its Dockerfile in ``out_dir``; idempotent per runner."""
        if self.image is None:
            if self._fill_wheelhouse and self.wheelhouse is not None and self.requirements:
                fill(self.wheelhouse, self.requirements)
            self.image = ensure_image(
                self.client,
                self.recipe(),
                save_dockerfile=out_dir / "Dockerfile",
                on_log=(lambda line: self.on_line(f"[build] {line}")) if self.on_line else None,
            )
        return self.image

    def run_seeds(
        self,
        paper_id: str,
        protocol: str,
        seeds: Sequence[int],
        *,
        out_dir: Path,
        cache_dir: Path,
        data_dir: Path,
        progress: ProgressCallback | None = None,
    ) -> SeedOutcomes:
        """Run every seed in its own container, ``jobs`` at a time; failures are kept, not raised."""
        outcomes = SeedOutcomes()
        folders = {"out_dir": out_dir, "cache_dir": cache_dir, "data_dir": data_dir}
        for seed, result, reason in self.iter_seeds(paper_id, protocol, seeds, progress=progress, **folders):
            if reason:
                outcomes.failures.append(SeedFailure(seed, reason))
            else:
                outcomes.results[seed] = result
        outcomes.failures.sort(key=lambda failure: failure.seed)
        return outcomes

    def iter_seeds(
        self,
        paper_id: str,
        protocol: str,
        seeds: Sequence[int],
        *,
        out_dir: Path,
        cache_dir: Path,
        data_dir: Path,
        progress: ProgressCallback | None = None,
    ) -> Iterator[tuple[int, Any, str]]:
        """Yield (seed, result, "") or (seed, None, reason) as containers finish, ``jobs`` at a time.

        Leaving early (an exception such as KeyboardInterrupt, or closing the generator) removes
        every container of this run.
        """
        image = self.prepare(out_dir)
        user = self.sandbox.resolved_user()
        if self.mounts_states:
            make_writable_for(cache_dir / STATES, user)
        data_dir.mkdir(parents=True, exist_ok=True)
        total, done = len(seeds), [0]
        if progress is not None:
            progress(0, total, f"{self.device} containers, image {image.tag}")

        def report(message: str) -> None:
            """A worker's own progress line, shown against the seeds finished so far."""
            if progress is not None:
                progress(done[0], total, message)

        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="audit-seed")
        try:
            run = (image.tag, paper_id, protocol)
            futures = {
                pool.submit(self._run_seed, *run, seed, out_dir, cache_dir, data_dir, user, report): seed
                for seed in seeds
            }
            for future in as_completed(futures):
                seed = futures[future]
                result, reason = future.result()
                if reason:
                    self.failures.append(SeedFailure(seed, reason))
                    self.on_warning(f"warning: seed {seed} failed in Docker: {reason}")
                elif (facts := self.reported_environment(result)) is not None:
                    self.inside[seed] = facts
                done[0] += 1
                if progress is not None:
                    progress(done[0], total, f"seed {seed} {'failed' if reason else 'done'}")
                yield seed, result, reason
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            remove_labelled(self.client, self.run_id)

    def _run_seed(
        self,
        tag: str,
        paper_id: str,
        protocol: str,
        seed: int,
        out_dir: Path,
        cache_dir: Path,
        data_dir: Path,
        user: str,
        report: LineCallback | None = None,
    ) -> tuple[Any, str]:
        """One container for one seed → (its result, "") or (None, why it failed).

        ``seed_dir`` is the host's; only ``seed_dir/out`` is mounted writable. After the container is
        gone, that folder is inspected (links, FIFOs, devices, oversized files fail the seed) before
        anything in it is read, and what the container's user created there is handed back.
        """
        seed_dir = (out_dir / "containers" / f"seed-{seed}").resolve()
        remove_tree(seed_dir)  # a rerun starts from an empty folder (some code refuses to overwrite)
        seed_dir.mkdir(parents=True)
        if self.registration is not None:  # written before the container starts, mounted read-only
            folder = seed_dir / REGISTRATION_STEM
            folder.mkdir()
            atomic.write_bytes(folder / self.registration_name(), self.registration[1])
        outputs = seed_dir / OUTPUTS
        make_writable_for(outputs, user)
        command = self.command(paper_id, protocol, seed)
        with (seed_dir / "container.log").open("w") as log:

            def line(text: str) -> None:
                log.write(text + "\n")
                match = WORKER_PROGRESS.search(text)
                if match and report is not None:
                    report(match["message"])
                if self.on_line is not None:
                    self.on_line(f"[seed {seed}] {text}")

            outcome: ContainerResult = run_container(
                self.client,
                tag,
                command,
                sandbox=self.sandbox,
                labels=self.labels(paper_id, protocol, seed),
                volumes=self.volumes(outputs, cache_dir, data_dir),
                gpu=self.device == "cuda",
                on_line=line,
            )
        try:
            self.after_exit(seed_dir, outcome)
            if not outcome.ok:
                return None, outcome.reason(self.sandbox)
            problem = inspect_outputs(outputs, max_bytes=self.output_limit())
            if problem:
                return None, problem
            return self.collect(seed, seed_dir, outcome)
        finally:
            reclaim(outputs, user)

    def registration_name(self) -> str:
        """The registration's file name in the seed's folder (``registration.yaml`` or ``.toml``)."""
        return REGISTRATION_STEM + (Path(self.registration[0]).suffix if self.registration else "")

    def command(self, paper_id: str, protocol: str, seed: int) -> list[str]:
        """The worker's command line for one seed, in container paths."""
        extra = (
            ["--registration", f"{REGISTRATION_MOUNT}/{self.registration_name()}"]
            if self.registration
            else []
        )
        for model in self.models:
            extra += ["--model", model]
        return [
            *self.worker_command,
            "--paper", paper_id, "--protocol", protocol, "--seed", str(seed), "--device", self.device,
            "--cache", CACHE_MOUNT, "--data", DATA_MOUNT, "--out", f"{OUT_MOUNT}/{RESULT_NAME}", *extra,
        ]  # fmt: skip

    def after_exit(self, seed_dir: Path, outcome: ContainerResult) -> None:
        """Keep what the host wants of any finished container, in the host-only ``seed_dir``."""

    def output_limit(self) -> int:
        """The largest file a container may leave in its output folder (bytes)."""
        return self.sandbox.max_output_bytes

    def volumes(self, outputs: Path, cache_dir: Path, data_dir: Path) -> dict[Path, tuple[str, str]]:
        """Host folder → (container path, mode): results and experiment states writable, datasets read-only.

        Only the cache's ``states`` folder is mounted: the rest of the cache (clones of crawled
        repositories, API pages) is none of a container's business, and stays owned by its user.
        """
        mounts = {
            outputs: (OUT_MOUNT, "rw"),
            (cache_dir / STATES).resolve(): (f"{CACHE_MOUNT}/{STATES}", "rw"),
            data_dir.resolve(): (DATA_MOUNT, "ro"),
        }
        if self.registration is not None:
            mounts[outputs.parent / REGISTRATION_STEM] = (REGISTRATION_MOUNT, "ro")
        return mounts

    def collect(self, seed: int, seed_dir: Path, outcome: ContainerResult) -> tuple[Any, str]:
        """The result of a container that exited 0: the worker's JSON (checked), or why there is none."""
        try:
            data = read_output(seed_dir / OUTPUTS, RESULT_NAME, max_bytes=self.output_limit())
        except MissingOutput:
            return None, f"the worker exited 0 but wrote no {RESULT_NAME}"
        except UnsafeOutput as exc:
            return None, str(exc)
        try:
            result = json.loads(data)
        except (ValueError, RecursionError) as exc:
            return None, f"unreadable {RESULT_NAME}: {' '.join(str(exc).split())[:200]}"
        problem = worker_result_problem(result, seed)
        if problem:
            return None, f"{RESULT_NAME}: {problem}"
        return result, ""

    def reported_environment(self, result: Any) -> dict[str, Any] | None:
        """The provenance a seed's container reported from inside (the worker's ``environment``)."""
        facts = result.get("environment") if isinstance(result, dict) else None
        return facts if isinstance(facts, dict) else None

    def iter_rows(
        self, spec: Any, protocol: str, seeds: Sequence[int], progress: ProgressCallback | None = None
    ) -> Iterator[tuple[int, Rows | None]]:
        """The pipeline's Runner protocol: (seed, (runs rows, per_class rows)) as containers finish.

        ``jobs`` seeds run in parallel; rows is None for a failed seed, which is recorded in
        ``failures`` (and environment()) with a one-line warning while the other seeds go on.
        """
        if self.cache_dir is None or self.data_dir is None or self.work_dir is None:
            raise ReproductionError("DockerRunner needs cache_dir, data_dir and work_dir for pipeline use")
        for seed, result, reason in self.iter_seeds(
            spec.id,
            protocol,
            seeds,
            out_dir=self.work_dir,
            cache_dir=self.cache_dir,
            data_dir=self.data_dir,
            progress=progress,
        ):
            yield seed, (None if reason else (result["runs"], result["per_class"]))

    def labels(self, paper_id: str, protocol: str, seed: int) -> dict[str, str]:
        """Labels that find this run's containers again (cleanup, ``docker ps --filter``)."""
        return {
            RUN_LABEL: self.run_id,
            "audit.paper": paper_id,
            "audit.protocol": protocol,
            "audit.seed": str(seed),
        }

    def environment(self) -> dict[str, Any]:
        """The runner's part of environment.json, merged at its top level by the pipeline.

        Top-level keys: ``runner``, ``image_digest`` (the registry digest, None for a local build:
        ``docker.image_id`` then identifies the image), ``device`` (name and CUDA as seen inside),
        ``determinism`` (the flags the seeds ran under, from inside), ``inside`` (everything the
        containers reported, see :meth:`inside_environment`), ``docker`` (engine, image and base
        provenance, Dockerfile hash, the sandbox every container ran under) and ``failed_seeds``.
        """
        version = self.client.version()
        settings = self.sandbox.describe()
        if self.device == "cuda":
            settings["device_requests"] = [{"count": -1, "capabilities": [["gpu"]]}]
        image = self.image.describe() if self.image else {}
        inside = self.inside_environment()
        return {
            "runner": self.name,
            "image_digest": image.get("image_digest"),
            "device": {
                "name": inside.get("device_name") if inside else None,
                "torch_cuda": inside.get("torch_cuda") if inside else None,
                "reported_from": "inside the container" if inside else None,
            },
            "determinism": self.determinism(inside),
            "inside": inside,
            "docker": {
                "engine_version": version.get("Version"),
                "engine_api_version": version.get("ApiVersion"),
                "device": self.device,
                "run_id": self.run_id,
                "worker_command": list(self.worker_command),
                "requirements": list(self.requirements),
                "wheelhouse": str(self.wheelhouse) if self.wheelhouse else None,
                **image,
                "container_settings": settings,
            },
            "failed_seeds": [{"seed": failure.seed, "reason": failure.reason} for failure in self.failures],
        }

    def inside_environment(self) -> dict[str, Any] | None:
        """What the seeds' containers reported (see :func:`reproducers.provenance.summarise`)."""
        return provenance.summarise(self.inside, "worker")

    def determinism(self, inside: dict[str, Any] | None) -> Any:
        """The determinism flags the seeds ran under (the worker configures and reports them)."""
        return inside.get("determinism") if inside else None


def docker_available() -> tuple[bool, str]:
    """(reachable, reason) for ``--runner auto``; the reason goes into the fallback warning."""
    return engine.engine_reachable()


def require_engine() -> None:
    """For an explicit ``--runner docker``: raise one clear ReproductionError when no engine answers."""
    engine.connect().close()
