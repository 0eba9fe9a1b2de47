"""Claims as registered before a run: what a paper reported, under which condition, judged how.

This module is the contract between the registry (which declares claims), the engine (which writes
``runs.csv``) and the verdict code in ``reports``/``core.stats`` (which judges claims on runs).

``runs.csv`` columns, one row per (seed, arm, condition) evaluated:
    paper_id, protocol, seed, arm, model, dataset, target_sparsity, sparsity, round,
    test_accuracy, test_loss, val_loss, early_stop_iteration, iterations, wall_s, device, state_hash
Extra columns written by the engine (claims may use them as a ``metric``): ``val_accuracy``,
``final_test_accuracy``, ``reported_at_iteration``, ``parent_hash``, ``init_hash``.
``sparsity`` is the measured fraction of prunable weights that are zero (effective weights);
``target_sparsity`` the nominal one the recipe asked for (0.0 for dense). Accuracies are in percent.

A claim's ``condition`` selects rows of ``runs.csv`` by equality on those columns (``arm``,
``model``, ``target_sparsity`` rounded to 4 decimals, ``round``...). A relation claim compares the
rows selected by ``condition`` (arm A) with those selected by ``baseline`` (arm B), paired by seed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: How the paper reported the number, which decides the test (see docs/pruning-papers.md).
ReportedKind = Literal["single", "mean_std", "min_max", "relation", "figure"]

#: For relations: A greater than B, A less than B, or A equivalent to B within delta.
Direction = Literal["greater", "less", "equivalent"]


@dataclass(frozen=True)
class Claim:
    """One falsifiable statement of a paper, fixed before any run (a pre-registration)."""

    id: str
    statement: str
    kind: ReportedKind
    condition: dict[str, Any]
    metric: str = "test_accuracy"
    #: single / figure: the value; mean_std: the mean; min_max: unused (see reported_min/max).
    reported: float | None = None
    reported_std: float | None = None
    reported_n: int | None = None
    #: mean_std: what "±" meant in the paper: "std", "sem" or "ci95".
    reported_spread: str | None = None
    reported_min: float | None = None
    reported_max: float | None = None
    #: relation claims: the other arm's condition and the expected direction of A − B.
    baseline: dict[str, Any] | None = None
    direction: Direction | None = None
    #: where in the paper the number comes from, e.g. "Table 1", "Figure 3 (read off)", "Section 5 text".
    source: str = ""
    #: checked against the paper PDF or official code (True), or from memory/secondary sources (False).
    verified: bool = False
    #: equivalence margin, in the metric's units (accuracy points), fixed in advance.
    delta: float = 0.5
    alpha: float = 0.05
    #: protocols under which the claim is meaningful; elsewhere its verdict is "not_applicable".
    protocols: tuple[str, ...] = ("paper",)
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["protocols"] = list(self.protocols)
        return data


@dataclass(frozen=True)
class ClaimSet:
    """A paper's claims, serialised deterministically so that their hash identifies them."""

    paper_id: str
    claims: tuple[Claim, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        body = {"paper_id": self.paper_id, "claims": [c.to_dict() for c in self.claims]}
        return json.dumps(body, sort_keys=True, indent=2)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: results cite it to show the claims were fixed first."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


#: Runs.csv columns: the contract above, then additions (never renamed).
RUN_COLUMNS = (
    "paper_id",
    "protocol",
    "seed",
    "arm",
    "model",
    "dataset",
    "target_sparsity",
    "sparsity",
    "round",
    "test_accuracy",
    "test_loss",
    "val_loss",
    "early_stop_iteration",
    "iterations",
    "wall_s",
    "device",
    "state_hash",
    # additions
    "val_accuracy",
    "final_test_accuracy",
    "reported_at_iteration",
    "parent_hash",
    "init_hash",
)
PER_CLASS_COLUMNS = (
    "paper_id",
    "protocol",
    "seed",
    "arm",
    "model",
    "target_sparsity",
    "sparsity",
    "round",
    "class",
    "accuracy",
    "n",
    "state_hash",
)
