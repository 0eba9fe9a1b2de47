"""Claims as registered before a run: what a paper reported, under which condition, judged how.

This module is the contract between the registry (which declares claims), the engine (which writes
``runs.csv``) and the verdict code in ``reports``/``core.stats`` (which judges claims on runs).

``runs.csv`` columns, one row per (seed, arm, condition) evaluated:
    paper_id, protocol, seed, arm, model, dataset, target_sparsity, sparsity, round,
    test_accuracy, test_loss, val_loss, early_stop_iteration, iterations, wall_s, device, state_hash
Extra columns written by the engine (claims may use them as a ``metric``): ``val_accuracy``,
``final_test_accuracy``, ``reported_at_iteration``, ``parent_hash``, ``init_hash``,
``effective_sparsity``.
``sparsity`` is the measured fraction of prunable weights that the masks remove (mask sparsity);
``effective_sparsity`` also counts as pruned every weight that no longer lies on a path from the
input to the output, because a unit lost all its inputs or all its outputs (SNIP at 98 % leaves
LeNet-300-100 with 1.64 % of its weights *alive*, not 2 %); ``target_sparsity`` is the nominal
sparsity the recipe asked for (0.0 for dense). Accuracies are in percent.

A claim's ``condition`` selects rows of ``runs.csv`` by equality on those columns (``arm``,
``model``, ``target_sparsity`` rounded to 4 decimals, ``round``...). A relation claim compares the
rows selected by ``condition`` (arm A) with those selected by ``baseline`` (arm B), paired by seed;
a ratio claim compares them as per-seed ratios A/B (on the log scale). How each kind is tested, and the
error rates those tests were measured to have, is in docs/statistics.md.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: How the paper reported the number, which decides the test (see docs/pruning-papers.md).
ReportedKind = Literal["single", "mean_std", "min_max", "relation", "ratio", "figure"]
REPORTED_KINDS: tuple[str, ...] = ("single", "mean_std", "min_max", "relation", "ratio", "figure")

#: For relations and ratios, what A − B (or A / B) must be: above ``margin`` ("greater", superiority:
#: "A beats B by more than m"), below ``margin`` ("less"), within ``reported ± delta``
#: ("equivalent"), or above ``reported − delta`` ("non_inferior": "A is no worse than B − δ").
Direction = Literal["greater", "less", "equivalent", "non_inferior"]
DIRECTIONS: tuple[str, ...] = ("greater", "less", "equivalent", "non_inferior")

#: "paper": a claim the paper makes (it counts towards "the paper reproduced"); "control": the
#: registry's own sanity check (e.g. "SNIP beats random pruning", which SNIP never claims), judged
#: and shown but never counted as the paper's.
Role = Literal["paper", "control"]
ROLES: tuple[str, ...] = ("paper", "control")

#: Which sparsity a claim's level means: the masks' (``sparsity`` in runs.csv) or the effective one.
SparsityMeasure = Literal["mask", "effective"]

#: The range a metric can take; intervals are cut at these bounds (and the report says so).
METRIC_BOUNDS: dict[str, tuple[float, float]] = {
    "test_accuracy": (0.0, 100.0),
    "val_accuracy": (0.0, 100.0),
    "final_test_accuracy": (0.0, 100.0),
    "accuracy": (0.0, 100.0),
    "test_loss": (0.0, math.inf),
    "val_loss": (0.0, math.inf),
    "early_stop_iteration": (0.0, math.inf),
    "reported_at_iteration": (0.0, math.inf),
    "sparsity": (0.0, 1.0),
    "effective_sparsity": (0.0, 1.0),
}

#: Fields added after the first version of the contract, with their defaults. They enter a claim's
#: canonical JSON only when set, so the content hash of every claims.json written before they existed
#: still matches (an unchanged pre-registration must not look edited).
LATER_FIELDS: dict[str, Any] = {
    "margin": None,
    "delta_reason": "",
    "role": "paper",
    "sparsity_measure": "mask",
}


@dataclass(frozen=True)
class Claim:
    """One falsifiable statement of a paper, fixed before any run (a pre-registration)."""

    id: str
    statement: str
    kind: ReportedKind
    condition: dict[str, Any]
    metric: str = "test_accuracy"
    #: single / figure: the value; mean_std: the mean; min_max: unused (see reported_min/max);
    #: relation: the expected A − B of an "equivalent"/"non_inferior" claim (None = 0); ratio: the
    #: expected A / B (None = 1).
    reported: float | None = None
    reported_std: float | None = None
    #: how many runs are behind the reported number: mean_std's m; min_max's m (None: 2, the fewest a
    #: range needs, which is the conservative choice); single / figure: a mean of m runs reported
    #: without spread (None: 1, one draw).
    reported_n: int | None = None
    #: mean_std: what "±" meant in the paper: "std", "sem" or "ci95".
    reported_spread: str | None = None
    reported_min: float | None = None
    reported_max: float | None = None
    #: relation / ratio claims: the other arm's condition and what A − B (or A / B) must be.
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
    #: "greater" / "less": the boundary A − B must pass (superiority by more than ``margin``; use a
    #: negative one for "less than B by more than m"); for a ratio, the boundary of A / B. None: 0 for
    #: a difference, 1 for a ratio.
    margin: float | None = None
    #: why δ (or the margin) is what it is, stated before the run with the claim.
    delta_reason: str = ""
    role: Role = "paper"
    sparsity_measure: SparsityMeasure = "mask"

    def to_dict(self) -> dict[str, Any]:
        """The canonical form (what claims.json holds and the content hash covers)."""
        data = asdict(self)
        data["protocols"] = list(self.protocols)
        for name, default in LATER_FIELDS.items():
            if data[name] == default:
                del data[name]
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
    "effective_sparsity",
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
