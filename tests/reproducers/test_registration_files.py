"""Registration files (YAML/TOML): a valid one loads into the PaperSpec the engine runs; every bad one
is refused with one line that names the file, the claim (or protocol) and the field, exit code 2."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from audit.cli import main
from reproducers.registry.check import check_file
from reproducers.registry.loader import MAX_BYTES, RegistrationError, load

#: A small registration: SNIP's plan on 600/200/200 images of the offline subset, 40 iterations.
VALID: dict[str, Any] = {
    "registration": 1,
    "paper": {
        "id": "TESTpaper01",
        "title": "A paper under test",
        "venue": "ICLR 2099",
        "year": 2099,
        "authors": ["A. Author"],
        "code_url": "https://example.org/code",
        "aliases": ["test-paper"],
    },
    "protocols": {
        "tiny": {
            "description": "SNIP's plan on 600 training images, 40 iterations",
            "experiment": "snip",
            "dataset": "mnist5k",
            "split": [600, 200, 200],
            "models": ["lenet_300_100"],
            "init": "variance_scaling",
            "schedule": {
                "optimizer": "sgd",
                "lr": 0.1,
                "momentum": 0.9,
                "weight_decay": 5.0e-4,
                "batch_size": 100,
                "iterations": 40,
                "eval_every": 20,
                "lr_milestones": [30],
            },
            "cost": "seconds",
            "sparsities": [0.9],
            "random_sparsities": [0.9],
            "deviations": ["a test protocol"],
        }
    },
    "claims": [
        {
            "id": "snip-beats-random",
            "statement": "SNIP beats random pruning at 90%",
            "kind": "relation",
            "condition": {"arm": "snip", "target_sparsity": 0.9},
            "baseline": {"arm": "random", "target_sparsity": 0.9},
            "direction": "greater",
            "source": "the registry's own control",
            "role": "control",
            "protocols": ["tiny"],
        },
        {
            "id": "dense-number",
            "statement": "The dense network reaches 90%",
            "kind": "single",
            "condition": {"arm": "dense"},
            "reported": 90.0,
            "delta": 5.0,
            "delta_reason": "a loose margin for a 40-iteration test protocol",
            "source": "Table 1",
            "verified": True,
            "protocols": ["tiny"],
        },
    ],
}


def write(tmp_path: Path, data: Any, name: str = "paper.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def mutated(change) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def test_a_valid_file_loads_into_a_paper_spec(tmp_path: Path) -> None:
    spec = load(write(tmp_path, VALID))
    assert spec.id == "TESTpaper01" and spec.registration_file == "paper.yaml"
    assert spec.protocols["tiny"].schedule.weight_decay == 5.0e-4
    assert spec.protocols["tiny"].schedule.lr_milestones == (30,)
    assert spec.claims[0].role == "control" and spec.claims[1].delta == 5.0
    assert spec.claims[0].delta == 0.5  # directional: the contract's default, unused
    result = check_file(tmp_path / "paper.yaml")
    assert result.summary()["controls"] == 1 and result.summary()["verified"] == 1


def test_yaml_12_floats_and_toml(tmp_path: Path) -> None:
    """`5e-4` is a number (YAML 1.2), not the string PyYAML's YAML 1.1 would make of it; TOML works too."""
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(VALID, sort_keys=False).replace("0.0005", "5e-4"))
    assert "5e-4" in path.read_text()
    assert load(path).protocols["tiny"].schedule.weight_decay == 5e-4
    toml = tmp_path / "paper.toml"
    toml.write_text(_toml(VALID))
    assert load(toml).claims == load(write(tmp_path, VALID)).claims


def _toml(data: dict[str, Any]) -> str:
    """A tiny TOML writer for this fixture (tomllib reads, the standard library does not write)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        return repr(v)

    lines = [f"registration = {data['registration']}", "[paper]"]
    lines += [f"{k} = {value(v)}" for k, v in data["paper"].items()]
    for name, protocol in data["protocols"].items():
        lines.append(f"[protocols.{name}]")
        lines += [f"{k} = {value(v)}" for k, v in protocol.items()]
    for claim in data["claims"]:
        lines.append("[[claims]]")
        lines += [f"{k} = {value(v)}" for k, v in claim.items()]
    return "\n".join(lines) + "\n"


BAD = [
    ("wrong type", lambda d: d["claims"][1].update(delta="0.3"),
     ["claim 'dense-number' (claims[1])", "delta", "valid number"]),
    ("missing field", lambda d: d["claims"][1].pop("statement"),
     ["claim 'dense-number' (claims[1])", "statement", "missing"]),
    ("unknown kind", lambda d: d["claims"][0].update(kind="vibes"),
     ["claim 'snip-beats-random' (claims[0])", "kind", "'single'"]),
    ("NaN", lambda d: d["claims"][1].update(reported=float("nan")),
     ["claim 'dense-number' (claims[1])", "reported", "finite number"]),
    ("infinite", lambda d: d["protocols"]["tiny"]["schedule"].update(lr=float("inf")),
     ["protocol 'tiny'", "schedule.lr", "finite number"]),
    ("NaN in a condition", lambda d: d["claims"][0]["condition"].update(target_sparsity=float("nan")),
     ["claim 'snip-beats-random' (claims[0])", "condition.target_sparsity"]),
    ("unknown field", lambda d: d["claims"][1].update(deltaa=0.3),
     ["claim 'dense-number' (claims[1])", "deltaa", "unknown field"]),
    ("duplicate id", lambda d: d["claims"].append(copy.deepcopy(d["claims"][1])),
     ["claim 'dense-number' (claims[2])", "id: duplicate of claims[1]"]),
    ("bad id", lambda d: d["claims"][1].update(id="../../etc"),
     ["claims[1]", "id", "pattern"]),
    ("unknown protocol", lambda d: d["claims"][1].update(protocols=["paper"]),
     ["claim 'dense-number' (claims[1])", "protocols", "protocols: paper is not a protocol of this file"]),
    ("unknown plan", lambda d: d["protocols"]["tiny"].update(experiment="grasp_magic"),
     ["protocol 'tiny'", "experiment", "unknown plan 'grasp_magic'", "lth_imp"]),
    ("unknown model", lambda d: d["protocols"]["tiny"].update(models=["resnet9000"]),
     ["protocol 'tiny'", "models", "resnet9000"]),
    ("unknown column", lambda d: d["claims"][1]["condition"].update(optimizer="sgd"),
     ["claim 'dense-number' (claims[1])", "condition: optimizer is not a runs.csv column"]),
    ("unknown metric", lambda d: d["claims"][1].update(metric="train_accuracy"),
     ["claim 'dense-number' (claims[1])", "metric: 'train_accuracy'"]),
    ("δ on a directional claim", lambda d: d["claims"][0].update(delta=0.3),
     ["claim 'snip-beats-random' (claims[0])", "delta", "boundary is 'margin'"]),
    ("margin without a reason", lambda d: d["claims"][0].update(margin=0.3),
     ["claim 'snip-beats-random' (claims[0])", "delta_reason"]),
    ("δ without a reason", lambda d: d["claims"][1].pop("delta_reason"),
     ["claim 'dense-number' (claims[1])", "delta_reason"]),
    ("no δ at all", lambda d: d["claims"][1].pop("delta"),
     ["claim 'dense-number' (claims[1])", "delta: a single claim must state its margin"]),
    ("single without a value", lambda d: d["claims"][1].pop("reported"),
     ["claim 'dense-number' (claims[1])", "a single claim needs reported"]),
    ("relation without a baseline", lambda d: d["claims"][0].pop("baseline"),
     ["claim 'snip-beats-random' (claims[0])", "needs baseline"]),
    ("ratio region below 0", lambda d: d["claims"][0].update(
        kind="ratio", direction="equivalent", reported=0.2, delta=0.3, delta_reason="testing the bound"),
     ["claim 'snip-beats-random' (claims[0])", "above 0"]),
    ("bad α", lambda d: d["claims"][1].update(alpha=0.7),
     ["claim 'dense-number' (claims[1])", "alpha", "less than 0.5"]),
    ("bad split", lambda d: d["protocols"]["tiny"].update(split=[600, 200]),
     ["protocol 'tiny'", "split", "at least 3"]),
    ("re-init beyond the rounds", lambda d: d["protocols"]["tiny"].update(reinit_rounds=[3]),
     ["protocol 'tiny'", "reinit_rounds [3] lie beyond rounds = 0"]),
    ("unquoted arXiv id", lambda d: d["paper"].update(arxiv=1810.02340),
     ["paper", "arxiv", "valid string"]),
    ("wrong format version", lambda d: d.update(registration=2),
     ["registration: Input should be 1 (got 2)"]),
    ("no claims", lambda d: d.update(claims=[]),
     ["claims: List should have at least 1 item"]),
    ("condition selects nothing", lambda d: d["claims"][1]["condition"].update(arm="imp"),
     ["claim 'dense-number' (claims[1])", "condition: selects no runs of protocol 'tiny'",
      "snip (lenet_300_100): 0.9"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "expected"), BAD, ids=[case for case, _, _ in BAD])
def test_a_bad_file_is_one_line_naming_claim_and_field(tmp_path: Path, case, change, expected) -> None:
    path = write(tmp_path, mutated(change))
    with pytest.raises(RegistrationError) as info:
        check_file(path)
    message = str(info.value)
    assert info.value.exit_code == 2 and "\n" not in message
    assert message.startswith("paper.yaml: "), message
    for part in expected:
        assert part in message, (case, message)


HOSTILE_TEXT = [
    ("alias bomb", 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n', "aliases are not accepted"),
    ("duplicate key", "registration: 1\nregistration: 1\n", "line 2, column 1: duplicate key 'registration'"),
    ("not YAML", "paper: [unclosed\n", "not valid YAML (line"),
    ("a list", "- 1\n- 2\n", "the top level must be a mapping"),
    ("a python tag", "registration: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ("empty", "", "the top level must be a mapping"),
]


@pytest.mark.parametrize(("case", "text", "expected"), HOSTILE_TEXT, ids=[c for c, _, _ in HOSTILE_TEXT])
def test_hostile_yaml_is_refused_before_validation(tmp_path: Path, case, text, expected) -> None:
    path = tmp_path / "paper.yaml"
    path.write_text(text)
    with pytest.raises(RegistrationError) as info:
        load(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_files_that_are_not_registrations(tmp_path: Path) -> None:
    cases = {
        "paper.json": (b"{}", "is a .yaml, .yml or .toml file"),
        "huge.yaml": (b"#" * (MAX_BYTES + 1), "larger than 1024 KiB"),
        "latin1.yaml": ("title: caf\xe9".encode("latin-1"), "not UTF-8"),
        "bad.toml": (b"registration = = 1", "not valid TOML"),
        "nan.toml": (
            _toml(mutated(lambda d: d["claims"][1].update(reported=float("nan")))).encode(),
            "finite",
        ),
    }
    for name, (raw, expected) in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(RegistrationError, match=expected):
            load(tmp_path / name)
    with pytest.raises(RegistrationError, match="cannot read the registration"):
        load(tmp_path / "missing.yaml")


def _cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code)


def test_papers_check_on_the_command_line(tmp_path: Path, capsys) -> None:
    good = write(tmp_path, VALID)
    assert _cli(["papers", "--check", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("paper.yaml: a valid registration of TESTpaper01 (A paper under test, ICLR 2099)")
    assert "2 (1 registry controls, 1 verified" in out and "claims hash" in out
    assert _cli(["papers", "--check", str(good), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["id"] == "TESTpaper01" and summary["protocols"] == {"tiny": "snip"}
    bad = write(tmp_path, mutated(lambda d: d["claims"][1].update(delta=float("nan"))), "bad.yaml")
    assert _cli(["papers", "--check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        "error: bad.yaml: claim 'dense-number' (claims[1]): delta:"
    )


def test_papers_export_then_check(tmp_path: Path, capsys) -> None:
    assert _cli(["papers", "--export", "lth"]) == 0
    (tmp_path / "lth.yaml").write_text(capsys.readouterr().out)
    assert _cli(["papers", "--check", str(tmp_path / "lth.yaml")]) == 0
    assert "13 (0 registry controls, 12 verified" in capsys.readouterr().out
    assert _cli(["papers", "--export", "nope"]) == 2


@pytest.mark.slow
def test_reproduce_a_registration_file(tmp_path: Path, monkeypatch, capsys) -> None:
    """`audit reproduce --registration FILE` runs that file's paper and cites the file in claims.json."""
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    path = write(tmp_path, VALID)
    out = tmp_path / "out"
    base = ["reproduce", "--registration", str(path), "--protocol", "tiny", "--runner", "local"]
    assert _cli([*base, "--seeds", "2", "--out", str(out)]) == 0
    claims = json.loads((out / "claims.json").read_text())
    assert claims["paper_id"] == "TESTpaper01" and claims["registration"]["file"] == "paper.yaml"
    assert claims["content_hash"] == load(path).claim_set().content_hash()
    verdicts = (out / "verdicts.csv").read_text()
    assert "snip-beats-random" in verdicts and "dense-number" in verdicts
    runs = (out / "runs.csv").read_text().splitlines()
    assert runs[0].endswith(",effective_sparsity") and len(runs) == 1 + 2 * 3
    assert _cli([*base, "snip", "--out", str(tmp_path / "other")]) == 2
    assert "is not the paper that paper.yaml registers (TESTpaper01)" in capsys.readouterr().err
    assert _cli(["reproduce", "--runner", "local"]) == 2
    assert "give a PAPER_ID" in capsys.readouterr().err


def test_the_worker_runs_a_registration_file(tmp_path: Path) -> None:
    """What a container runs: `python -m reproducers.worker --registration FILE` (here in-process)."""
    from reproducers import worker

    path = write(tmp_path, VALID)
    args = ["--paper", "TESTpaper01", "--protocol", "tiny", "--seed", "0", "--device", "cpu"]
    args += ["--cache", str(tmp_path / "cache"), "--data", str(tmp_path / "data")]
    assert worker.main([*args, "--out", str(tmp_path / "rows.json"), "--registration", str(path)]) == 0
    body = json.loads((tmp_path / "rows.json").read_text())
    assert body["paper_id"] == "TESTpaper01" and {r["arm"] for r in body["runs"]} == {
        "dense",
        "snip",
        "random",
    }
    wrong = [*args, "--out", str(tmp_path / "x.json"), "--registration", str(path)]
    wrong[1] = "B1VZqjAcYX"
    assert worker.main(wrong) == 2 and not (tmp_path / "x.json").exists()
