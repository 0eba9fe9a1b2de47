"""The real worker in the real image: a registered paper's quick protocol in Docker equals a local run.

Heavy (an image with torch, real training): the image is built once per session and reused, and the
state cache of the Docker run is shared by the command-line test so that it trains nothing twice.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reproducers import registry
from reproducers.runners.docker import DockerRunner
from reproducers.runners.local import run_seed
from tests.reproducers.docker_fixtures import PROJECT_ROOT, require_base, requires_docker, wheelhouse

pytestmark = [pytest.mark.docker, pytest.mark.slow, requires_docker]

PAPER = "B1VZqjAcYX"
SEEDS = (0, 1)


@pytest.fixture(scope="module")
def docker_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both seeds of SNIP's quick protocol in containers (two at a time), with the runner kept."""
    root = tmp_path_factory.mktemp("docker-run")
    runner = DockerRunner(device="cpu", base_image=require_base(), wheelhouse=wheelhouse(), jobs=2)
    outcome = runner.run_seeds(
        PAPER, "quick", SEEDS, out_dir=root / "out", cache_dir=root / "cache", data_dir=root / "data"
    )
    return {"root": root, "runner": runner, "outcome": outcome}


def accuracy_by_condition(runs: list[dict[str, Any]]) -> dict[tuple[int, str, float], float]:
    return {(row["seed"], row["arm"], round(row["target_sparsity"], 4)): row["test_accuracy"] for row in runs}


def test_docker_and_local_runs_give_the_same_numbers(docker_run: dict[str, Any], tmp_path: Path) -> None:
    outcome = docker_run["outcome"]
    assert outcome.failures == []
    assert sorted(outcome.results) == list(SEEDS)
    spec = registry.get(PAPER)
    for seed in SEEDS:
        in_docker = outcome.results[seed]
        assert (in_docker["paper_id"], in_docker["protocol"], in_docker["seed"]) == (PAPER, "quick", seed)
        local_runs, local_per_class = run_seed(
            spec, "quick", seed, "cpu", tmp_path / "cache", tmp_path / "data"
        )
        docker_acc = accuracy_by_condition(in_docker["runs"])
        local_acc = accuracy_by_condition(local_runs)
        assert sorted(docker_acc) == sorted(local_acc)
        assert len(docker_acc) == 6  # dense, SNIP at 90/95/98%, random at 95/98%
        for condition, accuracy in local_acc.items():
            assert abs(docker_acc[condition] - accuracy) <= 0.1, condition
        # Same code, same pinned packages, same seed: the trained states are the same states.
        assert [row["state_hash"] for row in in_docker["runs"]] == [row["state_hash"] for row in local_runs]
        assert len(in_docker["per_class"]) == len(local_per_class) == 60


def test_an_unchanged_image_is_reused_not_rebuilt(docker_run: dict[str, Any], tmp_path: Path) -> None:
    """A second runner finds the image by its content-hash tag: same id, ``built`` False, no build."""
    options = {"device": "cpu", "base_image": require_base(), "wheelhouse": wheelhouse()}
    first = DockerRunner(**options).prepare(tmp_path / "first")
    again = DockerRunner(**options).prepare(tmp_path / "again")
    assert again.built is False
    assert (again.tag, again.id, again.content_hash) == (first.tag, first.id, first.content_hash)
    dockerfile = (tmp_path / "again" / "Dockerfile").read_text()
    assert dockerfile == (docker_run["root"] / "out" / "Dockerfile").read_text()
    assert "RUN pip install --no-index --find-links /wheels -r /opt/audit/requirements.txt" in dockerfile


def test_audit_reproduce_with_the_docker_runner(docker_run: dict[str, Any], tmp_path: Path) -> None:
    """The command line end to end; the Docker run's state cache makes its training instant."""
    root = docker_run["root"]
    env = {
        **os.environ,
        "AUDIT_BASE_IMAGE": require_base(),
        "AUDIT_WHEELHOUSE": str(wheelhouse()),
        "AUDIT_CACHE_DIR": str(root / "cache"),
        "AUDIT_DATA_DIR": str(root / "data"),
    }
    out = tmp_path / "reproduction"
    result = subprocess.run(
        [sys.executable, "-m", "audit", "reproduce", PAPER, "--protocol", "quick", "--seeds", "2",
         "--runner", "docker", "--device", "cpu", "--out", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    expected = accuracy_by_condition(
        [run for seed in SEEDS for run in docker_run["outcome"].results[seed]["runs"]]
    )
    got = {
        (int(r["seed"]), r["arm"], round(float(r["target_sparsity"]), 4)): float(r["test_accuracy"])
        for r in rows
    }
    assert got == pytest.approx(expected, abs=1e-9)
    environment = json.loads((out / "environment.json").read_text())
    assert environment["runner"] == "docker"
    assert environment["docker"]["base_image"] == require_base()
    assert environment["docker"]["container_settings"]["network_mode"] == "none"
    assert environment["failed_seeds"] == []
