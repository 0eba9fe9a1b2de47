"""Reading a container's output folder as hostile input: links, FIFOs, devices, sizes, counts, names.

No engine needed: the folder is built here exactly as a container could leave it (the Docker tests
in test_hostile_upstream.py and test_docker_runner.py plant the same things from inside one).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from reproducers.docker.outputs import MissingOutput, UnsafeOutput, inspect_outputs, read_output

CAP = 1000


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A host file outside the output folder that nothing may read or write through a link."""
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host secret\n")
    return secret


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "logs").mkdir(parents=True)
    (out / "metrics.json").write_text('{"acc": 91.5}')
    (out / "logs" / "final.csv").write_text("a,b\n1,2\n")
    return out


def test_a_clean_folder_passes_and_its_files_read_back(folder: Path) -> None:
    assert inspect_outputs(folder, max_bytes=CAP) == ""
    assert read_output(folder, "metrics.json", max_bytes=CAP) == b'{"acc": 91.5}'
    assert read_output(folder, "logs/final.csv", max_bytes=CAP) == b"a,b\n1,2\n"
    assert inspect_outputs(folder / "missing", max_bytes=CAP) == ""  # nothing written: nothing wrong


def test_a_link_to_a_host_file_is_refused_and_never_followed(folder: Path, outside: Path) -> None:
    (folder / "metrics.json").unlink()
    (folder / "metrics.json").symlink_to(outside)
    assert inspect_outputs(folder, max_bytes=CAP) == "output 'metrics.json' is a symbolic link"
    with pytest.raises(UnsafeOutput) as caught:
        read_output(folder, "metrics.json", max_bytes=CAP)
    assert str(caught.value) == "output file 'metrics.json' is or passes through a symbolic link"
    assert outside.read_text() == "host secret\n"


def test_a_linked_folder_on_the_path_is_refused(folder: Path, outside: Path) -> None:
    (folder / "up").symlink_to(outside.parent, target_is_directory=True)
    (folder / "dangling").symlink_to(folder / "no-such-file")
    assert inspect_outputs(folder, max_bytes=CAP) == "output 'dangling' is a symbolic link"
    with pytest.raises(
        UnsafeOutput, match=r"^output file 'up/host-secret.txt' is or passes through a symbolic link$"
    ):
        read_output(folder, "up/host-secret.txt", max_bytes=CAP)
    with pytest.raises(UnsafeOutput, match="a path component is not a folder"):
        read_output(folder, "metrics.json/x", max_bytes=CAP)


def test_names_that_climb_out_or_are_absolute_are_refused(folder: Path, outside: Path) -> None:
    for name in ("../host-secret.txt", str(outside), "logs/../../host-secret.txt", "logs/..", ""):
        with pytest.raises(UnsafeOutput, match="is outside the output folder"):
            read_output(folder, name, max_bytes=CAP)
    assert read_output(folder, "./logs//final.csv", max_bytes=CAP) == b"a,b\n1,2\n"  # same file


def test_a_fifo_never_blocks_the_host(folder: Path) -> None:
    os.mkfifo(folder / "result.json")
    assert inspect_outputs(folder, max_bytes=CAP) == "output 'result.json' is a FIFO"
    box: dict[str, BaseException] = {}

    def read() -> None:
        try:
            read_output(folder, "result.json", max_bytes=CAP)
        except BaseException as exc:
            box["error"] = exc

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "opening a FIFO blocked the host"
    assert str(box["error"]) == "output file 'result.json' is a FIFO"


@pytest.mark.skipif(os.getuid() != 0, reason="making a device file needs root")
def test_a_device_file_is_refused(folder: Path) -> None:
    os.mknod(folder / "zero", 0o600 | 0o020000, os.makedev(1, 5))  # a character device, /dev/zero's
    assert inspect_outputs(folder, max_bytes=CAP) == "output 'zero' is a character device"
    with pytest.raises(UnsafeOutput, match=r"^output file 'zero' is a character device$"):
        read_output(folder, "zero", max_bytes=CAP)


def test_an_oversized_file_is_refused_even_when_sparse(folder: Path) -> None:
    with (folder / "logs" / "huge.bin").open("wb") as handle:
        handle.truncate(5 * 1024**3)  # 5 GiB, no blocks on disk: its size still counts
    assert inspect_outputs(folder, max_bytes=CAP) == (
        "output 'logs/huge.bin' is 5368709120 bytes (over the 0.001 MB cap)"
    )
    with pytest.raises(UnsafeOutput, match=r"^output file 'logs/huge.bin' is over the 0.001 MB cap$"):
        read_output(folder, "logs/huge.bin", max_bytes=CAP)
    (folder / "logs" / "huge.bin").unlink()
    (folder / "exact.bin").write_bytes(b"x" * CAP)  # at the cap is fine
    assert inspect_outputs(folder, max_bytes=CAP) == ""
    assert read_output(folder, "exact.bin", max_bytes=CAP) == b"x" * CAP


def test_too_many_entries_stop_the_walk(folder: Path) -> None:
    for index in range(30):
        (folder / f"f{index}").write_text("")
    assert inspect_outputs(folder, max_bytes=CAP, max_entries=32) == (
        "the output folder holds more than 32 entries"
    )
    assert inspect_outputs(folder, max_bytes=CAP, max_entries=40) == ""


def test_container_chosen_names_stay_on_one_line(folder: Path) -> None:
    name = "evil\nname\x1b[31m"
    (folder / name).symlink_to("/etc/passwd")
    reason = inspect_outputs(folder, max_bytes=CAP)
    assert reason == "output 'evil\\\\nname\\\\x1b[31m' is a symbolic link"
    assert "\n" not in reason and "\x1b" not in reason


def test_a_missing_file_is_its_own_error(folder: Path) -> None:
    with pytest.raises(MissingOutput, match=r"^output file 'result.json' does not exist$"):
        read_output(folder, "result.json", max_bytes=CAP)


def test_the_folder_itself_replaced_by_a_link_is_refused(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "out").symlink_to(outside.parent, target_is_directory=True)
    assert inspect_outputs(tmp_path / "out", max_bytes=CAP) == "the output folder is a symbolic link"
    with pytest.raises(UnsafeOutput, match=r"^the output folder is or passes through a symbolic link$"):
        read_output(tmp_path / "out", "host-secret.txt", max_bytes=CAP)
