"""Seeds for every source of randomness of one replicate, derived before anything random happens.

Each source (initialisation, data order, validation split, pruning tie-breaks, random masks) gets its
own ``torch.Generator`` whose seed is a hash of (replicate seed, source name). Sources are therefore
independent of each other and of the order in which code consumes them: adding a random arm cannot
shift the data order of another arm, which is what makes arms comparable seed by seed.
"""

from __future__ import annotations

import hashlib
import os

import torch

#: The sources of randomness a replicate has; each is recorded in a state's identity via the seed.
SOURCES = (
    "init",
    "reinit/<round>",
    "data_order",
    "split",
    "prune",
    "snip_batch",
    "augment",
    "score_batch/<method>",
    "mask_shuffle",
    "weights_reinit",
)


def derive_seed(seed: int, source: str) -> int:
    """A 63-bit seed for ``source`` of replicate ``seed``, stable across platforms and versions."""
    digest = hashlib.sha256(f"audit-reproducers:{seed}:{source}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)


def generator(seed: int, source: str) -> torch.Generator:
    """A CPU generator for one source; CPU generators make draws identical on every device."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(derive_seed(seed, source))
    return gen


def configure_determinism(threads: int = 1, device_type: str = "cpu") -> dict[str, object]:
    """Make CPU runs bit-for-bit repeatable and say how (recorded in environment.json).

    A fixed thread count matters: float reductions split across threads add in a different order.
    One thread is also the fastest choice on a small shared machine for networks this size.
    On CUDA, cuBLAS needs a fixed workspace to be deterministic, and some kernels (max-pool backward)
    have no deterministic version at all: there determinism is requested with ``warn_only`` and the
    run is recorded as not bit-for-bit repeatable rather than failing.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    cuda = device_type == "cuda"
    torch.use_deterministic_algorithms(True, warn_only=cuda)
    torch.set_num_threads(threads)
    # TF32 rounds fp32 matrix products to 10 mantissa bits on Ampere and later GPUs: repeatable, but
    # not the fp32 arithmetic the papers (and the CPU) used.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return {
        "bitwise_repeatable": not cuda,
        "torch.use_deterministic_algorithms": "warn_only" if cuda else True,
        "CUBLAS_WORKSPACE_CONFIG": os.environ["CUBLAS_WORKSPACE_CONFIG"],
        "torch.num_threads": threads,
        "cudnn.benchmark": False,
        "cudnn.deterministic": True,
        "cuda.matmul.allow_tf32": False,
        "cudnn.allow_tf32": False,
        "cuda_repeatability": (
            "deterministic kernels and a fixed cuBLAS workspace: reruns on the same GPU model, driver "
            "and software give the same numbers; an op without a deterministic kernel only warns"
        )
        if cuda
        else None,
        "seed_derivation": "sha256('audit-reproducers:{seed}:{source}')[:8] per source",
        "sources": list(SOURCES),
    }
