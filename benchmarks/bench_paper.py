"""The `paper` protocols of LTH (rJl-b3RcF7) and SNIP (B1VZqjAcYX): wall time per protocol, GPU use,
and what a full run costs on this machine.

    .venv/bin/python benchmarks/bench_paper.py --data ../shared/data [--seeds 2] [--iterations 200]
        [--append docs/benchmarks.md]                       # CPU: reduced protocols, 1 and 2 jobs
    .venv/bin/python benchmarks/bench_paper.py --data DIR --device cuda --full --seeds 10 --jobs 10
                                                            # GPU: the full protocols, the issue's target

``--data`` is a folder whose ``mnist/`` holds the four MNIST files (checked by MD5; nothing is
downloaded). Every run uses a fresh temporary state cache, so everything is computed.

(a) Per-step costs, in this process with one thread: a training iteration of each (network, optimizer,
    batch) the protocols use, and one evaluation of the validation and test sets; the minimum of
    five timed repetitions, so that other jobs on a shared machine inflate it least.
(b) Each protocol through the pipeline (``audit.pipelines.reproduce.run``: plan, states, verdicts,
    report) with ``--jobs 1`` and ``--jobs N``: wall time, and the GPU's utilisation sampled every
    second by ``nvidia-smi`` while it runs (on a GPU). Reduced unless ``--full``: the whole plan (all
    rounds, arms and sparsities) with ``--iterations`` per training.
(c) The projected cost of the full protocols for 10 seeds on this machine: per-step costs from (a)
    times each branch's iterations and evaluations, the branches scheduled longest first on the
    workers (the critical path of an LTH seed is its chain of 17 trainings).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reproducers import models, registry  # noqa: E402
from reproducers.datasets import ensure_mnist, make_split  # noqa: E402
from reproducers.plans import branches  # noqa: E402
from reproducers.seeding import configure_determinism, generator  # noqa: E402
from reproducers.training import evaluate, make_optimizer  # noqa: E402

PAPERS = (("rJl-b3RcF7", "LTH"), ("B1VZqjAcYX", "SNIP"))
#: timed repetitions of each step measurement (their minimum is reported)
REPEATS = 5


class GpuSampler:
    """``nvidia-smi`` utilisation (percent) once a second in a thread, while a block runs."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.available = shutil.which("nvidia-smi") is not None

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                out = subprocess.run(
                    ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                    check=False,
                ).stdout
                self.samples += [float(v) for v in out.split() if v.replace(".", "").isdigit()]
            except (OSError, subprocess.TimeoutExpired):
                return

    def __enter__(self) -> GpuSampler:
        if self.available:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def text(self) -> str:
        if not self.available:
            return "GPU utilisation: no nvidia-smi (CPU run)"
        if not self.samples:
            return "GPU utilisation: no sample"
        return f"GPU utilisation mean {statistics.mean(self.samples):.0f}%, max {max(self.samples):.0f}%"


def step_costs(
    data_dir: Path, device: torch.device, iterations: int
) -> dict[tuple[str, str, int], tuple[float, float]]:
    """(model, optimizer, batch) → (seconds per training iteration, seconds per evaluation)."""
    configure_determinism(device_type=device.type)
    costs = {}
    for paper, _ in PAPERS:
        protocol = registry.get(paper).protocols["paper"]
        split = make_split(protocol.dataset, protocol.split, generator(0, "split"), data_dir).to(device)
        s = protocol.schedule
        for name in protocol.models:
            model = models.build(name).to(device)
            models.initialise(model, protocol.init, generator(0, "init"))
            optimizer = make_optimizer(model, s)
            index = torch.arange(s.batch_size, device=device)
            timings, evaluations = [], []
            for _ in range(REPEATS + 1):  # the first is a warm-up; the minimum resists a loaded host
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                for _ in range(iterations):
                    loss = torch.nn.functional.cross_entropy(
                        model(split.train_x[index]), split.train_y[index]
                    )
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                timings.append((time.perf_counter() - start) / iterations)
                start = time.perf_counter()
                evaluate(model, split.val_x, split.val_y)
                evaluate(model, split.test_x, split.test_y)
                evaluations.append(time.perf_counter() - start)
            costs[(name, s.optimizer, s.batch_size)] = (min(timings[1:]), min(evaluations[1:]))
    return costs


def project(paper: str, costs: dict, seeds: int, jobs: int) -> float:
    """Seconds for ``seeds`` seeds of the full protocol with ``jobs`` worker processes.

    Each branch of each seed (the units ``--jobs`` distributes) costs its trainings × (iterations ×
    per-iteration cost + evaluations × per-evaluation cost), from (a); the units are scheduled
    longest first on ``jobs`` workers, as ``reproducers.runners.local`` does, and the makespan is
    returned. It assumes an otherwise idle machine (one core per worker); (b) shows what a loaded one
    does.
    """
    protocol = registry.get(paper).protocols["paper"]
    s = protocol.schedule
    work = []
    for key, trainings in branches(protocol):
        per_iteration, per_eval = costs[(key[0], s.optimizer, s.batch_size)]
        work.append(trainings * (s.iterations * per_iteration + (s.iterations // s.eval_every) * per_eval))
    loads = [0.0] * max(jobs, 1)
    for cost in sorted(work * seeds, reverse=True):
        loads[loads.index(min(loads))] += cost
    return max(loads)


def run_protocol(paper: str, data_dir: Path, device: str, seeds: int, jobs: int, iterations: int | None):
    """The pipeline on a fresh cache; (wall seconds, GPU text)."""
    from audit.pipelines import reproduce

    spec = registry.get(paper)
    full = spec.protocols["paper"]
    if iterations is not None:
        schedule = dataclasses.replace(
            full.schedule, iterations=iterations, eval_every=max(iterations // 2, 1)
        )
        spec.protocols["paper"] = dataclasses.replace(full, schedule=schedule)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AUDIT_CACHE_DIR"] = str(Path(tmp) / "cache")
        os.environ["AUDIT_DATA_DIR"] = str(data_dir)
        sampler = GpuSampler()
        start = time.perf_counter()
        try:
            with sampler:
                reproduce.run(
                    paper,
                    protocol="paper",
                    seeds=seeds,
                    runner="local",
                    device=device,
                    out=Path(tmp) / "out",
                    jobs=jobs,
                    base_image=None,
                    wheelhouse=None,
                )
        finally:
            spec.protocols["paper"] = full
        return time.perf_counter() - start, sampler.text()


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="folder whose mnist/ holds the four MNIST files"
    )
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2, help="the parallel run's worker processes")
    parser.add_argument("--iterations", type=int, default=200, help="per training, unless --full")
    parser.add_argument("--full", action="store_true", help="the protocols' own schedules (a GPU's job)")
    parser.add_argument("--step-iterations", type=int, default=100)
    parser.add_argument("--append", type=Path, help="Markdown file to append the results to")
    args = parser.parse_args()
    ensure_mnist(args.data, fetch=None)  # one line if the files are not there
    device = torch.device(args.device)
    name = (
        torch.cuda.get_device_name(0)
        if device.type == "cuda"
        else (platform.processor() or platform.machine())
    )
    lines = [
        f"### {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {name}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}",
        "",
        "Command: `" + " ".join([".venv/bin/python", "benchmarks/bench_paper.py", *sys.argv[1:]]) + "`",
        "",
        f"- load average before: {load()}",
    ]
    costs = step_costs(args.data, device, args.step_iterations)
    for (model, optimizer, batch), (per_iteration, per_eval) in costs.items():
        lines.append(
            f"- (a) {model}, {optimizer}, batch {batch}: {1e3 * per_iteration:.2f} ms per iteration, "
            f"{per_eval:.2f} s per evaluation (validation + test)"
        )
    iterations = None if args.full else args.iterations
    schedule = "full schedules" if args.full else f"{args.iterations} iterations per training"
    for paper, label in PAPERS:
        walls = {}
        for jobs in sorted({1, args.jobs}):
            wall, gpu = run_protocol(paper, args.data, args.device, args.seeds, jobs, iterations)
            walls[jobs] = wall
            lines.append(
                f"- (b) {label} `paper` plan, {schedule}, {args.seeds} seeds, --jobs {jobs}: {wall:.0f} s; "
                f"{gpu}; load after: {load()}"
            )
        if args.jobs > 1:
            lines.append(
                f"- (b) {label}: speed-up with --jobs {args.jobs}: {walls[1] / walls[args.jobs]:.2f}×"
            )
    total = {1: 0.0, args.jobs: 0.0}
    for paper, label in PAPERS:
        for jobs in sorted({1, args.jobs}):
            seconds = project(paper, costs, 10, jobs)
            total[jobs] += seconds
            lines.append(
                f"- (c) {label} `paper`, 10 seeds, --jobs {jobs}, projected: {seconds / 3600:.1f} h "
                "on this machine (idle)"
            )
    for jobs, seconds in total.items():
        lines.append(
            f"- (c) both `paper` protocols, 10 seeds, --jobs {jobs}, projected: {seconds / 3600:.1f} h"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        existing = args.append.read_text() if args.append.exists() else ""
        heading = "" if "## Paper protocols" in existing else "\n## Paper protocols\n\n"
        with args.append.open("a") as handle:
            handle.write(heading + "\n" + text)


if __name__ == "__main__":
    main()
