"""What a reader sees first: the state of the pre-registration, the verdict in words, and what to do next.

The headline must not overstate either way. An all-inconclusive run is *undecided*, not a failure
of the paper: three seeds rarely decide anything. A claims.json edited after the runs is a broken
pre-registration, whatever the verdicts say. "Seeds needed" becomes the exact command that would
decide each inconclusive claim, with the seeds it reuses from the experiment-state cache (a state is
named by its parent, recipe and seed, so seeds already run are never retrained).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from reports.reproduction.inputs import ReproductionInputs

#: docs/pruning-papers.md: at least 5 seeds; 3 only for a labelled smoke run.
MIN_SEEDS = 5
#: claims whose verdict the registry marks as its own controls (columns read if present; the
#: registry rework adds one of them): they are not claims of the paper and are counted apart.
CONTROL_COLUMNS = ("role", "control", "is_control")


@dataclass(frozen=True)
class Registration:
    """Whether the claims judged are the ones registered before the runs."""

    #: "intact" | "changed" (broken, not acknowledged) | "rejudged" (changed, --rejudge) | "unrecorded"
    status: str
    claims_hash: str
    recorded: str | None
    registered: str | None
    text: str

    @property
    def broken(self) -> bool:
        return self.status == "changed"

    @property
    def short(self) -> str:
        """The check in a few words, for Provenance (which shows the full hash on its own line)."""
        if self.status == "intact":
            files = [
                f for f, h in (("claims.json", self.recorded), ("environment.json", self.registered)) if h
            ]
            if len(files) == 1:
                return f"intact: the hash recorded in {files[0]} matches the claims"
            return f"intact: the hashes recorded in {' and '.join(files)} match the claims"
        if self.status == "unrecorded":
            return "no registration hash recorded"
        return self.text


def registration(inputs: ReproductionInputs, *, rejudge: bool = False) -> Registration:
    """The pre-registration check: claims.json's content against the hashes recorded for it."""
    now, recorded, registered = inputs.content_hash, inputs.content_hash_recorded, inputs.registration_hash
    short = now[:12]
    if inputs.content_hash_matches is None:
        status = "unrecorded"
        text = (
            "No registration hash is recorded (neither in claims.json nor in environment.json): nothing "
            f"shows that these claims (SHA-256 {short}…) were fixed before the runs."
        )
    elif not inputs.claims_changed:
        status = "intact"
        text = f"The claims are the ones registered before the runs (SHA-256 {short}…, recomputed)."
    else:
        differs = []
        if recorded is not None and recorded != now:
            differs.append(f"claims.json's own hash {recorded[:12]}…")
        if registered is not None and registered != now:
            differs.append(f"the registration hash {registered[:12]}… recorded in environment.json")
        what = (
            f"claims.json was changed after the runs: its claims now hash to {short}…, "
            f"not to {' nor to '.join(differs)}"
        )
        if rejudge:
            status = "rejudged"
            text = (
                f"The claims changed after the runs and were re-judged on purpose (audit report --rejudge): "
                f"{what}. The verdicts below judge the changed claims; they are not a pre-registered test."
            )
        else:
            status = "changed"
            text = (
                f"The file {what}. The verdicts below judge the edited claims and are not "
                "a pre-registered test. Restore claims.json (rerunning `audit reproduce` writes it again "
                "from the registry), or re-judge on purpose with `audit report DIR --rejudge`."
            )
    return Registration(status, now, recorded, registered, text)


def is_control(row: dict[str, Any]) -> bool:
    """A registry sanity control rather than a claim of the paper (read defensively: the column may
    be absent, boolean, or a role string)."""
    for column in CONTROL_COLUMNS:
        value = row.get(column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, str):
            if value.strip().lower() in ("control", "registry_control", "sanity_control", "true"):
                return True
        elif bool(value):
            return True
    return False


def seeds_run(runs: pd.DataFrame) -> list[int]:
    if "seed" not in runs:
        return []
    return sorted({int(s) for s in pd.to_numeric(runs["seed"], errors="coerce").dropna()})


def seed_ranges(seeds: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] → "0–2, 5, 7–8"."""
    parts: list[str] = []
    for seed in sorted(set(seeds)):
        if parts and parts[-1][1] == seed - 1:
            parts[-1] = (parts[-1][0], seed)
        else:
            parts.append((seed, seed))  # type: ignore[arg-type]
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in parts)  # type: ignore[misc]


def duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown time"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class Step:
    """What would decide one inconclusive claim, or why more seeds would not."""

    claim_id: str
    n: int
    seeds_needed: int | None
    command: str
    new_seeds: str
    cost: str
    why_not: str = ""
    #: where the estimate points now: "reproduced", "not reproduced", or "" when it cannot be said
    leaning: str = ""


@dataclass(frozen=True)
class NextSteps:
    steps: tuple[Step, ...] = ()
    #: the one command deciding every claim that more seeds can decide (the largest --seeds N).
    decide_all: str = ""
    decide_all_n: int | None = None
    reused: str = ""
    per_seed_s: float = math.nan
    #: protocol → claims registered only for it, with the command that judges them.
    other_protocols: tuple[dict[str, Any], ...] = ()
    min_seeds_command: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the headline's next step: ``decide_all`` when it needs at most PRACTICAL_SEEDS seeds, else the
    #: largest run within that many (or, when every claim needs more, the smallest that decides one)
    first: str = ""
    first_n: int | None = None
    #: how many of the claims more seeds can decide ``first`` decides, and how many there are
    first_decides: int = 0
    decidable: int = 0

    def headline_sentence(self) -> str:
        """The next step as the headline says it: one command, and what it buys when not everything."""
        if not self.first:
            return ""
        if self.first == self.decide_all:
            return f" Next step: `{self.first}` (see Next steps)."
        return (
            f" Next step: `{self.first}` decides {self.first_decides} of the {self.decidable} claims more "
            f"seeds can decide; all of them need {self.decide_all_n} seeds (see Next steps)."
        )


#: More seeds than this is not a next step a reviewer takes on one machine: the headline then names
#: the largest run within it (the Next steps table still gives every claim's own number).
PRACTICAL_SEEDS = 100


def reproduce_command(
    inputs: ReproductionInputs, seeds: int, *, protocol: str | None = None, same_device: bool = True
) -> str:
    """`audit reproduce` for this paper with ``--seeds``, and the runner and device this run used, so
    the seeds already run are found in the cache (a state's name includes its device)."""
    env = inputs.environment if isinstance(inputs.environment, dict) else {}
    parts = ["audit", "reproduce", inputs.paper_id or "PAPER_ID", "--protocol", protocol or inputs.protocol]
    parts += ["--seeds", str(seeds)]
    runner = str(env.get("runner") or "")
    if runner == "local" or runner.startswith("docker"):  # "docker-upstream": the authors' code
        parts += ["--runner", "local" if runner == "local" else "docker"]
    device = env.get("device")
    resolved = device.get("resolved") if isinstance(device, dict) else device
    if same_device and resolved in ("cpu", "cuda"):
        parts += ["--device", str(resolved)]
    return " ".join(parts)


def next_steps(inputs: ReproductionInputs, verdicts: pd.DataFrame) -> NextSteps:
    """Per inconclusive claim, the command that would decide it; claims for other protocols."""
    done = seeds_run(inputs.runs)
    per_seed = math.nan
    if done and "wall_s" in inputs.runs:
        wall = pd.to_numeric(inputs.runs["wall_s"], errors="coerce")
        per_seed = float(wall.groupby(inputs.runs["seed"]).sum().mean())
    steps: list[Step] = []
    for row in verdicts.to_dict("records"):
        if row["verdict"] != "inconclusive":
            continue
        n = int(row["n"]) if not pd.isna(row["n"]) else 0
        needed = None if pd.isna(row["seeds_needed"]) else int(row["seeds_needed"])
        leaning = _leaning(row)
        if needed is None:
            steps.append(Step(row["claim_id"], n, None, "", "", "", _why_not(row, n), leaning))
            continue
        new = sorted(set(range(needed)) - set(done))
        steps.append(
            Step(
                row["claim_id"],
                n,
                needed,
                reproduce_command(inputs, needed),
                seed_ranges(new),
                f"≈ {duration(len(new) * per_seed)}" if math.isfinite(per_seed) else "",
                leaning=leaning,
            )
        )
    decidable = [s.seeds_needed for s in steps if s.seeds_needed is not None]
    most = max(decidable) if decidable else None
    notes = []
    if most is not None and most > 100:
        notes.append(
            f"Deciding every claim needs {most} seeds: if that is too costly, the seeds needed per claim "
            "show which claims a smaller run decides."
        )
    within = [n for n in decidable if n <= PRACTICAL_SEEDS]
    first_n = most if most is None or most <= PRACTICAL_SEEDS else (max(within) if within else min(decidable))
    return NextSteps(
        steps=tuple(steps),
        decide_all=reproduce_command(inputs, most) if most is not None else "",
        decide_all_n=most,
        first=reproduce_command(inputs, first_n) if first_n is not None else "",
        first_n=first_n,
        first_decides=sum(n <= first_n for n in decidable) if first_n is not None else 0,
        decidable=len(decidable),
        reused=seed_ranges(done),
        per_seed_s=per_seed,
        other_protocols=tuple(_other_protocols(inputs, verdicts)),
        min_seeds_command=reproduce_command(inputs, MIN_SEEDS) if len(done) < MIN_SEEDS else "",
        notes=tuple(notes),
    )


def _leaning(row: dict[str, Any]) -> str:
    """Which way the observed estimate points, for the claim kinds whose boundary is known."""
    try:
        estimate, delta = float(row["mean_diff"]), float(row["delta"])
    except (TypeError, ValueError, KeyError):
        return ""
    if not (math.isfinite(estimate) and math.isfinite(delta)):
        return ""
    direction = row.get("direction") or ""
    if row.get("kind") in ("single", "figure", "mean_std") or direction == "equivalent":
        return "reproduced" if abs(estimate) <= delta else "not reproduced"
    if direction == "greater":
        return "reproduced" if estimate > 0 else "not reproduced"
    if direction == "less":
        return "reproduced" if estimate < 0 else "not reproduced"
    return ""


def _why_not(row: dict[str, Any], n: int) -> str:
    reason = row.get("reason")
    if isinstance(reason, str) and reason.strip():
        return reason.strip()
    note = str(row.get("note") or "")
    if "no runs match" in note or "has no column" in note or "an arm has no runs" in note:
        return "no runs match its condition in this protocol: more seeds of the same runs cannot help"
    if n < 2:
        return "fewer than two runs: no spread, so no interval yet"
    return (
        "more seeds alone are not expected to decide it: the estimate sits on the margin, or the "
        "paper's own uncertainty is wider than the distance to it"
    )


def _other_protocols(inputs: ReproductionInputs, verdicts: pd.DataFrame) -> list[dict[str, Any]]:
    """Claims not applicable here, grouped by a protocol that judges them, with its command."""
    na = set(verdicts.loc[verdicts["verdict"] == "not_applicable", "claim_id"])
    groups: dict[str, list[str]] = {}
    for claim in inputs.claims:
        if claim.id in na and claim.protocols:
            target = "paper" if "paper" in claim.protocols else claim.protocols[0]
            groups.setdefault(target, []).append(claim.id)
    out = []
    for protocol, ids in sorted(groups.items()):
        # another protocol may want another device (the paper's setup: a GPU), so none is pinned
        command = reproduce_command(inputs, MIN_SEEDS, protocol=protocol, same_device=False)
        out.append({"protocol": protocol, "claims": ids, "command": command})
    return out


@dataclass(frozen=True)
class Headline:
    status: str  # reproduced | not_reproduced | partly | undecided | nothing_judged
    text: str
    counts: dict[str, int]
    n_claims: int
    controls: dict[str, int]
    smoke: str
    registration: Registration
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def headline(
    inputs: ReproductionInputs, verdicts: pd.DataFrame, reg: Registration, steps: NextSteps
) -> Headline:
    """The verdict in words, counting the paper's claims apart from the registry's own controls."""
    rows = verdicts.to_dict("records")
    paper_rows = [r for r in rows if not is_control(r) and r["verdict"] != "not_applicable"]
    control_rows = [r for r in rows if is_control(r) and r["verdict"] != "not_applicable"]
    counts = {v: sum(r["verdict"] == v for r in rows) for v in _VERDICTS}
    mine = {v: sum(r["verdict"] == v for r in paper_rows) for v in _VERDICTS}
    controls = (
        {v: sum(r["verdict"] == v for r in control_rows) for v in _VERDICTS if v != "not_applicable"}
        if control_rows
        else {}
    )
    k, ok, bad, open_ = len(paper_rows), mine["reproduced"], mine["not_reproduced"], mine["inconclusive"]
    n_seeds = len(seeds_run(inputs.runs))
    with_seeds = f"with {n_seeds} seed{'s' if n_seeds != 1 else ''}"
    if k == 0:
        status = "nothing_judged"
        text = (
            f"Nothing judged: no claim of the paper is registered for protocol {inputs.protocol!r} "
            f"({counts['not_applicable']} apply to other protocols). Nothing is counted as reproduced."
        )
    elif bad:
        status = "not_reproduced"
        text = (
            f"Not reproduced: {bad} of {k} claims are contradicted by the runs (Holm-adjusted across the "
            f"claims); {ok} reproduced, {open_} undecided {with_seeds}."
        )
    elif ok == k:
        status = "reproduced"
        text = f"Reproduced: all {k} claims judged under this protocol were reproduced {with_seeds}."
    elif ok == 0:
        status = "undecided"
        text = (
            f"Undecided: none of the {k} claims judged under this protocol could be decided {with_seeds}. "
            "This is not evidence against the paper: no claim was contradicted, the intervals are "
            "still too wide to tell either way."
        )
    else:
        status = "partly"
        text = (
            f"Partly decided: {ok} of {k} claims reproduced; the other {open_} are undecided {with_seeds} "
            "(none was contradicted)."
        )
    text += steps.headline_sentence()
    if control_rows:
        text += (
            f" The registry's own sanity controls (not claims of the paper, not counted above): "
            f"{controls['reproduced']} reproduced, {controls['not_reproduced']} not reproduced, "
            f"{controls['inconclusive']} undecided."
        )
    smoke = ""
    if 0 < n_seeds < MIN_SEEDS:
        smoke = (
            f"A smoke run: {n_seeds} seeds, fewer than the {MIN_SEEDS} the guidelines ask for; intervals "
            "are wide."
        )
    claims_only = {v: sum(r["verdict"] == v for r in rows if not is_control(r)) for v in _VERDICTS}
    summary = _summary_line(inputs, status, claims_only, controls, steps, reg, n_seeds)
    return Headline(status, text, counts, k, controls, smoke, reg, summary)


_VERDICTS = ("reproduced", "not_reproduced", "inconclusive", "not_applicable")


def _summary_line(
    inputs: ReproductionInputs,
    status: str,
    counts: dict[str, int],
    controls: dict[str, int],
    steps: NextSteps,
    reg: Registration,
    n_seeds: int,
) -> str:
    """The one line `audit reproduce` and `audit report` print: parseable, no colours. It counts the
    paper's claims as the headline does, and the registry's controls apart, so the two never disagree."""
    words = ", ".join(f"{counts[v]} {v.replace('_', ' ')}" for v in _VERDICTS)
    if controls:
        words += "; controls: " + ", ".join(f"{n} {v.replace('_', ' ')}" for v, n in controls.items())
    line = f"{inputs.paper_id} {inputs.protocol}, {n_seeds} seeds: {status.replace('_', ' ')} ({words})"
    if reg.status == "changed":
        line = "BROKEN PRE-REGISTRATION (claims.json changed after the runs): " + line
    elif reg.status == "rejudged":
        line = "re-judged changed claims: " + line
    if steps.first:
        line += f"; next: {steps.first}"
    return line
