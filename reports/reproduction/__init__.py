"""Reproduction reports: claims judged on runs → verdicts.csv, figures, report.md, report.html, report.json.

Entry point for the engine and for ``audit report DIR``: :func:`write_verdicts_and_report`; the line
the command line prints afterwards: :func:`summary_line`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import atomic
from core.errors import AuditError
from reports.reproduction import figures, per_class_model, prose, render, summary, tree_figure
from reports.reproduction.discussion import DISCUSSION_FILE, Discussion, read_discussion
from reports.reproduction.harm import class_changes
from reports.reproduction.headline import (
    PRACTICAL_SEEDS,
    Registration,
    headline,
    is_control,
    next_steps,
    registration,
)
from reports.reproduction.identity import PaperIdentity, paper_bibtex, read_paper, report_bibtex
from reports.reproduction.inputs import ReproductionInputs, read_inputs
from reports.reproduction.verdicts import judge_claims, overall, write_verdicts

__all__ = [
    "REPORT_JSON",
    "BrokenPreregistration",
    "build_context",
    "summary_line",
    "write_verdicts_and_report",
]

FIGURE_FILES = {
    "accuracy": "accuracy_vs_sparsity.png",
    "per_class": "per_class_change.png",
    "forest": "claims_forest.png",
}
REPORT_JSON = "report.json"


class BrokenPreregistration(AuditError):
    """claims.json changed after the runs and the user did not ask to re-judge (exit 1, report written)."""


def build_context(
    inputs: ReproductionInputs,
    verdicts: Any,
    changes: Any,
    *,
    paper: PaperIdentity | None = None,
    discussion: Discussion | None = None,
    reg: Registration | None = None,
) -> dict[str, Any]:
    """Everything the templates show, computed once so Markdown, HTML and report.json agree."""
    paper = paper or read_paper(inputs.out_dir, inputs.paper_id)
    discussion = discussion or Discussion()
    reg = reg or registration(inputs)
    table = render.per_seed_table(inputs.runs)
    metrics = {c.metric for c in inputs.claims} or {"test_accuracy"}
    metric = "test_accuracy" if "test_accuracy" in metrics else sorted(metrics)[0]
    steps = next_steps(inputs, verdicts)
    top = headline(inputs, verdicts, reg, steps)
    rows = render.records(verdicts)
    for row in rows:
        row["control"] = is_control(row)
    controls = {r["claim_id"] for r in rows if r["control"]}
    scope = summary.claim_scope(inputs)
    for claim in scope:
        claim["control"] = claim["id"] in controls
    env = inputs.environment if isinstance(inputs.environment, dict) else {}
    project = env.get("project") if isinstance(env.get("project"), dict) else {}
    n_seeds = len(table.seeds)
    return {
        "paper_id": inputs.paper_id,
        "protocol": inputs.protocol,
        "paper": paper,
        "n_seeds": n_seeds,
        "overall": overall(verdicts),
        "headline": top,
        "registration": reg,
        "next": steps,
        "practical": PRACTICAL_SEEDS,
        "scope": scope,
        "verdicts": rows,
        "judged": [r for r in rows if r["verdict"] != "not_applicable"],
        "not_judged": [r for r in rows if r["verdict"] == "not_applicable"],
        "protocol_summary": prose.protocol_summary(inputs),
        "methodology_sections": prose.methodology_sections(inputs, paper),
        "deviations": summary.deviations(inputs, verdicts),
        "variability": render.records(summary.variability(inputs.runs, metric)),
        "harm": summary.per_class_harm(changes),
        "differences": summary.relation_differences(inputs),
        "per_seed": table,
        "provenance": summary.provenance(inputs, reg.short),
        "content_hash": inputs.content_hash,
        "discussion": discussion,
        "discussion_file": DISCUSSION_FILE,
        "bibtex_report": report_bibtex(
            paper,
            protocol=inputs.protocol,
            n_seeds=n_seeds,
            claims_hash=inputs.content_hash,
            version=str(project.get("version") or ""),
            commit=str(project.get("git_commit") or env.get("git_commit") or ""),
            authors=discussion.authors,
            year=discussion.year,
            url=discussion.url,
        ),
        "bibtex_paper": paper_bibtex(paper) if paper.title else "",
        "metric": metric,
        # per_class_model.csv is written here: the section shows exactly what the file holds
        "per_class_model": per_class_model.analyse(inputs.per_class, inputs.out_dir),
        "tree": {"seeds": [], "note": None},
    }


def report_json(context: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable summary (report.json): what the headline says, and what to run next."""
    top, steps, paper = context["headline"], context["next"], context["paper"]
    return {
        "paper": {k: v for k, v in vars(paper).items() if k != "recorded"} | {"recorded": paper.recorded},
        "protocol": context["protocol"],
        "n_seeds": context["n_seeds"],
        "status": top.status,
        "headline": top.text,
        "summary": top.summary,
        "counts": top.counts,
        "controls": top.controls,
        "registration": {
            "status": context["registration"].status,
            "claims_hash": context["registration"].claims_hash,
            "claims_json_hash": context["registration"].recorded,
            "environment_hash": context["registration"].registered,
        },
        "next_steps": {
            "decide_all": steps.decide_all,
            "next": steps.first,
            "seeds_reused": steps.reused,
            "claims": [vars(s) for s in steps.steps],
            "other_protocols": list(steps.other_protocols),
        },
        "discussion": context["discussion"].present,
    }


def write_verdicts_and_report(out_dir: Path, *, rejudge: bool = False) -> Path:
    """Judge the claims of a reproduction folder and write its report; returns report.html's path.

    Reads claims.json, runs.csv, per_class.csv, environment.json, paper.json and discussion.md (the
    last four optional); writes verdicts.csv, the figures (PNG, next to the report), report.md,
    report.html (self-contained) and report.json. The same folder always renders to the same bytes.

    If claims.json changed after the runs (a broken pre-registration) everything is still written,
    with the headline saying so, and :class:`BrokenPreregistration` is raised afterwards unless
    ``rejudge`` asks for the changed claims to be judged on purpose.
    """
    out_dir = Path(out_dir)
    inputs = read_inputs(out_dir)
    paper = read_paper(out_dir, inputs.paper_id)
    discussion = read_discussion(out_dir)
    reg = registration(inputs, rejudge=rejudge)
    trained = summary.protocol_description(inputs).get("models")
    models = tuple(str(m) for m in trained) if isinstance(trained, list | tuple) and trained else None
    verdicts = judge_claims(inputs.claims, inputs.runs, inputs.protocol, models)
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
    trees, tree_seeds, tree_note = tree_figure.draw(out_dir)
    context = build_context(inputs, verdicts, changes, paper=paper, discussion=discussion, reg=reg)
    context["tree"] = {"seeds": tree_seeds, "note": tree_note}
    _, html_path = render.render(context, out_dir, {**made, **trees})
    body = json.dumps(report_json(context), indent=2, sort_keys=True, ensure_ascii=False)
    atomic.write_text(out_dir / REPORT_JSON, body)
    if reg.broken:
        raise BrokenPreregistration(
            f"{out_dir / 'claims.json'} changed after the runs (claims hash {reg.claims_hash[:12]}… differs "
            "from the one registered): a broken pre-registration; the report says so. Restore claims.json, "
            "or pass --rejudge to judge the changed claims on purpose"
        )
    return html_path


def summary_line(out_dir: Path) -> str:
    """The one-line verdict summary of a rendered folder (from report.json), for the command line."""
    try:
        data = json.loads((Path(out_dir) / REPORT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get("summary", "")) if isinstance(data, dict) else ""
