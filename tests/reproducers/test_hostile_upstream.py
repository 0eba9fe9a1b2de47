"""The upstream part of the hostile-input corpus: a malicious "paper repository" run end to end.

The repository (served as ``https://github.com/evil-lab/hostile-prune`` through a bare mirror and
``url.<mirror>.insteadOf``) carries ``setup.py``, ``conftest.py`` and ``sitecustomize.py`` that write
canaries, an LFS pointer, links to a host file and to ``/etc/passwd``, a submodule on a host that
does not exist, and a ``train.py`` whose seeds leave their output folder as an attacker would: links
named ``stdout.txt``/``result.json``/``metrics.json`` pointing at a host file (which holds valid
metrics JSON, so a leak would show as a 99.9% "result"), a FIFO, an oversized file. The user's git is
configured to run hooks and an LFS smudge filter that write canaries too. The outcomes are in
docs/hostile-inputs.md (sandbox section); every test checks that no canary appeared and the host file did
not change. Also here: a repository over the size cap, one that never answers, and a requirement list
that asks for a malicious sdist.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest

from core.claims import Claim
from reproducers.errors import ReproductionError
from reproducers.upstream import JsonFile, UpstreamEntry, checkout, export_tree
from tests.reproducers.docker_fixtures import require_base, requires_docker
from tests.reproducers.hostile import (
    SDIST_NAME,
    canary_code,
    git,
    hanging_git_server,
    isolated_pip,
    malicious_sdist,
    publish,
)

URL = "https://github.com/evil-lab/hostile-prune"
LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "b" * 64 + "\nsize 987654321\n"
#: What the host file holds: valid metrics, so reading it through a planted link would "succeed".
HOST_FILE_TEXT = '{"test_accuracy": 99.9, "sparsity": 0.5}\n'

#: Appended to sitecustomize.py: every Python started with the checkout on its path gets a fake torch.
FORGE_TORCH = 'import sys, types\nsys.modules["torch"] = types.SimpleNamespace(__version__="forged")\n'

TRAIN = """\
import argparse, json, os
parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
out, host_file = args.out, {host_file!r}
print(f"test_accuracy={{90.0 + args.seed:.4f}}", flush=True)
def metrics():
    with open(os.path.join(out, "metrics.json"), "w") as handle:
        json.dump({{"test_accuracy": 90.0 + args.seed, "sparsity": 0.5}}, handle)
if args.seed == 0:                # honest
    metrics()
elif args.seed == 1:              # links where the host used to write its stdout copy and read results
    metrics()
    os.symlink(host_file, os.path.join(out, "stdout.txt"))
    os.symlink(host_file, os.path.join(out, "result.json"))
elif args.seed == 2:              # a FIFO as the metrics file: a reader would block forever
    os.mkfifo(os.path.join(out, "metrics.json"))
elif args.seed == 3:              # a 5 GB (sparse) file next to honest metrics
    metrics()
    with open(os.path.join(out, "checkpoint.pt"), "wb") as handle:
        handle.truncate(5 * 1000 ** 3)
elif args.seed == 4:              # the metrics file is a link to the host file (which holds "99.9")
    os.symlink(host_file, os.path.join(out, "metrics.json"))
"""


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The malicious repository on a mirror, the user's git set to run hooks and LFS, a host file."""
    canaries = tmp_path / "canaries"
    host_file = tmp_path / "host" / "precious.json"
    host_file.parent.mkdir()
    host_file.write_text(HOST_FILE_TEXT)
    work = tmp_path / "authors"
    work.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=work)
    (work / "train.py").write_text(TRAIN.format(host_file=str(host_file)))
    for name in ("setup.py", "conftest.py", "sitecustomize.py"):
        (work / name).write_text(canary_code(canaries / name, name))
    with (work / "sitecustomize.py").open("a") as handle:  # and forge what a later `import torch` sees
        handle.write(FORGE_TORCH)
    (work / "requirements.txt").write_text(f"{SDIST_NAME}==1.0\ntorch\n")
    (work / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
    (work / "weights.bin").write_text(LFS_POINTER)
    (work / "passwd").symlink_to("/etc/passwd")
    (work / "run.py").symlink_to("train.py")  # a link inside the tree: kept, and what the entry runs
    (work / "leak.json").symlink_to(host_file)
    (work / ".gitmodules").write_text(
        '[submodule "vendor"]\n\tpath = vendor\n\turl = https://no-such-host.invalid/x\n'
    )
    git("add", ".", cwd=work)
    git("update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor", cwd=work)
    git("commit", "--quiet", "-m", "a paper's code", cwd=work)
    commit = git("rev-parse", "HEAD", cwd=work)
    mirror = tmp_path / "mirror"
    publish(work, mirror, "evil-lab/hostile-prune")
    # The user's git, as the tools will see it: a mirror, plus hooks and an LFS filter that would
    # write canaries if anything let them run.
    hooks = tmp_path / "templates" / "hooks"
    hooks.mkdir(parents=True)
    for hook in ("post-checkout", "reference-transaction", "post-merge", "pre-auto-gc"):
        (hooks / hook).write_text(f"#!/bin/sh\nmkdir -p {canaries}\necho {hook} >> {canaries / 'hook'}\n")
        (hooks / hook).chmod(0o755)
    smudge = tmp_path / "smudge.sh"
    smudge.write_text(f"#!/bin/sh\nmkdir -p {canaries}\necho lfs >> {canaries / 'lfs'}\nexec cat\n")
    smudge.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(
        f'[url "file://{mirror}/"]\n\tinsteadOf = https://github.com/\n'
        f"[init]\n\ttemplateDir = {hooks.parent}\n"
        f'[filter "lfs"]\n\tsmudge = {smudge} %f\n\trequired = true\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return {"commit": commit, "canaries": canaries, "host_file": host_file, "tmp": tmp_path}


def entry_for(commit: str, **changes: Any) -> UpstreamEntry:
    fields: dict[str, Any] = {
        "url": URL,
        "commit": commit,
        "command": ("python", "run.py", "--seed", "{seed}", "--out", "{out}"),
        "metrics": JsonFile("metrics.json", {"test_accuracy": "test_accuracy", "sparsity": "sparsity"}),
        "row": {"arm": "upstream", "model": "mlp", "dataset": "blobs", "target_sparsity": 0.5},
        "requirements": (),
        "max_output_mb": 1.0,
        **changes,
    }
    return UpstreamEntry(**fields)


def assert_host_untouched(hostile: dict[str, Any]) -> None:
    assert hostile["host_file"].read_text() == HOST_FILE_TEXT
    assert sorted(path.name for path in hostile["host_file"].parent.iterdir()) == ["precious.json"]
    found = (
        sorted(path.name for path in hostile["canaries"].rglob("*")) if hostile["canaries"].exists() else []
    )
    assert found == [], f"code ran on the host: {found}"


def test_control_the_users_git_would_run_hooks_and_lfs(hostile: dict[str, Any]) -> None:
    """Without the hardening, a plain clone with this configuration runs both: the canaries are live."""
    git("clone", "--quiet", URL, str(hostile["tmp"] / "plain-clone"), cwd=hostile["tmp"])
    assert (hostile["canaries"] / "hook").read_text().count("post-checkout") == 1
    assert (hostile["canaries"] / "lfs").exists()


def test_checkout_and_export_run_nothing_and_keep_no_outside_link(hostile: dict[str, Any]) -> None:
    cache = hostile["tmp"] / "cache"
    repo = checkout(entry_for(hostile["commit"]), cache)
    tree = hostile["tmp"] / "tree"
    report = export_tree(repo, hostile["commit"], tree)
    assert sorted(path.name for path in tree.iterdir()) == [
        ".gitattributes", ".gitmodules", "conftest.py", "requirements.txt", "run.py", "setup.py",
        "sitecustomize.py", "train.py", "weights.bin",
    ]  # fmt: skip
    assert (tree / "weights.bin").read_text() == LFS_POINTER  # the pointer, never smudged
    assert (tree / "setup.py").read_text() == canary_code(hostile["canaries"] / "setup.py", "setup.py")
    assert (tree / "sitecustomize.py").read_text().endswith(FORGE_TORCH)
    assert [path.name for path in tree.rglob("*") if path.is_symlink()] == ["run.py"]
    assert os.readlink(tree / "run.py") == "train.py"
    assert sorted(report.skipped) == [
        "'leak.json': link to an absolute path (not kept)",
        "'passwd': link to an absolute path (not kept)",
        "'vendor': submodule (not fetched)",
    ]
    assert [path.name for path in repo.rglob("*") if path.name in ("train.py", "setup.py")] == []  # bare
    assert_host_untouched(hostile)


def test_a_repository_over_the_size_cap_is_one_line(hostile: dict[str, Any]) -> None:
    work = hostile["tmp"] / "big"
    work.mkdir()
    git("init", "--quiet", cwd=work)
    (work / "weights.npy").write_bytes(os.urandom(3_000_000))  # random: does not compress
    git("add", ".", cwd=work)
    git("commit", "--quiet", "-m", "weights", cwd=work)
    commit = git("rev-parse", "HEAD", cwd=work)
    publish(work, hostile["tmp"] / "mirror", "evil-lab/big")
    entry = entry_for(commit, url="https://github.com/evil-lab/big", max_size_mb=1.0)
    with pytest.raises(ReproductionError) as caught:
        checkout(entry, hostile["tmp"] / "cache")
    assert str(caught.value).startswith("checkout of https://github.com/evil-lab/big failed (too_large): ")
    assert str(caught.value).endswith(" MB is over the 1 MB cap")
    assert list((hostile["tmp"] / "cache" / "upstream").iterdir()) == []  # the partial fetch is gone


def test_a_repository_that_never_answers_stops_at_the_time_limit(
    hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with hanging_git_server() as base:
        config = hostile["tmp"] / "gitconfig-hang"
        config.write_text(f'[url "{base}"]\n\tinsteadOf = https://github.com/\n')
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
        entry = entry_for("2" * 40, url="https://github.com/evil-lab/hangs", timeout_s=3.0)
        with pytest.raises(ReproductionError) as caught:
            checkout(entry, hostile["tmp"] / "cache")
    assert str(caught.value) == (
        "checkout of https://github.com/evil-lab/hangs failed (timeout): git fetch took longer than 3 s"
    )


@pytest.fixture
def registered(hostile: dict[str, Any]) -> Any:
    from reproducers import registry
    from reproducers.registry.base import PaperSpec, Protocol
    from reproducers.training import Schedule

    def register(entry: UpstreamEntry) -> Any:
        plan = Protocol(
            name="upstream",
            description="The hostile repository's train.py.",
            experiment="upstream",
            dataset="blobs",
            split=(1, 0, 1),
            models=("mlp",),
            init="the authors'",
            schedule=Schedule(optimizer="sgd", lr=0.1, batch_size=1, eval_every=1, iterations=1),
            cost="seconds",
            upstream=entry,
        )
        condition = {"arm": "upstream", "target_sparsity": 0.5}
        claim = Claim(id="acc", statement="About 90% accuracy.", kind="single", reported=90.0, delta=5.0,
                      condition=condition, protocols=("upstream",))  # fmt: skip
        return registry.register(
            PaperSpec(id="hostile01", title="Hostile", venue="Test 2026", code_url=URL, claims=(claim,),
                      protocols={"upstream": plan})
        )  # fmt: skip

    yield register
    registry.unregister("hostile01")


def reproduce(hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any) -> tuple[int, list[str]]:
    from audit.cli import main

    monkeypatch.setenv("AUDIT_CACHE_DIR", str(hostile["tmp"] / "cache"))
    monkeypatch.setenv("AUDIT_BASE_IMAGE", require_base())
    args = ["reproduce", "hostile01", "--protocol", "upstream", "--seeds", "5", "--runner", "docker"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--out", str(hostile["tmp"] / "out")])
    return int(exit_info.value.code), capsys.readouterr().err.strip().splitlines()


@pytest.mark.docker
@requires_docker
def test_hostile_seeds_fail_one_by_one_and_the_honest_one_is_kept(
    hostile: dict[str, Any], registered: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    registered(entry_for(hostile["commit"]))
    code, err = reproduce(hostile, monkeypatch, capsys)
    out = hostile["tmp"] / "out"
    assert code == 1
    assert err[-1] == (
        "error: seed(s) 1, 2, 3, 4 failed (see environment.json failed_seeds); "
        f"the other seeds are in {out}; rerun the same command to retry"
    )
    environment = json.loads((out / "environment.json").read_text())
    assert environment["failed_seeds"] == [
        {"seed": 1, "reason": "output 'result.json' is a symbolic link"},
        {"seed": 2, "reason": "output 'metrics.json' is a FIFO"},
        {"seed": 3, "reason": "output 'checkpoint.pt' is 5000000000 bytes (over the 1 MB cap)"},
        {"seed": 4, "reason": "output 'metrics.json' is a symbolic link"},
    ]
    assert (environment["seeds"], environment["seeds_requested"]) == ([0], [0, 1, 2, 3, 4])
    with (out / "runs.csv").open() as handle:
        runs = list(csv.DictReader(handle))
    assert [(row["seed"], row["test_accuracy"], row["arm"]) for row in runs] == [("0", "90.0", "upstream")]
    # The host's copy of each seed's stdout is in the host-only folder, a regular file with that stdout.
    for seed in range(5):
        copy = out / "containers" / f"seed-{seed}" / "stdout.txt"
        assert not copy.is_symlink() and copy.read_text() == f"test_accuracy={90 + seed}.0000\n"
    assert (out / "containers" / "seed-1" / "out" / "stdout.txt").is_symlink()  # planted, never followed
    # Provenance from the probe container, not the host: no torch in this image. The probe runs in
    # isolated mode, so the checkout's sitecustomize.py (which forges torch) never ran in it.
    inside = environment["inside"]
    assert inside["reported_by"].startswith("probe container") and "error" not in inside
    assert inside["torch"] is None
    assert environment["determinism"] == {"set_by": "the authors' code", "defaults_in_container": None}
    assert environment["upstream"]["export"]["skipped_count"] == 3
    assert_host_untouched(hostile)


@pytest.mark.docker
@requires_docker
def test_a_malicious_sdist_in_the_requirement_list_is_never_built(
    hostile: dict[str, Any], registered: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    links = hostile["tmp"] / "find-links"
    malicious_sdist(links, hostile["canaries"] / "sdist")
    isolated_pip(monkeypatch, links)
    registered(entry_for(hostile["commit"], requirements=(f"{SDIST_NAME}==1.0",)))
    code, err = reproduce(hostile, monkeypatch, capsys)
    assert code == 1
    assert [line for line in err if line.startswith("error")] == [err[-1]]  # one line, after the banner
    assert err[-1].startswith("error: could not fill wheelhouse ")
    assert SDIST_NAME in err[-1] and "only binary wheels are taken on the host" in err[-1]
    assert not (hostile["tmp"] / "out" / "containers").exists()  # nothing ran, not even in a container
    assert_host_untouched(hostile)
