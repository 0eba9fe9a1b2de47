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
from core.store import Store, StoreError, mirror_base, open_store
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
    (tmp_path / "outside").write_text("here")
    for key in ("states/../../other-bucket/x", "../outside", "/etc/passwd"):
        with pytest.raises(ValueError, match="leaves the store"):
            store.fetch(key)
    with pytest.raises(ValueError, match="leaves the store"):
        Store(str(tmp_path / "mounted")).fetch("../outside")  # checked for a folder too


def test_a_store_that_cannot_be_reached_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong endpoint: the client library's exception becomes one StoreError line, exit 1."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = Store("s3://audit/unreachable", mirror=tmp_path / "w")
    with pytest.raises(StoreError) as caught:
        store.check()
    message = str(caught.value)
    assert caught.value.exit_code == 1 and "\n" not in message
    assert message.startswith("store s3://audit/unreachable: cannot list it: ")


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


def test_a_folder_store_is_used_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(None, tmp_path / "cache")
    assert store.local and store.root == tmp_path / "cache"
    monkeypatch.chdir(tmp_path)  # a relative cache folder (AUDIT_CACHE_DIR=cache) works as before
    assert open_store(None, Path("cache")).root == tmp_path / "cache"
    assert Store(f"file://{tmp_path}/s").root == tmp_path / "s"
    assert not store.fetch("states/x", "state.json")
    store.publish("states/x", "state.json")  # nothing to do for a folder every worker mounts


def test_a_hostile_checkout_travels_as_an_archive_without_its_links(aws: S3Server, tmp_path: Path) -> None:
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
    assert not (folder / "inside.py").is_symlink()  # links are dropped, even those that stay inside
    assert local_checkout(url, mirror=tmp_path / "analyser") == str(folder)  # unpacked once
    assert local_checkout(str(checkout)) == str(checkout)  # a folder path is used in place
    assert archive_checkout(Store(str(tmp_path / "mounted")), checkout, "c0ffee") == str(checkout)


def test_unpacking_keeps_only_files_and_folders_inside(aws: S3Server, tmp_path: Path) -> None:
    """A hand-made archive with every kind of member an attacker could plant: only plain files and
    folders survive, with plain modes; nothing is written outside the checkout."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:

        def add(
            name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "", mode: int = 0o644
        ):
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode, info.size = kind, link, mode, len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)

        add("./src", tarfile.DIRTYPE, mode=0o777)
        add("./src/train.py", data=b"import torch\n", mode=0o4777)  # set-uid, world-writable
        add("../escape.txt", data=b"x")
        add("/tmp/absolute.txt", data=b"x")
        add("./up", tarfile.SYMTYPE, link="../../..")
        add("./up/via-link.txt", data=b"x")
        add("./inside", tarfile.SYMTYPE, link="src/train.py")
        add("./hard", tarfile.LNKTYPE, link="/etc/passwd")
        add("./fifo", tarfile.FIFOTYPE)
        add("./dev", tarfile.CHRTYPE)
        add("./src/train.py", data=b"a second copy\n")  # the same name again
    aws.filesystem().pipe("audit/run-1/archives/hostile/0001.tar", buffer.getvalue())
    folder = Path(local_checkout("s3://audit/run-1/archives/hostile/0001.tar", mirror=tmp_path / "m"))
    found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    # the link "up" was dropped, so the file planted through it lands inside, in a plain folder
    assert found == ["src", "src/train.py", "up", "up/via-link.txt"]
    assert (folder / "src" / "train.py").read_text() == "import torch\n"
    assert (folder / "src" / "train.py").stat().st_mode & 0o7777 == 0o644
    assert not (tmp_path / "m" / "escape.txt").exists() and not Path("/tmp/absolute.txt").exists()
    assert [p.relative_to(folder).as_posix() for p in tmp_path.rglob("via-link.txt")] == ["up/via-link.txt"]


def test_the_mirror_folder_is_private_to_its_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    Store(URL)  # the client's check of --store makes no mirror: it never reads the store
    assert list(tmp_path.iterdir()) == []
    base = mirror_base()
    assert base.parent == tmp_path and base.stat().st_mode & 0o777 == 0o700
    base.chmod(0o755)  # as if planted by someone else, or opened up
    with pytest.raises(StoreError, match="is not a private folder of this user"):
        mirror_base()


def test_a_state_whose_weights_are_not_its_json_is_computed_again_and_replaced(
    aws: S3Server, tmp_path: Path
) -> None:
    """Two workers raced on one state: the bucket holds one's weights beside the other's state.json.
    The next worker sees the checksum disagree, computes the state itself and publishes it whole."""
    import torch

    from reproducers.models import build
    from reproducers.tree import Context, Recipe, Tree

    calls: list[int] = []

    def init(ctx, parent, props, refs):
        calls.append(1)
        torch.manual_seed(len(calls))  # each computation its own bytes, as on two devices
        return {"model": build("lenet_300_100")}

    def tree(worker: str) -> Tree:
        store = Store("s3://audit/race", mirror=tmp_path / worker)
        context = Context(seed=0, device=torch.device("cpu"), data=lambda *a: None)
        return Tree(store.root, context, {"init": init}, store)

    first = tree("w1").root(Recipe("init", {}), "lenet_300_100")
    fs = aws.filesystem()
    key = f"audit/race/states/{first.hash}"
    assert first.computed and fs.isfile(f"{key}/state.json") and calls == [1]
    fs.pipe(f"{key}/state.pt", b"another worker's weights")  # the race's outcome
    second = tree("w2").root(Recipe("init", {}), "lenet_300_100")
    assert second.hash == first.hash and second.computed and calls == [1, 1]
    published = fs.cat(f"{key}/state.pt")
    assert published == (tmp_path / "w2" / "states" / first.hash / "state.pt").read_bytes()
    third = tree("w3").root(Recipe("init", {}), "lenet_300_100")  # the pair now agrees: reused
    assert not third.computed and calls == [1, 1]
