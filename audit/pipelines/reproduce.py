"""`audit reproduce` and `audit papers`: registry spec → experiment tree → runs → verdicts → report.

The pipeline owns the output folder; the engine (``reproducers``) owns the experiment states in the
cache. Seeds are run through a *runner* (``select_runner``): each returns the rows of one seed, which
are also written to ``<out>/seeds/seed-K.json`` as they finish (a per-seed record; nothing reads them
back). Resuming comes from the state cache: a rerun walks every seed's tree again, finds each finished
state on disk (so finished seeds cost seconds) and computes only what is missing.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from audit import __version__, workspace
from audit.placement import LOCAL, Placement, executor_for
from audit.progress import info, progress
from core import atomic

#: Packages whose versions go into environment.json.
PACKAGES = ("torch", "numpy", "pandas", "mlxtend", "scipy", "statsmodels", "matplotlib", "jinja2")

Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]
ProgressCallback = Callable[[int, int, str], None]


class Runner(Protocol):
    """What the pipeline needs of a runner (``LocalRunner`` here, ``reproducers.runners.docker``)."""

    name: str
    #: the resolved device, "cpu" or "cuda"
    device: str

    def iter_rows(
        self, spec: Any, protocol: str, seeds: Sequence[int], progress: ProgressCallback | None = None
    ) -> Iterator[tuple[int, Rows | None]]:
        """(seed, rows) as seeds finish; rows is None for a seed that failed (recorded, not raised)."""
        ...

    def environment(self) -> dict[str, Any]:
        """The runner's part of environment.json (``runner``, ``failed_seeds``, ...), merged at top level."""
        ...


@dataclass
class LocalRunner:
    """Runs seeds on this machine without containers (``reproducers.runners.local``), ``jobs`` worker
    processes at a time. A seed that raises stops the run: its finished states are on disk and a rerun
    resumes from them."""

    device: str
    cache_dir: Path
    data_dir: Path
    jobs: int = 1
    name: str = "local"
    #: a Dask cluster's executor (``--executor dask``): one task per seed there, with ``cache_dir`` and
    #: ``data_dir`` in the store as the workers see it; None runs the seeds on this machine
    executor: Any = None
    #: the store as the workers are told it (``core.store``): a folder's path or an object-storage URL
    store_url: str | None = None

    def __post_init__(self) -> None:
        #: per seed, what the process that ran it reported (see reproducers.provenance)
        self.facts: dict[int, dict[str, Any]] = {}
        #: per seed, the Dask worker that finished it; the cluster as the run started
        self.where: dict[int, str] = {}
        self.cluster: dict[str, Any] = {}

    def iter_rows(
        self, spec: Any, protocol: str, seeds: Sequence[int], progress: ProgressCallback | None = None
    ) -> Iterator[tuple[int, Rows | None]]:
        from reproducers.runners.local import iter_seeds

        if self.executor is not None:
            from reproducers.runners.distributed import iter_seeds_on

            yield from iter_seeds_on(
                self.executor,
                spec,
                protocol,
                seeds,
                self.device,
                self.store_url or str(self.cache_dir),
                progress,
                self.facts,
                self.where,
            )
            return
        yield from iter_seeds(
            spec, protocol, seeds, self.device, self.cache_dir, self.data_dir, self.jobs, progress, self.facts
        )

    def environment(self) -> dict[str, Any]:
        """Provenance as the processes that ran the seeds reported it after their work (this one, or
        with ``jobs`` > 1 the spawned worker processes that ran each seed's branches): nothing is
        configured just to describe."""
        from reproducers import provenance

        if self.executor is not None:
            inside = provenance.summarise(self.facts, "Dask worker processes")
            seeds_on = {str(k): v for k, v in sorted(self.where.items())}
            cluster = self.cluster or self.executor.describe()
            placement = {**cluster, "store": self.store_url, "seeds_on": seeds_on}
            how = "one task per seed on the Dask cluster's workers (reproducers.runners.distributed)"
        else:
            inside = provenance.summarise(self.facts, "in-process" if self.jobs <= 1 else "branch processes")
            placement = {"executor": "local"}
            how = concurrency(self.jobs, self.device)
        return {
            "executor": placement,
            "runner": self.name,
            "image_digest": None,
            "failed_seeds": [],
            "jobs": self.jobs,
            "concurrency": how,
            "device": {
                "name": inside.get("device_name") if inside else None,
                "torch_cuda": inside.get("torch_cuda") if inside else None,
                "reported_from": "the processes that ran the seeds" if inside else None,
            },
            "determinism": inside.get("determinism") if inside else None,
            "inside": inside,
        }


def concurrency(jobs: int, device: str) -> str:
    """How seeds and arms ran at the same time, for environment.json and the report."""
    if jobs <= 1:
        return "sequential: one process, one thread"
    return (
        f"{jobs} worker processes sharing the {device}, one thread each, taking every seed's independent "
        "branches as units of work; each state is computed once, by one process, so the results are "
        "those of running each seed alone (bit for bit on the CPU)"
    )


def select_runner(
    runner: str,
    *,
    device: str,
    cache_dir: Path,
    data_dir: Path,
    work_dir: Path,
    jobs: int = 1,
    base_image: str | None = None,
    wheelhouse: Path | None = None,
) -> Runner:
    """The runner for ``--runner``: ``docker`` needs a reachable engine (else one clear error);
    ``auto`` takes Docker when an engine answers and has (or can pull) the base image, else falls back to
    local with a one-line warning."""
    from reproducers.errors import ReproductionError, ReproductionUsageError

    if runner not in ("auto", "docker", "local"):
        raise ReproductionUsageError(f"unknown runner {runner!r}; valid: auto, docker, local")
    if runner in ("auto", "docker"):
        from reproducers.runners import docker as docker_runner

        if runner == "docker":
            docker_runner.require_engine()
            use_docker = True
        else:
            use_docker, reason = docker_runner.docker_available()
            if not use_docker:
                info(f"warning: {reason}; running locally (--runner local)")
        if use_docker:
            chosen = docker_runner.DockerRunner(
                device=device,
                base_image=base_image,
                wheelhouse=wheelhouse,
                jobs=jobs,
                cache_dir=cache_dir,
                data_dir=data_dir,
                work_dir=work_dir,
            )
            if runner == "docker":
                return chosen
            try:  # auto: an engine without the base image (and no registry to pull it from) is no engine
                chosen.check_base()
                return chosen
            except ReproductionError as exc:
                info(f"warning: {exc}; running locally (--runner local)")
    from reproducers.runners.local import resolve_device

    return LocalRunner(device=resolve_device(device).type, cache_dir=cache_dir, data_dir=data_dir, jobs=jobs)


def list_papers(*, as_json: bool) -> None:
    """Print the registered papers (id, aliases, title, protocols, claims)."""
    from reproducers import registry

    rows = [spec.summary() for spec in registry.all_papers()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    header = ("id", "aliases", "title", "venue", "protocols", "claims")
    table = [
        (
            r["id"],
            ", ".join(r["aliases"]),
            r["title"],
            r["venue"],
            ", ".join(r["protocols"]),
            str(r["claims"]),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    for row in (header, *table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def check_registration(path: Path, *, as_json: bool) -> None:
    """`audit papers --check FILE`: validate a registration and say what it registers (exit 2 if unusable)."""
    from reproducers.registry.check import check_file

    result = check_file(path)
    print(json.dumps(result.summary(), indent=2) if as_json else "\n".join(result.lines()))


def export_registration(paper_id: str) -> None:
    """`audit papers --export ID`: the registered paper as a YAML registration (which --check accepts)."""
    from reproducers import registry
    from reproducers.registry.export import to_yaml

    print(to_yaml(registry.get(paper_id)), end="")


def _spec(paper_id: str | None, registration: Path | None) -> Any:
    """The registered paper, or the one a registration file (``--registration``) describes."""
    from core.errors import UsageError
    from reproducers import registry

    if registration is None:
        if not paper_id:
            raise UsageError("give a PAPER_ID (see `audit papers`) or --registration FILE")
        return registry.get(paper_id)
    from reproducers.registry.check import check_file

    spec = check_file(registration).spec
    if paper_id and not registry.matches(spec, paper_id):
        raise UsageError(f"{paper_id!r} is not the paper that {registration.name} registers ({spec.id})")
    info(f"registration {registration.name}: {spec.id}, claims hash {spec.claim_set().content_hash()[:12]}")
    return spec


def run(
    paper_id: str | None,
    *,
    protocol: str,
    seeds: int,
    runner: str,
    device: str,
    out: Path | None,
    jobs: int,
    base_image: str | None,
    wheelhouse: Path | None,
    registration: Path | None = None,
    placement: Placement = LOCAL,
    models: Sequence[str] = (),
) -> Path:
    """Run the missing seeds of a paper's protocol, judge its claims, write the report folder.

    With ``registration`` (a YAML/TOML file, validated first) that file's paper is run, not the
    built-in one of the same id; Docker containers get the file too. ``placement``: with ``dask`` the
    seeds are tasks on the cluster (the engine's own runner there), their states in the store.
    ``models`` (``--model``): only these of the protocol's models (``registry.with_models``).
    """
    from reproducers import registry

    spec = _spec(paper_id, registration)
    spec.protocol(protocol)  # unknown protocol → usage error before any work
    spec = registry.with_models(spec, protocol, models)
    plan = spec.protocol(protocol)
    out_dir = workspace.reproduction_output_dir(spec.id, protocol, out)
    workspace.writable_folder(out_dir, "output folder")
    if placement.distributed:
        return _run_distributed(spec, plan, protocol, seeds, runner, device, out_dir, placement)
    store = placement.store_root()  # the cache folder unless --store names another
    workspace.writable_folder(
        store / "states", "experiment-state cache", "set AUDIT_CACHE_DIR to a writable folder"
    )
    if plan.upstream is not None:
        chosen: Runner = _upstream_runner(
            spec.id,
            plan,
            runner,
            out_dir,
            device=device,
            jobs=jobs,
            base_image=base_image,
            wheelhouse=wheelhouse,
        )
    else:
        chosen = select_runner(
            runner,
            device=device,
            cache_dir=store,
            data_dir=workspace.data_dir(),
            work_dir=out_dir,
            jobs=jobs,
            base_image=base_image,
            wheelhouse=wheelhouse,
        )
    if plan.upstream is None:
        _prepare_data(plan.dataset)
    if registration is not None and hasattr(chosen, "registration"):
        chosen.registration = (registration.name, registration.read_bytes())  # the worker loads it
    if models and hasattr(chosen, "models"):
        chosen.models = tuple(dict.fromkeys(models))  # the container's worker narrows the same way
    return _run_seeds(spec, protocol, seeds, device, out_dir, chosen)


def _run_distributed(
    spec: Any,
    plan: Any,
    protocol: str,
    seeds: int,
    runner: str,
    device: str,
    out_dir: Path,
    placement: Placement,
) -> Path:
    """The seeds as tasks of a Dask cluster: the engine's runner on each worker, states in the store.

    The authors' own code runs only in the Docker sandbox of one machine, and a Dask worker runs the
    engine in-process, so upstream protocols and ``--runner docker`` are refused here in one line.
    """
    from reproducers.errors import ReproductionUsageError

    if plan.upstream is not None or runner == "docker":
        raise ReproductionUsageError(
            "--executor dask runs the engine's own seeds in the workers' processes; the authors' code "
            "(and --runner docker) runs only in the Docker sandbox: drop --executor dask"
        )
    store = placement.store_url()
    with executor_for(placement) as executor:
        cluster = executor.describe()  # as the run starts: the workers it had then
        resources = set(cluster.get("worker_resources", []))
        resolved = device
        if device == "auto":
            resolved = "cuda" if "GPU" in resources else "cpu"
        elif device == "cuda" and "GPU" not in resources:
            raise ReproductionUsageError(
                "--device cuda: no worker of the cluster has the GPU resource (start GPU workers with "
                "`dask worker ... --resources GPU=1`)"
            )
        _prepare_data_on(executor, plan.dataset, store)
        # no folder here: the workers find states and data in the store, this process never reads it
        chosen = LocalRunner(
            device=resolved, cache_dir=Path(), data_dir=Path(), executor=executor, store_url=store
        )
        chosen.cluster = cluster
        return _run_seeds(spec, protocol, seeds, device, out_dir, chosen)


def _prepare_data_on(executor: Any, dataset: str, store_url: str) -> None:
    """:func:`_prepare_data` as one task on the cluster: a worker downloads and verifies the dataset
    into the store (this process never reads it), before the seeds that need it start."""
    from core.executors import Task
    from reproducers.runners.distributed import prepare_task

    task = Task(f"prepare {dataset}", prepare_task, (dataset, store_url, workspace.dataset_mirrors(dataset)))
    for outcome in executor.run([task]):
        if not outcome.ok:
            outcome.reraise(f"preparing {dataset}")


def _run_seeds(spec: Any, protocol: str, seeds: int, device: str, out_dir: Path, chosen: Runner) -> Path:
    """Every seed through ``chosen``, each seed's record as it finishes, then the tables and report."""
    claim_set = spec.claim_set()
    _write_text(out_dir / "claims.json", _claims_json(claim_set, protocol, spec))
    _write_text(out_dir / "paper.json", json.dumps(spec.identity(), indent=2, sort_keys=True))

    seed_dir = out_dir / "seeds"
    seed_dir.mkdir(exist_ok=True)
    by_seed: dict[int, Rows] = {}
    failed: list[int] = []
    info(
        f"reproducing {spec.id} ({spec.title}), protocol {protocol}, "
        f"seeds 0..{seeds - 1}, runner {chosen.name} ({chosen.device})"
    )
    with progress(f"{spec.id} {protocol}", total=seeds) as bar:
        for seed, rows in chosen.iter_rows(spec, protocol, list(range(seeds)), bar):
            if rows is None:
                failed.append(seed)
                continue
            by_seed[seed] = rows
            body = {
                "paper_id": spec.id,
                "protocol": protocol,
                "seed": seed,
                "runs": rows[0],
                "per_class": rows[1],
            }
            _write_text(seed_dir / f"seed-{seed}.json", json.dumps(body, indent=1))

    from core.claims import PER_CLASS_COLUMNS, RUN_COLUMNS

    ordered = [by_seed[seed] for seed in sorted(by_seed)]  # seeds finish in any order with jobs > 1
    _write_csv(out_dir / "runs.csv", RUN_COLUMNS, [row for runs, _ in ordered for row in runs])
    _write_csv(out_dir / "per_class.csv", PER_CLASS_COLUMNS, [row for _, pc in ordered for row in pc])
    if spec.protocol(protocol).upstream is None and ordered:
        from audit.pipelines.states import write_tree_files

        all_runs = [row for runs, _ in ordered for row in runs]
        per_class = [row for _, pc in ordered for row in pc]
        executor = getattr(chosen, "executor", None)
        store = getattr(chosen, "store_url", None) or str(getattr(chosen, "cache_dir", workspace.cache_dir()))
        write_tree_files(out_dir, store, all_runs, per_class, executor)
    environment = _environment(spec.id, protocol, seeds, device, chosen.device, claim_set.content_hash())
    runner_part = chosen.environment()
    environment["device"].update(runner_part.pop("device", {}))
    environment.update(runner_part)
    environment["seeds"] = sorted(by_seed)  # the seeds that produced rows; failed_seeds says why not
    environment["protocol_config"] = spec.protocol(protocol).to_dict()
    _write_text(out_dir / "environment.json", json.dumps(environment, indent=2, sort_keys=True))
    report = render_report(out_dir) if by_seed else out_dir
    if failed:
        from reproducers.errors import ReproductionError

        raise ReproductionError(
            f"seed(s) {', '.join(map(str, sorted(failed)))} failed (see environment.json failed_seeds); "
            f"the other seeds are in {out_dir}; rerun the same command to retry"
        )
    return report


def _prepare_data(dataset: str) -> None:
    """Download and verify the protocol's dataset before any seed runs (one line on a problem).

    Workers and sandboxed containers (no network) then find verified files; the mirrors can be
    pointed elsewhere with ``AUDIT_MNIST_MIRRORS`` / ``AUDIT_CIFAR10_MIRRORS``.
    """
    from reproducers import datasets

    if dataset != "mnist5k":
        info(f"checking {dataset} in {workspace.data_dir()}")
    datasets.prepare(dataset, workspace.data_dir(), mirrors=workspace.dataset_mirrors(dataset))


def _upstream_runner(paper_id: str, plan: Any, runner: str, out_dir: Path, **options: Any) -> Runner:
    """The runner of a protocol that runs the authors' own code: always a sandboxed container.

    Research code never runs in-process (DESIGN's principles), so ``--runner local`` is refused and
    ``auto`` needs a reachable engine instead of falling back.
    """
    from reproducers.errors import ReproductionUsageError
    from reproducers.runners import docker as docker_runner
    from reproducers.upstream import upstream_runner

    if runner == "local":
        raise ReproductionUsageError(
            f"{paper_id} protocol {plan.name} runs the authors' own code, which runs only in the Docker "
            "sandbox; use --runner docker (or auto)"
        )
    docker_runner.require_engine()
    return upstream_runner(plan.upstream, cache_dir=workspace.cache_dir(), work_dir=out_dir, **options)


def render_report(directory: Path, *, rejudge: bool = False) -> Path:
    """(Re-)render verdicts.csv, report.md and report.html of a reproduction folder; print the
    one-line verdict summary, then the report's path (the last line, for scripts).

    ``reports`` is part of this package: failing to import it is a bug and keeps its traceback.
    ``rejudge`` judges claims that changed after the runs on purpose; without it such a folder is
    rendered, then exits 1.
    """
    from reports.reproduction import summary_line, write_verdicts_and_report

    result = write_verdicts_and_report(directory, rejudge=rejudge)
    report = Path(result) if result is not None else directory / "report.md"
    line = summary_line(directory)
    if line:
        print(line)
    print(report)
    return report


def _claims_json(claim_set: Any, protocol: str, spec: Any = None) -> str:
    """The pre-registration: ClaimSet.to_json() plus its content hash (of that canonical JSON).

    ``registration`` names the file the claims were read from and its SHA-256 (outside the hash).
    """
    body = json.loads(claim_set.to_json())
    body["content_hash"] = claim_set.content_hash()
    body["hash_of"] = "sha256 of ClaimSet.to_json() (keys paper_id, claims; sort_keys, indent 2)"
    body["protocol"] = protocol
    if spec is not None and getattr(spec, "registration_file", ""):
        body["registration"] = {"file": spec.registration_file, "sha256": spec.registration_sha256}
    return json.dumps(body, sort_keys=True, indent=2)


def _environment(
    paper_id: str, protocol: str, seeds: int, requested: str, resolved: str, claims_hash: str
) -> dict[str, Any]:
    """The host's part of the provenance (project, the packages that judge and report, the machine).

    What the seeds ran under (device name, torch and CUDA, determinism flags, threads) is the
    runner's part, read where they ran (``reproducers.provenance``): a container's torch is not the
    host's, and describing the host (let alone configuring its torch) would record another run.
    """
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "paper_id": paper_id,
        "protocol": protocol,
        "project": {
            "name": "audit-repro",
            "version": __version__,
            "git_commit": _git_commit(),
            "git_dirty": _git_dirty(),
        },
        "packages": versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "device": {"requested": requested, "resolved": resolved},
        "seeds_requested": list(range(seeds)),
        "claims_hash": claims_hash,
    }


def _git_commit() -> str | None:
    """The project's commit when run from a checkout (None when installed from a wheel)."""
    root = Path(__file__).resolve().parents[2]
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _git_dirty() -> bool | None:
    """Whether the checkout has uncommitted changes (then the commit alone does not identify the code)."""
    root = Path(__file__).resolve().parents[2]
    try:
        result = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(result.stdout.strip()) if result.returncode == 0 else None


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    atomic.write_csv(path, columns, rows)


def _write_text(path: Path, text: str) -> None:
    atomic.write_text(path, text)
