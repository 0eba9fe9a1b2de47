"""Upstream entries: run a paper's own published code, at a pinned commit, in the reproduction sandbox.

A registry entry may point at the authors' repository instead of (or besides) the project's
re-implementation. The repository is fetched with the untrusted-checkout rules of :mod:`core.checkout`
(the user's git, so ``url.<base>.insteadOf`` can redirect it to a mirror; no hooks, no LFS, a size cap
and a time limit) into a bare repository (no working tree on the host), the pinned commit's files are
written from git's objects by :mod:`core.export` (no filter runs, no link leaves the tree) into the
image's build context, and the entry's own pinned, reviewed requirement list is installed on the same
base, from binary wheels only when the host fills the wheelhouse (nothing is inferred from the
repository, nothing of it is built or run on the host). Each seed runs the entry's command template
in the same sandbox as the worker (no network, non-root, read-only root, stdin closed), in a
throwaway writable copy of the checkout; its metrics are read from stdout or from a file it wrote
into ``{out}`` (through :mod:`reproducers.docker.outputs`: no link followed, regular files under a
size cap) and become ordinary runs.csv rows, so claims, statistics and the report treat them like
any other run. Provenance (torch, CUDA, device, threads) comes from a probe container of the same
image and sandbox, since the seeds' containers run the authors' code, not ours.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from core import atomic
from core.checkout import fetch_pinned, head_commit
from core.export import ExportError, ExportReport, export_commit
from reproducers import provenance
from reproducers.docker.containers import RUN_LABEL, ContainerResult, run_container
from reproducers.docker.image import BuiltImage, ImageRecipe
from reproducers.docker.sandbox import OUT_MOUNT
from reproducers.errors import ReproductionError
from reproducers.runners.docker import OUTPUTS, DockerRunner, ProgressCallback, Rows
from reproducers.upstream_metrics import (
    METRICS_ERRORS,
    CsvFile,
    JsonFile,
    MetricsReader,
    StdoutRegex,
    rows_problem,
)

#: The readers are defined in reproducers.upstream_metrics and re-exported: an entry imports them here.
__all__ = [
    "CsvFile",
    "JsonFile",
    "StdoutRegex",
    "UpstreamEntry",
    "UpstreamRunner",
    "run_upstream",
    "upstream_runner",
]

#: Where the exported checkout sits in the image; each container works in a copy under /tmp.
WORK_COPY = "/tmp/work"
SOURCE_DIR = "/opt/audit/src"
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
#: runs.csv values an upstream row has unless the entry or the code says otherwise (one-shot: round 0).
ROW_DEFAULTS: dict[str, Any] = {"arm": "upstream", "round": 0}
#: Seconds the provenance probe may take (a fresh Python importing torch).
PROBE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class UpstreamEntry:
    """A paper's published code: where, which commit, how to run one seed, how to read its numbers.

    ``command`` is a template; ``{seed}`` and ``{out}`` (a writable folder whose files come back) are
    filled per seed (write a literal brace as ``{{``); it runs in a writable copy of the checkout.
    ``row`` holds the runs.csv values the code does not print (arm, model, dataset, target_sparsity).
    ``requirements`` is the entry's own pinned (``name==version``), reviewed requirement list: nothing
    is ever inferred from the repository, whose files and imports its authors (not we) control.
    """

    url: str
    commit: str
    command: tuple[str, ...]
    metrics: MetricsReader
    row: dict[str, Any] = field(default_factory=lambda: {"arm": "upstream"})
    requirements: tuple[str, ...] = ()
    #: the checkout's limits on the host, as for a census clone (see core.checkout); the size cap also
    #: bounds the exported files (a small packfile can inflate to gigabytes)
    max_size_mb: float = 1000.0
    timeout_s: float = 600.0
    #: largest file a seed may leave in ``{out}``; a bigger one (or any link, FIFO, device) fails the seed
    max_output_mb: float = 64.0

    def __post_init__(self) -> None:
        if not COMMIT_RE.match(self.commit):
            raise ReproductionError(f"upstream commit must be a full 40-hex sha, got {self.commit!r}")
        for line in self.requirements:
            if not _pinned(line):
                raise ReproductionError(
                    f"upstream requirement {line!r} is not pinned as name==version; an entry's requirement "
                    "list is reviewed by hand and pinned"
                )

    def slug(self) -> str:
        """The URL as a folder name (``github.com_owner_repo``)."""
        return re.sub(r"[^A-Za-z0-9._-]+", "_", self.url.split("://", 1)[-1]).strip("_")

    def render(self, seed: int) -> list[str]:
        return [part.format(seed=seed, out=OUT_MOUNT) for part in self.command]


def checkout(entry: UpstreamEntry, cache_dir: Path) -> Path:
    """A bare repository holding the entry's pinned commit under ``cache_dir/upstream`` (reused)."""
    repo = cache_dir / "upstream" / f"{entry.slug()}-{entry.commit[:12]}.git"
    if (repo / "HEAD").is_file() and head_commit(repo) == entry.commit:
        return repo
    if repo.exists():
        shutil.rmtree(repo)
    repo.parent.mkdir(parents=True, exist_ok=True)
    partial = repo.with_name(f".{repo.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    outcome = fetch_pinned(
        entry.url,
        partial,
        entry.commit,
        timeout_s=entry.timeout_s,
        max_bytes=int(entry.max_size_mb * 1_000_000),
    )
    if not outcome.ok:
        shutil.rmtree(partial, ignore_errors=True)
        raise ReproductionError(f"checkout of {entry.url} failed ({outcome.status}): {outcome.message}")
    os.replace(partial, repo)
    return repo


def export_tree(repo: Path, commit: str, dest: Path, *, max_bytes: int = 1_000_000_000) -> ExportReport:
    """The commit's files (no ``.git``, no filters, no link leaving ``dest``) written into ``dest``."""
    if dest.exists() or dest.is_symlink():  # a rerun must not mix in files of an earlier export
        shutil.rmtree(dest)
    try:
        return export_commit(repo, commit, dest, max_bytes=max_bytes)
    except ExportError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise ReproductionError(f"export of {commit}: {exc}") from None


class UpstreamRunner(DockerRunner):
    """A DockerRunner whose image is the paper's repository and whose seeds run its own command."""

    name = "docker-upstream"
    mounts_states = False

    def __init__(
        self, entry: UpstreamEntry, tree: Path, export: ExportReport | None = None, **kwargs: Any
    ) -> None:
        self.entry = entry
        self.tree = tree
        self.export = export
        #: what the probe container reported (None before prepare)
        self.probe: dict[str, Any] | None = None
        kwargs.setdefault("requirements", entry.requirements)
        super().__init__(**kwargs)

    def wheelhouse_name(self) -> str:
        return f"upstream-{self.entry.slug()}-{self.entry.commit[:12]}-{self.device}"

    def recipe(self) -> ImageRecipe:
        return ImageRecipe(
            base=self.base_image,
            requirements=self.requirements,
            sources=(("", self.tree),),
            wheelhouse=self.wheelhouse if self.requirements else None,
            system_site_packages=self._base_has_torch,
        )

    def command(self, paper_id: str, protocol: str, seed: int) -> list[str]:
        """Copy the read-only checkout to a writable scratch folder, then exec the entry's command."""
        prepare = f'cp -R {SOURCE_DIR}/. {WORK_COPY}/ && cd {WORK_COPY} && exec "$@"'
        return ["sh", "-c", f"mkdir -p {WORK_COPY} && {prepare}", "upstream", *self.entry.render(seed)]

    def volumes(self, outputs: Path, cache_dir: Path, data_dir: Path) -> dict[Path, tuple[str, str]]:
        """Only the per-seed output folder: the paper's code sees no cache and no host data."""
        return {outputs: (OUT_MOUNT, "rw")}

    def output_limit(self) -> int:
        return int(self.entry.max_output_mb * 1_000_000)

    def after_exit(self, seed_dir: Path, outcome: ContainerResult) -> None:
        """The code's stdout as ``stdout.txt`` in the seed's host-only folder, whatever its fate."""
        atomic.write_text(seed_dir / "stdout.txt", outcome.stdout, newline_at_end=False)

    def collect(self, seed: int, seed_dir: Path, outcome: ContainerResult) -> tuple[Any, str]:
        """runs.csv rows from the code's stdout or output files, with the entry's fixed values.

        The files the code wrote are read from ``seed_dir/out`` only through the no-follow reader.
        """
        try:
            measured = self.entry.metrics.rows(outcome.stdout, seed_dir / OUTPUTS)
            problem = rows_problem(measured)
        except METRICS_ERRORS as exc:
            problem = f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError | IndexError) else str(exc)
        if problem:
            return None, f"metrics unreadable: {' '.join(problem.split())[:300]}"
        run = {"seed": seed, "device": self.device, "wall_s": outcome.wall_s}
        rows = [{**ROW_DEFAULTS, **self.entry.row, **row, **run} for row in measured]
        return rows, ""

    def reported_environment(self, result: Any) -> dict[str, Any] | None:
        return None  # the seeds' containers run the authors' code: provenance comes from the probe

    def prepare(self, out_dir: Path) -> BuiltImage:
        """The image, then once the probe: this project's provenance script alone in the same sandbox."""
        image = super().prepare(out_dir)
        if self.probe is None:
            self.probe = self._run_probe(image)
        return image

    def _run_probe(self, image: BuiltImage) -> dict[str, Any]:
        """``python -I -c <reproducers/provenance.py>`` in a container of the image: isolated mode, so
        neither the checkout on PYTHONPATH (a ``sitecustomize.py`` there) nor user site runs first."""
        source = Path(provenance.__file__).read_text()
        outcome = run_container(
            self.client,
            image.tag,
            ["python", "-I", "-c", source, self.device],
            sandbox=dataclasses.replace(self.sandbox, timeout_s=min(PROBE_TIMEOUT_S, self.sandbox.timeout_s)),
            labels={RUN_LABEL: self.run_id, "audit.probe": "provenance"},
            volumes={},
            gpu=self.device == "cuda",
        )
        if not outcome.ok:
            return {"error": outcome.reason(self.sandbox)}
        try:
            facts = json.loads(outcome.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return {"error": "the provenance probe printed no JSON"}
        return facts if isinstance(facts, dict) else {"error": "the provenance probe printed no object"}

    def inside_environment(self) -> dict[str, Any] | None:
        if self.probe is None:
            return None
        return {**self.probe, "reported_by": "probe container (same image and sandbox as the seeds)"}

    def determinism(self, inside: dict[str, Any] | None) -> Any:
        return {
            "set_by": "the authors' code",
            "defaults_in_container": inside.get("determinism") if inside else None,
        }

    def iter_rows(
        self, spec: Any, protocol: str, seeds: Sequence[int], progress: ProgressCallback | None = None
    ) -> Iterator[tuple[int, Rows | None]]:
        """(seed, (runs rows, no per-class rows)) as containers finish; None for a failed seed."""
        if self.work_dir is None or self.cache_dir is None:
            raise ReproductionError("UpstreamRunner needs cache_dir and work_dir (see upstream_runner)")
        for seed, result, reason in self.iter_seeds(
            spec.id,
            protocol,
            seeds,
            out_dir=self.work_dir,
            cache_dir=self.cache_dir,
            data_dir=self.data_dir or self.cache_dir / "data",
            progress=progress,
        ):
            rows = None if reason else [{"paper_id": spec.id, "protocol": protocol, **row} for row in result]
            yield seed, (None if rows is None else (rows, []))

    def environment(self) -> dict[str, Any]:
        data = super().environment()
        data["upstream"] = {
            "url": self.entry.url,
            "commit": self.entry.commit,
            "command": list(self.entry.command),
            "max_output_mb": self.entry.max_output_mb,
            "export": dataclasses.asdict(self.export) if self.export else None,
        }
        return data


def upstream_runner(
    entry: UpstreamEntry, *, cache_dir: Path, work_dir: Path, **options: Any
) -> UpstreamRunner:
    """Clone (or reuse) the entry's repository at its commit, export it, and return a runner for it.

    The runner follows the pipeline's Runner protocol (``iter_rows``, ``environment``, ``device``),
    so a pipeline runs an upstream entry exactly like the worker; ``options`` go to DockerRunner
    (device, base_image, wheelhouse, jobs, sandbox...).
    """
    repo = checkout(entry, cache_dir)
    tree = work_dir / "upstream" / "tree"
    export = export_tree(repo, entry.commit, tree, max_bytes=int(entry.max_size_mb * 1_000_000))
    return UpstreamRunner(
        entry, tree, export, cache_dir=cache_dir, data_dir=cache_dir / "data", work_dir=work_dir, **options
    )


def run_upstream(
    entry: UpstreamEntry,
    paper_id: str,
    protocol: str,
    seeds: Sequence[int],
    *,
    out_dir: Path,
    cache_dir: Path,
    **options: Any,
) -> tuple[list[dict[str, Any]], UpstreamRunner]:
    """Clone, build, run every seed; returns the runs.csv rows (in seed order) and the runner.

    Failed seeds are in ``runner.failures`` (and its environment()), as with the worker runner.
    """
    runner = upstream_runner(entry, cache_dir=cache_dir, work_dir=out_dir, **options)
    spec = SimpleNamespace(id=paper_id)  # iter_rows needs only the paper id of a registry spec
    finished = {seed: rows for seed, rows in runner.iter_rows(spec, protocol, seeds) if rows is not None}
    return [row for seed in sorted(finished) for row in finished[seed][0]], runner


def _pinned(line: str) -> bool:
    """``name==version`` (extras and markers allowed), as pip reads it: the form a reviewed list takes."""
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return False
    specifiers = list(requirement.specifier)
    return (
        len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version
    )
