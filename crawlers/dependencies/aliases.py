"""The one alias table: which distributions provide an import name, and which provide the same thing.

Every question about names goes through here, so the import mapping, the framework rule, the
"imports undeclared packages" signal and the package ranking can never disagree:

- :func:`resolve_import`: an import (``cv2``) → the distribution a census names (``opencv-python``) and
  *which table said so* (``overrides``, ``pipreqs``, ``wheels``), or a guess (the import name itself).
- :func:`providers`: an import name → every distribution known to provide it, canonical first
  (``tensorflow`` ← tensorflow, tensorflow-gpu, tensorflow-cpu, tf-nightly, ...).
- :func:`provides`: a distribution → the import names it provides (``pillow-simd`` → ``PIL``), so a
  repository that declares ``tensorflow-gpu`` and imports ``tensorflow`` declares what it imports.
- :func:`canonical`: a distribution → the distribution that stands for its family in counts
  (``opencv-python-headless`` → ``opencv-python``, ``pytorch`` → ``torch``).

Facts first, small overrides last. The facts are (1) the top-level import names that PyPI wheels
declare, for the most downloaded distributions (``data/top_level.tsv``, generated from pigar's database
by ``scripts/build_top_level.py``), and (2) pipreqs' own import→distribution mapping. The overrides are
:data:`FAMILIES` (build variants whose wheels declare no top level, or conda/stub names) and
``mapping.IMPORT_OVERRIDES`` (pipreqs entries that are wrong for research code, local folder names).

Precedence for an import: ``google.cloud.X`` → ``google-cloud-X``; ``IMPORT_OVERRIDES`` (longest dotted
prefix); :data:`FAMILIES`; pipreqs' table; the wheel facts (most downloaded provider first); else the
name itself, marked *guessed*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crawlers.dependencies.mapping import IMPORT_OVERRIDES, NON_PACKAGES, normalise, pipreqs_table

TABLE = Path(__file__).resolve().parent / "data" / "top_level.tsv"

#: Top-level names a wheel may ship that say nothing about what it is (project scaffolding).
JUNK_TOP_LEVEL = frozenset(
    {
        "test",
        "tests",
        "testing",
        "doc",
        "docs",
        "example",
        "examples",
        "bin",
        "script",
        "scripts",
        "benchmark",
        "benchmarks",
        "src",
        "build",
        "dist",
        "demo",
        "demos",
        "sample",
        "samples",
        "tutorial",
        "tutorials",
        "notebooks",
        "tools",
        "utils",
        "util",
        "lib",
        "data",
        "conf",
        "config",
        "common",
        "core",
        "main",
        "app",
        "setup",
        "third_party",
        "thirdparty",
        "vendor",
        "external",
        "extern",
    }
)

#: Families whose facts are missing or wrong: import name → distributions, the canonical one first.
#: ``tensorflow-gpu`` and ``tensorflow-macos`` wheels are recorded with no top level; PyPI's ``pytorch``
#: is a stub (and conda's name for torch); ``sklearn`` is a deprecated alias distribution.
FAMILIES: dict[str, tuple[str, ...]] = {
    "torch": ("torch", "pytorch"),
    "tensorflow": (
        "tensorflow",
        "tensorflow-gpu",
        "tensorflow-cpu",
        "tf-nightly",
        "tf-nightly-gpu",
        "tf-nightly-cpu",
        "tensorflow-macos",
        "tensorflow-rocm",
        "tensorflow-intel",
        "tensorflow-aarch64",
        "intel-tensorflow",
    ),
    "keras": ("keras", "keras-nightly"),
    "cv2": (
        "opencv-python",
        "opencv-python-headless",
        "opencv-contrib-python",
        "opencv-contrib-python-headless",
    ),
    "PIL": ("pillow", "pillow-simd"),
    "sklearn": ("scikit-learn", "sklearn"),
    "paddle": ("paddlepaddle", "paddlepaddle-gpu"),
    "faiss": ("faiss-cpu", "faiss-gpu", "faiss"),
    "mxnet": ("mxnet", "mxnet-mkl"),
    "cupy": ("cupy", "cupy-cuda11x", "cupy-cuda12x"),
}

#: Build variants named by pattern (``mxnet-cu101``, ``cupy-cuda102``): distribution → family import.
_VARIANTS = (
    (re.compile(r"^mxnet-cu\d+(mkl)?$"), "mxnet"),
    (re.compile(r"^cupy-cuda\d+x?$"), "cupy"),
    (re.compile(r"^torch-(cpu|gpu|cuda\d*)$"), "torch"),
)

#: An import name that this many or more ranked distributions provide is a namespace (``google``,
#: ``nvidia``, ``azure``): it identifies none of them, so it neither maps nor merges.
NAMESPACE_PROVIDERS = 8


@dataclass(frozen=True)
class Resolution:
    """Where an import's distribution name came from: ``table`` is overrides, pipreqs, wheels or identity."""

    package: str | None
    table: str

    @property
    def kind(self) -> str:
        """``mapped`` when a table named the distribution, ``guessed`` for the import name taken as is."""
        return "guessed" if self.table == "identity" else "mapped"


@dataclass(frozen=True)
class WheelFacts:
    """The generated table: distribution → (download rank or None, import names), and its inverse."""

    modules: dict[str, tuple[str, ...]]
    ranks: dict[str, int]
    by_module: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def wheel_facts(path: Path = TABLE) -> WheelFacts:
    """Read ``data/top_level.tsv`` once per process (a few thousand lines)."""
    modules: dict[str, tuple[str, ...]] = {}
    ranks: dict[str, int] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#") or line.startswith("distribution\t"):
                continue
            dist, rank, names = [*line.split("\t"), "", ""][:3]
            modules[dist] = tuple(n for n in names.split(";") if n and n.lower() not in JUNK_TOP_LEVEL)
            if rank.isdigit():
                ranks[dist] = int(rank)
    inverse: dict[str, list[str]] = {}
    for dist, names in modules.items():
        for name in names:
            inverse.setdefault(name, []).append(dist)
    order = {d: (d not in ranks, ranks.get(d, 0), d) for d in modules}
    by_module = {m: tuple(sorted(ds, key=order.__getitem__)) for m, ds in inverse.items()}
    return WheelFacts(modules, ranks, by_module)


def _not_a_distribution(name: str) -> bool:
    """Names the overrides mark as no distribution (local folder names, bare namespaces)."""
    return name in IMPORT_OVERRIDES and IMPORT_OVERRIDES[name] is None


def _wheel_providers(name: str) -> tuple[str, ...]:
    found = wheel_facts().by_module.get(name, ())
    ranked = [d for d in found if d in wheel_facts().ranks]
    return () if len(ranked) >= NAMESPACE_PROVIDERS else found


@lru_cache(maxsize=4096)
def providers(name: str) -> tuple[str, ...]:
    """Distributions that provide the top-level import ``name``, the one a census names first."""
    if _not_a_distribution(name):
        return ()
    found: list[str] = list(FAMILIES.get(name, ()))
    override = IMPORT_OVERRIDES.get(name)
    if override:
        found.append(normalise(override))
    mapped = pipreqs_table().get(name)
    if mapped:
        found.append(normalise(mapped))
    found += _wheel_providers(name)
    return tuple(d for d in dict.fromkeys(found) if d not in NON_PACKAGES)


@lru_cache(maxsize=1)
def _reverse_tables() -> dict[str, frozenset[str]]:
    """Distribution → import names, from the overrides, the families and pipreqs' table."""
    reverse: dict[str, set[str]] = {}
    for name, members in FAMILIES.items():
        for dist in members:
            reverse.setdefault(normalise(dist), set()).add(name)
    for name, target in list(IMPORT_OVERRIDES.items()) + list(pipreqs_table().items()):
        if target and not _not_a_distribution(name):
            reverse.setdefault(normalise(target), set()).add(name)
    return {dist: frozenset(names) for dist, names in reverse.items()}


@lru_cache(maxsize=4096)
def provides(distribution: str) -> frozenset[str]:
    """Import names (some dotted, like ``google.protobuf``) that ``distribution`` provides.

    From the tables and the wheel facts; a distribution none of them knows is assumed to provide
    its own name with ``_`` for ``-`` (``foo-bar`` → ``foo_bar``), which is how most are named.
    """
    dist = normalise(distribution)
    names = set(_reverse_tables().get(dist, ()))
    names |= {n for n in wheel_facts().modules.get(dist, ()) if not _not_a_distribution(n)}
    family = _variant_family(dist)
    if family:
        names.add(family)
    if not names:
        names.add(dist.replace("-", "_"))
    return frozenset(names)


def _variant_family(dist: str) -> str | None:
    return next((family for pattern, family in _VARIANTS if pattern.match(dist)), None)


def provides_module(distribution: str, module: str) -> bool:
    """True when ``distribution`` provides ``module`` or a dotted prefix of it (``google.protobuf.x``)."""
    parts = module.split(".")
    names = provides(distribution)
    return any(".".join(parts[:end]) in names for end in range(len(parts), 0, -1))


@lru_cache(maxsize=4096)
def canonical(distribution: str) -> str:
    """The distribution that stands for ``distribution``'s family in counts (PEP 503 name).

    A family member of :data:`FAMILIES` or a build variant gives the family's first distribution.
    Otherwise a distribution providing exactly one import name that is not its own name
    (``opencv-contrib-python`` → ``cv2``, ``msgpack-python`` → ``msgpack``) gives that import's first
    provider; a distribution named after what it provides, or providing several names, is its own.
    """
    dist = normalise(distribution)
    for members in FAMILIES.values():
        if dist in members:
            return members[0]
    family = _variant_family(dist)
    if family:
        return FAMILIES.get(family, (family,))[0]
    names = {n for n in provides(dist) if "." not in n and _wheel_providers(n)}
    if len(names) != 1:
        return dist
    (name,) = names
    if normalise(name) == dist:
        return dist
    first = providers(name)
    return first[0] if first else dist


def _google_cloud(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "google" and parts[1] == "cloud":
        return f"google-cloud-{parts[2]}"
    return None


@lru_cache(maxsize=8192)
def resolve_import(module: str) -> Resolution:
    """The distribution an import comes from and the table that says so (see the module docstring).

    Installers and build tools (``setuptools``, ``pip``) resolve to ``None``: importing them is
    packaging, not use.
    """
    module = module.strip().strip(".")
    if not module:
        return Resolution(None, "identity")
    cloud = _google_cloud(module)
    if cloud:
        return Resolution(normalise(cloud), "overrides")
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in IMPORT_OVERRIDES:
            target = IMPORT_OVERRIDES[prefix]
            return Resolution(normalise(target) if target else None, "overrides")
    top = parts[0]
    if top in FAMILIES:
        return Resolution(FAMILIES[top][0], "overrides")
    mapped = pipreqs_table().get(top)
    if mapped:
        table, package = "pipreqs", normalise(mapped)
    elif _wheel_providers(top):
        table, package = "wheels", _wheel_providers(top)[0]
    else:
        table, package = "identity", normalise(top)
    return Resolution(None if package in NON_PACKAGES else package, table)


def import_to_package(module: str) -> str | None:
    """The distribution name of an import, PEP 503 normalised; ``None`` when it is no distribution."""
    return resolve_import(module).package
