"""`audit reproduce --registration` with the Docker runner: the file travels into the container."""

from __future__ import annotations

from pathlib import Path

import pytest

from reproducers.registry.loader import load
from reproducers.runners.docker import DockerRunner
from reproducers.runners.local import run_seed
from tests.reproducers.docker_fixtures import require_base, requires_docker, wheelhouse
from tests.reproducers.test_registration_files import VALID, write

pytestmark = [pytest.mark.docker, pytest.mark.slow, requires_docker]


def test_a_registration_file_runs_in_the_sandbox(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    runner = DockerRunner(device="cpu", base_image=require_base(), wheelhouse=wheelhouse())
    runner.registration = (path.name, path.read_bytes())
    assert runner.command("TESTpaper01", "tiny", 0)[-2:] == [
        "--registration",
        "/opt/audit/registration/registration.yaml",
    ]
    outcome = runner.run_seeds(
        "TESTpaper01",
        "tiny",
        [0],
        out_dir=tmp_path / "out",
        cache_dir=tmp_path / "cache",
        data_dir=tmp_path / "d",
    )
    assert outcome.failures == [] and outcome.results[0]["paper_id"] == "TESTpaper01"
    local, _ = run_seed(load(path), "tiny", 0, "cpu", tmp_path / "local-cache", tmp_path / "d")
    key = ("arm", "target_sparsity", "test_accuracy", "sparsity", "effective_sparsity", "state_hash")
    assert [tuple(r[k] for k in key) for r in outcome.results[0]["runs"]] == [
        tuple(r[k] for k in key) for r in local
    ]
