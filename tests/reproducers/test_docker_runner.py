"""The Docker runner against a real engine: the sandbox as the engine reports it, failures, cleanup.

These use the stand-in worker (see docker_fixtures) in a light image, so they take seconds; the
real worker and real training are exercised in test_docker_reproduce.py.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from reproducers.docker.containers import RUN_LABEL, remove_labelled
from reproducers.docker.engine import connect, resolve_device
from reproducers.docker.image import ImageRecipe, ensure_image
from reproducers.docker.sandbox import NOBODY, Sandbox
from reproducers.errors import ReproductionError
from reproducers.runners.docker import DockerRunner, SeedFailure, require_engine
from tests.interrupts import interruptible
from tests.reproducers.docker_fixtures import (
    HOSTILE_WORKER,
    PROJECT_ROOT,
    STAND_IN_COMMAND,
    light_image,
    require_base,
    requires_docker,
)

pytestmark = [pytest.mark.docker, requires_docker]

SMALL = Sandbox(mem_limit="256m", pids_limit=64, tmpfs_size="64m", timeout_s=120)


def stand_in_runner(
    sandbox: Sandbox = SMALL, *, jobs: int = 1, warnings: list[str] | None = None
) -> DockerRunner:
    light_image()
    return DockerRunner(
        device="cpu",
        base_image=require_base(),
        jobs=jobs,
        sandbox=sandbox,
        worker_command=STAND_IN_COMMAND,
        requirements=(),
        on_warning=(warnings.append if warnings is not None else lambda _line: None),
    )


def folders(tmp_path: Path) -> dict[str, Path]:
    return {"out_dir": tmp_path / "out", "cache_dir": tmp_path / "cache", "data_dir": tmp_path / "data"}


def wait_for_containers(run_id: str, count: int, timeout_s: float = 60) -> list[str]:
    client = connect()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        running = client.containers.list(filters={"label": f"{RUN_LABEL}={run_id}", "status": "running"})
        if len(running) >= count:
            return [container.id for container in running]
        time.sleep(0.2)
    raise AssertionError(f"{count} running containers of run {run_id} never appeared")


def test_running_container_is_sandboxed(tmp_path: Path) -> None:
    runner = stand_in_runner()
    paths = folders(tmp_path)
    box: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: box.update(outcome=runner.run_seeds("P1", "quick", [9], **paths)), daemon=True
    )
    thread.start()
    [container_id] = wait_for_containers(runner.run_id, 1)
    attrs = connect().api.inspect_container(container_id)
    host, config = attrs["HostConfig"], attrs["Config"]
    assert host["NetworkMode"] == "none"
    uid, gid = (int(part) for part in config["User"].split(":"))
    assert uid != 0 and gid != 0  # never root, whoever runs the tests
    # Root's containers run as nobody; anyone else's as themselves (they own the mounted folders).
    assert (uid, gid) == ((NOBODY, NOBODY) if os.getuid() == 0 else (os.getuid(), os.getgid()))
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["ReadonlyRootfs"] is True
    assert host["Memory"] == 256 * 1024 * 1024
    assert host["PidsLimit"] == 64
    assert host["Tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=64m"}
    assert (config["OpenStdin"], config["Tty"], config["AttachStdin"]) == (False, False, False)
    assert config["Labels"][RUN_LABEL] == runner.run_id
    assert (config["Labels"]["audit.paper"], config["Labels"]["audit.seed"]) == ("P1", "9")
    (paths["out_dir"] / "containers" / "seed-9" / "out" / "release").write_text("go")
    thread.join(timeout=60)
    outcome = box["outcome"]
    facts = outcome.results[9]  # type: ignore[attr-defined]
    # What the code sees from inside: loopback only, no stdin, read-only root, writable scratch/cache.
    assert (facts["uid"], facts["gid"]) == (uid, gid)  # the user the engine reported is the one that ran
    assert facts["interfaces"] == ["lo"]
    assert facts["stdin"] == ""
    assert (facts["root_writable"], facts["tmp_writable"]) == (False, True)
    assert (facts["states_writable"], facts["cache_writable"], facts["data_writable"]) == (True, False, False)
    assert connect().containers.list(all=True, filters={"label": f"{RUN_LABEL}={runner.run_id}"}) == []


def test_failed_seeds_are_recorded_and_the_others_kept(tmp_path: Path) -> None:
    warnings: list[str] = []
    runner = stand_in_runner(jobs=2, warnings=warnings)
    calls: list[tuple[int, int, str]] = []
    outcome = runner.run_seeds(
        "P1", "quick", [0, 1, 2, 3], progress=lambda *call: calls.append(call), **folders(tmp_path)
    )
    assert sorted(outcome.results) == [0, 2]
    assert outcome.results[2]["runs"] == [{"seed": 2, "arm": "dense", "test_accuracy": 92.0}]
    assert outcome.results[0]["paper"] == "P1" and outcome.results[0]["device"] == "cpu"
    expected = [
        SeedFailure(1, "exit code 1: stand-in: seed 1 fails on purpose"),
        SeedFailure(3, "killed: out of memory (mem_limit 256m)"),
    ]
    assert outcome.failures == expected
    assert runner.environment()["failed_seeds"] == [
        {"seed": 1, "reason": "exit code 1: stand-in: seed 1 fails on purpose"},
        {"seed": 3, "reason": "killed: out of memory (mem_limit 256m)"},
    ]
    assert sorted(warnings) == [
        "warning: seed 1 failed in Docker: exit code 1: stand-in: seed 1 fails on purpose",
        "warning: seed 3 failed in Docker: killed: out of memory (mem_limit 256m)",
    ]
    log = (tmp_path / "out" / "containers" / "seed-1" / "container.log").read_text().splitlines()
    result = tmp_path / "out" / "containers" / "seed-0" / "out" / "result.json"
    assert (result.stat().st_uid, result.parent.stat().st_uid) == (os.getuid(), os.getuid())  # handed back
    # The host's own files sit next to the mounted folder, never in it.
    assert sorted(p.name for p in (tmp_path / "out" / "containers" / "seed-1").iterdir()) == [
        "container.log",
        "out",
    ]
    # Progress: the start, each worker's own "[k/n] message" lines, then one call per finished seed.
    assert calls[0][:2] == (0, 4) and calls[-1][:2] == (4, 4)
    assert {message for _, _, message in calls} >= {"seed 0: halfway", "seed 2: halfway", "seed 3: halfway"}
    assert [done for done, _, message in calls if message.endswith(("done", "failed"))] == [1, 2, 3, 4]
    # stdout and stderr are separate streams: their relative order in the log is not defined.
    assert sorted(log) == ["stand-in seed 1 starts", "stand-in: seed 1 fails on purpose"]


def test_a_seed_past_its_time_limit_is_killed_and_recorded(tmp_path: Path) -> None:
    runner = stand_in_runner(Sandbox(mem_limit="256m", pids_limit=64, tmpfs_size="64m", timeout_s=2))
    outcome = runner.run_seeds("P1", "quick", [9], **folders(tmp_path))
    assert outcome.results == {}
    assert outcome.failures == [SeedFailure(9, "timed out after 2 s")]


def test_environment_records_image_and_sandbox(tmp_path: Path) -> None:
    runner = stand_in_runner()
    outcome = runner.run_seeds("P1", "quick", [0], **folders(tmp_path))
    facts = outcome.results[0]
    env = runner.environment()
    docker = env["docker"]
    image = connect().images.get(docker["image"])
    assert docker["image_id"] == image.id
    assert docker["base_image"] == require_base()
    assert docker["base_image_id"] == connect().images.get(require_base()).id
    dockerfile = (tmp_path / "out" / "Dockerfile").read_text()
    assert docker["dockerfile_sha256"] == hashlib.sha256(dockerfile.encode()).hexdigest()
    assert dockerfile.splitlines()[2] == f"FROM {require_base()}"
    settings = docker["container_settings"]
    # The user recorded is the user that ran (as seen from inside), and it is not root.
    assert settings["user"] == f"{facts['uid']}:{facts['gid']}" and facts["uid"] != 0
    assert (settings["network_mode"], settings["read_only"]) == ("none", True)
    assert (settings["cap_drop"], settings["security_opt"]) == (["ALL"], ["no-new-privileges"])
    assert (settings["mem_limit"], settings["pids_limit"], settings["stdin_open"]) == ("256m", 64, False)
    assert (env["runner"], env["image_digest"], env["failed_seeds"]) == ("docker", None, [])
    assert docker["device"] == "cpu" and docker["image_digest"] is None  # a local build: no registry digest
    # Provenance as the container reported it: the base image's Python, no torch in this light image.
    base_python = connect().containers.run(
        require_base(), ["python3", "-c", "import sys; print(sys.version.split()[0])"], remove=True
    )
    inside = env["inside"]
    assert inside["python"] == base_python.decode().strip() == facts["environment"]["python"]
    assert (inside["torch"], inside["determinism"], inside["seeds"], inside["differs"]) == (
        None,
        None,
        [0],
        {},
    )
    assert inside["reported_by"] == "worker" and inside["uid"] == facts["uid"]
    assert env["device"] == {"name": None, "torch_cuda": None, "reported_from": "inside the container"}


@pytest.mark.skipif(os.getuid() != 0, reason="handing the mounted folders to another user needs root")
def test_an_explicit_container_user_is_the_one_that_runs(tmp_path: Path) -> None:
    runner = stand_in_runner(Sandbox(mem_limit="256m", pids_limit=64, tmpfs_size="64m", user="4321:4321"))
    outcome = runner.run_seeds("P1", "quick", [0], **folders(tmp_path))
    facts = outcome.results[0]
    assert (facts["uid"], facts["gid"]) == (4321, 4321)
    assert facts["states_writable"] is True  # the folders were handed to that user, and back after
    assert (tmp_path / "out" / "containers" / "seed-0" / "out" / "result.json").stat().st_uid == 0
    assert runner.environment()["docker"]["container_settings"]["user"] == "4321:4321"


def test_a_missing_base_image_is_one_clear_line(tmp_path: Path) -> None:
    runner = DockerRunner(device="cpu", base_image="audit/no-such-base:missing", requirements=())
    with pytest.raises(ReproductionError) as caught:
        runner.prepare(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "base image 'audit/no-such-base:missing' is not on this engine and cannot be pulled"
    )
    assert message.endswith(
        "build an offline one with `make docker-base` and pass --base-image audit/base:offline"
    )


def test_ctrl_c_stops_and_removes_the_runs_containers(tmp_path: Path) -> None:
    light_image()
    run_id = uuid.uuid4().hex
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from reproducers.runners.docker import DockerRunner
        from tests.reproducers.docker_fixtures import STAND_IN_COMMAND
        runner = DockerRunner(device="cpu", base_image={require_base()!r}, jobs=2, requirements=(),
                              worker_command=STAND_IN_COMMAND, run_id={run_id!r})
        root = Path({str(tmp_path)!r})
        runner.run_seeds("P1", "quick", [9, 10], out_dir=root / "out", cache_dir=root / "cache",
                         data_dir=root / "data")
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    try:
        wait_for_containers(run_id, 2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        remove_labelled(connect(), run_id)
    assert process.returncode != 0
    assert "KeyboardInterrupt" in stderr
    assert connect().containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}) == []


def test_an_unreachable_engine_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    with pytest.raises(ReproductionError) as caught:
        require_engine()
    assert str(caught.value) == (
        "no Docker engine reachable at tcp://127.0.0.1:9 ([Errno 111] Connection refused); "
        "start dockerd, set DOCKER_HOST, or use --runner local"
    )


def test_an_image_is_built_once_per_content_and_rebuilt_on_change(tmp_path: Path) -> None:
    source = tmp_path / "code"
    source.mkdir()
    (source / "marker.py").write_text(f"TOKEN = {uuid.uuid4().hex!r}\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "marker.cpython-311.pyc").write_bytes(b"ignored")
    client = connect()
    recipe = ImageRecipe(base=require_base(), sources=(("code", source),))
    first = ensure_image(client, recipe, save_dockerfile=tmp_path / "Dockerfile")
    try:
        again = ensure_image(client, recipe)
        assert (first.built, again.built) == (True, False)
        assert (again.tag, again.id) == (first.tag, first.id)
        assert first.tag == f"audit/reproduce:{first.content_hash[:24]}"
        listing = client.containers.run(
            first.tag, ["sh", "-c", "ls -A /opt/audit/src/code"], remove=True, network_mode="none"
        )
        assert listing.decode().split() == ["marker.py"]  # caches are never copied
        (source / "marker.py").write_text("TOKEN = 'changed'\n")
        changed = ensure_image(client, recipe)
        try:
            assert changed.built is True
            assert changed.tag != first.tag and changed.content_hash != first.content_hash
        finally:
            client.images.remove(changed.tag, force=True)
    finally:
        client.images.remove(first.tag, force=True)


def test_without_a_wheelhouse_one_is_filled_in_the_cache_and_the_build_is_offline(tmp_path: Path) -> None:
    """The host's pip fills ``<cache>/wheelhouse/worker-cpu``: the image gets the host's own wheels."""
    from importlib import metadata

    pinned = f"packaging=={metadata.version('packaging')}"
    runner = DockerRunner(
        device="cpu",
        base_image=require_base(),
        requirements=(pinned,),
        worker_command=("python", "-c", "import packaging, sys; print(packaging.__version__); sys.exit(3)"),
        cache_dir=tmp_path / "cache",
        data_dir=tmp_path / "data",
        work_dir=tmp_path / "out",
        sandbox=SMALL,
        on_warning=lambda _line: None,
    )
    assert runner.wheelhouse == tmp_path / "cache" / "wheelhouse" / "worker-cpu"
    image = runner.prepare(tmp_path / "out")
    try:
        assert [wheel.name.split("-")[:2] for wheel in runner.wheelhouse.glob("*.whl")] == [
            ["packaging", metadata.version("packaging")]
        ]
        dockerfile = (tmp_path / "out" / "Dockerfile").read_text()
        assert "RUN pip install --no-index --find-links /wheels" in dockerfile
        outcome = runner.run_seeds("P1", "quick", [0], **folders(tmp_path))
        log = (tmp_path / "out" / "containers" / "seed-0" / "container.log").read_text()
        assert log == f"{metadata.version('packaging')}\n"
        assert outcome.failures == [SeedFailure(0, f"exit code 3: {metadata.version('packaging')}")]
    finally:
        connect().images.remove(image.tag, force=True)


def test_device_auto_is_cpu_here_and_cuda_without_gpu_support_is_one_line() -> None:
    client = connect()
    runtimes = client.info().get("Runtimes") or {}
    if "nvidia" in runtimes:
        pytest.skip("this engine has the nvidia runtime")
    assert resolve_device(client, "auto") == "cpu"
    with pytest.raises(ReproductionError) as caught:
        DockerRunner(device="cuda", requirements=())
    assert str(caught.value) == (
        f"--device cuda needs a Docker engine with the nvidia runtime and a GPU (runtimes: "
        f"{', '.join(sorted(runtimes))}); install the NVIDIA container toolkit or use --device cpu"
    )


def test_auto_runner_is_docker_with_a_base_image_and_local_without(tmp_path: Path) -> None:
    from audit.pipelines.reproduce import select_runner

    folders = {"cache_dir": tmp_path / "cache", "data_dir": tmp_path / "data", "work_dir": tmp_path / "out"}
    with_base = select_runner("auto", device="cpu", base_image=require_base(), **folders)
    assert (with_base.name, with_base.device) == ("docker", "cpu")
    without = select_runner("auto", device="cpu", base_image="audit/no-such-base:missing", **folders)
    assert without.name == "local"
    explicit = select_runner("docker", device="cpu", base_image="audit/no-such-base:missing", **folders)
    with pytest.raises(ReproductionError, match=r"^base image 'audit/no-such-base:missing' is not on this"):
        explicit.check_base()  # an explicit --runner docker fails with the one-line reason instead


def test_a_hostile_worker_output_fails_its_seed_and_touches_no_host_file(tmp_path: Path) -> None:
    """result.json as a link to a host file, a FIFO, oversized, a planted link, wrong contract, junk."""
    light_image()
    host_file = tmp_path / "host-file.txt"
    host_file.write_text("the host's own data\n")
    if os.getuid() == 0:
        os.chown(host_file, 4242, 4242)  # a chown through a link would show here
    before = host_file.stat()
    warnings: list[str] = []
    runner = DockerRunner(
        device="cpu",
        base_image=require_base(),
        jobs=2,
        sandbox=Sandbox(mem_limit="256m", pids_limit=64, tmpfs_size="64m", timeout_s=120, max_output_mb=1),
        worker_command=("python", "-c", HOSTILE_WORKER.format(host_file=str(host_file))),
        requirements=(),
        on_warning=warnings.append,
    )
    outcome = runner.run_seeds("P1", "quick", list(range(8)), **folders(tmp_path))
    assert sorted(outcome.results) == [0]  # the honest seed's result is kept
    assert outcome.results[0]["runs"] == [{"seed": 0, "arm": "dense", "test_accuracy": 90.0}]
    assert outcome.failures == [
        SeedFailure(1, "output 'result.json' is a symbolic link"),
        SeedFailure(2, "output 'result.json' is a FIFO"),
        SeedFailure(3, "output 'result.json' is 5242880 bytes (over the 1 MB cap)"),
        SeedFailure(4, "output 'container.log' is a symbolic link"),
        SeedFailure(5, "result.json: 'runs' must be a list of objects"),
        SeedFailure(6, "result.json: it is seed 99's result, not seed 6's"),
        SeedFailure(7, "unreadable result.json: Expecting value: line 1 column 1 (char 0)"),
    ]
    assert len(warnings) == 7 and all("\n" not in line for line in warnings)
    after = host_file.stat()
    assert host_file.read_text() == "the host's own data\n"
    assert (after.st_mtime_ns, after.st_size, after.st_uid) == (
        before.st_mtime_ns,
        before.st_size,
        before.st_uid,
    )
    seeds = tmp_path / "out" / "containers"
    for seed in range(8):  # the host's log is in the host-only folder, a real file, never the planted link
        assert (seeds / f"seed-{seed}" / "container.log").is_file()
        assert not (seeds / f"seed-{seed}" / "container.log").is_symlink()
    assert (seeds / "seed-4" / "out" / "container.log").is_symlink()  # left as planted, never followed
