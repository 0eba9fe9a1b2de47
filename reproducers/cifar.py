"""CIFAR-10 for the `paper` protocols of GraSP and "Missing the Mark": download, checksum, split.

The binary version of the dataset is used (``cifar-10-binary.tar.gz``: fixed-size records of one
label byte and 3,072 pixel bytes), never the Python version, whose batches are pickles: a downloaded
file is data, and unpickling it would run whatever it contains. The archive is read member by
member in memory; nothing is extracted to disk and no link inside it is followed.
"""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from reproducers import downloads
from reproducers.errors import ReproductionError

ARCHIVE = "cifar-10-binary.tar.gz"
#: As published with the dataset (and listed by torchvision for the binary version).
CIFAR10 = downloads.DatasetFiles(
    label="CIFAR-10",
    folder="cifar10",
    md5={ARCHIVE: "c32a1d4ab5d03f1284b67883e8d87530"},
    sizes={ARCHIVE: 170_052_171},
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
)
TRAIN_MEMBERS = tuple(f"cifar-10-batches-bin/data_batch_{k}.bin" for k in range(1, 6))
TEST_MEMBER = "cifar-10-batches-bin/test_batch.bin"
RECORD = 1 + 3 * 32 * 32
#: Per-channel mean and std of the training images (the values the papers' loaders use).
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


def ensure_cifar10(
    data_dir: Path,
    *,
    mirrors: Sequence[str] | None = None,
    fetch: downloads.Fetch | None = downloads.http_fetch,
    spec: downloads.DatasetFiles = CIFAR10,
) -> Path:
    """The verified archive's folder (downloaded once into ``data_dir/cifar10``)."""
    return downloads.ensure(data_dir, spec, mirrors=mirrors, fetch=fetch)


def read_archive(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images uint8 (50000, 3, 32, 32), train labels, test images, test labels) from the archive."""
    wanted = {*TRAIN_MEMBERS, TEST_MEMBER}
    blobs: dict[str, bytes] = {}
    with tarfile.open(path, mode="r:gz") as archive:
        for member in archive:
            if member.name in wanted and member.isfile():
                handle = archive.extractfile(member)
                if handle is not None:
                    blobs[member.name] = handle.read()
    missing = sorted(wanted - set(blobs))
    if missing:
        raise ReproductionError(
            f"{path} lacks {', '.join(missing)}: delete it and rerun to download it again"
        )

    def records(blob: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
        if len(blob) % RECORD:
            raise ReproductionError(f"{name} in {path} is not a whole number of CIFAR-10 records")
        table = np.frombuffer(blob, dtype=np.uint8).reshape(-1, RECORD)
        return table[:, 1:].reshape(-1, 3, 32, 32), table[:, 0].astype(np.int64)

    parts = [records(blobs[name], name) for name in TRAIN_MEMBERS]
    test_x, test_y = records(blobs[TEST_MEMBER], TEST_MEMBER)
    return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts]), test_x, test_y


@lru_cache(maxsize=1)
def _read_cached(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return read_archive(Path(path))


def normalise(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 3, 32, 32) → float32 standardised per channel."""
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (torch.from_numpy(images.astype(np.float32)) / 255.0 - mean) / std


def make_split(sizes: tuple[int, int, int], gen: torch.Generator, data_dir: Path, offline: bool = False):
    """Train/validation drawn from the 50K training images by ``gen``; test = the official 10K."""
    from reproducers.datasets import Split, _indices

    folder = ensure_cifar10(data_dir, fetch=None if offline else downloads.http_fetch)
    train_x, train_y, test_x, test_y = _read_cached(str(folder / ARCHIVE))
    tr, va, _ = _indices("cifar10", sizes, gen, len(train_y))
    n_test = sizes[2]
    xs, ys = normalise(train_x[np.concatenate([tr, va])]), torch.from_numpy(train_y)
    return Split(
        xs[: len(tr)],
        ys[tr],
        xs[len(tr) :],
        ys[va],
        normalise(test_x[:n_test]),
        torch.from_numpy(test_y[:n_test]),
        augment="crop_flip",
    )


def train_labels(sizes: tuple[int, int, int], gen: torch.Generator, data_dir: Path) -> np.ndarray:
    from reproducers.datasets import _indices

    folder = ensure_cifar10(data_dir, fetch=None)
    _, train_y, _, _ = _read_cached(str(folder / ARCHIVE))
    return train_y[_indices("cifar10", sizes, gen, len(train_y))[0]]


def crop_flip(x: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random ``pad``-pixel-shifted crops (zero padding) and horizontal flips of a batch (N, C, H, W).

    Draws come from ``gen`` (CPU, the ``augment`` source), so a batch is augmented identically on
    any device.
    """
    n, _, h, w = x.shape
    shifts = torch.randint(0, 2 * pad + 1, (n, 2), generator=gen).to(x.device)
    flips = (torch.rand(n, generator=gen) < 0.5).to(x.device)
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    rows = shifts[:, :1] + torch.arange(h, device=x.device)  # (n, h)
    cols = shifts[:, 1:] + torch.arange(w, device=x.device)  # (n, w)
    cols = torch.where(flips[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (n, h, w, C)
    return out.permute(0, 3, 1, 2).contiguous()
