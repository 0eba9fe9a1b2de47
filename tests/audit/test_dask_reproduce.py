"""`audit reproduce --executor dask` on a real cluster (a scheduler and two worker processes), one worker
killed mid-seed, against the local executor: the same tables, verdicts, report and figures.

Three runs of SNIP's quick protocol with 2 seeds:

- D: through the cluster, states in a store; one worker is SIGKILLed while it trains a seed, after the
  store holds finished states. Its seed runs again on the other worker, which reuses them.
- L: the local executor with a fresh cache. Its states are computed anew, so the only column that may
  differ is each training's measured ``wall_s``; every number is the same.
- R: the local executor on D's store: every state is found, so every output is byte-identical to D's
  but environment.json and the one line of the report that lists its settings (both say where the
  seeds ran: the scheduler, the workers, which seed on which).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.dask_cluster import start_cluster

pytestmark = pytest.mark.slow

PAPER = "B1VZqjAcYX"
ARGS = ["reproduce", PAPER, "--protocol", "quick", "--seeds", "2", "--runner", "local"]
SAME = ("per_class.csv", "verdicts.csv", "claims.json", "paper.json")


def table(path: Path, drop: tuple[str, ...] = ()) -> list[dict[str, str]]:
    return [
        {k: v for k, v in row.items() if k not in drop}
        for row in csv.DictReader(io.StringIO(path.read_text()))
    ]


#: the report's line of environment.json's remaining settings (executor.*, inside.*)
SETTINGS = ("- Other recorded settings: ", "<li>Other recorded settings: ")


def outputs(folder: Path) -> dict[str, bytes]:
    """Every output file but environment.json, the reports without their settings line."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "environment.json":
            continue
        body = path.read_bytes()
        if path.name in ("report.md", "report.html"):
            lines = body.decode().splitlines(keepends=True)
            body = "".join(line for line in lines if not line.startswith(SETTINGS)).encode()
        found[str(path.relative_to(folder))] = body
    return found


def busy_worker(address: str, store: Path) -> str | None:
    """The worker training a seed once the store holds a finished state, else None."""
    from distributed import Client

    if not any((store / "states").glob("*")):
        return None
    with Client(address, timeout=10, set_as_default=False) as client:
        names = {addr: w["name"] for addr, w in client.scheduler_info()["workers"].items()}
        for addr, keys in client.processing().items():
            if any(str(key).startswith("seed ") for key in keys):
                return str(names.get(addr))
    return None


def test_a_killed_worker_loses_nothing_and_the_outputs_equal_the_local_executor(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    env["AUDIT_CACHE_DIR"] = str(tmp_path / "client-cache")
    store = tmp_path / "store"
    cluster = start_cluster(tmp_path / "dask")
    try:
        command = [sys.executable, "-m", "audit", *ARGS, "--out", str(tmp_path / "D"), "--executor", "dask",
                   "--scheduler", cluster.address, "--store", str(store)]  # fmt: skip
        run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed, deadline = None, time.monotonic() + 240
        while killed is None and run.poll() is None and time.monotonic() < deadline:
            killed = busy_worker(cluster.address, store)
            if killed is None:
                time.sleep(0.2)
        assert killed in ("w1", "w2"), "no worker was caught training a seed"
        cluster.kill(killed)
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
        assert out.strip().splitlines()[-1] == str(tmp_path / "D" / "report.html")
    finally:
        cluster.stop()
    dask_run = tmp_path / "D"
    assert f"Dask scheduler {cluster.address}: 2 workers; dashboard http://127.0.0.1:" in err
    environment = json.loads((dask_run / "environment.json").read_text())
    survivor = ({"w1", "w2"} - {killed}).pop()
    # the killed worker's seed was finished by the other one; the run says where each seed ran
    assert set(environment["executor"]["seeds_on"].values()) == {survivor}
    assert environment["executor"]["executor"] == "dask" and environment["seeds"] == [0, 1]
    assert environment["inside"]["reported_by"] == "Dask worker processes"

    local_env = {**env, "AUDIT_CACHE_DIR": str(tmp_path / "fresh-cache")}
    local = [sys.executable, "-m", "audit", *ARGS, "--out", str(tmp_path / "L")]
    subprocess.run(local, env=local_env, check=True, capture_output=True)
    fresh = tmp_path / "L"
    assert table(dask_run / "runs.csv", ("wall_s",)) == table(fresh / "runs.csv", ("wall_s",))
    assert sorted({row["seed"] for row in table(fresh / "runs.csv")}) == ["0", "1"]
    for name in SAME:
        assert (dask_run / name).read_bytes() == (fresh / name).read_bytes(), name

    again = [sys.executable, "-m", "audit", *ARGS, "--out", str(tmp_path / "R"), "--store", str(store)]
    subprocess.run(again, env=env, check=True, capture_output=True)
    rerun = tmp_path / "R"
    assert outputs(rerun) == outputs(dask_run) and len(outputs(rerun)) >= 12
    settings = [
        line for line in (dask_run / "report.md").read_text().splitlines() if line.startswith(SETTINGS)
    ]
    assert f"executor.scheduler = {cluster.address}" in settings[0] and "executor.workers = 2;" in settings[0]


def test_seeds_through_object_storage_equal_the_local_executor(tmp_path: Path) -> None:
    """``--store s3://…``: the workers share nothing but the bucket (each its own temporary folder,
    where it mirrors what it needs); the outputs are the local executor's, a rerun computes nothing,
    and `audit states` reads the tree back from the bucket."""
    from tests.core.s3_server import running_s3

    servers = running_s3(tmp_path / "s3")
    s3 = next(servers)
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    env["AUDIT_CACHE_DIR"] = str(tmp_path / "client-cache")
    cluster = start_cluster(tmp_path / "dask", env=s3.env)
    try:
        command = [sys.executable, "-m", "audit", *ARGS, "--executor", "dask", "--scheduler", cluster.address,
                   "--store", "s3://audit/states"]  # fmt: skip
        first = subprocess.run(
            [*command, "--out", str(tmp_path / "S")], env=env, capture_output=True, text=True
        )
        assert first.returncode == 0, first.stderr[-3000:]
        # new workers with empty temporary folders: whatever the rerun reuses comes from the bucket
        cluster.stop()
        cluster = start_cluster(tmp_path / "dask-again", env=s3.env)
        command[command.index("--scheduler") + 1] = cluster.address
        again = subprocess.run(
            [*command, "--out", str(tmp_path / "S2")], env=env, capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr[-3000:]
        listed = subprocess.run(
            [sys.executable, "-m", "audit", "states", str(tmp_path / "S"), "--json", "--store", "s3://audit/states"],
            env={**env, **s3.env, "TMPDIR": str(tmp_path)}, capture_output=True, text=True,
        )  # fmt: skip
        assert listed.returncode == 0, listed.stderr[-2000:]
        keys = s3.filesystem().find("audit/states/states")
    finally:
        cluster.stop()
        next(servers, None)
    assert not (tmp_path / "client-cache").exists()
    stored = tmp_path / "S"
    local_env = {**env, "AUDIT_CACHE_DIR": str(tmp_path / "fresh-cache")}
    local = [sys.executable, "-m", "audit", *ARGS, "--out", str(tmp_path / "L")]
    subprocess.run(local, env=local_env, check=True, capture_output=True)
    fresh = tmp_path / "L"
    assert table(stored / "runs.csv", ("wall_s",)) == table(fresh / "runs.csv", ("wall_s",))
    for name in SAME:
        assert (stored / name).read_bytes() == (fresh / name).read_bytes(), name
    # the rerun found every state in the bucket: the same measured times, the same files, no mirror left
    assert outputs(tmp_path / "S2") == outputs(stored)
    assert not list(tmp_path.glob("audit-states-*"))
    hashes = {row["state_hash"] for row in table(stored / "runs.csv")}
    assert {f"audit/states/states/{h}/state.json" for h in hashes} <= set(keys)
    assert {f"audit/states/states/{h}/state.pt" for h in hashes} <= set(keys)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert hashes <= {row["hash"] for row in rows} and len(rows) == len(table(stored / "states.csv"))
    environment = json.loads((stored / "environment.json").read_text())
    assert environment["executor"]["store"] == "s3://audit/states"
