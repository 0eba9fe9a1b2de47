"""Reproduction reports: claims judged on runs → verdicts.csv, figures, report.md, report.html.

Entry point for the engine and for ``audit report DIR``: :func:`write_verdicts_and_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reports.reproduction import figures, render, summary
from reports.reproduction.harm import class_changes
from reports.reproduction.inputs import ReproductionInputs, read_inputs
from reports.reproduction.verdicts import judge_claims, overall, write_verdicts

__all__ = ["build_context", "write_verdicts_and_report"]

FIGURE_FILES = {
    "accuracy": "accuracy_vs_sparsity.png",
    "per_class": "per_class_change.png",
    "forest": "claims_forest.png",
}


def build_context(inputs: ReproductionInputs, verdicts: Any, changes: Any) -> dict[str, Any]:
    """Everything the templates show, computed once so Markdown and HTML agree."""
    columns, seed_rows = render.per_seed_table(inputs.runs)
    metrics = {c.metric for c in inputs.claims} or {"test_accuracy"}
    metric = "test_accuracy" if "test_accuracy" in metrics else sorted(metrics)[0]
    return {
        "paper_id": inputs.paper_id,
        "protocol": inputs.protocol,
        "overall": overall(verdicts),
        "scope": summary.claim_scope(inputs),
        "verdicts": render.records(verdicts),
        "methodology": summary.methodology(inputs),
        "deviations": summary.deviations(inputs, verdicts),
        "variability": render.records(summary.variability(inputs.runs, metric)),
        "harm": summary.per_class_harm(changes),
        "differences": summary.relation_differences(inputs),
        "per_seed_columns": columns,
        "per_seed_rows": seed_rows,
        "provenance": summary.provenance(inputs),
        "metric": metric,
    }


def write_verdicts_and_report(out_dir: Path) -> Path:
    """Judge the claims of a reproduction folder and write its report; returns report.html's path.

    Reads claims.json, runs.csv, per_class.csv (optional) and environment.json (optional); writes
    verdicts.csv, the figures (PNG, next to the report), report.md and report.html (self-contained).
    """
    out_dir = Path(out_dir)
    inputs = read_inputs(out_dir)
    verdicts = judge_claims(inputs.claims, inputs.runs, inputs.protocol)
    write_verdicts(verdicts, out_dir / "verdicts.csv")

    changes = class_changes(inputs.per_class)  # figures.per_class_changes + bounded CIs and BH harm flags
    made = {
        "accuracy": figures.accuracy_vs_sparsity(
            inputs.runs, inputs.claims, out_dir / FIGURE_FILES["accuracy"], protocol=inputs.protocol
        ),
        "per_class": figures.per_class_change(changes, out_dir / FIGURE_FILES["per_class"]),
        "forest": figures.forest(verdicts, out_dir / FIGURE_FILES["forest"]),
    }
    for key, path in made.items():
        if path is None:  # a stale figure from an earlier render must not survive
            (out_dir / FIGURE_FILES[key]).unlink(missing_ok=True)
    context = build_context(inputs, verdicts, changes)
    _, html_path = render.render(context, out_dir, made)
    return html_path
