"""Datasets: the real download path against a local HTTP server, checksums, cache, offline errors."""

from __future__ import annotations

import gzip
import hashlib
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch

from reproducers import datasets
from reproducers.errors import ReproductionError
from reproducers.seeding import generator


def _idx(array: np.ndarray) -> bytes:
    """An IDX file (unsigned bytes), gzip-compressed like the MNIST originals."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    return {
        "train-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (12, 28, 28))),
        "train-labels-idx1-ubyte.gz": _idx(np.arange(12) % 10),
        "t10k-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (5, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": _idx(np.arange(5)),
    }


@pytest.fixture
def server(files: dict[str, bytes]) -> Iterator[tuple[str, list[str]]]:
    """Serves /good/<name> (the files) and /bad/<name> (corrupted copies) on 127.0.0.1."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            mirror, _, name = self.path.strip("/").partition("/")
            if name not in files:
                self.send_error(404)
                return
            body = files[name] if mirror == "good" else files[name][:-8] + b"corrupt!"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


def _md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.md5(data, usedforsecurity=False).hexdigest() for name, data in files.items()}


def test_download_verifies_checksums_and_is_cached(server, files, tmp_path: Path) -> None:
    base, requests = server
    folder = datasets.ensure_mnist(tmp_path, mirrors=(f"{base}/bad/", f"{base}/good/"), files=_md5s(files))
    assert folder == tmp_path / "mnist"
    # every file was tried on the corrupted mirror first, rejected, then fetched from the good one
    assert sorted(requests) == sorted([f"/bad/{n}" for n in files] + [f"/good/{n}" for n in files])
    assert all((folder / name).read_bytes() == data for name, data in files.items())
    train_x, train_y, test_x, _ = datasets.load_mnist(folder)
    assert train_x.shape == (12, 784) and test_x.shape == (5, 784)
    assert train_y.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    requests.clear()
    datasets.ensure_mnist(tmp_path, mirrors=(f"{base}/good/",), files=_md5s(files))
    assert requests == []  # second call: verified on disk, nothing downloaded


def test_corrupted_download_is_rejected_and_not_kept(server, files, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(ReproductionError, match="checksum mismatch") as info:
        datasets.ensure_mnist(tmp_path, mirrors=(f"{base}/bad/",), files=_md5s(files))
    assert not list((tmp_path / "mnist").iterdir())
    # the first failure stops the download; the message names every file still to be placed by hand
    assert f"put {', '.join(files)} (from {base}/bad/) into {tmp_path / 'mnist'} by hand" in str(info.value)


def test_offline_without_files_says_where_to_put_which(files, tmp_path: Path) -> None:
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(files["t10k-labels-idx1-ubyte.gz"])
    with pytest.raises(ReproductionError) as info:
        datasets.ensure_mnist(tmp_path, files=_md5s(files), fetch=None)
    message = str(info.value)
    assert str(tmp_path / "mnist") in message
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz" in message
    assert "t10k-labels" not in message  # the file placed by hand is accepted
    assert "\n" not in message and info.value.exit_code == 1


def test_files_placed_by_hand_are_used_offline(files, tmp_path: Path) -> None:
    (tmp_path / "mnist").mkdir()
    for name, data in files.items():
        (tmp_path / "mnist" / name).write_bytes(data)
    assert datasets.ensure_mnist(tmp_path, files=_md5s(files), fetch=None) == tmp_path / "mnist"


def test_truncated_idx_is_an_error(files) -> None:
    raw = gzip.decompress(files["train-labels-idx1-ubyte.gz"])[:-1]
    with pytest.raises(ReproductionError, match="truncated"):
        datasets.read_idx(raw)


def test_quick_subset_is_checked_balanced_and_split_per_seed(tmp_path: Path) -> None:
    x, y = datasets.load_mnist_5k()
    assert x.shape == (5000, 784) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [500] * 10
    a = datasets.make_split("mnist5k", (4000, 500, 500), generator(0, "split"), tmp_path)
    b = datasets.make_split("mnist5k", (4000, 500, 500), generator(0, "split"), tmp_path)
    c = datasets.make_split("mnist5k", (4000, 500, 500), generator(1, "split"), tmp_path)
    assert (len(a.train_y), len(a.val_y), len(a.test_y)) == (4000, 500, 500)
    assert torch.equal(a.test_x, b.test_x) and not torch.equal(a.test_y, c.test_y)
    assert abs(float(a.train_x.mean())) < 0.05 and abs(float(a.train_x.std()) - 1.0) < 0.05


def test_quick_subset_with_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "mnist_5k.csv.gz"
    fake.write_bytes(gzip.compress(b"0,1\n"))
    with pytest.raises(ReproductionError, match="SHA-256"):
        datasets.load_mnist_5k(fake)


def test_paper_protocol_split_offline_names_the_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ReproductionError, match="MNIST is not available offline") as info:
        datasets.make_split("mnist", (55_000, 5_000, 10_000), generator(0, "split"), tmp_path, offline=True)
    assert all(name in str(info.value) for name in datasets.MNIST_FILES)
    assert str(tmp_path / "mnist") in str(info.value)
