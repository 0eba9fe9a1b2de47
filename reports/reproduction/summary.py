"""Facts for the report's prose sections: methodology, deviations, discussion, provenance.

Pure functions over the loaded inputs and the verdict table; no formatting beyond plain values.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core import stats
from core.claims import Claim
from reports.reproduction.harm import harm_flags, harm_rule
from reports.reproduction.inputs import ReproductionInputs
from reports.reproduction.verdicts import per_seed, select_rows

#: docs/pruning-papers.md: at least 5 seeds, 3 only for a labelled smoke run.
MIN_SEEDS = 5


def _unique(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame:
        return []
    return sorted({str(v) for v in frame[column].dropna()})


def _env_get(env: dict[str, Any], *keys: str) -> Any:
    """First present key, also looking one level down (e.g. env["git"]["commit"])."""
    for key in keys:
        if key in env and env[key] not in (None, ""):
            return env[key]
    for value in env.values():
        if isinstance(value, dict):
            for key in keys:
                if key in value and value[key] not in (None, ""):
                    return value[key]
    return None


def methodology(inputs: ReproductionInputs) -> dict[str, Any]:
    """Protocol, models, data, seeds, arms, runner and device, as recorded in the files."""
    runs, env = inputs.runs, inputs.environment
    seeds = sorted({int(s) for s in runs["seed"].dropna()}) if "seed" in runs else []
    details = protocol_description(inputs)
    targets = pd.to_numeric(runs.get("target_sparsity", pd.Series(dtype=float)), errors="coerce").dropna()
    env_device = _env_get(env, "device")
    wall = pd.to_numeric(runs.get("wall_s", pd.Series(dtype=float)), errors="coerce")
    return {
        "paper_id": inputs.paper_id,
        "protocol": inputs.protocol,
        "protocol_details": {k: v for k, v in details.items() if k != "deviations"},
        "models": _unique(runs, "model"),
        "datasets": _unique(runs, "dataset"),
        "arms": _unique(runs, "arm"),
        "target_sparsities": sorted({round(float(v), 4) for v in targets}),
        "seeds": seeds,
        "n_seeds": len(seeds),
        "n_runs": len(runs),
        "iterations": _unique(runs, "iterations"),
        "devices": _unique(runs, "device") or ([str(env_device)] if env_device else []),
        "runner": _env_get(env, "runner") or "",
        "total_wall_s": float(wall.sum()),
    }


def protocol_description(inputs: ReproductionInputs) -> dict[str, Any]:
    """The protocol as recorded: a dict "protocol" in claims.json, else environment.json's protocol_config."""
    for source in (inputs.claims_extra.get("protocol"), inputs.environment.get("protocol_config")):
        if isinstance(source, dict):
            return source
    return {}


def deviations(inputs: ReproductionInputs, verdicts: pd.DataFrame) -> list[str]:
    """What differs from the paper: recorded deviations first, then the ones the files reveal."""
    found: list[str] = []
    for source in (protocol_description(inputs), inputs.environment, inputs.claims_extra):
        if isinstance(source, dict) and source.get("deviations"):
            value = source["deviations"]
            if isinstance(value, list):
                found.extend(str(v) for v in value)
            else:
                found.append(str(value))
    if inputs.protocol != "paper":
        n_na = int((verdicts["verdict"] == "not_applicable").sum())
        found.append(
            f"Protocol {inputs.protocol!r} is not the paper's protocol; {n_na} claim(s) registered only for "
            "other protocols are shown as not applicable and are not judged."
        )
    seeds = methodology(inputs)["n_seeds"]
    if seeds < MIN_SEEDS:
        found.append(
            f"Only {seeds} seed(s): below the {MIN_SEEDS} the guidelines ask for; treat this as a smoke run "
            "(intervals are wide and most verdicts will be inconclusive)."
        )
    unverified = [c.id for c in inputs.claims if not c.verified]
    if unverified:
        found.append(
            "Reported values not yet checked against the paper PDF (from memory or secondary sources): "
            + ", ".join(unverified)
            + "."
        )
    by_note: dict[str, list[str]] = {}
    for c in inputs.claims:
        if c.notes:
            by_note.setdefault(c.notes, []).append(c.id)
    found.extend(f"{', '.join(ids)}: {note}" for note, ids in by_note.items())
    found.extend(inputs.notes)
    seen: set[str] = set()
    return [d for d in found if not (d in seen or seen.add(d))]


def variability(runs: pd.DataFrame, metric: str = "test_accuracy") -> pd.DataFrame:
    """Per condition (model, arm, target sparsity, round): n, mean, std, CV (Belz 2021), 95 % t-CI."""
    if runs.empty or metric not in runs or "arm" not in runs:
        return pd.DataFrame()
    frame = runs.copy()
    frame["target_sparsity"] = pd.to_numeric(frame.get("target_sparsity", 0.0), errors="coerce").round(4)
    for column, default in (("model", ""), ("round", 0)):
        if column not in frame:
            frame[column] = default
    rows = []
    keys = ["model", "arm", "target_sparsity", "round"]
    for (model, arm, target, rnd), g in frame.groupby(keys, sort=True):
        values = pd.to_numeric(g[metric], errors="coerce").to_numpy()
        mean, std, n = stats.mean_std(values)
        ci = stats.t_interval(values, 0.95)
        sparsity = pd.to_numeric(g.get("sparsity", pd.Series(dtype=float)), errors="coerce").mean()
        cv = stats.coefficient_of_variation(values)
        rows.append((model, arm, target, rnd, sparsity, n, mean, std, cv, ci.low, ci.high))
    return pd.DataFrame(rows, columns=[*keys, "sparsity", "n", "mean", "std", "cv", "ci_low", "ci_high"])


def per_class_harm(changes: pd.DataFrame) -> list[dict[str, Any]]:
    """Per pruned condition: the mean change over classes and the most-harmed class with its CI.

    ``n_classes_hurt`` counts classes flagged harmed with the false discovery rate controlled across
    classes and conditions (``harm.harm_flags``); ``harm_rule`` is the sentence that says so.
    """
    out: list[dict[str, Any]] = []
    if changes.empty:
        return out
    changes = harm_flags(changes)
    for (model, arm, target, rnd), g in changes.groupby(
        ["model", "arm", "target_sparsity", "round"], sort=True
    ):
        worst = g.loc[g["change"].idxmin()]
        out.append(
            {
                "model": model,
                "arm": arm,
                "target_sparsity": target,
                "round": rnd,
                "mean_change": float(g["change"].mean()),
                "worst_class": worst["class"],
                "worst_change": float(worst["change"]),
                "worst_ci_low": float(worst["ci_low"]),
                "worst_ci_high": float(worst["ci_high"]),
                "n_classes_hurt": int(g["harmed"].sum()),
                "n_classes": len(g),
                "harm_rule": harm_rule(changes),
            }
        )
    return out


#: environment.json keys that provenance() shows in its own lines; anything else is listed once
#: under "other recorded settings", so nothing is hidden and nothing appears twice.
_SHOWN = {
    "paper_id", "protocol", "protocol_config", "project", "git_commit", "commit", "project_commit",
    "git_dirty", "runner", "image_digest", "image", "docker_image", "jobs", "device", "python",
    "platform", "machine", "packages", "package_versions", "determinism", "seeds", "failed_seeds",
    "claims_hash",
}  # fmt: skip


def provenance(inputs: ReproductionInputs, registration_text: str = "") -> list[dict[str, str]]:
    """Where every number comes from, each fact once: (label, value) lines for both templates.

    Absolute paths recorded by the runner (a wheelhouse folder) are shown by their last component:
    a published report must not leak a machine's folders.
    """
    env = inputs.environment if isinstance(inputs.environment, dict) else {}
    project = env.get("project") if isinstance(env.get("project"), dict) else {}
    lines: list[dict[str, str]] = []

    def add(label: str, value: Any, code: bool = False) -> None:
        if value not in (None, "", [], {}):
            lines.append({"label": label, "value": str(value), "code": "yes" if code else ""})

    add("Claims (SHA-256 of claims.json's claims)", inputs.content_hash, code=True)
    add("Pre-registration", registration_text)
    commit = project.get("git_commit") or _env_get(env, "git_commit", "commit", "project_commit")
    version = project.get("version")
    code = ", ".join(
        p for p in (f"audit {version}" if version else "", f"commit {commit}" if commit else "") if p
    )
    dirty = project.get("git_dirty", env.get("git_dirty"))
    if code and dirty:
        code += " (with uncommitted changes: the commit alone does not identify the code)"
    add("Code", code)
    runner = env.get("runner")
    image = _env_get(env, "image_digest", "image", "docker_image")
    if runner:
        text = str(runner) + (f", image {image}" if image else "")
        if env.get("jobs"):
            text += f", {env['jobs']} seed(s) at a time"
        add("Runner", text)
    device = env.get("device")
    if isinstance(device, dict):
        name = device.get("name") or ""
        text = f"{name} ({device.get('resolved')}" if name else str(device.get("resolved") or "")
        if device.get("requested") and device.get("requested") != device.get("resolved"):
            text += f", asked for {device['requested']}"
        text += ")" if name else ""
        if device.get("torch_cuda"):
            text += f", CUDA {device['torch_cuda']}"
        add("Device", text)
    else:
        add("Device", device)
    platform = " on ".join(
        str(v) for v in (env.get("python") and f"Python {env['python']}", env.get("platform")) if v
    )
    add("Python and platform", platform)
    packages = _env_get(env, "packages", "package_versions")
    if isinstance(packages, dict):
        add("Packages", ", ".join(f"{k} {v}" for k, v in packages.items() if v))
    determinism = env.get("determinism")
    if isinstance(determinism, dict):
        add("Determinism", "; ".join(f"{k} = {plain_value(v)}" for k, v in determinism.items()))
    seeds = sorted({int(s) for s in inputs.runs["seed"].dropna()}) if "seed" in inputs.runs else []
    add("Seeds with results", ", ".join(map(str, seeds)))
    failed = env.get("failed_seeds") or []
    if failed:
        add(
            "Failed seeds",
            "; ".join(
                f"{f.get('seed')}: {f.get('reason', '')}" if isinstance(f, dict) else str(f) for f in failed
            ),
        )
    states = _unique(inputs.runs, "state_hash")
    add("Model states", f"{len(states)} distinct (state hashes in the per-seed table)" if states else "")
    other = _flatten({k: v for k, v in env.items() if k not in _SHOWN})
    add("Other recorded settings", "; ".join(f"{k} = {plain_value(v)}" for k, v in other.items()))
    return lines


def plain_value(value: Any) -> str:
    """A recorded value as text: lists joined, booleans lower-case, absolute paths shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(plain_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {plain_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if text.startswith("/") and "/" in text[1:] and " " not in text:
        return "…/" + text.rstrip("/").rsplit("/", 1)[-1]
    return text


def _reported_text(claim: Claim) -> str:
    """What the paper reported, in words and numbers, as registered."""
    if claim.kind == "min_max":
        return f"range [{claim.reported_min}, {claim.reported_max}]" + (
            f" over {claim.reported_n} runs" if claim.reported_n else ""
        )
    if claim.kind == "mean_std":
        spread = claim.reported_spread or "std?"
        n = f", n={claim.reported_n}" if claim.reported_n else ""
        return f"{claim.reported} ± {claim.reported_std} ({spread}{n})"
    if claim.kind == "relation":
        sign = {"greater": ">", "less": "<", "equivalent": "≈"}.get(claim.direction or "greater", "?")
        return f"A {sign} B" + (f" within ±{claim.delta}" if claim.direction == "equivalent" else "")
    return "" if claim.reported is None else str(claim.reported)


def claim_scope(inputs: ReproductionInputs) -> list[dict[str, Any]]:
    """The registered claims as the report's "Scope of reproducibility" lists them."""
    return [
        {
            "id": c.id,
            "statement": c.statement,
            "kind": c.kind,
            "metric": c.metric,
            "reported": _reported_text(c),
            "condition": ", ".join(f"{k}={v}" for k, v in c.condition.items()),
            "baseline": ", ".join(f"{k}={v}" for k, v in (c.baseline or {}).items()),
            "delta": c.delta,
            "delta_text": (
                "0 (direction)" if c.kind == "relation" and c.direction != "equivalent" else f"{c.delta:g}"
            ),
            "alpha": c.alpha,
            "source": c.source,
            "verified": c.verified,
            "protocols": ", ".join(c.protocols),
            "applicable": inputs.protocol in c.protocols,
        }
        for c in inputs.claims
    ]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (``device.resolved``), so provenance reads as one list."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def relation_differences(inputs: ReproductionInputs) -> list[dict[str, Any]]:
    """Per relation claim applicable to this protocol and per paired seed: A, B and A − B.

    docs/pruning-papers.md asks relations to publish their per-seed differences, so that a reader
    can redo the paired test by hand.
    """
    rows: list[dict[str, Any]] = []
    for claim in inputs.claims:
        if claim.kind != "relation" or not claim.baseline or inputs.protocol not in claim.protocols:
            continue
        a = per_seed(select_rows(inputs.runs, claim.condition)[0], claim.metric)
        b = per_seed(select_rows(inputs.runs, claim.baseline)[0], claim.metric)
        for seed in a.index.intersection(b.index):
            rows.append(
                {
                    "claim_id": claim.id,
                    "seed": seed,
                    "a": float(a[seed]),
                    "b": float(b[seed]),
                    "diff": float(a[seed] - b[seed]),
                }
            )
    return rows
