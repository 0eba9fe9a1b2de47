"""The store (core.store, core.store_checkouts) against an S3 server on 127.0.0.1 through s3fs.

Two mirrors stand for two workers that share nothing but the bucket: what one publishes, the other
fetches; a folder counts as present only once its marker is; hostile checkouts travel as archives
whose dangerous members are dropped on unpacking.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import UsageError
from core.store import Store, open_store
from core.store_checkouts import archive_checkout, is_archived, local_checkout
from tests.core.s3_server import S3Server, running_s3

URL = "s3://audit/run-1"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    yield from running_s3(tmp_path_factory.mktemp("s3"))


@pytest.fixture
def aws(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    for key, value in s3.env.items():
        monkeypatch.setenv(key, value)
    return s3


def test_a_folder_published_by_one_worker_is_fetched_by_another(aws: S3Server, tmp_path: Path) -> None:
    one, two = Store(URL, mirror=tmp_path / "w1"), Store(URL, mirror=tmp_path / "w2")
    state = one.root / "states" / "abc"
    (state / "annotations").mkdir(parents=True)
    (state / "state.pt").write_bytes(b"\x00weights")
    (state / "annotations" / "x.json").write_text('{"value": 1}')
    (state / "state.json").write_text('{"hash": "abc"}')
    assert not two.fetch("states/abc", "state.json")  # nothing published yet
    one.publish("states/abc", "state.json")
    assert two.fetch("states/abc", "state.json")
    fetched = two.root / "states" / "abc"
    assert sorted(p.relative_to(fetched).as_posix() for p in fetched.rglob("*") if p.is_file()) == [
        "annotations/x.json",
        "state.json",
        "state.pt",
    ]
    assert (fetched / "state.pt").read_bytes() == b"\x00weights"
    keys = aws.filesystem().find("audit/run-1/states/abc")
    assert keys == [
        "audit/run-1/states/abc/annotations/x.json",
        "audit/run-1/states/abc/state.json",
        "audit/run-1/states/abc/state.pt",
    ]


def test_a_folder_without_its_marker_is_not_taken_for_finished(aws: S3Server, tmp_path: Path) -> None:
    """A worker killed mid-upload left the weights but not state.json: another computes it again."""
    aws.filesystem().pipe("audit/run-1/states/half/state.pt", b"partial")
    store = Store(URL, mirror=tmp_path / "w")
    assert not store.fetch("states/half", "state.json")
    assert not (store.root / "states" / "half").exists()


def test_publishing_is_put_if_absent_unless_replacing(aws: S3Server, tmp_path: Path) -> None:
    store = Store(URL, mirror=tmp_path / "w")
    target = store.root / "states" / "tags" / "state.json"
    target.parent.mkdir(parents=True)
    target.write_text("first")
    store.publish("states/tags/state.json")
    target.write_text("second")
    store.publish("states/tags/state.json")
    assert aws.filesystem().cat("audit/run-1/states/tags/state.json") == b"first"
    store.publish("states/tags/state.json", replace=True)
    assert aws.filesystem().cat("audit/run-1/states/tags/state.json") == b"second"


def test_a_dataset_folder_travels_file_by_file(aws: S3Server, tmp_path: Path) -> None:
    one, two = Store(URL, mirror=tmp_path / "w1"), Store(URL, mirror=tmp_path / "w2")
    (one.root / "data" / "mnist").mkdir(parents=True)
    (one.root / "data" / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"images")
    (one.root / "data" / "mnist" / ".partial.tmp").write_bytes(b"a download in progress")
    one.publish_tree("data")
    two.fetch_tree("data")
    assert [p.name for p in (two.root / "data").rglob("*") if p.is_file()] == ["train-images-idx3-ubyte.gz"]


def test_keys_cannot_leave_the_store(aws: S3Server, tmp_path: Path) -> None:
    store = Store(URL, mirror=tmp_path / "w")
    with pytest.raises(ValueError, match="leaves the store"):
        store.fetch("states/../../other-bucket/x")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("relative/store", "must be an absolute path"),
        ("s3://", "name a bucket"),
        ("nosuchproto://bucket/x", "no fsspec file system for nosuchproto://"),
    ],
)
def test_a_store_that_cannot_work_is_one_usage_line(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        Store(url)
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)


def test_a_folder_store_is_used_in_place(tmp_path: Path) -> None:
    store = open_store(None, tmp_path / "cache")
    assert store.local and store.root == tmp_path / "cache"
    assert Store(f"file://{tmp_path}/s").root == tmp_path / "s"
    assert not store.fetch("states/x", "state.json")
    store.publish("states/x", "state.json")  # nothing to do for a folder every worker mounts


def test_a_hostile_checkout_travels_as_an_archive_without_its_escaping_links(
    aws: S3Server, tmp_path: Path
) -> None:
    cloner = Store(URL, mirror=tmp_path / "cloner")
    checkout = cloner.root / "repos" / "github.com" / "evil" / "repo"
    (checkout / "src").mkdir(parents=True)
    (checkout / "src" / "train.py").write_text("import torch\n")
    (checkout / "requirements.txt").write_text("torch\n")
    os.symlink("/etc/passwd", checkout / "passwd")  # leaves the tree
    os.symlink("src/train.py", checkout / "inside.py")  # stays inside
    url = archive_checkout(cloner, checkout, "c0ffee")
    assert url == "s3://audit/run-1/archives/repos/github.com/evil/repo/c0ffee.tar" and is_archived(url)
    folder = Path(local_checkout(url, mirror=tmp_path / "analyser"))
    assert folder.is_relative_to(tmp_path / "analyser")
    assert (folder / "src" / "train.py").read_text() == "import torch\n"
    assert not (folder / "passwd").exists() and not (folder / "passwd").is_symlink()
    assert (folder / "inside.py").is_symlink() and os.readlink(folder / "inside.py") == "src/train.py"
    assert local_checkout(url, mirror=tmp_path / "analyser") == str(folder)  # unpacked once
    assert local_checkout(str(checkout)) == str(checkout)  # a folder path is used in place
    assert archive_checkout(Store(str(tmp_path / "mounted")), checkout, "c0ffee") == str(checkout)
