"""The real worker in the real image: a registered paper's quick protocol in Docker equals a local run.

Heavy (an image with torch, real training): the image is built once per session and reused, and the
state cache of the Docker run is shared by the command-line test so that it trains nothing twice.
"""

from __future__ import annotations

import csv
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from reproducers import registry
from reproducers.runners.docker import DockerRunner
from reproducers.runners.local import run_seed
from tests.reproducers.docker_fixtures import require_base, requires_docker, wheelhouse

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


def test_audit_reproduce_with_the_docker_runner(
    docker_run: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line end to end (in this process, so that its torch state can be watched); the
    Docker run's state cache makes its training instant. Provenance comes from inside the containers:
    this process's torch is left exactly as it was (non-deterministic, 3 threads)."""
    import torch

    from audit.cli import main

    root = docker_run["root"]
    for name, value in {
        "AUDIT_BASE_IMAGE": require_base(),
        "AUDIT_WHEELHOUSE": str(wheelhouse()),
        "AUDIT_CACHE_DIR": str(root / "cache"),
        "AUDIT_DATA_DIR": str(root / "data"),
    }.items():
        monkeypatch.setenv(name, value)
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(3)
    torch.use_deterministic_algorithms(False)
    out = tmp_path / "reproduction"
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["reproduce", PAPER, "--protocol", "quick", "--seeds", "2", "--runner", "docker",
                  "--device", "cpu", "--out", str(out)])  # fmt: skip
        host_state = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    assert exit_info.value.code == 0
    assert host_state == (3, False)  # describing the run configured nothing here
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
    assert (environment["failed_seeds"], environment["seeds"]) == ([], [0, 1])
    # What the worker reported from inside its containers, after configuring its seed.
    determinism = environment["determinism"]
    assert (determinism["torch.num_threads"], determinism["torch.use_deterministic_algorithms"]) == (1, True)
    assert determinism["bitwise_repeatable"] is True
    inside = environment["inside"]
    assert (inside["reported_by"], inside["seeds"], inside["differs"]) == ("worker", [0, 1], {})
    assert inside["torch"].split("+")[0] == metadata.version("torch").split("+")[0]
    assert inside["packages"]["mlxtend"] == metadata.version("mlxtend")
    assert inside["uid"] != 0
    assert environment["device"]["reported_from"] == "inside the container"
    assert environment["device"]["torch_cuda"] is None  # the image's CPU torch
    for seed in SEEDS:
        assert docker_run["outcome"].results[seed]["environment"]["determinism"] == determinism
