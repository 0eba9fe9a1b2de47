"""State tags (outside the hash), per-state locks, the pinned CPU numerics, and `audit states`:
listing a run's tree, filtering by tags, restoring a state that plain PyTorch loads."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from audit.cli import main
from reproducers import catalog, registry
from reproducers.runners.local import run_seed
from reproducers.tree import Context, Recipe, Tree, merge_tags
from tests.reproducers.conftest import tiny

#: (arm, state hash, test loss, sha256[:16] of the state's tensors) of the tiny protocols' seed 0, as the
#: engine before tags, locks and the new methods computed them (commit 6511aab): the CPU arithmetic
#: and every state's name must never change, or cached states of long runs are orphaned.
PINNED = {
    "lth": [
        ("dense", "0709ebb011a1eb57dda5e7a9b072ad26", 0.5337793350219726, "4fb0ad33f6c36944"),
        ("imp", "5d17ec3dbc8da264ff0627a9d4742678", 0.5233510971069336, "87aa42283db75f8d"),
        ("imp", "e839efc93a54c0bff516e2bbd085dc21", 0.5049066543579102, "7c3136a2b6262d6a"),
        ("random_reinit", "81177658f2a4e8bb643748728acd5dcd", 0.550457878112793, "145f4b00a9a36c03"),
    ],
    "snip": [
        ("dense", "1ffbf0fd7b9024ab79eb4a86244d6f1c", 0.5171060943603516, "ddacbd8835552b26"),
        ("snip", "34e34641f361106b327b85b2f4e12780", 0.6192217254638672, "d17c50c11bac88e3"),
        ("snip", "e425498fb7da32960cd5c64f83e2a252", 0.6993021392822265, "08f1906f4c26eb90"),
        ("random", "5c7d84968003a937404f3873bf1ecdb1", 2.303405303955078, "4705ed40b3e7ef5c"),
    ],
}


def _digest(path: Path) -> str:
    payload = torch.load(path, weights_only=True)
    return hashlib.sha256(b"".join(payload[k].numpy().tobytes() for k in sorted(payload))).hexdigest()[:16]


@pytest.fixture(scope="module")
def lth_run(tmp_path_factory):
    """The tiny LTH protocol, seed 0, through `audit reproduce` (module-scoped: several tests read it)."""
    root = tmp_path_factory.mktemp("lth")
    spec = registry.get("lth")
    small = tiny(spec.protocols["quick"], name="quick", rounds=2, reinit_rounds=(2,))
    saved = spec.protocols["quick"]
    spec.protocols["quick"] = small
    import os

    old = os.environ.get("AUDIT_CACHE_DIR")
    os.environ["AUDIT_CACHE_DIR"] = str(root / "cache")
    try:
        args = [
            "reproduce",
            "lth",
            "--seeds",
            "1",
            "--runner",
            "local",
            "--device",
            "cpu",
            "--out",
            str(root / "out"),
        ]
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 0
    finally:
        spec.protocols["quick"] = saved
        if old is None:
            os.environ.pop("AUDIT_CACHE_DIR")
        else:
            os.environ["AUDIT_CACHE_DIR"] = old
    return root


def test_cpu_numerics_and_state_names_are_those_of_the_pinned_engine(lth_spec, snip_spec, tmp_path) -> None:
    for name, spec in (("lth", lth_spec), ("snip", snip_spec)):
        runs, _ = run_seed(spec, "tiny", 0, "cpu", tmp_path / name, tmp_path / "data")
        states = tmp_path / name / "states"
        got = [
            (r["arm"], r["state_hash"], r["test_loss"], _digest(states / r["state_hash"] / "state.pt"))
            for r in runs
        ]
        assert got == PINNED[name]


def test_tags_are_recorded_outside_the_name_and_added_to_old_states(lth_spec, tmp_path) -> None:
    runs, _ = run_seed(lth_spec, "tiny", 0, "cpu", tmp_path, tmp_path / "data")
    states = tmp_path / "states"
    meta = json.loads((states / runs[2]["state_hash"] / "state.json").read_text())
    assert meta["tags"] == {"arm": "imp", "round": 2, "sparsity": runs[2]["target_sparsity"], "seed": 0,
                            "model": "lenet_300_100"}  # fmt: skip
    # a cache written before tags existed: strip them, rerun, and they come back without recomputing
    stamps = {}
    for path in states.glob("*/state.json"):
        body = json.loads(path.read_text())
        body.pop("tags")
        path.write_text(json.dumps(body))
        stamps[path.parent.name] = (path.parent / "state.pt").stat().st_mtime_ns
    trees: list[Tree] = []
    again, _ = run_seed(lth_spec, "tiny", 0, "cpu", tmp_path, tmp_path / "data", tree_out=trees)
    assert trees[0].executed == [] and again == runs
    for path in states.glob("*/state.json"):
        assert "tags" in json.loads(path.read_text())
        assert (path.parent / "state.pt").stat().st_mtime_ns == stamps[path.parent.name]
    init = json.loads((states / runs[0]["init_hash"] / "state.json").read_text())
    assert init["tags"]["arm"] == "init"


def test_a_state_serving_two_purposes_keeps_both_tags() -> None:
    assert merge_tags({"arm": "init", "seed": 0}, {"arm": "init", "round": 0}) == {
        "arm": "init",
        "seed": 0,
        "round": 0,
    }
    assert merge_tags({"arm": "snip"}, {"arm": "dense"}) == {"arm": ["dense", "snip"]}
    assert merge_tags({"arm": ["dense", "snip"]}, {"arm": "dense"}) == {"arm": ["dense", "snip"]}


def test_a_state_asked_for_by_two_workers_at_once_is_computed_once(tmp_path) -> None:
    calls: list[int] = []

    def slow(ctx, parent, props, refs):
        calls.append(1)
        time.sleep(0.3)
        from reproducers.models import build

        return {"model": build("lenet_300_100")}

    def worker() -> None:
        tree = Tree(
            tmp_path, Context(seed=0, device=torch.device("cpu"), data=lambda *a: None), {"slow": slow}
        )
        tree.root(Recipe("slow", {}), "lenet_300_100", tags={"arm": "x"})

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert len(list((tmp_path / "states").glob("*/state.json"))) == 1


def test_states_csv_lists_every_seed_state_ancestors_first(lth_run) -> None:
    import csv

    with (lth_run / "out" / "states.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == catalog.STATE_COLUMNS
    assert sorted(r["recipe"] for r in rows) == sorted(
        [
            "init",
            "train",
            "prune_layerwise",
            "rewind",
            "train",
            "prune_layerwise",
            "rewind",
            "reinit",
            "train",
            "train",
        ]
    )
    seen: set[str] = set()
    for r in rows:  # every parent and input comes before the state made from it
        assert r["parent"] in seen or r["parent"] == ""
        assert all(ref.partition("=")[2] in seen for ref in filter(None, r["refs"].split(";")))
        seen.add(r["hash"])
    rewinds = [r for r in rows if r["recipe"] == "rewind"]
    init = next(r for r in rows if r["recipe"] == "init")
    assert all(r["refs"] == f"to={init['hash']}" for r in rewinds)


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return int(info.value.code), out.out, out.err


def test_audit_states_lists_filters_and_refuses_an_ambiguous_restore(lth_run, capsys, monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(lth_run / "cache"))
    out = str(lth_run / "out")
    code, text, _ = _cli(["states", out], capsys)
    assert code == 0 and len(text.strip().splitlines()) == 1 + 10
    code, text, _ = _cli(["states", out, "--tag", "arm=imp", "--tag", "round=2", "--json"], capsys)
    rows = [json.loads(line) for line in text.splitlines()]
    assert code == 0 and sorted(r["recipe"] for r in rows) == ["prune_layerwise", "rewind", "train"]
    code, _, err = _cli(["states", out, "--tag", "arm=imp", "--restore", str(lth_run / "x.pt")], capsys)
    assert code == 2 and err.count("\n") == 1 and "6 states of" in err and "--tag recipe=train" in err
    code, _, err = _cli(["states", out, "--tag", "round"], capsys)
    assert code == 2 and "is not KEY=VALUE" in err
    code, _, err = _cli(["states", str(lth_run / "nothing")], capsys)
    assert code == 2 and "runs.csv is missing" in err


def test_a_restored_state_loads_in_plain_pytorch_without_the_project(
    lth_run, capsys, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(lth_run / "cache"))
    target = tmp_path / "ticket.pt"
    args = ["states", str(lth_run / "out"), "--tag", "arm=imp", "--tag", "round=2", "--tag", "recipe=train"]
    code, text, _ = _cli([*args, "--restore", str(target)], capsys)
    assert code == 0 and text.strip() == str(target)
    # the project's own view of that state: its logits on fixed inputs, and its sparsity
    code, text, _ = _cli([*args, "--json"], capsys)
    digest = json.loads(text)["hash"]
    cache_tree = Tree(lth_run / "cache", Context(0, torch.device("cpu"), lambda *a: None), {})
    meta = catalog.read_state(lth_run / "cache" / "states", digest)
    from reproducers.tree import State

    model = State(
        digest, "train", {}, meta["parent"], {}, 0, "lenet_300_100", meta["metrics"], False, cache_tree
    ).model()
    inputs = torch.linspace(-1, 1, 3 * 784).view(3, 784)
    expected = model(inputs).detach()
    torch.save({"inputs": inputs, "logits": expected}, tmp_path / "check.pt")
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("audit", "core", "crawlers", "reproducers", "reports", "tests"):
                    raise ImportError("the project is not importable here: " + name)
        sys.meta_path.insert(0, Refuse())
        try:
            import reproducers  # noqa
            raise SystemExit("the project was importable")
        except ImportError:
            pass
        import torch
        from torch import nn
        layers = [nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10)]
        net = nn.Sequential(*layers)
        state = torch.load({str(target)!r}, weights_only=True)
        renamed = {{{{"fc1": "0", "fc2": "2", "fc3": "4"}}[k.split(".")[0]] + "." + k.split(".")[1]: v
                   for k, v in state.items()}}
        net.load_state_dict(renamed, strict=True)
        check = torch.load({str(tmp_path / "check.pt")!r}, weights_only=True)
        assert torch.allclose(net(check["inputs"]), check["logits"], atol=1e-6), "different network"
        zeros = sum(int((v == 0).sum()) for k, v in state.items() if k.endswith("weight"))
        print(zeros)
        """
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == round(meta["metrics"]["sparsity"] * 266_200)
    assert sorted(torch.load(target, weights_only=True)) == [
        "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "fc3.bias", "fc3.weight",
    ]  # fmt: skip
