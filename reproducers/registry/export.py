"""A registered paper as a registration file: how a Python registration becomes data.

``audit papers --export PAPER_ID > paper.yaml`` writes what :mod:`reproducers.registry.loader` reads
back into an equal PaperSpec (tested on the built-in papers), so a paper first registered in Python
(or one a participant wants to edit) moves to a YAML file without retyping it. Fields at their
defaults are left out; protocols that run the authors' own code (upstream entries) stay Python.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

import yaml

from core.claims import Claim
from reproducers.errors import ReproductionUsageError
from reproducers.registry.base import PaperSpec, Protocol

_CLAIM_DEFAULTS = {f.name: f.default for f in fields(Claim) if f.name not in ("protocols",)}
_PROTOCOL_DEFAULTS = {f.name: f.default for f in fields(Protocol)}
_REQUIRED_PROTOCOL_FIELDS = (
    "description",
    "experiment",
    "dataset",
    "split",
    "models",
    "init",
    "schedule",
    "cost",
)


def _claim(claim: Claim) -> dict[str, Any]:
    data = asdict(claim)
    out: dict[str, Any] = {"id": claim.id, "statement": claim.statement, "kind": claim.kind}
    directional = claim.kind in ("relation", "ratio") and claim.direction in ("greater", "less")
    for name, value in data.items():
        if name in out or name == "protocols":
            continue
        if name == "delta" and directional:
            continue  # a directional claim has a margin, not a δ
        if name == "delta" or value != _CLAIM_DEFAULTS.get(name):
            out[name] = value
    out["protocols"] = list(claim.protocols)
    return out


def _protocol(protocol: Protocol) -> dict[str, Any]:
    if protocol.upstream is not None:
        raise ReproductionUsageError(
            f"protocol {protocol.name!r} runs the authors' own code (an upstream entry); those stay Python"
        )
    data = asdict(protocol)
    data["schedule"] = {
        k: list(v) if isinstance(v, tuple) else v for k, v in asdict(protocol.schedule).items()
    }
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("name", "upstream"):
            continue
        default = _PROTOCOL_DEFAULTS.get(name)
        value = list(value) if isinstance(value, tuple) else value
        default = list(default) if isinstance(default, tuple) else default
        if name in _REQUIRED_PROTOCOL_FIELDS or value != default:
            out[name] = value
    return out


def registration_data(spec: PaperSpec) -> dict[str, Any]:
    """The file's content as plain data (what the schema validates)."""
    paper: dict[str, Any] = {
        "id": spec.id,
        "title": spec.title,
        "venue": spec.venue,
        "code_url": spec.code_url,
    }
    for name in ("authors", "year", "aliases", "arxiv", "notes", "code_differences"):
        value = getattr(spec, name)
        if value:
            paper[name] = list(value) if isinstance(value, tuple) else value
    return {
        "registration": 1,
        "paper": paper,
        "protocols": {name: _protocol(p) for name, p in spec.protocols.items()},
        "claims": [_claim(c) for c in spec.claims],
    }


def to_yaml(spec: PaperSpec) -> str:
    """The registration as YAML text (block style, keys in the schema's order, Unicode kept)."""
    header = (
        f"# Registration of {spec.id} ({spec.title}), exported by `audit papers --export`.\n"
        "# Validate with `audit papers --check FILE`; run with `audit reproduce --registration FILE`.\n"
    )
    body = yaml.safe_dump(registration_data(spec), sort_keys=False, allow_unicode=True, width=100)
    return header + body
