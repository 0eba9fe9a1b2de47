"""`audit reproduce --model`: a protocol narrowed to some of its models (registry.with_models).

A narrowed run must be a strict part of the full one: the same states (names and numbers), so a later
full run computes only the models left out; the narrowing is recorded as a deviation; a model the
protocol does not train is one usage line.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from audit.cli import main
from reports.reproduction.verdicts import judge_claims
from reproducers import registry
from reproducers.runners.local import run_seed
from tests.reproducers.conftest import tiny


@pytest.fixture
def two_models() -> registry.PaperSpec:
    """SNIP's quick protocol, tiny, with both of the paper's LeNets."""
    spec = registry.get("B1VZqjAcYX")
    proto = tiny(
        spec.protocols["quick"],
        models=("lenet_300_100", "lenet5_caffe"),
        sparsities=(0.9,),
        random_sparsities=(0.9,),
    )
    return dataclasses.replace(spec, protocols={**spec.protocols, "tiny": proto})


def test_a_narrowed_run_is_part_of_the_full_one(two_models: registry.PaperSpec, tmp_path: Path) -> None:
    narrowed = registry.with_models(two_models, "tiny", ["lenet_300_100"])
    protocol = narrowed.protocol("tiny")
    assert protocol.models == ("lenet_300_100",)
    assert protocol.deviations[-1] == (
        "Run with --model lenet_300_100: only lenet_300_100 of this protocol's models were trained "
        "(lenet5_caffe left out), so claims about lenet5_caffe are not applicable."
    )
    assert narrowed.claim_set().content_hash() == two_models.claim_set().content_hash()
    assert two_models.protocol("tiny").models == ("lenet_300_100", "lenet5_caffe")  # not changed in place

    trees: list = []
    part, _ = run_seed(narrowed, "tiny", 0, "cpu", tmp_path, tmp_path / "data", tree_out=trees)
    whole, _ = run_seed(two_models, "tiny", 0, "cpu", tmp_path, tmp_path / "data", tree_out=trees)
    assert {r["model"] for r in part} == {"lenet_300_100"}
    assert {r["model"] for r in whole} == {"lenet_300_100", "lenet5_caffe"}
    # every state of the narrowed run is reused by the full one, which computes only LeNet-5's
    assert {h for _, h in trees[1].reused} >= {h for _, h in trees[0].executed}
    computed = {h for _, h in trees[1].executed}
    assert computed.isdisjoint(r["state_hash"] for r in part)
    assert {r["state_hash"] for r in whole if r["model"] == "lenet5_caffe"} <= computed
    same = {(r["arm"], r["state_hash"], r["test_accuracy"]) for r in part}
    assert same <= {(r["arm"], r["state_hash"], r["test_accuracy"]) for r in whole}
    assert registry.with_models(two_models, "tiny", ["lenet5_caffe", "lenet_300_100"]) is two_models
    assert registry.with_models(two_models, "tiny", []) is two_models

    # judged: the claims about LeNet-5 are not applicable (not inconclusive for want of runs)
    claims = [c for c in two_models.claim_set().claims if "paper" in c.protocols]
    frame = judge_claims(claims, pd.DataFrame(part), "paper", protocol.models).set_index("claim_id")
    lenet5 = [c.id for c in claims if c.condition.get("model") == "lenet5_caffe"]
    assert len(lenet5) == 6  # Table 1's three and the registry's three relations
    assert (frame.loc[lenet5, "verdict"] == "not_applicable").all()
    assert frame.loc[lenet5[0], "note"].endswith(
        "this run did not train its model(s) (trained: lenet_300_100)"
    )
    others = [c.id for c in claims if c.id not in lenet5]
    assert (frame.loc[others, "verdict"] != "not_applicable").all() and len(others) >= 5
    full = judge_claims(claims, pd.DataFrame(whole), "paper", two_models.protocol("tiny").models)
    assert (full["verdict"] != "not_applicable").all()


def test_a_model_the_protocol_does_not_train_is_one_usage_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "B1VZqjAcYX", "--protocol", "paper", "--model", "resnet50", "--runner", "local"])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: --model resnet50: protocol 'paper' of B1VZqjAcYX trains lenet_300_100, lenet5_caffe; "
        "choose among those"
    )
