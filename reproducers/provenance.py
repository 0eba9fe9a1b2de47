"""What the process that ran a seed saw: Python, torch and CUDA versions, device, threads, determinism.

Why a module of its own: provenance must be read where the seeds ran. A container's torch, CUDA and
GPU are not the host's, and the host describing itself (worse, calling ``configure_determinism``,
which changes global torch state, just to describe a run) would record a run that never happened.
So the worker calls :func:`describe` inside its container after its seed (the determinism flags are
then the ones the seed ran under) and puts the facts in its result; for an upstream entry, whose
container runs the authors' code and not ours, the runner runs this file alone in a probe container
of the same image and sandbox (``python -I -c <this file's source> <device>``), which is why it
imports nothing but the standard library at the top and prints JSON when run as a script.

Nothing here changes any state: every value is read.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from typing import Any

#: How replicate seeds become per-source seeds (``reproducers.seeding``), recorded with the flags.
SEED_DERIVATION = "sha256('audit-reproducers:{seed}:{source}')[:8] per source"
#: The packages whose versions decide a worker seed's numbers (the worker image's runtime set and
#: what it pulls in); an upstream probe lists every installed package instead.
ENGINE_PACKAGES = ("torch", "numpy", "pandas", "mlxtend", "scipy", "scikit-learn")


def describe(device: str, packages: tuple[str, ...] | None = ENGINE_PACKAGES) -> dict[str, Any]:
    """The facts of this process (for ``device`` "cpu" or "cuda"); torch's part is None without torch.

    ``packages``: the distributions whose versions are recorded (None: every installed one).
    """
    facts: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "uid": os.getuid() if hasattr(os, "getuid") else None,
        "packages": _packages(packages),
    }
    try:
        import torch
    except ImportError:
        facts.update(torch=None, torch_cuda=None, cuda_available=False, device_name=None, determinism=None)
        return facts
    cuda = bool(torch.cuda.is_available())
    use_gpu = device == "cuda" and cuda
    cpu_name = _cpu_model() or platform.machine()
    facts.update(
        torch=torch.__version__,
        torch_cuda=torch.version.cuda,
        cuda_available=cuda,
        device_name=torch.cuda.get_device_name(0) if use_gpu else cpu_name,
        determinism=determinism(torch),
    )
    return facts


def determinism(torch: Any) -> dict[str, Any]:
    """The determinism settings torch runs under now, read (never set)."""
    enabled = bool(torch.are_deterministic_algorithms_enabled())
    warn_only = bool(torch.is_deterministic_algorithms_warn_only_enabled())
    cudnn = torch.backends.cudnn
    return {
        "bitwise_repeatable": enabled and not warn_only,
        "torch.use_deterministic_algorithms": "warn_only" if enabled and warn_only else enabled,
        "CUBLAS_WORKSPACE_CONFIG": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        "torch.num_threads": torch.get_num_threads(),
        "cudnn.benchmark": bool(cudnn.benchmark),
        "cudnn.deterministic": bool(cudnn.deterministic),
        # TF32 changes GPU numbers (10-bit mantissa matmuls); the engine turns it off, this records it
        "cuda.matmul.allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
        "cudnn.allow_tf32": bool(cudnn.allow_tf32),
        "seed_derivation": SEED_DERIVATION,
    }


def summarise(by_seed: dict[int, dict[str, Any]], reported_by: str) -> dict[str, Any] | None:
    """Per-seed facts as environment.json's ``inside``: the lowest seed's facts, the ``seeds`` that
    reported the same, and ``differs`` for any seed that reported something else (None without seeds)."""
    if not by_seed:
        return None
    facts = by_seed[min(by_seed)]
    same = sorted(seed for seed, other in by_seed.items() if other == facts)
    differs = {str(seed): other for seed, other in sorted(by_seed.items()) if other != facts}
    return {**facts, "reported_by": reported_by, "seeds": same, "differs": differs}


def _packages(wanted: tuple[str, ...] | None) -> dict[str, str | None]:
    """Installed distributions and their versions by lower-case name (None for a wanted one missing)."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name:
            found.setdefault(name, dist.version)
    if wanted is None:
        return dict(sorted(found.items()))
    return {name: found.get(name) for name in wanted}


def _cpu_model() -> str | None:
    """The CPU's model name: ``core.device`` where this project is installed (the worker's image); the
    upstream probe runs this file alone, so there the first ``model name`` of /proc/cpuinfo."""
    try:
        from core.device import cpu_name
    except ImportError:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    key, _, value = line.partition(":")
                    if key.strip() == "model name" and value.strip():
                        return " ".join(value.split())
        except OSError:
            return None
        return None
    return cpu_name()


if __name__ == "__main__":  # the probe: python -I -c "<source>" cpu (every installed package)
    print(json.dumps(describe(sys.argv[1] if len(sys.argv) > 1 else "cpu", packages=None), sort_keys=True))
