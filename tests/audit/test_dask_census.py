"""`audit clone`, `audit deps` and `audit checklist` on a real Dask cluster (a scheduler and two worker
processes on 127.0.0.1) against the same steps with the local executor: the same files, byte for byte.

The workers clone into a store of their own (``--store``); repos.csv then differs from the local run
only where it must (the checkout's ``path`` in that store, and the ``seconds`` each clone took).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.dask_cluster import Cluster, running_cluster
from tests.core.s3_server import S3Server, running_s3
from tests.crawlers.repo_factory import make_repo

pytestmark = pytest.mark.slow

GH = "https://github.com/"
REPOS = {
    "alpha/ride": {
        "requirements.txt": "torch==1.1.0\ngym==0.14.0\n",
        "src/train.py": "import torch\nimport gym\nimport numpy as np\nimport argparse\n",
        "README.md": "# Ride\n\n## Training\n\n```\npython src/train.py\n```\n",
    },
    "beta/mono": {
        "cfq/requirements.txt": "tensorflow==1.15\nabsl-py\n",
        "cfq/run.py": "import tensorflow as tf\nfrom absl import app\n",
        "maml/maml.py": "import jax\nimport numpy as np\n",
    },
    "gamma/chainer-gnn": {
        "train.py": "import chainer\nimport scipy\n",
        "analysis.py": "import pandas as pd\n",
    },
    "delta/empty": {"README.md": "Code coming soon.\n"},
}
#: (forum, repository, linked sub-folder): the monorepo is linked twice, at two sub-folders
PAPERS = [
    ("p1", "alpha/ride", ""),
    ("p2", "beta/mono", "cfq"),
    ("p3", "beta/mono", "maml"),
    ("p4", "gamma/chainer-gnn", ""),
    ("p5", "delta/empty", ""),
    ("p6", "epsilon/missing", ""),  # no such repository: a failed clone, the same on both executors
]
DEPS_OUTPUTS = ("dependencies.csv", "frameworks.csv", "all_tools.csv", "repo_signals.csv", "checklist.csv")


@pytest.fixture(scope="module")
def gitconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Route github.com/<owner>/<repo> to local repositories; every other URL fails as a missing one."""
    root = tmp_path_factory.mktemp("forge")
    rules = []
    for name, files in REPOS.items():
        make_repo(root / name, files)
        rules.append(f'[url "file://{root / name}"]\n\tinsteadOf = {GH}{name}\n')
    rules.append(f'[url "file://{root}/missing/"]\n\tinsteadOf = {GH}epsilon/\n')
    config = root / "gitconfig"
    config.write_text("".join(rules) + "[protocol]\n\tallow = always\n")
    return config


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    yield from running_s3(tmp_path_factory.mktemp("s3"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, gitconfig: Path, s3: S3Server) -> Iterator[Cluster]:
    """Two workers that reach the forge mirrors and the S3 server, each with a temporary folder of its own."""
    env = {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1", **s3.env}
    yield from running_cluster(tmp_path_factory.mktemp("dask"), env=env)


def census_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    header = "forum,number,title,decision,accepted,code_url,repo_url,repo_subpath,host\n"
    lines = [
        f"{forum},{i},Paper {i},Accept (Poster),true,{GH}{repo},{GH}{repo},{sub},github.com\n"
        for i, (forum, repo, sub) in enumerate(PAPERS, start=1)
    ]
    (folder / "papers.csv").write_text(header + "".join(lines))
    return folder


def audit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "audit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return done


def repos_rows(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "repos.csv").read_text())))


def run_steps(
    cluster: Cluster, gitconfig: Path, tmp_path: Path, store: str
) -> tuple[Path, Path, dict[str, str]]:
    """clone, deps and checklist with the local executor and on the cluster with ``store``: the two
    census folders and the client's environment. The client's cache is not where the workers clone:
    nothing of the store is read here."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    local, remote = census_folder(tmp_path / "local"), census_folder(tmp_path / "dask")
    local_env = {**env, "AUDIT_CACHE_DIR": str(tmp_path / "cache-local")}
    remote_env = {
        **env,
        "AUDIT_CACHE_DIR": str(tmp_path / "cache-client"),
        "DASK_SCHEDULER_ADDRESS": cluster.address,
    }
    for step in ("clone", "deps", "checklist"):
        audit(step, str(local), env=local_env)
        done = audit(step, str(remote), "--executor", "dask", "--store", store, env=remote_env)
        assert f"Dask scheduler {cluster.address}: 2 workers; dashboard http://127.0.0.1:" in done.stderr
    return local, remote, remote_env


def test_clone_deps_and_checklist_on_dask_equal_the_local_executor(
    cluster: Cluster, gitconfig: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    local, remote, _ = run_steps(cluster, gitconfig, tmp_path, str(store))
    for name in DEPS_OUTPUTS:
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    assert not (tmp_path / "cache-client").exists()
    # repos.csv: the same outcomes; the path is the store's, and each clone's time its own
    mine, theirs = repos_rows(local), repos_rows(remote)
    assert {r["repo_url"][len(GH) :]: r["status"] for r in mine} == {
        "alpha/ride": "ok",
        "beta/mono": "ok",
        "gamma/chainer-gnn": "ok",
        "delta/empty": "ok",
        "epsilon/missing": "not_a_repository",
    }
    moving = {"path", "seconds"}
    assert [{k: v for k, v in r.items() if k not in moving} for r in theirs] == [
        {k: v for k, v in r.items() if k not in moving} for r in mine
    ]
    assert all(r["path"].startswith(str(store / "repos")) for r in theirs if r["status"] == "ok")
    frameworks = {
        row["repo_url"] + " " + row["repo_subpath"]: row
        for row in csv.DictReader((remote / "frameworks.csv").open())
    }
    assert len(frameworks) == 5  # the monorepo counted once per linked sub-folder


def test_clone_deps_and_checklist_through_object_storage_equal_the_local_executor(
    cluster: Cluster, gitconfig: Path, s3: S3Server, tmp_path: Path
) -> None:
    """``--store s3://…``: the workers share nothing but the bucket (each its own temporary folder); a
    checkout travels as an archive whose URL repos.csv records, and the outputs are the local ones."""
    local, remote, remote_env = run_steps(cluster, gitconfig, tmp_path, "s3://audit/census")
    for name in DEPS_OUTPUTS:
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    assert not (tmp_path / "cache-client").exists()
    mine, theirs = repos_rows(local), repos_rows(remote)
    moving = {"path", "seconds"}
    assert [{k: v for k, v in r.items() if k not in moving} for r in theirs] == [
        {k: v for k, v in r.items() if k not in moving} for r in mine
    ]
    archives = sorted(s3.filesystem().find("audit/census/archives"))
    ok = [r for r in theirs if r["status"] == "ok"]
    assert len(ok) == 4 and sorted(r["path"] for r in ok) == sorted(f"s3://{key}" for key in archives)
    assert all(r["path"].endswith(f"/{r['commit']}.tar") for r in ok)
    # a rerun keeps every finished clone: the archives are trusted as recorded, nothing is cloned again
    before = (remote / "repos.csv").read_bytes()
    audit("clone", str(remote), "--executor", "dask", "--store", "s3://audit/census", env=remote_env)
    assert (remote / "repos.csv").read_bytes() == before


def test_dask_needs_a_scheduler_and_a_store_it_can_use(tmp_path: Path) -> None:
    folder = census_folder(tmp_path / "c")
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    done = subprocess.run(
        [sys.executable, "-m", "audit", "clone", str(folder), "--executor", "dask"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.strip().splitlines()[-1] == (
        "error: --executor dask needs --scheduler ADDRESS (or DASK_SCHEDULER_ADDRESS), e.g. tcp://127.0.0.1:8786"
    )
    for extra, message in (
        (["--store", "s3://bucket/audit"], "error: --store 's3://bucket/audit': object storage is where a "
         "Dask cluster's workers keep clones and states; add --executor dask, or name a folder"),
        (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--store", "nosuch://bucket/audit"],
         "error: --store 'nosuch://bucket/audit': no fsspec file system for nosuch:// here"),
    ):  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "audit", "deps", str(folder), *extra],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 2 and done.stderr.strip().splitlines()[-1].startswith(message), done.stderr


@pytest.mark.parametrize("store", ["folder", "s3"])
def test_a_whole_census_on_dask_equals_the_local_one(
    cluster: Cluster, gitconfig: Path, tmp_path: Path, store: str
) -> None:
    """`audit census` with a papercopilot-style list: crawl and report here, clone, deps and
    checklist on the cluster; every output the same as the local executor's (the step log and the
    report's generation time aside, and repos.csv's path and seconds)."""
    records = [
        {"id": forum, "title": f"Paper {forum}", "status": "Poster", "github": f"{GH}{repo}"}
        for forum, repo, _ in PAPERS
        if not _  # the list links whole repositories
    ]
    (tmp_path / "list.json").write_text(json.dumps(records))
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    venue = "TestConf.cc/2024/Conference"
    for kind, extra in (("local", []), ("dask", ["--executor", "dask", "--scheduler", cluster.address])):
        run_env = {**env, "AUDIT_CACHE_DIR": str(tmp_path / f"cache-{kind}")}
        args = ["census", venue, "--from-file", str(tmp_path / "list.json"), "--out", str(tmp_path / kind)]
        where = str(tmp_path / "store") if store == "folder" else f"s3://audit/{tmp_path.name}"
        done = audit(*args, *extra, *(["--store", where] if kind == "dask" else []), env=run_env)
        assert done.returncode == 0, done.stderr[-2000:]
    local, remote = tmp_path / "local", tmp_path / "dask"
    for name in (*DEPS_OUTPUTS, "papers.csv", "top_tools.png", "frameworks.png"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    # the report says when it and the paper list were made, and census.json which inputs (repos.csv's
    # digest covers its path and seconds columns): everything else is the same
    when = ("Generated ", "Papers listed ")
    md = [
        [line for line in (f / "report.md").read_text().splitlines() if not line.startswith(when)]
        for f in (local, remote)
    ]
    assert md[0] == md[1] and len(md[0]) > 20
    drop = ("generated_at", "sources", "crawl")  # crawl: when the list was read
    mine, theirs = (json.loads((f / "census.json").read_text()) for f in (local, remote))
    assert {k: v for k, v in theirs.items() if k not in drop} == {
        k: v for k, v in mine.items() if k not in drop
    }
    assert mine["papers"]["accepted"] == 4 and mine["papers"]["with_code"]["k"] == 4  # p1, p4, p5, p6
