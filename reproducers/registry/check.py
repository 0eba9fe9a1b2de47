"""`audit papers --check FILE`: is a registration usable, and can every claim be judged on what it runs?

Schema validation (:mod:`reproducers.registry.loader`) says the file is well formed. This adds the
question a reviewer asks next: does each claim's ``condition`` (and ``baseline``) select rows that its
protocols' plans actually produce? A claim on an arm or level no plan builds would be "inconclusive: no
runs match" after hours of training; here it is a one-line error before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reproducers.registry.base import PaperSpec, Protocol
from reproducers.registry.loader import RegistrationError, load


def planned_rows(spec: PaperSpec, protocol: Protocol) -> list[dict[str, Any]] | None:
    """The runs.csv key columns one seed of ``protocol`` produces, or None for a plan this cannot know.

    Mirrors the plans of ``reproducers.plans`` (``lth_imp``: dense, IMP rounds, re-initialisation
    controls; ``snip``: dense, SNIP and random arms per sparsity; ``pai``: dense, and per sparsity each
    method, its sanity-check arms and the random control, as :func:`reproducers.plans.branches` says).
    """
    from reproducers.plans import branches, nominal_remaining

    base = {"paper_id": spec.id, "protocol": protocol.name, "dataset": protocol.dataset}
    rows: list[dict[str, Any]] = []
    for model in protocol.models:
        rows.append({**base, "arm": "dense", "model": model, "target_sparsity": 0.0, "round": 0})
        if protocol.experiment == "lth_imp":
            for k in range(1, protocol.rounds + 1):
                target = round(1 - nominal_remaining(model, protocol.prune_rates, k), 4)
                level = {**base, "model": model, "target_sparsity": target, "round": k}
                rows.append({**level, "arm": "imp"})
                if k in protocol.reinit_rounds:
                    rows.append({**level, "arm": "random_reinit"})
        elif protocol.experiment == "snip":
            for arm, levels in (("snip", protocol.sparsities), ("random", protocol.random_sparsities)):
                rows.extend(
                    {**base, "arm": arm, "model": model, "target_sparsity": s, "round": 0} for s in levels
                )
        elif protocol.experiment == "pai":
            rows.extend(
                {**base, "arm": key[1], "model": model, "target_sparsity": key[2], "round": 0}
                for key, _ in branches(protocol)
                if key[0] == model and len(key) == 3
            )
        else:
            return None
    return rows


def _matches(condition: dict[str, Any], row: dict[str, Any]) -> bool:
    for column, value in condition.items():
        if column not in row:
            continue  # a column the plan does not fix (seed, device...): it may match
        have = row[column]
        if isinstance(value, bool) or isinstance(have, bool) or not isinstance(value, int | float):
            if str(value) != str(have):
                return False
        elif round(float(value), 4) != round(float(have), 4):
            return False
    return True


def _levels(rows: Iterable[dict[str, Any]]) -> str:
    by_arm: dict[str, list[str]] = {}
    for row in rows:
        level = f"round {row['round']}" if row["round"] else f"{row['target_sparsity']:g}"
        by_arm.setdefault(f"{row['arm']} ({row['model']})", []).append(level)
    return "; ".join(f"{arm}: {', '.join(levels)}" for arm, levels in by_arm.items())


@dataclass
class CheckResult:
    """A usable registration, with what a reviewer should know about it."""

    spec: PaperSpec
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        spec = self.spec
        claims = spec.claims
        return {
            "file": spec.registration_file,
            "sha256": spec.registration_sha256,
            "id": spec.id,
            "title": spec.title,
            "venue": spec.venue,
            "protocols": {name: p.experiment for name, p in spec.protocols.items()},
            "claims": len(claims),
            "controls": sum(c.role == "control" for c in claims),
            "verified": sum(c.verified for c in claims),
            "content_hash": spec.claim_set().content_hash(),
            "warnings": list(self.warnings),
        }

    def lines(self) -> list[str]:
        s = self.summary()
        protocols = ", ".join(f"{name} ({plan})" for name, plan in s["protocols"].items())
        return [
            f"{s['file']}: a valid registration of {s['id']} ({s['title']}, {s['venue']})",
            f"  protocols: {protocols}",
            f"  claims: {s['claims']} ({s['controls']} registry controls, {s['verified']} verified against "
            f"the paper); claims hash {s['content_hash']}",
            *(f"  warning: {w}" for w in s["warnings"]),
        ]


def check_spec(spec: PaperSpec, name: str = "") -> CheckResult:
    """Every claim selects rows its protocols produce (RegistrationError naming the claim if not)."""
    name = name or spec.registration_file or spec.id
    result = CheckResult(spec)
    for index, claim in enumerate(spec.claims):
        where = f"{name}: claim {claim.id!r} (claims[{index}])"
        for protocol_name in claim.protocols:
            protocol = spec.protocols.get(protocol_name)
            if protocol is None:
                raise RegistrationError(
                    f"{where}: protocols: {protocol_name!r} is not a protocol of {spec.id}"
                )
            rows = planned_rows(spec, protocol)
            if rows is None:
                result.warnings.append(
                    f"claim {claim.id!r}: the runs of plan {protocol.experiment!r} cannot be checked here"
                )
                continue
            for field_name, condition in (("condition", claim.condition), ("baseline", claim.baseline)):
                if condition and not any(_matches(condition, row) for row in rows):
                    raise RegistrationError(
                        f"{where}: {field_name}: selects no runs of protocol {protocol_name!r} (it runs "
                        f"{_levels(rows)})"
                    )
    unverified = [c.id for c in spec.claims if not c.verified and c.role == "paper"]
    if unverified:
        result.warnings.append(
            f"{len(unverified)} claim(s) not verified against the paper: {', '.join(unverified)}"
        )
    return result


def check_file(path: Path) -> CheckResult:
    """Load, validate and check a registration file; RegistrationError (one line, exit 2) if unusable."""
    return check_spec(load(path), Path(path).name)
