"""Which packages a reproduction image needs, pinned to the versions this machine runs.

Why pinned: a Docker run and a local run of the same seed should give the same numbers, which holds
only if both use the same torch/numpy. The set itself is the project's ``runtime`` extra (what the
worker imports), read from the installed metadata; a built-in minimum stands in until it exists.
"""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "audit-repro"
RUNTIME_EXTRA = "runtime"
#: Used when the installed project declares no ``runtime`` extra.
DEFAULT_RUNTIME = ("torch", "numpy", "pandas", "mlxtend", "pyyaml", "pydantic")


def runtime_requirements(*, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Pinned requirement lines for the worker image, leaving out ``without`` (e.g. a base's torch)."""
    names = _declared_runtime() or list(DEFAULT_RUNTIME)
    skip = {canonicalize_name(name) for name in without}
    return tuple(pin(name) for name in names if canonicalize_name(name) not in skip)


def pin(requirement: str) -> str:
    """``name==<installed version>`` (local label such as ``+cpu`` dropped), or the line unchanged."""
    name = Requirement(requirement).name
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return requirement
    return f"{name}=={version.split('+', 1)[0]}"


def _declared_runtime() -> list[str]:
    try:
        declared = metadata.requires(PROJECT) or []
    except metadata.PackageNotFoundError:
        return []
    names = []
    for line in declared:
        requirement = Requirement(line)
        if requirement.marker is not None and requirement.marker.evaluate({"extra": RUNTIME_EXTRA}):
            names.append(requirement.name)
    return names
