"""Reproduction output folders as the pipeline writes them (claims.json, runs.csv, environment.json,
paper.json), built from the synthetic runs of test_reproduction_verdicts, with the claims chosen per test."""

from __future__ import annotations

import json
from pathlib import Path

from core.claims import Claim, ClaimSet
from tests.reports.test_reproduction_verdicts import CLAIMS, write_folder

PAPER = {
    "id": "TEST",
    "title": "A {Test} Paper: 50% & More",
    "authors": ["Ada Lovelace", "Alan M. Turing", "Grace Hopper"],
    "venue": "ICLR 2019",
    "year": 2019,
    "openreview_url": "https://openreview.net/forum?id=TEST",
    "arxiv": "1901.00001",
    "arxiv_url": "https://arxiv.org/abs/1901.00001",
    "code_url": "https://github.com/example/test-paper",
}


def claims_by_id(*ids: str) -> tuple[Claim, ...]:
    known = {c.id: c for c in CLAIMS}
    return tuple(known[i] for i in ids)


def make_folder(
    out: Path,
    claims: tuple[Claim, ...] = CLAIMS,
    *,
    protocol: str = "paper",
    per_class: bool = True,
    paper: dict | None = PAPER,
    registered: bool = True,
) -> Path:
    """write_folder with ``claims`` as claims.json, the engine's environment.json (runner, device,
    project, the registration hash when ``registered``) and paper.json (unless ``paper`` is None)."""
    write_folder(out, protocol=protocol, per_class=per_class)
    claim_set = ClaimSet("TEST", claims)
    body = json.loads((out / "claims.json").read_text())
    body["claims"] = json.loads(claim_set.to_json())["claims"]
    body["content_hash"] = claim_set.content_hash()
    (out / "claims.json").write_text(json.dumps(body, indent=2))
    env = {
        "paper_id": "TEST",
        "protocol": protocol,
        "project": {
            "name": "audit-repro",
            "version": "0.1.0",
            "git_commit": "abc1234def5678",
            "git_dirty": False,
        },
        "runner": "local",
        "jobs": 1,
        "device": {"requested": "auto", "resolved": "cpu", "name": "AMD EPYC 7B13", "torch_cuda": None},
        "machine": "x86_64",
        "python": "3.11.2",
        "platform": "Linux-6.1-x86_64-with-glibc2.36",
        "packages": {"torch": "2.13.0", "numpy": "2.0.0"},
        "determinism": {"torch.use_deterministic_algorithms": True},
        "seeds": [0, 1, 2, 3, 4],
        "failed_seeds": [],
        "image_digest": None,
    }
    if registered:
        env["claims_hash"] = claim_set.content_hash()
    (out / "environment.json").write_text(json.dumps(env, indent=2))
    if paper is not None:
        (out / "paper.json").write_text(json.dumps(paper, indent=2))
    return out
