"""Where things live: cache, datasets and output folders, resolved from the environment.

Lower packages take explicit paths; only this module reads ``AUDIT_*`` variables, so a test or a
container can redirect everything by setting them.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from core.errors import UsageError

DEFAULT_OUTPUT_ROOT = Path("audit-output")


def cache_dir() -> Path:
    """Clone cache, raw API pages and experiment states shared across runs (``AUDIT_CACHE_DIR``)."""
    return _env_path("AUDIT_CACHE_DIR", Path.home() / ".cache" / "audit")


def data_dir() -> Path:
    """Datasets downloaded or placed by hand (``AUDIT_DATA_DIR``, default ``<cache>/data``)."""
    return _env_path("AUDIT_DATA_DIR", cache_dir() / "data")


def dataset_mirrors(dataset: str) -> tuple[str, ...] | None:
    """Base URLs to download ``dataset`` from instead of the canonical mirrors, tried in order.

    ``AUDIT_MNIST_MIRRORS`` / ``AUDIT_CIFAR10_MIRRORS``: URLs separated by spaces or commas (a local
    mirror, a lab's cache, the tests' server); checksums are checked whatever the source.
    """
    value = os.environ.get(f"AUDIT_{dataset.upper()}_MIRRORS", "").replace(",", " ").split()
    return tuple(url if url.endswith("/") else url + "/" for url in value) or None


def slug(text: str) -> str:
    """A folder-safe name for a venue or paper id (``ICLR.cc/2020/Conference`` → ``ICLR.cc_2020_...``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "unnamed"


def census_output_dir(venue: str, out: Path | None) -> Path:
    """The census folder for a venue: ``--out`` if given, else ``audit-output/census/<venue>``."""
    return out if out is not None else DEFAULT_OUTPUT_ROOT / "census" / slug(venue)


def reproduction_output_dir(paper_id: str, protocol: str, out: Path | None) -> Path:
    """The reproduction folder: ``--out`` if given, else ``audit-output/reproduce/<paper>-<protocol>``."""
    return out if out is not None else DEFAULT_OUTPUT_ROOT / "reproduce" / f"{slug(paper_id)}-{protocol}"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else default


def writable_folder(folder: Path, what: str, remedy: str = "choose another --out") -> Path:
    """Create ``folder`` if needed and prove a file can be written there, before any work starts.

    A read-only or unwritable folder is one usage error (exit 2) naming the folder, not a traceback
    from the first writer half-way through a crawl. The probe is a real file (mkstemp, then removed):
    permission bits alone do not tell (root ignores them; a read-only mount does not).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".audit-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot write to the {what} {folder}: {reason}; {remedy}") from None
    return folder
