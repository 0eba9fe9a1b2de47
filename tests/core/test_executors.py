"""Executors on real processes: the local pools and a Dask cluster of separate scheduler and workers."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import AuditError, UsageError
from core.executors import LocalExecutor, Task, make_executor
from tests.core.dask_cluster import Cluster, running_cluster
from tests.core.dask_tasks import fail, square_slowly


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from running_cluster(tmp_path_factory.mktemp("dask"), resources={"w2": "GPU=1"})


def tasks(n: int, seconds: float, started: Path) -> list[Task]:
    return [Task(f"square {i}", square_slowly, (i, seconds, str(started))) for i in range(n)]


@pytest.mark.parametrize("processes", [False, True])
def test_local_executor_returns_every_result_and_each_failure(tmp_path: Path, processes: bool) -> None:
    executor = LocalExecutor(workers=2, processes=processes)
    work = [*tasks(4, 0.0, tmp_path), Task("bad", fail, ("no such repository",))]
    seen: list[tuple[int, int, str]] = []
    outcomes = {o.task.key: o for o in executor.run(work, lambda d, t, m: seen.append((d, t, m)))}
    assert {k: o.result for k, o in outcomes.items() if o.ok} == {f"square {i}": i * i for i in range(4)}
    assert (
        isinstance(outcomes["bad"].error, ValueError) and str(outcomes["bad"].error) == "no such repository"
    )
    assert [d for d, _, _ in seen] == [1, 2, 3, 4, 5] and {t for _, t, _ in seen} == {5}


def test_dask_executor_runs_tasks_on_the_workers_and_says_where(cluster: Cluster, tmp_path: Path) -> None:
    executor = make_executor("dask", scheduler=cluster.address)
    try:
        outcomes = list(executor.run([*tasks(4, 0.2, tmp_path), Task("bad", fail, ("boom",))]))
        description = executor.describe()
    finally:
        executor.close()
    results = {o.task.key: o.result for o in outcomes if o.ok}
    assert results == {f"square {i}": i * i for i in range(4)}
    assert {o.where for o in outcomes if o.ok} <= {"w1", "w2"}
    failed = [o for o in outcomes if not o.ok]
    assert [(o.task.key, str(o.error)) for o in failed] == [("bad", "boom")]
    assert description["workers"] == 2 and description["worker_resources"] == ["GPU"]
    assert description["dashboard"].startswith("http://127.0.0.1:")  # printed for the user
    # and it is the real dashboard (bokeh installed), not the page that asks for bokeh
    with urllib.request.urlopen(description["dashboard"], timeout=30) as page:
        body = page.read().decode("utf-8", "replace")
    assert page.status == 200 and "Bokeh" in body and "pip install" not in body


def test_tasks_needing_a_gpu_go_only_to_workers_that_have_one(cluster: Cluster, tmp_path: Path) -> None:
    executor = make_executor("dask", scheduler=cluster.address)
    try:
        work = [
            Task(f"seed {i}", square_slowly, (i, 0.05, str(tmp_path)), resources={"GPU": 1}) for i in range(4)
        ]
        outcomes = list(executor.run(work))
    finally:
        executor.close()
    assert sorted(o.result for o in outcomes) == [0, 1, 4, 9]
    assert {o.where for o in outcomes} == {"w2"}


def test_a_worker_killed_mid_task_loses_nothing(tmp_path: Path) -> None:
    with_cluster = running_cluster(tmp_path / "cluster")
    cluster = next(with_cluster)
    started = tmp_path / "started"
    started.mkdir()
    executor = make_executor("dask", scheduler=cluster.address)
    try:
        iterator = executor.run(tasks(4, 3.0, started))
        deadline = time.monotonic() + 60
        while len(list(started.iterdir())) < 2:  # both workers are busy with a task
            assert time.monotonic() < deadline, "tasks never started"
            time.sleep(0.1)
        cluster.kill("w1")
        outcomes = list(iterator)
    finally:
        executor.close()
        next(with_cluster, None)
    assert sorted(o.result for o in outcomes) == [0, 1, 4, 9]
    assert all(o.ok for o in outcomes) and {o.where for o in outcomes} == {"w2"} | (
        {"w1"} & {o.where for o in outcomes}
    )
    assert len(list(started.iterdir())) >= 5  # the killed worker's task started again elsewhere


def test_dask_without_a_scheduler_is_a_usage_error_and_a_dead_one_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with pytest.raises(UsageError, match="needs --scheduler ADDRESS"):
        make_executor("dask")
    with pytest.raises(AuditError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        from core.executors.cluster import DaskExecutor

        DaskExecutor("tcp://127.0.0.1:9", timeout_s=2)
    with pytest.raises(UsageError, match="unknown executor 'ray'"):
        make_executor("ray")
