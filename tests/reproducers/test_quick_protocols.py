"""The registered quick protocols themselves (not shrunk): identities and one real seed of SNIP."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from reproducers import registry
from reproducers.errors import ReproductionUsageError
from reproducers.runners.local import resolve_device, run_seed
from reproducers.tree import state_hash


def test_state_identity_is_pinned() -> None:
    """A root's name depends only on what made it; changing it would orphan every cached state."""
    props = {"model": "lenet_300_100", "init": "variance_scaling", "device": "cpu"}
    assert state_hash(None, "init", props, {}, 0) == "a9921888e9d5cb5b75f3059e1364030a"


def test_cuda_without_a_gpu_is_a_usage_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    with pytest.raises(ReproductionUsageError, match="no CUDA GPU"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


@pytest.mark.slow
def test_snip_quick_seed_zero(tmp_path: Path) -> None:
    """One real seed of SNIP's quick protocol: masks at the asked sparsity, SNIP far above random at 98%."""
    runs, per_class = run_seed(registry.get("snip"), "quick", 0, "cpu", tmp_path, tmp_path / "data")
    by_arm = {(r["arm"], r["target_sparsity"]): r for r in runs}
    assert sorted(by_arm) == [
        ("dense", 0.0), ("random", 0.95), ("random", 0.98), ("snip", 0.9), ("snip", 0.95), ("snip", 0.98),
    ]  # fmt: skip
    assert all(abs(r["sparsity"] - r["target_sparsity"]) < 1e-5 for r in runs)
    assert by_arm[("dense", 0.0)]["test_accuracy"] > 93.0
    assert by_arm[("snip", 0.98)]["test_accuracy"] > by_arm[("random", 0.98)]["test_accuracy"] + 5.0
    assert all(r["iterations"] == 1200 and r["early_stop_iteration"] % 100 == 0 for r in runs)
    assert {r["n"] for r in per_class if r["arm"] == "dense"} and sum(
        r["n"] for r in per_class if r["arm"] == "dense"
    ) == 500
