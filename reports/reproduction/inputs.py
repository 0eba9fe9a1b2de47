"""Read a reproduction output folder: claims.json, runs.csv, per_class.csv, environment.json.

Every file is validated against its contract (``core.schemas``) before a number is judged: runs.csv
with garbage or without the run columns is one line naming the row, not a pandas traceback or
"4 inconclusive" judged from zero runs. Tolerant of what the engine adds (extra top-level keys in
claims.json, extra columns, a missing per_class.csv or environment.json); strict about the contract in
:mod:`core.claims`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from core import schemas
from core.claims import Claim, ClaimSet

CLAIM_FIELDS = {f.name for f in fields(Claim)}


class MissingInput(FileNotFoundError):
    """A file the report needs is missing or unreadable; one line, exit 2 (not a traceback)."""

    exit_code = 2


@dataclass(frozen=True)
class ReproductionInputs:
    """Everything the verdicts and the report are computed from, plus where it came from."""

    out_dir: Path
    paper_id: str
    protocol: str
    claims: tuple[Claim, ...]
    runs: pd.DataFrame
    per_class: pd.DataFrame
    environment: dict[str, Any]
    #: extra top-level entries of claims.json (e.g. a protocol description), shown in the report.
    claims_extra: dict[str, Any] = field(default_factory=dict)
    #: SHA-256 recomputed from the claims as read (ClaimSet.content_hash()).
    content_hash: str = ""
    #: the hash the engine wrote into claims.json, if any.
    content_hash_recorded: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def content_hash_matches(self) -> bool | None:
        if self.content_hash_recorded is None:
            return None
        return self.content_hash_recorded == self.content_hash


def claim_from_dict(data: dict[str, Any]) -> Claim:
    """A Claim from its ``to_dict()`` form; unknown keys are ignored, lists become tuples."""
    kwargs = {k: v for k, v in data.items() if k in CLAIM_FIELDS}
    if "protocols" in kwargs and kwargs["protocols"] is not None:
        kwargs["protocols"] = tuple(kwargs["protocols"])
    return Claim(**kwargs)


def protocol_name(value: Any) -> str | None:
    """The protocol's name whether claims.json stores a string or a description dict."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("name", "protocol", "id"):
            if isinstance(value.get(key), str):
                return value[key]
    return None


def read_inputs(out_dir: Path) -> ReproductionInputs:
    """Load the folder; raises :class:`MissingInput` naming the file if claims.json or runs.csv is
    missing, empty or malformed."""
    out_dir = Path(out_dir)
    for required in ("claims.json", "runs.csv"):
        if not (out_dir / required).exists():
            raise MissingInput(f"{out_dir / required} is missing; is this a reproduction output folder?")
    raw = schemas.read_document(out_dir / "claims.json")
    try:
        claims = tuple(claim_from_dict(c) for c in raw["claims"])
    except (ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split())[:160]
        problem = f"a claim does not fit core.claims ({reason})"
        raise schemas.SchemaError(out_dir / "claims.json", problem) from exc
    runs = _frame(out_dir / "runs.csv")
    per_class_path = out_dir / "per_class.csv"
    per_class = _frame(per_class_path) if per_class_path.exists() else pd.DataFrame()
    env_path = out_dir / "environment.json"
    environment = schemas.read_document(env_path) if env_path.exists() else {}

    notes: list[str] = []
    paper_id = str(raw.get("paper_id") or _single(runs, "paper_id") or "")
    protocol = protocol_name(raw.get("protocol"))
    run_protocols = Counter(runs["protocol"].astype(str)) if "protocol" in runs else Counter()
    if protocol is None:
        protocol = run_protocols.most_common(1)[0][0] if run_protocols else "unknown"
    if len(run_protocols) > 1 or (run_protocols and protocol not in run_protocols):
        notes.append(
            f"runs.csv holds protocols {sorted(run_protocols)}; only rows of protocol {protocol!r} are judged"
        )
    if "protocol" in runs:
        runs = runs[runs["protocol"].astype(str) == protocol].reset_index(drop=True)
    if "protocol" in per_class:
        per_class = per_class[per_class["protocol"].astype(str) == protocol].reset_index(drop=True)

    recorded = raw.get("content_hash") or environment.get("claims_hash")
    extra = {k: v for k, v in raw.items() if k not in ("paper_id", "claims", "content_hash")}
    return ReproductionInputs(
        out_dir=out_dir,
        paper_id=paper_id,
        protocol=protocol,
        claims=claims,
        runs=runs,
        per_class=per_class,
        environment=environment,
        claims_extra=extra,
        content_hash=ClaimSet(paper_id=str(raw.get("paper_id", "")), claims=claims).content_hash(),
        content_hash_recorded=str(recorded) if recorded else None,
        notes=tuple(notes),
    )


def _frame(path: Path) -> pd.DataFrame:
    """A CSV validated against its contract, then read by pandas with the usual type inference."""
    table = schemas.read_table(path)
    if not table.rows:
        return pd.DataFrame(columns=[name for name in table.header if name])
    return pd.read_csv(path)


def _single(frame: pd.DataFrame, column: str) -> str | None:
    if column not in frame or frame.empty:
        return None
    values = frame[column].dropna().astype(str).unique()
    return values[0] if len(values) == 1 else None
