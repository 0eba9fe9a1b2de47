"""Read a reproduction output folder: claims.json, runs.csv, per_class.csv, environment.json.

Every file is validated against its contract (``core.schemas``) before a number is judged: runs.csv
with garbage or without the run columns is one line naming the row, not a pandas traceback or
"4 inconclusive" judged from zero runs. Tolerant of what the engine adds (extra top-level keys in
claims.json, extra columns, a missing per_class.csv or environment.json); strict about the contract in
:mod:`core.claims`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from core import schemas
from core.claims import Claim

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
    #: SHA-256 recomputed from claims.json as it is now (see :func:`claims_hash`).
    content_hash: str = ""
    #: the hash the engine wrote into claims.json, if any.
    content_hash_recorded: str | None = None
    notes: tuple[str, ...] = ()
    #: the registration hash environment.json recorded when the runs finished ("claims_hash"), if any.
    registration_hash: str | None = None

    @property
    def content_hash_matches(self) -> bool | None:
        """Whether every recorded hash (claims.json's own, environment.json's) matches the claims as
        read; None when neither was recorded (nothing shows the claims came first)."""
        recorded = [h for h in (self.content_hash_recorded, self.registration_hash) if h is not None]
        if not recorded:
            return None
        return all(h == self.content_hash for h in recorded)

    @property
    def claims_changed(self) -> bool:
        """A broken pre-registration: claims.json was edited after the runs (a recorded hash differs)."""
        return self.content_hash_matches is False


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

    recorded = raw.get("content_hash")
    registered = environment.get("claims_hash") if isinstance(environment, dict) else None
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
        content_hash=claims_hash(raw),
        content_hash_recorded=str(recorded) if recorded else None,
        notes=tuple(notes),
        registration_hash=str(registered) if registered else None,
    )


def claims_hash(raw: dict[str, Any]) -> str:
    """The content hash of claims.json's claims as stored (``ClaimSet.to_json()``'s canonical form).

    Hashed from the JSON as read, not from :class:`Claim` objects rebuilt from it: a field added to
    ``Claim`` later must not make every older folder look edited, and an edit to any key of a claim,
    known or not, must change the hash.
    """
    body = {"paper_id": raw.get("paper_id", ""), "claims": raw.get("claims", [])}
    return hashlib.sha256(json.dumps(body, sort_keys=True, indent=2).encode()).hexdigest()


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
