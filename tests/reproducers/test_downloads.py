"""The real download path with the real MNIST files (../shared/data/mnist served on 127.0.0.1) and a
CIFAR-10-format archive: canonical checksums and sizes, the cache, one-line errors per bad file."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch

from audit import workspace
from reproducers import cifar, datasets, downloads
from reproducers.errors import ReproductionError
from tests.shared_data import shared_data


class Mirror:
    """A local HTTP server: ``/<name>`` serves ``files[name]``; ``truncate`` names files whose body is
    cut short (the announced Content-Length stays the full size, as when a connection drops)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.truncate: set[str] = set()
        self.requests: list[str] = []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.strip("/")
                mirror.requests.append(name)
                if name not in mirror.files:
                    self.send_error(404)
                    return
                body = mirror.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if name in mirror.truncate else body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def mnist_bytes() -> dict[str, bytes]:
    folder = shared_data("mnist")
    return {name: (folder / name).read_bytes() for name in datasets.MNIST_FILES}


@pytest.fixture
def mnist_mirror(mnist_bytes) -> Iterator[Mirror]:
    mirror = Mirror(mnist_bytes)
    yield mirror
    mirror.close()


def test_full_mnist_downloads_through_the_real_client_and_is_cached(mnist_mirror, tmp_path: Path) -> None:
    folder = datasets.ensure_mnist(tmp_path, mirrors=(mnist_mirror.url,))
    assert sorted(mnist_mirror.requests) == sorted(datasets.MNIST_FILES)
    for name, digest in datasets.MNIST_FILES.items():
        assert hashlib.md5((folder / name).read_bytes(), usedforsecurity=False).hexdigest() == digest
        assert (folder / name).stat().st_size == datasets.MNIST_SIZES[name]
    train_x, train_y, test_x, _ = datasets.load_mnist(folder)
    assert train_x.shape == (60_000, 784) and test_x.shape == (10_000, 784)
    # the class counts the shared data's README records for the training set
    assert np.bincount(train_y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    mnist_mirror.requests.clear()
    datasets.prepare("mnist", tmp_path, mirrors=(mnist_mirror.url,))
    assert mnist_mirror.requests == []  # verified on disk, nothing fetched again


def test_a_truncated_download_names_the_file_and_what_to_do(mnist_mirror, tmp_path: Path) -> None:
    mnist_mirror.truncate = {"t10k-images-idx3-ubyte.gz"}
    with pytest.raises(ReproductionError) as info:
        datasets.ensure_mnist(tmp_path, mirrors=(mnist_mirror.url,))
    message = str(info.value)
    assert "\n" not in message and info.value.exit_code == 1
    assert message.startswith("could not download t10k-images-idx3-ubyte.gz (")
    assert "truncated download" in message and "of 1,648,877 bytes" in message
    assert f"into {tmp_path / 'mnist'} by hand" in message
    # the files that arrived whole are kept; the truncated one never lands under its own name
    assert not (tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
    assert (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").stat().st_size == 9_912_422


def test_a_corrupted_mirror_is_skipped_for_the_next(mnist_bytes, tmp_path: Path) -> None:
    bad = Mirror({name: data[:-4] + b"evil" for name, data in mnist_bytes.items()})
    good = Mirror(mnist_bytes)
    try:
        datasets.ensure_mnist(tmp_path, mirrors=(bad.url, good.url))
    finally:
        bad.close()
        good.close()
    assert sorted(bad.requests) == sorted(good.requests) == sorted(datasets.MNIST_FILES)
    assert all((tmp_path / "mnist" / n).read_bytes() == d for n, d in mnist_bytes.items())


def test_bad_files_on_disk_offline_are_named_one_line(mnist_bytes, tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(mnist_bytes["train-images-idx3-ubyte.gz"][:1000])
    labels = bytearray(mnist_bytes["train-labels-idx1-ubyte.gz"])
    labels[-1] ^= 0xFF  # same size, one byte changed
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(bytes(labels))
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(mnist_bytes["t10k-images-idx3-ubyte.gz"])
    with pytest.raises(ReproductionError) as info:
        datasets.prepare("mnist", tmp_path, offline=True)
    message = str(info.value)
    assert "\n" not in message
    assert f"{folder / 'train-images-idx3-ubyte.gz'} is truncated (1,000 of 9,912,422 bytes)" in message
    wrong = hashlib.md5(bytes(labels), usedforsecurity=False).hexdigest()
    assert (
        f"{folder / 'train-labels-idx1-ubyte.gz'} is wrong checksum (md5 {wrong}, "
        "expected d53e105ee54ea40749a09fcbcd1e9432)"
    ) in message
    assert "delete it and rerun online, or replace it with the original" in message
    assert f"put t10k-labels-idx1-ubyte.gz (from {datasets.MNIST_MIRRORS[0]}) into {folder}" in message
    assert "t10k-images" not in message  # the good file is accepted


def test_a_bad_file_on_disk_is_downloaded_again_online(mnist_mirror, mnist_bytes, tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, data in mnist_bytes.items():
        (folder / name).write_bytes(data)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b truncated")
    datasets.ensure_mnist(tmp_path, mirrors=(mnist_mirror.url,))
    assert mnist_mirror.requests == ["t10k-labels-idx1-ubyte.gz"]
    assert (folder / "t10k-labels-idx1-ubyte.gz").read_bytes() == mnist_bytes["t10k-labels-idx1-ubyte.gz"]


def test_mirror_variable_is_read_by_the_workspace(monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_MNIST_MIRRORS", "http://127.0.0.1:1/a, http://127.0.0.1:2/b/")
    assert workspace.dataset_mirrors("mnist") == ("http://127.0.0.1:1/a/", "http://127.0.0.1:2/b/")
    monkeypatch.delenv("AUDIT_MNIST_MIRRORS")
    assert workspace.dataset_mirrors("mnist") is None
    assert workspace.dataset_mirrors("cifar10") is None


def _cifar_archive(per_batch: int, *, extra_link: bool = False, drop: str | None = None) -> bytes:
    """A cifar-10-binary.tar.gz in the real layout with ``per_batch`` records per batch file:
    record i of batch b has label (b + i) % 10 and every pixel equal to b * 16 + i."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for b, name in enumerate([*cifar.TRAIN_MEMBERS, cifar.TEST_MEMBER]):
            if name == drop:
                continue
            records = bytearray()
            for i in range(per_batch):
                records += bytes([(b + i) % 10]) + bytes([b * 16 + i]) * 3072
            info = tarfile.TarInfo(name if not (extra_link and b == 0) else name + ".real")
            info.size = len(records)
            archive.addfile(info, io.BytesIO(bytes(records)))
            if extra_link and b == 0:  # the expected name is a link: never followed
                link = tarfile.TarInfo(name)
                link.type = tarfile.SYMTYPE
                link.linkname = "/etc/passwd"
                archive.addfile(link)
    return buffer.getvalue()


def _spec(data: bytes) -> downloads.DatasetFiles:
    return downloads.DatasetFiles(
        label="CIFAR-10",
        folder="cifar10",
        md5={cifar.ARCHIVE: hashlib.md5(data, usedforsecurity=False).hexdigest()},
        sizes={cifar.ARCHIVE: len(data)},
        mirrors=cifar.CIFAR10.mirrors,
    )


def test_cifar10_binary_archive_downloads_and_reads_without_pickle(tmp_path: Path) -> None:
    data = _cifar_archive(per_batch=3)
    mirror = Mirror({cifar.ARCHIVE: data})
    try:
        folder = cifar.ensure_cifar10(tmp_path, mirrors=(mirror.url,), spec=_spec(data))
    finally:
        mirror.close()
    train_x, train_y, test_x, test_y = cifar.read_archive(folder / cifar.ARCHIVE)
    assert train_x.shape == (15, 3, 32, 32) and test_x.shape == (3, 3, 32, 32)
    assert train_y.tolist() == [(b + i) % 10 for b in range(5) for i in range(3)]
    assert test_y.tolist() == [5, 6, 7] and int(test_x[2, 1, 7, 9]) == 5 * 16 + 2
    assert int(train_x[4, 0, 0, 0]) == 1 * 16 + 1  # batch 2, record 1
    # the canonical archive's identity (what a real download is checked against)
    assert cifar.CIFAR10.md5 == {"cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530"}


def test_cifar10_archive_with_a_link_or_a_missing_batch_is_refused(tmp_path: Path) -> None:
    for data, missing in (
        (_cifar_archive(2, extra_link=True), cifar.TRAIN_MEMBERS[0]),
        (_cifar_archive(2, drop=cifar.TEST_MEMBER), cifar.TEST_MEMBER),
    ):
        path = tmp_path / "archive.tar.gz"
        path.write_bytes(data)
        with pytest.raises(ReproductionError, match=f"lacks {missing}: delete it and rerun"):
            cifar.read_archive(path)


def test_cifar10_offline_says_where_to_put_the_archive(tmp_path: Path) -> None:
    with pytest.raises(ReproductionError) as info:
        datasets.prepare("cifar10", tmp_path, offline=True)
    assert str(info.value) == (
        f"CIFAR-10 is not available offline: put cifar-10-binary.tar.gz (from "
        f"https://www.cs.toronto.edu/~kriz/) into {tmp_path / 'cifar10'}, or set AUDIT_DATA_DIR to a "
        "folder whose cifar10/ holds the files"
    )


def test_crop_flip_shifts_within_the_padding_and_flips(tmp_path: Path) -> None:
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = cifar.crop_flip(x, torch.Generator().manual_seed(0), pad=2)
    assert out.shape == x.shape
    again = cifar.crop_flip(x, torch.Generator().manual_seed(0), pad=2)
    assert torch.equal(out, again)
    for image, source in zip(out, x, strict=True):
        padded = torch.nn.functional.pad(source, (2, 2, 2, 2))
        windows = [
            padded[:, r : r + 8, c : c + 8].flip(-1) if flip else padded[:, r : r + 8, c : c + 8]
            for r in range(5)
            for c in range(5)
            for flip in (False, True)
        ]
        assert any(torch.equal(image, w) for w in windows)


def test_gzip_is_untouched_by_the_download_layer(mnist_bytes) -> None:
    # the files are served and stored exactly as published: gzip streams with their original header
    assert all(data[:2] == b"\x1f\x8b" for data in mnist_bytes.values())
    assert gzip.decompress(mnist_bytes["t10k-labels-idx1-ubyte.gz"])[:4] == b"\x00\x00\x08\x01"
