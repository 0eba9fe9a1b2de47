"""The `paper` protocols of LTH and SNIP on full MNIST through the real download path (the shared
MNIST files served on 127.0.0.1, found through AUDIT_MNIST_MIRRORS), their plans whole, with a short
schedule; the full schedules are what `audit reproduce <id> --protocol paper` runs."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from audit.cli import main
from reproducers import datasets, registry
from reproducers.experiments import nominal_remaining
from reproducers.seeding import generator
from tests.reproducers.test_downloads import Mirror
from tests.shared_data import shared_data


def short(protocol, iterations: int, sizes: tuple[int, int]):
    """The protocol with ``iterations`` per training and smaller validation/test sets (evaluation is
    what a short schedule would otherwise spend its time on); plan, data and training set unchanged."""
    schedule = dataclasses.replace(protocol.schedule, iterations=iterations, eval_every=iterations // 2)
    return dataclasses.replace(protocol, schedule=schedule, split=(protocol.split[0], *sizes))


@pytest.fixture(scope="module")
def mirror():
    folder = shared_data("mnist")
    server = Mirror({name: (folder / name).read_bytes() for name in datasets.MNIST_FILES})
    yield server
    server.close()


def _reproduce(paper: str, out: Path) -> list[dict[str, str]]:
    args = ["reproduce", paper, "--protocol", "paper", "--seeds", "1", "--runner", "local", "--device", "cpu"]
    with pytest.raises(SystemExit) as info:
        main([*args, "--out", str(out)])
    assert info.value.code == 0
    with (out / "runs.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_paper_protocols_run_on_full_mnist_from_the_download_path(mirror, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_MNIST_MIRRORS", mirror.url)
    monkeypatch.setenv("AUDIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    lth, snip = registry.get("lth"), registry.get("snip")
    monkeypatch.setitem(lth.protocols, "paper", short(lth.protocols["paper"], 60, (500, 500)))
    monkeypatch.setitem(snip.protocols, "paper", short(snip.protocols["paper"], 30, (500, 500)))

    runs = _reproduce("rJl-b3RcF7", tmp_path / "lth")
    assert sorted(mirror.requests) == sorted(datasets.MNIST_FILES)  # downloaded once, by the pipeline
    for name, digest in datasets.MNIST_FILES.items():
        data = (tmp_path / "data" / "mnist" / name).read_bytes()
        assert hashlib.md5(data, usedforsecurity=False).hexdigest() == digest
    # the whole paper plan: dense, 16 rounds of IMP, re-initialisation controls at rounds 3, 7 and 15
    assert [(r["arm"], int(r["round"])) for r in runs] == [
        ("dense", 0),
        *[
            (arm, k)
            for k in range(1, 17)
            for arm in (["imp", "random_reinit"] if k in (3, 7, 15) else ["imp"])
        ],
    ]
    assert {r["dataset"] for r in runs} == {"mnist"} and {r["iterations"] for r in runs} == {"60"}
    last = float(next(r for r in runs if r["round"] == "16")["sparsity"])
    assert (
        abs(last - (1 - nominal_remaining("lenet_300_100", {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}, 16))) < 1e-4
    )
    with (tmp_path / "lth" / "states.csv").open() as handle:
        states = list(csv.DictReader(handle))
    assert len(states) == 1 + 1 + 16 * 3 + 3 * 2  # init, dense, (prune, rewind, train) per round, controls
    # each class's share of this seed's 55,000 training images, exactly as the split drew them
    labels = datasets.read_idx((tmp_path / "data" / "mnist" / "train-labels-idx1-ubyte.gz").read_bytes())
    order = torch.randperm(60_000, generator=generator(0, "split")).numpy()[:55_000]
    expected = np.bincount(labels[order], minlength=10)
    with (tmp_path / "lth" / "class_facts.csv").open() as handle:
        facts = list(csv.DictReader(handle))
    assert [int(f["train_n"]) for f in facts] == expected.tolist() and expected.sum() == 55_000
    report = (tmp_path / "lth" / "report.md").read_text()
    assert "### The experiment tree" in report and "tree_seed-0.png" in report
    assert "### Which classes pruning hurts: a linear model" in report
    assert (tmp_path / "lth" / "per_class_model.csv").is_file() is False  # one seed: no clustered errors
    assert "fewer than two seeds" in report

    mirror.requests.clear()
    runs = _reproduce("B1VZqjAcYX", tmp_path / "snip")
    assert mirror.requests == []  # verified in AUDIT_DATA_DIR, not downloaded again
    assert [(r["model"], r["arm"], r["target_sparsity"]) for r in runs] == [
        (model, arm, level)
        for model in ("lenet_300_100", "lenet5_caffe")
        for arm, level in [("dense", "0.0"), *(("snip", s) for s in ("0.9", "0.95", "0.98", "0.99")),
                           ("random", "0.95"), ("random", "0.98")]
    ]  # fmt: skip
    assert all(abs(float(r["sparsity"]) - float(r["target_sparsity"])) < 1e-5 for r in runs)
    environment = json.loads((tmp_path / "snip" / "environment.json").read_text())
    assert environment["protocol_config"]["dataset"] == "mnist"
    assert environment["concurrency"] == "sequential: one process, one thread"


def test_paper_protocol_offline_without_mnist_is_one_line_before_any_work(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("AUDIT_MNIST_MIRRORS", "http://127.0.0.1:9/")  # nothing listens on the discard port
    monkeypatch.setenv("AUDIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    args = ["reproduce", "lth", "--protocol", "paper", "--runner", "local", "--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as info:
        main(args)
    lines = capsys.readouterr().err.splitlines()
    assert info.value.code == 1 and lines[0] == f"checking mnist in {tmp_path / 'data'}" and len(lines) == 2
    err = lines[1]
    assert err.startswith("error: could not download train-images-idx3-ubyte.gz (http://127.0.0.1:9/: ")
    assert f"into {tmp_path / 'data' / 'mnist'} by hand" in err
    assert not (tmp_path / "cache" / "states").exists() or not any((tmp_path / "cache" / "states").iterdir())
